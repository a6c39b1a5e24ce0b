// TPM host evidence verification throughput, beside the raw crypto it cannot avoid.
//
//   ours:  ParseHostEvidence + VerifyHostEvidence + ToClaims on
//   attest/tpm/testdata/swtpm/bench-100: parse the 105-event log
//          (sha1 + sha256), replay it, decode claims, parse quote + signature + PCR file,
//          verify the ECDSA P-256 quote signature, recompute the PCR digest, compare the replay
//          (the AK is parsed once beforehand, as the service does at registration)
//   floor: one raw ECDSA P-256 verify of the quote (EVP_PKEY_verify over its SHA-256) + the
//          raw extend hashes of the replay (one SHA-1 and one SHA-256 per measured event) + the
//          PCR digest hash + one SHA-256 over the data of each event a claim is decoded from
//          (S-CRTM version, UEFI variables, separators, EFI actions: claims are only taken from
//          data that hashes to its measured digest)
// bench/tpm_tools_bench.sh times tpm2_checkquote + tpm2_eventlog on the same files.
#include <benchmark/benchmark.h>
#include <openssl/sha.h>

#include <cstdlib>

#include <cstring>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/signature.h"
#include "attest/tpm/host.h"
#include "attest/tpm/wire.h"
#include "bench/ratio_reporter.h"

