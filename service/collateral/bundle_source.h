// BundleCollateralSource: an offline collateral bundle the operator ships with attestd or hands to
// attestctl, for hosts with no way to Intel's PCS. A bundle is one path:
//  - a file: one DCAP collateral document in the JSON form (attest/tdx/collateral.h form (a)),
//    what `attestctl collateral import` sends;
//  - a directory: each "*.json" file in it is such a document, and each subdirectory holds the raw
//    PCS responses of one platform in the `attestctl verify tdx --collateral-dir` layout
//    (LoadPcsDirectory).
// Documents are indexed by the platform their TCB info names (DcapCollateralKey); the bundle is
// read once, at Load.
#pragma once

#include <map>
#include <string>

#include "service/collateral/source.h"

namespace attest::service::collateral {

class BundleCollateralSource final : public CollateralSource {
 public:
  // Load reads and indexes the bundle at path. Fails with reasons::kFileUnreadable when path is
  // neither a file nor a directory or a file cannot be read, or with the tdx reason of the first
  // document that does not parse (tdx.collateral_malformed...), naming its file: a bundle is the
  // operator's, and a broken one is refused whole. Two documents for one platform: the one with
  // the higher tcbEvaluationDataNumber is kept (a bundle never rolls a platform back).
  static Result<BundleCollateralSource> Load(const std::string& path);

  // TdxCollateral returns the bundle's document for the quote's platform, or nullopt.
  Result<std::optional<tdx::Collateral>> TdxCollateral(const tdx::Quote& quote) override;

  // size returns how many platforms the bundle covers.
  size_t size() const { return by_key_.size(); }

 private:
  struct Entry {
    tdx::Collateral collateral;
    int64_t tcb_evaluation_data_number = 0;
  };
  BundleCollateralSource() = default;
  Status Add(const std::string& origin, Result<tdx::Collateral> collateral);

  std::map<std::string, Entry> by_key_;  // DcapCollateralKey -> document
};

// LoadPcsDirectory reads one platform's raw Intel PCS responses from dir (attest/tdx/collateral.h
// form (b)): tcb_info.json, qe_identity.json, tcb_info_issuer_chain.pem,
// qe_identity_issuer_chain.pem, pck_crl.der|pem, root_ca_crl.der|pem and pck_crl_issuer_chain.pem;
// a missing file is left empty (CollateralFromPcs says what is missing). Fails with
// reasons::kFileUnreadable, or as tdx::CollateralFromPcs.
Result<tdx::Collateral> LoadPcsDirectory(const std::string& dir);

}  // namespace attest::service::collateral
