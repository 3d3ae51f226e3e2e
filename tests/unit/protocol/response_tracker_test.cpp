// Unit tests of response_tracker (protocol/response_tracker.hpp): every request kind's
// reply sequence, pipelined extended batches, errors at each position and the skip to Sync,
// hidden (proxy-injected) requests, async messages, COPY, out-of-turn messages, and a
// randomized run against a model PostgreSQL server with fixed seeds.
#include "protocol/response_tracker.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

namespace pgrelay::protocol {
namespace {

// --- helpers -------------------------------------------------------------------------

using rk = request_kind;

request req(rk kind, std::uint32_t tag = 0, bool hidden = false) {
    return request{kind, hidden, tag};
}
request hidden_req(rk kind, std::uint32_t tag = 0) {
    return req(kind, tag, true);
}

reply_step feed(response_tracker& t, char type) {
    return t.on_server_message(static_cast<std::uint8_t>(type));
}

// Feeds each message of `types`, expecting none of them to end anything (and each to be
// forwarded as `forward` says, unless it is an ErrorResponse).
void feed_nonending(response_tracker& t, const std::string& types, bool forward = true) {
    for (char c : types) {
        SCOPED_TRACE(std::string("message ") + c);
        const std::size_t before = t.outstanding();
        reply_step s = feed(t, c);
        EXPECT_FALSE(s.ends_request);
        EXPECT_EQ(s.forward, forward || c == 'E');
        EXPECT_EQ(s.error, c == 'E');
        EXPECT_FALSE(s.idle);
        EXPECT_EQ(s.skipped, 0u);
        EXPECT_FALSE(s.unexpected);
        EXPECT_EQ(t.outstanding(), before);
    }
}

// Feeds one message that must end the head request, of the given kind and tag.
reply_step feed_ending(response_tracker& t, char type, rk kind, std::uint32_t tag) {
    SCOPED_TRACE(std::string("ending message ") + type);
    const std::size_t before = t.outstanding();
    reply_step s = feed(t, type);
    EXPECT_TRUE(s.ends_request);
    EXPECT_EQ(s.finished.kind, kind);
    EXPECT_EQ(s.finished.tag, tag);
    EXPECT_EQ(s.error, type == 'E');
    EXPECT_FALSE(s.unexpected);
    EXPECT_EQ(t.outstanding() + 1 + s.skipped, before);
    return s;
}

// Pushes Parse, Bind, Describe, Execute, Sync with tags base..base+4.
void push_batch(response_tracker& t, std::uint32_t base, bool hidden = false) {
    t.push(req(rk::parse, base, hidden));
    t.push(req(rk::bind, base + 1, hidden));
    t.push(req(rk::describe, base + 2, hidden));
    t.push(req(rk::execute, base + 3, hidden));
    t.push(req(rk::sync, base + 4, hidden));
}

// The normal replies to push_batch (a portal Describe, two rows).
void answer_batch(response_tracker& t, std::uint32_t base, bool last) {
    feed_ending(t, '1', rk::parse, base);
    feed_ending(t, '2', rk::bind, base + 1);
    feed_ending(t, 'T', rk::describe, base + 2);
    feed_nonending(t, "DD");
    feed_ending(t, 'C', rk::execute, base + 3);
    reply_step z = feed_ending(t, 'Z', rk::sync, base + 4);
    EXPECT_EQ(z.idle, last);
    EXPECT_EQ(t.idle(), last);
}

// --- fresh state ---------------------------------------------------------------------

TEST(ResponseTracker, fresh_tracker_is_idle) {
    response_tracker t;
    EXPECT_TRUE(t.idle());
    EXPECT_EQ(t.outstanding(), 0u);
    EXPECT_FALSE(t.syncing());
    EXPECT_EQ(t.head(), nullptr);
}

TEST(ResponseTracker, push_makes_busy_and_head_is_oldest) {
    response_tracker t;
    t.push(req(rk::query, 7));
    t.push(req(rk::parse, 8, true));
    EXPECT_FALSE(t.idle());
    EXPECT_EQ(t.outstanding(), 2u);
    ASSERT_NE(t.head(), nullptr);
    EXPECT_EQ(t.head()->kind, rk::query);
    EXPECT_EQ(t.head()->tag, 7u);
    EXPECT_FALSE(t.head()->hidden);
}

// --- simple query --------------------------------------------------------------------

TEST(ResponseTrackerQuery, rows_then_ready_for_query) {
    response_tracker t;
    t.push(req(rk::query, 11));
    feed_nonending(t, "TDDDC");
    reply_step z = feed_ending(t, 'Z', rk::query, 11);
    EXPECT_TRUE(z.forward);
    EXPECT_TRUE(z.idle);
    EXPECT_TRUE(t.idle());
    EXPECT_EQ(t.head(), nullptr);
}

TEST(ResponseTrackerQuery, multi_statement_ends_only_at_ready_for_query) {
    response_tracker t;
    t.push(req(rk::query, 1));
    feed_nonending(t, "TDCCTDDCI");
    EXPECT_EQ(t.outstanding(), 1u);
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 1).idle);
}

TEST(ResponseTrackerQuery, empty_query) {
    response_tracker t;
    t.push(req(rk::query, 2));
    feed_nonending(t, "I");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 2).idle);
}

