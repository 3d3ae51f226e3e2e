// Unit tests for proxy/users_file: the PgBouncer auth_file syntax (quoting, comments, line
// endings), secret classification by shape, every error with its file:line, no secret in
// any error, and load_users_file on real files.
#include "proxy/users_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <vector>

namespace pgrelay::proxy {
namespace {

namespace fs = std::filesystem;

const std::string md5_secret = "md545f2603610af569b6155c45067268c6b";  // admin / 1234
const std::string scram_secret =
    "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$c3RvcmVka2V5c3RvcmVka2V5Cg==:c2VydmVya2V5c2VydmVyCg==";

users_result parse(std::string_view text) {
    return parse_users(text, "users.txt");
}

// ---------------------------------------------------------------------------------------
// Accepted files

struct value_case {
    std::string name;
    std::string text;
    std::vector<user_entry> expected;  // the whole map, in any order
};

class UsersValues : public ::testing::TestWithParam<value_case> {};

TEST_P(UsersValues, Parsed) {
    const users_result r = parse(GetParam().text);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_TRUE(r.error.empty());
    const user_map& users = *r.value;
    EXPECT_EQ(users.size(), GetParam().expected.size());
    for (const user_entry& e : GetParam().expected) {
        auto it = users.find(e.name);
        ASSERT_NE(it, users.end()) << e.name;
        EXPECT_EQ(it->second, e) << e.name;
    }
}

const value_case value_cases[] = {
    {"empty_file", "", {}},
    {"only_comments_and_blanks", "# users\n\n; more\n   \n\t# indented\n", {}},
    {"plain", "\"alice\" \"secret\"\n", {{"alice", "secret", secret_kind::plain}}},
    {"no_final_newline", "\"alice\" \"secret\"", {{"alice", "secret", secret_kind::plain}}},
    {"md5", "\"admin\" \"" + md5_secret + "\"\n", {{"admin", md5_secret, secret_kind::md5}}},
    {"md5_upper_hex",
     "\"admin\" \"md545F2603610AF569B6155C45067268C6B\"\n",
     {{"admin", "md545F2603610AF569B6155C45067268C6B", secret_kind::md5}}},
    {"scram", "\"bob\" \"" + scram_secret + "\"\n", {{"bob", scram_secret, secret_kind::scram}}},
    {"several_users",
     "\"alice\" \"pw\"\n\"admin\" \"" + md5_secret + "\"\n\"bob\" \"" + scram_secret + "\"\n",
     {{"alice", "pw", secret_kind::plain},
      {"admin", md5_secret, secret_kind::md5},
      {"bob", scram_secret, secret_kind::scram}}},
    {"doubled_quote_in_name", "\"o\"\"brien\" \"pw\"\n", {{"o\"brien", "pw", secret_kind::plain}}},
    {"doubled_quote_in_secret",
     "\"alice\" \"say \"\"hi\"\"\"\n",
     {{"alice", "say \"hi\"", secret_kind::plain}}},
    {"only_a_quote", "\"\"\"\" \"\"\"\"\n", {{"\"", "\"", secret_kind::plain}}},
    {"spaces_and_hash_in_secret",
     "\"alice\" \"a b # c ; d\"\n",
     {{"alice", "a b # c ; d", secret_kind::plain}}},
    {"empty_secret", "\"alice\" \"\"\n", {{"alice", "", secret_kind::plain}}},
    {"rest_of_line_ignored",
     "\"alice\" \"pw\" \"extra\" whatever\n",
     {{"alice", "pw", secret_kind::plain}}},
    {"no_space_between_fields_after_close",
     "\"alice\" \"pw\"# trailing\n",
     {{"alice", "pw", secret_kind::plain}}},
    {"tabs_and_indentation", "\t \"alice\"\t\t\"pw\"  \n", {{"alice", "pw", secret_kind::plain}}},
    {"crlf",
     "# c\r\n\"alice\" \"pw\"\r\n\r\n\"bob\" \"x\"\r\n",
     {{"alice", "pw", secret_kind::plain}, {"bob", "x", secret_kind::plain}}},
    {"byte_order_mark", "\xEF\xBB\xBF\"alice\" \"pw\"\n", {{"alice", "pw", secret_kind::plain}}},
    {"comment_markers_inside_fields",
     "\"#alice\" \";pw\"\n",
     {{"#alice", ";pw", secret_kind::plain}}},
    {"utf8_name", "\"jos\xC3\xA9\" \"pw\"\n", {{"jos\xC3\xA9", "pw", secret_kind::plain}}},
    {"case_sensitive_names",
     "\"Alice\" \"a\"\n\"alice\" \"b\"\n",
     {{"Alice", "a", secret_kind::plain}, {"alice", "b", secret_kind::plain}}},
    // Shapes that look almost like hashes are plaintext passwords.
    {"md5_too_short",
     "\"u\" \"md545f2603610af569b6155c45067268c6\"\n",
     {{"u", "md545f2603610af569b6155c45067268c6", secret_kind::plain}}},
    {"md5_too_long",
     "\"u\" \"md545f2603610af569b6155c45067268c6bb\"\n",
     {{"u", "md545f2603610af569b6155c45067268c6bb", secret_kind::plain}}},
    {"md5_not_hex",
     "\"u\" \"md545f2603610af569b6155c45067268c6g\"\n",
     {{"u", "md545f2603610af569b6155c45067268c6g", secret_kind::plain}}},
    {"md5_upper_prefix",
     "\"u\" \"MD545f2603610af569b6155c45067268c6b\"\n",
     {{"u", "MD545f2603610af569b6155c45067268c6b", secret_kind::plain}}},
    {"scram_lower_prefix",
     "\"u\" \"scram-sha-256$4096:a$b:c\"\n",
     {{"u", "scram-sha-256$4096:a$b:c", secret_kind::plain}}},
};

INSTANTIATE_TEST_SUITE_P(Format, UsersValues, ::testing::ValuesIn(value_cases),
                         [](const auto& test) { return test.param.name; });

// ---------------------------------------------------------------------------------------
// Rejected files: the exact message with file and line.

struct error_case {
    std::string name;
    std::string text;
    std::string error;
};

class UsersErrors : public ::testing::TestWithParam<error_case> {};

TEST_P(UsersErrors, Rejected) {
    const users_result r = parse(GetParam().text);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.value.has_value());
    EXPECT_EQ(r.error, GetParam().error);
}

const error_case error_cases[] = {
    {"missing_secret", "\"alice\"\n", "users.txt:1: missing secret for user \"alice\""},
    {"missing_secret_trailing_blanks", "\"alice\"   \t\n",
     "users.txt:1: missing secret for user \"alice\""},
    {"unterminated_name", "\"alice pw\n", "users.txt:1: unterminated quoted user name"},
    {"unterminated_name_doubled_quote", "\"alice\"\"\n",
     "users.txt:1: unterminated quoted user name"},
    {"unterminated_secret", "\"alice\" \"pw\n",
     "users.txt:1: unterminated quoted secret for user \"alice\""},
    {"quote_does_not_span_lines", "\"alice\" \"p\nw\"\n",
     "users.txt:1: unterminated quoted secret for user \"alice\"\n"
     "users.txt:2: expected a double-quoted user name"},
    {"unquoted_name", "alice \"pw\"\n", "users.txt:1: expected a double-quoted user name"},
    {"single_quotes", "'alice' 'pw'\n", "users.txt:1: expected a double-quoted user name"},
    {"unquoted_secret", "\"alice\" pw\n",
     "users.txt:1: expected a double-quoted secret after user \"alice\""},
    {"empty_name", "\"\" \"pw\"\n", "users.txt:1: empty user name"},
    {"duplicate_user", "\"alice\" \"a\"\n# x\n\"alice\" \"b\"\n",
     "users.txt:3: duplicate user \"alice\" (first defined on line 1)"},
    {"line_numbers_count_comments_and_blanks", "# header\n\n; note\n\"bob\"\n",
     "users.txt:4: missing secret for user \"bob\""},
    {"line_numbers_with_crlf", "\"a\" \"1\"\r\n\r\n\"b\"\r\n",
     "users.txt:3: missing secret for user \"b\""},
    {"control_character_in_name_is_masked", "\"a\x01z\"\n",
     "users.txt:1: missing secret for user \"a?z\""},
    {"scram_no_fields", "\"u\" \"SCRAM-SHA-256$\"\n",
     "users.txt:1: malformed SCRAM secret for user \"u\" (expected "
     "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>)"},
    {"scram_no_keys", "\"u\" \"SCRAM-SHA-256$4096:c2FsdA==\"\n",
     "users.txt:1: malformed SCRAM secret for user \"u\" (expected "
     "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>)"},
    {"scram_zero_iterations", "\"u\" \"SCRAM-SHA-256$0:c2FsdA==$a2V5:a2V5\"\n",
     "users.txt:1: malformed SCRAM secret for user \"u\" (expected "
     "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>)"},
    {"scram_iterations_not_a_number", "\"u\" \"SCRAM-SHA-256$many:c2FsdA==$a2V5:a2V5\"\n",
     "users.txt:1: malformed SCRAM secret for user \"u\" (expected "
     "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>)"},
    {"scram_empty_salt", "\"u\" \"SCRAM-SHA-256$4096:$a2V5:a2V5\"\n",
     "users.txt:1: malformed SCRAM secret for user \"u\" (expected "
     "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>)"},
    {"scram_missing_server_key", "\"u\" \"SCRAM-SHA-256$4096:c2FsdA==$a2V5:\"\n",
     "users.txt:1: malformed SCRAM secret for user \"u\" (expected "
     "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>)"},
    {"scram_not_base64", "\"u\" \"SCRAM-SHA-256$4096:c2FsdA==$a2V5!:a2V5\"\n",
     "users.txt:1: malformed SCRAM secret for user \"u\" (expected "
     "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>)"},
    {"scram_dollar_before_colon", "\"u\" \"SCRAM-SHA-256$4096$c2FsdA==:a2V5:a2V5\"\n",
     "users.txt:1: malformed SCRAM secret for user \"u\" (expected "
     "SCRAM-SHA-256$<iterations>:<salt>$<storedkey>:<serverkey>)"},
    {"all_problems_at_once", "\"a\"\n\"b\" \"1\"\nc \"2\"\n\"b\" \"3\"\n",
     "users.txt:1: missing secret for user \"a\"\n"
     "users.txt:3: expected a double-quoted user name\n"
     "users.txt:4: duplicate user \"b\" (first defined on line 2)"},
};

INSTANTIATE_TEST_SUITE_P(Format, UsersErrors, ::testing::ValuesIn(error_cases),
                         [](const auto& test) { return test.param.name; });

TEST(UsersErrors, SecretsNeverAppearInErrors) {
    const std::string text =
        "\"dup\" \"hunter2-first\"\n"
        "\"dup\" \"hunter2-second\"\n"
        "\"bad\" \"SCRAM-SHA-256$4096:hunter2salt$hunter2!:x\"\n"
        "\"open\" \"hunter2-unterminated\n";
    const users_result r = parse(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error.find("hunter2"), std::string::npos) << r.error;
}

TEST(UsersErrors, SourceNameIsUsedVerbatim) {
    const users_result r = parse_users("\"a\"\n", "/etc/pgrelay/users.txt");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, "/etc/pgrelay/users.txt:1: missing secret for user \"a\"");
}

