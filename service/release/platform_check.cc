#include "service/release/platform_check.h"

#include <algorithm>

namespace attest::service::release {
namespace {

Status Mismatch(const std::string& why) {
  return Status(reasons::kReleaseHostPlatformMismatch, why);
}

std::string ChipList(const protocol::HostPlatform& host) {
  std::string out;
  for (const protocol::SnpChipId& c : host.snp_chip_ids) {
    out += (out.empty() ? "" : ", ") + protocol::DescribeSnpChip(c);
  }
  return "[" + out + "]";
}

std::optional<Status> CheckSnp(const EvidencePlatform& e, const protocol::HostPlatform& host,
                               bool allow_masked) {
  if (!e.snp_chip_id) {
    return Mismatch("SNP CHIP_ID unknown: the evidence did not parse");
  }
  const bool masked =
      std::all_of(e.snp_chip_id->begin(), e.snp_chip_id->end(), [](uint8_t b) { return b == 0; });
  if (host.snp_chip_ids.empty()) {
    return Mismatch("got an SNP report, want none: the placed host reports no SNP chip");
  }
  if (masked) {
    if (!allow_masked) {
      return Status(reasons::kReleaseHostChipMasked,
                    std::string("SNP CHIP_ID is masked (all zero") +
                        (e.snp_signing_key == snp::SigningKey::kVlek ? ", VLEK-signed" : "") +
                        "): the chip cannot be matched to the placed host; the tenant policy does "
                        "not set host.allow_masked_chip_id");
    }
    return std::nullopt;  // allowed: weaker binding, see the header
  }
  if (!host.OwnsSnpChip(*e.snp_chip_id)) {
    return Mismatch("SNP CHIP_ID got " + protocol::DescribeSnpChip(*e.snp_chip_id) +
                    ", want one of the placed host's chips " + ChipList(host));
  }
  return std::nullopt;
}

std::optional<Status> CheckTdx(const EvidencePlatform& e, const protocol::HostPlatform& host) {
  if (!e.tdx_pck) {
    return Mismatch("TDX PCK identity unknown: the evidence did not verify");
  }
  if (!host.tdx) {
    return Mismatch("got TDX PCK " + protocol::DescribeTdxPlatform(*e.tdx_pck) +
                    ", want none: the placed host reports no TDX platform");
  }
  if (!(*e.tdx_pck == *host.tdx)) {
    return Mismatch("TDX PCK got " + protocol::DescribeTdxPlatform(*e.tdx_pck) + ", want " +
                    protocol::DescribeTdxPlatform(*host.tdx));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Status> CheckHostPlatform(const EvidencePlatform& evidence,
                                        std::string_view host_platform, bool allow_masked_chip_id) {
  if (host_platform.empty()) {
    return Mismatch("the placed host has no platform document recorded (re-enroll it)");
  }
  Result<protocol::HostPlatform> host = protocol::ParseHostPlatform(host_platform);
  if (!host.ok()) {
    return Mismatch("the placed host's platform document is unreadable: " +
                    host.status().message());
  }
  if (evidence.tee == "snp") {
    return CheckSnp(evidence, *host, allow_masked_chip_id);
  }
  if (evidence.tee == "tdx") {
    return CheckTdx(evidence, *host);
  }
  return Mismatch("evidence type \"" + evidence.tee.substr(0, 16) + "\" names no platform");
}

}  // namespace attest::service::release
