#include "render/snp_claims_json.h"

#include <cstdio>

#include "attest/core/encoding.h"

namespace attest::render {
namespace {

using snp::SigningKey;
using snp::SnpClaims;
using snp::SnpReport;
using snp::TcbClaim;

std::string Hex64(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

// LeHex prints the 8 bytes of a little-endian field in report order (as AMD tools show TCBs).
std::string LeHex(uint64_t value) {
  Bytes bytes(8);
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  }
  return HexEncode(bytes);
}

nlohmann::json TcbJson(const TcbClaim& tcb) {
  nlohmann::json out = {{"raw", LeHex(tcb.raw)}};
  if (tcb.parts) {
    out["bootloader"] = tcb.parts->bootloader;
    out["tee"] = tcb.parts->tee;
    out["snp"] = tcb.parts->snp;
    out["microcode"] = tcb.parts->microcode;
    if (tcb.parts->fmc) {
      out["fmc"] = *tcb.parts->fmc;
    }
  }
  return out;
}

std::string Version(uint8_t major, uint8_t minor, uint8_t build) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build);
}

}  // namespace

nlohmann::json ClaimsToJson(const SnpClaims& c) {
  const SnpReport& r = c.report;
  nlohmann::json out;
  out["verified"] = c.verified;
  out["product"] = c.product ? std::string(snp::ProductName(*c.product)) : "unknown";
  out["version"] = r.version;
  out["guest_svn"] = r.guest_svn;
  out["policy"] = {{"raw", Hex64(c.policy.raw)},
                   {"abi_major", c.policy.abi_major},
                   {"abi_minor", c.policy.abi_minor},
                   {"smt", c.policy.smt},
                   {"migrate_ma", c.policy.migrate_ma},
                   {"debug", c.policy.debug},
                   {"single_socket", c.policy.single_socket},
                   {"cxl_allow", c.policy.cxl_allow},
                   {"mem_aes_256_xts", c.policy.mem_aes_256_xts},
                   {"rapl_dis", c.policy.rapl_dis},
                   {"ciphertext_hiding", c.policy.ciphertext_hiding},
                   {"page_swap_disable", c.policy.page_swap_disable}};
  out["family_id"] = HexEncode(r.family_id);
  out["image_id"] = HexEncode(r.image_id);
  out["vmpl"] = r.vmpl;
  out["signature_algo"] = r.signature_algo;
  out["platform_info"] = {{"raw", Hex64(c.platform_info.raw)},
                          {"smt_en", c.platform_info.smt_en},
                          {"tsme_en", c.platform_info.tsme_en},
                          {"ecc_en", c.platform_info.ecc_en},
                          {"rapl_dis", c.platform_info.rapl_dis},
                          {"ciphertext_hiding_en", c.platform_info.ciphertext_hiding_en},
                          {"alias_check_complete", c.platform_info.alias_check_complete},
                          {"tio_en", c.platform_info.tio_en}};
  out["author_key_en"] = r.author_key_en;
  out["mask_chip_key"] = r.mask_chip_key;
  out["signing_key"] = r.signing_key == SigningKey::kVcek   ? "vcek"
                       : r.signing_key == SigningKey::kVlek ? "vlek"
                                                            : "none";
  out["report_data"] = HexEncode(r.report_data);
  out["measurement"] = HexEncode(r.measurement);
  out["host_data"] = HexEncode(r.host_data);
  out["id_key_digest"] = HexEncode(r.id_key_digest);
  out["author_key_digest"] = HexEncode(r.author_key_digest);
  out["report_id"] = HexEncode(r.report_id);
  out["report_id_ma"] = HexEncode(r.report_id_ma);
  out["chip_id"] = HexEncode(r.chip_id);
  if (r.has_cpuid) {
    out["cpuid"] = {
        {"family", r.cpuid_fam_id}, {"model", r.cpuid_mod_id}, {"stepping", r.cpuid_step}};
  }
  out["current_tcb"] = TcbJson(c.current_tcb);
  out["reported_tcb"] = TcbJson(c.reported_tcb);
  out["committed_tcb"] = TcbJson(c.committed_tcb);
  out["launch_tcb"] = TcbJson(c.launch_tcb);
  out["current_version"] = Version(r.current_major, r.current_minor, r.current_build);
  out["committed_version"] = Version(r.committed_major, r.committed_minor, r.committed_build);
  if (r.has_mit_vectors) {
    out["launch_mit_vector"] = Hex64(r.launch_mit_vector);
    out["current_mit_vector"] = Hex64(r.current_mit_vector);
  }
  return out;
}

}  // namespace attest::render
