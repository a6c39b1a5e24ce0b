// Longer than 500 lines for one table: EveryFailedCheckIsListed gives every check DecideRelease
// makes, for every TEE, the evidence that fails it, over one shared scenario fixture.
#include "service/release/release.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "attest/core/encoding.h"
#include "protocol/host_platform.h"
#include "protocol/jwe.h"
#include "protocol/ticket.h"
#include "service/keys/local_kek.h"
#include "service/keys/volume.h"
#include "tests/testing/software_tee.h"

namespace attest::service::release {
namespace {

using protocol::DecryptFromService;
using protocol::GenerateGuestKey;
using protocol::GuestPublicKey;
using protocol::LaunchTicket;
using protocol::ParseGuestJwk;
using protocol::ParseTicket;
using protocol::PublicJwk;
using protocol::ReportDataBinding;
using protocol::SerializeTicket;
using protocol::TicketHostData;
using protocol::TicketMrConfigId;
using std::chrono::seconds;
using testing::SoftwareTee;
using testing::TeeLaunch;

constexpr char kSnpPolicy[] = R"({
  "name": "prod",
  "snp": {"any_measurement": true, "host_data_launch_ticket": true, "allow_debug": false},
  "host": {"host_policy": "hosts", "max_quote_age_seconds": 3600}
})";

std::string TdxPolicy() {
  return R"({"name": "prod", "tdx": {"mr_td": [")" + SoftwareTee::TdxMrTd() +
         R"("], "mr_config_id_launch_ticket": true, "accepted_tcb_statuses": ["UpToDate"]},
         "host": {"host_policy": "hosts", "max_quote_age_seconds": 3600}})";
}

// PlatformOf is simulated machine n's canonical platform document (the software TEE is machine 0).
std::string PlatformOf(int host) {
  return protocol::SerializeHostPlatform(SoftwareTee::SimulatedPlatform(host)).value();
}

store::PolicyVersion Policy(const std::string& document, int64_t version = 1) {
  return {"t-1", "prod", version, HexEncode(Sha256(AsBytes(document))), document, {}};
}

// Scenario: a good release for one VM; each case edits it into one attack or fault.
struct Scenario {
  std::string tee = "snp";
  TeeLaunch launch;
  store::Vm vm;
  store::PolicyVersion policy;
  // The evidence as the guest sends it; Decide parses it into input.evidence.
  std::string evidence_tee;
  Bytes snp_report;
  snp::SnpCollateral snp_collateral;
  Bytes tdx_quote;
  std::optional<tdx::Collateral> tdx_collateral;
  ReleaseInput input;
};

class ReleaseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tee_ = new SoftwareTee();
    TrustAnchorConfig config;
    config.snp_test_root_chains_pem = {tee_->SnpRootChainPem()};
    config.tdx_test_roots_pem = {tee_->TdxRootPem()};
    anchors_ = TrustAnchors::Make(config).value().release();
    shipped_ = TrustAnchors::Make({}).value().release();
  }
  static void TearDownTestSuite() {
    delete anchors_;
    delete shipped_;
    delete tee_;
  }

  void SetUp() override {
    guest_private_ = GenerateGuestKey().value();
    guest_ = ParseGuestJwk(PublicJwk(guest_private_).value()).value();
    other_guest_ = ParseGuestJwk(PublicJwk(GenerateGuestKey().value()).value()).value();
    nonce_ = keys::RandomBytes(32);
  }

  // Make builds a consistent scenario for tee ("snp" / "tdx") and lets edit change the launch
  // (what the TEE reports) and the inputs before the evidence is produced.
  Scenario Make(const std::string& tee,
                const std::function<void(Scenario&)>& before_evidence = nullptr,
                const std::function<void(Scenario&)>& after_evidence = nullptr) {
    Scenario s;
    s.tee = tee;
    const std::string doc = tee == "snp" ? kSnpPolicy : TdxPolicy();
    s.policy = Policy(doc);
    LaunchTicket t{"vm-1",    "t-1", tee,
                   "prod",    1,     s.policy.sha256,
                   {"vol-1"}, "h-1", SoftwareTee::Now() - seconds(600)};
    s.vm.id = t.vm_id;
    s.vm.tenant_id = t.tenant_id;
    s.vm.tee_type = tee;
    s.vm.policy_name = "prod";
    s.vm.policy_version = 1;
    s.vm.policy_sha256 = s.policy.sha256;
    s.vm.volume_ids = t.volume_ids;
    s.vm.host_id = t.host_id;
    s.vm.ticket = SerializeTicket(t).value();
    s.vm.ticket_sha256 = HexEncode(TicketHostData(s.vm.ticket));
    s.vm.ticket_sha384 = HexEncode(TicketMrConfigId(s.vm.ticket));
    const Sha512Digest binding = ReportDataBinding(nonce_, guest_);
    s.launch.report_data = Bytes(binding.begin(), binding.end());
    if (tee == "snp") {
      const Sha256Digest d = TicketHostData(s.vm.ticket);
      s.launch.launch_digest = Bytes(d.begin(), d.end());
    } else {
      const Sha384Digest d = TicketMrConfigId(s.vm.ticket);
      s.launch.launch_digest = Bytes(d.begin(), d.end());
    }
    s.input.nonce_status = Status::Ok();
    s.input.nonce = nonce_;
    s.input.guest_key = guest_;
    s.input.host = {"h-1",
                    store::HostState::kTrusted,
                    SoftwareTee::Now() + seconds(3000),
                    SoftwareTee::Now() - seconds(600),
                    "hosts",
                    PlatformOf(0)};
    s.input.now = SoftwareTee::Now();
    if (before_evidence) {
      before_evidence(s);
    }
    s.evidence_tee = tee;
    if (tee == "snp") {
      s.snp_report = tee_->SnpReport(s.launch);
      s.snp_collateral = tee_->SnpCollateral();
    } else {
      s.tdx_quote = tee_->TdxQuote(s.launch);
      s.tdx_collateral = tee_->TdxCollateral();
    }
    if (after_evidence) {
      after_evidence(s);
    }
    return s;
  }

  ReleaseDecision Decide(Scenario& s, const TrustAnchors* anchors = nullptr) {
    s.input.vm = &s.vm;
    s.input.policy = &s.policy;
    if (s.evidence_tee == "snp") {
      s.input.evidence = ParseSnpEvidence(s.snp_report, s.snp_collateral);
    } else if (s.evidence_tee == "tdx") {
      s.input.evidence = ParseTdxEvidence(s.tdx_quote, s.tdx_collateral);
    } else {
      s.input.evidence = OtherEvidence{s.evidence_tee};
    }
    return DecideRelease(s.input, anchors != nullptr ? *anchors : *anchors_);
  }

  static std::multiset<std::string> Got(const ReleaseDecision& d) {
    std::multiset<std::string> out;
    for (const CheckFailure& f : d.failures) {
      out.insert(f.check + ":" + std::string(f.reason.id));
    }
    return out;
  }

  static SoftwareTee* tee_;
  static TrustAnchors* anchors_;
  static TrustAnchors* shipped_;
  std::string guest_private_;
  GuestPublicKey guest_, other_guest_;
  Bytes nonce_;
};
SoftwareTee* ReleaseTest::tee_ = nullptr;
TrustAnchors* ReleaseTest::anchors_ = nullptr;
TrustAnchors* ReleaseTest::shipped_ = nullptr;

