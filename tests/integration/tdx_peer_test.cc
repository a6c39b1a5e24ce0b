// Differential test: our DCAP verifier against @phala/dcap-qvl (pure JavaScript, npm) and
// @phala/dcap-qvl-web (the Rust crate as WebAssembly), pinned versions, over the same quotes,
// collateral and verification times. Both must agree on the verdict and, when both accept, on the
// TCB status and the advisory IDs.
//
// The peer is installed with npm into the build tree (never the repository); the test is skipped
// with a message when node/npm are missing or the install fails (no registry access).
//
// Known peer defects, measured with the pinned version, are expected disagreements listed by name
// in kKnownPeerDefects: for each, ours must reject and the peer must still accept (so a peer fix
// or a regression of ours both show up).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "attest/core/encoding.h"
#include "attest/core/time.h"
#include "attest/core/x509.h"
#include "attest/tdx/verify.h"
#include "tests/testing/fake_dcap.h"
#include "tests/testing/tdx_bytes.h"
#include "tests/testing/vectors.h"

namespace attest::tdx {
namespace {

namespace fs = std::filesystem;
using attest::testing::ReadVector;
using attest::testing::ReadVectorText;
using nlohmann::json;

struct Peer {
  const char* package;
  const char* version;
  const char* subdir;  // under ATTEST_PEER_DIR
};
constexpr Peer kJsPeer = {"@phala/dcap-qvl", "0.3.9", "dcap-qvl"};
constexpr Peer kWebPeer = {"@phala/dcap-qvl-web", "0.3.3", "dcap-qvl-web"};

// Expected disagreements: case name -> the peer defect it demonstrates, and how it shows.
enum class Shows { kOursRejects, kPeerRejects, kStatusDiffers };
struct KnownDefect {
  Shows shows;
  const char* defect;
};
const std::map<std::string, KnownDefect>& KnownPeerDefects() {
  static const auto* m = new std::map<std::string, KnownDefect>{
      {"v4/pck_crl_bad_signature", {Shows::kOursRejects, "0.3.9 does not check CRL signatures"}},
      {"v4/root_crl_bad_signature", {Shows::kOursRejects, "0.3.9 does not check CRL signatures"}},
      {"sgx/pck_crl_bad_signature", {Shows::kOursRejects, "0.3.9 does not check CRL signatures"}},
      {"v4/after_pck_crl_next_update",
       {Shows::kOursRejects, "0.3.9 does not check CRL thisUpdate/nextUpdate"}},
      {"fake/qe_ood_platform_config_needed",
       {Shows::kStatusDiffers,
        "0.3.9 merges platform and QE status by severity (OutOfDate) where Intel's algorithm "
        "gives OutOfDateConfigurationNeeded"}},
      {"fake/module_svn_out_of_date",
       {Shows::kPeerRejects,
        "0.3.9 compares TEE_TCB_SVN[0..1] with the platform levels even when a TDX module "
        "identity applies (no level found, where Intel's algorithm gives OutOfDate)"}},
  };
  return *m;
}

// dcap-qvl-web 0.3.3 (measured): the QE identity is not checked at all, and collateral whose
// issueDate is after the verification time is accepted. (It does check CRL signatures and windows.)
const std::map<std::string, KnownDefect>& KnownWebPeerDefects() {
  static const auto* m = [] {
    auto* d = new std::map<std::string, KnownDefect>();
    for (const char* tee : {"v4", "sgx"}) {
      for (const char* c :
           {"qe_identity_zeroed_signature", "qe_identity_changed_mrsigner", "qe_identity_empty"}) {
        (*d)[std::string(tee) + "/" + c] = {Shows::kOursRejects,
                                            "dcap-qvl-web 0.3.3 does not check the QE identity"};
      }
      (*d)[std::string(tee) + "/before_window"] = {
          Shows::kOursRejects,
          "dcap-qvl-web 0.3.3 does not check TCB info / QE identity issueDate"};
    }
    return d;
  }();
  return *m;
}

// The WebAssembly peer: an ES module, initialised synchronously from its .wasm file; it always
// uses its built-in Intel root (no test hierarchy cases).
constexpr char kWebDriver[] = R"JS(
import fs from 'fs';
const dir = process.argv[2] + '/node_modules/@phala/dcap-qvl-web/';
const peer = await import(dir + 'dcap-qvl-web.js');
peer.initSync({module: fs.readFileSync(dir + 'dcap-qvl-web_bg.wasm')});
const cases = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const out = [];
for (const c of cases) {
  const quote = new Uint8Array(fs.readFileSync(c.quote));
  const collateral = JSON.parse(fs.readFileSync(c.collateral, 'utf8'));
  try {
    const r = peer.js_verify(quote, collateral, BigInt(c.now));
    out.push({name: c.name, ok: true, status: r.status, advisory_ids: r.advisory_ids});
  } catch (e) {
    out.push({name: c.name, ok: false, error: String(e && e.message ? e.message : e)});
  }
}
process.stdout.write(JSON.stringify(out));
)JS";

constexpr char kDriver[] = R"JS(
// Runs @phala/dcap-qvl's verify over cases.json and prints one JSON result per case.
const fs = require('fs');
const path = require('path');
const peer = require(path.join(process.argv[2], 'node_modules', '@phala', 'dcap-qvl'));
const cases = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const out = [];
for (const c of cases) {
  const quote = new Uint8Array(fs.readFileSync(c.quote));
  const collateral = JSON.parse(fs.readFileSync(c.collateral, 'utf8'));
  try {
    const verifier = c.root ? peer.QuoteVerifier.newWithRootCa(fs.readFileSync(c.root))
                            : peer.QuoteVerifier.newProd();
    const r = verifier.verify(quote, collateral, c.now);
    out.push({name: c.name, ok: true, status: r.status, advisory_ids: r.advisory_ids});
  } catch (e) {
    out.push({name: c.name, ok: false, error: String(e.message)});
  }
}
process.stdout.write(JSON.stringify(out));
)JS";