// ---------------------------------------------------------------------------------------
// Classification by shape

struct kind_case {
    std::string secret;
    secret_kind kind;
};

class UsersClassify : public ::testing::TestWithParam<kind_case> {};

TEST_P(UsersClassify, ByShape) {
    EXPECT_EQ(classify_secret(GetParam().secret), GetParam().kind) << GetParam().secret;
}

INSTANTIATE_TEST_SUITE_P(
    Secrets, UsersClassify,
    ::testing::Values(kind_case{"", secret_kind::plain}, kind_case{"password", secret_kind::plain},
                      kind_case{"md5", secret_kind::plain}, kind_case{md5_secret, secret_kind::md5},
                      kind_case{"md5" + std::string(32, 'f'), secret_kind::md5},
                      kind_case{"md5" + std::string(32, 'F'), secret_kind::md5},
                      kind_case{"md5" + std::string(31, 'f'), secret_kind::plain},
                      kind_case{"md5" + std::string(31, 'f') + "x", secret_kind::plain},
                      kind_case{scram_secret, secret_kind::scram},
                      kind_case{"SCRAM-SHA-256$", secret_kind::scram},
                      kind_case{"SCRAM-SHA-256", secret_kind::plain},
                      kind_case{"SCRAM-SHA-1$4096:a$b:c", secret_kind::plain}));

