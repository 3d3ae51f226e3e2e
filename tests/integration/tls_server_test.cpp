// TLS from pgrelay to PostgreSQL ([tls] server_tls): a private cluster with ssl = on and the
// test CA's certificate, reached with verify-full (pgrelay's connections and the health
// checker's), a wrong CA refused with a clear reason, and prefer against the shared cluster
// (no TLS there) falling back to plain TCP.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/integration/pg_client.hpp"
#include "tests/integration/pgrelay_process.hpp"
#include "tests/integration/private_cluster.hpp"
#include "tests/integration/tls_certs.hpp"

namespace pgrelay::it {
namespace {

using namespace std::chrono_literals;

const std::string backend_ssl_sql =
    "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

class TlsServer : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (direct_mode() || !test_certificates().ok()) return;
        cluster_ = new private_cluster;
        if (!cluster_->start("tls", 0)) return;
        const auto& c = test_certificates();
        const auto data = cluster_->data_dir("primary");
        std::filesystem::copy_file(c.server_cert, data / "server.crt",
                                   std::filesystem::copy_options::overwrite_existing);
        std::filesystem::copy_file(c.server_key, data / "server.key",
                                   std::filesystem::copy_options::overwrite_existing);
        auto owned = run_command({"chown", "postgres:postgres", (data / "server.crt").string(),
                                  (data / "server.key").string()});
        if (!owned.ok()) return;
        std::ofstream(data / "postgresql.conf", std::ios::app)
            << "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n";
        ssl_on_ = cluster_->stop_node("primary") && cluster_->start_node("primary");
    }

    static void TearDownTestSuite() {
        delete cluster_;
        cluster_ = nullptr;
    }

    void SetUp() override {
        PGRELAY_IT_REQUIRE_RELAY();
        ASSERT_TRUE(test_certificates().ok()) << test_certificates().error;
        ASSERT_TRUE(ssl_on_) << "the private cluster with ssl = on did not start";
    }

    ::testing::AssertionResult start(const std::string& mode, const std::filesystem::path& ca,
                                     double primary_wait = 10) {
        relay_options options;
        options.nodes = {{.name = "tlsprimary", .port = cluster_->primary_port()}};
        options.primary_wait_timeout = primary_wait;
        options.extra_toml =
            "[tls]\nserver_tls = \"" + mode + "\"\nserver_tls_ca_file = \"" + ca.string() + "\"\n";
        return relay_.start(options);
    }

    static private_cluster* cluster_;
    static bool ssl_on_;
    pgrelay_process relay_;
};

private_cluster* TlsServer::cluster_ = nullptr;
bool TlsServer::ssl_on_ = false;

TEST_F(TlsServer, VerifyFullWithTheRightCaEncryptsServerConnections) {
    ASSERT_TRUE(start("verify-full", test_certificates().ca_cert));
    // A routed query needs the health checker to see the primary up: over TLS as well.
    pg_conn conn = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(conn);
    EXPECT_EQ(query_value(conn.get(), backend_ssl_sql), "true");
    EXPECT_TRUE(exec_ok(conn.get(), "BEGIN; CREATE TEMP TABLE t(x int); ROLLBACK"));
}

TEST_F(TlsServer, WrongCaIsRefusedWithTheReason) {
    ASSERT_TRUE(start("verify-full", test_certificates().wrong_ca_cert, 2));
    auto outcome = try_connect(alice_login(relay_.port()), 20s);
    ASSERT_FALSE(outcome.ok());
    EXPECT_NE(outcome.error.find("tlsprimary"), std::string::npos) << outcome.error;
    EXPECT_NE(outcome.error.find("certificate verify failed"), std::string::npos) << outcome.error;
}

TEST_F(TlsServer, RequireSkipsTheCertificateCheck) {
    ASSERT_TRUE(start("require", test_certificates().wrong_ca_cert));
    pg_conn conn = connect_or_fail(alice_login(relay_.port()));
    ASSERT_TRUE(conn);
    EXPECT_EQ(query_value(conn.get(), backend_ssl_sql), "true");
}

TEST(TlsServerPrefer, PlainServerFallsBackToTcp) {
    PGRELAY_IT_REQUIRE_RELAY();
    pgrelay_process relay;
    relay_options options;
    options.extra_toml = "[tls]\nserver_tls = \"prefer\"\n";
    ASSERT_TRUE(relay.start(options));
    pg_conn conn = connect_or_fail(alice_login(relay.port()));
    ASSERT_TRUE(conn);
    EXPECT_EQ(query_value(conn.get(), backend_ssl_sql), "false");
}

}  // namespace
}  // namespace pgrelay::it
