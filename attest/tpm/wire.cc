#include "attest/tpm/wire.h"

#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>
#include <string>

#include "attest/core/byte_reader.h"
#include "attest/core/encoding.h"
#include "attest/core/json.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/mu.h"

namespace attest::tpm {
namespace {

Bytes FromBuffer(const uint8_t* data, size_t size) { return Bytes(data, data + size); }

std::vector<PcrSelection> FromTpml(const TPML_PCR_SELECTION& list) {
  std::vector<PcrSelection> out;
  for (uint32_t i = 0; i < list.count; ++i) {
    const TPMS_PCR_SELECTION& s = list.pcrSelections[i];
    PcrSelection sel;
    sel.hash = s.hash;
    for (uint32_t byte = 0; byte < s.sizeofSelect; ++byte) {
      for (uint32_t bit = 0; bit < 8; ++bit) {
        if (s.pcrSelect[byte] & (1u << bit)) {
          sel.pcrs.push_back(byte * 8 + bit);
        }
      }
    }
    out.push_back(std::move(sel));
  }
  return out;
}

// KeyFromParams builds a public key of OpenSSL type ("RSA", "EC") from the components in bld,
// which it frees. Fails with kTpmPublicMalformed when OpenSSL rejects them.
Result<EvpPkeyPtr> KeyFromParams(const char* type, OSSL_PARAM_BLD* bld) {
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
  OSSL_PARAM_BLD_free(bld);
  if (params == nullptr) {
    return Status(reasons::kTpmPublicMalformed, "tpm public: " + OsslErrors());
  }
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* pkey = nullptr;
  const bool ok = ctx && EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                  EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
  OSSL_PARAM_free(params);
  if (!ok) {
    return Status(reasons::kTpmPublicMalformed,
                  std::string("tpm public: bad ") + type + " key: " + OsslErrors());
  }
  return EvpPkeyPtr(pkey);
}

Result<EvpPkeyPtr> RsaKey(const TPMT_PUBLIC& pub) {
  const TPM2B_PUBLIC_KEY_RSA& n = pub.unique.rsa;
  if (n.size == 0) {
    return Status(reasons::kTpmPublicMalformed, "tpm public: empty RSA modulus");
  }
  if (pub.parameters.rsaDetail.keyBits != n.size * 8) {
    return Status(reasons::kTpmPublicMalformed,
                  "tpm public: keyBits " + std::to_string(pub.parameters.rsaDetail.keyBits) +
                      " but modulus has " + std::to_string(n.size) + " bytes");
  }
  // Part 2 table 186: an exponent of zero means the default 2^16 + 1.
  const uint32_t exponent =
      pub.parameters.rsaDetail.exponent == 0 ? 65537 : pub.parameters.rsaDetail.exponent;
  BignumPtr bn_n(BN_bin2bn(n.buffer, n.size, nullptr));
  BignumPtr bn_e(BN_new());
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (!bn_n || !bn_e || bld == nullptr || BN_set_word(bn_e.get(), exponent) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    OSSL_PARAM_BLD_free(bld);
    return Status(reasons::kInternalError, "tpm public: " + OsslErrors());
  }
  return KeyFromParams("RSA", bld);
}

Result<EvpPkeyPtr> EccKey(const TPMT_PUBLIC& pub) {
  const char* group = nullptr;
  size_t field = 0;
  switch (pub.parameters.eccDetail.curveID) {
    case TPM2_ECC_NIST_P256:
      group = "P-256";
      field = 32;
      break;
    case TPM2_ECC_NIST_P384:
      group = "P-384";
      field = 48;
      break;
    default:
      return Status(reasons::kTpmUnsupportedAlgorithm,
                    "tpm public: ECC curve " + std::to_string(pub.parameters.eccDetail.curveID) +
                        " (want NIST P-256 or P-384)");
  }
  const TPMS_ECC_POINT& p = pub.unique.ecc;
  if (p.x.size > field || p.y.size > field) {
    return Status(reasons::kTpmPublicMalformed, "tpm public: ECC point coordinate too long");
  }
  // Uncompressed SEC1 point: 04 || x || y, each left-padded to the field size.
  Bytes point(1 + 2 * field, 0);
  point[0] = 0x04;
  std::copy(p.x.buffer, p.x.buffer + p.x.size, point.begin() + 1 + field - p.x.size);
  std::copy(p.y.buffer, p.y.buffer + p.y.size, point.begin() + 1 + 2 * field - p.y.size);
  OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
  if (bld == nullptr ||
      OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) !=
          1) {
    OSSL_PARAM_BLD_free(bld);
    return Status(reasons::kInternalError, "tpm public: " + OsslErrors());
  }
  return KeyFromParams("EC", bld);
}

Result<EvpPkeyPtr> ParsePem(ByteSpan bytes) {
  BioPtr bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr) {
    return Status(reasons::kTpmPublicMalformed, "ak: not a PEM public key: " + OsslErrors());
  }
  EvpPkeyPtr owned(key);
  const int id = EVP_PKEY_get_base_id(key);
  if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC) {
    return Status(reasons::kTpmUnsupportedAlgorithm, "ak: PEM key is neither RSA nor EC");
  }
  return owned;
}

