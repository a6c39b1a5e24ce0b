// Intel DCAP (TDX quote v4) verification throughput, beside the raw OpenSSL operations it cannot
// avoid. Inputs: tdx/dcap-qvl-v4 quote + collateral at a time inside their windows.
//
//   warm: quote parse + cached collateral and PCK chain + QE report signature + binding hash +
//         quote signature + QE identity / TDX module / TCB level matching
//         limit: two raw ECDSA P-256 verifies (EVP_PKEY_verify over precomputed digests)
//   cold: nothing cached: CRLs, TCB signing chain, TCB info and QE identity signatures and JSON,
//         PCK chain (PEM parse + 2 verifies), PCK CRL issuer chain, then the warm path
//         limit: ten raw ECDSA P-256 verifies (the number of signatures the cold path checks)
// The JavaScript peer (@phala/dcap-qvl) is timed on the same inputs by bench/tdx_peer_bench.sh.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "attest/core/digest.h"
#include "attest/core/file_io.h"
#include "attest/core/signature.h"
#include "attest/core/x509.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/verify.h"
#include "attest/tdx/wire.h"
#include "bench/bench_vectors.h"
#include "bench/ratio_reporter.h"

namespace attest::bench {
namespace {

struct Inputs {
  Bytes quote = ReadVector("tdx/dcap-qvl-v4/quote.bin");
  tdx::Collateral collateral = [] {
    const Bytes json = ReadVector("tdx/dcap-qvl-v4/collateral.json");
    return tdx::ParseCollateralJson(
               std::string_view(reinterpret_cast<const char*>(json.data()), json.size()))
        .value();
  }();
  TimePoint now = *ParseRfc3339("2025-07-01T00:00:00Z");
};

const Inputs& GetInputs() {
  static const Inputs* inputs = new Inputs();
  return *inputs;
}

void BM_TdxVerifyWarm(benchmark::State& state) {
  const Inputs& in = GetInputs();
  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  for (auto _ : state) {
    // Parse and verify, as a request does.
    auto quote = tdx::ParseQuote(in.quote);
    if (!quote.ok()) {
      state.SkipWithError(quote.status().ToString().c_str());
    }
    tdx::Verification v = verifier.Verify(*quote, &in.collateral, in.now);
    if (!v.status.ok()) {
      state.SkipWithError(v.status.ToString().c_str());
    }
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_TdxVerifyWarm)->MeasureProcessCPUTime()->UseRealTime();

void BM_TdxVerifyCold(benchmark::State& state) {
  const Inputs& in = GetInputs();
  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  for (auto _ : state) {
    verifier.ClearCaches();
    // Parse and verify, as a request does.
    auto quote = tdx::ParseQuote(in.quote);
    if (!quote.ok()) {
      state.SkipWithError(quote.status().ToString().c_str());
    }
    tdx::Verification v = verifier.Verify(*quote, &in.collateral, in.now);
    if (!v.status.ok()) {
      state.SkipWithError(v.status.ToString().c_str());
    }
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_TdxVerifyCold)->MeasureProcessCPUTime()->UseRealTime();

// The two signatures of the warm path, with their real keys, over precomputed digests.
struct RawInputs {
  EvpPkeyPtr pck_key;
  EvpPkeyPtr att_key;
  Bytes qe_digest, qe_sig_der, quote_digest, quote_sig_der;
};

const RawInputs& GetRaw() {
  static const RawInputs* raw = [] {
    auto* r = new RawInputs();
    const tdx::Quote q = tdx::ParseQuote(GetInputs().quote).value();
    auto chain = ParseCertificates(q.pck_chain_pem).value();
    r->pck_key = UpRef(X509_get0_pubkey(chain[0].get()));
    static constexpr uint8_t kSpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                              0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                              0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
    Bytes spki(kSpkiPrefix, kSpkiPrefix + sizeof(kSpkiPrefix));
    spki.insert(spki.end(), q.attestation_key.begin(), q.attestation_key.end());
    r->att_key = ParsePublicKeyDer(spki, reasons::kTdxSignatureInvalid).value();
    const Sha256Digest qd = Sha256(q.qe_report_bytes);
    r->qe_digest.assign(qd.begin(), qd.end());
    r->qe_sig_der =
        EcdsaRawToDer(ByteSpan(q.qe_report_signature).subspan(0, 32),
                      ByteSpan(q.qe_report_signature).subspan(32), reasons::kTdxSignatureInvalid)
            .value();
    const Sha256Digest sd = Sha256(q.signed_data);
    r->quote_digest.assign(sd.begin(), sd.end());
    r->quote_sig_der =
        EcdsaRawToDer(ByteSpan(q.signature).subspan(0, 32), ByteSpan(q.signature).subspan(32),
                      reasons::kTdxSignatureInvalid)
            .value();
    return r;
  }();
  return *raw;
}

bool RawVerify(EVP_PKEY_CTX* ctx, const Bytes& sig, const Bytes& digest) {
  return EVP_PKEY_verify(ctx, sig.data(), sig.size(), digest.data(), digest.size()) == 1;
}

void BM_RawTwoP256Verifies(benchmark::State& state) {
  const RawInputs& raw = GetRaw();
  EvpPkeyCtxPtr pck(EVP_PKEY_CTX_new(raw.pck_key.get(), nullptr));
  EvpPkeyCtxPtr att(EVP_PKEY_CTX_new(raw.att_key.get(), nullptr));
  EVP_PKEY_verify_init(pck.get());
  EVP_PKEY_verify_init(att.get());
  for (auto _ : state) {
    if (!RawVerify(pck.get(), raw.qe_sig_der, raw.qe_digest) ||
        !RawVerify(att.get(), raw.quote_sig_der, raw.quote_digest)) {
      state.SkipWithError("raw verify failed");
    }
  }
}
BENCHMARK(BM_RawTwoP256Verifies)->MeasureProcessCPUTime()->UseRealTime();

void BM_RawTenP256Verifies(benchmark::State& state) {
  const RawInputs& raw = GetRaw();
  EvpPkeyCtxPtr pck(EVP_PKEY_CTX_new(raw.pck_key.get(), nullptr));
  EvpPkeyCtxPtr att(EVP_PKEY_CTX_new(raw.att_key.get(), nullptr));
  EVP_PKEY_verify_init(pck.get());
  EVP_PKEY_verify_init(att.get());
  for (auto _ : state) {
    bool ok = true;
    for (int i = 0; i < 5; ++i) {
      ok = ok && RawVerify(pck.get(), raw.qe_sig_der, raw.qe_digest) &&
           RawVerify(att.get(), raw.quote_sig_der, raw.quote_digest);
    }
    if (!ok) {
      state.SkipWithError("raw verify failed");
    }
  }
}
BENCHMARK(BM_RawTenP256Verifies)->MeasureProcessCPUTime()->UseRealTime();

// Breakdown of the cold path's non-signature work (parsing), for reading the cold figure.
void BM_PartPckChainParse(benchmark::State& state) {
  const tdx::Quote q = tdx::ParseQuote(GetInputs().quote).value();
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseCertificates(q.pck_chain_pem));
  }
}
BENCHMARK(BM_PartPckChainParse)->MeasureProcessCPUTime()->UseRealTime();

void BM_PartTcbInfoParse(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(tdx::ParseTcbInfo(GetInputs().collateral.tcb_info_body));
  }
}
BENCHMARK(BM_PartTcbInfoParse)->MeasureProcessCPUTime()->UseRealTime();

void BM_PartCrlParse(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseCrl(GetInputs().collateral.pck_crl));
  }
}
BENCHMARK(BM_PartCrlParse)->MeasureProcessCPUTime()->UseRealTime();

void BM_PartPckVerifyChain(benchmark::State& state) {
  const tdx::Quote q = tdx::ParseQuote(GetInputs().quote).value();
  auto certs = ParseCertificates(q.pck_chain_pem).value();
  X509* rest[] = {certs[1].get()};
  X509* anchors[] = {certs[2].get()};
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyChain(certs[0].get(), rest, anchors, GetInputs().now));
  }
}
BENCHMARK(BM_PartPckVerifyChain)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  attest::bench::RatioReporter reporter;
  reporter.AddRatio("tdx warm verify vs 2 raw ECDSA P-256 verifies",
                    "BM_TdxVerifyWarm/process_time/real_time",
                    "BM_RawTwoP256Verifies/process_time/real_time");
  reporter.AddRatio("tdx cold verify vs 10 raw ECDSA P-256 verifies",
                    "BM_TdxVerifyCold/process_time/real_time",
                    "BM_RawTenP256Verifies/process_time/real_time");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