TEST_F(ReleaseTest, GoodEvidenceIsReleased) {
  for (const std::string tee : {"snp", "tdx"}) {
    SCOPED_TRACE(tee);
    Scenario s = Make(tee);
    const ReleaseDecision d = Decide(s);
    EXPECT_TRUE(d.released()) << ::testing::PrintToString(Got(d))
                              << (d.failures.empty() ? "" : d.failures[0].detail);
    ASSERT_TRUE(d.appraisal.has_value());
    EXPECT_TRUE(d.appraisal->affirmed());
    EXPECT_EQ(d.appraisal->evidence, tee);
    EXPECT_EQ(d.appraisal->policy_identity.rfind("prod@sha256:", 0), 0u);
  }
  // A policy without a host age rule leaves trusted_until as the only host rule.
  Scenario no_age = Make("snp", [](Scenario& s) {
    s.policy = Policy(R"({"name": "prod", "snp": {"any_measurement": true,
                         "host_data_launch_ticket": true}})");
    s.vm.policy_sha256 = s.policy.sha256;
    LaunchTicket t = ParseTicket(s.vm.ticket).value();
    t.policy_sha256 = s.policy.sha256;
    s.vm.ticket = SerializeTicket(t).value();
    s.vm.ticket_sha256 = HexEncode(TicketHostData(s.vm.ticket));
    s.vm.ticket_sha384 = HexEncode(TicketMrConfigId(s.vm.ticket));
    const Sha256Digest d = TicketHostData(s.vm.ticket);
    s.launch.launch_digest = Bytes(d.begin(), d.end());
    s.input.host.last_good_quote = SoftwareTee::Now() - seconds(86400 * 30);
  });
  EXPECT_TRUE(Decide(no_age).released()) << ::testing::PrintToString(Got(Decide(no_age)));
}