TEST(ResponseTrackerQuery, error_does_not_end_and_skips_nothing) {
    response_tracker t;
    t.push(req(rk::query, 3));
    t.push(req(rk::query, 4));
    reply_step e = feed(t, 'E');
    EXPECT_TRUE(e.error);
    EXPECT_TRUE(e.forward);
    EXPECT_FALSE(e.ends_request);
    EXPECT_EQ(e.skipped, 0u);
    EXPECT_FALSE(t.syncing());
    EXPECT_EQ(t.outstanding(), 2u);
    EXPECT_FALSE(feed_ending(t, 'Z', rk::query, 3).idle);
    feed_nonending(t, "TDC");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 4).idle);
}

TEST(ResponseTrackerQuery, error_after_rows) {
    response_tracker t;
    t.push(req(rk::query, 5));
    feed_nonending(t, "TDDE");
    EXPECT_FALSE(t.syncing());
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 5).idle);
}

TEST(ResponseTrackerQuery, pipelined_queries_idle_only_at_last) {
    response_tracker t;
    for (std::uint32_t i = 0; i < 4; ++i)
        t.push(req(rk::query, 100 + i));
    for (std::uint32_t i = 0; i < 4; ++i) {
        feed_nonending(t, "TDC");
        reply_step z = feed_ending(t, 'Z', rk::query, 100 + i);
        EXPECT_EQ(z.idle, i == 3);
        EXPECT_EQ(t.idle(), i == 3);
        EXPECT_EQ(t.outstanding(), 3u - i);
    }
}

TEST(ResponseTrackerQuery, copy_out) {
    response_tracker t;
    t.push(req(rk::query, 6));
    feed_nonending(t, "HdddcC");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 6).idle);
}

TEST(ResponseTrackerQuery, copy_in) {
    response_tracker t;
    t.push(req(rk::query, 7));
    feed_nonending(t, "GC");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 7).idle);
}

TEST(ResponseTrackerQuery, copy_in_failed) {
    response_tracker t;
    t.push(req(rk::query, 8));
    feed_nonending(t, "GE");
    EXPECT_FALSE(t.syncing());
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 8).idle);
}

TEST(ResponseTrackerQuery, copy_both) {
    response_tracker t;
    t.push(req(rk::query, 9));
    feed_nonending(t, "WddddcC");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 9).idle);
}

TEST(ResponseTrackerQuery, copy_then_select_in_one_query) {
    response_tracker t;
    t.push(req(rk::query, 10));
    feed_nonending(t, "HdcCGCTDC");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 10).idle);
}

// --- function call -------------------------------------------------------------------

TEST(ResponseTrackerFunctionCall, result_then_ready_for_query) {
    response_tracker t;
    t.push(req(rk::function_call, 12));
    feed_nonending(t, "V");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::function_call, 12).idle);
}

TEST(ResponseTrackerFunctionCall, error_then_ready_for_query) {
    response_tracker t;
    t.push(req(rk::function_call, 13));
    t.push(req(rk::query, 14));
    feed_nonending(t, "E");
    EXPECT_FALSE(t.syncing());
    EXPECT_FALSE(feed_ending(t, 'Z', rk::function_call, 13).idle);
    feed_nonending(t, "I");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 14).idle);
}

// --- extended query, one request at a time --------------------------------------------

TEST(ResponseTrackerExtended, parse_complete) {
    response_tracker t;
    t.push(req(rk::parse, 20));
    reply_step s = feed_ending(t, '1', rk::parse, 20);
    EXPECT_FALSE(s.idle);  // only a ReadyForQuery reports idle
    EXPECT_TRUE(s.forward);
    EXPECT_EQ(t.outstanding(), 0u);
}

TEST(ResponseTrackerExtended, bind_complete) {
    response_tracker t;
    t.push(req(rk::bind, 21));
    feed_ending(t, '2', rk::bind, 21);
}

TEST(ResponseTrackerExtended, close_complete) {
    response_tracker t;
    t.push(req(rk::close, 22));
    feed_ending(t, '3', rk::close, 22);
}

TEST(ResponseTrackerExtended, describe_statement_parameters_then_rows) {
    response_tracker t;
    t.push(req(rk::describe, 23));
    feed_nonending(t, "t");
    feed_ending(t, 'T', rk::describe, 23);
}

TEST(ResponseTrackerExtended, describe_statement_parameters_then_no_data) {
    response_tracker t;
    t.push(req(rk::describe, 24));
    feed_nonending(t, "t");
    feed_ending(t, 'n', rk::describe, 24);
}

TEST(ResponseTrackerExtended, describe_portal_no_data) {
    response_tracker t;
    t.push(req(rk::describe, 25));
    feed_ending(t, 'n', rk::describe, 25);
}

TEST(ResponseTrackerExtended, execute_rows_then_command_complete) {
    response_tracker t;
    t.push(req(rk::execute, 26));
    feed_nonending(t, "DDD");
    feed_ending(t, 'C', rk::execute, 26);
}

TEST(ResponseTrackerExtended, execute_empty_query) {
    response_tracker t;
    t.push(req(rk::execute, 27));
    feed_ending(t, 'I', rk::execute, 27);
}

TEST(ResponseTrackerExtended, execute_portal_suspended_then_resumed) {
    response_tracker t;
    t.push(req(rk::execute, 28));
    t.push(req(rk::execute, 29));
    t.push(req(rk::sync, 30));
    feed_nonending(t, "DD");
    feed_ending(t, 's', rk::execute, 28);
    feed_nonending(t, "D");
    feed_ending(t, 'C', rk::execute, 29);
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 30).idle);
}

TEST(ResponseTrackerExtended, execute_copy_out) {
    response_tracker t;
    t.push(req(rk::execute, 31));
    feed_nonending(t, "Hdddc");
    feed_ending(t, 'C', rk::execute, 31);
}

