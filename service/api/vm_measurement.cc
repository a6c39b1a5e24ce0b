#include "service/api/vm_measurement.h"

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/measure/sev_launch.h"
#include "attest/measure/tdx_measure.h"
#include "service/api/measurement_inputs.h"
#include "service/api/reasons.h"

namespace attest::service::api {
namespace {

// A kernel larger than this cannot be a boot image attestd accepted (max_boot_image_bytes).
constexpr size_t kMaxKernelBytes = size_t{1} << 30;
// The ACPI tables blob of a VM shape is tens of KiB.
constexpr size_t kMaxAcpiBytes = size_t{1} << 20;

template <size_t N>
Result<std::array<uint8_t, N>> StoredDigest(const std::string& hex, const char* what) {
  Result<Bytes> bytes = HexDecode(hex);
  if (!bytes.ok() || bytes->size() != N) {
    return Status(reasons::kInternalError, std::string("the boot image's stored ") + what +
                                               " is not " + std::to_string(2 * N) + " hex digits");
  }
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

Result<store::ExpectedMeasurement> MeasureAmd(const Bytes& firmware, measure::SevMode mode,
                                              const MeasuredBoot& boot,
                                              const MeasurementChoice& choice) {
  measure::SevLaunchInput input;
  input.mode = mode;
  input.firmware = firmware;
  input.num_vcpus = choice.vcpus;
  input.cpu_signature = choice.cpu_signature;
  input.vmm = choice.vmm;
  input.guest_features = choice.guest_features;
  // The kernel hash table holds SHA-256 of each file: the stored digests stand for the bytes;
  // an image without initrd hashes as an empty one, as QEMU does.
  Result<sev::KernelHashes> hashes =
      measure::HashBootInputs(ByteSpan(), std::nullopt, std::string_view(boot.cmdline));
  if (!hashes.ok()) {
    return AsBadInput(hashes.status());
  }
  ATTEST_ASSIGN_OR_RETURN(hashes->kernel, StoredDigest<32>(boot.kernel_sha256, "kernel SHA-256"));
  if (!boot.initrd_path.empty()) {
    ATTEST_ASSIGN_OR_RETURN(hashes->initrd, StoredDigest<32>(boot.initrd_sha256, "initrd SHA-256"));
  }
  input.kernel = *hashes;
  Result<Bytes> digest = measure::ComputeSevLaunchDigest(input);
  if (!digest.ok()) {
    return AsBadInput(digest.status());
  }
  return store::ExpectedMeasurement{HexEncode(*digest), {}};
}

Result<store::ExpectedMeasurement> MeasureTdx(const Bytes& firmware, const MeasuredBoot& boot,
                                              const MeasurementChoice& choice) {
  if (choice.acpi_tables.empty()) {
    Result<Sha384Digest> mrtd =
        measure::MeasureTdxMrtd(firmware, measure::MrtdPageOrder::kSinglePass);
    if (!mrtd.ok()) {
      return AsBadInput(mrtd.status());
    }
    return store::ExpectedMeasurement{HexEncode(*mrtd), {}};
  }
  // TDVF measures the kernel's Authenticode digest: the file's bytes are needed.
  ATTEST_ASSIGN_OR_RETURN(Bytes kernel, ReadFileBytes(boot.kernel_path, kMaxKernelBytes));
  measure::TdxBootInputs inputs;
  inputs.firmware = firmware;
  inputs.memory_bytes = choice.memory_mib << 20;
  inputs.acpi_tables = choice.acpi_tables;
  inputs.kernel = kernel;
  inputs.cmdline = boot.cmdline;
  if (!boot.initrd_path.empty()) {
    measure::TdxInitrd initrd;
    initrd.size_bytes = boot.initrd_size;
    ATTEST_ASSIGN_OR_RETURN(initrd.sha384, StoredDigest<48>(boot.initrd_sha384, "initrd SHA-384"));
    inputs.initrd = initrd;
  }
  measure::TdxMeasureOptions options;
  options.vcpus = choice.vcpus;
  Result<measure::TdxMeasurement> m = measure::MeasureTdx(inputs, options);
  if (!m.ok()) {
    return AsBadInput(m.status());
  }
  store::ExpectedMeasurement out{HexEncode(m->mrtd), {}};
  for (size_t i = 0; i < 3; ++i) {  // RTMR3 is the guest's own, extended at run time
    out.rtmrs.push_back(HexEncode(m->rtmr[i]));
  }
  return out;
}

}  // namespace

Status ReadMeasurementChoice(http::ObjectReader& in, MeasurementChoice& choice) {
  measure::SevLaunchInput amd;
  ATTEST_RETURN_IF_ERROR(ReadAmdLaunchOptions(in, amd, /*read_vcpus=*/false));
  choice.cpu_signature = amd.cpu_signature;
  choice.vmm = amd.vmm;
  choice.guest_features = amd.guest_features;
  ATTEST_ASSIGN_OR_RETURN(choice.acpi_tables, in.TakeBase64("acpi_tables", false, kMaxAcpiBytes));
  return Status::Ok();
}

Result<store::ExpectedMeasurement> ComputeExpectedMeasurement(const MeasurementFirmware& firmware,
                                                              std::string_view tee,
                                                              const MeasuredBoot& boot,
                                                              const MeasurementChoice& choice) {
  if (tee == "tdx") {
    ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<const Bytes> fw,
                            OperatorFirmware(firmware.tdx, "tdx_firmware_image"));
    return MeasureTdx(*fw, boot, choice);
  }
  measure::SevMode mode;
  if (tee == "snp") {
    mode = measure::SevMode::kSnp;
  } else if (tee == "sev-es") {
    mode = measure::SevMode::kSevEs;
  } else if (tee == "sev") {
    mode = measure::SevMode::kSev;
  } else {
    return Status(reasons::kApiInvalidField, "field \"tee\": snp, sev, sev-es or tdx");
  }
  ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<const Bytes> fw,
                          OperatorFirmware(firmware.amd, "snp_firmware_image"));
  return MeasureAmd(*fw, mode, boot, choice);
}

nlohmann::json ExpectedMeasurementJson(const store::Vm& vm) {
  if (vm.expected.empty()) {
    return nullptr;
  }
  if (vm.tee_type == "tdx") {
    return {{"mrtd", vm.expected.measurement}, {"rtmr", vm.expected.rtmrs}};
  }
  return {{"measurement", vm.expected.measurement}};
}

}  // namespace attest::service::api
