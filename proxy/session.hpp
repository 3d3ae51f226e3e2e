// The state of one client session and the steps it goes through, implemented in four files:
// session_login.cpp (startup, authentication, the end), session_lease.cpp (routing, leases,
// the topology watch), session_requests.cpp (client messages) and session_replies.cpp
// (server replies, conflict retry, lost leases), and what it counts and shows of itself in
// session_stats.cpp. Internal to proxy/; see client_session.hpp.
#pragma once

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "protocol/extended_query.hpp"
#include "protocol/framer.hpp"
#include "protocol/messages.hpp"
#include "protocol/response_tracker.hpp"
#include "protocol/sqlstate.hpp"
#include "protocol/startup.hpp"
#include "proxy/client_auth.hpp"
#include "proxy/client_session.hpp"
#include "proxy/log.hpp"
#include "proxy/peer_stream.hpp"
#include "proxy/prepared_statements.hpp"
#include "proxy/runtime_view.hpp"
#include "proxy/server_connection.hpp"
#include "proxy/session_settings.hpp"
#include "proxy/sql_lexer.hpp"
#include "proxy/timeout.hpp"
#include "proxy/transaction_plan.hpp"

namespace pgrelay::proxy {

namespace sql = protocol::sqlstate;
using protocol::request_kind;
using clock = std::chrono::steady_clock;

// How a session ended. The cleanup switch in client_session::finish maps each to what the
// client is told and what happens to the server connection.
enum class session_outcome : std::uint8_t {
    client_closed,       // client sent Terminate or closed its socket
    cancel_handled,      // the connection carried a CancelRequest; nothing to say
    bad_startup,         // unframeable startup bytes: close without a word, as PostgreSQL
    refused,             // FATAL with sqlstate/message (protocol version, no user, ...)
    server_refused,      // the server's own FATAL during login, relayed as it is
    login_timeout,       // client did not finish startup and authentication in time
    idle_timeout,        // client idle outside a transaction for too long
    server_closed,       // server went away and the session cannot go on without it
    protocol_violation,  // client sent an unframeable message after startup
    primary_moved,       // session-bound server lost the primary role (fenced, demoted)
    shutdown,            // pgrelay is shutting down (SIGTERM): idle, or past shutdown_timeout
};

// A query's statements and where the server has got to in them (one CommandComplete each).
struct query_effects {
    statement_ptr stmt;  // extended protocol: the prepared statement executed
    std::string sql;     // simple protocol: the query text, owned here
    query_info info;     // points into sql
    std::size_t next = 0;
    const query_info& query() const { return stmt ? stmt->info : info; }
};

// What a tagged request carries for the reply side.
struct request_tag {
    std::unique_ptr<query_effects> fx;
    std::string parsed_statement;  // a Parse of this server-side name: forget it if it fails
    // An error naming this server-side statement is about the client's statement of the
    // other name.
    std::pair<std::string, std::string> renamed;
};

// Life cycle: startup -> authenticating -> login server -> relaying transactions -> ended.
// While relaying, two loops run side by side: client_to_server routes each transaction and
// leases a server for it; server_to_client forwards the replies and gives the server back
// at the end of the transaction. Only one of them writes to the client at a time: the
// server side while a server is leased, the client side (local answers) otherwise.
class client_session {
  public:
    client_session(tcp::socket socket, proxy_state& state, worker_context& worker)
        : client_(std::move(socket)),
          state_(state),
          worker_(worker),
          cfg_(state.configuration.load()),
          id_(std::to_string(state.next_client_id.fetch_add(1))),
          s2c_wake_(client_.get_executor()),
          c2s_wake_(client_.get_executor()) {
        s2c_wake_.expires_at(clock::time_point::max());
        c2s_wake_.expires_at(clock::time_point::max());
        worker_.sessions.insert(this);
    }
    ~client_session() { worker_.sessions.erase(this); }
    client_session(const client_session&) = delete;
    client_session& operator=(const client_session&) = delete;

    // Its SHOW CLIENTS row and, while it holds one, its server connection's SHOW SERVERS row
    // (on its worker's thread); `node_names` by node index.
    void describe(runtime_view& out, const std::vector<std::string>& node_names);