TEST(ResponseTrackerExtended, execute_copy_in) {
    response_tracker t;
    t.push(req(rk::execute, 32));
    feed_nonending(t, "G");
    feed_ending(t, 'C', rk::execute, 32);
}

TEST(ResponseTrackerExtended, execute_copy_in_failed_skips_to_sync) {
    response_tracker t;
    t.push(req(rk::execute, 33));
    t.push(req(rk::close, 34));
    t.push(req(rk::sync, 35));
    feed_nonending(t, "G");
    reply_step e = feed_ending(t, 'E', rk::execute, 33);
    EXPECT_EQ(e.skipped, 1u);
    EXPECT_TRUE(t.syncing());
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 35).idle);
}

TEST(ResponseTrackerExtended, sync_alone) {
    response_tracker t;
    t.push(req(rk::sync, 36));
    reply_step z = feed_ending(t, 'Z', rk::sync, 36);
    EXPECT_TRUE(z.idle);
    EXPECT_TRUE(t.idle());
}

TEST(ResponseTrackerExtended, sync_commit_error_does_not_end_it) {
    response_tracker t;
    t.push(req(rk::sync, 37));
    reply_step e = feed(t, 'E');
    EXPECT_TRUE(e.error);
    EXPECT_TRUE(e.forward);
    EXPECT_FALSE(e.ends_request);
    EXPECT_FALSE(t.syncing());
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 37).idle);
}

TEST(ResponseTrackerExtended, one_batch) {
    response_tracker t;
    push_batch(t, 40);
    EXPECT_EQ(t.outstanding(), 5u);
    answer_batch(t, 40, true);
}

TEST(ResponseTrackerExtended, three_pipelined_batches) {
    response_tracker t;
    push_batch(t, 100);
    push_batch(t, 200);
    push_batch(t, 300);
    EXPECT_EQ(t.outstanding(), 15u);
    answer_batch(t, 100, false);
    EXPECT_EQ(t.outstanding(), 10u);
    answer_batch(t, 200, false);
    answer_batch(t, 300, true);
}

TEST(ResponseTrackerExtended, reply_of_another_kind_ends_nothing) {
    response_tracker t;
    t.push(req(rk::parse, 50));
    t.push(req(rk::sync, 51));
    // Out of order: none of these is what a Parse ends with.
    feed_nonending(t, "23TnCIsZV");
    feed_ending(t, '1', rk::parse, 50);
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 51).idle);
}

TEST(ResponseTrackerExtended, query_after_extended_waits_its_turn) {
    response_tracker t;
    t.push(req(rk::parse, 60));
    t.push(req(rk::bind, 61));
    t.push(req(rk::execute, 62));
    t.push(req(rk::query, 63));
    feed_ending(t, '1', rk::parse, 60);
    feed_ending(t, '2', rk::bind, 61);
    feed_nonending(t, "D");
    feed_ending(t, 'C', rk::execute, 62);
    feed_nonending(t, "TDC");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 63).idle);
}

TEST(ResponseTrackerExtended, query_after_sync_waits_its_turn) {
    response_tracker t;
    push_batch(t, 70);
    t.push(req(rk::query, 75));
    answer_batch(t, 70, false);
    feed_nonending(t, "TDC");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 75).idle);
}

// --- extended query errors -------------------------------------------------------------

// Runs one P/B/D/E/S batch where the request at `error_at` (0..3) fails, and checks that
// the error ends it, drops the rest up to the Sync and that the Sync ends syncing.
void error_in_batch_at(int error_at) {
    SCOPED_TRACE("error at position " + std::to_string(error_at));
    response_tracker t;
    push_batch(t, 10);
    const char ok[] = {'1', '2', 'T', 'C'};
    const rk kinds[] = {rk::parse, rk::bind, rk::describe, rk::execute};
    for (int i = 0; i < error_at; ++i) {
        if (i == 3) feed_nonending(t, "D");
        feed_ending(t, ok[i], kinds[i], 10 + static_cast<std::uint32_t>(i));
    }
    EXPECT_FALSE(t.syncing());
    reply_step e = feed_ending(t, 'E', kinds[error_at], 10 + static_cast<std::uint32_t>(error_at));
    EXPECT_TRUE(e.error);
    EXPECT_TRUE(e.forward);
    EXPECT_FALSE(e.idle);
    EXPECT_EQ(e.skipped, static_cast<std::uint32_t>(3 - error_at));
    EXPECT_TRUE(t.syncing());
    EXPECT_FALSE(t.idle());
    ASSERT_NE(t.head(), nullptr);
    EXPECT_EQ(t.head()->kind, rk::sync);
    reply_step z = feed_ending(t, 'Z', rk::sync, 14);
    EXPECT_EQ(z.skipped, 0u);
    EXPECT_TRUE(z.idle);
    EXPECT_FALSE(t.syncing());
    EXPECT_TRUE(t.idle());
}

TEST(ResponseTrackerErrors, error_at_parse) {
    error_in_batch_at(0);
}
TEST(ResponseTrackerErrors, error_at_bind) {
    error_in_batch_at(1);
}
TEST(ResponseTrackerErrors, error_at_describe) {
    error_in_batch_at(2);
}
TEST(ResponseTrackerErrors, error_at_execute) {
    error_in_batch_at(3);
}

TEST(ResponseTrackerErrors, error_at_execute_after_rows) {
    response_tracker t;
    t.push(req(rk::execute, 1));
    t.push(req(rk::sync, 2));
    feed_nonending(t, "DDD");
    reply_step e = feed_ending(t, 'E', rk::execute, 1);
    EXPECT_EQ(e.skipped, 0u);
    EXPECT_TRUE(t.syncing());
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 2).idle);
}

