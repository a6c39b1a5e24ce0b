// SEV-SNP verification throughput, beside the raw OpenSSL operations it cannot avoid.
//
//   warm: report parse + cached chain + report/cert checks + one ECDSA P-384 verify
//         limit: one raw ECDSA P-384 verify (EVP_PKEY_verify over a precomputed digest)
//   cold: the same with no cache: certificate parsing, VCEK->ASK->ARK validation (two RSA-4096
//         PSS verifies) and the report signature; also with ASK and ARK supplied beside the VCEK
//         (an extended report's certificate table), which must cost no more
//         limit: two raw RSA-4096-PSS verifies + one raw ECDSA P-384 verify
#include <benchmark/benchmark.h>
#include <openssl/rsa.h>

#include <cstdlib>

#include "attest/core/file_io.h"
#include "attest/core/signature.h"
#include "attest/core/x509.h"
#include "attest/snp/verify.h"
#include "attest/snp/wire.h"
#include "bench/bench_vectors.h"
#include "bench/ratio_reporter.h"

namespace attest::bench {
namespace {

struct Inputs {
  Bytes report = ReadVector("snp/gsg-milan-v2/report.bin");
  Bytes vcek = ReadVector("snp/gsg-milan-v2/vcek.der");
  TimePoint now = *ParseRfc3339("2025-01-01T00:00:00Z");
};

const Inputs& GetInputs() {
  static const Inputs* inputs = new Inputs();
  return *inputs;
}

void BM_SnpVerifyWarm(benchmark::State& state) {
  const Inputs& in = GetInputs();
  snp::SnpChainCache cache;
  const snp::SnpCollateral collateral{in.vcek, {}, {}};
  for (auto _ : state) {
    auto report = snp::ParseSnpReport(in.report);
    auto verified =
        snp::VerifySnpReport(*report, collateral, snp::SnpTrustRoots::BuiltIn(), in.now, &cache);
    if (!verified.ok()) {
      state.SkipWithError(verified.status().ToString().c_str());
    }
    benchmark::DoNotOptimize(verified);
  }
}
BENCHMARK(BM_SnpVerifyWarm)->MeasureProcessCPUTime()->UseRealTime();

// VerifyColdLoop verifies the vector report with collateral and no chain cache, once per iteration.
void VerifyColdLoop(benchmark::State& state, const snp::SnpCollateral& collateral) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    auto report = snp::ParseSnpReport(in.report);
    auto verified =
        snp::VerifySnpReport(*report, collateral, snp::SnpTrustRoots::BuiltIn(), in.now, nullptr);
    if (!verified.ok()) {
      state.SkipWithError(verified.status().ToString().c_str());
    }
    benchmark::DoNotOptimize(verified);
  }
}

void BM_SnpVerifyCold(benchmark::State& state) {
  VerifyColdLoop(state, snp::SnpCollateral{GetInputs().vcek, {}, {}});
}
BENCHMARK(BM_SnpVerifyCold)->MeasureProcessCPUTime()->UseRealTime();

// Cold, with the ASK and ARK given as DER beside the VCEK, as an extended report's certificate
// table (GHCB, attest-agent) carries them: byte-for-byte the pinned ones, recognised, not decoded.
void BM_SnpVerifyColdCertTable(benchmark::State& state) {
  auto chain = ParseCertificates(ReadVector("snp/certs/ask_ark_milan.pem"));
  if (!chain.ok() || chain->size() != 2) {
    state.SkipWithError("ask_ark_milan.pem");
    return;
  }
  VerifyColdLoop(state, snp::SnpCollateral{
                            GetInputs().vcek,
                            {CertificateDer((*chain)[0].get()), CertificateDer((*chain)[1].get())},
                            {}});
}
BENCHMARK(BM_SnpVerifyColdCertTable)->MeasureProcessCPUTime()->UseRealTime();

// The raw operations, on the same keys and signatures as the SNP path.
struct RawInputs {
  EvpPkeyPtr vcek_key;
  Bytes report_digest;
  Bytes report_sig_der;
  X509Ptr ask, ark, vcek;
};

