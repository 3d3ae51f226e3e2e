// Planned switchover; see switchover.hpp.
#include "proxy/switchover.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "health/lsn.hpp"
#include "health/probe.hpp"
#include "protocol/sqlstate.hpp"
#include "proxy/health_setup.hpp"
#include "proxy/log.hpp"
#include "proxy/timeout.hpp"

namespace pgrelay::proxy {

namespace sql = protocol::sqlstate;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {
constexpr std::string_view not_ready = "55000";  // object_not_in_prerequisite_state
}

std::variant<switchover_plan, switchover_refusal> plan_switchover(const health::topology& t,
                                                                  const config& cfg,
                                                                  const control_state& control,
                                                                  std::string_view target) {
    const auto to = cfg.node_index(target);
    const std::string name(target);
    if (!to)
        return switchover_refusal{sql::undefined_object, "no node named \"" + name + "\" (nodes: " +
                                                             cfg.node_names() + ")"};
    if (control.shutting_down) return switchover_refusal{not_ready, "pgrelay is shutting down"};
    if (t.split_brain)
        return switchover_refusal{not_ready, "two nodes claim the primary role (split brain)"};
    const auto* primary = t.primary_node();
    if (!primary || primary->state != health::node_state::up)
        return switchover_refusal{not_ready, "no primary is known and up"};
    if (*t.primary == *to)
        return switchover_refusal{not_ready, "\"" + name + "\" is the primary already"};
    if (control.is_disabled(*t.primary))
        return switchover_refusal{not_ready, "the primary \"" + primary->name + "\" is disabled"};
    if (*to >= t.nodes.size())
        return switchover_refusal{not_ready, "\"" + name + "\" has not been checked yet"};
    const auto& n = t.nodes[*to];
    if (control.is_disabled(*to))
        return switchover_refusal{not_ready, "\"" + name + "\" is disabled"};
    if (n.role != health::node_role::standby ||
        (n.state != health::node_state::up && n.state != health::node_state::stale)) {
        std::string why = "\"" + name + "\" is " + std::string(to_string(n.state));
        if (n.role != health::node_role::standby) why += ", not a standby";
        if (!n.reason.empty()) why += " (" + n.reason + ")";
        return switchover_refusal{not_ready, why};
    }
    if (n.timeline != primary->timeline) {
        return switchover_refusal{not_ready, "\"" + name + "\" is on timeline " +
                                                 std::to_string(n.timeline) + ", the primary on " +
                                                 std::to_string(primary->timeline)};
    }
    return switchover_plan{*t.primary, *to};
}

namespace {

milliseconds since(steady::time_point start) {
    return std::chrono::duration_cast<milliseconds>(steady::now() - start);
}

asio::awaitable<void> sleep_for(milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(use_nothrow);
}

// One switchover's bookkeeping: the steps taken, the control changes to undo.
class switchover_run {
  public:
    switchover_run(proxy_state& state, health::health_checker& checker, switchover_plan plan)
        : state_(state), checker_(checker), plan_(plan) {
        const auto cfg = state.configuration.load();
        auto targets = checked_nodes(*cfg, *state.users.load());
        from_name_ = cfg->nodes[plan.from].name;
        to_name_ = cfg->nodes[plan.to].name;
        // The same connections as the health checker's, with room for a busy server.
        for (const std::size_t i : {plan.from, plan.to}) {
            targets[i].target.query_timeout =
                std::max(milliseconds(10000), targets[i].target.query_timeout);
        }
        nodes_.emplace_back(
            std::make_unique<health::node_probe>(checker.executor(), targets[plan.from].target));
        nodes_.emplace_back(
            std::make_unique<health::node_probe>(checker.executor(), targets[plan.to].target));
    }

    asio::awaitable<switchover_report> run(milliseconds timeout, milliseconds confirm_timeout) {
        const auto deadline = steady::now() + timeout;
        log_info("switchover: starting", {{"from", from_name_},
                                          {"to", to_name_},
                                          {"timeout_ms", std::to_string(timeout.count())}});
        if (!co_await connect()) {
            report_.error = "switchover to \"" + to_name_ + "\" not started: " + report_.error;
            co_return report_;
        }
        pause();
        if (!co_await drain(deadline)) co_return co_await abort();
        const auto primary_lsn = co_await mark_primary_wal();
        if (!primary_lsn) co_return co_await abort();
        if (!co_await catch_up(*primary_lsn, deadline)) co_return co_await abort();
        if (!co_await promote(steady::now() + confirm_timeout)) co_return co_await abort();
        report_.promoted = true;
        co_await confirm(confirm_timeout);
        resume();
        co_return report_;
    }