TEST(UsersClassify, KindNames) {
    EXPECT_EQ(to_string(secret_kind::plain), "plain");
    EXPECT_EQ(to_string(secret_kind::md5), "md5");
    EXPECT_EQ(to_string(secret_kind::scram), "scram");
}

// ---------------------------------------------------------------------------------------
// load_users_file on real files

class UsersFile : public ::testing::Test {
  protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        dir_ = fs::temp_directory_path() /
               ("pgrelay_users_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
        fs::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    fs::path write(const std::string& name, const std::string& text) {
        fs::path p = dir_ / name;
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
    fs::path dir_;
};

TEST_F(UsersFile, Loads) {
    const fs::path file = write("users.txt", "; generated\n\"alice\" \"" + scram_secret + "\"\n");
    const users_result r = load_users_file(file);
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_EQ(r.value->size(), 1U);
    EXPECT_EQ(r.value->at("alice"), (user_entry{"alice", scram_secret, secret_kind::scram}));
}

TEST_F(UsersFile, ErrorsNameThePath) {
    const fs::path file = write("users.txt", "\"alice\" \"a\"\n\"alice\" \"b\"\n");
    const users_result r = load_users_file(file);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, file.string() + ":2: duplicate user \"alice\" (first defined on line 1)");
}

TEST_F(UsersFile, Missing) {
    const fs::path file = dir_ / "nope.txt";
    const users_result r = load_users_file(file);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, file.string() + ": cannot open: No such file or directory");
}

TEST_F(UsersFile, Directory) {
    const users_result r = load_users_file(dir_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error, dir_.string() + ": cannot read: is a directory");
}

TEST_F(UsersFile, LargeFile) {
    std::string text;
    for (int i = 0; i < 20000; ++i) {
        text += "\"user" + std::to_string(i) + "\" \"" + md5_secret + "\"\n";
    }
    const users_result r = load_users_file(write("users.txt", text));
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value->size(), 20000U);
    EXPECT_EQ(r.value->at("user19999").kind, secret_kind::md5);
}

}  // namespace
}  // namespace pgrelay::proxy