TEST(ResponseTrackerErrors, error_at_close) {
    response_tracker t;
    t.push(req(rk::close, 1));
    t.push(req(rk::close, 2));
    t.push(req(rk::sync, 3));
    reply_step e = feed_ending(t, 'E', rk::close, 1);
    EXPECT_EQ(e.skipped, 1u);
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 3).idle);
}

TEST(ResponseTrackerErrors, error_after_parameter_description) {
    response_tracker t;
    t.push(req(rk::describe, 1));
    t.push(req(rk::execute, 2));
    t.push(req(rk::sync, 3));
    feed_nonending(t, "t");
    EXPECT_EQ(feed_ending(t, 'E', rk::describe, 1).skipped, 1u);
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 3).idle);
}

TEST(ResponseTrackerErrors, error_in_first_of_three_batches) {
    response_tracker t;
    push_batch(t, 100);
    push_batch(t, 200);
    push_batch(t, 300);
    EXPECT_EQ(feed_ending(t, 'E', rk::parse, 100).skipped, 3u);
    EXPECT_EQ(t.outstanding(), 11u);
    reply_step z = feed_ending(t, 'Z', rk::sync, 104);
    EXPECT_FALSE(z.idle);
    EXPECT_FALSE(t.syncing());
    answer_batch(t, 200, false);
    answer_batch(t, 300, true);
}

TEST(ResponseTrackerErrors, error_in_middle_batch) {
    response_tracker t;
    push_batch(t, 100);
    push_batch(t, 200);
    push_batch(t, 300);
    answer_batch(t, 100, false);
    feed_ending(t, '1', rk::parse, 200);
    EXPECT_EQ(feed_ending(t, 'E', rk::bind, 201).skipped, 2u);
    EXPECT_TRUE(t.syncing());
    EXPECT_FALSE(feed_ending(t, 'Z', rk::sync, 204).idle);
    EXPECT_FALSE(t.syncing());
    answer_batch(t, 300, true);
}

TEST(ResponseTrackerErrors, requests_after_the_sync_are_handled_normally) {
    response_tracker t;
    push_batch(t, 10);
    feed_ending(t, 'E', rk::parse, 10);
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 14).idle);
    push_batch(t, 20);
    answer_batch(t, 20, true);
    t.push(req(rk::query, 30));
    feed_nonending(t, "E");
    EXPECT_FALSE(t.syncing());
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 30).idle);
}

TEST(ResponseTrackerErrors, error_skips_query_and_function_call_before_sync) {
    // The server ignores every message but Sync while skipping, simple Query included.
    response_tracker t;
    t.push(req(rk::parse, 1));
    t.push(req(rk::query, 2));
    t.push(req(rk::function_call, 3));
    t.push(req(rk::sync, 4));
    t.push(req(rk::query, 5));
    EXPECT_EQ(feed_ending(t, 'E', rk::parse, 1).skipped, 2u);
    EXPECT_FALSE(feed_ending(t, 'Z', rk::sync, 4).idle);
    feed_nonending(t, "I");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 5).idle);
}

TEST(ResponseTrackerErrors, error_without_queued_sync_then_sync_pushed) {
    response_tracker t;
    t.push(req(rk::parse, 1));
    t.push(req(rk::bind, 2));
    EXPECT_EQ(feed_ending(t, 'E', rk::parse, 1).skipped, 1u);
    EXPECT_EQ(t.outstanding(), 0u);
    EXPECT_TRUE(t.syncing());
    EXPECT_FALSE(t.idle());  // the server still waits for a Sync
    // The client keeps pipelining; the server ignores these too.
    t.push(req(rk::describe, 3));
    t.push(req(rk::execute, 4));
    t.push(req(rk::sync, 5));
    reply_step z = feed_ending(t, 'Z', rk::sync, 5);
    EXPECT_EQ(z.skipped, 2u);
    EXPECT_TRUE(z.idle);
    EXPECT_FALSE(t.syncing());
    EXPECT_TRUE(t.idle());
}

TEST(ResponseTrackerErrors, ready_for_query_without_queued_sync_ends_nothing) {
    response_tracker t;
    t.push(req(rk::parse, 1));
    feed_ending(t, 'E', rk::parse, 1);
    t.push(req(rk::bind, 2));
    feed_nonending(t, "Z");  // out of turn: no Sync was sent
    EXPECT_TRUE(t.syncing());
    EXPECT_EQ(t.outstanding(), 1u);
    t.push(req(rk::sync, 3));
    EXPECT_EQ(feed_ending(t, 'Z', rk::sync, 3).skipped, 1u);
    EXPECT_TRUE(t.idle());
}

TEST(ResponseTrackerErrors, error_while_syncing_ends_nothing) {
    // A commit failure at the Sync (or a FATAL error) while the server skips.
    response_tracker t;
    push_batch(t, 10);
    feed_ending(t, 'E', rk::parse, 10);
    reply_step e = feed(t, 'E');
    EXPECT_TRUE(e.error);
    EXPECT_TRUE(e.forward);
    EXPECT_FALSE(e.ends_request);
    EXPECT_EQ(e.skipped, 0u);
    EXPECT_TRUE(t.syncing());
    EXPECT_EQ(t.outstanding(), 1u);
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 14).idle);
}

