// Runs the attestctl binary: `sigv4 sign` against the suites' expected files, `audit verify` on an
// intact and a tampered database, SQLite and PostgreSQL.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "attest/core/encoding.h"
#include "service/store/sql.h"
#include "service/store/store.h"
#include "tests/testing/vectors.h"

namespace attest::cli {
namespace {

namespace fs = std::filesystem;

struct CmdResult {
  int exit_code;
  std::string out;
};

CmdResult Attestctl(const std::string& args) {
  const std::string cmd = std::string(ATTESTCTL_PATH) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return {-1, ""};
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    out.append(buf, n);
  }
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

constexpr char kCreds[] =
    "--access-key AKIDEXAMPLE --secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY --region us-east-1 "
    "--service service --time 20150830T123600Z";

TEST(AttestctlSigv4Sign, JsonMatchesTheSuite) {
  const std::string dir = "sigv4/aws-c-auth-v4/post-x-www-form-urlencoded/";
  const std::string req = testing::VectorPath(dir + "request.txt");
  for (const std::string form : {"header", "query"}) {
    SCOPED_TRACE(form);
    const CmdResult r =
        Attestctl("sigv4 sign --request " + req + " " + kCreds + " --sign-body --json" +
                  (form == "query" ? " --query --expires 3600" : ""));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j.at("canonical_request"),
              testing::ReadVectorText(dir + form + "-canonical-request.txt"));
    EXPECT_EQ(j.at("string_to_sign"), testing::ReadVectorText(dir + form + "-string-to-sign.txt"));
    EXPECT_EQ(j.at("signature"), testing::ReadVectorText(dir + form + "-signature.txt"));
    const std::string auth = j.at("authorization");
    const std::string signed_request = testing::ReadVectorText(dir + form + "-signed-request.txt");
    EXPECT_NE(signed_request.find(auth), std::string::npos) << auth;
  }
}

TEST(AttestctlSigv4Sign, UsageErrors) {
  const std::string req = testing::VectorPath("sigv4/aws-c-auth-v4/get-vanilla/request.txt");
  const struct {
    std::string name, args;
  } cases[] = {
      {"missing secret", "sigv4 sign --request " + req +
                             " --access-key A --region r "
                             "--service s --time 20150830T123600Z"},
      {"bad time", "sigv4 sign --request " + req + " " + kCreds + " --time 2015-08-30"},
      {"expires without query", "sigv4 sign --request " + req + " " + kCreds + " --expires 60"},
      {"expires too long",
       "sigv4 sign --request " + req + " " + kCreds + " --query --expires 604801"},
      {"missing file", std::string("sigv4 sign --request /nonexistent ") + kCreds},
      {"unknown flag", "sigv4 sign --request " + req + " " + kCreds + " --sign-bdy"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Attestctl(c.args).exit_code, 2);
  }
}

// AuditDatabase: a fresh attestd database for one test: a SQLite file, or a PostgreSQL schema of
// its own on the server scripts/services.sh started (PG* environment). Flag is attestctl's
// --db / --postgres argument selecting it.
class AuditDatabase {
 public:
  explicit AuditDatabase(service::store::Dialect dialect) {
    const std::string tag = HexEncode(service::store::RandomBytes(6));
    if (dialect == service::store::Dialect::kSqlite) {
      dir_ = fs::temp_directory_path() / ("attestctl-audit-" + tag);
      fs::create_directories(dir_);
      target_ = (dir_ / "attestd.db").string();
    } else {
      schema_ = "audit_" + tag;
      target_ = "options='-c search_path=" + schema_ + "'";
    }
  }
  ~AuditDatabase() {
    if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
    if (!schema_.empty()) {
      auto admin = service::store::OpenPostgres("");
      if (admin.ok()) {
        (void)(*admin)->ExecScript("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
      }
    }
  }
  AuditDatabase(const AuditDatabase&) = delete;
  AuditDatabase& operator=(const AuditDatabase&) = delete;

  bool postgres() const { return !schema_.empty(); }
  Result<std::unique_ptr<service::store::Store>> OpenStore() const {
    if (postgres()) {
      auto admin = service::store::OpenPostgres("");
      if (!admin.ok()) {
        return admin.status();
      }
      ATTEST_RETURN_IF_ERROR((*admin)->ExecScript("CREATE SCHEMA " + schema_));
    }
    auto sealer = service::store::LocalKeySealer::FromKey(Bytes(32, 1)).value();
    return postgres() ? service::store::OpenPostgresStore(target_, std::move(sealer))
                      : service::store::OpenSqliteStore(target_, std::move(sealer));
  }
  Result<std::unique_ptr<service::store::SqlConnection>> Raw() const {
    return postgres() ? service::store::OpenPostgres(target_) : service::store::OpenSqlite(target_);
  }
  // TamperSql rewrites entry 2's actor behind the append-only triggers.
  std::string TamperSql() const {
    return postgres() ? "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change; UPDATE "
                        "audit_log SET actor = 'someone else' WHERE seq = 2"
                      : "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = "
                        "'someone else' WHERE seq = 2";
  }
  std::string Flag() const {
    return postgres() ? "--postgres \"" + target_ + "\"" : "--db " + target_;
  }
  // MissingFlag names a database that does not exist.
  std::string MissingFlag() const {
    return postgres() ? "--postgres \"dbname=attestctl_no_such_db_" + schema_ + "\""
                      : "--db " + (dir_ / "missing.db").string();
  }

 private:
  fs::path dir_;
  std::string schema_;
  std::string target_;
};

class AttestctlAuditVerify : public ::testing::TestWithParam<service::store::Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == service::store::Dialect::kPostgres && std::getenv("PGHOST") == nullptr) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string_view(ci) == "true") {
        FAIL() << "PostgreSQL tests under CI=true need the PG* environment (scripts/services.sh)";
      }
      GTEST_SKIP() << "PostgreSQL not configured: scripts/services.sh start DIR, source its env";
    }
  }
};

