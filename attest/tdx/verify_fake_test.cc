// QuoteVerifier under a test DCAP hierarchy (tests/testing/fake_dcap.h): TCB statuses,
// revocation, module identities and collateral windows that real vectors cannot show.
#include "attest/tdx/verify.h"

#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/tdx/claims.h"
#include "render/tdx_claims_json.h"
#include "tests/testing/fake_dcap.h"
#include "tests/testing/tdx_bytes.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/vectors.h"

namespace attest::tdx {
namespace {

using attest::testing::DcapVerification;
using attest::testing::FakeDcap;
using attest::testing::ReadVector;
using attest::testing::ReadVectorText;
using attest::testing::VerifyDcapBytes;
using nlohmann::json;

TimePoint At(const char* rfc3339) { return ParseRfc3339(rfc3339).value(); }

// --- test hierarchy: outcomes real vectors cannot show ------------------------------------------

class FakeHierarchyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const json vec = json::parse(ReadVectorText("tdx/dcap-qvl-v4/collateral.json"));
    tcb_info_ = json::parse(vec["tcb_info"].get<std::string>());
    qe_identity_ = json::parse(vec["qe_identity"].get<std::string>());
    template_v4_ = ReadVector("tdx/dcap-qvl-v4/quote.bin");
  }

  DcapVerification Run(const Bytes& quote, const json& tcb, const json& qe,
                       const std::vector<long>& revoked = {},
                       const char* crl_until = "2025-08-01T00:00:00Z",
                       const char* at = "2025-07-01T00:00:00Z") {
    const Collateral c =
        fake_.MakeCollateral(tcb, qe, At("2025-06-01T00:00:00Z"), At(crl_until), revoked);
    return VerifyDcapBytes(verifier_, quote, &c, At(at));
  }

  FakeDcap fake_;
  QuoteVerifier verifier_ = fake_.Verifier();
  json tcb_info_;
  json qe_identity_;
  Bytes template_v4_;
};

TEST_F(FakeHierarchyTest, BaselineUpToDate) {
  DcapVerification v = Run(fake_.ResignQuote(template_v4_), tcb_info_, qe_identity_);
  ASSERT_TRUE(v.status.ok()) << v.status.ToString();
  EXPECT_EQ(v.verified->tcb()->status, TcbStatus::kUpToDate);
  // The real Intel root is not trusted by this verifier.
  QuoteVerifier intel = QuoteVerifier::Default();
  const Collateral c = fake_.MakeCollateral(tcb_info_, qe_identity_, At("2025-06-01T00:00:00Z"),
                                            At("2025-08-01T00:00:00Z"));
  EXPECT_EQ(VerifyDcapBytes(intel, fake_.ResignQuote(template_v4_), &c, At("2025-07-01T00:00:00Z"))
                .status.reason_id(),
            "x509.crl_issuer_unknown");
}

TEST_F(FakeHierarchyTest, RevokedPck) {
  DcapVerification v = Run(fake_.ResignQuote(template_v4_), tcb_info_, qe_identity_, {7, 100});
  EXPECT_EQ(v.status.reason_id(), "x509.cert_revoked") << v.status.ToString();
  EXPECT_FALSE(v.verified.has_value());
}

TEST_F(FakeHierarchyTest, TcbLevelNotFoundIsNotForgery) {
  json tcb = tcb_info_;
  for (json& level : tcb["tcbLevels"]) {
    level["tcb"]["pcesvn"] = 200;
  }
  const Bytes quote = fake_.ResignQuote(template_v4_);
  DcapVerification v = Run(quote, tcb, qe_identity_);
  EXPECT_EQ(v.status.reason_id(), "tdx.tcb_level_not_found");
  ASSERT_TRUE(v.verified.has_value());  // every signature verified: claims are available
  EXPECT_FALSE(v.verified->tcb().has_value());
  const json claims = render::ClaimsToJson(ToClaims(*v.verified));
  EXPECT_TRUE(claims["tcb_status"].is_null());
  EXPECT_EQ(claims["advisory_ids"], json::array());

  Bytes forged = quote;
  forged[100] ^= 1;
  DcapVerification f = Run(forged, tcb, qe_identity_);
  EXPECT_EQ(f.status.reason_id(), "tdx.signature_invalid");
  EXPECT_FALSE(f.verified.has_value());
}

