// The libpq health probe on Asio; see probe.hpp.
#include "health/probe.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstdlib>

namespace pgrelay::health {

namespace asio = boost::asio;
using namespace std::chrono;

// One row. CASE keeps primary-only and standby-only functions from running where they
// would fail. The timeline of a primary is the first 8 hex digits of its current WAL file
// name; a standby's is its last restartpoint's (the WAL receiver's received_tli is fresher
// and is preferred when present). concat_ws would skip NULLs, hence the coalesces.
const char* const probe_sql = R"SQL(
SELECT pg_is_in_recovery(),
  CASE WHEN pg_is_in_recovery() THEN (SELECT timeline_id FROM pg_control_checkpoint())
       ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,
  CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn() END,
  pg_last_wal_receive_lsn(),
  pg_last_wal_replay_lsn(),
  (extract(epoch FROM pg_last_xact_replay_timestamp()) * 1000)::bigint,
  CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END,
  current_setting('server_version_num')::int,
  r.status, r.received_tli, r.sender_host, r.sender_port,
  (SELECT string_agg(concat_ws(E'\t', translate(coalesce(application_name, ''), E'\t\n', '  '),
            coalesce(host(client_addr), ''), coalesce(state, ''), coalesce(sent_lsn::text, ''),
            coalesce(write_lsn::text, ''), coalesce(flush_lsn::text, ''),
            coalesce(replay_lsn::text, '')), E'\n')
     FROM pg_stat_replication)
FROM (SELECT 1) AS one LEFT JOIN pg_stat_wal_receiver AS r ON true
)SQL";

namespace {

enum column : int {
    c_in_recovery,
    c_timeline,
    c_current_lsn,
    c_receive_lsn,
    c_replay_lsn,
    c_last_replay_ms,
    c_replay_paused,
    c_server_version,
    c_receiver_status,
    c_received_tli,
    c_sender_host,
    c_sender_port,
    c_replicas,
    column_count
};

template <typename T>
std::optional<T> to_number(std::string_view s) {
    T v{};
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        auto pos = s.find(sep, start);
        out.push_back(
            s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    return out;
}

probe_result failed(probe_failure f, std::string detail) {
    probe_result r;
    r.failure = f;
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' '))
        detail.pop_back();
    for (auto& c : detail)
        if (c == '\n') c = ' ';
    r.detail = std::move(detail);
    return r;
}

}  // namespace

std::vector<replica_row> parse_replicas(std::string_view text) {
    std::vector<replica_row> rows;
    if (text.empty()) return rows;
    for (auto line : split(text, '\n')) {
        auto f = split(line, '\t');
        if (f.size() != 7) continue;
        replica_row r;
        r.application_name = f[0];
        r.client_addr = f[1];
        r.state = f[2];
        r.sent_lsn = parse_lsn(f[3]);
        r.write_lsn = parse_lsn(f[4]);
        r.flush_lsn = parse_lsn(f[5]);
        r.replay_lsn = parse_lsn(f[6]);
        rows.push_back(std::move(r));
    }
    return rows;
}

std::optional<node_sample> parse_probe_row(const PGresult* res) {
    if (res == nullptr || PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
        PQnfields(res) != column_count) {
        return std::nullopt;
    }
    auto get = [res](int c) -> std::optional<std::string_view> {
        if (PQgetisnull(res, 0, c)) return std::nullopt;
        return std::string_view(PQgetvalue(res, 0, c),
                                static_cast<std::size_t>(PQgetlength(res, 0, c)));
    };
    node_sample s;
    auto rec = get(c_in_recovery);
    if (!rec) return std::nullopt;
    s.in_recovery = *rec == "t";
    auto tli = get(c_timeline);
    if (!tli) return std::nullopt;
    auto tli_value = to_number<std::int64_t>(*tli);
    if (!tli_value || *tli_value < 0) return std::nullopt;
    s.timeline = static_cast<std::uint32_t>(*tli_value);
    if (auto v = get(c_current_lsn)) s.current_lsn = parse_lsn(*v);
    if (auto v = get(c_receive_lsn)) s.receive_lsn = parse_lsn(*v);
    if (auto v = get(c_replay_lsn)) s.replay_lsn = parse_lsn(*v);
    if (auto v = get(c_last_replay_ms)) {
        if (auto ms = to_number<std::int64_t>(*v))
            s.last_replay_at = wall_clock::time_point(milliseconds(*ms));
    }
    s.replay_paused = get(c_replay_paused).value_or("f") == "t";
    s.server_version = to_number<int>(get(c_server_version).value_or("0")).value_or(0);
    if (auto v = get(c_receiver_status)) s.receiver_status = *v;
    if (auto v = get(c_received_tli)) {
        if (auto t = to_number<std::uint32_t>(*v)) s.received_tli = *t;
    }
    if (auto v = get(c_sender_host)) s.upstream_host = *v;
    if (auto v = get(c_sender_port)) s.upstream_port = to_number<int>(*v).value_or(0);
    if (auto v = get(c_replicas)) s.replicas = parse_replicas(*v);
    if (!s.in_recovery && !s.current_lsn) return std::nullopt;
    return s;
}

