// A test DCAP hierarchy: a root, PCK CA, PCK leaf (with SGX extensions), TCB signing cert and
// CRLs made with test keys, plus helpers that re-sign real quotes and collateral under it. Used to
// reach outcomes real vectors cannot show (revoked PCK, TCB matching no level, relaunch advice,
// expired collateral with a valid signature). Test use only.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/time.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/verify.h"

namespace attest::testing {

struct PckSpec {
  std::string ppid_hex = "abababababababababababababababab";  // 16 bytes: the platform's PPID
  std::string fmspc_hex = "b0c06f000000";
  std::string pce_id_hex = "0000";
  std::array<uint8_t, 16> tcb_components = {3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
  uint16_t pce_svn = 11;
  long serial = 100;
};

class FakeDcap {
 public:
  explicit FakeDcap(const PckSpec& pck = PckSpec());

  // IssuePck replaces the PCK leaf (key and certificate, under the same PCK CA): quotes re-signed
  // afterwards come from the platform pck describes (another PPID: another simulated machine).
  void IssuePck(const PckSpec& pck);

  // Verifier trusts only this hierarchy's root.
  tdx::QuoteVerifier Verifier() const;

  // ResignQuote rebuilds a real quote (template) under this hierarchy: edit_signed may change the
  // header/body bytes, edit_qe the 384-byte QE report; the binding, both signatures and the PCK
  // chain are then made fresh. The output has no trailing padding.
  Bytes ResignQuote(ByteSpan template_quote,
                    const std::function<void(Bytes&)>& edit_signed = nullptr,
                    const std::function<void(Bytes&)>& edit_qe = nullptr) const;

  // Collateral signs the given TCB info / QE identity JSON objects (dumped compactly) and adds
  // CRLs valid over [crl_from, crl_until]; revoked_pck_serials go on the PCK CRL.
  tdx::Collateral MakeCollateral(const nlohmann::json& tcb_info, const nlohmann::json& qe_identity,
                                 TimePoint crl_from, TimePoint crl_until,
                                 const std::vector<long>& revoked_pck_serials = {}) const;

  // SignBody returns the raw r||s ECDSA P-256 signature of text by the TCB signing key.
  Bytes SignBody(std::string_view text) const;

  std::string PckChainPem() const;
  X509* root() const { return root_.get(); }
  X509* pck_ca() const { return pck_ca_.get(); }
  EVP_PKEY* pck_ca_key() const { return pck_ca_key_.get(); }
  EVP_PKEY* root_key() const { return root_key_.get(); }

 private:
  EvpPkeyPtr root_key_, pck_ca_key_, pck_key_, tcb_key_;
  X509Ptr root_, pck_ca_, pck_, tcb_;
};

// SignRawP256 signs SHA-256(message) with key and returns r||s (32 bytes each).
Bytes SignRawP256(EVP_PKEY* key, ByteSpan message);

// RawP256PublicKey returns x||y of an EC P-256 key.
Bytes RawP256PublicKey(EVP_PKEY* key);

}  // namespace attest::testing