TEST_P(AttestctlAuditVerify, IntactThenTampered) {
  const AuditDatabase db(GetParam());
  {
    auto store = db.OpenStore();
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE((*store)
                      ->AppendAudit({"t-a", FromUnixSeconds(1000 + i), "actor", "policy.put",
                                     "prod", "", "prod@1", "ok", std::to_string(i)})
                      .ok());
    }
  }
  CmdResult r = Attestctl("audit verify " + db.Flag());
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("intact: 4 entries"), std::string::npos) << r.out;
  r = Attestctl("audit verify " + db.Flag() + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("entries"), 4);
  {
    auto raw = db.Raw();
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)->ExecScript(db.TamperSql()).ok());
  }
  r = Attestctl("audit verify " + db.Flag() + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("intact"), false);
  EXPECT_EQ(j.at("first_broken_seq"), 3);
  EXPECT_EQ(j.at("error").at("code"), "store.audit_chain_broken");
}

// A database that does not exist, or holds no attestd schema, is an error (exit 2), never
// "intact", and is not created.
TEST_P(AttestctlAuditVerify, MissingOrEmptyDatabaseIsAnError) {
  const AuditDatabase db(GetParam());
  EXPECT_EQ(Attestctl("audit verify " + db.MissingFlag()).exit_code, 2);
  EXPECT_EQ(Attestctl("audit verify " + db.Flag()).exit_code, 2);
  if (!db.postgres()) {
    EXPECT_FALSE(fs::exists(db.Flag().substr(5)));
  }
}

TEST(AttestctlAuditVerifyUsage, ExactlyOneDatabase) {
  const struct {
    std::string name, args;
  } cases[] = {
      {"neither", "audit verify"},
      {"both", "audit verify --db /tmp/x.db --postgres ''"},
      {"db without value", "audit verify --db"},
      {"unknown flag", "audit verify --pg ''"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Attestctl(c.args).exit_code, 2);
  }
}

INSTANTIATE_TEST_SUITE_P(BothDatabases, AttestctlAuditVerify,
                         ::testing::Values(service::store::Dialect::kSqlite,
                                           service::store::Dialect::kPostgres),
                         [](const auto& info) {
                           return info.param == service::store::Dialect::kSqlite ? "Sqlite"
                                                                                 : "Postgres";
                         });

}  // namespace
}  // namespace attest::cli
