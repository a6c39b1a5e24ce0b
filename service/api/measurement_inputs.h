// What POST /v1/measurements and POST /v1/vms (a VM created from a boot image) read alike to
// compute a launch measurement: the operator's firmware for a TEE, the AMD launch choices that
// change the digest, and the mapping of calculator failures to the caller's input.
#pragma once

#include <memory>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/measure/sev_launch.h"
#include "service/http/json_body.h"

namespace attest::service::api {

// OperatorFirmware returns image, or api.tee_not_offered naming the setting that would provide
// it when this attestd has none.
Result<std::shared_ptr<const Bytes>> OperatorFirmware(const std::shared_ptr<const Bytes>& image,
                                                      const char* setting);

// ReadAmdLaunchOptions takes the members that change an SEV / SEV-ES / SNP digest besides the
// boot inputs: "vcpus" (1..512, default 1 unless default_vcpus says otherwise), "vcpu_type" or
// "vcpu_sig", "vmm_type", "guest_features" (default 1), into input. api.invalid_field or the
// calculator's reason as a 400.
Status ReadAmdLaunchOptions(http::ObjectReader& in, measure::SevLaunchInput& input,
                            bool read_vcpus = true);

// AsBadInput turns a calculator failure into the caller's (400) with the calculator's reason;
// internal errors stay internal.
Status AsBadInput(const Status& s);

}  // namespace attest::service::api