Status PcrsError(const std::string& message) {
  return Status(reasons::kTpmPcrsMalformed, "pcr values: " + message);
}

// ParseToolsSerialized reads tpm2-tools' "serialized" PCR file (lib/pcr.c pcr_fwrite_serialized):
// the in-memory TPML_PCR_SELECTION (132 bytes on every ABI tss2 supports), a UINT32 count, then
// count in-memory TPML_DIGEST (532 bytes), all little-endian.
Result<PcrBanks> ParseToolsSerialized(ByteSpan bytes) {
  static_assert(sizeof(TPML_PCR_SELECTION) == 132 && sizeof(TPMS_PCR_SELECTION) == 8);
  static_assert(sizeof(TPML_DIGEST) == 532 && sizeof(TPM2B_DIGEST) == 66);
  ByteReader r(bytes, reasons::kTpmPcrsMalformed, "tpm2-tools pcr file");
  ATTEST_ASSIGN_OR_RETURN(uint32_t num_sel, r.ReadU32Le());
  if (num_sel > TPM2_NUM_PCR_BANKS) {
    return PcrsError("selection count " + std::to_string(num_sel));
  }
  std::vector<PcrSelection> selection;
  for (uint32_t i = 0; i < TPM2_NUM_PCR_BANKS; ++i) {
    ATTEST_ASSIGN_OR_RETURN(uint16_t hash, r.ReadU16Le());
    ATTEST_ASSIGN_OR_RETURN(uint8_t size_of_select, r.ReadU8());
    ATTEST_ASSIGN_OR_RETURN(ByteSpan select, r.ReadBytes(TPM2_PCR_SELECT_MAX));
    ATTEST_RETURN_IF_ERROR(r.Skip(1));  // struct padding
    if (i >= num_sel) {
      continue;
    }
    if (size_of_select > TPM2_PCR_SELECT_MAX) {
      return PcrsError("sizeofSelect too large");
    }
    PcrSelection sel{hash, {}};
    for (uint32_t byte = 0; byte < size_of_select; ++byte) {
      for (uint32_t bit = 0; bit < 8; ++bit) {
        if (select[byte] & (1u << bit)) {
          sel.pcrs.push_back(byte * 8 + bit);
        }
      }
    }
    selection.push_back(std::move(sel));
  }
  ATTEST_ASSIGN_OR_RETURN(uint32_t num_lists, r.ReadU32Le());
  if (num_lists > 64) {
    return PcrsError("digest list count " + std::to_string(num_lists));
  }
  std::vector<Bytes> values;
  for (uint32_t i = 0; i < num_lists; ++i) {
    ATTEST_ASSIGN_OR_RETURN(uint32_t count, r.ReadU32Le());
    if (count > 8) {
      return PcrsError("TPML_DIGEST count " + std::to_string(count));
    }
    for (uint32_t j = 0; j < 8; ++j) {
      ATTEST_ASSIGN_OR_RETURN(uint16_t size, r.ReadU16Le());
      ATTEST_ASSIGN_OR_RETURN(ByteSpan buffer, r.ReadBytes(sizeof(TPMU_HA)));
      if (j >= count) {
        continue;
      }
      if (size > sizeof(TPMU_HA)) {
        return PcrsError("digest size " + std::to_string(size));
      }
      values.emplace_back(buffer.begin(), buffer.begin() + size);
    }
  }
  ATTEST_RETURN_IF_ERROR(r.ExpectEnd());
  PcrBanks out;
  size_t next = 0;
  for (const PcrSelection& sel : selection) {
    auto alg = FindHashAlg(sel.hash);
    if (!alg) {
      return PcrsError("unsupported bank " + HashAlgName(sel.hash));
    }
    for (uint32_t pcr : sel.pcrs) {
      if (next >= values.size()) {
        return PcrsError("fewer values than selected PCRs");
      }
      if (values[next].size() != alg->size) {
        return PcrsError(std::string(alg->name) + " PCR " + std::to_string(pcr) + " value has " +
                         std::to_string(values[next].size()) + " bytes");
      }
      out[sel.hash][pcr] = std::move(values[next++]);
    }
  }
  if (next != values.size()) {
    return PcrsError("more values than selected PCRs");
  }
  return out;
}