std::string RunShell(const std::string& cmd, int* rc) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    *rc = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    out.append(buf, n);
  }
  *rc = pclose(p);
  return out;
}

void WriteFile(const fs::path& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
}
void WriteFile(const fs::path& path, const Bytes& data) {
  WriteFile(path, std::string(data.begin(), data.end()));
}

// CollateralJson renders collateral in the vectors' JSON layout (what the peer reads).
json CollateralJson(const Collateral& c) {
  return {{"pck_crl_issuer_chain",
           std::string(c.pck_crl_issuer_chain.begin(), c.pck_crl_issuer_chain.end())},
          {"root_ca_crl", HexEncode(c.root_ca_crl)},
          {"pck_crl", HexEncode(c.pck_crl)},
          {"tcb_info_issuer_chain",
           std::string(c.tcb_info_issuer_chain.begin(), c.tcb_info_issuer_chain.end())},
          {"tcb_info", c.tcb_info_body},
          {"tcb_info_signature", HexEncode(c.tcb_info_signature)},
          {"qe_identity_issuer_chain",
           std::string(c.qe_identity_issuer_chain.begin(), c.qe_identity_issuer_chain.end())},
          {"qe_identity", c.qe_identity_body},
          {"qe_identity_signature", HexEncode(c.qe_identity_signature)}};
}

struct Case {
  std::string name;
  Bytes quote;
  Collateral collateral;
  TimePoint now;
  bool fake_root = false;
};

struct Outcome {
  bool ok = false;
  std::string status;
  std::vector<std::string> advisories;
  std::string error;
};

class PeerTest : public ::testing::Test {
 protected:
  // EnsurePeer installs peer into its own folder of the build tree (once); false with *why when
  // node/npm are missing or the install fails.
  bool EnsurePeer(const Peer& peer, std::string* why) {
    int rc = 0;
    RunShell("command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1", &rc);
    if (rc != 0) {
      *why = std::string("node/npm not installed: differential test against ") + peer.package +
             " skipped";
      return false;
    }
    dir_ = fs::path(ATTEST_PEER_DIR) / peer.subdir;
    fs::create_directories(dir_);
    const fs::path pkg = dir_ / "node_modules" / peer.package / "package.json";
    if (fs::exists(pkg)) {
      std::ifstream f(pkg);
      if (json::parse(f, nullptr, false).value("version", "") == peer.version) {
        return true;
      }
    }
    const std::string cmd = "cd '" + dir_.string() +
                            "' && (test -f package.json || npm init -y >/dev/null 2>&1) && " +
                            "npm install --no-audit --no-fund --silent " + peer.package + "@" +
                            peer.version + " >npm-install.log 2>&1";
    RunShell(cmd, &rc);
    if (rc != 0 || !fs::exists(pkg)) {
      *why = std::string("npm install ") + peer.package + "@" + peer.version +
             " failed (no registry?); see " + (dir_ / "npm-install.log").string();
      return false;
    }
    return true;
  }

