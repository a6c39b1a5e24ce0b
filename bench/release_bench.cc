// Key release decision throughput (in process, no HTTP or database), with software-TEE SNP
// evidence, beside the raw OpenSSL operations it cannot avoid.
//
//   decision: parse + verify the SNP report (endorsement chain cached, as in a running service),
//             REPORT_DATA binding, launch ticket parse and digests, host checks (with the platform
//             check), policy load and appraisal
//             limit: one raw ECDSA P-384 verify of the same report signature
//   platform check: the host platform check of the decision alone (issue 15: parse the placed
//             host's stored platform document, match the report's CHIP_ID), printed as its
//             share of the decision's time
//   decision + key: the same plus one volume key unwrapped (local KEK, AES-256-GCM) and sent as
//             JWE to the guest key (a fresh P-384 ephemeral key and one ECDH)
//             limit: raw P-384 verify + raw P-384 key generation + raw ECDH derive
//   three keys: the JWEs of a 3-volume release, an ephemeral key per volume vs one per release
//   decision + key, pooled: the ephemeral key made ahead by EphemeralKeyPool's thread
//             limit: raw P-384 verify + raw ECDH derive
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include "attest/core/encoding.h"
#include "attest/core/ossl.h"
#include "attest/core/signature.h"
#include "attest/snp/wire.h"
#include "bench/ratio_reporter.h"
#include "service/keys/local_kek.h"
#include "service/keys/volume.h"
#include "service/release/ephemeral_key_pool.h"
#include "service/release/release.h"
#include "service/release/wrap_keys.h"
#include "tests/testing/software_tee.h"

namespace attest::bench {
namespace {

namespace rel = service::release;

constexpr char kPolicy[] = R"({
  "name": "prod",
  "snp": {"any_measurement": true, "host_data_launch_ticket": true, "allow_debug": false},
  "host": {"host_policy": "hosts", "max_quote_age_seconds": 3600}
})";

struct Fixture {
  testing::SoftwareTee tee;
  std::unique_ptr<rel::TrustAnchors> anchors;
  std::string guest_private;
  protocol::GuestPublicKey guest;
  service::store::Vm vm;
  service::store::PolicyVersion policy;
  Bytes report;  // the guest's evidence as sent; each iteration parses it into input.evidence
  snp::SnpCollateral collateral;
  rel::ReleaseInput input;
  std::unique_ptr<service::keys::LocalKeyFileKek> kek;
  std::vector<service::store::Volume> volumes;

  Fixture() {
    rel::TrustAnchorConfig config;
    config.snp_test_root_chains_pem = {tee.SnpRootChainPem()};
    anchors = rel::TrustAnchors::Make(config).value();
    guest_private = protocol::GenerateGuestKey().value();
    guest = protocol::ParseGuestJwk(protocol::PublicJwk(guest_private).value()).value();
    policy = {"t-1", "prod", 1, HexEncode(Sha256(AsBytes(kPolicy))), kPolicy, {}};
    const TimePoint now = testing::SoftwareTee::Now();
    protocol::LaunchTicket t{"vm-1", "t-1", "snp", "prod", 1, policy.sha256, {"vol-1"}, "h-1", now};
    vm.id = t.vm_id;
    vm.tenant_id = t.tenant_id;
    vm.tee_type = "snp";
    vm.policy_name = "prod";
    vm.policy_version = 1;
    vm.policy_sha256 = policy.sha256;
    vm.volume_ids = t.volume_ids;
    vm.host_id = t.host_id;
    vm.ticket = protocol::SerializeTicket(t).value();
    vm.ticket_sha256 = HexEncode(protocol::TicketHostData(vm.ticket));
    vm.ticket_sha384 = HexEncode(protocol::TicketMrConfigId(vm.ticket));
    const Bytes nonce(32, 9);
    const Sha512Digest binding = protocol::ReportDataBinding(nonce, guest);
    const Sha256Digest host_data = protocol::TicketHostData(vm.ticket);
    input.nonce_status = Status::Ok();
    input.nonce = nonce;
    input.guest_key = guest;
    report = tee.SnpReport(
        {Bytes(binding.begin(), binding.end()), Bytes(host_data.begin(), host_data.end()), false});
    collateral = tee.SnpCollateral();
    input.vm = &vm;
    // The placed host: the software TEE's machine 0, with a second socket as real hosts have.
    protocol::HostPlatform platform = testing::SoftwareTee::SimulatedPlatform(0);
    platform.snp_chip_ids.push_back(testing::SoftwareTee::SimulatedPlatform(1).snp_chip_ids[0]);
    input.host = {"h-1",
                  service::store::HostState::kTrusted,
                  now + std::chrono::seconds(3000),
                  now - std::chrono::seconds(60),
                  "hosts",
                  protocol::SerializeHostPlatform(platform).value()};
    input.policy = &policy;
    input.now = now;
    kek = service::keys::LocalKeyFileKek::FromKey(Bytes(32, 1)).value();
    volumes.resize(1);
    volumes[0].id = "vol-1";
    volumes[0].wrapped_key =
        service::keys::WrapVolumeKey(*kek, "vol-1", service::keys::NewVolumeKey()).value();
  }
};