TEST_F(FakeHierarchyTest, StatusesAndConvergence) {
  // tee_tcb_svn is at offset 48 of a v4 quote; [0] module SVN, [1] module version, [2] ...
  auto with_svn = [&](uint8_t module_svn, uint8_t comp2) {
    return fake_.ResignQuote(template_v4_, [=](Bytes& b) {
      b[48] = module_svn;
      b[50] = comp2;
    });
  };
  auto qe_levels = [&](json levels) {
    json qe = qe_identity_;
    qe["tcbLevels"] = std::move(levels);
    return qe;
  };
  auto level = [](int isvsvn, const char* status, const std::vector<std::string>& adv = {}) {
    json l = {
        {"tcb", {{"isvsvn", isvsvn}}}, {"tcbDate", "2024-01-01T00:00:00Z"}, {"tcbStatus", status}};
    if (!adv.empty()) {
      l["advisoryIDs"] = adv;
    }
    return l;
  };
  json config_needed = tcb_info_;
  config_needed["tcbLevels"][0]["tcbStatus"] = "ConfigurationNeeded";
  config_needed["tcbLevels"][0]["advisoryIDs"] = {"INTEL-SA-01000"};
  json revoked = tcb_info_;
  revoked["tcbLevels"][0]["tcbStatus"] = "Revoked";
  json module_revoked = tcb_info_;
  for (json& m : module_revoked["tdxModuleIdentities"]) {
    if (m["id"] == "TDX_01") {
      m["tcbLevels"][0]["tcbStatus"] = "Revoked";
    }
  }
  json sw_hardening = tcb_info_;
  sw_hardening["tcbLevels"][0]["tcbStatus"] = "SWHardeningNeeded";
  sw_hardening["tcbLevels"][0]["advisoryIDs"] = {"INTEL-SA-00615"};

  struct Case {
    const char* name;
    Bytes quote;
    json tcb;
    json qe;
    std::string want_reason;
    TcbStatus want_status;
    std::vector<std::string> want_advisories;
  };
  const json qe_ood = qe_levels({level(10, "UpToDate"), level(2, "OutOfDate", {"INTEL-SA-QE"})});
  const Case cases[] = {
      {"platform and module current",
       with_svn(6, 3),
       tcb_info_,
       qe_identity_,
       "ok",
       TcbStatus::kUpToDate,
       {}},
      {"tdx component below the first level",
       with_svn(6, 1),
       tcb_info_,
       qe_identity_,
       "tdx.tcb_level_not_found",
       TcbStatus::kUpToDate,
       {}},
      {"module svn at the OutOfDate level",
       with_svn(3, 3),
       tcb_info_,
       qe_identity_,
       "ok",
       TcbStatus::kOutOfDate,
       {}},
      {"module svn below every level",
       with_svn(1, 3),
       tcb_info_,
       qe_identity_,
       "tdx.tcb_level_not_found",
       TcbStatus::kUpToDate,
       {}},
      {"qe out of date",
       with_svn(6, 3),
       tcb_info_,
       qe_ood,
       "ok",
       TcbStatus::kOutOfDate,
       {"INTEL-SA-QE"}},
      {"qe out of date with configuration needed",
       with_svn(6, 3),
       config_needed,
       qe_ood,
       "ok",
       TcbStatus::kOutOfDateConfigurationNeeded,
       {"INTEL-SA-01000", "INTEL-SA-QE"}},
      {"module out of date with configuration needed",
       with_svn(3, 3),
       config_needed,
       qe_identity_,
       "ok",
       TcbStatus::kOutOfDateConfigurationNeeded,
       {"INTEL-SA-01000"}},
      {"qe revoked",
       with_svn(6, 3),
       tcb_info_,
       qe_levels({level(10, "UpToDate"), level(1, "Revoked")}),
       "ok",
       TcbStatus::kRevoked,
       {}},
      {"qe below every level",
       with_svn(6, 3),
       tcb_info_,
       qe_levels({level(10, "UpToDate")}),
       "tdx.qe_tcb_level_not_found",
       TcbStatus::kUpToDate,
       {}},
      {"platform revoked", with_svn(6, 3), revoked, qe_identity_, "ok", TcbStatus::kRevoked, {}},
      {"module revoked",
       with_svn(6, 3),
       module_revoked,
       qe_identity_,
       "ok",
       TcbStatus::kRevoked,
       {}},
      {"sw hardening needed",
       with_svn(6, 3),
       sw_hardening,
       qe_identity_,
       "ok",
       TcbStatus::kSwHardeningNeeded,
       {"INTEL-SA-00615"}},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    DcapVerification v = Run(k.quote, k.tcb, k.qe);
    ASSERT_EQ(v.status.reason_id(), k.want_reason) << v.status.ToString();
    ASSERT_TRUE(v.verified.has_value());
    if (k.want_reason != "ok") {
      continue;
    }
    EXPECT_EQ(TcbStatusName(v.verified->tcb()->status), TcbStatusName(k.want_status));
    EXPECT_EQ(v.verified->tcb()->advisory_ids, k.want_advisories);
    const bool rejected = IsRejectedByDefault(k.want_status);
    EXPECT_EQ(ApplyDefaultTcbPolicy(*v.verified).reason_id(),
              rejected ? "tdx.tcb_status_rejected" : "ok");
  }
}

