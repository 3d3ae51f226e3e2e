// The pgrelay command line as operators use it: --version, --help, --check on good and bad
// configs, a missing config file, and a clean exit (code 0) on SIGTERM with clients attached.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

// The project version, from the top-level CMakeLists.txt ("project(pgrelay VERSION x.y.z").
std::string project_version() {
    std::ifstream in(std::string(PGRELAY_SOURCE_DIR) + "/CMakeLists.txt");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::smatch m;
    static const std::regex re(R"(project\(pgrelay\s+VERSION\s+([0-9.]+))");
    return std::regex_search(text, m, re) ? m[1].str() : "<no version in CMakeLists.txt>";
}

command_result run_pgrelay(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {pgrelay_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, {.timeout = 10s});
}

class relay_cli : public ::testing::Test {
  protected:
    void SetUp() override { PGRELAY_IT_REQUIRE_RELAY(); }
};

TEST_F(relay_cli, version_and_help) {
    auto version = run_pgrelay({"--version"});
    EXPECT_EQ(version.exit_code, 0) << version.describe();
    EXPECT_NE((version.out + version.err).find("pgrelay"), std::string::npos) << version.describe();
    EXPECT_NE((version.out + version.err).find(project_version()), std::string::npos)
        << "expected version " << project_version() << ": " << version.describe();

    auto help = run_pgrelay({"--help"});
    EXPECT_EQ(help.exit_code, 0) << help.describe();
    EXPECT_NE((help.out + help.err).find("--config"), std::string::npos) << help.describe();
    EXPECT_NE((help.out + help.err).find("--check"), std::string::npos) << help.describe();
}

TEST_F(relay_cli, check_accepts_a_good_config) {
    auto dir = make_scratch_dir("check-good");
    write_relay_config(dir, {}, 6432);
    auto check = run_pgrelay({"--config", (dir / "pgrelay.toml").string(), "--check"});
    EXPECT_EQ(check.exit_code, 0) << check.describe();
}

TEST_F(relay_cli, check_rejects_a_bad_config) {
    auto dir = make_scratch_dir("check-bad");
    write_relay_config(dir, {}, 6432);
    {
        std::ofstream toml(dir / "pgrelay.toml", std::ios::app);
        toml << "\n[[nodes]]\nname = \"bad\"\nhost = \"127.0.0.1\"\nport = 70000\n";
    }
    auto check = run_pgrelay({"--config", (dir / "pgrelay.toml").string(), "--check"});
    EXPECT_NE(check.exit_code, 0) << check.describe();
    EXPECT_FALSE(check.timed_out);
    EXPECT_NE((check.out + check.err).find("70000"), std::string::npos)
        << "the error should name the bad value: " << check.describe();

    std::ofstream(dir / "syntax.toml") << "[general\nworkers = \n";
    auto syntax = run_pgrelay({"--config", (dir / "syntax.toml").string(), "--check"});
    EXPECT_NE(syntax.exit_code, 0) << syntax.describe();
    EXPECT_NE((syntax.out + syntax.err).find("line"), std::string::npos) << syntax.describe();
}

TEST_F(relay_cli, missing_config_file_fails_fast) {
    auto run = run_pgrelay({"--config", (run_dir() / "no-such.toml").string()});
    EXPECT_NE(run.exit_code, 0) << run.describe();
    EXPECT_FALSE(run.timed_out) << "pgrelay kept running without a config";
    EXPECT_NE(run.err.find("no-such.toml"), std::string::npos) << run.describe();
}

TEST_F(relay_cli, sigterm_exits_0_with_clients_connected) {
    pgrelay_process relay;
    ASSERT_TRUE(relay.start());
    pg_conn idle = connect_or_fail(alice_login(relay.port()));
    pg_conn in_tx = connect_or_fail(alice_login(relay.port()));
    ASSERT_TRUE(idle && in_tx);
    ASSERT_TRUE(exec_ok(in_tx.get(), "BEGIN"));
    ASSERT_TRUE(exec_ok(in_tx.get(), "SELECT 1"));
    auto started = std::chrono::steady_clock::now();
    int code = relay.stop(10s);
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    EXPECT_EQ(code, 0) << "pgrelay " << relay.exit_description() << " after SIGTERM";
    EXPECT_LT(took.count(), 10000) << "SIGTERM did not stop pgrelay";
    // The clients see their connections end.
    EXPECT_NE(query_value(idle.get(), "SELECT 1"), "1");
}

}  // namespace
}  // namespace pgrelay::it