TEST_F(ReleaseTest, EveryFailedCheckIsListed) {
  using Edit = std::function<void(Scenario&)>;
  struct Case {
    std::string name;
    std::string tee;
    Edit before, after;
    std::multiset<std::string> want;
    bool shipped_anchors = false;
  };
  const Sha512Digest other_binding = ReportDataBinding(nonce_, other_guest_);
  const std::vector<Case> cases = {
      {"replayed or unknown nonce",
       "snp",
       nullptr,
       [](Scenario& s) {
         s.input.nonce_status = Status(reasons::kStoreNonceRejected, "nonce already used");
       },
       {"nonce:release.nonce_rejected"}},
      {"REPORT_DATA for another key",
       "snp",
       [&](Scenario& s) {
         s.launch.report_data = Bytes(other_binding.begin(), other_binding.end());
       },
       nullptr,
       {"report_data:release.report_data_mismatch"}},
      {"key swapped after the report",
       "snp",
       nullptr,
       [&](Scenario& s) { s.input.guest_key = other_guest_; },
       {"report_data:release.report_data_mismatch"}},
      {"other nonce in REPORT_DATA",
       "snp",
       nullptr,
       [&](Scenario& s) { s.input.nonce = keys::RandomBytes(32); },
       {"report_data:release.report_data_mismatch"}},
      {"short nonce",
       "snp",
       nullptr,
       [&](Scenario& s) { s.input.nonce.resize(16); },
       {"nonce:release.nonce_rejected", "report_data:release.report_data_mismatch"}},
      {"wrong HOST_DATA (another VM's ticket)",
       "snp",
       [](Scenario& s) { s.launch.launch_digest = Bytes(32, 0x42); },
       nullptr,
       {"launch_ticket:release.ticket_mismatch", "policy:snp.host_data_rejected"}},
      {"VM deleted",
       "snp",
       nullptr,
       [](Scenario& s) { s.vm.deleted_at = SoftwareTee::Now() - seconds(5); },
       {"vm:release.vm_deleted"}},
      {"host turned untrusted",
       "snp",
       nullptr,
       [](Scenario& s) { s.input.host.state = store::HostState::kUntrusted; },
       {"host:release.host_untrusted"}},
      {"host failed a quote while the VM ran, trusted again since",
       "snp",
       nullptr,
       [](Scenario& s) { s.vm.host_untrusted_at = SoftwareTee::Now() - seconds(60); },
       {"host:release.host_untrusted"}},
      {"host trust expired",
       "snp",
       nullptr,
       [](Scenario& s) { s.input.host.trusted_until = SoftwareTee::Now(); },
       {"host:release.host_untrusted"}},
      {"host never trusted",
       "snp",
       nullptr,
       [](Scenario& s) {
         s.input.host.state = store::HostState::kRegistered;
         s.input.host.trusted_until.reset();
         s.input.host.last_good_quote.reset();
       },
       {"host:release.host_untrusted", "host:release.host_quote_too_old"}},
      {"host quote older than the policy allows",
       "snp",
       nullptr,
       [](Scenario& s) { s.input.host.last_good_quote = SoftwareTee::Now() - seconds(3601); },
       {"host:release.host_quote_too_old"}},
      {"another host's record",
       "snp",
       nullptr,
       [](Scenario& s) { s.input.host.host_id = "h-2"; },
       {"host:release.host_untrusted"}},
      {"policy version other than the pinned one",
       "snp",
       nullptr,
       [](Scenario& s) { s.policy.version = 2; },
       {"policy:release.policy_version_mismatch"}},
      {"policy document changed under the same version",
       "snp",
       nullptr,
       [](Scenario& s) { s.policy = Policy(R"({"name": "prod", "snp": {}})"); },
       {"policy:release.policy_version_mismatch"}},
      {"policy with another measurement",
       "snp",
       nullptr,
       [](Scenario& s) {
         s.policy = Policy(R"({"name": "prod", "snp": {"measurements": [")" + std::string(96, 'e') +
                           R"("], "host_data_launch_ticket": true}})");
         s.vm.policy_sha256 = s.policy.sha256;  // (the ticket still pins the old digest)
       },
       {"launch_ticket:release.ticket_invalid", "policy:snp.measurement_rejected",
        "policy:snp.host_data_rejected"}},
      {"debug-enabled guest",
       "snp",
       [](Scenario& s) { s.launch.debug = true; },
       nullptr,
       {"policy:snp.debug_forbidden"}},
      {"forged report signature",
       "snp",
       nullptr,
       [](Scenario& s) { s.snp_report[0x90] ^= 1; },
       {"evidence:snp.signature_invalid", "policy:release.policy_denied"}},
      {"test hierarchy under the shipped anchors",
       "snp",
       nullptr,
       nullptr,
       {"evidence:snp.chain_untrusted", "policy:release.policy_denied"},
       true},
      {"evidence is not a report",
       "snp",
       nullptr,
       [](Scenario& s) { s.snp_report.resize(100); },
       {"evidence:snp.bad_size", "report_data:release.report_data_mismatch",
        "launch_ticket:release.ticket_mismatch", "host:release.host_platform_mismatch",
        "policy:release.policy_denied"}},
      {"unknown evidence type",
       "snp",
       nullptr,
       [](Scenario& s) { s.evidence_tee = "sev"; },
       {"evidence:release.evidence_invalid", "report_data:release.report_data_mismatch",
        "launch_ticket:release.tee_type_mismatch", "launch_ticket:release.ticket_mismatch",
        "host:release.host_platform_mismatch", "policy:release.policy_denied"}},
      {"stored ticket disagrees with the VM record",
       "snp",
       nullptr,
       [](Scenario& s) {
         s.vm.volume_ids = {"vol-1", "vol-9"};
       },
       {"launch_ticket:release.ticket_invalid", "policy:snp.host_data_rejected"}},
      {"stored ticket unreadable",
       "snp",
       nullptr,
       [](Scenario& s) { s.vm.ticket.push_back(' '); },
       {"launch_ticket:release.ticket_invalid", "launch_ticket:release.ticket_mismatch",
        "policy:snp.host_data_rejected"}},
      {"everything at once",
       "snp",
       [](Scenario& s) { s.launch.debug = true; },
       [](Scenario& s) {
         s.input.nonce_status = Status(reasons::kStoreNonceRejected, "expired");
         s.vm.deleted_at = SoftwareTee::Now();
         s.input.host.state = store::HostState::kUntrusted;
       },
       {"nonce:release.nonce_rejected", "vm:release.vm_deleted", "host:release.host_untrusted",
        "policy:snp.debug_forbidden"}},
      // The placed host's platform and host policy (issue 15).
      {"valid ticket, guest started on another machine's chip",
       "snp",
       nullptr,
       [&](Scenario& s) {
         tee_->UseHost(1, SoftwareTee::Now());
         s.snp_report = tee_->SnpReport(s.launch);
         s.snp_collateral = tee_->SnpCollateral();
         tee_->UseHost(0, SoftwareTee::Now());
       },
       {"host:release.host_platform_mismatch"}},
      {"host enrolled with other chips",
       "snp",
       nullptr,
       [](Scenario& s) { s.input.host.platform = PlatformOf(2); },
       {"host:release.host_platform_mismatch"}},
      {"host without SNP chips",
       "snp",
       nullptr,
       [](Scenario& s) {
         protocol::HostPlatform tdx_only = SoftwareTee::SimulatedPlatform(0);
         tdx_only.snp_chip_ids.clear();
         s.input.host.platform = protocol::SerializeHostPlatform(tdx_only).value();
       },
       {"host:release.host_platform_mismatch"}},
      {"host without a platform document",
       "snp",
       nullptr,
       [](Scenario& s) { s.input.host.platform.clear(); },
       {"host:release.host_platform_mismatch"}},
      {"host's stored document unreadable",
       "snp",
       nullptr,
       [](Scenario& s) { s.input.host.platform = "{}"; },
       {"host:release.host_platform_mismatch"}},
      {"host appraised with another host policy",
       "snp",
       nullptr,
       [](Scenario& s) { s.input.host.host_policy = "lab"; },
       {"host:release.host_policy_mismatch"}},
      {"TDX: valid ticket, TD started on another machine",
       "tdx",
       nullptr,
       [&](Scenario& s) {
         tee_->UseHost(1, SoftwareTee::Now());
         s.tdx_quote = tee_->TdxQuote(s.launch);
         tee_->UseHost(0, SoftwareTee::Now());
       },
       {"host:release.host_platform_mismatch"}},
      {"TDX: host without TDX",
       "tdx",
       nullptr,
       [](Scenario& s) {
         protocol::HostPlatform snp_only = SoftwareTee::SimulatedPlatform(0);
         snp_only.tdx.reset();
         s.input.host.platform = protocol::SerializeHostPlatform(snp_only).value();
       },
       {"host:release.host_platform_mismatch"}},
      {"TDX: host policy mismatch",
       "tdx",
       nullptr,
       [](Scenario& s) { s.input.host.host_policy = "lab"; },
       {"host:release.host_policy_mismatch"}},
      // TDX
      {"TDX: wrong MRCONFIGID",
       "tdx",
       [](Scenario& s) { s.launch.launch_digest = Bytes(48, 7); },
       nullptr,
       {"launch_ticket:release.ticket_mismatch", "policy:tdx.mr_config_id_rejected"}},
      {"TDX: debug TD",
       "tdx",
       [](Scenario& s) { s.launch.debug = true; },
       nullptr,
       {"policy:tdx.debug_forbidden"}},
      {"TDX: REPORT_DATA for another key",
       "tdx",
       [&](Scenario& s) {
         s.launch.report_data = Bytes(other_binding.begin(), other_binding.end());
       },
       nullptr,
       {"report_data:release.report_data_mismatch"}},
      {"TDX: expired collateral",
       "tdx",
       nullptr,
       [](Scenario& s) { s.input.now = SoftwareTee::Now() + seconds(86400 * 45); },
       {"evidence:x509.crl_expired", "host:release.host_untrusted",
        "host:release.host_quote_too_old", "host:release.host_platform_mismatch",
        "policy:release.policy_denied"}},
      {"TDX: test hierarchy under the shipped anchors",
       "tdx",
       nullptr,
       nullptr,
       {"evidence:x509.crl_issuer_unknown", "host:release.host_platform_mismatch",
        "policy:release.policy_denied"},
       true},
      {"TDX evidence for an SNP VM",
       "snp",
       nullptr,
       [&](Scenario& s) {
         s.evidence_tee = "tdx";
         s.tdx_quote = tee_->TdxQuote(s.launch);
         s.tdx_collateral = tee_->TdxCollateral();
       },
       {"launch_ticket:release.tee_type_mismatch", "launch_ticket:release.ticket_mismatch",
        "policy:release.policy_denied"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Scenario s = Make(c.tee, c.before, c.after);
    const ReleaseDecision d = Decide(s, c.shipped_anchors ? shipped_ : nullptr);
    EXPECT_FALSE(d.released());
    EXPECT_EQ(Got(d), c.want);
    for (const CheckFailure& f : d.failures) {
      EXPECT_FALSE(f.detail.empty()) << f.check;
    }
  }
}

