// TLS between clients and pgrelay ([tls] client_tls), with certificates the test makes:
// libpq and psql with sslmode=require and verify-full, SCRAM-SHA-256-PLUS under
// channel_binding=require, plain clients refused under require and accepted under allow,
// client certificates checked against client_tls_ca_file, pgbench over TLS, and certificates
// read again on reload.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/raw_client.hpp"
#include "tests/integration/tls_certs.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

std::string tls_section(const std::string& mode, bool with_client_ca = false) {
    const auto& c = test_certificates();
    std::string s = "[tls]\nclient_tls = \"" + mode + "\"\nclient_tls_cert_file = \"" +
                    c.server_cert.string() + "\"\nclient_tls_key_file = \"" +
                    c.server_key.string() + "\"\n";
    if (with_client_ca) s += "client_tls_ca_file = \"" + c.ca_cert.string() + "\"\n";
    return s;
}

login tls_login(std::uint16_t port, const std::string& sslmode, const std::string& extra = {}) {
    login who = alice_login(port);
    who.sslmode = sslmode;
    who.extra = extra;
    return who;
}

class TlsRequire : public ::testing::Test {
  protected:
    void SetUp() override {
        PGRELAY_IT_REQUIRE_RELAY();
        ASSERT_TRUE(test_certificates().ok()) << test_certificates().error;
        relay_options options;
        options.extra_toml = tls_section("require");
        ASSERT_TRUE(relay_.start(options));
    }

    pgrelay_process relay_;
};

TEST_F(TlsRequire, SslmodeRequireConnectsOverTls) {
    pg_conn conn = connect_or_fail(tls_login(relay_.port(), "require"));
    ASSERT_TRUE(conn);
    EXPECT_EQ(PQsslInUse(conn.get()), 1);
    const char* protocol = PQsslAttribute(conn.get(), "protocol");
    ASSERT_NE(protocol, nullptr);
    EXPECT_TRUE(std::string(protocol) == "TLSv1.2" || std::string(protocol) == "TLSv1.3")
        << protocol;
    EXPECT_EQ(query_value(conn.get(), "SELECT 'over tls'"), "over tls");
    EXPECT_TRUE(exec_ok(conn.get(), "BEGIN; SELECT 1; COMMIT"));
}

TEST_F(TlsRequire, VerifyFullWithTheRightCa) {
    const auto& c = test_certificates();
    pg_conn conn = connect_or_fail(
        tls_login(relay_.port(), "verify-full", "sslrootcert=" + c.ca_cert.string()));
    ASSERT_TRUE(conn);
    EXPECT_EQ(PQsslInUse(conn.get()), 1);
    EXPECT_EQ(query_value(conn.get(), "SELECT 42"), "42");
}

TEST_F(TlsRequire, VerifyFullWithAWrongCaFails) {
    const auto& c = test_certificates();
    auto outcome = try_connect(
        tls_login(relay_.port(), "verify-full", "sslrootcert=" + c.wrong_ca_cert.string()));
    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error.find("certificate verify failed"), std::string::npos) << outcome.error;
    // pgrelay keeps serving after the failed handshake.
    pg_conn conn = connect_or_fail(tls_login(relay_.port(), "require"));
    ASSERT_TRUE(conn);
}

TEST_F(TlsRequire, ChannelBindingRequireUsesScramPlus) {
    pg_conn conn = connect_or_fail(tls_login(relay_.port(), "require", "channel_binding=require"));
    ASSERT_TRUE(conn);
    EXPECT_EQ(PQsslInUse(conn.get()), 1);
    EXPECT_EQ(query_value(conn.get(), "SELECT current_user"), "alice");
    // A wrong password still fails under channel binding.
    login wrong = tls_login(relay_.port(), "require", "channel_binding=require");
    wrong.password = "not-her-password";
    auto outcome = try_connect(wrong);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.sqlstate, "28P01") << outcome.error;
}

TEST_F(TlsRequire, PlainClientIsRefusedWith28000) {
    auto outcome = try_connect(tls_login(relay_.port(), "disable"));
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.sqlstate, "28000") << outcome.error;
    EXPECT_NE(outcome.error.find("pgrelay requires SSL: connect with sslmode=require"),
              std::string::npos)
        << outcome.error;
}

TEST_F(TlsRequire, SslRequestIsAnsweredSAndGssencN) {
    raw_client raw;
    ASSERT_TRUE(raw.connect(relay_.port()));
    ASSERT_TRUE(raw.send(gssenc_request()));
    auto answer = raw.read_at_least(1, 5s);
    ASSERT_EQ(answer.data, "N") << describe(answer);
    ASSERT_TRUE(raw.send(ssl_request()));
    answer = raw.read_at_least(1, 5s);
    EXPECT_EQ(answer.data, "S") << describe(answer);
}

TEST_F(TlsRequire, PsqlOverTls) {
    const auto& c = test_certificates();
    login who = tls_login(relay_.port(), "verify-full");
    // psql takes its settings from the environment (PGSSLMODE); the CA goes in the dsn.
    auto run = run_psql(
        who,
        {"-d", "sslrootcert=" + c.ca_cert.string(), "-c", "\\conninfo", "-c", "SELECT 'psql ok'"},
        30s);
    ASSERT_TRUE(run.ok()) << run.describe();
    EXPECT_NE(run.out.find("SSL connection"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("psql ok"), std::string::npos) << run.out;
}

TEST_F(TlsRequire, PgbenchOverTlsHasNoFailures) {
    const auto script = relay_.dir() / "select.sql";
    std::ofstream(script) << "SELECT 1;\n";
    auto run = run_pgbench(tls_login(relay_.port(), "require"),
                           {"-n", "-c", "4", "-j", "2", "-t", "200", "-f", script.string()}, 120s);
    ASSERT_TRUE(run.ok()) << run.describe();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(run.out, m, std::regex(R"(actually processed: (\d+)/(\d+))")))
        << run.out;
    EXPECT_EQ(m[1], "800") << run.out;
    EXPECT_EQ(m[2], "800") << run.out;
    if (std::regex_search(run.out, m, std::regex(R"(number of failed transactions: (\d+))"))) {
        EXPECT_EQ(m[1], "0") << run.out;
    }
}