TEST_F(FakeHierarchyTest, TdxModuleIdentityRules) {
  const Bytes quote = fake_.ResignQuote(template_v4_);
  json wrong_signer = tcb_info_;
  for (json& m : wrong_signer["tdxModuleIdentities"]) {
    m["mrsigner"] = std::string(96, 'A');
  }
  json no_identity = tcb_info_;
  json kept = json::array();
  for (json& m : no_identity["tdxModuleIdentities"]) {
    if (m["id"] != "TDX_01") {
      kept.push_back(m);
    }
  }
  no_identity["tdxModuleIdentities"] = kept;
  json attributes = tcb_info_;
  for (json& m : attributes["tdxModuleIdentities"]) {
    m["attributes"] = "0100000000000000";
  }
  // Module version 0 (TEE_TCB_SVN[1] == 0): the tdxModule entry applies, all 16 bytes compared.
  const Bytes version0 = fake_.ResignQuote(template_v4_, [](Bytes& b) { b[49] = 0; });
  json v0_signer = tcb_info_;
  v0_signer["tdxModule"]["mrsigner"] = std::string(96, 'B');

  struct Case {
    const char* name;
    const Bytes* quote;
    json tcb;
    const char* want;
  };
  const Case cases[] = {
      {"identity mrsigner differs", &quote, wrong_signer, "tdx.tdx_module_mismatch"},
      {"identity missing", &quote, no_identity, "tdx.tdx_module_mismatch"},
      {"identity attributes not zero", &quote, attributes, "tdx.tdx_module_mismatch"},
      {"version 0 uses tdxModule, not the identities", &version0, wrong_signer, "ok"},
      {"version 0 tdxModule mrsigner differs", &version0, v0_signer, "tdx.tdx_module_mismatch"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    DcapVerification v = Run(*k.quote, k.tcb, qe_identity_);
    EXPECT_EQ(v.status.reason_id(), k.want) << v.status.ToString();
  }
}

TEST_F(FakeHierarchyTest, TdRelaunchAdvisedForTdReport15) {
  // gotdx-v5: TD report 1.5, body at 54; tee_tcb_svn at 54, tee_tcb_svn_2 at 54 + 584.
  const Bytes v5 = ReadVector("tdx/gotdx-v5/quote.bin");
  auto quote = [&](std::array<uint8_t, 3> svn, std::array<uint8_t, 3> svn2) {
    return fake_.ResignQuote(
        v5,
        [=](Bytes& b) {
          for (int i = 0; i < 3; ++i) {
            b[54 + i] = svn[i];
            b[54 + 584 + i] = svn2[i];
          }
        },
        [](Bytes& qe) { qe[258] = 8; });  // QE ISVSVN 8: current under the QE identity
  };
  json config_needed = tcb_info_;
  config_needed["tcbLevels"][0]["tcbStatus"] = "ConfigurationNeeded";
  struct Case {
    const char* name;
    Bytes quote;
    json tcb;
    TcbStatus want;
  };
  const Case cases[] = {
      {"current", quote({6, 1, 3}, {6, 1, 3}), tcb_info_, TcbStatus::kUpToDate},
      {"launched before a TD-preserving update", quote({3, 1, 3}, {6, 1, 3}), tcb_info_,
       TcbStatus::kTdRelaunchAdvised},
      {"relaunch with configuration needed", quote({3, 1, 3}, {6, 1, 3}), config_needed,
       TcbStatus::kTdRelaunchAdvisedConfigurationNeeded},
      {"module still old", quote({3, 1, 3}, {3, 1, 3}), tcb_info_, TcbStatus::kOutOfDate},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    DcapVerification v = Run(k.quote, k.tcb, qe_identity_);
    ASSERT_TRUE(v.status.ok()) << v.status.ToString();
    EXPECT_EQ(TcbStatusName(v.verified->tcb()->status), TcbStatusName(k.want));
  }
  DcapVerification relaunch = Run(quote({3, 1, 3}, {6, 1, 3}), tcb_info_, qe_identity_);
  EXPECT_EQ(ApplyDefaultTcbPolicy(*relaunch.verified).reason_id(), "tdx.tcb_status_rejected");
  // The second module version must name a module identity that exists.
  DcapVerification missing = Run(quote({3, 1, 3}, {6, 9, 3}), tcb_info_, qe_identity_);
  EXPECT_EQ(missing.status.reason_id(), "tdx.tdx_module_mismatch");
}

TEST_F(FakeHierarchyTest, CollateralWindowsAndSignatures) {
  const Bytes quote = fake_.ResignQuote(template_v4_);
  json expired = tcb_info_;
  expired["nextUpdate"] = "2025-06-30T00:00:00Z";
  json future = tcb_info_;
  future["issueDate"] = "2025-07-02T00:00:00Z";
  json qe_expired = qe_identity_;
  qe_expired["nextUpdate"] = "2025-06-30T00:00:00Z";
  json wrong_fmspc = tcb_info_;
  wrong_fmspc["fmspc"] = "00906ED50000";
  json wrong_pce = tcb_info_;
  wrong_pce["pceId"] = "0100";
  json sgx_id = tcb_info_;
  sgx_id["id"] = "SGX";
  json qe_changed_signer = qe_identity_;
  qe_changed_signer["mrsigner"] = std::string(64, 'A');
  json qe_prod = qe_identity_;
  qe_prod["isvprodid"] = 1;
  json qe_sgx = qe_identity_;
  qe_sgx["id"] = "QE";
  json qe_attr = qe_identity_;
  qe_attr["attributes"] = "11100000000000000000000000000000";
  json qe_attr_masked = qe_identity_;
  qe_attr_masked["attributes"] = "15000000000000000000000000000000";  // bit under a 0 mask
  struct Case {
    const char* name;
    json tcb;
    json qe;
    const char* crl_until;
    const char* want;
  };
  const Case cases[] = {
      {"tcb info expired", expired, qe_identity_, "2025-08-01T00:00:00Z", "tdx.tcb_info_expired"},
      {"tcb info not yet valid", future, qe_identity_, "2025-08-01T00:00:00Z",
       "tdx.tcb_info_not_yet_valid"},
      {"qe identity expired", tcb_info_, qe_expired, "2025-08-01T00:00:00Z",
       "tdx.qe_identity_expired"},
      {"crls expired", tcb_info_, qe_identity_, "2025-06-30T00:00:00Z", "x509.crl_expired"},
      {"fmspc differs", wrong_fmspc, qe_identity_, "2025-08-01T00:00:00Z", "tdx.tcb_info_mismatch"},
      {"pce id differs", wrong_pce, qe_identity_, "2025-08-01T00:00:00Z", "tdx.tcb_info_mismatch"},
      {"sgx tcb info for a tdx quote", sgx_id, qe_identity_, "2025-08-01T00:00:00Z",
       "tdx.tcb_info_mismatch"},
      {"qe mrsigner differs", tcb_info_, qe_changed_signer, "2025-08-01T00:00:00Z",
       "tdx.qe_identity_mismatch"},
      {"qe isvprodid differs", tcb_info_, qe_prod, "2025-08-01T00:00:00Z",
       "tdx.qe_identity_mismatch"},
      {"sgx qe identity for a tdx quote", tcb_info_, qe_sgx, "2025-08-01T00:00:00Z",
       "tdx.qe_identity_mismatch"},
      {"qe attributes differ", tcb_info_, qe_attr, "2025-08-01T00:00:00Z",
       "tdx.qe_identity_mismatch"},
      {"qe attributes differ only under the mask", tcb_info_, qe_attr_masked,
       "2025-08-01T00:00:00Z", "ok"},
      {"empty qe identity", tcb_info_, json::object(), "2025-08-01T00:00:00Z",
       "tdx.collateral_malformed"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    DcapVerification v = Run(quote, k.tcb, k.qe, {}, k.crl_until);
    EXPECT_EQ(v.status.reason_id(), k.want) << v.status.ToString();
  }
}

TEST_F(FakeHierarchyTest, TamperedSignedBodiesAndCrls) {
  const Bytes quote = fake_.ResignQuote(template_v4_);
  const Collateral good = fake_.MakeCollateral(tcb_info_, qe_identity_, At("2025-06-01T00:00:00Z"),
                                               At("2025-08-01T00:00:00Z"));
  ASSERT_TRUE(VerifyDcapBytes(verifier_, quote, &good, At("2025-07-01T00:00:00Z")).status.ok());
  struct Case {
    const char* name;
    std::function<void(Collateral&)> mutate;
    const char* want;
  };
  const Case cases[] = {
      {"zeroed qe identity signature",
       [](Collateral& c) {
         std::fill(c.qe_identity_signature.begin(), c.qe_identity_signature.end(), 0);
       },
       "tdx.qe_identity_signature_invalid"},
      {"tcb info re-serialised with spaces",
       [](Collateral& c) { c.tcb_info_body = json::parse(c.tcb_info_body).dump(1); },
       "tdx.tcb_info_signature_invalid"},
      {"pck crl signature corrupted",
       [](Collateral& c) { c.pck_crl[c.pck_crl.size() - 2] ^= 0x40; },
       "x509.crl_signature_invalid"},
      {"pck crl signed by the root",
       [this](Collateral& c) {
         c.pck_crl = attest::testing::DerOf(
             attest::testing::IssueCrl(fake_.root(), fake_.root_key(), {},
                                       At("2025-06-01T00:00:00Z"), At("2025-08-01T00:00:00Z"))
                 .get());
       },
       "x509.crl_issuer_unknown"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    Collateral c = good;
    k.mutate(c);
    EXPECT_EQ(VerifyDcapBytes(verifier_, quote, &c, At("2025-07-01T00:00:00Z")).status.reason_id(),
              k.want);
  }
}

}  // namespace
}  // namespace attest::tdx
