// Runs the attestctl binary: `sigv4 sign` against the suites' expected files, `audit verify` on an
// intact and a tampered SQLite database.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

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

TEST(AttestctlAuditVerify, IntactThenTampered) {
  const fs::path dir =
      fs::temp_directory_path() / ("attestctl-audit-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string db = (dir / "attestd.db").string();
  {
    auto sealer = service::store::LocalKeySealer::FromKey(Bytes(32, 1)).value();
    auto store = service::store::OpenSqliteStore(db, std::move(sealer));
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE((*store)
                      ->AppendAudit({"t-a", FromUnixSeconds(1000 + i), "actor", "policy.put",
                                     "prod", "", "prod@1", "ok", std::to_string(i)})
                      .ok());
    }
  }
  CmdResult r = Attestctl("audit verify --db " + db);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("intact: 4 entries"), std::string::npos) << r.out;
  {
    auto raw = service::store::OpenSqlite(db);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)
                    ->ExecScript("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET "
                                 "actor = 'someone else' WHERE seq = 2")
                    .ok());
  }
  r = Attestctl("audit verify --db " + db + " --json");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("intact"), false);
  EXPECT_EQ(j.at("first_broken_seq"), 3);
  EXPECT_EQ(j.at("error").at("code"), "store.audit_chain_broken");
  EXPECT_EQ(Attestctl("audit verify --db " + (dir / "missing.db").string()).exit_code, 2);
  EXPECT_FALSE(fs::exists(dir / "missing.db"));
  EXPECT_EQ(Attestctl("audit verify").exit_code, 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace attest::cli
