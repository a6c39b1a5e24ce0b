// Legacy SEV verification throughput, beside the raw OpenSSL operations it cannot avoid.
//
//   chain, roots from bytes: parse ARK/ASK + ARK self-signature + ASK<-ARK, parse PDH/PEK/OCA/CEK,
//         CEK<-ASK, OCA self, PEK<-OCA, PEK<-CEK, PDH<-PEK (Naples: RSA-2048-PSS/SHA-256 and ECDSA
//         P-384/SHA-256), nothing cached
//         floor: 3 raw RSA-2048-PSS verifies + 4 raw ECDSA P-384 verifies (each hashing its
//         signed bytes, EVP_DigestVerify on prebuilt keys)
//   chain, roots preloaded (what a verifier with the built-in anchors pays per platform):
//         floor: 1 RSA-2048-PSS verify + 4 ECDSA P-384 verifies
//   measurement check: VerifyLaunchMeasure on the shared vector
//         floor: one HMAC-SHA256 over the same 89 bytes (OpenSSL HMAC())
#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cstdlib>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/signature.h"
#include "attest/sev/crypto.h"
#include "attest/sev/measurement.h"
#include "attest/sev/verify.h"
#include "bench/bench_vectors.h"
#include "bench/ratio_reporter.h"

namespace attest::bench {
namespace {

Bytes Hex(const char* text) { return *HexDecode(text); }

struct Inputs {
  Bytes ark = ReadVector("sev/naples/ark.cert");
  Bytes ask = ReadVector("sev/naples/ask.cert");
  Bytes pdh = ReadVector("sev/naples/pdh.cert");
  Bytes pek = ReadVector("sev/naples/pek.cert");
  Bytes oca = ReadVector("sev/naples/oca.cert");
  Bytes cek = ReadVector("sev/naples/cek.cert");
  // sev/launch-measurement-vector.json
  Bytes tik = Hex("66320db73158a35a255d051758e95ed4");
  Bytes measure = Hex("6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea");
  sev::LaunchMeasureInput measure_input = [] {
    sev::LaunchMeasureInput in;
    in.api_major = 0;
    in.api_minor = 18;
    in.build = 15;
    const Bytes ld = Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const Bytes mnonce = Hex("4fbe0bedbad6c86ae8f68971d103e554");
    std::copy(ld.begin(), ld.end(), in.launch_digest.begin());
    std::copy(mnonce.begin(), mnonce.end(), in.mnonce.begin());
    return in;
  }();
};

const Inputs& GetInputs() {
  static const Inputs* inputs = new Inputs();
  return *inputs;
}

void BM_SevChainColdRootsFromBytes(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    auto root = sev::LoadAmdRoot("naples", in.ark, in.ask);
    auto certs = sev::ParseSevPlatformCerts(in.pdh, in.pek, in.oca, in.cek);
    if (!root.ok() || !certs.ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    const sev::AmdRoot roots[] = {*root};
    auto chain = sev::VerifySevChain(*certs, roots);
    if (!chain.ok()) {
      state.SkipWithError(chain.status().ToString().c_str());
    }
    benchmark::DoNotOptimize(chain);
  }
}
BENCHMARK(BM_SevChainColdRootsFromBytes)->MeasureProcessCPUTime()->UseRealTime();

void BM_SevChainColdBuiltinRoots(benchmark::State& state) {
  const Inputs& in = GetInputs();
  static const auto* roots = new std::vector<sev::AmdRoot>(*sev::BuiltinAmdRoots());
  for (auto _ : state) {
    auto certs = sev::ParseSevPlatformCerts(in.pdh, in.pek, in.oca, in.cek);
    if (!certs.ok()) {
      state.SkipWithError("parse failed");
      break;
    }
    auto chain = sev::VerifySevChain(*certs, *roots);
    if (!chain.ok()) {
      state.SkipWithError(chain.status().ToString().c_str());
    }
    benchmark::DoNotOptimize(chain);
  }
}
BENCHMARK(BM_SevChainColdBuiltinRoots)->MeasureProcessCPUTime()->UseRealTime();

void BM_SevMeasurementCheck(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    const Status status = sev::VerifyLaunchMeasure(in.tik, in.measure_input, in.measure);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
    }
    benchmark::DoNotOptimize(status);
  }
}
BENCHMARK(BM_SevMeasurementCheck)->MeasureProcessCPUTime()->UseRealTime();

// --- raw floors, on the same keys, signatures and signed bytes ---------------------------------

struct Signed {
  EVP_PKEY* key;
  Bytes message;
  Bytes signature;  // big-endian RSA or DER ECDSA
};

struct Raw {
  EvpPkeyPtr ark_key, ask_key, cek_key, oca_key, pek_key;
  std::vector<Signed> rsa;    // ARK self, ASK<-ARK, CEK<-ASK
  std::vector<Signed> ecdsa;  // OCA self, PEK<-OCA, PEK<-CEK, PDH<-PEK
  Bytes hmac_message;
};

Bytes EcdsaDer(const sev::SevSignature& slot) {
  Bytes r(slot.sig.begin(), slot.sig.begin() + 72);
  Bytes s(slot.sig.begin() + 72, slot.sig.begin() + 144);
  std::reverse(r.begin(), r.end());
  std::reverse(s.begin(), s.end());
  return *EcdsaRawToDer(r, s, reasons::kSevSignatureInvalid);
}