// A VLEK-signed report with a masked CHIP_ID (all zero) cannot be matched to the placed host's
// chips: refused unless the tenant policy allows masked chips (then the binding is only to the
// VLEK's cloud provider).
TEST_F(ReleaseTest, MaskedChipIdsNeedTheTenantPolicysConsent) {
  testing::FakeSnpPlatform& platform = tee_->snp();
  testing::FakeEndorsementSpec vlek = platform.spec();
  vlek.vlek = true;
  platform.IssueEndorsement(vlek);
  TrustAnchorConfig config;
  config.snp_test_root_chains_pem = {tee_->SnpRootChainPem()};  // ASVK, ARK
  std::unique_ptr<TrustAnchors> vlek_anchors = TrustAnchors::Make(config).value();
  auto with_policy = [&](const std::string& host_json) {
    return [host_json](Scenario& s) {
      s.policy = Policy(R"({"name": "prod", "snp": {"any_measurement": true,
          "host_data_launch_ticket": true, "signing_keys": ["VLEK"]}, "host": )" +
                        host_json + "}");
      s.vm.policy_sha256 = s.policy.sha256;
      LaunchTicket t = ParseTicket(s.vm.ticket).value();
      t.policy_sha256 = s.policy.sha256;
      s.vm.ticket = SerializeTicket(t).value();
      s.vm.ticket_sha256 = HexEncode(TicketHostData(s.vm.ticket));
      s.vm.ticket_sha384 = HexEncode(TicketMrConfigId(s.vm.ticket));
      const Sha256Digest d = TicketHostData(s.vm.ticket);
      s.launch.launch_digest = Bytes(d.begin(), d.end());
    };
  };
  Scenario refused = Make("snp", with_policy(R"({"host_policy": "hosts"})"));
  ASSERT_EQ(snp::ParseSnpReport(refused.snp_report)->signing_key, snp::SigningKey::kVlek);
  ReleaseDecision d = Decide(refused, vlek_anchors.get());
  EXPECT_EQ(Got(d), (std::multiset<std::string>{"host:release.host_chip_masked"}));
  Scenario explicit_no =
      Make("snp", with_policy(R"({"host_policy": "hosts", "allow_masked_chip_id": false})"));
  EXPECT_EQ(Got(Decide(explicit_no, vlek_anchors.get())),
            (std::multiset<std::string>{"host:release.host_chip_masked"}));
  Scenario allowed =
      Make("snp", with_policy(R"({"host_policy": "hosts", "allow_masked_chip_id": true})"));
  d = Decide(allowed, vlek_anchors.get());
  EXPECT_TRUE(d.released()) << ::testing::PrintToString(Got(d));
  // Allowed masking still needs an SNP host with the tenant's host policy.
  Scenario no_snp =
      Make("snp", with_policy(R"({"host_policy": "hosts", "allow_masked_chip_id": true})"));
  no_snp.input.host.platform = protocol::SerializeHostPlatform({}).value();
  no_snp.input.host.host_policy = "lab";
  EXPECT_EQ(Got(Decide(no_snp, vlek_anchors.get())),
            (std::multiset<std::string>{"host:release.host_platform_mismatch",
                                        "host:release.host_policy_mismatch"}));
  tee_->UseHost(0, SoftwareTee::Now());  // back to machine 0's VCEK for the other tests
}