Status AddJsonBank(const nlohmann::json& pcrs, std::optional<HashAlg> alg, PcrBanks& out) {
  if (!pcrs.is_object()) {
    return PcrsError("bank is not an object");
  }
  for (auto& [key, value] : pcrs.items()) {
    if (key.empty() || key.size() > 2 || key.find_first_not_of("0123456789") != std::string::npos) {
      return PcrsError("PCR index \"" + key + "\"");
    }
    const uint32_t index = static_cast<uint32_t>(std::stoul(key));
    if (index > kMaxPcrIndex || !value.is_string()) {
      return PcrsError("PCR " + key);
    }
    std::string text = value.get<std::string>();
    if (text.rfind("0x", 0) == 0) {
      text = text.substr(2);
    }
    auto digest = HexDecode(text);
    if (!digest.ok()) {
      return PcrsError("PCR " + key + ": " + digest.status().message());
    }
    std::optional<HashAlg> bank = alg;
    if (!bank) {
      for (uint16_t id : {kAlgSha1, kAlgSha256, kAlgSha384, kAlgSha512}) {
        if (FindHashAlg(id)->size == digest->size()) {
          bank = FindHashAlg(id);
        }
      }
    }
    if (!bank || bank->size != digest->size()) {
      return PcrsError("PCR " + key + ": value of " + std::to_string(digest->size()) + " bytes");
    }
    out[bank->id][index] = std::move(digest).value();
  }
  return Status::Ok();
}

}  // namespace

Result<PcrBanks> PcrValuesFromJson(const nlohmann::json& doc) {
  if (!doc.is_object()) {
    return PcrsError("not a JSON object");
  }
  PcrBanks out;
  if (doc.contains("banks")) {
    if (!doc["banks"].is_object()) {
      return PcrsError("\"banks\" is not an object");
    }
    for (auto& [name, pcrs] : doc["banks"].items()) {
      auto alg = FindHashAlgByName(name);
      if (!alg) {
        return PcrsError("unknown bank \"" + name + "\"");
      }
      ATTEST_RETURN_IF_ERROR(AddJsonBank(pcrs, alg, out));
    }
  } else {
    ATTEST_RETURN_IF_ERROR(AddJsonBank(doc, std::nullopt, out));
  }
  return out;
}

namespace {

// ParseJsonPcrs reads the JSON forms with the project's strict reader (a repeated key is refused).
Result<PcrBanks> ParseJsonPcrs(ByteSpan bytes) {
  Result<nlohmann::json> doc =
      ReadJson(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
               reasons::kTpmPcrsMalformed);
  if (!doc.ok()) {
    return PcrsError("not a JSON object");
  }
  return PcrValuesFromJson(*doc);
}

}  // namespace

Result<Quote> ParseQuote(ByteSpan attest) {
  ATTEST_ASSIGN_OR_RETURN(TPMS_ATTEST a,
                          Unmarshal<TPMS_ATTEST>(Tss2_MU_TPMS_ATTEST_Unmarshal, attest,
                                                 reasons::kTpmAttestMalformed, "tpms_attest"));
  if (a.magic != TPM2_GENERATED_VALUE) {
    return Status(reasons::kTpmBadMagic,
                  "tpms_attest: magic " + HexEncode(ByteSpan(attest.first(4))) + ", want ff544347");
  }
  if (a.type != TPM2_ST_ATTEST_QUOTE) {
    return Status(reasons::kTpmNotAQuote, "tpms_attest: type 0x" +
                                              HexEncode(ByteSpan(attest.subspan(4, 2))) +
                                              ", want 8018 (TPM_ST_ATTEST_QUOTE)");
  }
  Quote q;
  q.attest.assign(attest.begin(), attest.end());
  q.qualified_signer = FromBuffer(a.qualifiedSigner.name, a.qualifiedSigner.size);
  q.extra_data = FromBuffer(a.extraData.buffer, a.extraData.size);
  q.clock = a.clockInfo.clock;
  q.reset_count = a.clockInfo.resetCount;
  q.restart_count = a.clockInfo.restartCount;
  q.safe = a.clockInfo.safe != 0;
  q.firmware_version = a.firmwareVersion;
  q.pcr_select = FromTpml(a.attested.quote.pcrSelect);
  q.pcr_digest = FromBuffer(a.attested.quote.pcrDigest.buffer, a.attested.quote.pcrDigest.size);
  return q;
}

