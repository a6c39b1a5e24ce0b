// A software SEV-SNP "firmware" for tests: a test AMD hierarchy (ARK -> ASK -> VCEK, or ASVK ->
// VLEK) with the AMD certificate extensions, and correctly signed attestation reports with chosen
// fields. Nothing here is trusted by default: verifiers accept it only under Roots().
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/time.h"
#include "attest/snp/product.h"
#include "attest/snp/report.h"
#include "attest/snp/trust.h"
#include "tests/testing/test_pki.h"

namespace attest::testing {

struct FakeEndorsementSpec {
  bool vlek = false;
  snp::TcbParts tcb{.bootloader = 3, .tee = 0, .snp = 8, .microcode = 115};
  Bytes hw_id = Bytes(64, 0xA5);  // VCEK only
  long serial = 100;
  TimePoint not_before;
  TimePoint not_after;
  KeyKind key = KeyKind::kEcP384;
};

class FakeSnpPlatform {
 public:
  // Creates ARK (RSA, RSA-PSS SHA-384) -> ASK and ASVK -> a VCEK, valid around `now`.
  explicit FakeSnpPlatform(snp::Product product, TimePoint now);

  // Save writes the whole hierarchy (keys and certificates, PEM) so that another process can Load
  // the same platform: the software-tee tool signs in one process what attestd trusts from
  // another. Load fails (nullptr) on anything but Save's output; the loaded platform has the
  // default endorsement spec (a VCEK), as the constructor makes it.
  std::string Save() const;
  static std::unique_ptr<FakeSnpPlatform> Load(const std::string& saved, snp::Product product);

  // IssueEndorsement makes a new VCEK/VLEK; it becomes the signing key of SignReport.
  void IssueEndorsement(const FakeEndorsementSpec& spec);

  // DefaultReport is a version-3 report consistent with the current endorsement (TCB, chip id,
  // CPUID of the product, signing key kind).
  snp::SnpReport DefaultReport() const;

  // SignReport serialises report (SNP ABI Table 23) and signs bytes 0x0..0x29F with the endorsement
  // key. The signed_bytes/signature fields of report are ignored.
  Bytes SignReport(const snp::SnpReport& report) const;

  // SerializeUnsigned lays the report out without a signature (zeros).
  static Bytes SerializeUnsigned(const snp::SnpReport& report);

  Bytes EndorsementDer() const { return DerOf(endorsement_.get()); }
  // ChainPem is "ASK (or ASVK for a VLEK) then ARK", the KDS cert_chain layout.
  std::string ChainPem() const;
  snp::SnpTrustRoots Roots() const;

  X509* ark() const { return ark_.get(); }
  X509* ask() const { return ask_.get(); }
  X509* asvk() const { return asvk_.get(); }
  X509* endorsement() const { return endorsement_.get(); }
  EVP_PKEY* ark_key() const { return ark_key_.get(); }
  EVP_PKEY* ask_key() const { return ask_key_.get(); }
  EVP_PKEY* endorsement_key() const { return endorsement_key_.get(); }
  const FakeEndorsementSpec& spec() const { return spec_; }
  snp::Product product() const { return product_; }

 private:
  FakeSnpPlatform() = default;
  snp::Product product_;
  TimePoint now_;
  EvpPkeyPtr ark_key_, ask_key_, asvk_key_, endorsement_key_;
  X509Ptr ark_, ask_, asvk_, endorsement_;
  FakeEndorsementSpec spec_;
};

}  // namespace attest::testing
