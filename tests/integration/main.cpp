// Entry point of pgrelay_integration_tests: GoogleTest, the shared-cluster environment
// (set up once, always torn down) and a per-test watchdog that aborts a hung test (the abort
// handler still tears the cluster down). PGRELAY_IT_DIRECT=1 bypasses pgrelay.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "tests/integration/cluster_environment.hpp"

namespace {

// Aborts the run when one test takes longer than PGRELAY_IT_TEST_TIMEOUT seconds
// (default 120): a proxy that stalls would otherwise block libpq forever.
class watchdog : public ::testing::EmptyTestEventListener {
  public:
    explicit watchdog(std::chrono::seconds limit) : limit_(limit) {
        std::thread([this] { run(); }).detach();
    }

    void OnTestStart(const ::testing::TestInfo& info) override {
        name_ = std::string(info.test_suite_name()) + "." + info.name();
        started_.store(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    void OnTestEnd(const ::testing::TestInfo&) override { started_.store(0); }

  private:
    void run() {
        for (;;) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
            auto started = started_.load();
            if (started == 0) continue;
            auto now = std::chrono::steady_clock::now().time_since_epoch().count();
            auto elapsed = std::chrono::steady_clock::duration(now - started);
            if (elapsed > limit_) {
                std::cerr << "\n[watchdog] " << name_ << " has run for more than " << limit_.count()
                          << " s; aborting the test binary\n";
                std::abort();
            }
        }
    }

    std::chrono::seconds limit_;
    std::string name_;  // written before started_ is set, read only after it is
    std::atomic<std::chrono::steady_clock::rep> started_{0};
};

}  // namespace

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::signal(SIGPIPE, SIG_IGN);  // a peer closing on us is a test outcome, not a crash
    const char* limit = std::getenv("PGRELAY_IT_TEST_TIMEOUT");
    int seconds = limit != nullptr ? std::atoi(limit) : 120;
    if (seconds > 0) {
        ::testing::UnitTest::GetInstance()->listeners().Append(
            new watchdog(std::chrono::seconds(seconds)));
    }
    ::testing::AddGlobalTestEnvironment(new pgrelay::it::cluster_environment);
    return RUN_ALL_TESTS();
}
