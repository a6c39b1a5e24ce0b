#include "bench/fleet/fleet_session.h"

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/pcr_json.h"
#include "protocol/host_credential.h"
#include "protocol/host_platform.h"
#include "service/store/secret_sealer.h"

namespace attest::bench::fleet {
namespace {

constexpr char kPolicyName[] = "fleet";
constexpr char kHostPolicy[] =
    R"({"name": "fleet", "any_firmware": true, "any_boot_application": true})";
constexpr char kTenantPolicy[] = R"({"name": "fleet",
  "snp": {"any_measurement": true, "host_data_launch_ticket": true, "allow_debug": false},
  "host": {"host_policy": "fleet", "max_quote_age_seconds": 3600}})";

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Answered is true when r is an answer with status want (0: any 2xx); otherwise it records the
// failure of op by status and reason code (the answer's "code", or the client's reason).
bool Answered(OpRecorder& rec, const std::string& op, const Result<client::ClientResponse>& r,
              int want) {
  if (!r.ok()) {
    rec.Failed(op, 0, r.status().reason_id(), r.status().message());
    return false;
  }
  const bool ok = want == 0 ? r->status >= 200 && r->status < 300 : r->status == want;
  if (!ok) {
    const std::string code =
        r->json.is_object() && r->json.contains("code") && r->json["code"].is_string()
            ? r->json["code"].get<std::string>()
            : "";
    rec.Failed(op, r->status, code);
  }
  return ok;
}

// StringMember is j[name] when it is a string, else "".
std::string StringMember(const nlohmann::json& j, const char* name) {
  return j.is_object() && j.contains(name) && j[name].is_string() ? j[name].get<std::string>() : "";
}

Result<HostEvidence> LoadHostEvidence() {
  HostEvidence e;
  ATTEST_ASSIGN_OR_RETURN(
      e.event_log,
      ReadFileBytes(ATTEST_SOURCE_DIR "/attest/tpm/testdata/swtpm/bench-100/eventlog.bin"));
  ATTEST_ASSIGN_OR_RETURN(tpm::EventLog parsed, tpm::ParseEventLog(e.event_log));
  ATTEST_ASSIGN_OR_RETURN(e.pcrs, tpm::ReplayEventLog(parsed));
  e.event_log_b64 = Base64Encode(e.event_log);
  e.pcrs_json = {{"banks", tpm::PcrBanksToJson(e.pcrs)}};
  return e;
}

Status CallFailed(const std::string& what, const Result<client::ClientResponse>& r) {
  if (!r.ok()) {
    return r.status();
  }
  return Status(reasons::kClientHttpError,
                what + ": HTTP " + std::to_string(r->status) + " " + r->body.substr(0, 300));
}

}  // namespace

Result<std::unique_ptr<FleetSession>> FleetSession::Create(const FleetTarget& target, int hosts,
                                                           int guests_per_host) {
  std::unique_ptr<FleetSession> s(new FleetSession());
  s->target_ = target;
  s->guests_per_host_ = guests_per_host;
  client::ClientConfig config = target.client;
  config.sign = false;
  ATTEST_ASSIGN_OR_RETURN(s->client_, client::ApiClient::Create(config));
  ATTEST_ASSIGN_OR_RETURN(s->evidence_, LoadHostEvidence());
  if (guests_per_host > 0) {
    s->tees_ = std::make_unique<GuestTees>(target.snp_platform_saved);
  }
  s->hosts_.reserve(hosts);
  for (int h = 0; h < hosts; ++h) {
    SimHost host{testing::FakeTpm::Create(testing::kFakeAkAttributes, testing::FakeEk::kEccP256)};
    host.machine = h % kSimulatedMachines;
    const protocol::HostPlatform platform = testing::SoftwareTee::SimulatedPlatform(host.machine);
    ATTEST_ASSIGN_OR_RETURN(host.platform_canonical, protocol::SerializeHostPlatform(platform));
    host.platform_json = protocol::HostPlatformToJson(platform);
    s->hosts_.push_back(std::move(host));
  }
  ATTEST_RETURN_IF_ERROR(s->CreateTenantAndPolicies());
  return s;
}