Fixture& Get() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_ReleaseDecision(benchmark::State& state) {
  Fixture& f = Get();
  for (auto _ : state) {
    // The route parses the evidence, then decides: both are timed, as before the parse moved out.
    f.input.evidence = rel::ParseSnpEvidence(f.report, f.collateral);
    rel::ReleaseDecision d = rel::DecideRelease(f.input, *f.anchors);
    if (!d.released()) {
      state.SkipWithError(d.failures[0].detail.c_str());
    }
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_ReleaseDecision)->MeasureProcessCPUTime()->UseRealTime();

// The platform check as DecideRelease runs it: the report's CHIP_ID (from the parse) against the
// placed host's stored document, which it parses on every call.
void BM_HostPlatformCheck(benchmark::State& state) {
  Fixture& f = Get();
  const snp::SnpReport report = snp::ParseSnpReport(f.report).value();
  rel::EvidencePlatform evidence;
  evidence.tee = "snp";
  evidence.snp_chip_id = report.chip_id;
  evidence.snp_signing_key = report.signing_key;
  for (auto _ : state) {
    std::optional<Status> failure =
        rel::CheckHostPlatform(evidence, f.input.host.platform, /*allow_masked_chip_id=*/false);
    if (failure) {
      state.SkipWithError(failure->message().c_str());
    }
    benchmark::DoNotOptimize(failure);
  }
}
BENCHMARK(BM_HostPlatformCheck)->MeasureProcessCPUTime()->UseRealTime();

void BM_ReleaseDecisionAndKey(benchmark::State& state) {
  Fixture& f = Get();
  for (auto _ : state) {
    // The route parses the evidence, then decides: both are timed, as before the parse moved out.
    f.input.evidence = rel::ParseSnpEvidence(f.report, f.collateral);
    rel::ReleaseDecision d = rel::DecideRelease(f.input, *f.anchors);
    if (!d.released()) {
      state.SkipWithError(d.failures[0].detail.c_str());
    }
    auto keys = rel::WrapKeysForGuest(*f.kek, f.volumes, f.guest);
    if (!keys.ok()) {
      state.SkipWithError(keys.status().ToString().c_str());
    }
    benchmark::DoNotOptimize(keys);
  }
}
BENCHMARK(BM_ReleaseDecisionAndKey)->MeasureProcessCPUTime()->UseRealTime();

// Three volumes, each JWE under its own ephemeral key (as releases did before issue 21): three
// key generations and three ECDHs.
void BM_ThreeKeysKeyPerVolume(benchmark::State& state) {
  Fixture& f = Get();
  const Bytes volume_key(32, 7);
  for (auto _ : state) {
    for (const char* id : {"vol-1", "vol-2", "vol-3"}) {
      auto jwe = protocol::EncryptToGuest(volume_key, f.guest, id);
      if (!jwe.ok()) {
        state.SkipWithError(jwe.status().ToString().c_str());
      }
      benchmark::DoNotOptimize(jwe);
    }
  }
}
BENCHMARK(BM_ThreeKeysKeyPerVolume)->MeasureProcessCPUTime()->UseRealTime();

// Three volumes under one ephemeral key (JweSealer): one key generation, one ECDH.
void BM_ThreeKeysOneEphemeralKey(benchmark::State& state) {
  Fixture& f = Get();
  const Bytes volume_key(32, 7);
  for (auto _ : state) {
    auto sealer = protocol::JweSealer::Make(protocol::EphemeralKey::Generate().value(), f.guest);
    for (const char* id : {"vol-1", "vol-2", "vol-3"}) {
      auto jwe = sealer->Seal(volume_key, id);
      if (!jwe.ok()) {
        state.SkipWithError(jwe.status().ToString().c_str());
      }
      benchmark::DoNotOptimize(jwe);
    }
  }
}
BENCHMARK(BM_ThreeKeysOneEphemeralKey)->MeasureProcessCPUTime()->UseRealTime();

// Decision + one key with the ephemeral key taken from a pool refilled by a background thread
// (what attestd does). Real time is the request's latency; process CPU time includes the refill
// thread's key generation, so the CPU cost per release does not hide. The pool keeps up only
// while a core is idle: on a saturated machine it drains and the request makes its own key.
void BM_ReleaseDecisionAndKeyPooled(benchmark::State& state) {
  Fixture& f = Get();
  rel::EphemeralKeyPool pool(8);
  pool.WaitFull();
  for (auto _ : state) {
    f.input.evidence = rel::ParseSnpEvidence(f.report, f.collateral);
    rel::ReleaseDecision d = rel::DecideRelease(f.input, *f.anchors);
    if (!d.released()) {
      state.SkipWithError(d.failures[0].detail.c_str());
    }
    auto keys = rel::WrapKeysForGuest(*f.kek, f.volumes, f.guest, pool.Take().value());
    if (!keys.ok()) {
      state.SkipWithError(keys.status().ToString().c_str());
    }
    benchmark::DoNotOptimize(keys);
  }
  state.counters["from_pool"] = static_cast<double>(pool.served_from_pool());
  state.counters["on_demand"] = static_cast<double>(pool.generated_on_demand());
}
BENCHMARK(BM_ReleaseDecisionAndKeyPooled)->MeasureProcessCPUTime()->UseRealTime();

struct Raw {
  EvpPkeyPtr endorsement;
  Bytes digest, sig_der;
  EvpPkeyPtr guest;
};

const Raw& GetRaw() {
  static const Raw* raw = [] {
    auto* r = new Raw();
    Fixture& f = Get();
    r->endorsement = UpRef(X509_get0_pubkey(f.tee.snp().endorsement()));
    auto report = snp::ParseSnpReport(f.report).value();
    const Sha384Digest d = Sha384(report.signed_bytes);
    r->digest.assign(d.begin(), d.end());
    r->sig_der =
        *EcdsaRawToDer(report.signature_r, report.signature_s, reasons::kSnpSignatureInvalid);
    r->guest = EvpPkeyPtr(EVP_EC_gen("P-384"));
    return r;
  }();
  return *raw;
}

void BM_RawEcdsaP384Verify(benchmark::State& state) {
  const Raw& raw = GetRaw();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(raw.endorsement.get(), nullptr));
  EVP_PKEY_verify_init(ctx.get());
  for (auto _ : state) {
    if (EVP_PKEY_verify(ctx.get(), raw.sig_der.data(), raw.sig_der.size(), raw.digest.data(),
                        raw.digest.size()) != 1) {
      state.SkipWithError("raw verify failed");
    }
  }
}
BENCHMARK(BM_RawEcdsaP384Verify)->MeasureProcessCPUTime()->UseRealTime();

