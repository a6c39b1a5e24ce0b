// Both SigV4 suites in ../shared/vectors/sigv4, every case directory discovered from the file
// system: the signer must reproduce each expected file byte for byte, and the verifier must accept
// each expected signed request (and refuse it once altered).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sigv4/canonical.h"
#include "sigv4/request_file.h"
#include "sigv4/signer.h"
#include "sigv4/verifier.h"
#include "tests/testing/vectors.h"

namespace attest::sigv4 {
namespace {

namespace fs = std::filesystem;

// The classic suite's fixed values (MANIFEST.md, sigv4 section).
constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kClassicToken[] =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
    "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT"
    "7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlz"
    "m8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

std::string ReadText(const fs::path& p) {
  return testing::ReadVectorText(fs::relative(p, testing::VectorPath("")).string());
}

// CaseDirs returns every directory under root holding a file named marker (or with extension
// marker when it starts with '.'), sorted.
std::vector<fs::path> CaseDirs(const fs::path& root, const std::string& marker) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    const fs::path& p = entry.path();
    const bool hit = marker.front() == '.' ? p.extension() == marker : p.filename() == marker;
    if (hit) {
      out.push_back(p.parent_path());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// AllDirs returns every directory under root that holds at least one regular file other than the
// suite's notes (so a case directory that yields no case is noticed).
std::vector<fs::path> AllCaseLikeDirs(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    const std::string ext = entry.path().extension().string();
    const bool context_suite = ext == ".txt" && entry.path().parent_path() != root &&
                               fs::exists(entry.path().parent_path() / "context.json");
    const bool aws_suite =
        ext == ".req" || ext == ".creq" || ext == ".sts" || ext == ".authz" || ext == ".sreq";
    if (context_suite || aws_suite) {
      out.push_back(entry.path().parent_path());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TimePoint SuiteTime() { return *ParseAmzDate("20150830T123600Z"); }

CredentialLookup LookupFor(const std::string& secret, const std::optional<std::string>& token) {
  return [secret, token](std::string_view id) -> std::optional<StoredCredential> {
    if (id != kAccessKey) {
      return std::nullopt;
    }
    return StoredCredential{secret, token, "suite"};
  };
}

// ExpectVerifies checks the verifier accepts signed_text, and refuses it with a wrong secret, an
// altered signed header and a late clock.
void ExpectVerifies(const std::string& signed_text, const VerifierConfig& config,
                    const std::optional<std::string>& token, bool presigned) {
  auto parsed = ParseRequestFile(signed_text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const HttpRequest& req = *parsed;
  auto ok = VerifyRequest(req, config, LookupFor(kSecret, token), SuiteTime());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->access_key_id, kAccessKey);
  EXPECT_EQ(ok->principal, "suite");
  EXPECT_EQ(ok->presigned, presigned);

  auto wrong_secret = VerifyRequest(req, config, LookupFor("not-the-secret", token), SuiteTime());
  EXPECT_EQ(wrong_secret.status().reason_id(), "sigv4.signature_does_not_match");

  HttpRequest altered = req;
  for (HttpHeader& h : altered.headers) {
    if (ToLower(h.name) == "host") {
      h.value = "attacker.example.com";
    }
  }
  EXPECT_EQ(
      VerifyRequest(altered, config, LookupFor(kSecret, token), SuiteTime()).status().reason_id(),
      "sigv4.signature_does_not_match");

  const TimePoint late = SuiteTime() + std::chrono::seconds(presigned ? 3601 : 301);
  EXPECT_EQ(VerifyRequest(req, config, LookupFor(kSecret, token), late).status().reason_id(),
            presigned ? "sigv4.request_expired" : "sigv4.request_time_too_skewed");
  auto unknown = VerifyRequest(req, config, LookupFor(kSecret, token), SuiteTime());
  (void)unknown;
  const CredentialLookup nobody = [](std::string_view) { return std::nullopt; };
  EXPECT_EQ(VerifyRequest(req, config, nobody, SuiteTime()).status().reason_id(),
            "sigv4.invalid_access_key_id");
}

// TrimTrailingNewlines and the Authorization spacing: the classic suite writes
// "Authorization: <value>" and no final newline; the header value is the same bytes.
std::string ClassicForm(std::string text) {
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  const std::string from = "\nAuthorization: ";
  const size_t at = text.find(from);
  if (at != std::string::npos) {
    text.replace(at, from.size(), "\nAuthorization:");
  }
  return text;
}

TEST(Sigv4ClassicSuite, EveryCase) {
  const fs::path root = testing::VectorPath("sigv4/aws-sig-v4-test-suite");
  ASSERT_TRUE(fs::is_directory(root)) << root;
  const std::vector<fs::path> dirs = CaseDirs(root, ".req");
  ASSERT_EQ(dirs, AllCaseLikeDirs(root)) << "a case directory has no .req file";
  ASSERT_GE(dirs.size(), 20u);
  for (const fs::path& dir : dirs) {
    const std::string name = dir.filename().string();
    SCOPED_TRACE(name);
    const fs::path base = dir / name;
    for (const char* ext : {".req", ".creq", ".sts", ".authz", ".sreq"}) {
      ASSERT_TRUE(fs::exists(base.string() + ext)) << "missing " << ext;
    }
    auto req = ParseRequestFile(ReadText(base.string() + ".req"));
    ASSERT_TRUE(req.ok()) << req.status().ToString();
    const bool token_after = name == "post-sts-header-after";
    Credentials creds{kAccessKey, kSecret, token_after ? kClassicToken : ""};
    SignOptions opts;
    opts.region = "us-east-1";
    opts.service = "service";
    opts.time = SuiteTime();
    opts.omit_session_token = token_after;
    auto signed_req = SignRequest(*req, creds, opts);
    ASSERT_TRUE(signed_req.ok()) << signed_req.status().ToString();
    EXPECT_EQ(signed_req->canonical_request, ReadText(base.string() + ".creq"));
    EXPECT_EQ(signed_req->string_to_sign, ReadText(base.string() + ".sts"));
    EXPECT_EQ(signed_req->authorization, ReadText(base.string() + ".authz"));
    const std::string sreq = ReadText(base.string() + ".sreq");
    EXPECT_EQ(ClassicForm(SerializeRequest(signed_req->signed_request)), ClassicForm(sreq));

    VerifierConfig config{"us-east-1", "service"};
    ExpectVerifies(sreq, config,
                   token_after ? std::optional<std::string>(kClassicToken) : std::nullopt, false);
  }
}

TEST(Sigv4AwsCAuthSuite, EveryCase) {
  const fs::path root = testing::VectorPath("sigv4/aws-c-auth-v4");
  ASSERT_TRUE(fs::is_directory(root)) << root;
  const std::vector<fs::path> dirs = CaseDirs(root, "context.json");
  std::vector<fs::path> all;
  for (const auto& e : fs::directory_iterator(root)) {
    if (e.is_directory()) {
      all.push_back(e.path());
    }
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(dirs, all) << "a case directory has no context.json";
  ASSERT_GE(dirs.size(), 20u);
  for (const fs::path& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    const auto ctx = nlohmann::json::parse(ReadText(dir / "context.json"));
    const auto& c = ctx.at("credentials");
    Credentials creds{c.at("access_key_id"), c.at("secret_access_key"),
                      c.value("token", std::string())};
    ASSERT_EQ(creds.access_key_id, kAccessKey);
    auto time = ParseRfc3339(ctx.at("timestamp").get<std::string>());
    ASSERT_TRUE(time.ok());
    auto req = ParseRequestFile(ReadText(dir / "request.txt"));
    ASSERT_TRUE(req.ok()) << req.status().ToString();
    const std::optional<std::string> token =
        creds.session_token.empty() ? std::nullopt : std::optional(creds.session_token);
    for (const char* form : {"header", "query"}) {
      SCOPED_TRACE(form);
      const std::string prefix = std::string(form) + "-";
      for (const char* part :
           {"canonical-request", "string-to-sign", "signature", "signed-request"}) {
        ASSERT_TRUE(fs::exists(dir / (prefix + part + ".txt"))) << "missing " << prefix << part;
      }
      SignOptions opts;
      opts.region = ctx.at("region");
      opts.service = ctx.at("service");
      opts.time = *time;
      opts.normalize_path = ctx.at("normalize").get<bool>();
      opts.sign_body = ctx.at("sign_body").get<bool>();
      opts.omit_session_token = ctx.value("omit_session_token", false);
      opts.expires_seconds = ctx.at("expiration_in_seconds").get<int64_t>();
      opts.location = prefix == "query-" ? SignatureLocation::kQuery : SignatureLocation::kHeader;
      auto signed_req = SignRequest(*req, creds, opts);
      ASSERT_TRUE(signed_req.ok()) << signed_req.status().ToString();
      EXPECT_EQ(signed_req->canonical_request, ReadText(dir / (prefix + "canonical-request.txt")));
      EXPECT_EQ(signed_req->string_to_sign, ReadText(dir / (prefix + "string-to-sign.txt")));
      EXPECT_EQ(signed_req->signature, ReadText(dir / (prefix + "signature.txt")));
      const std::string sreq = ReadText(dir / (prefix + "signed-request.txt"));
      EXPECT_EQ(SerializeRequest(signed_req->signed_request), sreq);

      VerifierConfig config{opts.region, opts.service, opts.normalize_path};
      ExpectVerifies(sreq, config, token, prefix == "query-");
    }
  }
}

}  // namespace
}  // namespace attest::sigv4