    asio::awaitable<void> run() {
        auto login = co_await with_timeout(login_phase(), cfg_->client_login_timeout);
        session_outcome outcome = session_outcome::login_timeout;
        if (login) outcome = *login;
        if (login && ready_) outcome = co_await relay();
        co_await finish(outcome);
    }

  private:
    // ---- startup and login -------------------------------------------------------------

    // Returns the outcome when the session ends during login; otherwise sets ready_.
    asio::awaitable<session_outcome> login_phase();

    // Runs the client's startup settings on the login server and reads the replies; the
    // server's error becomes the client's FATAL, as PostgreSQL reports a bad startup option.
    asio::awaitable<std::optional<session_outcome>> apply_settings_at_login();

    session_outcome refuse_lost_server();

    // Reads startup-phase packets until a StartupMessage or CancelRequest, answering
    // SSLRequest ('S' and a TLS handshake when [tls] allows, else 'N') and GSSENCRequest ('N').
    // Nothing on EOF, unframeable bytes or a failed handshake.
    asio::awaitable<std::optional<protocol::startup_packet>> read_startup();

    asio::awaitable<void> forward_cancel(protocol::cancel_request req);

    // ---- topology, routing and leases ---------------------------------------------------

    // The latest topology, read without a lock unless it changed since this worker thread
    // last looked (one reader cache per thread).
    std::shared_ptr<const health::topology> current_topology() const;

    // What operators and signals decided (PAUSE, disabled nodes, shutdown), read without a
    // lock unless it changed (one reader cache per thread).
    const control_state& control() const;

    // A reload published a new config: take it (timeouts, pool sizes, routing
    // settings) before the next transaction. The pool mode and routing mode stay as at login.
    void refresh_config();

    std::string node_name(std::size_t node) const;

    std::string primary_absence_reason() const;

    router_settings routing_settings() const;

    struct lease_result {
        bool ok = false;
        std::string_view sqlstate;
        std::string message;
        protocol::bytes server_error;
    };

    // Places a transaction and leases a server for it: waits for a primary up to `wait`
    // when it needs one, then for a free connection of the pool. A node that cannot be
    // reached is skipped (a read goes to another standby; a write waits, re-trying, for the
    // health checker to see the failover), so a planned switchover costs no error.
    // `exclude`: a node not to use (a conflict retry).
    asio::awaitable<lease_result> lease(route_request request, std::optional<std::size_t> exclude,
                                        std::chrono::milliseconds wait);

    // The node cannot serve now (down, starting, shutting down), as opposed to refusing this
    // client (authentication, a missing database) or a full pool.
    static bool node_unavailable(const lease_result& r);

    // Leases a connection to the node the router chose.
    asio::awaitable<lease_result> lease_on(route_decision decision);

    pool_limits session_pool_limits() const;

    void set_cancel_target();

    // Gives the server back to its pool (or closes it) and forgets the lease.
    void drop_server(bool reusable);

    void release_server() { drop_server(true); }

    // Transaction mode: the server goes back once the transaction is over and nothing is
    // outstanding (no Sync, no query), unless the client is pinned to it.
    bool releasable() const;

    // Settings and ParameterStatus that a newly leased server must be brought to: the
    // client's settings replayed (a hidden query before the client's first message), and
    // the parameters the client has not been told yet.
    void prepare_leased_server(protocol::bytes& to_server, protocol::bytes& to_client);

    // The client side, the server side and the topology watch, side by side until one ends
    // the session.
    asio::awaitable<session_outcome> relay();

    // Ends what runs on a node that lost its role: a leased server on a fenced node, or on
    // the old primary once another node is primary. Standbys that merely turn stale keep
    // their running transactions. Idle pooled connections are the pools' business.
    asio::awaitable<session_outcome> watch_topology();

    // PAUSE: a client about to start a transaction waits here until RESUME.
    asio::awaitable<void> wait_while_paused();

    // Keeps proxy_state::busy_sessions in step with session_idle().
    void update_busy();

