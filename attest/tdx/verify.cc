#include "attest/tdx/verify.h"

#include <openssl/x509.h>

#include <algorithm>

#include "attest/core/digest.h"
#include "attest/core/embedded.h"
#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/tdx/signing.h"

namespace attest::tdx {

// Generated from attest/tdx/trust/ by attest_embed_files (CMakeLists.txt).
extern const std::span<const ::attest::EmbeddedFile> kTrustFiles;

namespace {

// Caches hold at most this many entries each; when full they are emptied (simple and bounded).
constexpr size_t kMaxCacheEntries = 4096;

struct Window {
  TimePoint from = TimePoint::min();
  TimePoint until = TimePoint::max();
  void Narrow(TimePoint a, TimePoint b) {
    from = std::max(from, a);
    until = std::min(until, b);
  }
  bool Contains(TimePoint t) const { return from <= t && t <= until; }
};

void NarrowByChain(Window& w, const std::vector<X509Ptr>& chain) {
  for (const X509Ptr& c : chain) {
    w.Narrow(NotBefore(c.get()), NotAfter(c.get()));
  }
}

void NarrowByCrl(Window& w, X509_CRL* crl) { w.Narrow(CrlThisUpdate(crl), CrlNextUpdate(crl)); }

Status WithContext(const Status& s, std::string_view context) { return s.WithContext(context); }

Status CheckBodyWindow(TimePoint issue, TimePoint next, TimePoint now, Reason expired,
                       Reason not_yet, std::string_view what) {
  if (now < issue) {
    return Status(not_yet, std::string(what) + ": issueDate " + FormatRfc3339(issue) +
                               " is after the verification time " + FormatRfc3339(now));
  }
  if (now > next) {
    return Status(expired, std::string(what) + ": nextUpdate " + FormatRfc3339(next) +
                               " is before the verification time " + FormatRfc3339(now));
  }
  return Status::Ok();
}

std::array<uint8_t, 32> PckCacheKey(const Quote& q, const std::array<uint8_t, 32>& coll_fp,
                                    bool has_collateral) {
  Sha256Hasher h;
  h.UpdateWithLength(q.pck_chain_pem);
  const uint8_t flag = has_collateral ? 1 : 0;
  h.Update(ByteSpan(&flag, 1));
  h.Update(coll_fp);
  return h.Finish();
}

}  // namespace

struct QuoteVerifier::VerifiedCollateral {
  TcbInfo tcb_info;
  QeIdentity qe_identity;
  X509CrlPtr pck_crl;
  X509CrlPtr root_crl;
  CollateralDates dates;
  Window window;
};

struct QuoteVerifier::VerifiedPck {
  EcKeyPtr key;
  PckExtensions ext;
  Window window;
};

QuoteVerifier::QuoteVerifier(std::vector<X509Ptr> roots) : roots_(std::move(roots)) {
  for (const X509Ptr& r : roots_) {
    roots_der_.push_back(CertificateDer(r.get()));
  }
}

QuoteVerifier QuoteVerifier::Default() {
  std::vector<X509Ptr> roots;
  for (const EmbeddedFile& f : kTrustFiles) {
    auto certs = ParseCertificates(f.bytes);
    // The embedded root is our own build input; failing to parse it is a build defect.
    assert(certs.ok());
    if (!certs.ok()) {
      continue;
    }
    for (X509Ptr& c : *certs) {
      roots.push_back(std::move(c));
    }
  }
  return QuoteVerifier(std::move(roots));
}

void QuoteVerifier::ClearCaches() {
  std::lock_guard<std::mutex> lock(mu_);
  collateral_cache_.clear();
  pck_cache_.clear();
}

Result<std::shared_ptr<const QuoteVerifier::VerifiedCollateral>> QuoteVerifier::CheckCollateral(
    const Collateral& c, TimePoint now) {
  auto v = std::make_shared<VerifiedCollateral>();
  auto root_crl = ParseCrl(c.root_ca_crl);
  if (!root_crl.ok()) {
    return WithContext(root_crl.status(), "root CA CRL");
  }
  v->root_crl = std::move(root_crl).value();
  auto pck_crl = ParseCrl(c.pck_crl);
  if (!pck_crl.ok()) {
    return WithContext(pck_crl.status(), "PCK CRL");
  }
  v->pck_crl = std::move(pck_crl).value();

  // The root CRL must be signed by a pinned root and current.
  X509* root = nullptr;
  for (const X509Ptr& r : roots_) {
    if (X509_NAME_cmp(X509_get_subject_name(r.get()), X509_CRL_get_issuer(v->root_crl.get())) ==
        0) {
      root = r.get();
    }
  }
  if (root == nullptr) {
    return Status(reasons::kCrlIssuerUnknown, "root CA CRL: issuer is not a pinned root");
  }
  ATTEST_RETURN_IF_ERROR(WithContext(CheckCrl(v->root_crl.get(), root, now), "root CA CRL"));
  NarrowByCrl(v->window, v->root_crl.get());
  NarrowByCrl(v->window, v->pck_crl.get());

  // TCB info: chain, signature over the exact body bytes, then content and window.
  ATTEST_ASSIGN_OR_RETURN(auto tcb_chain,
                          VerifySigningChain(c.tcb_info_issuer_chain, roots_, roots_der_,
                                             v->root_crl.get(), now, "tcb info issuer chain"));
  NarrowByChain(v->window, tcb_chain);
  ATTEST_RETURN_IF_ERROR(VerifyBodySignature(tcb_chain[0].get(), c.tcb_info_body,
                                             c.tcb_info_signature,
                                             reasons::kTdxTcbInfoSignatureInvalid));
  ATTEST_ASSIGN_OR_RETURN(v->tcb_info, ParseTcbInfo(c.tcb_info_body));
  ATTEST_RETURN_IF_ERROR(CheckBodyWindow(v->tcb_info.issue_date, v->tcb_info.next_update, now,
                                         reasons::kTdxTcbInfoExpired,
                                         reasons::kTdxTcbInfoNotYetValid, "tcb info"));
  v->window.Narrow(v->tcb_info.issue_date, v->tcb_info.next_update);

  // PCS serves the same issuer chain for both; validate it once then.
  std::vector<X509Ptr> qe_chain;
  if (c.qe_identity_issuer_chain == c.tcb_info_issuer_chain) {
    for (const X509Ptr& cert : tcb_chain) {
      qe_chain.push_back(UpRef(cert.get()));
    }
  } else {
    ATTEST_ASSIGN_OR_RETURN(qe_chain,
                            VerifySigningChain(c.qe_identity_issuer_chain, roots_, roots_der_,
                                               v->root_crl.get(), now, "qe identity issuer chain"));
  }
  NarrowByChain(v->window, qe_chain);
  ATTEST_RETURN_IF_ERROR(VerifyBodySignature(qe_chain[0].get(), c.qe_identity_body,
                                             c.qe_identity_signature,
                                             reasons::kTdxQeIdentitySignatureInvalid));
  ATTEST_ASSIGN_OR_RETURN(v->qe_identity, ParseQeIdentity(c.qe_identity_body));
  ATTEST_RETURN_IF_ERROR(CheckBodyWindow(v->qe_identity.issue_date, v->qe_identity.next_update, now,
                                         reasons::kTdxQeIdentityExpired,
                                         reasons::kTdxQeIdentityNotYetValid, "qe identity"));
  v->window.Narrow(v->qe_identity.issue_date, v->qe_identity.next_update);

  // pck_crl_issuer_chain is not needed: the PCK CRL is verified (in CheckPck) with the key of the
  // CA certificate from the quote's own validated PCK chain, which is at least as strong.

  CollateralDates& d = v->dates;
  d.tcb_info_issue_date = v->tcb_info.issue_date;
  d.tcb_info_next_update = v->tcb_info.next_update;
  d.qe_identity_issue_date = v->qe_identity.issue_date;
  d.qe_identity_next_update = v->qe_identity.next_update;
  d.pck_crl_this_update = CrlThisUpdate(v->pck_crl.get());
  d.pck_crl_next_update = CrlNextUpdate(v->pck_crl.get());
  d.root_crl_this_update = CrlThisUpdate(v->root_crl.get());
  d.root_crl_next_update = CrlNextUpdate(v->root_crl.get());
  d.tcb_evaluation_data_number =
      std::min(v->tcb_info.tcb_evaluation_data_number, v->qe_identity.tcb_evaluation_data_number);
  return std::shared_ptr<const VerifiedCollateral>(std::move(v));
}

Result<std::shared_ptr<const QuoteVerifier::VerifiedPck>> QuoteVerifier::CheckPck(
    const Quote& q, const VerifiedCollateral* collateral, TimePoint now) {
  auto certs = ParseChain(q.pck_chain_pem, roots_, roots_der_);
  if (!certs.ok()) {
    return Status(reasons::kTdxPckChainInvalid, "pck chain: " + certs.status().message());
  }
  auto chain = VerifyToRoots(*certs, roots_, now);
  if (!chain.ok()) {
    // Expiry keeps its x509 reason (distinct from a forged chain).
    if (chain.status().code() == ErrorCode::kExpired) {
      return chain.status().WithContext("pck chain");
    }
    return Status(reasons::kTdxPckChainInvalid, "pck chain: " + chain.status().message());
  }
  if (chain->size() != 3) {
    return Status(reasons::kTdxPckChainInvalid, "pck chain: " + std::to_string(chain->size()) +
                                                    " certificates, want PCK, CA and root");
  }
  const std::string ca = SubjectCommonName((*chain)[1].get());
  if (ca != "Intel SGX PCK Platform CA" && ca != "Intel SGX PCK Processor CA") {
    return Status(reasons::kTdxPckChainInvalid, "pck chain: intermediate is \"" + ca +
                                                    "\", want the PCK Platform or Processor CA");
  }
  auto v = std::make_shared<VerifiedPck>();
  NarrowByChain(v->window, *chain);
  if (collateral != nullptr) {
    // The PCK CRL must come from the PCK certificate's own issuer, so the leaf is really covered.
    if (X509_NAME_cmp(X509_CRL_get_issuer(collateral->pck_crl.get()),
                      X509_get_issuer_name((*chain)[0].get())) != 0) {
      return Status(reasons::kCrlIssuerUnknown,
                    "PCK CRL: its issuer is not the PCK certificate's issuer (" + ca + ")");
    }
    // The root CRL was verified with the collateral; the PCK CRL is verified here, once per chain,
    // with the key of the CA that issued this PCK certificate.
    if (X509_NAME_cmp(X509_CRL_get_issuer(collateral->root_crl.get()),
                      X509_get_issuer_name((*chain)[1].get())) != 0) {
      return Status(reasons::kCrlIssuerUnknown, "root CA CRL: not from the PCK CA's issuer");
    }
    ATTEST_RETURN_IF_ERROR(
        WithContext(CheckCrl(collateral->pck_crl.get(), (*chain)[1].get(), now), "PCK CRL"));
    ATTEST_RETURN_IF_ERROR(CheckListed(collateral->pck_crl.get(), (*chain)[0].get(), "pck chain"));
    ATTEST_RETURN_IF_ERROR(CheckListed(collateral->root_crl.get(), (*chain)[1].get(), "pck chain"));
    v->window.Narrow(collateral->window.from, collateral->window.until);
  }
  ATTEST_ASSIGN_OR_RETURN(v->ext, ParsePckExtensions((*chain)[0].get()));
  ATTEST_ASSIGN_OR_RETURN(v->key, CertP256Key((*chain)[0].get(), reasons::kTdxPckChainInvalid));
  return std::shared_ptr<const VerifiedPck>(std::move(v));
}

Result<CollateralDates> QuoteVerifier::VerifyCollateral(const Collateral& collateral,
                                                        TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<const VerifiedCollateral> v,
                          CheckCollateral(collateral, now));
  if (collateral.pck_crl_issuer_chain.empty()) {
    return Status(reasons::kTdxCollateralMissing, "PCK CRL issuer chain is absent");
  }
  auto certs = ParseChain(collateral.pck_crl_issuer_chain, roots_, roots_der_);
  if (!certs.ok()) {
    return certs.status().WithContext("PCK CRL issuer chain");
  }
  ATTEST_ASSIGN_OR_RETURN(auto chain, VerifyToRoots(*certs, roots_, now));
  const std::string ca = SubjectCommonName(chain[0].get());
  if (chain.size() != 2 ||
      (ca != "Intel SGX PCK Platform CA" && ca != "Intel SGX PCK Processor CA")) {
    return Status(reasons::kTdxCollateralChainInvalid,
                  "PCK CRL issuer chain: signer is \"" + ca + "\", want a PCK CA under the root");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(v->pck_crl.get()), X509_get_subject_name(chain[0].get())) !=
      0) {
    return Status(reasons::kCrlIssuerUnknown, "PCK CRL: not issued by " + ca);
  }
  ATTEST_RETURN_IF_ERROR(WithContext(CheckCrl(v->pck_crl.get(), chain[0].get(), now), "PCK CRL"));
  ATTEST_RETURN_IF_ERROR(CheckListed(v->root_crl.get(), chain[0].get(), "PCK CRL issuer chain"));
  return v->dates;
}

