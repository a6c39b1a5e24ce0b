// Layouts: SEV API specification (AMD pub. 55766), appendix C.1 (AMD-format ARK/ASK) and C.2
// (SEV-format certificates with their ECC public key and signature structures).
#include "attest/sev/wire.h"

#include <algorithm>
#include <string>

#include "attest/core/byte_reader.h"
#include "attest/core/encoding.h"

namespace attest::sev {
namespace {

constexpr size_t kAmdHeaderSize = 64;
constexpr size_t kSevKeySize = 1028;  // PUBKEY field of the SEV-format body

std::string Hex32(uint32_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  bool started = false;
  for (int shift = 28; shift >= 0; shift -= 4) {
    const uint32_t nibble = (v >> shift) & 0xf;
    if (nibble != 0 || started || shift == 0) {
      out.push_back(kDigits[nibble]);
      started = true;
    }
  }
  return out;
}

Bytes Reversed(ByteSpan in) { return Bytes(in.rbegin(), in.rend()); }

bool IsEcdsa(uint32_t algo) {
  return algo == static_cast<uint32_t>(Algo::kEcdsaSha256) ||
         algo == static_cast<uint32_t>(Algo::kEcdsaSha384);
}
bool IsEcdh(uint32_t algo) {
  return algo == static_cast<uint32_t>(Algo::kEcdhSha256) ||
         algo == static_cast<uint32_t>(Algo::kEcdhSha384);
}
bool IsRsa(uint32_t algo) {
  return algo == static_cast<uint32_t>(Algo::kRsaSha256) ||
         algo == static_cast<uint32_t>(Algo::kRsaSha384);
}

// A slot's usage names its signer: an SEV-format key or the ASK (which signs the CEK).
bool IsSignerUsage(uint32_t usage) {
  switch (static_cast<Usage>(usage)) {
    case Usage::kAsk:
    case Usage::kOca:
    case Usage::kPek:
    case Usage::kCek:
      return true;
    default:
      return false;
  }
}

Result<SevSignature> ParseSlot(ByteReader& r, int index) {
  const std::string field = "sig" + std::to_string(index + 1);
  SevSignature slot;
  ATTEST_ASSIGN_OR_RETURN(slot.usage, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(slot.algo, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(ByteReader sig, r.SubReader(kSevSigSize));
  ByteReader copy = sig;
  ATTEST_ASSIGN_OR_RETURN(slot.sig, copy.ReadArray<kSevSigSize>());
  if (slot.empty()) {
    if (slot.algo != 0 || !IsAllZero(slot.sig)) {
      return Status(
          reasons::kSevCertMalformed,
          "sev cert: " + field + " is empty (usage 0x1000) but has an algorithm or bytes");
    }
    return slot;
  }
  if (!IsSignerUsage(slot.usage)) {
    return Status(reasons::kSevBadUsage,
                  "sev cert: " + field + " usage " + Hex32(slot.usage) + " is not a signer");
  }
  if (IsEcdsa(slot.algo)) {
    // r[72] s[72] little-endian then reserved up to 512; P-384 uses 48 bytes of each.
    for (int part = 0; part < 2; ++part) {
      ATTEST_RETURN_IF_ERROR(sig.Skip(kP384Size));
      ATTEST_RETURN_IF_ERROR(sig.SkipZeros(kEcCoordSize - kP384Size, field + " ecdsa padding"));
    }
    ATTEST_RETURN_IF_ERROR(sig.SkipZeros(sig.remaining(), field + " reserved"));
  } else if (!IsRsa(slot.algo)) {
    return Status(reasons::kSevUnsupportedAlgorithm,
                  "sev cert: " + field + " algorithm " + Hex32(slot.algo) + " unknown");
  }
  return slot;
}

}  // namespace

std::string_view UsageName(uint32_t usage) {
  switch (static_cast<Usage>(usage)) {
    case Usage::kArk:
      return "ARK";
    case Usage::kAsk:
      return "ASK";
    case Usage::kInvalid:
      return "none";
    case Usage::kOca:
      return "OCA";
    case Usage::kPek:
      return "PEK";
    case Usage::kPdh:
      return "PDH";
    case Usage::kCek:
      return "CEK";
  }
  return "unknown";
}

Result<AmdCert> ParseAmdCert(ByteSpan bytes) {
  ByteReader r(bytes, reasons::kSevCertMalformed, "amd cert");
  AmdCert cert;
  ATTEST_ASSIGN_OR_RETURN(cert.version, r.ReadU32Le());
  if (cert.version != 1) {
    return Status(reasons::kSevUnsupportedVersion,
                  "amd cert: version " + std::to_string(cert.version) + ", want 1");
  }
  ATTEST_ASSIGN_OR_RETURN(cert.key_id, r.ReadArray<16>());
  ATTEST_ASSIGN_OR_RETURN(cert.certifying_id, r.ReadArray<16>());
  ATTEST_ASSIGN_OR_RETURN(cert.key_usage, r.ReadU32Le());
  if (cert.key_usage != static_cast<uint32_t>(Usage::kArk) &&
      cert.key_usage != static_cast<uint32_t>(Usage::kAsk)) {
    return Status(reasons::kSevBadUsage,
                  "amd cert: key usage " + Hex32(cert.key_usage) + ", want ARK 0x0 or ASK 0x13");
  }
  ATTEST_RETURN_IF_ERROR(r.SkipZeros(16, "reserved 0x28..0x38"));
  ATTEST_ASSIGN_OR_RETURN(cert.pubexp_bits, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(cert.modulus_bits, r.ReadU32Le());
  for (uint32_t bits : {cert.pubexp_bits, cert.modulus_bits}) {
    if (bits != 2048 && bits != 4096) {
      return Status(reasons::kSevUnsupportedAlgorithm,
                    "amd cert: key field of " + std::to_string(bits) + " bits, want 2048 or 4096");
    }
  }
  // Sizes are capped above, so this is at most 64 + 3 * 512 bytes: check it before reading.
  const size_t want = kAmdHeaderSize + cert.pubexp_bits / 8 + size_t{2} * (cert.modulus_bits / 8);
  if (bytes.size() != want) {
    return Status(reasons::kSevCertMalformed, "amd cert: " + std::to_string(bytes.size()) +
                                                  " bytes, want " + std::to_string(want) +
                                                  " for its key sizes");
  }
  ATTEST_ASSIGN_OR_RETURN(auto pubexp, r.ReadBytes(cert.pubexp_bits / 8));
  ATTEST_ASSIGN_OR_RETURN(auto modulus, r.ReadBytes(cert.modulus_bits / 8));
  cert.signed_bytes.assign(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(r.offset()));
  ATTEST_ASSIGN_OR_RETURN(auto signature, r.ReadBytes(cert.modulus_bits / 8));
  ATTEST_RETURN_IF_ERROR(r.ExpectEnd());
  cert.pubexp_be = Reversed(pubexp);
  cert.modulus_be = Reversed(modulus);
  cert.signature_be = Reversed(signature);
  return cert;
}

Result<SevCert> ParseSevCert(ByteSpan bytes) {
  if (bytes.size() != kSevCertSize) {
    return Status(reasons::kSevCertMalformed, "sev cert: " + std::to_string(bytes.size()) +
                                                  " bytes, want " + std::to_string(kSevCertSize));
  }
  ByteReader r(bytes, reasons::kSevCertMalformed, "sev cert");
  SevCert cert;
  ATTEST_ASSIGN_OR_RETURN(cert.version, r.ReadU32Le());
  if (cert.version != 1) {
    return Status(reasons::kSevUnsupportedVersion,
                  "sev cert: version " + std::to_string(cert.version) + ", want 1");
  }
  ATTEST_ASSIGN_OR_RETURN(cert.api_major, r.ReadU8());
  ATTEST_ASSIGN_OR_RETURN(cert.api_minor, r.ReadU8());
  ATTEST_RETURN_IF_ERROR(r.SkipZeros(2, "reserved 0x6..0x8"));
  ATTEST_ASSIGN_OR_RETURN(cert.pubkey_usage, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(cert.pubkey_algo, r.ReadU32Le());
  switch (static_cast<Usage>(cert.pubkey_usage)) {
    case Usage::kOca:
    case Usage::kPek:
    case Usage::kCek:
      if (!IsEcdsa(cert.pubkey_algo)) {
        return Status(reasons::kSevUnsupportedAlgorithm,
                      "sev cert: " + std::string(UsageName(cert.pubkey_usage)) + " algorithm " +
                          Hex32(cert.pubkey_algo) + ", want ECDSA (0x2 or 0x102)");
      }
      break;
    case Usage::kPdh:
      if (!IsEcdh(cert.pubkey_algo)) {
        return Status(
            reasons::kSevUnsupportedAlgorithm,
            "sev cert: PDH algorithm " + Hex32(cert.pubkey_algo) + ", want ECDH (0x3 or 0x103)");
      }
      break;
    default:
      return Status(reasons::kSevBadUsage, "sev cert: key usage " + Hex32(cert.pubkey_usage) +
                                               ", want OCA, PEK, PDH or CEK");
  }
  ATTEST_ASSIGN_OR_RETURN(ByteReader key, r.SubReader(kSevKeySize));
  ATTEST_ASSIGN_OR_RETURN(cert.curve, key.ReadU32Le());
  if (cert.curve != kCurveP384) {
    return Status(reasons::kSevUnsupportedAlgorithm,
                  "sev cert: curve " + std::to_string(cert.curve) + ", want 2 (P-384)");
  }
  ATTEST_ASSIGN_OR_RETURN(auto qx, key.ReadBytes(kP384Size));
  ATTEST_RETURN_IF_ERROR(key.SkipZeros(kEcCoordSize - kP384Size, "qx padding"));
  ATTEST_ASSIGN_OR_RETURN(auto qy, key.ReadBytes(kP384Size));
  ATTEST_RETURN_IF_ERROR(key.SkipZeros(kEcCoordSize - kP384Size, "qy padding"));
  ATTEST_RETURN_IF_ERROR(key.SkipZeros(key.remaining(), "pubkey reserved"));
  std::reverse_copy(qx.begin(), qx.end(), cert.qx_be.begin());
  std::reverse_copy(qy.begin(), qy.end(), cert.qy_be.begin());
  cert.signed_bytes.assign(bytes.begin(), bytes.begin() + kSevCertBodySize);
  for (int i = 0; i < 2; ++i) {
    ATTEST_ASSIGN_OR_RETURN(cert.sigs[i], ParseSlot(r, i));
  }
  ATTEST_RETURN_IF_ERROR(r.ExpectEnd());
  return cert;
}

namespace {

void PutU32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

void PutCoord(Bytes& out, const std::array<uint8_t, kP384Size>& be) {
  out.insert(out.end(), be.rbegin(), be.rend());
  out.insert(out.end(), kEcCoordSize - kP384Size, 0);
}

}  // namespace

Bytes SevCertBody(const SevCert& cert) {
  Bytes out;
  out.reserve(kSevCertSize);
  PutU32(out, cert.version);
  out.push_back(cert.api_major);
  out.push_back(cert.api_minor);
  out.insert(out.end(), 2, 0);
  PutU32(out, cert.pubkey_usage);
  PutU32(out, cert.pubkey_algo);
  PutU32(out, cert.curve);
  PutCoord(out, cert.qx_be);
  PutCoord(out, cert.qy_be);
  out.resize(kSevCertBodySize, 0);
  return out;
}

Bytes SerializeSevCert(const SevCert& cert) {
  Bytes out = SevCertBody(cert);
  for (const SevSignature& slot : cert.sigs) {
    PutU32(out, slot.usage);
    PutU32(out, slot.algo);
    out.insert(out.end(), slot.sig.begin(), slot.sig.end());
  }
  return out;
}

}  // namespace attest::sev