Status FleetSession::CreateTenantAndPolicies() {
  const sigv4::Credentials& op = target_.operator_credentials;
  auto r = client_->SendAs(op, "PUT", std::string("/v1/host-policies/") + kPolicyName, kHostPolicy);
  if (!r.ok() || (r->status != 200 && r->status != 201)) {
    return CallFailed("host policy", r);
  }
  // A tenant of its own per run: reruns against one attestd never see each other's VMs.
  const std::string name = "fleet-" + HexEncode(service::store::RandomBytes(4));
  r = client_->SendAs(op, "POST", "/v1/tenants", nlohmann::json{{"name", name}}.dump());
  if (!r.ok() || r->status != 201) {
    return CallFailed("tenant", r);
  }
  tenant_ = {StringMember(r->json, "access_key_id"), StringMember(r->json, "secret_access_key"),
             ""};
  r = client_->SendAs(tenant_, "PUT", std::string("/v1/policies/") + kPolicyName, kTenantPolicy);
  if (!r.ok() || r->status != 201) {
    return CallFailed("tenant policy", r);
  }
  return Status::Ok();
}

int FleetSession::guests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(guests_.size());
}

bool FleetSession::EnrollAndPlace(int h, OpRecorder& rec) {
  SimHost& host = hosts_[h];
  const auto t0 = Clock::now();
  auto r = client_->SendAs(target_.operator_credentials, "POST", "/v1/host-enrollments",
                           nlohmann::json{{"host_policy", kPolicyName}, {"tees", {"snp"}}}.dump());
  if (!Answered(rec, "enroll", r, 201)) {
    return false;
  }
  r = client_->Send("POST", "/v1/enroll",
                    nlohmann::json{{"token", StringMember(r->json, "token")},
                                   {"ek_public", Base64Encode(host.tpm.ek_public())},
                                   {"ak_public", Base64Encode(host.tpm.ak_public())},
                                   {"platform", host.platform_json}}
                        .dump());
  if (!Answered(rec, "enroll", r, 201)) {
    return false;
  }
  const std::string id = StringMember(r->json, "host_id");
  auto blob = Base64Decode(StringMember(r->json, "credential_blob"));
  auto wrapped = Base64Decode(StringMember(r->json, "encrypted_secret"));
  if (!blob.ok() || !wrapped.ok()) {
    rec.Failed("enroll", r->status, "fleet.enroll_answer_malformed");
    return false;
  }
  auto secret = host.tpm.ActivateCredential(*blob, *wrapped);
  if (!secret.ok()) {
    rec.Failed("enroll", 0, secret.status().reason_id());
    return false;
  }
  auto key = protocol::DeriveHostSecretKey(*secret, id);
  if (!key.ok()) {
    rec.Failed("enroll", 0, key.status().reason_id());
    return false;
  }
  r = client_->Send(
      "POST", "/v1/enroll/activate",
      nlohmann::json{{"host_id", id}, {"proof", protocol::HostActivationProof(*key, id)}}.dump());
  if (!Answered(rec, "enroll", r, 200)) {
    return false;
  }
  rec.Ok("enroll", MsSince(t0));
  host.id = id;
  host.credentials = {StringMember(r->json, "access_key_id"), *key, ""};
  {
    std::lock_guard<std::mutex> lock(mu_);
    machine_of_host_[id] = host.machine;
  }
  HostQuote(h, Clock::now(), rec);
  // Placement puts a VM on the host with the latest good quote: this host, unless another one
  // quoted since; the VM's answer names it, and its guest signs as that host's machine.
  for (int j = 0; j < guests_per_host_; ++j) {
    const auto v0 = Clock::now();
    r = client_->SendAs(
        tenant_, "POST", "/v1/volumes",
        nlohmann::json{{"name", "g" + std::to_string(h) + "-" + std::to_string(j)}}.dump());
    if (!Answered(rec, "volume_create", r, 201)) {
      return false;
    }
    rec.Ok("volume_create", MsSince(v0));
    const std::string volume_id = StringMember(r->json, "volume_id");
    const auto m0 = Clock::now();
    r = client_->SendAs(
        tenant_, "POST", "/v1/vms",
        nlohmann::json{{"tee", "snp"}, {"policy", kPolicyName}, {"volume_ids", {volume_id}}}
            .dump());
    if (!Answered(rec, "vm_create", r, 201)) {
      return false;
    }
    rec.Ok("vm_create", MsSince(m0));
    SimGuest g;
    g.vm_id = StringMember(r->json, "vm_id");
    auto host_data = Base64Decode(StringMember(r->json, "host_data"));
    if (!host_data.ok()) {
      rec.Failed("vm_create", r->status, "fleet.vm_answer_malformed");
      return false;
    }
    g.host_data = *host_data;
    // The guest's key pair, made once: what its agent generates at boot.
    auto private_jwk = protocol::GenerateGuestKey();
    auto public_jwk = private_jwk.ok() ? protocol::PublicJwk(*private_jwk) : private_jwk;
    auto key = public_jwk.ok() ? protocol::ParseGuestJwk(*public_jwk)
                               : Result<protocol::GuestPublicKey>(public_jwk.status());
    if (!key.ok()) {
      rec.Failed("vm_create", 0, key.status().reason_id());
      return false;
    }
    g.public_jwk = *public_jwk;
    g.key = *key;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = machine_of_host_.find(StringMember(r->json, "host_id"));
      if (it == machine_of_host_.end()) {
        rec.Failed("vm_create", r->status, "fleet.vm_on_unknown_host");
        return false;
      }
      g.machine = it->second;
    }
    // The VCEK of the machine is issued now, not during the boot storm.
    if (Status s = tees_->Prepare(g.machine); !s.ok()) {
      rec.Failed("vm_create", 0, s.reason_id());
      return false;
    }
    std::lock_guard<std::mutex> lock(mu_);
    guests_.push_back(std::move(g));
  }
  return true;
}