    // Ends the session when pgrelay shuts down: as soon as it is idle (no transaction, nothing
    // awaited), or when shutdown_timeout has passed whatever it is doing.
    asio::awaitable<session_outcome> watch_control();

    // The leased server cannot go on: close it; the server side tells the client.
    void break_lease(std::string_view code, std::string message);

    // Waits until the client side may go on: no conflict retry in progress and no broken
    // lease still being cleaned up by the server side.
    asio::awaitable<void> wait_for_server_side();

    // ---- client messages -----------------------------------------------------------------

    // Forwards client messages: routes at the start of each transaction, rewrites prepared
    // statement names, answers locally what needs no server.
    asio::awaitable<session_outcome> client_to_server();

    asio::awaitable<void> flush_to_server();

    // Only the server side releases (it may be using the server's buffer); when it is
    // already waiting for the server, its read is cancelled so that it looks again.
    asio::awaitable<void> maybe_release();

    // One client message (or one chunk of a streamed one).
    asio::awaitable<std::optional<session_outcome>> handle_client_frame(const protocol::frame& f);

    // A part of a message too large to hold whole (a huge query, Bind or COPY row): the
    // first part routes and is booked; a named statement's Bind is renamed in its header.
    asio::awaitable<std::optional<session_outcome>> on_chunk(const protocol::frame& f);

    // Books the request a streamed message makes; true when it wrote the (renamed) chunk.
    bool book_first_chunk(const protocol::frame& f);

    void push_and_copy(request_kind kind, const protocol::frame& f, std::uint32_t tag = 0);

    // Starts a transaction: leases a server (primary_wait_timeout for the primary) and
    // prepares it. On failure the client is told, the message dropped (and with it, in the
    // extended protocol, everything up to the next Sync); returns false.
    // `extended`: the message that starts it belongs to the extended protocol.
    asio::awaitable<bool> start_transaction(route_request request, const protocol::frame* extended);

    // Tells the client its request failed: ErrorResponse, then ReadyForQuery for a simple
    // query; for the extended protocol the rest up to Sync is skipped and Sync answered.
    asio::awaitable<void> answer_error(std::string_view code, const std::string& message,
                                       bool extended);

    // The transaction status the client believes in while no server is leased.
    char virtual_status() const { return held_begin_.empty() ? 'I' : 'T'; }

    asio::awaitable<std::optional<session_outcome>> answer_locally_ready();

    asio::awaitable<std::optional<session_outcome>> answer_locally(std::string_view tag,
                                                                   char status);

    lexer_options lexing() const;

    void note_read_only_setting(std::string_view text);

    // What a transaction starting with these statements needs.
    route_request request_for(const query_info& q, bool explicit_tx,
                              access_mode begin_access) const;

    // Session-state effects of statements about to run: the read-only default, DEALLOCATE ALL
    // and DISCARD ALL forgetting protocol statements.
    void note_statements(const query_info& q);

    // Statements about to be executed: a statement that pins takes a pinned slot of its node
    // (max_pinned_fraction); when none is left, the refusal message is returned and the
    // statements must not run. Otherwise the tracker learns they were sent.
    std::optional<std::string> admit_statements(const query_info& q);

    // Sends, in place of the client's query or Execute, one that fails on the server with
    // `message` (53400), so the server's transaction state follows what the client is told.
    void send_refusal_query(const std::string& message);
    void send_refusal_execute(const std::string& message);

    // After ReadyForQuery 'I': pins the client while the tracker says it holds session objects,
    // unpins it once they are gone.
    void settle_pin();
    void unpin();

    // Tells the client the parameters the server reports that it has not been told yet.
    void report_parameters(protocol::bytes& out);

    std::uint32_t tag_for(std::unique_ptr<query_effects> fx, std::string parsed = {});

    // ---- simple protocol ---------------------------------------------------------------

    asio::awaitable<std::optional<session_outcome>> on_query(const protocol::frame& f);

    // A lone EXECUTE of a SQL-prepared statement is routed as the statement it executes.
    void route_sql_execute(query_info& q) const;

    // Every statement names a protocol-level statement of the client (or ALL while the
    // client has no SQL-prepared ones, which pin it).
    bool deallocates_protocol_statements(const query_info& q) const;