class TlsAllow : public ::testing::Test {
  protected:
    void start(bool client_ca) {
        PGRELAY_IT_REQUIRE_RELAY();
        ASSERT_TRUE(test_certificates().ok()) << test_certificates().error;
        relay_options options;
        options.extra_toml = tls_section("allow", client_ca);
        ASSERT_TRUE(relay_.start(options));
    }

    pgrelay_process relay_;
};

TEST_F(TlsAllow, PlainAndTlsClientsBothConnect) {
    start(false);
    pg_conn plain = connect_or_fail(tls_login(relay_.port(), "disable"));
    ASSERT_TRUE(plain);
    EXPECT_EQ(PQsslInUse(plain.get()), 0);
    pg_conn tls = connect_or_fail(tls_login(relay_.port(), "prefer"));
    ASSERT_TRUE(tls);
    EXPECT_EQ(PQsslInUse(tls.get()), 1);
    EXPECT_EQ(query_value(plain.get(), "SELECT 1"), "1");
    EXPECT_EQ(query_value(tls.get(), "SELECT 2"), "2");
}

TEST_F(TlsAllow, ClientCertificatesAreVerifiedAgainstTheCa) {
    start(true);
    const auto& c = test_certificates();
    // The server certificate doubles as a client certificate the CA signed.
    pg_conn conn = connect_or_fail(
        tls_login(relay_.port(), "require",
                  "sslcert=" + c.server_cert.string() + " sslkey=" + c.server_key.string()));
    ASSERT_TRUE(conn);
    EXPECT_EQ(PQsslInUse(conn.get()), 1);
    auto without = try_connect(
        tls_login(relay_.port(), "require", "sslcert=/nonexistent sslkey=/nonexistent"));
    EXPECT_FALSE(without.ok()) << "a TLS client without a certificate got in";
}

// A renewed certificate is served after SIGHUP: the files are replaced in place (here by a
// certificate of the other CA), and new TLS clients verify against the new CA only; the
// connection made before keeps working.
TEST(TlsConfig, ReloadReadsTheCertificateFilesAgain) {
    PGRELAY_IT_REQUIRE_RELAY();
    const auto& c = test_certificates();
    ASSERT_TRUE(c.ok()) << c.error;
    const auto dir = make_scratch_dir("tls-reload");
    const auto cert = dir / "current.crt";
    const auto key = dir / "current.key";
    std::filesystem::copy_file(c.server_cert, cert);
    std::filesystem::copy_file(c.server_key, key);
    relay_options options;
    options.extra_toml = "[tls]\nclient_tls = \"require\"\nclient_tls_cert_file = \"" +
                         cert.string() + "\"\nclient_tls_key_file = \"" + key.string() + "\"\n";
    pgrelay_process relay;
    ASSERT_TRUE(relay.start(options));
    const auto verify = [&](const std::filesystem::path& ca) {
        return try_connect(tls_login(relay.port(), "verify-ca", "sslrootcert=" + ca.string()));
    };
    pg_conn before =
        connect_or_fail(tls_login(relay.port(), "verify-ca", "sslrootcert=" + c.ca_cert.string()));
    ASSERT_TRUE(before);
    ASSERT_FALSE(verify(c.wrong_ca_cert).ok());

    // The other CA's self-signed certificate and key replace the files.
    const auto other_key = c.wrong_ca_cert.parent_path() / "wrong-ca.key";
    std::filesystem::copy_file(c.wrong_ca_cert, cert,
                               std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(other_key, key, std::filesystem::copy_options::overwrite_existing);
    relay.send_signal(SIGHUP);
    bool renewed = false;
    for (int i = 0; i < 100 && !renewed; ++i) {
        std::this_thread::sleep_for(50ms);
        renewed = verify(c.wrong_ca_cert).ok();
    }
    EXPECT_TRUE(renewed) << "the new certificate was not served after SIGHUP";
    auto old = verify(c.ca_cert);
    EXPECT_FALSE(old.ok()) << "the old certificate is still served";
    EXPECT_EQ(query_value(before.get(), "SELECT 'still here'"), "still here");
    if (!renewed) relay.dump_stderr();
}

TEST(TlsConfig, UnreadableCertificateIsRefusedAtStart) {
    PGRELAY_IT_REQUIRE_RELAY();
    const auto dir = make_scratch_dir("tls-check");
    relay_options options;
    options.extra_toml = "[tls]\nclient_tls = \"require\"\nclient_tls_cert_file = \"" +
                         (dir / "missing.crt").string() + "\"\nclient_tls_key_file = \"" +
                         (dir / "missing.key").string() + "\"\n";
    write_relay_config(dir, options, free_port());
    auto run =
        run_command({pgrelay_binary(), "--check", "--config", (dir / "pgrelay.toml").string()});
    EXPECT_NE(run.exit_code, 0) << run.describe();
    EXPECT_NE(run.err.find("tls.client_tls_cert_file: cannot load"), std::string::npos)
        << run.describe();
}

}  // namespace
}  // namespace pgrelay::it