  std::map<std::string, Outcome> RunPeer(const std::vector<Case>& cases, const Bytes& fake_root,
                                         const char* driver, const char* driver_name) {
    const fs::path work = dir_ / "cases";
    fs::create_directories(work);
    WriteFile(dir_ / driver_name, std::string(driver));
    WriteFile(work / "fake_root.der", fake_root);
    json list = json::array();
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const fs::path q = work / ("quote" + std::to_string(i) + ".bin");
      const fs::path col = work / ("collateral" + std::to_string(i) + ".json");
      WriteFile(q, c.quote);
      WriteFile(col, CollateralJson(c.collateral).dump());
      json entry = {{"name", c.name},
                    {"quote", q.string()},
                    {"collateral", col.string()},
                    {"now", ToUnixSeconds(c.now)}};
      if (c.fake_root) {
        entry["root"] = (work / "fake_root.der").string();
      }
      list.push_back(entry);
    }
    WriteFile(work / "cases.json", list.dump());
    int rc = 0;
    const std::string out =
        RunShell("node '" + (dir_ / driver_name).string() + "' '" + dir_.string() + "' '" +
                     (work / "cases.json").string() + "'",
                 &rc);
    EXPECT_EQ(rc, 0) << out;
    std::map<std::string, Outcome> results;
    const json parsed = json::parse(out, nullptr, false);
    if (!parsed.is_array()) {
      ADD_FAILURE() << "peer output is not a JSON array: " << out.substr(0, 500);
      return results;
    }
    for (const json& r : parsed) {
      Outcome o;
      o.ok = r.value("ok", false);
      o.status = r.value("status", "");
      if (r.contains("advisory_ids")) {
        o.advisories = r["advisory_ids"].get<std::vector<std::string>>();
      }
      o.error = r.value("error", "");
      results[r["name"].get<std::string>()] = o;
    }
    return results;
  }

  fs::path dir_;
};

TimePoint At(const char* t) { return ParseRfc3339(t).value(); }

void AddVectorCases(const char* prefix, const char* dir, const char* inside, const char* before,
                    const char* after, std::vector<Case>& cases) {
  const Bytes quote = ReadVector(std::string("tdx/") + dir + "/quote.bin");
  const Collateral good =
      ParseCollateralJson(ReadVectorText(std::string("tdx/") + dir + "/collateral.json")).value();
  const std::string p = prefix;
  cases.push_back({p + "/inside", quote, good, At(inside)});
  cases.push_back({p + "/before_window", quote, good, At(before)});
  cases.push_back({p + "/after_window", quote, good, At(after)});
  auto mutated = [&](const std::string& name, auto&& mutate) {
    Collateral c = good;
    mutate(c);
    cases.push_back({p + "/" + name, quote, c, At(inside)});
  };
  mutated("tcb_info_body_flip", [](Collateral& c) { c.tcb_info_body[30] ^= 1; });
  mutated("tcb_info_signature_flip", [](Collateral& c) { c.tcb_info_signature[9] ^= 1; });
  mutated("qe_identity_zeroed_signature", [](Collateral& c) {
    std::fill(c.qe_identity_signature.begin(), c.qe_identity_signature.end(), 0);
  });
  mutated("qe_identity_changed_mrsigner", [](Collateral& c) {
    const size_t at = c.qe_identity_body.find("\"mrsigner\":\"") + 12;
    c.qe_identity_body[at] = c.qe_identity_body[at] == 'A' ? 'B' : 'A';
  });
  mutated("qe_identity_empty", [](Collateral& c) { c.qe_identity_body = "{}"; });
  mutated("pck_crl_bad_signature", [](Collateral& c) { c.pck_crl[c.pck_crl.size() - 5] ^= 1; });
  if (p == "v4") {
    mutated("root_crl_bad_signature",
            [](Collateral& c) { c.root_ca_crl[c.root_ca_crl.size() - 5] ^= 1; });
  }
  // Quote mutations across the signed region, the signature and the QE report.
  const Quote q = ParseQuote(quote).value();
  for (size_t at : {size_t{0} + 8, size_t{60}, q.signed_data.size() - 1, q.signed_data.size() + 10,
                    q.signed_data.size() + 70, q.signed_data.size() + 200}) {
    Bytes b = quote;
    b[at] ^= 0x10;
    cases.push_back({p + "/quote_flip_" + std::to_string(at), b, good, At(inside)});
  }
}