TEST_F(ReleaseTest, KeysGoOnlyToTheGuestKey) {
  auto kek = keys::LocalKeyFileKek::FromKey(Bytes(32, 3)).value();
  const Bytes k1 = keys::NewVolumeKey(), k2 = keys::NewVolumeKey();
  std::vector<store::Volume> volumes(2);
  volumes[0].id = "vol-1";
  volumes[0].wrapped_key = keys::WrapVolumeKey(*kek, "vol-1", k1).value();
  volumes[1].id = "vol-2";
  volumes[1].wrapped_key = keys::WrapVolumeKey(*kek, "vol-2", k2).value();
  const auto released = WrapKeysForGuest(*kek, volumes, guest_).value();
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(released[0].volume_id, "vol-1");
  EXPECT_EQ(DecryptFromService(released[0].jwe, guest_private_).value(), k1);
  EXPECT_EQ(DecryptFromService(released[1].jwe, guest_private_).value(), k2);
  // A wrapped key swapped between volume rows does not open: nothing is released.
  std::swap(volumes[0].wrapped_key, volumes[1].wrapped_key);
  EXPECT_EQ(WrapKeysForGuest(*kek, volumes, guest_).status().reason_id(), "keys.unwrap_failed");
  auto other_kek = keys::LocalKeyFileKek::FromKey(Bytes(32, 4)).value();
  EXPECT_EQ(WrapKeysForGuest(*other_kek, volumes, guest_).status().reason_id(), "keys.wrong_key");
}