probe_failure classify_connect_error(std::string_view m) {
    auto has = [m](std::string_view s) { return m.find(s) != std::string_view::npos; };
    if (has("the database system is starting up") || has("not yet accepting connections") ||
        has("is not accepting connections") || has("the database system is shutting down") ||
        has("in recovery mode")) {
        return probe_failure::starting_up;
    }
    if (has("password authentication failed") || has("no pg_hba.conf entry") ||
        (has("role \"") && has("does not exist")) || has("authentication failed")) {
        return probe_failure::auth_failed;
    }
    if (has("timeout")) return probe_failure::connect_timeout;
    if (has("server closed the connection unexpectedly")) return probe_failure::connection_lost;
    return probe_failure::connect_refused;
}

node_probe::node_probe(asio::any_io_executor executor, probe_target target)
    : executor_(std::move(executor)), target_(std::move(target)) {}

node_probe::~node_probe() {
    disconnect();
}

void node_probe::set_target(probe_target t) {
    if (t.host != target_.host || t.port != target_.port || t.user != target_.user ||
        t.password != target_.password || t.dbname != target_.dbname) {
        disconnect();
    }
    target_ = std::move(t);
}

void node_probe::disconnect() {
    if (socket_) {
        socket_->release();  // libpq owns the descriptor
        socket_.reset();
    }
    watched_fd_ = -1;
    if (conn_) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
}

void node_probe::watch_socket() {
    // libpq may close and reopen its socket while connecting (one per address tried), and a
    // new socket can get the old number: register afresh every time.
    if (socket_) {
        socket_->release();
        socket_.reset();
    }
    watched_fd_ = PQsocket(conn_);
    if (watched_fd_ >= 0) socket_.emplace(executor_, watched_fd_);
}

asio::awaitable<bool> node_probe::wait(wait_for what, steady_clock::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    if (!socket_) co_return false;
    asio::steady_timer timer(executor_, deadline);
    const auto dir = what == wait_for::read ? asio::posix::descriptor_base::wait_read
                                            : asio::posix::descriptor_base::wait_write;
    auto token = asio::as_tuple(asio::use_awaitable);
    auto r = co_await (socket_->async_wait(dir, token) || timer.async_wait(token));
    co_return r.index() == 0 && !std::get<0>(std::get<0>(r));
}

asio::awaitable<probe_result> node_probe::connect() {
    const std::string port = std::to_string(target_.port);
    // An empty value (no sslrootcert) is ignored by libpq, as if the key were absent.
    const char* keys[] = {
        "host",       "port",    "user",        "password", "dbname", "application_name",
        "gssencmode", "sslmode", "sslrootcert", nullptr};
    const char* values[] = {target_.host.c_str(),
                            port.c_str(),
                            target_.user.c_str(),
                            target_.password.c_str(),
                            target_.dbname.c_str(),
                            "pgrelay health check",
                            "disable",
                            target_.sslmode.c_str(),
                            target_.sslrootcert.c_str(),
                            nullptr};
    conn_ = PQconnectStartParams(keys, values, 0);
    if (conn_ == nullptr) co_return failed(probe_failure::connect_refused, "out of memory");
    if (PQstatus(conn_) == CONNECTION_BAD) {
        auto r = failed(classify_connect_error(PQerrorMessage(conn_)), PQerrorMessage(conn_));
        disconnect();
        co_return r;
    }
    const auto deadline = steady_clock::now() + target_.connect_timeout;
    auto poll = PGRES_POLLING_WRITING;
    while (true) {
        if (poll == PGRES_POLLING_OK) break;
        if (poll == PGRES_POLLING_FAILED) {
            std::string msg = PQerrorMessage(conn_);
            auto r = failed(classify_connect_error(msg), msg);
            disconnect();
            co_return r;
        }
        watch_socket();
        if (!co_await wait(poll == PGRES_POLLING_READING ? wait_for::read : wait_for::write,
                           deadline)) {
            disconnect();
            co_return failed(probe_failure::connect_timeout,
                             "timeout after " + std::to_string(target_.connect_timeout.count()) +
                                 " ms connecting to " + target_.host + ":" + port);
        }
        poll = PQconnectPoll(conn_);
    }
    PQsetnonblocking(conn_, 1);
    watch_socket();
    co_return probe_result{};
}