namespace attest::bench {
namespace {

Bytes ReadFixture(const std::string& name) {
  auto bytes = ReadFileBytes(ATTEST_SOURCE_DIR "/attest/tpm/testdata/swtpm/bench-100/" + name);
  if (!bytes.ok()) {
    std::fprintf(stderr, "%s\n", bytes.status().ToString().c_str());
    std::exit(2);
  }
  return std::move(bytes).value();
}

struct Inputs {
  Bytes quote = ReadFixture("quote.msg");
  Bytes sig = ReadFixture("quote.sig");
  Bytes ak = ReadFixture("ak.tpm2b");
  Bytes pcrs = ReadFixture("pcrs.bin");
  Bytes log = ReadFixture("eventlog.bin");
  Bytes nonce = *HexDecode("c0ffee00c0ffee00c0ffee00c0ffee00");
};

const Inputs& GetInputs() {
  static const Inputs* inputs = new Inputs();
  return *inputs;
}

void BM_TpmVerifyQuoteAndLog(benchmark::State& state) {
  const Inputs& in = GetInputs();
  // The AK is parsed once, as the service does when the host registers it.
  auto ak = tpm::ParsePublicKey(in.ak);
  if (!ak.ok()) {
    state.SkipWithError("ak does not parse");
  }
  for (auto _ : state) {
    auto pcrs = tpm::ParsePcrValues(in.pcrs);
    if (!pcrs.ok()) {
      state.SkipWithError("pcrs do not parse");
    }
    tpm::HostEvidence ev;
    ev.quote = in.quote;
    ev.signature = in.sig;
    ev.pcrs = std::move(pcrs).value();
    ev.event_log = ByteSpan(in.log);
    const tpm::ParsedHostEvidence parsed = tpm::ParseHostEvidence(ev);
    tpm::HostVerification result = tpm::VerifyHostEvidence(parsed, *ak, ByteSpan(in.nonce));
    if (!result.accepted()) {
      state.SkipWithError(result.errors.front().ToString().c_str());
    }
    tpm::HostClaims claims = tpm::ToClaims(parsed, result);
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_TpmVerifyQuoteAndLog)->MeasureProcessCPUTime()->UseRealTime();

void BM_TpmReplayOnly(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    auto log = tpm::ParseEventLog(in.log);
    auto replay = tpm::ReplayEventLog(*log);
    benchmark::DoNotOptimize(replay);
  }
}
BENCHMARK(BM_TpmReplayOnly)->MeasureProcessCPUTime()->UseRealTime();

struct RawInputs {
  EvpPkeyPtr key;
  Bytes quote_digest;
  Bytes sig_der;
  std::vector<std::pair<Bytes, Bytes>> extends;  // (sha1, sha256) digests of measured events
  std::vector<Bytes> claim_data;  // event data that claims are decoded from, hashed once each
};

const RawInputs& GetRaw() {
  static const RawInputs* raw = [] {
    auto* r = new RawInputs();
    const Inputs& in = GetInputs();
    auto ak = tpm::ParsePublicKey(in.ak);
    r->key = std::move(ak->key);
    const Sha256Digest d = Sha256(in.quote);
    r->quote_digest.assign(d.begin(), d.end());
    auto sig = tpm::ParseSignature(in.sig);
    r->sig_der = *EcdsaRawToDer(sig->ecdsa_r, sig->ecdsa_s, reasons::kTpmSignatureInvalid);
    auto log = tpm::ParseEventLog(in.log);
    for (const tpm::TcgEvent& e : log->events) {
      if (e.event_type == tpm::kEvNoAction) {
        continue;
      }
      r->extends.emplace_back(*e.DigestFor(tpm::kAlgSha1), *e.DigestFor(tpm::kAlgSha256));
      if (e.event_type == tpm::kEvSCrtmVersion || e.event_type == tpm::kEvEfiVariableDriverConfig ||
          e.event_type == tpm::kEvSeparator || e.event_type == tpm::kEvEfiAction) {
        r->claim_data.push_back(e.data);
      }
    }
    return r;
  }();
  return *raw;
}

void BM_RawEcdsaP256Verify(benchmark::State& state) {
  const RawInputs& raw = GetRaw();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(raw.key.get(), nullptr));
  EVP_PKEY_verify_init(ctx.get());
  for (auto _ : state) {
    if (EVP_PKEY_verify(ctx.get(), raw.sig_der.data(), raw.sig_der.size(), raw.quote_digest.data(),
                        raw.quote_digest.size()) != 1) {
      state.SkipWithError("raw verify failed");
    }
  }
}
BENCHMARK(BM_RawEcdsaP256Verify)->MeasureProcessCPUTime()->UseRealTime();

// The floor: the signature verify plus every hash the replay and the PCR digest need.
void BM_Floor(benchmark::State& state) {
  const RawInputs& raw = GetRaw();
  const Inputs& in = GetInputs();
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(raw.key.get(), nullptr));
  EVP_PKEY_verify_init(ctx.get());
  // The fastest way OpenSSL 3 offers: explicitly fetched digests and one reused context.
  EVP_MD* sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EvpMdCtxPtr md(EVP_MD_CTX_new());
  auto hash = [&md](const EVP_MD* type, const uint8_t* data, size_t size, uint8_t* out) {
    unsigned int len = 0;
    EVP_DigestInit_ex2(md.get(), type, nullptr);
    EVP_DigestUpdate(md.get(), data, size);
    EVP_DigestFinal_ex(md.get(), out, &len);
  };
  for (auto _ : state) {
    uint8_t sha1_pcr[20 + 20] = {};
    uint8_t sha256_pcr[32 + 32] = {};
    for (const auto& [d1, d256] : raw.extends) {
      std::memcpy(sha1_pcr + 20, d1.data(), 20);
      hash(sha1, sha1_pcr, sizeof(sha1_pcr), sha1_pcr);
      std::memcpy(sha256_pcr + 32, d256.data(), 32);
      hash(sha256, sha256_pcr, sizeof(sha256_pcr), sha256_pcr);
    }
    uint8_t quote_digest[32];
    hash(sha256, in.quote.data(), in.quote.size(), quote_digest);
    for (const Bytes& data : raw.claim_data) {
      hash(sha256, data.data(), data.size(), quote_digest);
    }
    uint8_t pcr_digest[32];
    hash(sha256, sha256_pcr, 32 + 32, pcr_digest);  // stands in for the quoted-PCR digest
    benchmark::DoNotOptimize(pcr_digest);
    if (EVP_PKEY_verify(ctx.get(), raw.sig_der.data(), raw.sig_der.size(), raw.quote_digest.data(),
                        raw.quote_digest.size()) != 1) {
      state.SkipWithError("raw verify failed");
    }
  }
  EVP_MD_free(sha1);
  EVP_MD_free(sha256);
}
BENCHMARK(BM_Floor)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  attest::bench::RatioReporter reporter;
  reporter.AddRatio("tpm quote + 105-event log verify vs sig+hash floor",
                    "BM_TpmVerifyQuoteAndLog/process_time/real_time",
                    "BM_Floor/process_time/real_time");
  reporter.AddRatio("tpm quote + 105-event log verify vs raw P-256 verify",
                    "BM_TpmVerifyQuoteAndLog/process_time/real_time",
                    "BM_RawEcdsaP256Verify/process_time/real_time");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
