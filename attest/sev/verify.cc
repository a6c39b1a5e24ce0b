#include "attest/sev/verify.h"

#include <string>

#include "attest/core/embedded.h"
#include "attest/sev/crypto.h"

namespace attest::sev {

// Defined by the file cmake/embed.cmake generates from attest/sev/data/*.cert.
extern const std::span<const EmbeddedFile> kBuiltinAnchorFiles;

namespace {

// AMD signs with RSA-PSS, SHA-256 for 2048-bit keys and SHA-384 for 4096-bit keys (SEV API spec
// appendix C.1), salt length equal to the digest length.
const EVP_MD* AmdCertDigest(const AmdCert& signer) {
  return signer.modulus_bits == 2048 ? EVP_sha256() : EVP_sha384();
}

Result<EvpPkeyPtr> AmdPublicKey(const AmdCert& cert) {
  return RsaPublicKey(cert.modulus_be, cert.pubexp_be, reasons::kSevCertMalformed);
}

Status VerifyAmdSignature(const AmdCert& signer, const AmdCert& subject, std::string_view link) {
  if (subject.signature_be.size() != signer.modulus_bits / 8) {
    return Status(reasons::kSevSignatureInvalid,
                  std::string(link) + ": signature size does not match the signer's key");
  }
  ATTEST_ASSIGN_OR_RETURN(EvpPkeyPtr key, AmdPublicKey(signer));
  return VerifyRsaPss(key.get(), AmdCertDigest(signer), subject.signed_bytes, subject.signature_be,
                      reasons::kSevSignatureInvalid)
      .WithContext(link);
}

const SevSignature* FindSlot(const SevCert& cert, Usage signer) {
  for (const SevSignature& slot : cert.sigs) {
    if (slot.usage == static_cast<uint32_t>(signer)) {
      return &slot;
    }
  }
  return nullptr;
}

// VerifyBySevKey checks the slot of subject whose usage is the signer's, with the signer's key.
Status VerifyBySevKey(const SevCert& signer, const SevCert& subject, std::string_view link) {
  const SevSignature* slot = FindSlot(subject, static_cast<Usage>(signer.pubkey_usage));
  if (slot == nullptr) {
    return Status(reasons::kSevSignatureInvalid,
                  std::string(link) + ": no signature slot with the signer's usage " +
                      std::string(UsageName(signer.pubkey_usage)));
  }
  if (slot->algo != signer.pubkey_algo) {
    return Status(reasons::kSevUnsupportedAlgorithm,
                  std::string(link) + ": slot algorithm " + std::to_string(slot->algo) +
                      " differs from the signer's key algorithm " +
                      std::to_string(signer.pubkey_algo));
  }
  ATTEST_ASSIGN_OR_RETURN(EvpPkeyPtr key, SevCertPublicKey(signer));
  return VerifyEcdsaSevSig(key.get(), DigestForAlgo(slot->algo), subject.signed_bytes, slot->sig,
                           reasons::kSevSignatureInvalid)
      .WithContext(link);
}

// VerifyCekByAsk checks the CEK's ASK slot: an RSA-PSS signature as long as the ASK modulus, the
// rest of the 512-byte slot zero, with the hash the ASK's key size implies.
Status VerifyCekByAsk(const AmdCert& ask, const SevCert& cek) {
  const SevSignature* slot = FindSlot(cek, Usage::kAsk);
  if (slot == nullptr) {
    return Status(reasons::kSevSignatureInvalid, "cek <- ask: no signature slot with usage ASK");
  }
  const uint32_t want_algo =
      static_cast<uint32_t>(ask.modulus_bits == 2048 ? Algo::kRsaSha256 : Algo::kRsaSha384);
  if (slot->algo != want_algo) {
    return Status(reasons::kSevUnsupportedAlgorithm,
                  "cek <- ask: slot algorithm " + std::to_string(slot->algo) + ", want " +
                      std::to_string(want_algo) + " for a " + std::to_string(ask.modulus_bits) +
                      "-bit ASK");
  }
  const size_t sig_bytes = ask.modulus_bits / 8;
  if (!IsAllZero(ByteSpan(slot->sig).subspan(sig_bytes))) {
    return Status(
        reasons::kSevSignatureInvalid,
        "cek <- ask: bytes after the " + std::to_string(sig_bytes) + "-byte signature not zero");
  }
  const Bytes sig_be(slot->sig.rend() - static_cast<ptrdiff_t>(sig_bytes), slot->sig.rend());
  ATTEST_ASSIGN_OR_RETURN(EvpPkeyPtr key, AmdPublicKey(ask));
  return VerifyRsaPss(key.get(), AmdCertDigest(ask), cek.signed_bytes, sig_be,
                      reasons::kSevSignatureInvalid)
      .WithContext("cek <- ask");
}

Result<SevCert> ParseAs(ByteSpan bytes, Usage want, std::string_view name) {
  auto cert = ParseSevCert(bytes);
  if (!cert.ok()) {
    return cert.status().WithContext(name);
  }
  if (cert->pubkey_usage != static_cast<uint32_t>(want)) {
    return Status(reasons::kSevBadUsage, std::string(name) + ": key usage is " +
                                             std::string(UsageName(cert->pubkey_usage)) +
                                             ", want " +
                                             std::string(UsageName(static_cast<uint32_t>(want))));
  }
  return cert;
}

}  // namespace

Result<AmdRoot> LoadAmdRoot(std::string product, ByteSpan ark_bytes, ByteSpan ask_bytes) {
  auto ark = ParseAmdCert(ark_bytes);
  if (!ark.ok()) {
    return ark.status().WithContext("ark");
  }
  auto ask = ParseAmdCert(ask_bytes);
  if (!ask.ok()) {
    return ask.status().WithContext("ask");
  }
  if (ark->key_usage != static_cast<uint32_t>(Usage::kArk)) {
    return Status(reasons::kSevBadUsage, "ark: key usage is not ARK (0x0)");
  }
  if (ask->key_usage != static_cast<uint32_t>(Usage::kAsk)) {
    return Status(reasons::kSevBadUsage, "ask: key usage is not ASK (0x13)");
  }
  if (ark->certifying_id != ark->key_id) {
    return Status(reasons::kSevIssuerMismatch, "ark: certifying id differs from its key id");
  }
  if (ask->certifying_id != ark->key_id) {
    return Status(reasons::kSevIssuerMismatch, "ask: certifying id is not the ark's key id");
  }
  ATTEST_RETURN_IF_ERROR(VerifyAmdSignature(*ark, *ark, "ark self-signature"));
  ATTEST_RETURN_IF_ERROR(VerifyAmdSignature(*ark, *ask, "ask <- ark"));
  return AmdRoot(std::move(product), std::move(ark).value(), std::move(ask).value());
}

Result<std::vector<AmdRoot>> BuiltinAmdRoots() {
  std::vector<AmdRoot> roots;
  for (const char* product : {"naples", "milan", "genoa"}) {
    const std::string ark_name = std::string(product) + "_ark.cert";
    const std::string ask_name = std::string(product) + "_ask.cert";
    ByteSpan ark;
    ByteSpan ask;
    for (const EmbeddedFile& file : kBuiltinAnchorFiles) {
      if (file.name == ark_name) {
        ark = file.bytes;
      }
      if (file.name == ask_name) {
        ask = file.bytes;
      }
    }
    auto root = LoadAmdRoot(product, ark, ask);
    if (!root.ok()) {
      return Status(reasons::kInternalError, "built-in sev anchor " + std::string(product) + ": " +
                                                 root.status().ToString());
    }
    roots.push_back(std::move(root).value());
  }
  return roots;
}

Result<SevPlatformCerts> ParseSevPlatformCerts(ByteSpan pdh, ByteSpan pek, ByteSpan oca,
                                               ByteSpan cek) {
  SevPlatformCerts certs;
  ATTEST_ASSIGN_OR_RETURN(certs.pdh, ParseAs(pdh, Usage::kPdh, "pdh"));
  ATTEST_ASSIGN_OR_RETURN(certs.pek, ParseAs(pek, Usage::kPek, "pek"));
  ATTEST_ASSIGN_OR_RETURN(certs.oca, ParseAs(oca, Usage::kOca, "oca"));
  ATTEST_ASSIGN_OR_RETURN(certs.cek, ParseAs(cek, Usage::kCek, "cek"));
  return certs;
}

Result<VerifiedSevChain> VerifySevChain(const SevPlatformCerts& certs,
                                        std::span<const AmdRoot> roots) {
  // Positions are re-checked because a caller may build SevPlatformCerts by hand.
  const std::pair<const SevCert*, Usage> positions[] = {{&certs.pdh, Usage::kPdh},
                                                        {&certs.pek, Usage::kPek},
                                                        {&certs.oca, Usage::kOca},
                                                        {&certs.cek, Usage::kCek}};
  for (const auto& [cert, usage] : positions) {
    if (cert->pubkey_usage != static_cast<uint32_t>(usage) ||
        cert->signed_bytes.size() != kSevCertBodySize) {
      return Status(reasons::kSevBadUsage,
                    std::string(UsageName(static_cast<uint32_t>(usage))) +
                        " position holds a different or unparsed certificate");
    }
  }
  const AmdRoot* anchor = nullptr;
  std::string tried;
  for (const AmdRoot& root : roots) {
    const Status status = VerifyCekByAsk(root.ask(), certs.cek);
    if (status.ok()) {
      anchor = &root;
      break;
    }
    tried += (tried.empty() ? "" : "; ") + root.product() + ": " + status.ToString();
  }
  if (anchor == nullptr) {
    return Status(reasons::kSevChainUntrusted,
                  "cek is not signed by the ASK of any trusted product" +
                      (tried.empty() ? std::string(" (no roots)") : " (" + tried + ")"));
  }
  ATTEST_RETURN_IF_ERROR(VerifyBySevKey(certs.oca, certs.oca, "oca self-signature"));
  ATTEST_RETURN_IF_ERROR(VerifyBySevKey(certs.oca, certs.pek, "pek <- oca"));
  ATTEST_RETURN_IF_ERROR(VerifyBySevKey(certs.cek, certs.pek, "pek <- cek"));
  ATTEST_RETURN_IF_ERROR(VerifyBySevKey(certs.pek, certs.pdh, "pdh <- pek"));
  // The PDH is the ECDH peer of the guest owner: it must be a usable P-384 point.
  ATTEST_ASSIGN_OR_RETURN(EvpPkeyPtr pdh_key, SevCertPublicKey(certs.pdh));
  return VerifiedSevChain(anchor->product(), certs, anchor->ask(), anchor->ark());
}

}  // namespace attest::sev
