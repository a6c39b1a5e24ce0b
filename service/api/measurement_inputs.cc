#include "service/api/measurement_inputs.h"

#include <string>

#include "service/api/reasons.h"

namespace attest::service::api {

Result<std::shared_ptr<const Bytes>> OperatorFirmware(const std::shared_ptr<const Bytes>& image,
                                                      const char* setting) {
  if (image == nullptr) {
    return Status(reasons::kApiTeeNotOffered,
                  std::string("this attestd has no firmware for that TEE (") + setting + ")");
  }
  return image;
}

Status AsBadInput(const Status& s) {
  if (s.ok() || s.code() == ErrorCode::kInternal) {
    return s;
  }
  return Status(Reason{s.reason_id(), ErrorCode::kInvalidArgument}, s.message());
}

Status ReadAmdLaunchOptions(http::ObjectReader& in, measure::SevLaunchInput& input,
                            bool read_vcpus) {
  if (read_vcpus) {
    ATTEST_ASSIGN_OR_RETURN(int64_t vcpus, in.TakeInt("vcpus", false, 1, 512, 1));
    input.num_vcpus = static_cast<uint32_t>(vcpus);
  }
  ATTEST_ASSIGN_OR_RETURN(std::string vcpu_type, in.TakeString("vcpu_type", false));
  ATTEST_ASSIGN_OR_RETURN(int64_t vcpu_sig, in.TakeInt("vcpu_sig", false, 0, 0xffffffff, -1));
  if (!vcpu_type.empty() && vcpu_sig >= 0) {
    return Status(reasons::kApiInvalidField, "give one of \"vcpu_type\" and \"vcpu_sig\"");
  }
  if (!vcpu_type.empty()) {
    Result<uint32_t> sig = measure::VcpuSignatureForType(vcpu_type);
    if (!sig.ok()) {
      return AsBadInput(sig.status());
    }
    input.cpu_signature = *sig;
  } else if (vcpu_sig >= 0) {
    input.cpu_signature = static_cast<uint32_t>(vcpu_sig);
  }
  ATTEST_ASSIGN_OR_RETURN(std::string vmm, in.TakeString("vmm_type", false));
  if (!vmm.empty()) {
    Result<sev::VmmType> parsed = measure::ParseVmmType(vmm);
    if (!parsed.ok()) {
      return AsBadInput(parsed.status());
    }
    input.vmm = *parsed;
  }
  ATTEST_ASSIGN_OR_RETURN(int64_t features,
                          in.TakeInt("guest_features", false, 0, int64_t{1} << 62, 1));
  input.guest_features = static_cast<uint64_t>(features);
  return Status::Ok();
}

}  // namespace attest::service::api