// VectorCases: the real vectors (Intel root) at times inside and just outside their windows,
// with collateral and quote mutations.
std::vector<Case> VectorCases() {
  std::vector<Case> cases;
  AddVectorCases("v4", "dcap-qvl-v4", "2025-07-01T00:00:00Z", "2025-06-19T10:00:00Z",
                 "2025-07-19T10:20:00Z", cases);
  cases.push_back({"v4/after_pck_crl_next_update", ReadVector("tdx/dcap-qvl-v4/quote.bin"),
                   ParseCollateralJson(ReadVectorText("tdx/dcap-qvl-v4/collateral.json")).value(),
                   At("2025-07-19T10:05:00Z")});
  AddVectorCases("sgx", "dcap-qvl-sgx-v3", "2025-07-01T00:00:00Z", "2025-06-19T10:00:00Z",
                 "2025-07-19T10:30:00Z", cases);
  return cases;
}

// AddFakeCases: under a test hierarchy (the peer is given its root): revocation and TCB outcomes.
void AddFakeCases(const attest::testing::FakeDcap& fake, std::vector<Case>& cases) {
  const json vec = json::parse(ReadVectorText("tdx/dcap-qvl-v4/collateral.json"));
  const json tcb = json::parse(vec["tcb_info"].get<std::string>());
  const json qe = json::parse(vec["qe_identity"].get<std::string>());
  const Bytes v4 = ReadVector("tdx/dcap-qvl-v4/quote.bin");
  const TimePoint now = At("2025-07-01T00:00:00Z");
  const TimePoint from = At("2025-06-01T00:00:00Z");
  const TimePoint until = At("2025-08-01T00:00:00Z");
  auto add_fake = [&](const std::string& name, const Bytes& quote, const json& t, const json& q,
                      const std::vector<long>& revoked = {}) {
    cases.push_back(
        {"fake/" + name, quote, fake.MakeCollateral(t, q, from, until, revoked), now, true});
  };
  const Bytes resigned = fake.ResignQuote(v4);
  add_fake("baseline", resigned, tcb, qe);
  add_fake("revoked_pck", resigned, tcb, qe, {100});
  json no_level = tcb;
  for (json& l : no_level["tcbLevels"]) {
    l["tcb"]["pcesvn"] = 200;
  }
  add_fake("tcb_level_not_found", resigned, no_level, qe);
  json config = tcb;
  config["tcbLevels"][0]["tcbStatus"] = "ConfigurationNeeded";
  config["tcbLevels"][0]["advisoryIDs"] = {"INTEL-SA-01000"};
  add_fake("platform_config_needed", resigned, config, qe);
  json qe_ood = qe;
  qe_ood["tcbLevels"] = json::array(
      {{{"tcb", {{"isvsvn", 10}}}, {"tcbDate", "2024-01-01T00:00:00Z"}, {"tcbStatus", "UpToDate"}},
       {{"tcb", {{"isvsvn", 2}}},
        {"tcbDate", "2023-01-01T00:00:00Z"},
        {"tcbStatus", "OutOfDate"},
        {"advisoryIDs", {"INTEL-SA-QE"}}}});
  add_fake("qe_out_of_date", resigned, tcb, qe_ood);
  add_fake("qe_ood_platform_config_needed", resigned, config, qe_ood);
  add_fake(
      "platform_out_of_date", fake.ResignQuote(v4, [](Bytes& b) { b[48] = 6, b[50] = 3; }),
      [&] {
        json t = tcb;
        t["tcbLevels"][0]["tcbStatus"] = "OutOfDate";
        t["tcbLevels"][0]["advisoryIDs"] = {"INTEL-SA-00999"};
        return t;
      }(),
      qe);
  add_fake("module_svn_out_of_date", fake.ResignQuote(v4, [](Bytes& b) { b[48] = 3; }), tcb, qe);
}