TEST(ResponseTrackerErrors, error_while_syncing_before_any_sync_ends_nothing) {
    // A FATAL error while the server skips, with an ignored extended request at the head.
    response_tracker t;
    t.push(req(rk::parse, 1));
    feed_ending(t, 'E', rk::parse, 1);
    t.push(req(rk::bind, 2, true));
    reply_step e = feed(t, 'E');
    EXPECT_TRUE(e.error);
    EXPECT_TRUE(e.forward);
    EXPECT_FALSE(e.ends_request);
    EXPECT_EQ(e.skipped, 0u);
    EXPECT_EQ(t.outstanding(), 1u);
    feed_nonending(t, "2", false);  // out of turn: the server ignores the Bind
    t.push(req(rk::sync, 3));
    EXPECT_EQ(feed_ending(t, 'Z', rk::sync, 3).skipped, 1u);
}

TEST(ResponseTrackerErrors, two_errors_in_a_row_across_syncs) {
    response_tracker t;
    push_batch(t, 10);
    push_batch(t, 20);
    EXPECT_EQ(feed_ending(t, 'E', rk::parse, 10).skipped, 3u);
    EXPECT_FALSE(feed_ending(t, 'Z', rk::sync, 14).idle);
    feed_ending(t, '1', rk::parse, 20);
    feed_ending(t, '2', rk::bind, 21);
    feed_ending(t, 'n', rk::describe, 22);
    EXPECT_EQ(feed_ending(t, 'E', rk::execute, 23).skipped, 0u);
    EXPECT_TRUE(t.syncing());
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 24).idle);
}

// --- hidden requests -------------------------------------------------------------------

TEST(ResponseTrackerHidden, hidden_parse_before_client_bind) {
    response_tracker t;
    t.push(hidden_req(rk::parse, 1));
    t.push(req(rk::bind, 2));
    t.push(req(rk::execute, 3));
    t.push(req(rk::sync, 4));
    reply_step p = feed_ending(t, '1', rk::parse, 1);
    EXPECT_FALSE(p.forward);
    EXPECT_TRUE(p.finished.hidden);
    reply_step b = feed_ending(t, '2', rk::bind, 2);
    EXPECT_TRUE(b.forward);
    EXPECT_FALSE(b.finished.hidden);
    feed_nonending(t, "D");
    feed_ending(t, 'C', rk::execute, 3);
    reply_step z = feed_ending(t, 'Z', rk::sync, 4);
    EXPECT_TRUE(z.forward);
    EXPECT_TRUE(z.idle);
}

TEST(ResponseTrackerHidden, hidden_parse_error_is_forwarded_and_skips_client_requests) {
    response_tracker t;
    t.push(hidden_req(rk::parse, 1));
    t.push(req(rk::bind, 2));
    t.push(req(rk::execute, 3));
    t.push(req(rk::sync, 4));
    reply_step e = feed_ending(t, 'E', rk::parse, 1);
    EXPECT_TRUE(e.forward);
    EXPECT_TRUE(e.error);
    EXPECT_TRUE(e.finished.hidden);
    EXPECT_EQ(e.skipped, 2u);
    reply_step z = feed_ending(t, 'Z', rk::sync, 4);
    EXPECT_TRUE(z.forward);
    EXPECT_TRUE(z.idle);
}

TEST(ResponseTrackerHidden, hidden_query_before_client_query) {
    response_tracker t;
    t.push(hidden_req(rk::query, 1));
    t.push(req(rk::query, 2));
    feed_nonending(t, "TDC", false);
    reply_step hz = feed_ending(t, 'Z', rk::query, 1);
    EXPECT_FALSE(hz.forward);
    EXPECT_FALSE(hz.idle);
    feed_nonending(t, "TDDC", true);
    reply_step z = feed_ending(t, 'Z', rk::query, 2);
    EXPECT_TRUE(z.forward);
    EXPECT_TRUE(z.idle);
}

TEST(ResponseTrackerHidden, hidden_query_error_forwarded_but_its_ready_for_query_hidden) {
    response_tracker t;
    t.push(hidden_req(rk::query, 1));
    t.push(req(rk::query, 2));
    reply_step e = feed(t, 'E');
    EXPECT_TRUE(e.forward);
    EXPECT_TRUE(e.error);
    EXPECT_FALSE(e.ends_request);
    reply_step hz = feed_ending(t, 'Z', rk::query, 1);
    EXPECT_FALSE(hz.forward);
    feed_nonending(t, "C");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 2).forward);
}

TEST(ResponseTrackerHidden, client_query_then_hidden_query_last_is_idle) {
    response_tracker t;
    t.push(req(rk::query, 1));
    t.push(hidden_req(rk::query, 2));
    feed_nonending(t, "C");
    reply_step z1 = feed_ending(t, 'Z', rk::query, 1);
    EXPECT_TRUE(z1.forward);
    EXPECT_FALSE(z1.idle);
    feed_nonending(t, "C", false);
    reply_step z2 = feed_ending(t, 'Z', rk::query, 2);
    EXPECT_FALSE(z2.forward);
    EXPECT_TRUE(z2.idle);
}

TEST(ResponseTrackerHidden, hidden_sync_after_client_batch_without_sync) {
    response_tracker t;
    t.push(req(rk::parse, 1));
    t.push(req(rk::bind, 2));
    t.push(req(rk::execute, 3));
    t.push(hidden_req(rk::sync, 4));
    feed_ending(t, '1', rk::parse, 1);
    feed_ending(t, '2', rk::bind, 2);
    feed_ending(t, 'C', rk::execute, 3);
    reply_step z = feed_ending(t, 'Z', rk::sync, 4);
    EXPECT_FALSE(z.forward);
    EXPECT_TRUE(z.idle);
}

