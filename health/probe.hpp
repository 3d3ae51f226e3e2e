// One node's health probe: a libpq connection kept open between checks (re-opened when it
// breaks), driven without blocking on Asio (PQconnectStart/PQconnectPoll, PQsendQuery,
// PQconsumeInput, waiting on PQsocket), and one query per check that returns everything
// the topology needs in one round trip. Works on PostgreSQL 12 and later.
#pragma once

#include <libpq-fe.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "health/node_sample.hpp"

namespace pgrelay::health {

struct probe_target {
    std::string host;
    std::uint16_t port = 5432;
    std::string user;
    std::string password;
    std::string dbname = "postgres";
    std::string sslmode = "disable";  // libpq's sslmode, as pgrelay's own connections use
    std::string sslrootcert;          // the CA file for verify-ca / verify-full; empty: none
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds query_timeout{2000};
};

// The probe query (exposed for tests and docs).
extern const char* const probe_sql;

// Turns the probe query's single result row into a sample; nothing when the row is not what
// the query produces. Pure, for unit tests.
std::optional<node_sample> parse_probe_row(const PGresult* result);

// Parses the replicas column: rows separated by '\n', fields by '\t'.
std::vector<replica_row> parse_replicas(std::string_view text);

// Classifies a libpq connection error message.
probe_failure classify_connect_error(std::string_view message);

// The answer of node_probe::fetch_value: the first column of the first row (nothing when
// NULL or no row), or the error.
struct value_result {
    bool ok = false;
    std::optional<std::string> value;
    std::string error;
};

class node_probe {
  public:
    node_probe(boost::asio::any_io_executor executor, probe_target target);
    ~node_probe();
    node_probe(const node_probe&) = delete;
    node_probe& operator=(const node_probe&) = delete;

    // Connects when needed, runs the probe query, returns the sample or the failure.
    boost::asio::awaitable<probe_result> check();

    // Runs statements on the same kind of connection (opened when needed) and returns the
    // first value of the last one; query_timeout bounds it. For operations such as a switchover.
    boost::asio::awaitable<value_result> fetch_value(const char* sql);

    const probe_target& target() const { return target_; }
    void set_target(probe_target t);

  private:
    enum class wait_for : std::uint8_t { read, write };
    boost::asio::awaitable<bool> wait(wait_for what,
                                      std::chrono::steady_clock::time_point deadline);
    boost::asio::awaitable<probe_result> connect();
    boost::asio::awaitable<probe_result> ensure_connected(bool& reused);
    // Sends `sql`, collects its last result (the last statement's, or the error that stopped
    // them) into `first`, which the caller clears unless the returned result says it failed.
    boost::asio::awaitable<probe_result> exchange(const char* sql, PGresult*& first);
    boost::asio::awaitable<probe_result> query();
    void disconnect();
    void watch_socket();

    boost::asio::any_io_executor executor_;
    probe_target target_;
    PGconn* conn_ = nullptr;
    std::optional<boost::asio::posix::stream_descriptor> socket_;  // borrows PQsocket(conn_)
    int watched_fd_ = -1;
};

}  // namespace pgrelay::health
