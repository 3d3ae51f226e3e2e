// Asynchronous traffic through pgrelay: LISTEN/NOTIFY between two clients (the notification
// reaches an idle listener), and a CancelRequest sent with PQcancel to pgrelay's address,
// which must stop the right server query (SQLSTATE 57014) within a second.
#include <gtest/gtest.h>
#include <poll.h>

#include <thread>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/raw_client.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

using notify_ptr = std::unique_ptr<PGnotify, decltype(&PQfreemem)>;

// Waits up to `timeout` for a notification on an idle connection.
notify_ptr wait_for_notify(PGconn* conn, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (PQconsumeInput(conn) == 0) return {nullptr, &PQfreemem};
        if (PGnotify* n = PQnotifies(conn)) return {n, &PQfreemem};
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return {nullptr, &PQfreemem};
        pollfd pfd{PQsocket(conn), POLLIN, 0};
        ::poll(&pfd, 1, static_cast<int>(left.count()));
    }
}

class relay_async : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(relay_.start()); }
    pgrelay_process relay_;
};

TEST_F(relay_async, listen_notify_between_two_clients) {
    pg_conn listener = connect_or_fail(alice_login(relay_.port()));
    pg_conn notifier = connect_or_fail(superuser_login(relay_.port()));
    ASSERT_TRUE(listener && notifier);
    // Different databases do not see each other's notifications; use the same one.
    pg_conn notifier_app = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(notifier_app);

    ASSERT_TRUE(exec_ok(listener.get(), "LISTEN pgrelay_channel"));
    ASSERT_TRUE(exec_ok(notifier_app.get(), "NOTIFY pgrelay_channel, 'first'"));
    auto first = wait_for_notify(listener.get(), 5s);
    ASSERT_TRUE(first) << "the idle listener got no notification within 5 s: "
                       << PQerrorMessage(listener.get());
    EXPECT_STREQ(first->relname, "pgrelay_channel");
    EXPECT_STREQ(first->extra, "first");

    // A second one, sent with pg_notify() inside a transaction, arrives at commit.
    ASSERT_TRUE(exec_ok(notifier_app.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(notifier_app.get(), "SELECT pg_notify('pgrelay_channel', 'second')"));
    EXPECT_FALSE(wait_for_notify(listener.get(), 300ms)) << "delivered before COMMIT";
    ASSERT_TRUE(exec_ok(notifier_app.get(), "COMMIT"));
    auto second = wait_for_notify(listener.get(), 5s);
    ASSERT_TRUE(second) << "no notification after COMMIT";
    EXPECT_STREQ(second->extra, "second");

    // The database "postgres" is another namespace: nothing arrives from there.
    ASSERT_TRUE(exec_ok(notifier.get(), "NOTIFY pgrelay_channel, 'other database'"));
    EXPECT_FALSE(wait_for_notify(listener.get(), 300ms));

    // After UNLISTEN nothing more arrives, and the listener still answers queries.
    ASSERT_TRUE(exec_ok(listener.get(), "UNLISTEN pgrelay_channel"));
    ASSERT_TRUE(exec_ok(notifier_app.get(), "NOTIFY pgrelay_channel, 'third'"));
    EXPECT_FALSE(wait_for_notify(listener.get(), 300ms));
    EXPECT_EQ(query_value(listener.get(), "SELECT 'listener ok'"), "listener ok");
}

TEST_F(relay_async, cancel_stops_a_long_query_within_a_second) {
    pg_conn conn = connect_or_fail(alice_login(relay_.port()));
    pg_conn other = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(conn && other);
    ASSERT_EQ(PQsendQuery(conn.get(), "SELECT pg_sleep(30)"), 1);
    // Wait until the sleep really runs on the server.
    auto wait_until = std::chrono::steady_clock::now() + 5s;
    bool running = false;
    while (!running && std::chrono::steady_clock::now() < wait_until) {
        running = query_value(other.get(),
                              "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                              "AND query = 'SELECT pg_sleep(30)'") == "1";
        if (!running) std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(running) << "pg_sleep(30) never showed up as active";

    std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> cancel(PQgetCancel(conn.get()),
                                                              &PQfreeCancel);
    ASSERT_TRUE(cancel);
    char errbuf[256] = {};
    auto cancelled_at = std::chrono::steady_clock::now();
    ASSERT_EQ(PQcancel(cancel.get(), errbuf, sizeof errbuf), 1) << errbuf;
    bool timed_out = false;
    pg_result r = get_result_until(conn.get(), cancelled_at + 5s, &timed_out);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - cancelled_at);
    ASSERT_FALSE(timed_out) << "the query was not cancelled within 5 s";
    EXPECT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR);
    EXPECT_EQ(sqlstate(r.get()), "57014") << PQresultErrorMessage(r.get());
    EXPECT_LT(took.count(), 1000) << "cancel took " << took.count() << " ms";
    while (pg_result more{PQgetResult(conn.get())}) {
    }
    // Only that query was hit: both connections still work.
    EXPECT_EQ(query_value(conn.get(), "SELECT 'after cancel'"), "after cancel");
    EXPECT_EQ(query_value(other.get(), "SELECT 'other ok'"), "other ok");
}

TEST_F(relay_async, cancel_requests_for_other_keys_do_not_touch_a_busy_query) {
    pg_conn conn = connect_or_fail(alice_login(relay_.port()));
    pg_conn idle = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(conn && idle);
    ASSERT_EQ(PQsendQuery(conn.get(), "SELECT pg_sleep(1.5), 'finished'"), 1);
    std::this_thread::sleep_for(200ms);

    // The idle connection's own key: nothing of it runs, so nothing is cancelled.
    std::unique_ptr<PGcancel, decltype(&PQfreeCancel)> idle_cancel(PQgetCancel(idle.get()),
                                                                   &PQfreeCancel);
    ASSERT_TRUE(idle_cancel);
    char errbuf[256] = {};
    ASSERT_EQ(PQcancel(idle_cancel.get(), errbuf, sizeof errbuf), 1) << errbuf;

    // A key nobody was given (PostgreSQL docs, 55.2.7 "Canceling Requests in Progress"):
    // the CancelRequest connection is just closed.
    raw_client raw;
    ASSERT_TRUE(raw.connect(relay_.port()));
    ASSERT_TRUE(raw.send(be32(16) + be32(80877102) + be32(0x7eadbeef) + be32(0x12345678)));
    auto reply = raw.read_until_close(5s);
    EXPECT_NE(reply.end, read_end::still_open) << describe(reply);
    EXPECT_EQ(reply.data, "") << describe(reply);

    bool timed_out = false;
    pg_result r = get_result_until(conn.get(), std::chrono::steady_clock::now() + 10s, &timed_out);
    ASSERT_FALSE(timed_out);
    ASSERT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << PQresultErrorMessage(r.get());
    EXPECT_STREQ(PQgetvalue(r.get(), 0, 1), "finished");
    while (pg_result more{PQgetResult(conn.get())}) {
    }
    EXPECT_EQ(query_value(idle.get(), "SELECT 'idle ok'"), "idle ok");
}

}  // namespace
}  // namespace pgrelay::it
