#include "policy/loader.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <array>
#include <set>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "policy/json_proto.h"

namespace attest::policy {
namespace {

Status Invalid(const std::string& path, const std::string& what) {
  return Status(reasons::kPolicyInvalid, path + ": " + what);
}

// RequireListOrAny: a rule is either a non-empty list or an explicit waiver, not both, not neither.
Status RequireListOrAny(int list_size, bool any, const std::string& list_path,
                        const std::string& any_name) {
  if (list_size > 0 && any) {
    return Invalid(list_path,
                   "contradicts " + any_name + ": list values or waive the rule, not both");
  }
  if (list_size == 0 && !any) {
    return Invalid(list_path, "empty: list the accepted values, or set " + any_name +
                                  " to accept any (an empty list never means any)");
  }
  return Status::Ok();
}

// AtMostOne: at most one of several alternative rules; `required` makes it exactly one.
Status ExactlyOne(std::initializer_list<std::pair<const char*, bool>> rules,
                  const std::string& path, bool required) {
  int count = 0;
  std::string names;
  for (const auto& [name, set] : rules) {
    count += set ? 1 : 0;
    names += (names.empty() ? "" : ", ") + std::string(name);
  }
  if (count > 1) {
    return Invalid(path, "give only one of " + names);
  }
  if (count == 0 && required) {
    return Invalid(path, "give one of " + names);
  }
  return Status::Ok();
}

Status CheckSnp(const v1::SnpPolicy& p, const std::string& path) {
  ATTEST_RETURN_IF_ERROR(RequireListOrAny(p.measurements_size(), p.any_measurement(),
                                          path + ".measurements", "any_measurement"));
  ATTEST_RETURN_IF_ERROR(ExactlyOne({{"host_data", !p.host_data().empty()},
                                     {"host_data_launch_ticket", p.host_data_launch_ticket()},
                                     {"any_host_data", p.any_host_data()}},
                                    path, true));
  for (int i = 0; i < p.vmpls_size(); ++i) {
    if (p.vmpls(i) > 3) {
      return Invalid(path + ".vmpls[" + std::to_string(i) + "]", "VMPL is 0..3");
    }
  }
  for (const auto* tcb : {&p.min_reported_tcb(), &p.min_committed_tcb(), &p.min_launch_tcb()}) {
    for (uint32_t v : {tcb->bootloader(), tcb->tee(), tcb->snp(), tcb->microcode(), tcb->fmc()}) {
      if (v > 255) {
        return Invalid(path, "TCB components are 0..255");
      }
    }
  }
  if (!p.min_firmware().empty()) {
    ATTEST_RETURN_IF_ERROR(
        ParseVersionString(p.min_firmware(), 3, path + ".min_firmware").status());
  }
  return Status::Ok();
}

Status CheckTdx(const v1::TdxPolicy& p, const std::string& path) {
  ATTEST_RETURN_IF_ERROR(
      RequireListOrAny(p.mr_td_size(), p.any_mr_td(), path + ".mr_td", "any_mr_td"));
  ATTEST_RETURN_IF_ERROR(ExactlyOne({{"mr_config_id", !p.mr_config_id().empty()},
                                     {"mr_config_id_launch_ticket", p.mr_config_id_launch_ticket()},
                                     {"any_mr_config_id", p.any_mr_config_id()}},
                                    path, true));
  std::set<uint32_t> indices;
  for (int i = 0; i < p.rtmrs_size(); ++i) {
    const std::string at = path + ".rtmrs[" + std::to_string(i) + "]";
    if (p.rtmrs(i).index() > 3) {
      return Invalid(at + ".index", "RTMR index is 0..3");
    }
    if (!indices.insert(p.rtmrs(i).index()).second) {
      return Invalid(at + ".index", "repeated");
    }
    if (p.rtmrs(i).values_size() == 0) {
      return Invalid(at + ".values", "empty");
    }
  }
  if (p.xfam_mask().empty() != p.xfam_value().empty()) {
    return Invalid(path + ".xfam_mask", "xfam_mask and xfam_value go together");
  }
  return Status::Ok();
}

Status CheckSgx(const v1::SgxPolicy& p, const std::string& path) {
  const int identities = p.mr_enclave_size() + p.mr_signer_size();
  return RequireListOrAny(identities, p.any_mr_enclave(), path + ".mr_enclave",
                          "any_mr_enclave (or list mr_signer)");
}

Status CheckSev(const v1::SevPolicy& p, const std::string& path) {
  if (p.launch_digests_size() == 0 && p.launch_parts_size() == 0) {
    return Invalid(path + ".launch_digests", "empty: list launch_digests or launch_parts");
  }
  for (int i = 0; i < p.launch_parts_size(); ++i) {
    if (p.launch_parts(i).firmware_sha256().empty()) {
      return Invalid(path + ".launch_parts[" + std::to_string(i) + "].firmware_sha256", "required");
    }
  }
  if (!p.min_api_version().empty()) {
    ATTEST_RETURN_IF_ERROR(
        ParseVersionString(p.min_api_version(), 2, path + ".min_api_version").status());
  }
  return Status::Ok();
}

}  // namespace

Result<std::array<uint32_t, 3>> ParseVersionString(std::string_view text, int num_parts,
                                                   const std::string& path) {
  std::array<uint32_t, 3> out{};
  int part = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = text.find('.', start);
    const std::string_view piece =
        text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (part >= num_parts || piece.empty() || piece.size() > 3 ||
        piece.find_first_not_of("0123456789") != std::string_view::npos) {
      return Invalid(path, "\"" + std::string(text) + "\" is not a version of " +
                               std::to_string(num_parts) + " dot-separated numbers");
    }
    const uint32_t v = static_cast<uint32_t>(std::stoul(std::string(piece)));
    if (v > 255) {
      return Invalid(path, "version component above 255");
    }
    out[part++] = v;
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (part != num_parts) {
    return Invalid(path,
                   "\"" + std::string(text) + "\" needs " + std::to_string(num_parts) + " parts");
  }
  return out;
}

Result<TenantPolicy> LoadTenantPolicy(std::string_view json) {
  TenantPolicy policy;
  ATTEST_RETURN_IF_ERROR(JsonToMessage(json, &policy));
  if (policy.name().empty()) {
    return Invalid("name", "required");
  }
  if (!policy.has_snp() && !policy.has_tdx() && !policy.has_sgx() && !policy.has_sev()) {
    return Invalid("(document)", "no TEE section (snp, tdx, sgx or sev): it would accept nothing");
  }
  if (policy.has_snp()) {
    ATTEST_RETURN_IF_ERROR(CheckSnp(policy.snp(), "snp"));
  }
  if (policy.has_tdx()) {
    ATTEST_RETURN_IF_ERROR(CheckTdx(policy.tdx(), "tdx"));
  }
  if (policy.has_sgx()) {
    ATTEST_RETURN_IF_ERROR(CheckSgx(policy.sgx(), "sgx"));
  }
  if (policy.has_sev()) {
    ATTEST_RETURN_IF_ERROR(CheckSev(policy.sev(), "sev"));
  }
  return policy;
}

Result<HostPolicy> LoadHostPolicy(std::string_view json) {
  HostPolicy policy;
  ATTEST_RETURN_IF_ERROR(JsonToMessage(json, &policy));
  if (policy.name().empty()) {
    return Invalid("name", "required");
  }
  ATTEST_RETURN_IF_ERROR(RequireListOrAny(policy.scrtm_versions_size(), policy.any_firmware(),
                                          "scrtm_versions", "any_firmware"));
  ATTEST_RETURN_IF_ERROR(RequireListOrAny(policy.boot_application_digests_size(),
                                          policy.any_boot_application(), "boot_application_digests",
                                          "any_boot_application"));
  if (policy.require_drtm() && !policy.has_drtm()) {
    return Invalid("drtm", "require_drtm is set but no drtm rules are given");
  }
  std::set<std::pair<std::string, uint32_t>> seen;
  for (int i = 0; i < policy.pcrs_size(); ++i) {
    const auto& rule = policy.pcrs(i);
    const std::string at = "pcrs[" + std::to_string(i) + "]";
    if (rule.index() > 23) {
      return Invalid(at + ".index", "PCR index is 0..23");
    }
    if (rule.bank() != "sha1" && rule.bank() != "sha256" && rule.bank() != "sha384") {
      return Invalid(at + ".bank", "expected sha1, sha256 or sha384");
    }
    if (rule.values_size() == 0) {
      return Invalid(at + ".values", "empty");
    }
    if (!seen.insert({rule.bank(), rule.index()}).second) {
      return Invalid(at, "PCR given twice");
    }
  }
  return policy;
}

std::string PolicyIdentity(const google::protobuf::Message& policy, const std::string& name) {
  std::string canonical;
  {
    google::protobuf::io::StringOutputStream stream(&canonical);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    policy.SerializeToCodedStream(&coded);
  }
  return name + "@sha256:" + HexEncode(Sha256(AsBytes(canonical)));
}

}  // namespace attest::policy
