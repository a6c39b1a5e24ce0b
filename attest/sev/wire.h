// Legacy AMD SEV certificate formats (SEV API specification, AMD pub. 55766, appendix C).
//
// Two layouts exist:
//  - the AMD format (C.1), used only by the AMD Root Key (ARK) and AMD SEV Signing Key (ASK):
//    an RSA public key of 2048 or 4096 bits and an RSA-PSS signature by the ARK;
//  - the SEV format (C.2), used by the platform's CEK, OCA, PEK and PDH: a 0x414-byte body with an
//    ECDSA or ECDH public key, then two signature slots.
// Every integer and every big number is little-endian on the wire; this module stores big numbers
// big-endian (the way OpenSSL takes them) after reversing. Both parsers accept exactly one
// certificate and nothing else (no trailing bytes), enforce that reserved bytes are zero, and
// reject every algorithm this project does not verify (RSA keys in SEV-format certificates, curves
// other than P-384).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/sev/reasons.h"

namespace attest::sev {

// Key usage values (SEV API spec, appendix C: "key usage" field).
enum class Usage : uint32_t {
  kArk = 0x0000,
  kAsk = 0x0013,
  kInvalid = 0x1000,  // an empty signature slot
  kOca = 0x1001,
  kPek = 0x1002,
  kPdh = 0x1003,
  kCek = 0x1004,
};

// Algorithm values (SEV API spec, appendix C: "algorithm" fields).
enum class Algo : uint32_t {
  kNone = 0x0000,
  kRsaSha256 = 0x0001,
  kEcdsaSha256 = 0x0002,
  kEcdhSha256 = 0x0003,
  kRsaSha384 = 0x0101,
  kEcdsaSha384 = 0x0102,
  kEcdhSha384 = 0x0103,
};

// UsageName is "ARK", "ASK", "OCA", "PEK", "PDH", "CEK", "none" or "0x<hex>".
std::string_view UsageName(uint32_t usage);

inline constexpr size_t kSevCertSize = 2084;       // 0x824
inline constexpr size_t kSevCertBodySize = 0x414;  // the signed bytes
inline constexpr size_t kSevSigSize = 512;
inline constexpr size_t kEcCoordSize = 72;  // on the wire, little-endian, zero-padded
inline constexpr size_t kP384Size = 48;     // significant bytes of a P-384 coordinate
inline constexpr uint32_t kCurveP384 = 2;

// AmdCert is an ARK or ASK (SEV API spec C.1).
struct AmdCert {
  uint32_t version = 0;
  std::array<uint8_t, 16> key_id{};
  std::array<uint8_t, 16> certifying_id{};
  uint32_t key_usage = 0;
  uint32_t pubexp_bits = 0;
  uint32_t modulus_bits = 0;
  Bytes pubexp_be;     // big-endian
  Bytes modulus_be;    // big-endian
  Bytes signature_be;  // big-endian, modulus_bits / 8 bytes
  Bytes signed_bytes;  // everything before the signature, as on the wire
};

// ParseAmdCert parses one AMD-format certificate of exactly 64 + pubexp/8 + 2 * modulus/8 bytes.
// Fails with sev.cert_malformed (truncated, trailing bytes, reserved not zero),
// sev.unsupported_version (version != 1), sev.bad_usage (neither ARK nor ASK) or
// sev.unsupported_algorithm (key sizes other than 2048/4096 bits). The signature is not checked.
Result<AmdCert> ParseAmdCert(ByteSpan bytes);

// SevSignature is one of the two signature slots of an SEV-format certificate.
struct SevSignature {
  uint32_t usage = static_cast<uint32_t>(Usage::kInvalid);
  uint32_t algo = 0;
  std::array<uint8_t, kSevSigSize> sig{};  // as on the wire (little-endian)

  bool empty() const { return usage == static_cast<uint32_t>(Usage::kInvalid); }
};

// SevCert is a CEK, OCA, PEK or PDH (SEV API spec C.2) with a P-384 key.
struct SevCert {
  uint32_t version = 1;
  uint8_t api_major = 0;
  uint8_t api_minor = 0;
  uint32_t pubkey_usage = 0;
  uint32_t pubkey_algo = 0;
  uint32_t curve = kCurveP384;
  std::array<uint8_t, kP384Size> qx_be{};
  std::array<uint8_t, kP384Size> qy_be{};
  std::array<SevSignature, 2> sigs;
  Bytes signed_bytes;  // set by ParseSevCert: the first 0x414 bytes exactly as on the wire
};

// ParseSevCert parses one 2084-byte SEV-format certificate. Fails with sev.cert_malformed (size,
// reserved bytes, coordinate padding, empty slot with content), sev.unsupported_version,
// sev.bad_usage (key usage not OCA/PEK/PDH/CEK, or a slot usage that no signer has) or
// sev.unsupported_algorithm (RSA key, curve other than P-384, ECDH on a signing key or ECDSA on the
// PDH, unknown slot algorithm). Signatures are not checked and the point is not validated here:
// SevCertPublicKey does that.
Result<SevCert> ParseSevCert(ByteSpan bytes);

// SerializeSevCert encodes a certificate to its 2084 wire bytes (used for the guest owner's own
// dhCert and by tests); SevCertBody returns the first 0x414 bytes, the signed range.
Bytes SerializeSevCert(const SevCert& cert);
Bytes SevCertBody(const SevCert& cert);

}  // namespace attest::sev