// The floor of decision + one key with the key made ahead: one P-384 verify, one ECDH.
void BM_RawVerifyEcdh(benchmark::State& state) {
  const Raw& raw = GetRaw();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(raw.endorsement.get(), nullptr));
  EVP_PKEY_verify_init(ctx.get());
  EvpPkeyPtr eph(EVP_EC_gen("P-384"));
  for (auto _ : state) {
    bool ok = EVP_PKEY_verify(ctx.get(), raw.sig_der.data(), raw.sig_der.size(), raw.digest.data(),
                              raw.digest.size()) == 1;
    EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new(eph.get(), nullptr));
    uint8_t z[48];
    size_t z_len = sizeof(z);
    ok = ok && EVP_PKEY_derive_init(dctx.get()) == 1 &&
         EVP_PKEY_derive_set_peer(dctx.get(), raw.guest.get()) == 1 &&
         EVP_PKEY_derive(dctx.get(), z, &z_len) == 1;
    if (!ok) {
      state.SkipWithError("raw floor failed");
    }
    benchmark::DoNotOptimize(z);
  }
}
BENCHMARK(BM_RawVerifyEcdh)->MeasureProcessCPUTime()->UseRealTime();

// The floor of decision + one key: one P-384 verify, one P-384 key generation, one ECDH.
void BM_RawVerifyKeygenEcdh(benchmark::State& state) {
  const Raw& raw = GetRaw();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(raw.endorsement.get(), nullptr));
  EVP_PKEY_verify_init(ctx.get());
  for (auto _ : state) {
    bool ok = EVP_PKEY_verify(ctx.get(), raw.sig_der.data(), raw.sig_der.size(), raw.digest.data(),
                              raw.digest.size()) == 1;
    EvpPkeyPtr eph(EVP_EC_gen("P-384"));
    EvpPkeyCtxPtr dctx(EVP_PKEY_CTX_new(eph.get(), nullptr));
    uint8_t z[48];
    size_t z_len = sizeof(z);
    ok = ok && eph && EVP_PKEY_derive_init(dctx.get()) == 1 &&
         EVP_PKEY_derive_set_peer(dctx.get(), raw.guest.get()) == 1 &&
         EVP_PKEY_derive(dctx.get(), z, &z_len) == 1;
    if (!ok) {
      state.SkipWithError("raw floor failed");
    }
    benchmark::DoNotOptimize(z);
  }
}
BENCHMARK(BM_RawVerifyKeygenEcdh)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  attest::bench::RatioReporter reporter;
  reporter.AddRatio("release decision vs raw ECDSA P-384 verify",
                    "BM_ReleaseDecision/process_time/real_time",
                    "BM_RawEcdsaP384Verify/process_time/real_time");
  // decision ops/s over check ops/s = the check's time as a share of the decision's.
  reporter.AddRatio("platform check's share of the release decision's time",
                    "BM_ReleaseDecision/process_time/real_time",
                    "BM_HostPlatformCheck/process_time/real_time");
  reporter.AddRatio("release decision + 1 key JWE vs verify+keygen+ECDH",
                    "BM_ReleaseDecisionAndKey/process_time/real_time",
                    "BM_RawVerifyKeygenEcdh/process_time/real_time");
  reporter.AddRatio("3 volumes: one ephemeral key vs a key per volume",
                    "BM_ThreeKeysOneEphemeralKey/process_time/real_time",
                    "BM_ThreeKeysKeyPerVolume/process_time/real_time");
  reporter.AddRatio("release decision + 1 key, pooled key vs verify+ECDH",
                    "BM_ReleaseDecisionAndKeyPooled/process_time/real_time",
                    "BM_RawVerifyEcdh/process_time/real_time");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
