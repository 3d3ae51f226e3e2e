// Matches server replies to the requests sent to a PostgreSQL server, in order (PostgreSQL
// docs 55.2.2 simple query, 55.2.3 extended query): which request each reply belongs to,
// which replies to hide (proxy-injected requests), when each request ends and when the
// connection is idle. Sans-I/O, never throws on peer input, no allocation per message.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pgrelay::protocol {

enum class request_kind : std::uint8_t {
    query,          // 'Q' simple query: replies up to and including ReadyForQuery
    function_call,  // 'F': FunctionCallResponse/ErrorResponse, then ReadyForQuery
    parse,          // 'P': ParseComplete '1' | ErrorResponse
    bind,           // 'B': BindComplete '2' | ErrorResponse
    describe,       // 'D': [ParameterDescription 't'] then RowDescription 'T' | NoData 'n' |
                    //      ErrorResponse
    execute,        // 'E': any DataRow/CopyInResponse/CopyOutResponse/CopyData/CopyDone...,
                    //      ends at CommandComplete 'C' | EmptyQueryResponse 'I' |
                    //      PortalSuspended 's' | ErrorResponse
    close,          // 'C': CloseComplete '3' | ErrorResponse
    sync,           // 'S': ReadyForQuery 'Z'
};

struct request {
    request_kind kind;
    bool hidden = false;    // injected by the proxy: replies are not for the client
    std::uint32_t tag = 0;  // caller's label, reported back when the request ends
};

// What to do with one server message, and what it completed.
struct reply_step {
    bool forward = true;        // send it to the client (false: it belongs to a hidden request)
    bool ends_request = false;  // it completed the request at the head of the queue
    request finished{};         // that request, when ends_request
    bool error = false;         // it is an ErrorResponse
    bool idle = false;          // it is a ReadyForQuery that ended a request, and nothing more
                                // is outstanding
    std::uint32_t skipped = 0;  // requests dropped without reply because the server ignores
                                // everything until Sync after an extended-protocol error
    bool unexpected = false;    // not an asynchronous message, yet nothing was outstanding: the
                                // server spoke out of turn, the caller should treat the
                                // connection as suspect (forward stays true, nothing ends)
};

// Requests go in with push() in the order they are written to the server; every whole
// server message comes back through on_server_message().
//
// - Asynchronous messages (NoticeResponse 'N', NotificationResponse 'A', ParameterStatus
//   'S') never end anything and always come back with forward = true, even while a hidden
//   request is at the head: the caller decides about those itself.
// - ErrorResponse is always forwarded, even for a hidden request: the client must learn that
//   something failed. During parse/bind/describe/execute/close it ends the head and drops
//   every queued request up to (not including) the next sync, which the server ignores;
//   syncing() then stays true until that sync's ReadyForQuery. Requests pushed while
//   syncing() and before any queued sync are dropped (and counted in skipped) when the
//   ReadyForQuery of the sync that follows them arrives.
// - Any other message belongs to the head request; it is forwarded unless that request is
//   hidden. A message the head's kind does not end with (a reply out of order) ends nothing.
class response_tracker {
  public:
    // A request was sent to the server, in order. Allocates only when the queue outgrows its
    // largest size so far.
    void push(request r);

    // One whole server message, by type byte.
    reply_step on_server_message(std::uint8_t type);

    // Nothing outstanding and the server is not ignoring messages until a Sync: the
    // connection may go back to a pool.
    bool idle() const { return count_ == 0 && !syncing_; }
    std::size_t outstanding() const { return count_; }
    // An extended-protocol error happened and the Sync that ends it is still to be answered.
    bool syncing() const { return syncing_; }
    // The oldest outstanding request, or nullptr; valid until the next non-const call.
    const request* head() const { return count_ == 0 ? nullptr : &ring_[head_]; }
    // Forgets every request and the syncing state (keeps the queue's memory).
    void clear();

  private:
    void pop();
    request take();

    std::vector<request> ring_;  // circular queue; its size is 0 or a power of two
    std::size_t head_ = 0;       // index of the oldest request in ring_
    std::size_t count_ = 0;      // outstanding requests
    std::size_t syncs_ = 0;      // how many of them are syncs
    bool syncing_ = false;
};

}  // namespace pgrelay::protocol
