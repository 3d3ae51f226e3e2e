// Matching of server replies to outstanding requests; see response_tracker.hpp.
#include "protocol/response_tracker.hpp"

#include <utility>

#include "protocol/extended_query.hpp"
#include "protocol/messages.hpp"

namespace pgrelay::protocol {

namespace {

using be::bind_complete;
using be::close_complete;
using be::command_complete;
using be::no_data;
using be::notification_response;
using be::parse_complete;
using be::portal_suspended;
using be::row_description;
constexpr char empty_query_response = be::empty_query;

bool is_async(char type) {
    return type == be::notice_response || type == notification_response ||
           type == be::parameter_status;
}

bool is_extended(request_kind kind) {
    switch (kind) {
        case request_kind::parse:
        case request_kind::bind:
        case request_kind::describe:
        case request_kind::execute:
        case request_kind::close:
            return true;
        case request_kind::query:
        case request_kind::function_call:
        case request_kind::sync:
            return false;
    }
    return false;
}

// Whether a message other than ErrorResponse completes a request of this kind.
bool completes(request_kind kind, char type) {
    switch (kind) {
        case request_kind::query:
        case request_kind::function_call:
        case request_kind::sync:
            return type == be::ready_for_query;
        case request_kind::parse:
            return type == parse_complete;
        case request_kind::bind:
            return type == bind_complete;
        case request_kind::describe:
            return type == row_description || type == no_data;
        case request_kind::execute:
            return type == command_complete || type == empty_query_response ||
                   type == portal_suspended;
        case request_kind::close:
            return type == close_complete;
    }
    return false;
}

}  // namespace

void response_tracker::push(request r) {
    if (count_ == ring_.size()) {
        // Full (or never used): double, unrolling the old contents to the front.
        std::vector<request> grown(ring_.empty() ? 8 : ring_.size() * 2);
        for (std::size_t i = 0; i < count_; ++i)
            grown[i] = ring_[(head_ + i) & (ring_.size() - 1)];
        ring_ = std::move(grown);
        head_ = 0;
    }
    ring_[(head_ + count_) & (ring_.size() - 1)] = r;
    ++count_;
    if (r.kind == request_kind::sync) ++syncs_;
}

void response_tracker::pop() {
    if (ring_[head_].kind == request_kind::sync) --syncs_;
    head_ = (head_ + 1) & (ring_.size() - 1);
    if (--count_ == 0) head_ = 0;
}

request response_tracker::take() {
    request r = ring_[head_];
    pop();
    return r;
}

reply_step response_tracker::on_server_message(std::uint8_t type_byte) {
    const auto type = static_cast<char>(type_byte);
    reply_step step;
    if (is_async(type)) return step;
    step.error = type == be::error_response;
    if (count_ == 0) {
        step.unexpected = true;
        return step;
    }

    if (syncing_) {
        // The server ignores everything until a Sync, so the only real replies are that
        // Sync's (a commit failure's ErrorResponse, then ReadyForQuery) or a FATAL error.
        if (type == be::ready_for_query && syncs_ != 0) {
            while (count_ != 0 && ring_[head_].kind != request_kind::sync) {
                pop();
                ++step.skipped;
            }
            syncing_ = false;
        } else {
            step.forward = step.error || !ring_[head_].hidden;
            return step;
        }
    }

    const request& h = ring_[head_];
    step.forward = step.error || !h.hidden;
    if (step.error) {
        if (!is_extended(h.kind)) return step;  // the query's ReadyForQuery ends it
        step.ends_request = true;
        step.finished = take();
        while (count_ != 0 && ring_[head_].kind != request_kind::sync) {
            pop();
            ++step.skipped;
        }
        syncing_ = true;
        return step;
    }
    if (!completes(h.kind, type)) return step;
    step.ends_request = true;
    step.finished = take();
    step.idle = type == be::ready_for_query && count_ == 0;
    return step;
}

void response_tracker::clear() {
    head_ = 0;
    count_ = 0;
    syncs_ = 0;
    syncing_ = false;
}

}  // namespace pgrelay::protocol