TEST(ResponseTrackerHidden, hidden_batch_replies_not_forwarded_error_is) {
    response_tracker t;
    push_batch(t, 10, true);
    push_batch(t, 20, false);
    EXPECT_FALSE(feed_ending(t, '1', rk::parse, 10).forward);
    EXPECT_FALSE(feed_ending(t, '2', rk::bind, 11).forward);
    feed_nonending(t, "t", false);
    EXPECT_FALSE(feed_ending(t, 'T', rk::describe, 12).forward);
    feed_nonending(t, "DD", false);
    reply_step e = feed_ending(t, 'E', rk::execute, 13);
    EXPECT_TRUE(e.forward);
    EXPECT_TRUE(e.finished.hidden);
    reply_step z = feed_ending(t, 'Z', rk::sync, 14);
    EXPECT_FALSE(z.forward);
    EXPECT_FALSE(z.idle);
    answer_batch(t, 20, true);
}

TEST(ResponseTrackerHidden, hidden_copy_in_execute_not_forwarded) {
    response_tracker t;
    t.push(hidden_req(rk::execute, 1));
    feed_nonending(t, "Hddc", false);
    EXPECT_FALSE(feed_ending(t, 'C', rk::execute, 1).forward);
}

// --- asynchronous messages ---------------------------------------------------------------

// Feeds N, A and S, expecting each forwarded, ending nothing and changing nothing.
void feed_async(response_tracker& t) {
    const std::size_t before = t.outstanding();
    const bool syncing = t.syncing();
    for (char c : std::string("NAS")) {
        SCOPED_TRACE(std::string("async ") + c);
        reply_step s = feed(t, c);
        EXPECT_TRUE(s.forward);
        EXPECT_FALSE(s.ends_request);
        EXPECT_FALSE(s.error);
        EXPECT_FALSE(s.idle);
        EXPECT_EQ(s.skipped, 0u);
        EXPECT_FALSE(s.unexpected);
        EXPECT_EQ(t.outstanding(), before);
        EXPECT_EQ(t.syncing(), syncing);
    }
}

TEST(ResponseTrackerAsync, anywhere_in_a_batch) {
    response_tracker t;
    feed_async(t);
    push_batch(t, 10);
    feed_async(t);
    feed_ending(t, '1', rk::parse, 10);
    feed_async(t);
    feed_ending(t, '2', rk::bind, 11);
    feed_async(t);
    feed_nonending(t, "t");
    feed_async(t);
    feed_ending(t, 'T', rk::describe, 12);
    feed_async(t);
    feed_nonending(t, "D");
    feed_async(t);
    feed_ending(t, 'C', rk::execute, 13);
    feed_async(t);
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 14).idle);
    feed_async(t);
    EXPECT_TRUE(t.idle());
}

TEST(ResponseTrackerAsync, on_empty_queue_is_not_unexpected) {
    response_tracker t;
    feed_async(t);
    EXPECT_TRUE(t.idle());
}

TEST(ResponseTrackerAsync, within_hidden_requests_still_forwarded) {
    response_tracker t;
    t.push(hidden_req(rk::query, 1));
    feed_nonending(t, "T", false);
    feed_async(t);
    feed_nonending(t, "D", false);
    feed_async(t);
    EXPECT_FALSE(feed_ending(t, 'Z', rk::query, 1).forward);
}

TEST(ResponseTrackerAsync, while_syncing) {
    response_tracker t;
    push_batch(t, 10);
    feed_ending(t, 'E', rk::parse, 10);
    feed_async(t);
    EXPECT_TRUE(t.syncing());
    EXPECT_TRUE(feed_ending(t, 'Z', rk::sync, 14).idle);
}

TEST(ResponseTrackerAsync, inside_copy_and_query) {
    response_tracker t;
    t.push(req(rk::query, 1));
    feed_nonending(t, "H");
    feed_async(t);
    feed_nonending(t, "dd");
    feed_async(t);
    feed_nonending(t, "cC");
    feed_async(t);
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 1).idle);
}

// --- out of turn -----------------------------------------------------------------------

TEST(ResponseTrackerUnexpected, messages_on_empty_queue) {
    response_tracker t;
    for (char c : std::string("123TnCIsZVDtGHWdc")) {
        SCOPED_TRACE(std::string("message ") + c);
        reply_step s = feed(t, c);
        EXPECT_TRUE(s.unexpected);
        EXPECT_TRUE(s.forward);
        EXPECT_FALSE(s.ends_request);
        EXPECT_FALSE(s.error);
        EXPECT_FALSE(s.idle);
        EXPECT_EQ(s.skipped, 0u);
        EXPECT_TRUE(t.idle());
    }
}

TEST(ResponseTrackerUnexpected, error_on_empty_queue) {
    response_tracker t;
    reply_step s = feed(t, 'E');
    EXPECT_TRUE(s.unexpected);
    EXPECT_TRUE(s.error);
    EXPECT_TRUE(s.forward);
    EXPECT_FALSE(s.ends_request);
    EXPECT_FALSE(t.syncing());
    EXPECT_TRUE(t.idle());
}

TEST(ResponseTrackerUnexpected, later_requests_unaffected) {
    response_tracker t;
    EXPECT_TRUE(feed(t, 'Z').unexpected);
    EXPECT_TRUE(feed(t, 'E').unexpected);
    t.push(req(rk::query, 1));
    feed_nonending(t, "C");
    EXPECT_TRUE(feed_ending(t, 'Z', rk::query, 1).idle);
    EXPECT_TRUE(feed(t, 'C').unexpected);
}

