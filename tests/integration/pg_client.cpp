// libpq helpers: the non-blocking connect loop (PQconnectStart/PQconnectPoll) that turns on
// verbose errors first so "FATAL:  28P01: ..." carries the SQLSTATE of a refused login, result
// checks phrased as gtest assertion results, and psql/pgbench runs.
#include "tests/integration/pg_client.hpp"

#include <openssl/evp.h>
#include <poll.h>

#include <regex>
#include <thread>

namespace pgrelay::it {

namespace {

std::string quote_conninfo_value(const std::string& value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

}  // namespace

std::string login::conninfo() const {
    std::string s = "host=127.0.0.1 port=" + std::to_string(port) +
                    " user=" + quote_conninfo_value(user) +
                    " dbname=" + quote_conninfo_value(dbname) + " sslmode=" + sslmode +
                    " gssencmode=disable connect_timeout=10 application_name=pgrelay-it";
    if (!password.empty()) s += " password=" + quote_conninfo_value(password);
    if (!extra.empty()) s += " " + extra;
    return s;
}

login superuser_login(std::uint16_t port) {
    return {.port = port, .user = "postgres", .password = "postgres", .dbname = "postgres"};
}

login alice_login(std::uint16_t port) {
    return {.port = port, .user = "alice", .password = "alice-secret", .dbname = "app"};
}

connect_outcome try_connect(const login& who, std::chrono::milliseconds timeout) {
    connect_outcome outcome;
    auto start = std::chrono::steady_clock::now();
    auto deadline = start + timeout;
    pg_conn conn(PQconnectStart(who.conninfo().c_str()));
    if (!conn) {
        outcome.error = "PQconnectStart: out of memory";
        return outcome;
    }
    PQsetErrorVerbosity(conn.get(), PQERRORS_VERBOSE);
    PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
    if (PQstatus(conn.get()) == CONNECTION_BAD) poll_status = PGRES_POLLING_FAILED;
    while (poll_status != PGRES_POLLING_OK && poll_status != PGRES_POLLING_FAILED) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            outcome.error = "connect timed out after " + std::to_string(timeout.count()) + " ms";
            outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start);
            return outcome;
        }
        pollfd pfd{PQsocket(conn.get()),
                   static_cast<short>(poll_status == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        poll_status = PQconnectPoll(conn.get());
    }
    outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (poll_status == PGRES_POLLING_OK && PQstatus(conn.get()) == CONNECTION_OK) {
        PQsetErrorVerbosity(conn.get(), PQERRORS_DEFAULT);
        outcome.conn = std::move(conn);
        return outcome;
    }
    outcome.error = PQerrorMessage(conn.get());
    static const std::regex sqlstate_re("(?:ERROR|FATAL|PANIC):  ([0-9A-Z]{5}): ");
    std::smatch m;
    if (std::regex_search(outcome.error, m, sqlstate_re)) outcome.sqlstate = m[1];
    return outcome;
}

pg_conn connect_or_fail(const login& who) {
    auto outcome = try_connect(who);
    if (!outcome.ok()) {
        ADD_FAILURE() << "cannot connect as " << who.user << " to port " << who.port << ": "
                      << outcome.error;
    }
    return std::move(outcome.conn);
}

pg_result get_result_until(PGconn* conn, std::chrono::steady_clock::time_point deadline,
                           bool* timed_out) {
    *timed_out = false;
    while (PQisBusy(conn)) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            *timed_out = true;
            return nullptr;
        }
        pollfd pfd{PQsocket(conn), POLLIN, 0};
        if (::poll(&pfd, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        if (PQconsumeInput(conn) == 0) break;
    }
    return pg_result(PQgetResult(conn));
}

std::string sqlstate(const PGresult* result) {
    const char* s = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    return s != nullptr ? s : "";
}

::testing::AssertionResult exec_ok(PGconn* conn, const std::string& sql) {
    if (conn == nullptr) return ::testing::AssertionFailure() << "no connection";
    pg_result r(PQexec(conn, sql.c_str()));
    auto status = PQresultStatus(r.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "\"" << sql.substr(0, 200) << "\" gave " << PQresStatus(status) << " ["
           << sqlstate(r.get()) << "] " << PQerrorMessage(conn);
}

::testing::AssertionResult exec_fails_with(PGconn* conn, const std::string& sql,
                                           const std::string& expected_sqlstate) {
    if (conn == nullptr) return ::testing::AssertionFailure() << "no connection";
    pg_result r(PQexec(conn, sql.c_str()));
    auto status = PQresultStatus(r.get());
    if (status == PGRES_FATAL_ERROR && sqlstate(r.get()) == expected_sqlstate) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "\"" << sql.substr(0, 200) << "\" gave " << PQresStatus(status) << " ["
           << sqlstate(r.get()) << "] " << PQerrorMessage(conn) << ", expected SQLSTATE "
           << expected_sqlstate;
}

std::string query_value(PGconn* conn, const std::string& sql) {
    if (conn == nullptr) return "<error: no connection>";
    pg_result r(PQexec(conn, sql.c_str()));
    if (PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
        return "<error: " + std::string(PQresStatus(PQresultStatus(r.get()))) + " [" +
               sqlstate(r.get()) + "] " + PQerrorMessage(conn) + ">";
    }
    if (PQntuples(r.get()) < 1 || PQnfields(r.get()) < 1) return "<error: no rows>";
    if (PQgetisnull(r.get(), 0, 0)) return "<null>";
    return std::string(PQgetvalue(r.get(), 0, 0),
                       static_cast<std::size_t>(PQgetlength(r.get(), 0, 0)));
}

std::string promote(std::uint16_t port, std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    auto c = try_connect(superuser_login(port), std::chrono::seconds(5));
    if (!c.ok()) return "<error: " + c.error + ">";
    const std::string started = query_value(c.conn.get(), "SELECT pg_promote(wait => false)::text");
    if (started != "true") return started;
    std::string in_recovery;
    while (std::chrono::steady_clock::now() < deadline) {
        in_recovery = query_value(c.conn.get(), "SELECT pg_is_in_recovery()::text");
        if (in_recovery == "false") return "true";
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return "<error: still in recovery after the wait: " + in_recovery + ">";
}

std::string md5_hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> libpq_env(const login& who) {
    std::vector<std::pair<std::string, std::string>> env = {
        {"PGHOST", "127.0.0.1"},      {"PGPORT", std::to_string(who.port)},
        {"PGUSER", who.user},         {"PGDATABASE", who.dbname},
        {"PGSSLMODE", who.sslmode},   {"PGGSSENCMODE", "disable"},
        {"PGCONNECT_TIMEOUT", "10"},  {"PGAPPNAME", "pgrelay-it"},
        {"PGPASSWORD", who.password}, {"PGOPTIONS", who.pgoptions},
    };
    return env;
}

command_result run_psql(const login& who, const std::vector<std::string>& args,
                        std::chrono::milliseconds timeout) {
    std::vector<std::string> argv = {"psql", "-X", "-v", "ON_ERROR_STOP=1", "-At"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {.env = libpq_env(who), .timeout = timeout});
}

command_result run_pgbench(const login& who, const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout) {
    std::vector<std::string> argv = {"pgbench"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {.env = libpq_env(who), .timeout = timeout});
}

}  // namespace pgrelay::it
