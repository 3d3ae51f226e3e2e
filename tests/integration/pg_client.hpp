// libpq helpers for the integration tests: owning handles, connection strings, connecting
// with the server's SQLSTATE recovered from a failed login, running statements with gtest
// assertion results, and psql/pgbench runs as subprocesses.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/subprocess.hpp"

namespace pgrelay::it {

struct pgconn_deleter {
    void operator()(PGconn* c) const { PQfinish(c); }
};
struct pgresult_deleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using pg_conn = std::unique_ptr<PGconn, pgconn_deleter>;
using pg_result = std::unique_ptr<PGresult, pgresult_deleter>;

// Who connects where. sslmode/gssencmode default to "disable"; the SSL-negotiation test asks
// for "prefer" explicitly.
struct login {
    std::uint16_t port = 0;
    std::string user;
    std::string password;  // empty: none given
    std::string dbname = "postgres";
    std::string sslmode = "disable";
    std::string extra;      // more "key=value" pairs
    std::string pgoptions;  // PGOPTIONS for libpq programs (psql, pgbench)

    [[nodiscard]] std::string conninfo() const;
};

login superuser_login(std::uint16_t port);  // postgres/postgres on db postgres
login alice_login(std::uint16_t port);      // alice/alice-secret on db app

struct connect_outcome {
    pg_conn conn;          // set when the connection is up
    std::string error;     // libpq's message otherwise
    std::string sqlstate;  // of the server's (or pgrelay's) ErrorResponse, if one came
    std::chrono::milliseconds elapsed{0};

    [[nodiscard]] bool ok() const { return conn != nullptr; }
};

// Connects with verbose errors so a failed login still tells its SQLSTATE.
connect_outcome try_connect(const login& who,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Connects or fails the current test (use with ASSERT_TRUE(conn)).
pg_conn connect_or_fail(const login& who);

// PQgetResult that gives up at `deadline` (setting *timed_out) instead of blocking forever.
pg_result get_result_until(PGconn* conn, std::chrono::steady_clock::time_point deadline,
                           bool* timed_out);

// SQLSTATE of a result ("" if none).
std::string sqlstate(const PGresult* result);

// Runs SQL expecting PGRES_COMMAND_OK or PGRES_TUPLES_OK.
::testing::AssertionResult exec_ok(PGconn* conn, const std::string& sql);

// Runs SQL expecting an error with the given SQLSTATE.
::testing::AssertionResult exec_fails_with(PGconn* conn, const std::string& sql,
                                           const std::string& expected_sqlstate);

// The first column of the first row ("<error: ...>" on failure, so comparisons fail loudly).
std::string query_value(PGconn* conn, const std::string& sql);

// Promotes the standby on `port` (superuser) and waits until it has left recovery: "true",
// or "<error: ...>". pg_promote(wait => true) is not used: its own long-running query keeps a
// snapshot that cleanup records replayed during the promotion conflict with, so on a busy
// standby it can hold replay back until max_standby_streaming_delay cancels it.
std::string promote(std::uint16_t port, std::chrono::milliseconds wait = std::chrono::seconds(60));

// "true" when pgbench's TPC-B tables are consistent: history is not empty and the account and
// branch balances both add up to its deltas (every transaction committed whole or not at all).
inline const std::string tpcb_balanced_sql =
    "SELECT ((SELECT count(*) FROM pgbench_history) > 0 AND "
    "(SELECT sum(abalance) FROM pgbench_accounts) = "
    "(SELECT coalesce(sum(delta), 0) FROM pgbench_history) AND "
    "(SELECT sum(bbalance) FROM pgbench_branches) = "
    "(SELECT coalesce(sum(delta), 0) FROM pgbench_history))::text";

// Hex MD5 of bytes, as PostgreSQL's md5() prints it.
std::string md5_hex(const std::string& data);

// psql -X -v ON_ERROR_STOP=1 -At with the login's connection settings in the environment.
command_result run_psql(const login& who, const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

// pgbench with the login's connection settings in the environment.
command_result run_pgbench(const login& who, const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = std::chrono::seconds(120));

// The environment libpq programs need for a login (PGHOST, PGPORT, PGUSER, PGPASSWORD, ...).
std::vector<std::pair<std::string, std::string>> libpq_env(const login& who);

}  // namespace pgrelay::it