TEST(ResponseTrackerUnexpected, every_type_byte_never_breaks_state) {
    // Arbitrary type bytes against each head kind: nothing throws, counts stay consistent.
    for (int k = 0; k <= static_cast<int>(rk::sync); ++k) {
        for (int b = 0; b < 256; ++b) {
            response_tracker t;
            t.push(req(static_cast<rk>(k), 1, true));
            t.push(req(rk::sync, 2));
            reply_step s = t.on_server_message(static_cast<std::uint8_t>(b));
            EXPECT_FALSE(s.unexpected);
            EXPECT_EQ(t.outstanding() + (s.ends_request ? 1u : 0u) + s.skipped, 2u);
            EXPECT_EQ(s.error, b == 'E');
            if (b != 'E' && b != 'N' && b != 'A' && b != 'S') {
                EXPECT_FALSE(s.forward);  // the head is hidden
            }
        }
    }
}

// --- clear, growth ---------------------------------------------------------------------

TEST(ResponseTrackerClear, forgets_requests_and_syncing) {
    response_tracker t;
    push_batch(t, 10);
    push_batch(t, 20);
    feed_ending(t, 'E', rk::parse, 10);
    ASSERT_TRUE(t.syncing());
    t.clear();
    EXPECT_TRUE(t.idle());
    EXPECT_FALSE(t.syncing());
    EXPECT_EQ(t.outstanding(), 0u);
    EXPECT_EQ(t.head(), nullptr);
    EXPECT_TRUE(feed(t, 'Z').unexpected);
    push_batch(t, 30);
    answer_batch(t, 30, true);
}

TEST(ResponseTrackerClear, sync_count_reset) {
    // After clear, a queued-but-forgotten Sync must not let a ReadyForQuery end syncing.
    response_tracker t;
    t.push(req(rk::sync, 1));
    t.clear();
    t.push(req(rk::parse, 2));
    feed_ending(t, 'E', rk::parse, 2);
    t.push(req(rk::bind, 3));
    feed_nonending(t, "Z");
    EXPECT_TRUE(t.syncing());
    EXPECT_EQ(t.outstanding(), 1u);
}

TEST(ResponseTrackerGrowth, many_outstanding_requests) {
    response_tracker t;
    for (std::uint32_t i = 0; i < 1000; ++i)
        t.push(req(i % 2 == 0 ? rk::parse : rk::bind, i));
    EXPECT_EQ(t.outstanding(), 1000u);
    for (std::uint32_t i = 0; i < 1000; ++i)
        feed_ending(t, i % 2 == 0 ? '1' : '2', i % 2 == 0 ? rk::parse : rk::bind, i);
    EXPECT_TRUE(t.idle());
}

TEST(ResponseTrackerGrowth, wraps_around_and_grows_mid_wrap) {
    // Keeps a sliding window of outstanding requests so the ring wraps, and grows it while
    // wrapped: order and tags must survive.
    response_tracker t;
    std::uint32_t next_push = 0;
    std::uint32_t next_end = 0;
    for (std::uint32_t window : {3u, 7u, 8u, 13u, 40u, 5u, 100u, 1u}) {
        for (int round = 0; round < 50; ++round) {
            while (next_push - next_end < window)
                t.push(req(rk::close, next_push++));
            feed_ending(t, '3', rk::close, next_end++);
        }
    }
    while (next_end < next_push)
        feed_ending(t, '3', rk::close, next_end++);
    EXPECT_TRUE(t.idle());
}

// --- randomized against a model server --------------------------------------------------

// One message of the model server's reply stream.
struct model_message {
    char type;
    int owner;  // index of the request it answers, -1 for asynchronous messages
    bool ends;  // it ends its owner request
};

// Plays PostgreSQL: processes each request as it arrives, appending its replies to the
// stream, and ignores everything but Sync after an extended-protocol error.
class model_server {
  public:
    explicit model_server(std::uint32_t seed) : rng_(seed) {}

    void receive(int index, const request& r, std::deque<model_message>& out) {
        if (ignoring_ && r.kind != rk::sync) {
            ++ignored_;
            return;
        }
        out_ = &out;
        owner_ = index;
        switch (r.kind) {
            case rk::query: {
                int statements = pick(0, 3);
                bool failed = false;
                for (int i = 0; i < statements && !failed; ++i)
                    failed = !statement(false);
                if (statements == 0) emit('I');
                emit('Z', true);
                break;
            }
            case rk::function_call:
                emit(chance(20) ? 'E' : 'V');
                emit('Z', true);
                break;
            case rk::parse:
                extended_or_error('1');
                break;
            case rk::bind:
                extended_or_error('2');
                break;
            case rk::close:
                extended_or_error('3');
                break;
            case rk::describe:
                if (chance(50)) emit('t');
                extended_or_error(chance(50) ? 'T' : 'n');
                break;
            case rk::execute:
                statement(true);
                break;
            case rk::sync:
                ignoring_ = false;
                if (chance(5)) emit('E');  // commit failure
                emit('Z', true);
                break;
        }
    }

    bool ignoring() const { return ignoring_; }
    std::uint32_t ignored() const { return ignored_; }

  private:
    int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool chance(int percent) { return pick(0, 99) < percent; }

    void emit(char type, bool ends = false) {
        if (chance(10)) out_->push_back({"NAS"[pick(0, 2)], -1, false});
        out_->push_back({type, owner_, ends});
    }

    void fail_extended() {
        emit('E', true);
        ignoring_ = true;
    }

    void extended_or_error(char ok) {
        if (chance(15)) {
            fail_extended();
        } else {
            emit(ok, true);
        }
    }

