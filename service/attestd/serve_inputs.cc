#include "service/attestd/serve_inputs.h"

#include <filesystem>
#include <tuple>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"

#include "service/api/reasons.h"
#include "service/attestd/setup.h"
#include "service/keys/local_kek.h"
#include "service/keys/volume.h"
#include "service/server/tls_context.h"

namespace attest::service::attestd {

namespace {

// CheckKekFiles checks one KEK's key file or PIN file; where prefixes the setting's name.
Status CheckKekFiles(const KekSource& kek, const std::string& where) {
  if (kek.pkcs11) {
    if (Status s = keys::CheckPinSource(kek.pkcs11->pin_source); !s.ok()) {
      return s.WithContext(where + "kek_pkcs11_pin_file");
    }
  } else if (!kek.file.empty()) {
    if (auto file = keys::LocalKeyFileKek::FromKeyFile(kek.file); !file.ok()) {
      return file.status().WithContext(where + "kek_file");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ServeInputs> LoadServeInputs(const Config& config) {
  ServeInputs in;
  // Vendor roots, unless the configuration explicitly names test roots (which replace them).
  ATTEST_ASSIGN_OR_RETURN(release::TrustAnchorConfig roots, LoadTestRoots(config.test_roots));
  ATTEST_ASSIGN_OR_RETURN(in.anchors, release::TrustAnchors::Make(roots));
  // EK CAs: the vendor bundle compiled in, plus the operator's ek_ca_bundle.
  Result<std::shared_ptr<const hosts::EkTrust>> ek_trust =
      hosts::EkTrust::Load(config.api.ek_ca_bundle, config.api.allow_hosts_without_ek_cert);
  if (!ek_trust.ok()) {
    return Status(reasons::kApiConfig, "ek_ca_bundle: " + ek_trust.status().ToString());
  }
  in.ek_trust = std::move(ek_trust).value();
  if (!config.token_key.empty()) {
    ATTEST_ASSIGN_OR_RETURN(in.token_key, LoadTokenKey(config.token_key));
  }
  if (!config.api.volume_dir.empty() && !std::filesystem::is_directory(config.api.volume_dir)) {
    return Status(reasons::kApiConfig,
                  "volume_dir " + config.api.volume_dir + " is not a directory");
  }
  if (config.server.tls) {
    ATTEST_RETURN_IF_ERROR(
        server::TlsIdentity::Load(config.server.cert_chain_file, config.server.private_key_file)
            .status());
  }
  // The KEKs' files (the current one and previous_keks) with the rules that open them, so
  // check-config reports what serve would refuse; no token is logged in to.
  ATTEST_RETURN_IF_ERROR(CheckKekFiles(KekSource{"", config.kek_file, config.kek_pkcs11}, ""));
  for (size_t i = 0; i < config.previous_keks.size(); ++i) {
    ATTEST_RETURN_IF_ERROR(
        CheckKekFiles(config.previous_keks[i], "previous_keks[" + std::to_string(i) + "]."));
  }
  for (auto [name, image, out] :
       {std::tuple{"snp_firmware_image", &config.snp_firmware_image, &in.measurement_firmware.amd},
        std::tuple{"tdx_firmware_image", &config.tdx_firmware_image,
                   &in.measurement_firmware.tdx}}) {
    if (image->path.empty()) {
      continue;
    }
    Result<Bytes> bytes = ReadFileBytes(image->path);
    if (!bytes.ok()) {
      return bytes.status().WithContext(name);
    }
    const std::string digest = HexEncode(Sha256(*bytes));
    if (digest != image->sha256) {
      return Status(reasons::kApiConfig, std::string(name) + " " + image->path + ": SHA-256 " +
                                             digest + ", configured " + image->sha256);
    }
    *out = std::make_shared<const Bytes>(*std::move(bytes));
  }
  Result<std::string> cryptsetup = keys::ResolveCryptsetup(config.api.luks.cryptsetup);
  if (cryptsetup.ok()) {
    in.cryptsetup = *cryptsetup;
  } else if (!config.api.luks.cryptsetup.empty()) {
    return cryptsetup.status().WithContext("cryptsetup_path");
  }
  return in;
}

std::vector<std::string> ServeWarnings(const Config& config, const ServeInputs& inputs) {
  std::vector<std::string> out;
  if (inputs.anchors->uses_test_roots()) {
    out.push_back("WARNING: test_roots " + config.test_roots +
                  " REPLACES the AMD/Intel vendor roots for key release: evidence signed by a "
                  "test hierarchy is trusted. Never use this configuration in production.");
  }
  if (inputs.ek_trust->allow_hosts_without_ek_cert()) {
    out.push_back(
        "WARNING: allow_hosts_without_ek_cert is set: hosts may register without an EK "
        "certificate, and nothing then proves that their EK is a real TPM's. Never use this "
        "configuration in production.");
  }
  if (config.api.allow_test_libvirt_uris) {
    out.push_back(
        "WARNING: allow_test_libvirt_uris is set: hosts may be enrolled with libvirt's test "
        "driver (test:///...), which reads files on this machine. For tests only.");
  }
  if (inputs.token_key == nullptr) {
    out.push_back("no token_key configured: key release (POST /v1/attest) is off");
  }
  if (!config.api.volume_dir.empty() && inputs.cryptsetup.empty()) {
    out.push_back(
        "no cryptsetup found (cryptsetup_path unset, none at /usr/sbin, /sbin, /usr/bin, /bin): "
        "volumes with an image (size_bytes > 0) will fail with keys.cryptsetup_not_found");
  }
  return out;
}

}  // namespace attest::service::attestd
