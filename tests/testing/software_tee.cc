#include "tests/testing/software_tee.h"

#include <algorithm>

#include "attest/core/encoding.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/vectors.h"

namespace attest::testing {
namespace {

// TD quote v4: 48-byte header, then the TD report body (TDX DCAP Quote Generation Library
// "TD Quote Body": TD_ATTRIBUTES at 120, MRCONFIGID at 184, REPORTDATA at 520).
constexpr size_t kBody = 48;
constexpr size_t kTdAttributes = kBody + 120;
constexpr size_t kMrConfigId = kBody + 184;
constexpr size_t kReportData = kBody + 520;
constexpr uint64_t kSnpPolicyDebug = 1ull << 19;  // SNP ABI Table 9 (guest policy DEBUG)

TimePoint At(const char* text) { return ParseRfc3339(text).value(); }

void Put(Bytes& b, size_t offset, size_t size, ByteSpan value) {
  std::fill(b.begin() + offset, b.begin() + offset + size, 0);
  std::copy_n(value.begin(), std::min(size, value.size()), b.begin() + offset);
}

}  // namespace

SoftwareTee::SoftwareTee()
    : SoftwareTee(std::make_unique<FakeSnpPlatform>(snp::Product::kMilan, Now())) {}

SoftwareTee::SoftwareTee(std::unique_ptr<FakeSnpPlatform> snp)
    : snp_(std::move(snp)),
      dcap_(std::make_unique<FakeDcap>()),
      tdx_template_(ReadVector("tdx/dcap-qvl-v4/quote.bin")) {
  const nlohmann::json vec =
      nlohmann::json::parse(ReadVectorText("tdx/dcap-qvl-v4/collateral.json"));
  tdx_collateral_ =
      dcap_->MakeCollateral(nlohmann::json::parse(vec["tcb_info"].get<std::string>()),
                            nlohmann::json::parse(vec["qe_identity"].get<std::string>()),
                            At("2025-06-01T00:00:00Z"), At("2025-08-01T00:00:00Z"));
}

TimePoint SoftwareTee::Now() { return At("2025-07-01T00:00:00Z"); }

protocol::HostPlatform SoftwareTee::SimulatedPlatform(int host) {
  protocol::HostPlatform p;
  protocol::SnpChipId chip;
  chip.fill(0xA5);
  chip[0] ^= static_cast<uint8_t>(host);
  p.snp_chip_ids.push_back(chip);
  protocol::TdxPlatformIdentity tdx;
  tdx.ppid.fill(0xAB);
  tdx.ppid[0] ^= static_cast<uint8_t>(host);
  tdx.pce_id = {0x00, 0x00};
  tdx.fmspc = {0xb0, 0xc0, 0x6f, 0x00, 0x00, 0x00};
  p.tdx = tdx;
  return p;
}

void SoftwareTee::UseHost(int host, TimePoint now) {
  const protocol::HostPlatform platform = SimulatedPlatform(host);
  FakeEndorsementSpec spec = snp_->spec();
  spec.vlek = false;
  spec.hw_id.assign(platform.snp_chip_ids[0].begin(), platform.snp_chip_ids[0].end());
  spec.not_before = now - std::chrono::hours(24);
  spec.not_after = now + std::chrono::hours(24 * 365);
  spec.serial = 100 + host;
  snp_->IssueEndorsement(spec);
  PckSpec pck;
  pck.ppid_hex = HexEncode(platform.tdx->ppid);
  pck.serial = 100 + host;
  dcap_->IssuePck(pck);
}

Bytes SoftwareTee::SnpReport(const TeeLaunch& launch) const {
  snp::SnpReport r = snp_->DefaultReport();
  r.report_data.fill(0);
  std::copy_n(launch.report_data.begin(), std::min(launch.report_data.size(), size_t{64}),
              r.report_data.begin());
  r.host_data.fill(0);
  std::copy_n(launch.launch_digest.begin(), std::min(launch.launch_digest.size(), size_t{32}),
              r.host_data.begin());
  if (launch.debug) {
    r.policy |= kSnpPolicyDebug;
  }
  if (launch.measurement.size() == r.measurement.size()) {
    std::copy(launch.measurement.begin(), launch.measurement.end(), r.measurement.begin());
  }
  return snp_->SignReport(r);
}

snp::SnpCollateral SoftwareTee::SnpCollateral() const {
  return snp::SnpCollateral{snp_->EndorsementDer(), {}, {}};
}

Bytes SoftwareTee::SnpCrlDer(TimePoint this_update, TimePoint next_update) const {
  return DerOf(IssueCrl(snp_->ark(), snp_->ark_key(), {}, this_update, next_update, true).get());
}

Bytes SoftwareTee::SnpRootChainPem() const {
  const std::string pem = snp_->ChainPem();
  return Bytes(pem.begin(), pem.end());
}

Bytes SoftwareTee::TdxQuote(const TeeLaunch& launch) const {
  return dcap_->ResignQuote(tdx_template_, [&](Bytes& b) {
    Put(b, kReportData, 64, launch.report_data);
    Put(b, kMrConfigId, 48, launch.launch_digest);
    if (launch.debug) {
      b[kTdAttributes] |= 0x01;
    } else {
      b[kTdAttributes] &= 0xFE;
    }
  });
}

tdx::Collateral SoftwareTee::TdxCollateral() const { return tdx_collateral_; }

Bytes SoftwareTee::TdxRootPem() const {
  const std::string pem = PemOf(dcap_->root());
  return Bytes(pem.begin(), pem.end());
}

std::string SoftwareTee::TdxMrTd() {
  return "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538"
         "873118b7";
}

std::string SoftwareTee::TdxRtmr0() {
  return "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf99"
         "4b9bc9c0";
}

}  // namespace attest::testing