    asio::awaitable<void> answer_error_now(std::string_view code, std::string message);

    // The held BEGIN goes first, hidden: the client had its answer long ago.
    void send_held_begin();

    // ---- extended protocol -------------------------------------------------------------

    // Leases a server for an extended-protocol message when none is leased (after a held
    // BEGIN, for the transaction it opened).
    asio::awaitable<bool> ensure_server(const query_info* q, const protocol::frame& f);

    // Prepares the statement on the leased server when it does not have it (a hidden Parse).
    void ensure_prepared(const statement_ptr& stmt);

    void ensure_unnamed();

    asio::awaitable<std::optional<session_outcome>> on_parse(const protocol::frame& f);

    asio::awaitable<std::optional<session_outcome>> on_bind(const protocol::frame& f);

    asio::awaitable<std::optional<session_outcome>> on_describe(const protocol::frame& f);

    asio::awaitable<std::optional<session_outcome>> on_close(const protocol::frame& f);

    asio::awaitable<std::optional<session_outcome>> on_execute(const protocol::frame& f);

    // ---- replies -----------------------------------------------------------------------

    // Forwards server replies to the client, keeping the books: which request each answers,
    // settings that took effect, parameters the client was told, the end of the transaction.
    asio::awaitable<session_outcome> server_to_client();

    // Relays one lease until the server goes back to its pool or is lost.
    asio::awaitable<std::optional<session_outcome>> relay_lease();

    // One whole server message; returns true at a ReadyForQuery that leaves nothing
    // outstanding (the point where the server may go back to its pool).
    bool on_server_message(const protocol::frame& f);

    void note_command_complete(const protocol::frame& f, const protocol::reply_step& step);

    void append_to_client(protocol::byte_view raw);

    // ---- recovery conflicts ------------------------------------------------------------

    // While a lone read on a standby may still be retried: its RowDescription is held back
    // until a row (or the end) arrives; a recovery conflict before that restarts it
    // elsewhere. Returns true when the message was consumed here.
    bool on_retry_candidate_message(const protocol::frame& f);

    void release_hold();

    // The conflict's server goes back; the query runs once more on another node.
    asio::awaitable<std::optional<session_outcome>> retry_elsewhere();

    // ---- a lost lease ------------------------------------------------------------------

    // The leased server is gone (closed, failed, or its node lost its role). In transaction
    // mode the client hears an error for what it was waiting for and keeps its connection;
    // a session-mode or pinned client loses the session with the server.
    asio::awaitable<std::optional<session_outcome>> lease_lost(bool mid_message);

    // ---- idle timeout ------------------------------------------------------------------

    // Waits for client bytes; ends the session once the client has been idle (outside a
    // transaction, nothing awaited from the server) for client_idle_timeout. Nothing when
    // bytes arrived.
    asio::awaitable<std::optional<session_outcome>> read_or_idle_timeout();

    // Idle: everything sent has been answered and the client is outside a transaction.
    bool session_idle() const;

    // ---- the end -------------------------------------------------------------------------

    session_outcome refuse(std::string_view code, std::string message);

    asio::awaitable<void> send_refusal();

    asio::awaitable<void> tell_client(std::string_view code, std::string message);

    // The one cleanup switch: what the client hears, and what becomes of the server.
    asio::awaitable<void> finish(session_outcome outcome);

    peer_stream client_;
    wire_buffer cbuf_;
    proxy_state& state_;
    worker_context& worker_;
    std::shared_ptr<const config> cfg_;
    std::string id_;
    protocol::startup_message startup_;
    bool have_startup_ = false;
    bool counted_ = false;
    bool ready_ = false;
    server_login login_;
    pool_mode mode_ = pool_mode::transaction;
    routing_mode routing_ = routing_mode::automatic;
    router_settings router_settings_;  // from the config and routing_, once per session
    pool_limits pool_limits_;          // this worker's share of the database's pool
    protocol::backend_key client_key_;
    bool have_key_ = false;