Result<Signature> ParseSignature(ByteSpan bytes) {
  ATTEST_ASSIGN_OR_RETURN(TPMT_SIGNATURE s, Unmarshal<TPMT_SIGNATURE>(
                                                Tss2_MU_TPMT_SIGNATURE_Unmarshal, bytes,
                                                reasons::kTpmSignatureMalformed, "tpmt_signature"));
  Signature out;
  out.sig_alg = s.sigAlg;
  switch (s.sigAlg) {
    case TPM2_ALG_RSASSA:
    case TPM2_ALG_RSAPSS:
      out.hash_alg = s.signature.rsassa.hash;
      out.rsa = FromBuffer(s.signature.rsassa.sig.buffer, s.signature.rsassa.sig.size);
      break;
    case TPM2_ALG_ECDSA:
      out.hash_alg = s.signature.ecdsa.hash;
      out.ecdsa_r =
          FromBuffer(s.signature.ecdsa.signatureR.buffer, s.signature.ecdsa.signatureR.size);
      out.ecdsa_s =
          FromBuffer(s.signature.ecdsa.signatureS.buffer, s.signature.ecdsa.signatureS.size);
      break;
    default:
      return Status(reasons::kTpmUnsupportedAlgorithm, "tpmt_signature: scheme 0x" +
                                                           HexEncode(bytes.first(2)) +
                                                           " (want RSASSA, RSAPSS or ECDSA)");
  }
  if (!FindHashAlg(out.hash_alg)) {
    return Status(reasons::kTpmUnsupportedAlgorithm,
                  "tpmt_signature: hash " + HashAlgName(out.hash_alg));
  }
  return out;
}

Result<AkPublic> ParsePublicArea(ByteSpan tpmt_public) {
  ATTEST_ASSIGN_OR_RETURN(TPMT_PUBLIC pub,
                          Unmarshal<TPMT_PUBLIC>(Tss2_MU_TPMT_PUBLIC_Unmarshal, tpmt_public,
                                                 reasons::kTpmPublicMalformed, "tpmt_public"));
  AkPublic out;
  switch (pub.type) {
    case TPM2_ALG_RSA: {
      ATTEST_ASSIGN_OR_RETURN(out.key, RsaKey(pub));
      break;
    }
    case TPM2_ALG_ECC: {
      ATTEST_ASSIGN_OR_RETURN(out.key, EccKey(pub));
      break;
    }
    default:
      return Status(reasons::kTpmUnsupportedAlgorithm,
                    "tpmt_public: type " + HashAlgName(pub.type) + " (want RSA or ECC)");
  }
  out.object_attributes = pub.objectAttributes;
  // Part 1 §16: Name = nameAlg || H_nameAlg(marshalled TPMT_PUBLIC); the input bytes are exactly
  // that marshalled form (Unmarshal consumed all of them).
  auto name_alg = FindHashAlg(pub.nameAlg);
  if (!name_alg) {
    return Status(reasons::kTpmUnsupportedAlgorithm,
                  "tpmt_public: nameAlg " + HashAlgName(pub.nameAlg));
  }
  Bytes name = {static_cast<uint8_t>(pub.nameAlg >> 8), static_cast<uint8_t>(pub.nameAlg)};
  const Bytes digest = Digest(*name_alg, tpmt_public);
  name.insert(name.end(), digest.begin(), digest.end());
  out.name = std::move(name);
  return out;
}

Result<AkPublic> ParsePublicKey(ByteSpan bytes) {
  constexpr std::string_view kPem = "-----BEGIN";
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (text.find(kPem) != std::string_view::npos) {
    AkPublic out;
    ATTEST_ASSIGN_OR_RETURN(out.key, ParsePem(bytes));
    return out;
  }
  // TPM2B_PUBLIC = UINT16 size || TPMT_PUBLIC; a bare TPMT_PUBLIC starts with its type (RSA 0x0001,
  // ECC 0x0023), which can never equal the remaining length of a real key.
  if (bytes.size() >= 2 && static_cast<size_t>((bytes[0] << 8) | bytes[1]) == bytes.size() - 2) {
    return ParsePublicArea(bytes.subspan(2));
  }
  return ParsePublicArea(bytes);
}

Result<PcrBanks> ParsePcrValues(ByteSpan bytes) {
  size_t first = 0;
  while (first < bytes.size() && std::isspace(bytes[first])) {
    ++first;
  }
  if (first < bytes.size() && bytes[first] == '{') {
    return ParseJsonPcrs(bytes);
  }
  return ParseToolsSerialized(bytes);
}

}  // namespace attest::tpm