Verification QuoteVerifier::Verify(const Quote& q, const Collateral* collateral, TimePoint now) {
  Verification out;
  auto fail = [&](Status s) {
    out.status = std::move(s);
    return std::move(out);
  };

  // Collateral (cached by fingerprint while the verification time is inside its window; outside
  // it, the full check runs again and reports exactly what expired).
  std::shared_ptr<const VerifiedCollateral> coll;
  std::array<uint8_t, 32> coll_fp{};
  if (collateral != nullptr) {
    coll_fp = collateral->Fingerprint();
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = collateral_cache_.find(coll_fp);
      if (it != collateral_cache_.end() && it->second->window.Contains(now)) {
        coll = it->second;
      }
    }
    if (!coll) {
      auto checked = CheckCollateral(*collateral, now);
      if (!checked.ok()) {
        return fail(checked.status());
      }
      coll = *checked;
      std::lock_guard<std::mutex> lock(mu_);
      if (collateral_cache_.size() >= kMaxCacheEntries) {
        collateral_cache_.clear();
      }
      collateral_cache_[coll_fp] = coll;
    }
  }

  std::shared_ptr<const VerifiedPck> pck;
  const std::array<uint8_t, 32> pck_key = PckCacheKey(q, coll_fp, collateral != nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pck_cache_.find(pck_key);
    if (it != pck_cache_.end() && it->second->window.Contains(now)) {
      pck = it->second;
    }
  }
  if (!pck) {
    auto checked = CheckPck(q, coll.get(), now);
    if (!checked.ok()) {
      return fail(checked.status());
    }
    pck = *checked;
    std::lock_guard<std::mutex> lock(mu_);
    if (pck_cache_.size() >= kMaxCacheEntries) {
      pck_cache_.clear();
    }
    pck_cache_[pck_key] = pck;
  }

  // QE report signed by the PCK key (4.1.2.4.12), and it vouches for the attestation key
  // (4.1.2.4.13): SHA-256(attestation key || QE authentication data) in REPORTDATA[0..32).
  if (Status s = VerifyP256(pck->key.get(), q.qe_report_bytes, q.qe_report_signature,
                            reasons::kTdxQeReportSignatureInvalid);
      !s.ok()) {
    return fail(s.WithContext("qe report"));
  }
  Bytes hashed(q.attestation_key.begin(), q.attestation_key.end());
  hashed.insert(hashed.end(), q.qe_auth_data.begin(), q.qe_auth_data.end());
  const Sha256Digest binding = Sha256(hashed);
  if (!ConstantTimeEquals(binding, ByteSpan(q.qe_report.report_data).subspan(0, 32))) {
    return fail(Status(reasons::kTdxQeReportDataMismatch,
                       "qe report: REPORTDATA[0..32) is not SHA-256(attestation key || qe auth "
                       "data)"));
  }
  // The quote signed by the attestation key (4.1.2.4.16).
  auto att_key = P256KeyFromRaw(q.attestation_key, reasons::kTdxSignatureInvalid);
  if (!att_key.ok()) {
    return fail(att_key.status().WithContext("attestation key"));
  }
  if (Status s =
          VerifyP256(att_key->get(), q.signed_data, q.signature, reasons::kTdxSignatureInvalid);
      !s.ok()) {
    return fail(s.WithContext("quote"));
  }

  VerifiedQuote verified;
  verified.quote_ = q;
  verified.pck_ = pck->ext;
  if (coll) {
    verified.dates_ = coll->dates;
  }
  out.verified = std::move(verified);
  if (!coll) {
    return out;
  }

  // Collateral applies to this quote (4.1.2.4.9, 4.1.2.4.10, 4.1.2.4.14).
  const TcbInfo& info = coll->tcb_info;
  const char* want_tcb_id = q.is_tdx() ? "TDX" : "SGX";
  if (info.id != want_tcb_id) {
    return fail(Status(reasons::kTdxTcbInfoMismatch,
                       "tcb info: id " + info.id + ", want " + want_tcb_id + " for this quote"));
  }
  const char* want_qe_id = q.is_tdx() ? "TD_QE" : "QE";
  if (coll->qe_identity.id != want_qe_id) {
    return fail(Status(
        reasons::kTdxQeIdentityMismatch,
        "qe identity: id " + coll->qe_identity.id + ", want " + want_qe_id + " for this quote"));
  }
  if (info.fmspc != pck->ext.fmspc) {
    return fail(Status(reasons::kTdxTcbInfoMismatch, "tcb info: FMSPC " + HexEncode(info.fmspc) +
                                                         " but the PCK certificate has " +
                                                         HexEncode(pck->ext.fmspc)));
  }
  if (info.pce_id != pck->ext.pce_id) {
    return fail(Status(reasons::kTdxTcbInfoMismatch, "tcb info: PCE-ID " + HexEncode(info.pce_id) +
                                                         " but the PCK certificate has " +
                                                         HexEncode(pck->ext.pce_id)));
  }
  auto tcb = EvaluateTcb(q, pck->ext, info, coll->qe_identity);
  if (!tcb.ok()) {
    return fail(tcb.status());
  }
  out.verified->tcb_ = std::move(tcb).value();
  return out;
}

Status ApplyDefaultTcbPolicy(const VerifiedQuote& verified) {
  if (!verified.tcb()) {
    return Status::Ok();
  }
  const TcbStatus status = verified.tcb()->status;
  if (IsRejectedByDefault(status)) {
    return Status(reasons::kTdxTcbStatusRejected, "tcb status " +
                                                      std::string(TcbStatusName(status)) +
                                                      " is not accepted by the built-in policy");
  }
  return Status::Ok();
}

}  // namespace attest::tdx
