// Verification of the legacy SEV platform certificate chain (SEV API spec 55766, section
// "Certificate Chains" and appendix C):
//
//   ARK (self-signed) -> ASK -> CEK -> PEK <- OCA (self-signed)
//                                      |
//                                      v
//                                     PDH
//
// The ARK and ASK are AMD's, one pair per product (Naples, Rome, Milan, Genoa...). The CEK is
// unique to the chip and signed by its product's ASK; the PEK carries two signatures, one by the
// CEK and one by the owner's OCA; the PDH, the key the guest owner's ECDH uses, is signed by the
// PEK. A chain verifies only when every link does and the CEK is signed by one of the supplied
// roots, so a certificate of one product never verifies under another product's ASK.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/sev/reasons.h"
#include "attest/sev/wire.h"

namespace attest::sev {

// AmdRoot is a product's ARK and ASK whose own signatures have been checked (ARK self-signed, ASK
// signed by the ARK, key ids linked). Only LoadAmdRoot makes one.
class AmdRoot {
 public:
  const std::string& product() const { return product_; }
  const AmdCert& ark() const { return ark_; }
  const AmdCert& ask() const { return ask_; }

 private:
  friend Result<AmdRoot> LoadAmdRoot(std::string product, ByteSpan ark, ByteSpan ask);
  AmdRoot(std::string product, AmdCert ark, AmdCert ask)
      : product_(std::move(product)), ark_(std::move(ark)), ask_(std::move(ask)) {}
  std::string product_;
  AmdCert ark_;
  AmdCert ask_;
};

// LoadAmdRoot parses and checks an ARK/ASK pair. Fails like ParseAmdCert, with sev.bad_usage (the
// ARK is not an ARK or the ASK not an ASK), sev.issuer_mismatch (ARK certifying id != its key id,
// ASK certifying id != ARK key id) or sev.signature_invalid.
Result<AmdRoot> LoadAmdRoot(std::string product, ByteSpan ark, ByteSpan ask);

// BuiltinAmdRoots returns the anchors compiled into the binary (attest/sev/data: Naples, Milan,
// Genoa), each checked by LoadAmdRoot. Fails only if the embedded data is broken (core.internal).
Result<std::vector<AmdRoot>> BuiltinAmdRoots();

// SevPlatformCerts is the platform's part of the chain as libvirt's virNodeGetSEVInfo gives it
// (pdh, and cert-chain = PEK, OCA, CEK), parsed.
struct SevPlatformCerts {
  SevCert pdh;
  SevCert pek;
  SevCert oca;
  SevCert cek;
};

// ParseSevPlatformCerts parses the four certificates; an error names the certificate ("pek: ...")
// and keeps ParseSevCert's reason. A certificate with the wrong key usage for its position fails
// with sev.bad_usage.
Result<SevPlatformCerts> ParseSevPlatformCerts(ByteSpan pdh, ByteSpan pek, ByteSpan oca,
                                               ByteSpan cek);

// VerifiedSevChain is a platform chain whose every signature checked out to one AmdRoot.
class VerifiedSevChain {
 public:
  const std::string& product() const { return product_; }
  const SevPlatformCerts& certs() const { return certs_; }
  const AmdCert& ask() const { return ask_; }
  const AmdCert& ark() const { return ark_; }

 private:
  friend Result<VerifiedSevChain> VerifySevChain(const SevPlatformCerts& certs,
                                                 std::span<const AmdRoot> roots);
  VerifiedSevChain(std::string product, SevPlatformCerts certs, AmdCert ask, AmdCert ark)
      : product_(std::move(product)),
        certs_(std::move(certs)),
        ask_(std::move(ask)),
        ark_(std::move(ark)) {}
  std::string product_;
  SevPlatformCerts certs_;
  AmdCert ask_;
  AmdCert ark_;
};

// VerifySevChain checks CEK <- ASK of one of roots (the first that verifies names the product),
// OCA self-signature, PEK <- OCA and PEK <- CEK (both required), PDH <- PEK. Fails with
// sev.chain_untrusted (no root's ASK signed the CEK, or roots is empty), sev.signature_invalid
// (another link, the message names it; a missing signature slot for the signer counts as invalid)
// or sev.unsupported_algorithm (a slot's algorithm does not match its signer's key).
Result<VerifiedSevChain> VerifySevChain(const SevPlatformCerts& certs,
                                        std::span<const AmdRoot> roots);

}  // namespace attest::sev
