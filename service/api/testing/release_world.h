// ReleaseWorld: an ApiHarness set up for key release tests: the clock at SoftwareTee::Now(),
// anchors trusting only the SoftwareTee's test hierarchy, a tenant, trusted operator hosts, SNP
// and TDX policies, and helpers that play the guest (challenge, evidence, attest).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "protocol/host_platform.h"
#include "protocol/jwe.h"
#include "service/api/testing/api_harness.h"
#include "service/keys/volume.h"
#include "service/release/release.h"
#include "tests/testing/software_tee.h"

namespace attest::service::api::testing {

inline constexpr char kSnpPolicy[] = R"({"name": "snp-prod",
  "snp": {"any_measurement": true, "host_data_launch_ticket": true, "allow_debug": false},
  "host": {"host_policy": "hosts", "max_quote_age_seconds": 3600}})";

inline std::string TdxPolicy() {
  return R"({"name": "tdx-prod", "tdx": {"mr_td": [")" + attest::testing::SoftwareTee::TdxMrTd() +
         R"("], "mr_config_id_launch_ticket": true, "accepted_tcb_statuses": ["UpToDate"]},
         "host": {"host_policy": "hosts", "max_quote_age_seconds": 3600}})";
}

// CollateralJson renders TDX collateral in the bundle layout `attestctl verify tdx
// --collateral` reads (tdx::ParseCollateralJson).
inline nlohmann::json CollateralJson(const tdx::Collateral& c) {
  return nlohmann::json::parse(tdx::CollateralToJson(c));
}

// Guest: one ephemeral P-384 key pair, as the guest agent makes it.
struct Guest {
  std::string private_jwk = protocol::GenerateGuestKey().value();
  std::string public_jwk = protocol::PublicJwk(private_jwk).value();
  protocol::GuestPublicKey key = protocol::ParseGuestJwk(public_jwk).value();
};

class ReleaseWorld {
 public:
  ReleaseWorld() {
    h.set_now(attest::testing::SoftwareTee::Now());
    release::TrustAnchorConfig config;
    config.snp_test_root_chains_pem = {tee().SnpRootChainPem()};
    config.tdx_test_roots_pem = {tee().TdxRootPem()};
    h.set_anchors(release::TrustAnchors::Make(config).value());
    acme = h.CreateTenant("acme");
    acme_tenant = TenantOf(acme);
    EXPECT_EQ(h.Call("PUT", "/v1/policies/snp-prod", kSnpPolicy, &acme).status, 201);
    EXPECT_EQ(h.Call("PUT", "/v1/policies/tdx-prod", TdxPolicy(), &acme).status, 201);
  }

  static attest::testing::SoftwareTee& tee() {
    static attest::testing::SoftwareTee* t = new attest::testing::SoftwareTee();
    return *t;
  }

  std::string TenantOf(const sigv4::Credentials& who) {
    auto db = h.pool().Acquire();
    return (*db)->LookupCredential(who.access_key_id)->tenant_id;
  }

  // AddHost registers an operator host offering tees; trusted with a good quote quote_age ago
  // (and trust until that quote + 1 h) unless state says otherwise.
  std::string AddHost(std::vector<std::string> tees = {"snp", "tdx"},
                      std::chrono::seconds quote_age = std::chrono::seconds(60),
                      const std::string& state = "trusted") {
    auto db = h.pool().Acquire();
    EXPECT_TRUE(db.ok());
    store::HostRegistration reg;
    reg.ek_public = {1, 2, 3};
    reg.ak_public = {4, 5, 6};
    reg.host_policy = "hosts";
    reg.activation_sha256 = std::string(64, 'a');
    reg.tees = std::move(tees);
    // The software TEE's machine 0: its evidence comes from this host's chips.
    reg.platform =
        protocol::SerializeHostPlatform(attest::testing::SoftwareTee::SimulatedPlatform(0)).value();
    auto host = (*db)->RegisterHost(h.operator_tenant(), reg, h.now());
    EXPECT_TRUE(host.ok()) << host.status().ToString();
    if (!host.ok()) {
      return "";
    }
    SetHostState(host->id, state, quote_age);
    return host->id;
  }