asio::awaitable<probe_result> node_probe::exchange(const char* sql, PGresult*& first) {
    first = nullptr;
    const auto deadline = steady_clock::now() + target_.query_timeout;
    auto timed_out = [this] {
        return failed(
            probe_failure::query_timeout,
            "query took longer than " + std::to_string(target_.query_timeout.count()) + " ms");
    };
    if (!PQsendQuery(conn_, sql))
        co_return failed(probe_failure::connection_lost, PQerrorMessage(conn_));
    while (true) {
        int f = PQflush(conn_);
        if (f == 0) break;
        if (f < 0) co_return failed(probe_failure::connection_lost, PQerrorMessage(conn_));
        if (!co_await wait(wait_for::write, deadline)) co_return timed_out();
    }
    auto drop_first = [&first] {
        if (first) PQclear(first);
        first = nullptr;
    };
    while (true) {
        if (!PQconsumeInput(conn_)) {
            drop_first();
            co_return failed(probe_failure::connection_lost, PQerrorMessage(conn_));
        }
        bool done = false;
        while (!PQisBusy(conn_)) {
            PGresult* res = PQgetResult(conn_);
            if (res == nullptr) {
                done = true;
                break;
            }
            if (first != nullptr) PQclear(first);  // keep the last statement's result
            first = res;
        }
        if (done) break;
        if (!co_await wait(wait_for::read, deadline)) {
            drop_first();
            co_return timed_out();
        }
    }
    if (first == nullptr) co_return failed(probe_failure::connection_lost, PQerrorMessage(conn_));
    if (PQresultStatus(first) != PGRES_TUPLES_OK && PQresultStatus(first) != PGRES_COMMAND_OK) {
        const char* state = PQresultErrorField(first, PG_DIAG_SQLSTATE);
        std::string msg = PQresultErrorMessage(first);
        while (!msg.empty() && msg.back() == '\n')
            msg.pop_back();
        if (state) msg = std::string(state) + ": " + msg;
        drop_first();
        auto failure = PQstatus(conn_) == CONNECTION_OK ? probe_failure::query_failed
                                                        : probe_failure::connection_lost;
        co_return failed(failure, msg);
    }
    co_return probe_result{};
}

asio::awaitable<probe_result> node_probe::query() {
    PGresult* res = nullptr;
    auto r = co_await exchange(probe_sql, res);
    if (r.failure != probe_failure::none) co_return r;
    r.sample = parse_probe_row(res);
    PQclear(res);
    if (!r.sample) co_return failed(probe_failure::query_failed, "unexpected probe result shape");
    co_return r;
}

asio::awaitable<probe_result> node_probe::ensure_connected(bool& reused) {
    reused = conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
    if (reused) co_return probe_result{};
    disconnect();
    co_return co_await connect();
}

asio::awaitable<value_result> node_probe::fetch_value(const char* sql) {
    // A kept connection may have died since it was last used: one fresh retry.
    for (int attempt = 0; attempt < 2; ++attempt) {
        bool reused = false;
        auto c = co_await ensure_connected(reused);
        if (c.failure != probe_failure::none) co_return value_result{false, std::nullopt, c.detail};
        PGresult* res = nullptr;
        auto r = co_await exchange(sql, res);
        if (r.failure == probe_failure::none) {
            value_result v{true, std::nullopt, {}};
            if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
                v.value = std::string(PQgetvalue(res, 0, 0),
                                      static_cast<std::size_t>(PQgetlength(res, 0, 0)));
            PQclear(res);
            co_return v;
        }
        if (r.failure != probe_failure::query_failed) disconnect();
        if (r.failure == probe_failure::connection_lost && reused) continue;
        co_return value_result{false, std::nullopt, r.detail};
    }
    co_return value_result{false, std::nullopt, "connection lost"};
}

asio::awaitable<probe_result> node_probe::check() {
    // A kept connection may have died since the last check (a restart): one fresh retry.
    for (int attempt = 0; attempt < 2; ++attempt) {
        bool reused = false;
        auto c = co_await ensure_connected(reused);
        if (c.failure != probe_failure::none) co_return c;
        auto r = co_await query();
        if (r.failure != probe_failure::none && r.failure != probe_failure::query_failed)
            disconnect();
        if (r.failure == probe_failure::connection_lost && reused) continue;
        co_return r;
    }
    co_return failed(probe_failure::connection_lost, "connection lost");
}

}  // namespace pgrelay::health
