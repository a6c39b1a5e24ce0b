#include "attest/tpm/verify.h"

#include <openssl/rsa.h>

#include <string>

#include "attest/core/encoding.h"
#include "attest/core/signature.h"
#include "attest/tpm/alg.h"

namespace attest::tpm {
namespace {

Status VerifySignature(const Signature& sig, const AkPublic& ak, ByteSpan attest) {
  const HashAlg alg = *FindHashAlg(sig.hash_alg);  // ParseSignature checked it
  const Bytes digest = Digest(alg, attest);
  const int key_type = EVP_PKEY_get_base_id(ak.key.get());
  if (sig.sig_alg == kAlgEcdsa) {
    if (key_type != EVP_PKEY_EC) {
      return Status(reasons::kTpmUnsupportedAlgorithm, "quote: ECDSA signature but AK is not EC");
    }
    ATTEST_ASSIGN_OR_RETURN(Bytes der,
                            EcdsaRawToDer(sig.ecdsa_r, sig.ecdsa_s, reasons::kTpmSignatureInvalid));
    return VerifyDigestSignature(ak.key.get(), alg.md, digest, der, reasons::kTpmSignatureInvalid);
  }
  if (key_type != EVP_PKEY_RSA) {
    return Status(reasons::kTpmUnsupportedAlgorithm, "quote: RSA signature but AK is not RSA");
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(ak.key.get(), nullptr));
  const bool pss = sig.sig_alg == kAlgRsapss;
  if (!ctx || EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) !=
          1 ||
      EVP_PKEY_CTX_set_signature_md(ctx.get(), alg.md) != 1 ||
      // TPMs use a salt as long as the digest (Part 1 §B.7); AUTO also accepts the maximum.
      (pss && EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx.get(), RSA_PSS_SALTLEN_AUTO) != 1)) {
    return Status(reasons::kInternalError, "quote: " + OsslErrors());
  }
  if (EVP_PKEY_verify(ctx.get(), sig.rsa.data(), sig.rsa.size(), digest.data(), digest.size()) !=
      1) {
    OsslErrors();  // drop the queue: a bad signature is an expected outcome
    return Status(reasons::kTpmSignatureInvalid,
                  std::string("quote: ") + (pss ? "RSASSA-PSS" : "RSASSA-PKCS1-v1_5") + " " +
                      std::string(alg.name) + " signature does not verify with the AK");
  }
  return Status::Ok();
}

}  // namespace

Result<VerifiedQuote> VerifyQuote(ByteSpan attest, ByteSpan signature, const AkPublic& ak,
                                  std::optional<ByteSpan> nonce, const PcrBanks& pcrs) {
  ATTEST_ASSIGN_OR_RETURN(Quote quote, ParseQuote(attest));
  ATTEST_ASSIGN_OR_RETURN(Signature sig, ParseSignature(signature));
  if (!ak.key) {
    return Status(reasons::kTpmPublicMalformed, "quote: no attestation key");
  }
  ATTEST_RETURN_IF_ERROR(VerifySignature(sig, ak, attest));
  if (nonce &&
      (nonce->size() != quote.extra_data.size() || !ConstantTimeEquals(*nonce, quote.extra_data))) {
    return Status(reasons::kTpmNonceMismatch, "quote: extraData " + HexEncode(quote.extra_data) +
                                                  " is not the nonce " + HexEncode(*nonce));
  }
  // Part 3 §18.4: pcrDigest = H_sign(PCR values concatenated in TPML_PCR_SELECTION order).
  const HashAlg sign_alg = *FindHashAlg(sig.hash_alg);
  Bytes concat;
  PcrBanks quoted;
  for (const PcrSelection& sel : quote.pcr_select) {
    auto bank = pcrs.find(sel.hash);
    for (uint32_t pcr : sel.pcrs) {
      const Bytes* value = nullptr;
      if (bank != pcrs.end()) {
        if (auto it = bank->second.find(pcr); it != bank->second.end()) {
          value = &it->second;
        }
      }
      if (value == nullptr) {
        return Status(reasons::kTpmPcrMissing, "quote: selected PCR " + HashAlgName(sel.hash) +
                                                   ":" + std::to_string(pcr) +
                                                   " has no supplied value");
      }
      concat.insert(concat.end(), value->begin(), value->end());
      quoted[sel.hash][pcr] = *value;
    }
  }
  const Bytes digest = Digest(sign_alg, concat);
  if (!ConstantTimeEquals(digest, quote.pcr_digest)) {
    return Status(reasons::kTpmPcrDigestMismatch,
                  "quote: pcrDigest " + HexEncode(quote.pcr_digest) +
                      " does not match the supplied PCR values (" + HexEncode(digest) + ")");
  }
  return VerifiedQuote(std::move(quote), std::move(quoted), nonce.has_value());
}

Status CheckAkAttributes(const AkPublic& ak) {
  if (!ak.object_attributes) {
    return Status(reasons::kTpmAkAttributes,
                  "ak: attributes unknown (a PEM key cannot prove it is a TPM-resident AK)");
  }
  const uint32_t attrs = *ak.object_attributes;
  struct Bit {
    uint32_t mask;
    bool want;
    const char* name;
  };
  for (const Bit& b :
       {Bit{kAttrFixedTpm, true, "fixedTPM"}, Bit{kAttrFixedParent, true, "fixedParent"},
        Bit{kAttrSensitiveDataOrigin, true, "sensitiveDataOrigin"},
        Bit{kAttrRestricted, true, "restricted"}, Bit{kAttrSign, true, "sign"},
        Bit{kAttrDecrypt, false, "decrypt"}}) {
    if (((attrs & b.mask) != 0) != b.want) {
      return Status(reasons::kTpmAkAttributes, std::string("ak: objectAttributes ") + b.name +
                                                   (b.want ? " is clear" : " is set"));
    }
  }
  return Status::Ok();
}

Status CompareReplay(const PcrBanks& quoted, const PcrBanks& replayed, ReplayMode mode) {
  const Reason mismatch =
      mode == ReplayMode::kStatic ? reasons::kEventLogPcrMismatch : reasons::kTpmDrtmMismatch;
  bool any_bank = false;
  for (const auto& [alg_id, values] : quoted) {
    auto bank = replayed.find(alg_id);
    if (bank == replayed.end()) {
      continue;
    }
    const HashAlg alg = *FindHashAlg(alg_id);
    any_bank = true;
    for (const auto& [pcr, value] : values) {
      const bool in_scope = mode == ReplayMode::kStatic ? (pcr <= 7 || bank->second.count(pcr) != 0)
                                                        : (pcr >= 17 && pcr <= 22);
      if (!in_scope) {
        continue;
      }
      Bytes want(alg.size, 0);
      if (auto it = bank->second.find(pcr); it != bank->second.end()) {
        want = it->second;
      }
      if (!ConstantTimeEquals(want, value)) {
        return Status(mismatch, "PCR " + std::string(alg.name) + ":" + std::to_string(pcr) +
                                    " quoted " + HexEncode(value) + " but the " +
                                    (mode == ReplayMode::kStatic ? "event" : "DRTM") +
                                    " log replays to " + HexEncode(want));
      }
    }
  }
  if (!any_bank) {
    return Status(reasons::kEventLogBankMissing,
                  "no quoted PCR bank is present in the " +
                      std::string(mode == ReplayMode::kStatic ? "event" : "DRTM") + " log");
  }
  return Status::Ok();
}

}  // namespace attest::tpm