void FleetSession::HostQuote(int h, Clock::time_point scheduled, OpRecorder& rec) {
  const SimHost& host = hosts_[h];
  const std::string base = "/v1/hosts/" + host.id;
  auto r = client_->SendAs(host.credentials, "POST", base + "/challenge", "{}");
  if (!Answered(rec, "host_quote", r, 201)) {
    return;
  }
  const std::string nonce_hex = StringMember(r->json, "nonce");
  auto nonce = HexDecode(nonce_hex);
  if (!nonce.ok()) {
    rec.Failed("host_quote", r->status, "fleet.challenge_answer_malformed");
    return;
  }
  // What attest-agent does: the TPM quotes over the nonce bound to the platform document.
  const Sha256Digest qualifying = protocol::QuoteQualifyingData(*nonce, host.platform_canonical);
  const testing::FakeTpm::SignedQuote q =
      host.tpm.Quote(ByteSpan(qualifying.data(), qualifying.size()), evidence_.pcrs);
  const std::string body = nlohmann::json{
      {"nonce", nonce_hex},
      {"quote", Base64Encode(q.attest)},
      {"signature", Base64Encode(q.signature)},
      {"pcrs", evidence_.pcrs_json},
      {"eventlog", evidence_.event_log_b64},
      {"platform",
       host.platform_json}}.dump();
  r = client_->SendAs(host.credentials, "POST", base + "/quote", body);
  if (!Answered(rec, "host_quote", r, 200)) {
    return;
  }
  if (!r->json.is_object() || !r->json.value("trusted", false)) {
    rec.Failed("host_quote", r->status, "fleet.host_not_trusted");
    return;
  }
  rec.Ok("host_quote", MsSince(scheduled));
}

