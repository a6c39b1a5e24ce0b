#include "render/tpm_claims_json.h"

#include "attest/core/encoding.h"
#include "attest/tpm/pcr_json.h"

namespace attest::render {

namespace {
nlohmann::ordered_json HexList(const std::vector<Bytes>& list) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Bytes& b : list) {
    out.push_back(HexEncode(b));
  }
  return out;
}
}  // namespace

nlohmann::ordered_json ClaimsToJson(const tpm::QuoteClaims& c) {
  nlohmann::ordered_json out;
  out["nonce"] = HexEncode(c.nonce);
  out["nonce_checked"] = c.nonce_checked;
  out["clock"] = c.clock;
  out["reset_count"] = c.reset_count;
  out["restart_count"] = c.restart_count;
  out["safe"] = c.safe;
  out["firmware_version"] = c.firmware_version;
  out["qualified_signer"] = HexEncode(c.qualified_signer);
  out["pcrs"] = tpm::PcrBanksToJson(c.pcrs);
  return out;
}

nlohmann::ordered_json ClaimsToJson(const tpm::BootClaims& c) {
  nlohmann::ordered_json out;
  out["replayed_pcrs"] = tpm::PcrBanksToJson(c.replayed);
  out["digest_alg"] = c.digest_alg;
  if (c.scrtm_version) {
    out["scrtm_version"] = *c.scrtm_version;
  }
  out["firmware_blob_digests"] = HexList(c.firmware_blob_digests);
  if (c.secure_boot) {
    out["secure_boot"] = *c.secure_boot;
  }
  nlohmann::ordered_json vars = nlohmann::ordered_json::object();
  for (const auto& [name, digest] : c.secure_boot_variables) {
    vars[name] = HexEncode(digest);
  }
  out["secure_boot_variables"] = std::move(vars);
  out["boot_application_digests"] = HexList(c.boot_application_digests);
  if (c.kernel_cmdline) {
    out["kernel_cmdline"] = *c.kernel_cmdline;
  }
  out["efi_actions"] = c.efi_actions;
  out["separator_pcrs"] = c.separator_pcrs;
  out["separator_error"] = c.separator_error;
  out["num_events"] = c.num_events;
  out["num_opaque_events"] = c.num_opaque_events;
  out["num_unverified_data_events"] = c.num_unverified_data_events;
  return out;
}

nlohmann::ordered_json ClaimsToJson(const tpm::DrtmClaims& c) {
  nlohmann::ordered_json out;
  out["replayed_pcrs"] = tpm::PcrBanksToJson(c.replayed);
  out["digest_alg"] = c.digest_alg;
  if (c.sinit_digest) {
    out["sinit_digest"] = HexEncode(*c.sinit_digest);
  }
  if (c.mle_digest) {
    out["mle_digest"] = HexEncode(*c.mle_digest);
  }
  out["lcp_digests"] = HexList(c.lcp_digests);
  out["num_events"] = c.num_events;
  return out;
}

nlohmann::ordered_json ClaimsToJson(const tpm::HostClaims& c) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (c.quote) {
    out["quote"] = ClaimsToJson(*c.quote);
    out["quote"]["ak_attributes_checked"] = c.ak_attributes_checked;
  }
  if (c.boot) {
    out["eventlog"] = ClaimsToJson(*c.boot);
  }
  if (c.drtm) {
    out["drtm"] = ClaimsToJson(*c.drtm);
  }
  return out;
}

}  // namespace attest::render