// Compare runs ours over every case and checks the peer's answers against it.
void Compare(const std::vector<Case>& cases, const std::map<std::string, Outcome>& peer,
             const std::map<std::string, KnownDefect>& known_defects,
             const attest::testing::FakeDcap* fake) {
  QuoteVerifier intel = QuoteVerifier::Default();
  std::optional<QuoteVerifier> test_root;
  if (fake != nullptr) {
    std::vector<X509Ptr> roots;
    roots.push_back(UpRef(fake->root()));
    test_root.emplace(std::move(roots));
  }
  size_t agreed = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    attest::testing::DcapVerification v = attest::testing::VerifyDcapBytes(
        c.fake_root ? *test_root : intel, c.quote, &c.collateral, c.now);
    const bool ours_ok = v.status.ok();
    auto it = peer.find(c.name);
    ASSERT_NE(it, peer.end()) << "peer gave no result";
    const Outcome& theirs = it->second;
    auto known = known_defects.find(c.name);
    if (known != known_defects.end()) {
      const KnownDefect& d = known->second;
      std::string ours_says(v.status.reason_id());
      if (ours_ok && v.verified->tcb()) {
        ours_says = TcbStatusName(v.verified->tcb()->status);
      }
      std::printf("expected disagreement %s: ours %s, peer %s -- %s\n", c.name.c_str(),
                  ours_says.c_str(), theirs.ok ? theirs.status.c_str() : theirs.error.c_str(),
                  d.defect);
      if (d.shows == Shows::kOursRejects) {
        EXPECT_FALSE(ours_ok) << "ours accepts: " << d.defect;
        EXPECT_TRUE(theirs.ok) << "known peer defect no longer reproduces: " << d.defect;
      } else if (d.shows == Shows::kPeerRejects) {
        EXPECT_TRUE(ours_ok) << v.status.ToString();
        EXPECT_FALSE(theirs.ok) << "known peer defect no longer reproduces: " << d.defect;
      } else {
        ASSERT_TRUE(ours_ok && theirs.ok) << v.status.ToString() << " / " << theirs.error;
        EXPECT_NE(ours_says, theirs.status) << "known peer defect no longer reproduces";
      }
      continue;
    }
    EXPECT_EQ(ours_ok, theirs.ok) << "ours: " << v.status.ToString()
                                  << " / peer: " << (theirs.ok ? theirs.status : theirs.error);
    if (ours_ok && theirs.ok) {
      EXPECT_EQ(TcbStatusName(v.verified->tcb()->status), theirs.status);
      std::set<std::string> a(v.verified->tcb()->advisory_ids.begin(),
                              v.verified->tcb()->advisory_ids.end());
      std::set<std::string> b(theirs.advisories.begin(), theirs.advisories.end());
      EXPECT_EQ(a, b);
    }
    agreed += ours_ok == theirs.ok;
  }
  std::printf("%zu cases, %zu agreed, %zu expected disagreements\n", cases.size(), agreed,
              known_defects.size());
}

TEST_F(PeerTest, DcapQvlJsAgreesOnVerdictStatusAndAdvisories) {
  std::string why;
  if (!EnsurePeer(kJsPeer, &why)) {
    GTEST_SKIP() << why;
  }
  std::vector<Case> cases = VectorCases();
  attest::testing::FakeDcap fake;
  AddFakeCases(fake, cases);
  const auto peer = RunPeer(cases, CertificateDer(fake.root()), kDriver, "driver.js");
  Compare(cases, peer, KnownPeerDefects(), &fake);
}

TEST_F(PeerTest, DcapQvlWebAgreesExceptQeIdentity) {
  std::string why;
  if (!EnsurePeer(kWebPeer, &why)) {
    GTEST_SKIP() << why;
  }
  const std::vector<Case> cases = VectorCases();
  const auto peer = RunPeer(cases, Bytes{}, kWebDriver, "driver.mjs");
  Compare(cases, peer, KnownWebPeerDefects(), nullptr);
}

}  // namespace
}  // namespace attest::tdx