  private:
    void step(std::string name, std::string detail, steady::time_point started) {
        log_info("switchover: " + name,
                 {{"detail", detail}, {"ms", std::to_string(since(started).count())}});
        report_.steps.push_back({std::move(name), std::move(detail), since(started)});
    }

    bool fail(std::string_view sqlstate, std::string error) {
        report_.sqlstate = sqlstate;
        report_.error = std::move(error);
        return false;
    }

    template <typename Change>
    void update_control(Change change) {
        auto next = std::make_shared<control_state>(*state_.control.load());
        next->disabled.resize(state_.configuration.load()->nodes.size(), false);
        change(*next);
        state_.control.publish(std::move(next));
    }

    void pause() {
        paused_at_ = steady::now();
        was_paused_ = state_.control.load()->paused;
        update_control([](control_state& c) { c.paused = true; });
        step("pause", "new transactions wait", paused_at_);
    }

    void resume() {
        const auto started = steady::now();
        const bool keep = was_paused_;
        update_control([keep](control_state& c) { c.paused = keep; });
        report_.paused_for = since(paused_at_);
        step("resume",
             keep ? "left paused, as before the switchover"
                  : "new transactions run on " +
                        std::string(report_.promoted ? to_name_ : from_name_),
             started);
    }

    asio::awaitable<switchover_report> abort() {
        if (fenced_) update_control([this](control_state& c) { c.disabled[plan_.from] = false; });
        resume();
        report_.ok = false;
        log_warning("switchover aborted",
                    {{"from", from_name_}, {"to", to_name_}, {"error", report_.error}});
        report_.error = "switchover to \"" + to_name_ + "\" aborted: " + report_.error + "; \"" +
                        from_name_ + "\" is still the primary";
        co_return report_;
    }

    // Opens both connections before anything is paused (each costs a login).
    asio::awaitable<bool> connect() {
        const auto started = steady::now();
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            auto v = co_await nodes_[i]->fetch_value("SELECT 1");
            if (!v.ok) {
                co_return fail(
                    sql::connection_failure,
                    "cannot reach \"" + (i == 0 ? from_name_ : to_name_) + "\": " + v.error);
            }
        }
        step("connect", "to \"" + from_name_ + "\" and \"" + to_name_ + "\"", started);
        co_return true;
    }

    // Waits until no transaction runs.
    asio::awaitable<bool> drain(steady::time_point deadline) {
        const auto started = steady::now();
        while (state_.busy_sessions.load() > 0) {
            if (steady::now() >= deadline) {
                co_return fail(not_ready, std::to_string(state_.busy_sessions.load()) +
                                              " transaction(s) still running at the timeout");
            }
            co_await sleep_for(milliseconds(5));
        }
        step("drain", "no transaction running", started);
        co_return true;
    }

    // A position past every acknowledged commit, as the standby will report it once it has
    // replayed that far: the end of a WAL message of our own, written in a transaction that
    // commits with synchronous_commit on (so it is flushed, and sent, at once).
    asio::awaitable<std::optional<health::lsn>> mark_primary_wal() {
        const auto started = steady::now();
        auto v = co_await nodes_[0]->fetch_value(
            "SET synchronous_commit = on; "
            "SELECT pg_logical_emit_message(true, 'pgrelay', 'switchover')");
        std::optional<health::lsn> at;
        if (v.ok && v.value) at = health::parse_lsn(*v.value);
        if (!at) {
            fail(sql::connection_failure, "cannot mark the primary's WAL: " +
                                              (v.ok ? std::string("unexpected answer") : v.error));
            co_return std::nullopt;
        }
        step("primary_lsn", "\"" + from_name_ + "\" marked its WAL at " + health::format_lsn(*at),
             started);
        co_return at;
    }

    // Waits until the standby has replayed up to `target`.
    asio::awaitable<bool> catch_up(health::lsn target, steady::time_point deadline) {
        const auto started = steady::now();
        std::string last = "unknown";
        for (int checks = 1;; ++checks) {
            auto v = co_await nodes_[1]->fetch_value(
                "SELECT pg_last_wal_replay_lsn()::text || ' ' || pg_is_wal_replay_paused()::text");
            if (v.ok && v.value) {
                const std::string& text = *v.value;
                const auto space = text.find(' ');
                const auto replayed = health::parse_lsn(std::string_view(text).substr(0, space));
                if (replayed && *replayed >= target) {
                    step("catch_up",
                         "\"" + to_name_ + "\" replayed " + health::format_lsn(*replayed) + " (" +
                             std::to_string(checks) + " checks)",
                         started);
                    co_return true;
                }
                if (replayed) {
                    last = "replayed " + health::format_lsn(*replayed) + ", " +
                           std::to_string(health::bytes_behind(target, *replayed)) +
                           " bytes behind " + health::format_lsn(target);
                    if (text.ends_with(" true")) last += ", replay paused";
                }
            } else if (!v.ok) {
                last = v.error;
            }
            if (steady::now() >= deadline)
                co_return fail(
                    not_ready,
                    "\"" + to_name_ + "\" did not catch up within the timeout (" + last + ")");
            co_await sleep_for(milliseconds(10));
        }
    }