    // One statement's replies; in an Execute the last one ends it. Returns false on error.
    bool statement(bool in_execute) {
        int shape = pick(0, 5);
        if (chance(12)) {
            if (shape == 0) emit('D');
            if (in_execute) {
                fail_extended();
            } else {
                emit('E');
            }
            return false;
        }
        switch (shape) {
            case 0:
            case 1: {
                if (!in_execute) emit('T');
                int rows = pick(0, 3);
                for (int i = 0; i < rows; ++i)
                    emit('D');
                if (in_execute && shape == 1) {
                    emit('s', true);
                    return true;
                }
                break;
            }
            case 2:
                emit('H');
                for (int i = pick(0, 3); i > 0; --i)
                    emit('d');
                emit('c');
                break;
            case 3:
                emit('G');
                break;
            case 4:
                emit('I', in_execute);
                return true;
            default:
                break;
        }
        emit('C', in_execute);
        return true;
    }

    std::mt19937 rng_;
    bool ignoring_ = false;
    std::uint32_t ignored_ = 0;
    std::deque<model_message>* out_ = nullptr;
    int owner_ = -1;
};

void run_random(std::uint32_t seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };

    // Requests: mostly extended batches ending in Sync, some simple queries and calls,
    // some batches without a Sync before the next request, ~20% hidden.
    std::vector<request> requests;
    const int groups = pick(1, 40);
    for (int g = 0; g < groups; ++g) {
        const bool hidden = pick(0, 4) == 0;
        auto add = [&](rk kind) {
            requests.push_back(
                req(kind, 1000 + static_cast<std::uint32_t>(requests.size()), hidden));
        };
        switch (pick(0, 4)) {
            case 0:
                add(rk::query);
                break;
            case 1:
                add(rk::function_call);
                break;
            default: {
                const rk extended[] = {rk::parse, rk::bind, rk::describe, rk::execute, rk::close};
                for (int i = pick(1, 6); i > 0; --i)
                    add(extended[pick(0, 4)]);
                if (pick(0, 5) != 0) add(rk::sync);
                break;
            }
        }
    }
    requests.push_back(req(rk::sync, 999));  // everything ends

    model_server server(seed * 7919u + 1u);
    response_tracker t;
    std::deque<model_message> stream;
    std::vector<std::uint32_t> model_ended;
    std::vector<std::uint32_t> tracker_ended;
    std::uint32_t skipped = 0;
    std::size_t pushed = 0;
    std::size_t consumed = 0;
    int idles = 0;

    while (pushed < requests.size() || !stream.empty()) {
        const bool do_push = pushed < requests.size() && (stream.empty() || pick(0, 2) == 0);
        if (do_push) {
            t.push(requests[pushed]);
            server.receive(static_cast<int>(pushed), requests[pushed], stream);
            ++pushed;
            continue;
        }
        const model_message m = stream.front();
        stream.pop_front();
        ++consumed;
        SCOPED_TRACE("message " + std::to_string(consumed) + " type " + m.type);
        reply_step s = feed(t, m.type);
        ASSERT_FALSE(s.unexpected);
        EXPECT_EQ(s.error, m.type == 'E');
        if (m.owner < 0) {
            EXPECT_TRUE(s.forward);
            EXPECT_FALSE(s.ends_request);
            continue;
        }
        const request& owner = requests[static_cast<std::size_t>(m.owner)];
        EXPECT_EQ(s.forward, m.type == 'E' || !owner.hidden);
        ASSERT_EQ(s.ends_request, m.ends);
        if (m.ends) {
            model_ended.push_back(owner.tag);
            tracker_ended.push_back(s.finished.tag);
            EXPECT_EQ(s.finished.tag, owner.tag);
            EXPECT_EQ(s.finished.kind, owner.kind);
            EXPECT_EQ(s.finished.hidden, owner.hidden);
        }
        skipped += s.skipped;
        const bool expect_idle = m.type == 'Z' && stream.empty() && !server.ignoring();
        EXPECT_EQ(s.idle, expect_idle);
        EXPECT_EQ(t.idle(), stream.empty() && !server.ignoring());
        if (s.idle) ++idles;
    }
    EXPECT_EQ(tracker_ended, model_ended);
    EXPECT_EQ(skipped, server.ignored());
    EXPECT_EQ(model_ended.size() + skipped, requests.size());
    EXPECT_TRUE(t.idle());
    EXPECT_EQ(t.outstanding(), 0u);
    EXPECT_FALSE(t.syncing());
    EXPECT_GE(idles, 1);
}

TEST(ResponseTrackerRandom, against_model_server) {
    for (std::uint32_t seed = 1; seed <= 2000; ++seed) {
        run_random(seed);
        if (::testing::Test::HasFailure()) break;
    }
}

TEST(ResponseTrackerRandom, model_exercises_errors_and_skips) {
    // Guards the randomized test itself: over the seeds the model must produce errors that
    // skip requests and async messages, or the test above proves little.
    std::uint32_t ignored = 0;
    int errors = 0;
    int async = 0;
    for (std::uint32_t seed = 1; seed <= 200; ++seed) {
        model_server server(seed);
        std::deque<model_message> stream;
        for (int i = 0; i < 50; ++i) {
            const rk kinds[] = {rk::parse, rk::bind, rk::describe, rk::execute, rk::sync};
            server.receive(i, req(kinds[i % 5]), stream);
        }
        ignored += server.ignored();
        for (const auto& m : stream) {
            errors += m.type == 'E';
            async += m.owner < 0;
        }
    }
    EXPECT_GT(ignored, 100u);
    EXPECT_GT(errors, 100);
    EXPECT_GT(async, 100);
}

}  // namespace
}  // namespace pgrelay::protocol
