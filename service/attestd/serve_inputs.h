// ServeInputs: everything `attestd serve` reads from the files its configuration names before it
// listens (trust roots, EK CAs, the token key, the TLS pair, the volume directory, the KEK file
// or PKCS#11 PIN file, the cryptsetup program), loaded one way for `serve` and for `attestd
// check-config`, which stops there.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "service/api/context.h"
#include "service/attestd/config.h"
#include "service/hosts/ek_trust.h"
#include "service/release/release.h"

namespace attest::service::attestd {

struct ServeInputs {
  std::unique_ptr<release::TrustAnchors> anchors;
  std::shared_ptr<const hosts::EkTrust> ek_trust;
  EvpPkeyPtr token_key;  // null when no token_key is configured (key release is off)
  // cryptsetup: the program volume images are formatted with, resolved once here (cryptsetup_path
  // or the first of keys::kCryptsetupLocations); "" when none is configured or found.
  std::string cryptsetup;
  // measurement_firmware: the snp/tdx_firmware_image files, read and checked against their
  // configured SHA-256 (POST /v1/measurements); null for those not configured.
  api::MeasurementFirmware measurement_firmware;
};

// LoadServeInputs loads what config names. Fails with the first file that does not load
// (api.config_invalid, x509.*, snp.unknown_product...), naming the setting. The KEK file and the
// PKCS#11 PIN file are checked with the rules that open them (keys.key_file_invalid,
// keys.pkcs11_pin_file_invalid, keys.pkcs11_pin_unavailable), without logging in to a token; a
// configured cryptsetup_path that is not an executable only its owner may write is
// keys.config_invalid.
Result<ServeInputs> LoadServeInputs(const Config& config);

// ServeWarnings lists what an operator must hear about a loaded configuration: test roots that
// replace the vendor roots, hosts allowed without an EK certificate, key release off, volume
// images without a cryptsetup to format them.
std::vector<std::string> ServeWarnings(const Config& config, const ServeInputs& inputs);

}  // namespace attest::service::attestd
