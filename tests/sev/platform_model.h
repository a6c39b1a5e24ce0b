// SevPlatformModel: a software model of the AMD secure processor's side of a legacy SEV launch,
// for tests only. It owns a whole test hierarchy in the real wire formats (an RSA-2048 "ARK" and
// "ASK" in the AMD format, CEK, OCA, PEK and PDH as P-384 SEV-format certificates), answers
// LAUNCH_START with the guest owner's dhCert and session blob (ECDH with its PDH private key, KDF,
// check WRAP_MAC, unwrap TEK/TIK, check POLICY_MAC), computes LAUNCH_MEASURE over the launch
// digest, and accepts LAUNCH_SECRET (check the header MAC with TIK, decrypt with TEK). Nothing here
// is used by production code: it exists so that the owner side round-trips without hardware.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/sev/session.h"
#include "attest/sev/wire.h"

namespace attest::testing {

// TestAmdCert builds and RSA-PSS-signs an AMD-format certificate (tests only).
Bytes MakeAmdCert(EVP_PKEY* subject, uint32_t usage, const std::array<uint8_t, 16>& key_id,
                  const std::array<uint8_t, 16>& certifying_id, EVP_PKEY* signer);

// MakeSevCert builds an SEV-format certificate for subject's P-384 key; each signer fills one slot
// (an EC signer with its usage and ECDSA-SHA256, an RSA signer as ASK with RSA-PSS).
struct SevSigner {
  EVP_PKEY* key;
  uint32_t usage;
};
Bytes MakeSevCert(EVP_PKEY* subject, uint32_t usage, uint32_t algo,
                  std::initializer_list<SevSigner> signers, uint8_t api_major = 0,
                  uint8_t api_minor = 22);

class SevPlatformModel {
 public:
  // Create makes a fresh hierarchy; api version and build are what LAUNCH_MEASURE reports.
  static SevPlatformModel Create(uint8_t api_major = 0, uint8_t api_minor = 24, uint8_t build = 15);

  const Bytes& ark() const { return ark_; }
  const Bytes& ask() const { return ask_; }
  const Bytes& cek() const { return cek_; }
  const Bytes& oca() const { return oca_; }
  const Bytes& pek() const { return pek_; }
  const Bytes& pdh() const { return pdh_; }

  // LaunchStart does the firmware's checks; fails with sev.session_malformed, sev.cert_malformed,
  // sev.mac_invalid (WRAP_MAC or POLICY_MAC).
  Status LaunchStart(ByteSpan dh_cert, ByteSpan session, uint32_t policy);

  // LaunchMeasure returns MEASURE || MNONCE (libvirt's sev-measurement) over launch_digest, with a
  // fresh MNONCE. Requires a successful LaunchStart.
  Result<Bytes> LaunchMeasure(const Sha256Digest& launch_digest);

  // LaunchSecret checks the header MAC against the last MEASURE and returns the decrypted table.
  // Fails with sev.mac_invalid or sev.session_malformed (header size).
  Result<Bytes> LaunchSecret(ByteSpan header, ByteSpan ciphertext);

  const sev::TransportKeys& unwrapped_keys() const { return keys_; }

 private:
  SevPlatformModel() = default;
  uint8_t api_major_ = 0;
  uint8_t api_minor_ = 0;
  uint8_t build_ = 0;
  EvpPkeyPtr pdh_key_;
  Bytes ark_, ask_, cek_, oca_, pek_, pdh_;
  bool started_ = false;
  uint32_t policy_ = 0;
  sev::TransportKeys keys_;
  std::optional<Sha256Digest> measure_;
};

}  // namespace attest::testing
