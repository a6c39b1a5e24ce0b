// guest unlock without a server: argument parsing, the evidence object, the evidence command, and
// the service's answers treated as hostile (wrong VM, swapped kid, short key, a JWE to another
// key, floods of failures with control characters), and writing the key.
#include "agent/guest_unlock.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "agent/host_commands.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "protocol/jwe.h"

namespace attest::agent {
namespace {

namespace fs = std::filesystem;
using client::ClientResponse;

std::string Code(const Status& s) { return std::string(s.reason_id()); }
template <typename T>
std::string Code(const Result<T>& r) {
  return r.ok() ? "ok" : Code(r.status());
}

TEST(GuestUnlockArgs, Table) {
  const std::vector<std::string> base = {"--endpoint", "https://127.0.0.1:8443", "--vm-id", "vm-1"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> v = base;
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  };
  struct Case {
    const char* name;
    std::vector<std::string> args;
    std::string want;
  } cases[] = {
      {"minimal", base, "ok"},
      {"every flag",
       with({"--ca-cert", "ca.pem", "--volume", "vol-a", "--volume", "vol-b", "--out", "/run/k",
             "--tsm-root", "/tmp/tsm", "--sev-device", "/dev/x", "--evidence-command",
             "software-tee snp --debug"}),
       "ok"},
      {"no endpoint", {"--vm-id", "vm-1"}, "cli.usage"},
      {"no vm id", {"--endpoint", "https://x"}, "cli.usage"},
      {"unknown flag", with({"--key", "k"}), "cli.usage"},
      {"flag without value", with({"--out"}), "cli.usage"},
      {"positional", with({"extra"}), "cli.usage"},
      {"endpoint twice", with({"--endpoint", "https://y"}), "cli.usage"},
      {"vm id with slash", {"--endpoint", "https://x", "--vm-id", "../vm"}, "cli.usage"},
      {"vm id too long",
       {"--endpoint", "https://x", "--vm-id", std::string(129, 'a')},
       "cli.usage"},
      {"volume twice", with({"--volume", "v", "--volume", "v"}), "cli.usage"},
      {"volume with space", with({"--volume", "a b"}), "cli.usage"},
      {"empty evidence command", with({"--evidence-command", "   "}), "cli.usage"},
      {"empty out", with({"--out", ""}), "cli.usage"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Code(ParseUnlockArgs(c.args)), c.want);
  }
  auto parsed = ParseUnlockArgs(cases[1].args);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->volumes, (std::vector<std::string>{"vol-a", "vol-b"}));
  EXPECT_EQ(parsed->evidence_command, (std::vector<std::string>{"software-tee", "snp", "--debug"}));
  EXPECT_EQ(ParseUnlockArgs(base)->out, "-");
}

TEST(GuestUnlockEvidence, KernelEvidenceToJson) {
  const Bytes report(1184, 0x5a), aux(200, 0x01);
  struct Case {
    const char* name;
    GuestEvidence ev;
    std::string want;
  } cases[] = {
      {"snp with certificate table", {"sev_guest", report, aux, "configfs-tsm"}, "ok"},
      {"snp without certificate table",
       {"sev_guest", report, {}, "sev-guest-device"},
       "guest.evidence_invalid"},
      {"snp short report",
       {"sev_guest", Bytes(1183, 0), aux, "configfs-tsm"},
       "guest.evidence_invalid"},
      {"tdx quote", {"tdx_guest", Bytes(5000, 2), {}, "configfs-tsm"}, "ok"},
      {"tdx empty quote", {"tdx_guest", {}, {}, "configfs-tsm"}, "guest.evidence_invalid"},
      {"unknown provider", {"arm_cca_guest", report, {}, "configfs-tsm"}, "guest.evidence_invalid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Code(EvidenceJson(c.ev)), c.want);
  }
  auto snp = EvidenceJson(cases[0].ev);
  ASSERT_TRUE(snp.ok());
  EXPECT_EQ((*snp)["tee"], "snp");
  EXPECT_EQ(Base64Decode((*snp)["report"].get<std::string>()).value(), report);
  EXPECT_EQ(Base64Decode((*snp)["auxblob"].get<std::string>()).value(), aux);
  EXPECT_FALSE(snp->contains("vcek"));
  auto tdx = EvidenceJson(cases[3].ev);
  ASSERT_TRUE(tdx.ok());
  EXPECT_EQ((*tdx)["tee"], "tdx");
  EXPECT_EQ(Base64Decode((*tdx)["quote"].get<std::string>()).value(), Bytes(5000, 2));
}

TEST(GuestUnlockEvidence, CommandOutputChecked) {
  struct Case {
    const char* name;
    std::string text;
    std::string want;
  } cases[] = {
      {"snp with vcek", R"({"tee":"snp","report":"AA==","vcek":"AA=="})", "ok"},
      {"snp with auxblob", R"({"tee":"snp","report":"AA==","auxblob":"AA=="})", "ok"},
      {"tdx", R"({"tee":"tdx","quote":"AA==","collateral":{}})", "ok"},
      {"not json", "report follows", "guest.evidence_invalid"},
      {"array", "[]", "guest.evidence_invalid"},
      {"two objects", R"({"tee":"tdx","quote":"AA=="}{})", "guest.evidence_invalid"},
      {"no tee", R"({"report":"AA==","vcek":"AA=="})", "guest.evidence_invalid"},
      {"sev tee", R"({"tee":"sev","report":"AA=="})", "guest.evidence_invalid"},
      {"snp without report", R"({"tee":"snp","vcek":"AA=="})", "guest.evidence_invalid"},
      {"snp without certificate", R"({"tee":"snp","report":"AA=="})", "guest.evidence_invalid"},
      {"report not a string", R"({"tee":"snp","report":1,"vcek":"AA=="})",
       "guest.evidence_invalid"},
      {"crl not a string", R"({"tee":"snp","report":"AA==","vcek":"AA==","crl":[]})",
       "guest.evidence_invalid"},
      {"tdx without quote", R"({"tee":"tdx"})", "guest.evidence_invalid"},
      {"collateral not an object", R"({"tee":"tdx","quote":"AA==","collateral":"x"})",
       "guest.evidence_invalid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Code(CheckEvidenceJson(c.text)), c.want);
  }
}

TEST(GuestUnlockEvidence, CommandRunsWithoutShellAndGetsReportData) {
  const Bytes report_data(64, 0xab);
  const std::string hex = HexEncode(report_data);
  auto sh = [](const std::string& script) {
    return std::vector<std::string>{"/bin/sh", "-c", script, "sh"};
  };
  struct Case {
    const char* name;
    std::vector<std::string> argv;
    std::string want;
  } cases[] = {
      {"echoes report data", sh(R"(printf '{"tee":"snp","report":"%s","vcek":"AA=="}' "$1")"),
       "ok"},
      {"fails", sh("echo oops >&2; exit 3"), "guest.evidence_command_failed"},
      {"killed", sh("kill -9 $$"), "guest.evidence_command_failed"},
      {"no such program", {"/nonexistent/software-tee"}, "guest.evidence_command_failed"},
      {"garbage", sh("echo not json"), "guest.evidence_invalid"},
      {"floods stdout", sh("head -c 9000000 /dev/zero"), "guest.evidence_command_failed"},
      {"reads stdin (gets EOF)", sh(R"(cat; printf '{"tee":"tdx","quote":"%s"}' "$1")"), "ok"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = RunEvidenceCommand(c.argv, report_data);
    EXPECT_EQ(Code(r), c.want);
    if (r.ok()) {
      EXPECT_EQ((*r)[(*r)["tee"] == "snp" ? "report" : "quote"], hex);
    }
  }
  // Spaces and quotes are not interpreted: a word stays one argument.
  auto literal = RunEvidenceCommand(
      sh(R"(test "$#" = 1 && printf '{"tee":"tdx","quote":"%s"}' "$1")"), report_data);
  EXPECT_EQ(Code(literal), "ok");
}

ClientResponse Json(int status, const nlohmann::json& body) {
  ClientResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump();
  r.json = body;
  return r;
}

ClientResponse Text(int status, const std::string& body) {
  ClientResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = body;
  return r;
}

TEST(GuestUnlockAnswers, Challenge) {
  const std::string nonce(64, 'a');
  struct Case {
    const char* name;
    ClientResponse r;
    std::string want;
  } cases[] = {
      {"created", Json(201, {{"nonce", nonce}, {"expires_at", "x"}}), "ok"},
      {"upper case hex", Json(201, {{"nonce", std::string(64, 'F')}}), "ok"},
      {"unknown vm", Json(404, {{"code", "api.not_found"}, {"message", "no vm"}}),
       "client.http_error"},
      {"rate limited", Json(429, {{"code", "api.rate_limited"}}), "client.http_error"},
      {"500 text", Text(500, "boom"), "client.http_error"},
      {"short nonce", Json(201, {{"nonce", std::string(63, 'a')}}), "guest.response_invalid"},
      {"non-hex nonce", Json(201, {{"nonce", std::string(64, 'g')}}), "guest.response_invalid"},
      {"nonce not a string", Json(201, {{"nonce", 5}}), "guest.response_invalid"},
      {"not json", Text(201, "nonce"), "guest.response_invalid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Code(ParseChallengeResponse(c.r)), c.want);
  }
  EXPECT_EQ(ParseChallengeResponse(cases[1].r).value(), std::string(64, 'f'));
}

class GuestUnlockAttest : public ::testing::Test {
 protected:
  void SetUp() override {
    priv_ = protocol::GenerateGuestKey().value();
    pub_ = protocol::ParseGuestJwk(protocol::PublicJwk(priv_).value()).value();
    const std::string other = protocol::GenerateGuestKey().value();
    other_pub_ = protocol::ParseGuestJwk(protocol::PublicJwk(other).value()).value();
  }
  std::string Jwe(const std::string& kid, Bytes key = Bytes(32, 0x42)) const {
    return protocol::EncryptToGuest(key, pub_, kid).value();
  }
  nlohmann::json Ok(nlohmann::json keys) const {
    return {{"vm_id", "vm-1"}, {"policy", "p@1"}, {"token", "t"}, {"keys", std::move(keys)}};
  }
  std::string priv_;
  protocol::GuestPublicKey pub_, other_pub_;
};

TEST_F(GuestUnlockAttest, HostileAnswers) {
  const nlohmann::json a = {{"volume_id", "vol-a"}, {"jwe", Jwe("vol-a", Bytes(32, 1))}};
  const nlohmann::json b = {{"volume_id", "vol-b"}, {"jwe", Jwe("vol-b", Bytes(32, 2))}};
  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 65; ++i) {
    many.push_back({{"volume_id", "v" + std::to_string(i)}, {"jwe", "x"}});
  }
  nlohmann::json flood = nlohmann::json::array();
  for (int i = 0; i < 100; ++i) {
    flood.push_back({{"check", "evidence\x1b[2J"},
                     {"code", "snp.signature_invalid"},
                     {"detail", std::string(5000, 'x') + "\n\r"}});
  }
  struct Case {
    const char* name;
    ClientResponse r;
    std::string want;
  } cases[] = {
      {"two keys", Json(200, Ok({a, b})), "ok"},
      {"another vm", Json(200, {{"vm_id", "vm-2"}, {"keys", {a}}}), "guest.response_invalid"},
      {"no vm id", Json(200, {{"keys", {a}}}), "guest.response_invalid"},
      {"keys not an array", Json(200, Ok({{"vol-a", "x"}})), "guest.response_invalid"},
      {"no keys", Json(200, Ok(nlohmann::json::array())), "guest.response_invalid"},
      {"65 keys", Json(200, Ok(many)), "guest.response_invalid"},
      {"same volume twice", Json(200, Ok({a, a})), "guest.response_invalid"},
      {"kid names another volume", Json(200, Ok({{{"volume_id", "vol-a"}, {"jwe", Jwe("vol-b")}}})),
       "guest.response_invalid"},
      {"31-byte key",
       Json(200, Ok({{{"volume_id", "vol-a"}, {"jwe", Jwe("vol-a", Bytes(31, 1))}}})),
       "guest.response_invalid"},
      {"33-byte key",
       Json(200, Ok({{{"volume_id", "vol-a"}, {"jwe", Jwe("vol-a", Bytes(33, 1))}}})),
       "guest.response_invalid"},
      {"jwe to another guest key",
       Json(200,
            Ok({{{"volume_id", "vol-a"},
                 {"jwe", protocol::EncryptToGuest(Bytes(32, 1), other_pub_, "vol-a").value()}}})),
       "release.jwe_invalid"},
      {"jwe not a string", Json(200, Ok({{{"volume_id", "vol-a"}, {"jwe", 1}}})),
       "guest.response_invalid"},
      {"jwe garbage", Json(200, Ok({{{"volume_id", "vol-a"}, {"jwe", "a.b.c.d.e"}}})),
       "guest.response_invalid"},
      {"volume id with slash", Json(200, Ok({{{"volume_id", "../etc"}, {"jwe", "x"}}})),
       "guest.response_invalid"},
      {"200 not json", Text(200, "keys"), "guest.response_invalid"},
      {"denied", Json(403, {{"code", "release.denied"}, {"failures", flood}}), "release.denied"},
      {"denied without list", Json(403, {{"code", "release.denied"}, {"failures", "x"}}),
       "release.denied"},
      {"403 of another kind", Json(403, {{"code", "sigv4.forbidden"}}), "client.http_error"},
      {"bad request", Json(400, {{"code", "api.bad_request"}}), "client.http_error"},
      {"500 text", Text(500, "boom"), "client.http_error"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Code(ParseAttestResponse(c.r, "vm-1", priv_)), c.want);
  }
  auto keys = ParseAttestResponse(cases[0].r, "vm-1", priv_);
  ASSERT_TRUE(keys.ok());
  ASSERT_EQ(keys->size(), 2u);
  EXPECT_EQ((*keys)[0].volume_id, "vol-a");
  EXPECT_EQ((*keys)[0].key, Bytes(32, 1));
  EXPECT_EQ((*keys)[1].key, Bytes(32, 2));

  // Today's attestd sends checks and codes only: one line each, no empty "()", and the pointer
  // to where the details are.
  const std::string codes_only =
      ParseAttestResponse(Json(403, {{"code", "release.denied"},
                                     {"failures",
                                      {{{"check", "host"}, {"code", "release.host_untrusted"}},
                                       {{"check", "nonce"}, {"code", "release.nonce_rejected"}}}}}),
                          "vm-1", priv_)
          .status()
          .message();
  EXPECT_NE(codes_only.find("\n  host: release.host_untrusted\n  nonce: release.nonce_rejected\n"),
            std::string::npos)
      << codes_only;
  EXPECT_EQ(codes_only.find("()"), std::string::npos) << codes_only;
  EXPECT_NE(codes_only.find("audit log"), std::string::npos) << codes_only;

  // The failure list reaches the terminal bounded and without control characters.
  const std::string message = ParseAttestResponse(cases[15].r, "vm-1", priv_).status().message();
  EXPECT_LT(message.size(), 16000u);
  for (char ch : message) {
    SCOPED_TRACE(static_cast<int>(ch));
    EXPECT_TRUE(ch == '\n' || (ch >= 0x20 && ch < 0x7f));
  }
}

std::vector<ReleasedVolumeKey> Keys(std::initializer_list<const char*> ids) {
  std::vector<ReleasedVolumeKey> out;
  uint8_t fill = 1;
  for (const char* id : ids) {
    out.emplace_back(id, Bytes(32, fill++));
  }
  return out;
}

TEST(GuestUnlockSelect, Table) {
  struct Case {
    const char* name;
    std::vector<std::string> wanted;
    std::string want;
    size_t count;
  } cases[] = {
      {"all", {}, "ok", 2},
      {"one", {"vol-b"}, "ok", 1},
      {"both reordered", {"vol-b", "vol-a"}, "ok", 2},
      {"missing", {"vol-c"}, "guest.volume_not_released", 0},
      {"one present one missing", {"vol-a", "vol-c"}, "guest.volume_not_released", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = SelectKeys(Keys({"vol-a", "vol-b"}), c.wanted);
    EXPECT_EQ(Code(r), c.want);
    if (r.ok()) {
      EXPECT_EQ(r->size(), c.count);
      if (!c.wanted.empty()) {
        EXPECT_EQ((*r)[0].volume_id, c.wanted[0]);
      }
    }
  }
  EXPECT_EQ(Code(SelectKeys({}, {})), "guest.volume_not_released");
  auto picked = SelectKeys(Keys({"vol-a", "vol-b"}), {"vol-b"});
  EXPECT_EQ((*picked)[0].key, Bytes(32, 2));
}

TEST(GuestUnlockWrite, FilesAreOwnerOnly) {
  char tmpl[] = "/tmp/attest-unlock-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string existing = dir + "/existing";
  ASSERT_TRUE(WriteFile(existing, Bytes(3, 0)).ok());
  chmod(existing.c_str(), 0644);
  ASSERT_EQ(symlink(existing.c_str(), (dir + "/link").c_str()), 0);
  struct Case {
    const char* name;
    std::vector<std::string> ids;
    std::string out;
    std::string want;
  } cases[] = {
      {"one key to a new file", {"vol-a"}, dir + "/new", "ok"},
      {"one key over a 0644 file", {"vol-a"}, existing, "ok"},
      {"through a symlink", {"vol-a"}, dir + "/link", "core.file_unwritable"},
      {"into a missing directory", {"vol-a"}, dir + "/no/such", "core.file_unwritable"},
      {"two keys to a file", {"vol-a", "vol-b"}, dir + "/two", "cli.usage"},
      {"two keys to stdout", {"vol-a", "vol-b"}, "-", "cli.usage"},
      {"two keys to a directory", {"vol-a", "vol-b"}, dir, "ok"},
      {"no key", {}, dir + "/none", "guest.volume_not_released"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<ReleasedVolumeKey> keys;
    uint8_t fill = 1;
    for (const std::string& id : c.ids) {
      keys.emplace_back(id, Bytes(32, fill++));
    }
    EXPECT_EQ(Code(WriteKeys(keys, c.out)), c.want);
  }
  for (const std::string& path : {dir + "/new", existing, dir + "/vol-a.key", dir + "/vol-b.key"}) {
    SCOPED_TRACE(path);
    struct stat st {};
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_size, 32);
  }
  EXPECT_EQ(ReadFileBytes(dir + "/vol-b.key").value(), Bytes(32, 2));
  EXPECT_EQ(ReadFileBytes(existing).value(), Bytes(32, 1));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace attest::agent
