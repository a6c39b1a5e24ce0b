// SoftwareTee: a test-only confidential VM "hardware": SEV-SNP reports signed by FakeSnpPlatform's
// test AMD hierarchy and TDX quotes re-signed under FakeDcap's test Intel hierarchy, each with
// chosen REPORT_DATA, HOST_DATA / MRCONFIGID and debug flag. Nothing trusts it unless given its
// roots (SnpRootChainPem, TdxRootPem) as explicit test anchors.
//
// The TDX quote is the dcap-qvl v4 vector (../shared/vectors/tdx/dcap-qvl-v4) with its body
// edited, and its collateral is that vector's TCB info and QE identity re-signed, valid over
// June-July 2025: use Now() as the verification time for both TEEs. A real attestd process
// verifies at its wall clock instead: give it an SNP platform made valid around that time
// (FakeSnpPlatform(product, WallClockNow()), or one Load-ed from the software-tee tool's state);
// the TDX side stays valid only around Now(), so TDX is tested in-process only.
#pragma once

#include <memory>
#include <string>

#include "attest/core/bytes.h"
#include "attest/core/time.h"
#include "attest/snp/verify.h"
#include "attest/tdx/collateral.h"
#include "protocol/host_platform.h"
#include "tests/testing/fake_dcap.h"
#include "tests/testing/fake_snp.h"

namespace attest::testing {

struct TeeLaunch {
  Bytes report_data;    // up to 64 bytes, zero-padded
  Bytes launch_digest;  // SNP HOST_DATA (32) or TDX MRCONFIGID (48)
  bool debug = false;   // SNP policy bit 19 / TDX TD_ATTRIBUTES.DEBUG (bit 0)
  // SNP MEASUREMENT (48 bytes) the "firmware" reports instead of the platform's default one:
  // what a launch of a given boot image implies (empty: the default).
  Bytes measurement;
};

class SoftwareTee {
 public:
  SoftwareTee();
  // SoftwareTee(snp) signs SNP reports with the given platform (valid wherever it was made).
  explicit SoftwareTee(std::unique_ptr<FakeSnpPlatform> snp);

  // Now is 2025-07-01T00:00:00Z: inside every certificate, CRL and collateral window.
  static TimePoint Now();

  // Simulated hosts: machine n (0..255) has one SNP chip whose CHIP_ID (and VCEK hwID) is 64 bytes
  // of 0xA5 with the first XOR n, and a TDX platform whose PCK PPID is 16 bytes of 0xAB with the
  // first XOR n (PCE-ID 0000, FMSPC b0c06f000000). A new SoftwareTee is machine 0.
  // SimulatedPlatform(n) is machine n's platform identity document.
  static protocol::HostPlatform SimulatedPlatform(int host);
  // UseHost makes this TEE machine `host`: later SNP reports are signed by a fresh VCEK of its
  // chip (valid around now) and carry its CHIP_ID; later TDX quotes carry a fresh PCK certificate
  // with its PPID. Same roots: evidence of every machine verifies under the same anchors.
  void UseHost(int host, TimePoint now);

  // SnpReport: a signed version-3 report (SNP ABI Table 23) of the fake Milan platform.
  Bytes SnpReport(const TeeLaunch& launch) const;
  snp::SnpCollateral SnpCollateral() const;
  // SnpCrlDer is an AMD CRL (signed by the ARK, RSA-PSS, no entries) valid [this_update,
  // next_update]: past its next_update it is the "expired collateral" case (x509.crl_expired).
  Bytes SnpCrlDer(TimePoint this_update, TimePoint next_update) const;
  // SnpRootChainPem is "ASK, ARK" of the test hierarchy (TrustAnchorConfig's SNP test roots).
  Bytes SnpRootChainPem() const;

  // TdxQuote: a signed v4 TD quote; mr_td and rtmr0 are the vector's (TdxMrTd / TdxRtmr0).
  Bytes TdxQuote(const TeeLaunch& launch) const;
  tdx::Collateral TdxCollateral() const;
  Bytes TdxRootPem() const;
  static std::string TdxMrTd();
  static std::string TdxRtmr0();

  FakeSnpPlatform& snp() { return *snp_; }
  const FakeSnpPlatform& snp() const { return *snp_; }
  const FakeDcap& dcap() const { return *dcap_; }

 private:
  std::unique_ptr<FakeSnpPlatform> snp_;
  std::unique_ptr<FakeDcap> dcap_;
  Bytes tdx_template_;
  tdx::Collateral tdx_collateral_;
};

}  // namespace attest::testing