    // The lease: the server running the current transaction (or the session's server).
    server_ptr current_;
    pool_key lease_key_;
    bool lease_on_primary_ = false;
    bool lease_broken_ = false;  // closed under the relay; the server side cleans up
    std::string_view broken_code_ = sql::connection_failure;
    std::string broken_message_;
    std::string broken_code_text_;  // the server's own SQLSTATE for a FATAL turned into ERROR
    protocol::response_tracker tracker_;
    std::uint32_t rfq_outstanding_ = 0;  // ReadyForQuery the client waits for (hidden ones not)
    char server_status_ = 'I';
    bool c2s_writing_ = false;
    bool release_requested_ = false;  // the client side found the lease over
    bool lease_unknown_ = false;      // a message pgrelay does not know went to the server
    asio::steady_timer s2c_wake_;     // cancelled when a lease starts or breaks
    asio::steady_timer c2s_wake_;     // cancelled when a lease ends or a retry finishes
    protocol::bytes sout_;            // client messages on their way to the server
    protocol::bytes cout_;            // server messages on their way to the client
    std::unordered_map<std::uint32_t, request_tag> tags_;
    std::uint32_t next_tag_ = 1;

    // The client's session as pgrelay keeps it across servers.
    session_settings settings_;
    std::map<std::string, std::string, std::less<>> client_view_;  // ParameterStatus sent
    statement_map statements_;                                     // by client name
    statement_map portals_;                                        // this lease's portals
    statement_ptr unnamed_;
    std::uint64_t unnamed_on_ = 0;  // the server id the unnamed statement was parsed on
    protocol::bytes empty_types_{0, 0};
    std::optional<std::string> pinned_;  // why the client keeps its server
    std::size_t pin_node_ = 0;           // the node whose pinned count includes this client
    bool busy_ = false;                  // counted in proxy_state::busy_sessions
    bool report_pending_ = false;   // hidden requests changed parameters the client may not know
    bool restore_pending_ = false;  // startup values follow the client's RESET, hidden
    protocol::bytes held_ready_;    // the client's ReadyForQuery, until they are restored
    std::optional<route_preference> route_pref_;
    bool session_read_only_ = false;
    std::string held_begin_;  // a BEGIN not yet sent: the first statement decides the node
    access_mode held_begin_access_ = access_mode::unspecified;
    char client_status_ = 'I';
    bool skip_until_sync_ = false;
    std::optional<std::pair<std::string, std::string>> deferred_failure_;

    // Recovery-conflict retry of a lone read on a standby.
    protocol::bytes retry_query_;
    protocol::bytes retry_error_;
    protocol::bytes hold_;
    bool retry_armed_ = false;
    bool retry_swallow_ = false;
    bool retry_now_ = false;
    bool retrying_ = false;
    bool holding_ = false;

    std::string moved_reason_;
    bool client_write_pending_ = false;  // a server->client write is in progress
    clock::time_point idle_since_ = clock::now();

    // ---- statistics (session_stats.cpp) --------------------------------------------------

    // A request goes to the server: starts the query's (and transaction's) clock.
    void note_request_sent();
    // The server's ReadyForQuery reached the client: one query (and, back to idle, one
    // transaction) done, on the route of the lease.
    void note_ready_forwarded();
    // An ErrorResponse the client receives (the server's or pgrelay's own).
    void note_error(std::string_view sqlstate);
    // Waiting for a server connection took `waited`.
    void note_waited(clock::duration waited);
    void note_conflict_retry();
    // Bytes to and from the client since the last call go to the database's counters.
    void flush_byte_counts();

    database_counters* stats_ = nullptr;  // the database's, from login on
    std::optional<clock::time_point> query_started_;
    std::optional<clock::time_point> transaction_started_;
    std::optional<clock::time_point> waiting_since_;  // for a server connection
    std::uint64_t bytes_in_counted_ = 0;
    std::uint64_t bytes_out_counted_ = 0;
    std::chrono::system_clock::time_point connected_at_ = std::chrono::system_clock::now();
    std::chrono::system_clock::time_point last_request_at_ = connected_at_;
    bool server_said_fatal_ = false;
    bool client_mid_message_ = false;  // the client got part of a streamed message
    protocol::bytes refusal_bytes_;
};

}  // namespace pgrelay::proxy