    // Fences the old primary for pgrelay's own traffic (disabled until the checker confirms),
    // then promotes and waits until the standby has left recovery (polled more often than
    // pg_promote(wait => true) does). False only when the standby is certainly still one.
    asio::awaitable<bool> promote(steady::time_point give_up) {
        const auto started = steady::now();
        update_control([this](control_state& c) { c.disabled[plan_.from] = true; });
        fenced_ = true;
        auto v = co_await nodes_[1]->fetch_value("SELECT pg_promote(false)");
        if (!v.ok || v.value != std::optional<std::string>("t")) {
            // Refused or lost: the promotion may still have been requested.
            const std::string why = v.ok ? "pg_promote() returned false" : v.error;
            auto check = co_await nodes_[1]->fetch_value("SELECT pg_is_in_recovery()");
            if (check.ok && check.value == std::optional<std::string>("t"))
                co_return fail(not_ready, "promotion of \"" + to_name_ + "\" failed: " + why);
            step("promote", why + "; going on", started);
            co_return true;
        }
        std::string state = "in recovery";
        while (steady::now() < give_up) {
            auto check = co_await nodes_[1]->fetch_value("SELECT pg_is_in_recovery()");
            if (check.ok && check.value == std::optional<std::string>("f")) {
                step("promote", "\"" + to_name_ + "\" left recovery", started);
                co_return true;
            }
            if (!check.ok) state = check.error;
            co_await sleep_for(milliseconds(5));
        }
        step("promote", "requested; \"" + to_name_ + "\" still " + state + ": going on", started);
        co_return true;
    }

    // Waits for the health checker to see the promoted node as the primary on a new timeline
    // and the old one fenced or down; only then does the old primary leave pgrelay's control.
    asio::awaitable<void> confirm(milliseconds confirm_timeout) {
        const auto started = steady::now();
        const auto deadline = started + confirm_timeout;
        auto& cell = *state_.topology;
        checker_.check_now();
        while (true) {
            const auto changes = cell.changes();
            const auto t = cell.load();
            const bool promoted = t->primary == plan_.to;
            const auto old_state = t->nodes[plan_.from].state;
            const bool old_out = old_state == health::node_state::fenced ||
                                 old_state == health::node_state::down ||
                                 t->nodes[plan_.from].role == health::node_role::standby;
            if (promoted && old_out) {
                update_control([this](control_state& c) { c.disabled[plan_.from] = false; });
                step("new_primary",
                     "\"" + to_name_ + "\" is the primary on timeline " +
                         std::to_string(t->nodes[plan_.to].timeline) + "; \"" + from_name_ +
                         "\" is " + std::string(to_string(old_state)),
                     started);
                report_.ok = true;
                co_return;
            }
            if (steady::now() >= deadline) {
                report_.ok = false;
                report_.sqlstate = not_ready;
                report_.error = "\"" + to_name_ +
                                "\" was promoted, but the health checker has not confirmed it as "
                                "the primary within " +
                                std::to_string(confirm_timeout.count()) + " ms; \"" + from_name_ +
                                "\" stays disabled (ENABLE NODE " + from_name_ +
                                " once it is a standby)";
                step("new_primary", "not confirmed yet", started);
                co_return;
            }
            co_await with_timeout(cell.wait_change(changes), milliseconds(50));
            if (steady::now() - started > milliseconds(500)) checker_.check_now();
        }
    }

    proxy_state& state_;
    health::health_checker& checker_;
    switchover_plan plan_;
    std::string from_name_, to_name_;
    std::vector<std::unique_ptr<health::node_probe>> nodes_;  // [0] the primary, [1] the target
    switchover_report report_;
    steady::time_point paused_at_;
    bool was_paused_ = false;
    bool fenced_ = false;
};

}  // namespace

asio::awaitable<switchover_report> run_switchover(proxy_state& state,
                                                  health::health_checker& checker,
                                                  switchover_plan plan, milliseconds timeout,
                                                  milliseconds confirm_timeout) {
    switchover_run run(state, checker, plan);
    co_return co_await run.run(timeout, confirm_timeout);
}

}  // namespace pgrelay::proxy