const Raw& GetRaw() {
  static const Raw* raw = [] {
    auto* r = new Raw();
    const Inputs& in = GetInputs();
    const sev::AmdCert ark = *sev::ParseAmdCert(in.ark);
    const sev::AmdCert ask = *sev::ParseAmdCert(in.ask);
    const sev::SevCert pdh = *sev::ParseSevCert(in.pdh);
    const sev::SevCert pek = *sev::ParseSevCert(in.pek);
    const sev::SevCert oca = *sev::ParseSevCert(in.oca);
    const sev::SevCert cek = *sev::ParseSevCert(in.cek);
    r->ark_key = std::move(
        sev::RsaPublicKey(ark.modulus_be, ark.pubexp_be, reasons::kSevCertMalformed).value());
    r->ask_key = std::move(
        sev::RsaPublicKey(ask.modulus_be, ask.pubexp_be, reasons::kSevCertMalformed).value());
    r->cek_key = std::move(sev::SevCertPublicKey(cek).value());
    r->oca_key = std::move(sev::SevCertPublicKey(oca).value());
    r->pek_key = std::move(sev::SevCertPublicKey(pek).value());
    const Bytes cek_sig(cek.sigs[0].sig.rend() - 256, cek.sigs[0].sig.rend());
    r->rsa = {{r->ark_key.get(), ark.signed_bytes, ark.signature_be},
              {r->ark_key.get(), ask.signed_bytes, ask.signature_be},
              {r->ask_key.get(), cek.signed_bytes, cek_sig}};
    r->ecdsa = {{r->oca_key.get(), oca.signed_bytes, EcdsaDer(oca.sigs[0])},
                {r->oca_key.get(), pek.signed_bytes, EcdsaDer(pek.sigs[0])},
                {r->cek_key.get(), pek.signed_bytes, EcdsaDer(pek.sigs[1])},
                {r->pek_key.get(), pdh.signed_bytes, EcdsaDer(pdh.sigs[0])}};
    const sev::LaunchMeasureInput& m = in.measure_input;
    r->hmac_message = {0x04, m.api_major, m.api_minor, m.build, 0, 0, 0, 0};
    r->hmac_message.insert(r->hmac_message.end(), m.launch_digest.begin(), m.launch_digest.end());
    r->hmac_message.insert(r->hmac_message.end(), m.mnonce.begin(), m.mnonce.end());
    return r;
  }();
  return *raw;
}

bool RawVerify(const Signed& s, bool pss) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, s.key) != 1) {
    return false;
  }
  if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), s.signature.data(), s.signature.size(), s.message.data(),
                          s.message.size()) == 1;
}

void BM_RawRsa2048PssVerify(benchmark::State& state) {
  const Raw& raw = GetRaw();
  for (auto _ : state) {
    if (!RawVerify(raw.rsa[2], true)) {
      state.SkipWithError("raw rsa verify failed");
    }
  }
}
BENCHMARK(BM_RawRsa2048PssVerify)->MeasureProcessCPUTime()->UseRealTime();

void BM_RawEcdsaP384Verify(benchmark::State& state) {
  const Raw& raw = GetRaw();
  for (auto _ : state) {
    if (!RawVerify(raw.ecdsa[3], false)) {
      state.SkipWithError("raw ecdsa verify failed");
    }
  }
}
BENCHMARK(BM_RawEcdsaP384Verify)->MeasureProcessCPUTime()->UseRealTime();

void BM_FloorRootsFromBytes(benchmark::State& state) {
  const Raw& raw = GetRaw();
  for (auto _ : state) {
    bool ok = true;
    for (const Signed& s : raw.rsa) {
      ok = ok && RawVerify(s, true);
    }
    for (const Signed& s : raw.ecdsa) {
      ok = ok && RawVerify(s, false);
    }
    if (!ok) {
      state.SkipWithError("floor verify failed");
    }
  }
}
BENCHMARK(BM_FloorRootsFromBytes)->MeasureProcessCPUTime()->UseRealTime();

void BM_FloorBuiltinRoots(benchmark::State& state) {
  const Raw& raw = GetRaw();
  for (auto _ : state) {
    bool ok = RawVerify(raw.rsa[2], true);
    for (const Signed& s : raw.ecdsa) {
      ok = ok && RawVerify(s, false);
    }
    if (!ok) {
      state.SkipWithError("floor verify failed");
    }
  }
}
BENCHMARK(BM_FloorBuiltinRoots)->MeasureProcessCPUTime()->UseRealTime();

void BM_RawHmacSha256(benchmark::State& state) {
  const Raw& raw = GetRaw();
  const Inputs& in = GetInputs();
  uint8_t out[32];
  unsigned int len = 0;
  for (auto _ : state) {
    HMAC(EVP_sha256(), in.tik.data(), static_cast<int>(in.tik.size()), raw.hmac_message.data(),
         raw.hmac_message.size(), out, &len);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_RawHmacSha256)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  attest::bench::RatioReporter reporter;
  reporter.AddRatio("sev chain cold (roots from bytes) vs 3 RSA + 4 ECDSA",
                    "BM_SevChainColdRootsFromBytes/process_time/real_time",
                    "BM_FloorRootsFromBytes/process_time/real_time");
  reporter.AddRatio("sev chain cold (built-in roots) vs 1 RSA + 4 ECDSA",
                    "BM_SevChainColdBuiltinRoots/process_time/real_time",
                    "BM_FloorBuiltinRoots/process_time/real_time");
  reporter.AddRatio("sev measurement check vs one HMAC-SHA256",
                    "BM_SevMeasurementCheck/process_time/real_time",
                    "BM_RawHmacSha256/process_time/real_time");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
