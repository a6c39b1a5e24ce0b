// Differential test: our JWE (protocol/jwe.h, libjose) against the npm `jose` package
// (panva/jose, pinned), both directions: jose opens what we send a guest, and we open what jose
// encrypts to a guest key; jose also refuses our JWE under another key or with a changed tag.
//
// jose is installed with npm into the build tree (never the repository); the test is skipped with
// a message when node/npm are missing or the install fails (no registry), except under CI=true.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "attest/core/encoding.h"
#include "protocol/jwe.h"
#include "service/keys/kek.h"

namespace attest::protocol {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kPackage[] = "jose";
constexpr char kVersion[] = "5.9.6";

// The driver: reads a JSON list of jobs, prints one JSON result per job.
constexpr char kDriver[] = R"js(
const jose = require('jose');
const fs = require('fs');
(async () => {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const out = [];
  for (const job of jobs) {
    try {
      if (job.op === 'decrypt') {
        const key = await jose.importJWK(JSON.parse(job.jwk), 'ECDH-ES+A256KW');
        const r = await jose.compactDecrypt(job.jwe, key,
            {keyManagementAlgorithms: ['ECDH-ES+A256KW'], contentEncryptionAlgorithms: ['A256GCM']});
        out.push({ok: true, plaintext: Buffer.from(r.plaintext).toString('hex'),
                  header: r.protectedHeader});
      } else {
        const key = await jose.importJWK(JSON.parse(job.jwk), 'ECDH-ES+A256KW');
        const jwe = await new jose.CompactEncrypt(Buffer.from(job.plaintext, 'hex'))
            .setProtectedHeader({alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'from-jose'})
            .encrypt(key);
        out.push({ok: true, jwe});
      }
    } catch (e) {
      out.push({ok: false, error: String(e.code || e.message)});
    }
  }
  console.log(JSON.stringify(out));
})();
)js";

int Shell(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class JwePeerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!EnsurePeer(&why)) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string(ci) == "true") {
        FAIL() << why;
      }
      GTEST_SKIP() << why;
    }
  }

  bool EnsurePeer(std::string* why) {
    if (Shell("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1") != 0) {
      *why = "node/npm not installed: JWE differential test against npm jose skipped";
      return false;
    }
    dir_ = fs::path(ATTEST_PEER_DIR) / "jose";
    fs::create_directories(dir_);
    const fs::path pkg = dir_ / "node_modules" / kPackage / "package.json";
    if (fs::exists(pkg)) {
      std::ifstream f(pkg);
      if (json::parse(f, nullptr, false).value("version", "") == kVersion) {
        return true;
      }
    }
    const std::string cmd = "cd '" + dir_.string() +
                            "' && (test -f package.json || npm init -y >/dev/null 2>&1) && "
                            "npm install --no-audit --no-fund --silent " +
                            std::string(kPackage) + "@" + kVersion + " >npm-install.log 2>&1";
    if (Shell(cmd) != 0 || !fs::exists(pkg)) {
      *why = std::string("npm install jose@") + kVersion + " failed (no registry?); see " +
             (dir_ / "npm-install.log").string();
      return false;
    }
    return true;
  }

  json Run(const json& jobs) {
    std::ofstream(dir_ / "driver.js") << kDriver;
    std::ofstream(dir_ / "jobs.json") << jobs.dump();
    const std::string out = (dir_ / "out.json").string();
    EXPECT_EQ(Shell("cd '" + dir_.string() + "' && node driver.js jobs.json > '" + out + "'"), 0);
    std::ifstream in(out);
    return json::parse(in, nullptr, false);
  }

  fs::path dir_;
};

TEST_F(JwePeerTest, BothDirectionsAgree) {
  const std::string guest = GenerateGuestKey().value();
  const std::string other = GenerateGuestKey().value();
  const GuestPublicKey pub = ParseGuestJwk(PublicJwk(guest).value()).value();
  const Bytes key = service::keys::RandomBytes(32);
  const std::string ours = EncryptToGuest(key, pub, "vol-7").value();
  // Flip a tag bit in the decoded bytes: the last base64url character of a 16-byte tag carries
  // unused bits, so editing characters could leave the tag unchanged.
  const size_t tag_at = ours.rfind('.') + 1;
  Bytes tag = Base64UrlDecode(ours.substr(tag_at)).value();
  tag[0] ^= 0x01;
  const std::string flipped_tag = ours.substr(0, tag_at) + Base64UrlEncode(tag);
  const json jobs = json::array({
      {{"op", "decrypt"}, {"jwk", guest}, {"jwe", ours}},
      {{"op", "decrypt"}, {"jwk", other}, {"jwe", ours}},
      {{"op", "decrypt"}, {"jwk", guest}, {"jwe", flipped_tag}},
      {{"op", "encrypt"}, {"jwk", pub.jwk_json}, {"plaintext", HexEncode(key)}},
  });
  const json out = Run(jobs);
  ASSERT_TRUE(out.is_array() && out.size() == 4) << out.dump();
  // jose opens ours and sees our header.
  ASSERT_TRUE(out[0]["ok"].get<bool>()) << out[0].dump();
  EXPECT_EQ(out[0]["plaintext"], HexEncode(key));
  EXPECT_EQ(out[0]["header"]["alg"], "ECDH-ES+A256KW");
  EXPECT_EQ(out[0]["header"]["enc"], "A256GCM");
  EXPECT_EQ(out[0]["header"]["kid"], "vol-7");
  EXPECT_EQ(out[0]["header"]["epk"]["crv"], "P-384");
  // jose refuses it under another key and with a changed tag.
  EXPECT_FALSE(out[1]["ok"].get<bool>()) << out[1].dump();
  EXPECT_FALSE(out[2]["ok"].get<bool>()) << out[2].dump();
  // We open what jose encrypts to the guest key; not with another key.
  ASSERT_TRUE(out[3]["ok"].get<bool>()) << out[3].dump();
  const std::string theirs = out[3]["jwe"].get<std::string>();
  EXPECT_EQ(DecryptFromService(theirs, guest).value(), key);
  EXPECT_EQ(DecryptFromService(theirs, other).status().reason_id(), "release.jwe_invalid");
}

}  // namespace
}  // namespace attest::protocol