TEST_F(ReleaseTest, AnchorsReplaceNeverAdd) {
  EXPECT_FALSE(shipped_->uses_test_roots());
  EXPECT_TRUE(anchors_->uses_test_roots());
  EXPECT_EQ(&shipped_->snp(), &snp::SnpTrustRoots::BuiltIn());
  TrustAnchorConfig bad;
  bad.tdx_test_roots_pem = {Bytes{'x'}};
  EXPECT_FALSE(TrustAnchors::Make(bad).ok());
  TrustAnchorConfig bad_snp;
  bad_snp.snp_test_root_chains_pem = {Bytes{'x'}};
  EXPECT_FALSE(TrustAnchors::Make(bad_snp).ok());
}

// The evidence variant: each alternative names its TEE and keeps the bytes as sent (the audit
// log digests them) and its parse, failure included.
TEST_F(ReleaseTest, EvidenceAlternatives) {
  TeeLaunch launch;
  const Bytes report = tee_->SnpReport(launch);
  const Bytes quote = tee_->TdxQuote(launch);
  struct Case {
    const char* name;
    Evidence evidence;
    std::string want_tee;
    size_t want_bytes;
    std::string want_parse;  // reason of the kept parse failure, "" when it parsed
  } cases[] = {
      {"default", Evidence{}, "", 0, ""},
      {"other", OtherEvidence{"sev"}, "sev", 0, ""},
      {"snp", ParseSnpEvidence(report, tee_->SnpCollateral()), "snp", report.size(), ""},
      {"tdx", ParseTdxEvidence(quote, std::nullopt), "tdx", quote.size(), ""},
      {"snp garbage", ParseSnpEvidence(Bytes(100, 1), {}), "snp", 100, "snp.bad_size"},
      {"tdx garbage", ParseTdxEvidence(Bytes(3, 1), std::nullopt), "tdx", 3, "tdx.malformed_quote"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(EvidenceTee(c.evidence), c.want_tee);
    EXPECT_EQ(EvidenceBytes(c.evidence).size(), c.want_bytes);
    std::string parse;
    if (const auto* s = std::get_if<SnpEvidence>(&c.evidence); s && !s->report.ok()) {
      parse = s->report.status().reason_id();
    }
    if (const auto* t = std::get_if<TdxEvidence>(&c.evidence); t && !t->quote.ok()) {
      parse = t->quote.status().reason_id();
    }
    EXPECT_EQ(parse, c.want_parse);
  }
}

// The launch measurement the evidence shows, as attestd reads it: SNP MEASUREMENT, or TDX MRTD
// and RTMR0..2.
store::ExpectedMeasurement EvidenceMeasurement(const Scenario& s) {
  store::ExpectedMeasurement m;
  if (s.evidence_tee == "snp") {
    m.measurement = HexEncode(snp::ParseSnpReport(s.snp_report)->measurement);
  } else {
    const auto quote = tdx::ParseQuote(s.tdx_quote);  // td_report points into it: keep it alive
    const tdx::TdReport& td = *quote->td_report;
    m.measurement = HexEncode(td.mr_td);
    for (size_t i = 0; i < 3; ++i) {
      m.rtmrs.push_back(HexEncode(td.rtmr[i]));
    }
  }
  return m;
}

// A VM created from a boot image carries the measurement attestd computed for it: the evidence
// must show exactly that one, beside everything the policy says.
TEST_F(ReleaseTest, MeasurementMustBeTheVmsExpectedOne) {
  using Edit = std::function<void(store::ExpectedMeasurement&)>;
  auto flip = [](std::string& hex) { hex[0] = hex[0] == '0' ? '1' : '0'; };
  const struct Case {
    std::string name;
    std::string tee;
    Edit edit;
    size_t want_failures;  // measurement failures; 0: released
  } cases[] = {
      {"SNP measurement as expected", "snp", [](auto&) {}, 0},
      {"TDX MRTD and RTMR0..2 as expected", "tdx", [](auto&) {}, 0},
      {"TDX MRTD alone expected", "tdx", [](auto& m) { m.rtmrs.clear(); }, 0},
      {"SNP measurement differs", "snp", [&](auto& m) { flip(m.measurement); }, 1},
      {"SNP: a TDX-sized expectation", "snp", [](auto& m) { m.measurement += "00000000"; }, 1},
      {"TDX MRTD differs", "tdx", [&](auto& m) { flip(m.measurement); }, 1},
      {"TDX RTMR1 differs", "tdx", [&](auto& m) { flip(m.rtmrs[1]); }, 1},
      {"TDX RTMR0 and RTMR2 differ", "tdx", [&](auto& m) { flip(m.rtmrs[0]), flip(m.rtmrs[2]); },
       2},
      {"a fourth TDX RTMR the evidence does not show", "tdx",
       [](auto& m) { m.rtmrs.push_back(std::string(96, 'e')); }, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Scenario s = Make(c.tee);
    s.vm.expected = EvidenceMeasurement(s);
    c.edit(s.vm.expected);
    const ReleaseDecision d = Decide(s);
    std::multiset<std::string> want;
    for (size_t i = 0; i < c.want_failures; ++i) {
      want.insert("measurement:release.measurement_mismatch");
    }
    EXPECT_EQ(Got(d), want);
    EXPECT_EQ(d.released(), c.want_failures == 0);
    for (const CheckFailure& f : d.failures) {
      // The audit detail says both values.
      EXPECT_NE(f.detail.find("expected "), std::string::npos) << f.detail;
      EXPECT_NE(f.detail.find(", got "), std::string::npos) << f.detail;
    }
  }
  // Evidence that does not parse has no measurement: listed beside the evidence failure.
  Scenario garbage = Make("snp");
  garbage.vm.expected = EvidenceMeasurement(garbage);
  garbage.snp_report.resize(100);
  EXPECT_EQ(Got(Decide(garbage)).count("measurement:release.measurement_mismatch"), 1u);
  // SNP evidence for a TDX VM's expectation: MRTD and each RTMR fail.
  Scenario tdx = Make("tdx");
  Scenario snp = Make("snp");
  snp.vm.expected = EvidenceMeasurement(tdx);
  EXPECT_EQ(Got(Decide(snp)).count("measurement:release.measurement_mismatch"), 4u);
}

// A stored policy version is loaded once per process, however many releases read it.
TEST_F(ReleaseTest, PolicyVersionLoadedOnce) {
  TrustAnchorConfig config;
  config.snp_test_root_chains_pem = {tee_->SnpRootChainPem()};
  config.tdx_test_roots_pem = {tee_->TdxRootPem()};
  std::unique_ptr<TrustAnchors> anchors = TrustAnchors::Make(config).value();
  EXPECT_EQ(anchors->policies().size(), 0u);
  for (const std::string tee : {"snp", "snp", "tdx"}) {
    SCOPED_TRACE(tee);
    Scenario s = Make(tee);
    EXPECT_TRUE(Decide(s, anchors.get()).released());
  }
  EXPECT_EQ(anchors->policies().size(), 2u);  // the SNP and the TDX documents
}

}  // namespace
}  // namespace attest::service::release