  void SetHostState(const std::string& host_id, const std::string& state,
                    std::chrono::seconds quote_age = std::chrono::seconds(60)) {
    auto db = h.pool().Acquire();
    const TimePoint at = h.now() - quote_age;
    const std::optional<TimePoint> until =
        state == "trusted" ? std::optional<TimePoint>(at + std::chrono::hours(1)) : std::nullopt;
    EXPECT_TRUE((*db)
                    ->UpdateHostState(h.operator_tenant(), host_id,
                                      store::ParseHostState(state).value(), "{}", until, at)
                    .ok());
  }

  std::string NewVolume(const sigv4::Credentials& who, const std::string& name = "data") {
    auto r = h.CallJson("POST", "/v1/volumes", {{"name", name}}, &who);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json.value("volume_id", "");
  }

  ApiHarness::Reply NewVm(const sigv4::Credentials& who, const std::string& tee_name,
                          const std::vector<std::string>& volumes, std::string policy = "") {
    if (policy.empty()) {
      policy = tee_name + "-prod";
    }
    return h.CallJson("POST", "/v1/vms",
                      {{"tee", tee_name}, {"policy", policy}, {"volume_ids", volumes}}, &who);
  }

  std::string Challenge(const std::string& vm_id) {
    auto r = h.CallJson("POST", "/v1/attest/challenge", {{"vm_id", vm_id}}, nullptr);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json.value("nonce", "");
  }

  // Launch is what the TEE would report: REPORT_DATA binding the nonce and guest key, and the
  // VM's ticket digest (vm: the POST /v1/vms answer) as HOST_DATA / MRCONFIGID.
  static attest::testing::TeeLaunch Launch(const nlohmann::json& vm, const std::string& nonce_hex,
                                           const Guest& guest) {
    attest::testing::TeeLaunch l;
    const Sha512Digest binding =
        protocol::ReportDataBinding(HexDecode(nonce_hex).value(), guest.key);
    l.report_data = Bytes(binding.begin(), binding.end());
    l.launch_digest =
        Base64Decode(vm[vm["tee"] == "snp" ? "host_data" : "mr_config_id"].get<std::string>())
            .value();
    return l;
  }

  static nlohmann::json Evidence(const std::string& tee_name,
                                 const attest::testing::TeeLaunch& launch) {
    if (tee_name == "snp") {
      const snp::SnpCollateral c = tee().SnpCollateral();
      nlohmann::json e = {{"tee", "snp"},
                          {"report", Base64Encode(tee().SnpReport(launch))},
                          {"vcek", Base64Encode(c.endorsement_cert)}};
      return e;
    }
    return {{"tee", "tdx"},
            {"quote", Base64Encode(tee().TdxQuote(launch))},
            {"collateral", CollateralJson(tee().TdxCollateral())}};
  }

  static nlohmann::json AttestBody(const std::string& vm_id, const std::string& nonce,
                                   const Guest& guest, nlohmann::json evidence) {
    return {{"vm_id", vm_id},
            {"nonce", nonce},
            {"guest_key", nlohmann::json::parse(guest.public_jwk)},
            {"evidence", std::move(evidence)}};
  }

  // GoodBody is what a genuine guest of vm (the POST /v1/vms answer) sends with nonce: evidence
  // of the VM's TEE binding the nonce and the guest's key, launched with the VM's ticket.
  static nlohmann::json GoodBody(const nlohmann::json& vm, const std::string& nonce,
                                 const Guest& guest) {
    return AttestBody(vm["vm_id"], nonce, guest,
                      Evidence(vm["tee"].get<std::string>(), Launch(vm, nonce, guest)));
  }

  // AttestGood sends GoodBody.
  ApiHarness::Reply AttestGood(const nlohmann::json& vm, const std::string& nonce,
                               const Guest& guest) {
    return Attest(GoodBody(vm, nonce, guest));
  }

  ApiHarness::Reply Attest(const nlohmann::json& body) {
    return h.CallJson("POST", "/v1/attest", body, nullptr);
  }

  // StoredKey is the volume's key as the KEK unwraps it from the database.
  Bytes StoredKey(const std::string& tenant, const std::string& volume_id) {
    auto db = h.pool().Acquire();
    auto v = (*db)->GetVolume(tenant, volume_id);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    if (!v.ok()) {
      return {};
    }
    return keys::UnwrapVolumeKey(h.kek(), volume_id, v->wrapped_key).value();
  }

  ApiHarness h;
  sigv4::Credentials acme;
  std::string acme_tenant;
};

}  // namespace attest::service::api::testing