void FleetSession::GuestRelease(int g, Clock::time_point scheduled, OpRecorder& rec) {
  SimGuest guest;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (guests_.empty()) {
      rec.Failed("guest_attest", 0, "fleet.no_guests");
      return;
    }
    guest = guests_[g % guests_.size()];
  }
  const auto c0 = Clock::now();
  auto r =
      client_->Send("POST", "/v1/attest/challenge", nlohmann::json{{"vm_id", guest.vm_id}}.dump());
  if (!Answered(rec, "guest_challenge", r, 201)) {
    return;
  }
  rec.Ok("guest_challenge", MsSince(c0));
  const std::string nonce_hex = StringMember(r->json, "nonce");
  auto nonce = HexDecode(nonce_hex);
  if (!nonce.ok()) {
    rec.Failed("guest_attest", r->status, "fleet.challenge_answer_malformed");
    return;
  }
  const Sha512Digest binding = protocol::ReportDataBinding(*nonce, guest.key);
  auto evidence =
      tees_->Sign(guest.machine, {Bytes(binding.begin(), binding.end()), guest.host_data, false});
  if (!evidence.ok()) {
    rec.Failed("guest_attest", 0, evidence.status().reason_id());
    return;
  }
  const std::string body = nlohmann::json{{"vm_id", guest.vm_id},
                                          {"nonce", nonce_hex},
                                          {"guest_key", nlohmann::json::parse(guest.public_jwk)},
                                          {"evidence",
                                           {{"tee", "snp"},
                                            {"report", Base64Encode(evidence->report)},
                                            {"vcek", Base64Encode(evidence->vcek_der)}}}}
                               .dump();
  const auto a0 = Clock::now();
  r = client_->Send("POST", "/v1/attest", body);
  if (!Answered(rec, "guest_attest", r, 200)) {
    return;
  }
  if (!r->json.is_object() || !r->json.contains("keys") || !r->json["keys"].is_array() ||
      r->json["keys"].size() != 1) {
    rec.Failed("guest_attest", r->status, "fleet.no_key_released");
    return;
  }
  rec.Ok("guest_attest", MsSince(a0));
  // Scheduled time to keys in hand: the release as the booting guest sees it.
  rec.Ok("guest_release", MsSince(scheduled));
}

void FleetSession::TenantOp(int k, Clock::time_point scheduled, OpRecorder& rec) {
  std::string vm_id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!guests_.empty()) {
      vm_id = guests_[(k / 4) % guests_.size()].vm_id;
    }
  }
  switch (k % 4) {
    case 0:
      if (!vm_id.empty()) {
        auto r = client_->SendAs(tenant_, "GET", "/v1/vms/" + vm_id);
        if (Answered(rec, "tenant_vm_get", r, 200)) {
          rec.Ok("tenant_vm_get", MsSince(scheduled));
        }
        return;
      }
      [[fallthrough]];
    case 1: {
      auto r = client_->SendAs(tenant_, "GET", std::string("/v1/policies/") + kPolicyName);
      if (Answered(rec, "tenant_policy_get", r, 200)) {
        rec.Ok("tenant_policy_get", MsSince(scheduled));
      }
      return;
    }
    case 2: {
      auto r = client_->SendAs(tenant_, "POST", "/v1/volumes",
                               nlohmann::json{{"name", "t" + std::to_string(k)}}.dump());
      if (!Answered(rec, "tenant_volume_create", r, 201)) {
        return;
      }
      rec.Ok("tenant_volume_create", MsSince(scheduled));
      const auto d0 = Clock::now();
      r = client_->SendAs(tenant_, "DELETE", "/v1/volumes/" + StringMember(r->json, "volume_id"));
      if (Answered(rec, "tenant_volume_delete", r, 0)) {
        rec.Ok("tenant_volume_delete", MsSince(d0));
      }
      return;
    }
    default: {
      auto r = client_->SendAs(tenant_, "GET", "/v1/volumes");
      if (Answered(rec, "tenant_volume_list", r, 200)) {
        rec.Ok("tenant_volume_list", MsSince(scheduled));
      }
      return;
    }
  }
}

}  // namespace attest::bench::fleet
