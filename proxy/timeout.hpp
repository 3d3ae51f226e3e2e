// Racing an operation against a deadline: with_timeout runs a coroutine and a timer in
// parallel and returns the coroutine's result, or nothing when the timer won (the loser is
// cancelled). A zero or negative duration means no deadline.
#pragma once

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <chrono>
#include <optional>

#include "proxy/wire.hpp"

namespace pgrelay::proxy {

namespace detail {
// Asio's `||` flattens an awaitable<std::variant<...>> into its alternatives, so a result
// that is itself a variant would change the meaning of index 0: box it first.
template <typename T>
struct boxed {
    T value;
};
template <typename T>
asio::awaitable<boxed<T>> box(asio::awaitable<T> op) {
    // Not `boxed<T>{co_await op}`: GCC 12 miscompiles co_await inside a braced initializer.
    T value = co_await std::move(op);
    co_return boxed<T>{std::move(value)};
}
}  // namespace detail

template <typename T>
asio::awaitable<std::optional<T>> with_timeout(asio::awaitable<T> op, std::chrono::milliseconds d) {
    using namespace asio::experimental::awaitable_operators;
    if (d.count() <= 0) co_return co_await std::move(op);
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    auto r = co_await (detail::box(std::move(op)) || timer.async_wait(use_nothrow));
    if (r.index() == 0) co_return std::move(std::get<0>(r).value);
    co_return std::nullopt;
}

// The same for an operation without a result: true when it finished first.
inline asio::awaitable<bool> with_timeout(asio::awaitable<void> op, std::chrono::milliseconds d) {
    using namespace asio::experimental::awaitable_operators;
    if (d.count() <= 0) {
        co_await std::move(op);
        co_return true;
    }
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    auto r = co_await (std::move(op) || timer.async_wait(use_nothrow));
    co_return r.index() == 0;
}

}  // namespace pgrelay::proxy
