#include "service/attestd/serve_inputs.h"

#include <filesystem>

#include "service/api/reasons.h"
#include "service/attestd/setup.h"
#include "service/server/tls_context.h"

namespace attest::service::attestd {

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
  return out;
}

}  // namespace attest::service::attestd