const RawInputs& GetRaw() {
  static const RawInputs* raw = [] {
    auto* r = new RawInputs();
    const Inputs& in = GetInputs();
    auto chain = ParseCertificates(ReadVector("snp/certs/ask_ark_milan.pem"));
    r->ask = std::move((*chain)[0]);
    r->ark = std::move((*chain)[1]);
    r->vcek = std::move(ParseCertificateDer(in.vcek).value());
    r->vcek_key = UpRef(X509_get0_pubkey(r->vcek.get()));
    auto report = snp::ParseSnpReport(in.report);
    const Sha384Digest d = Sha384(report->signed_bytes);
    r->report_digest.assign(d.begin(), d.end());
    r->report_sig_der =
        *EcdsaRawToDer(report->signature_r, report->signature_s, reasons::kSnpSignatureInvalid);
    return r;
  }();
  return *raw;
}

void BM_RawEcdsaP384Verify(benchmark::State& state) {
  const RawInputs& raw = GetRaw();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(raw.vcek_key.get(), nullptr));
  EVP_PKEY_verify_init(ctx.get());
  for (auto _ : state) {
    const int rc = EVP_PKEY_verify(ctx.get(), raw.report_sig_der.data(), raw.report_sig_der.size(),
                                   raw.report_digest.data(), raw.report_digest.size());
    if (rc != 1) {
      state.SkipWithError("raw verify failed");
    }
  }
}
BENCHMARK(BM_RawEcdsaP384Verify)->MeasureProcessCPUTime()->UseRealTime();

// One RSA-4096-PSS certificate signature check (X509_verify: the TBS hash plus the RSA public op).
void BM_RawRsa4096PssCertVerify(benchmark::State& state) {
  const RawInputs& raw = GetRaw();
  EVP_PKEY* ask_key = X509_get0_pubkey(raw.ask.get());
  for (auto _ : state) {
    if (X509_verify(raw.vcek.get(), ask_key) != 1) {
      state.SkipWithError("raw rsa verify failed");
    }
  }
}
BENCHMARK(BM_RawRsa4096PssCertVerify)->MeasureProcessCPUTime()->UseRealTime();

// The cold floor: two RSA-4096-PSS certificate verifies and one ECDSA P-384 verify.
void BM_ColdFloor(benchmark::State& state) {
  const RawInputs& raw = GetRaw();
  EVP_PKEY* ask_key = X509_get0_pubkey(raw.ask.get());
  EVP_PKEY* ark_key = X509_get0_pubkey(raw.ark.get());
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(raw.vcek_key.get(), nullptr));
  EVP_PKEY_verify_init(ctx.get());
  for (auto _ : state) {
    const bool ok = X509_verify(raw.vcek.get(), ask_key) == 1 &&
                    X509_verify(raw.ask.get(), ark_key) == 1 &&
                    EVP_PKEY_verify(ctx.get(), raw.report_sig_der.data(), raw.report_sig_der.size(),
                                    raw.report_digest.data(), raw.report_digest.size()) == 1;
    if (!ok) {
      state.SkipWithError("floor verify failed");
    }
  }
}
BENCHMARK(BM_ColdFloor)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  attest::bench::RatioReporter reporter;
  reporter.AddRatio("snp warm verify vs raw ECDSA P-384 verify",
                    "BM_SnpVerifyWarm/process_time/real_time",
                    "BM_RawEcdsaP384Verify/process_time/real_time");
  reporter.AddRatio("snp cold verify vs 2xRSA-4096-PSS + P-384 floor",
                    "BM_SnpVerifyCold/process_time/real_time",
                    "BM_ColdFloor/process_time/real_time");
  reporter.AddRatio("snp cold verify with ASK+ARK as a certificate table vs the same floor",
                    "BM_SnpVerifyColdCertTable/process_time/real_time",
                    "BM_ColdFloor/process_time/real_time");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
