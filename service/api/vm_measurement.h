// The expected launch measurement of a VM created from a boot image (issue 20): what its
// hardware evidence must show when the operator's firmware for its TEE direct-boots the image's
// kernel, initrd and command line in the VM's shape. Key release compares it (release.h,
// check "measurement"); the calculators are attest/measure's, as POST /v1/measurements uses them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/sev/vmsa.h"
#include "service/api/context.h"
#include "service/http/json_body.h"
#include "service/store/vm_store.h"

namespace attest::service::api {

// MeasuredBoot: a stored boot image as the calculators read it (store::BootImage's files and
// digests; digests lowercase hex, "" for an image without initrd).
struct MeasuredBoot {
  std::string kernel_path;
  std::string kernel_sha256;
  std::string initrd_path;
  std::string initrd_sha256;
  std::string initrd_sha384;
  uint64_t initrd_size = 0;
  std::string cmdline;
};

// MeasurementChoice: the launch choices that change the measurement. vcpus and memory_mib are
// the VM's shape; the AMD members as POST /v1/measurements reads them ("vcpu_type" or
// "vcpu_sig", "vmm_type", "guest_features"); acpi_tables is the shape's etc/acpi/tables blob,
// without which a TDX VM's expectation is MRTD alone (RTMR0 measures the tables).
struct MeasurementChoice {
  uint32_t vcpus = 2;
  uint64_t memory_mib = 2048;
  std::optional<uint32_t> cpu_signature;
  sev::VmmType vmm = sev::VmmType::kQemu;
  uint64_t guest_features = 1;
  Bytes acpi_tables;
};

// ReadMeasurementChoice takes the measurement members of the "launch" object from in (the
// caller's reader over it). api.invalid_field, or the calculators' reasons as a 400.
Status ReadMeasurementChoice(http::ObjectReader& in, MeasurementChoice& choice);

// ComputeExpectedMeasurement: tee is "snp", "sev", "sev-es" or "tdx". api.tee_not_offered when
// this attestd has no firmware for tee; measure.* as a 400 when the firmware cannot boot the
// image so measured (no kernel hashes area, vCPU signature missing...); file.* (internal) when
// a stored file cannot be read.
Result<store::ExpectedMeasurement> ComputeExpectedMeasurement(const MeasurementFirmware& firmware,
                                                              std::string_view tee,
                                                              const MeasuredBoot& boot,
                                                              const MeasurementChoice& choice);

// ExpectedMeasurementJson is the answer's "expected_measurement": null without one, else
// {"measurement"} for AMD and {"mrtd", "rtmr": [RTMR0..2]} (rtmr [] without ACPI tables) for TDX.
nlohmann::json ExpectedMeasurementJson(const store::Vm& vm);

}  // namespace attest::service::api
