#include "attest/measure/tdx_measure.h"

#include <algorithm>
#include <string>

#include "attest/measure/tdx_acpi.h"
#include "attest/measure/tdx_efi_vars.h"
#include "attest/measure/tdx_hob.h"
#include "attest/measure/tdx_kernel.h"
#include "attest/measure/tdx_pe.h"
#include "attest/measure/tdx_tdvf.h"
#include "attest/tdx/ccel.h"

namespace attest::measure {
namespace {

constexpr std::string_view kCallingEfiApplication = "Calling EFI Application from Boot Option";
constexpr std::string_view kExitBootServices = "Exit Boot Services Invocation";
constexpr std::string_view kExitBootServicesReturned = "Exit Boot Services Returned with Success";
// The initrd is handed to the stub as a file of this name (OVMF QemuKernelLoaderFsDxe).
constexpr std::string_view kInitrdOption = " initrd=initrd";

// Boot0000 on a direct boot with no boot options: the UiApp load option OVMF creates
// (EFI_LOAD_OPTION: attributes ACTIVE|CATEGORY_APP, path length 0x2c, "UiApp", firmware volume
// 7cb8bdc9-... / file 462caa21-... media path, end node).
constexpr uint8_t kBoot0000UiApp[] = {
    0x09, 0x01, 0x00, 0x00, 0x2c, 0x00, 'U',  0x00, 'i',  0x00, 'A',  0x00, 'p',  0x00, 'p',  0x00,
    0x00, 0x00, 0x04, 0x07, 0x14, 0x00, 0xc9, 0xbd, 0xb8, 0x7c, 0xeb, 0xf8, 0x34, 0x4f, 0xaa, 0xea,
    0x3e, 0xe4, 0xaf, 0x65, 0x16, 0xa1, 0x04, 0x06, 0x14, 0x00, 0x21, 0xaa, 0x2c, 0x46, 0x14, 0x76,
    0x03, 0x45, 0x83, 0x6e, 0x8a, 0xb6, 0xf4, 0x66, 0x23, 0x31, 0x7f, 0xff, 0x04, 0x00};

class EventLog {
 public:
  void Add(uint32_t rtmr, std::string_view name, std::string_view type, ByteSpan preimage) {
    events_.push_back({rtmr, name, type, Sha384(preimage)});
  }
  void AddDigest(uint32_t rtmr, std::string_view name, std::string_view type,
                 const Sha384Digest& digest) {
    events_.push_back({rtmr, name, type, digest});
  }
  std::vector<TdxEvent> Take() && { return std::move(events_); }

 private:
  std::vector<TdxEvent> events_;
};

Status CheckCmdline(const std::string& cmdline) {
  if (cmdline.size() > kMaxCmdlineBytes) {
    return Status(reasons::kMeasureCmdlineInvalid,
                  "cmdline longer than " + std::to_string(kMaxCmdlineBytes) + " bytes");
  }
  const auto bad = std::find_if(cmdline.begin(), cmdline.end(), [](char c) {
    return c == '\0' || static_cast<unsigned char>(c) >= 0x80;
  });
  if (bad != cmdline.end()) {
    return Status(reasons::kMeasureCmdlineInvalid,
                  "cmdline byte " + std::to_string(bad - cmdline.begin()) +
                      " is NUL or not ASCII (OVMF widens it byte by byte to UTF-16)");
  }
  return Status::Ok();
}

Bytes Utf16WithNul(std::string_view ascii) {
  Bytes out((ascii.size() + 1) * 2, 0);
  for (size_t i = 0; i < ascii.size(); ++i) {
    out[2 * i] = static_cast<uint8_t>(ascii[i]);
  }
  return out;
}

const TdvfSection* FindSection(const TdvfMetadata& metadata, TdvfSectionType type) {
  for (const TdvfSection& s : metadata.sections) {
    if (s.type == type) {
      return &s;
    }
  }
  return nullptr;
}

Status AddFirmwareEvents(EventLog& log, ByteSpan firmware, const TdvfMetadata& metadata,
                         const GuestMemory& memory) {
  ATTEST_ASSIGN_OR_RETURN(Bytes hob, BuildTdHobMeasured(metadata, memory));
  log.Add(0, "TD Hand-Off Block (HOB)", "EV_EFI_HANDOFF_TABLES2", hob);
  const TdvfSection* cfv = FindSection(metadata, TdvfSectionType::kCfv);
  if (cfv == nullptr) {
    return Status(reasons::kMeasureTdvfSectionInvalid, "tdvf has no CFV section");
  }
  const ByteSpan cfv_bytes = firmware.subspan(cfv->data_offset, cfv->raw_data_size);
  log.Add(0, "Configuration Firmware Volume (CFV)", "EV_EFI_PLATFORM_FIRMWARE_BLOB2", cfv_bytes);
  ATTEST_ASSIGN_OR_RETURN(SecureBootVariables vars, ReadSecureBootVariables(cfv_bytes));
  // SecureBoot is 1 when a PK is enrolled and edk2's switch is not off; OVMF measures it empty
  // otherwise.
  const bool secure_boot =
      vars.pk.has_value() && (!vars.secure_boot_enable || vars.secure_boot_enable->empty() ||
                              (*vars.secure_boot_enable)[0] == 1);
  const Bytes secure_boot_value = secure_boot ? Bytes{1} : Bytes{};
  constexpr std::string_view kConfig = "EV_EFI_VARIABLE_DRIVER_CONFIG";
  const auto var = [](const std::optional<Bytes>& v) { return v ? ByteSpan(*v) : ByteSpan(); };
  log.Add(0, "Secure boot mode", kConfig,
          VariableDriverConfigData(kEfiGlobalVariableGuid, "SecureBoot", secure_boot_value));
  log.Add(0, "Public platform key", kConfig,
          VariableDriverConfigData(kEfiGlobalVariableGuid, "PK", var(vars.pk)));
  log.Add(0, "Key exchange key signature database", kConfig,
          VariableDriverConfigData(kEfiGlobalVariableGuid, "KEK", var(vars.kek)));
  log.Add(0, "Authorized signature database", kConfig,
          VariableDriverConfigData(kEfiImageSecurityDatabaseGuid, "db", var(vars.db)));
  log.Add(0, "Forbidden signature database", kConfig,
          VariableDriverConfigData(kEfiImageSecurityDatabaseGuid, "dbx", var(vars.dbx)));
  return Status::Ok();
}

Status AddAcpiEvents(EventLog& log, ByteSpan tables, std::optional<uint32_t> vcpus) {
  ATTEST_ASSIGN_OR_RETURN(QemuAcpiBlobs blobs, BuildQemuAcpiBlobs(tables));
  if (vcpus && blobs.madt_enabled_cpus != *vcpus) {
    return Status(reasons::kMeasureAcpiVcpusMismatch,
                  "ACPI tables describe " + std::to_string(blobs.madt_enabled_cpus) +
                      " enabled vCPUs, want " + std::to_string(*vcpus));
  }
  constexpr std::string_view kFlags = "EV_PLATFORM_CONFIG_FLAGS";
  log.Add(0, "QEMU ACPI table loader", kFlags, blobs.table_loader);
  log.Add(0, "Root System Description Pointer (RSDP)", kFlags, blobs.rsdp);
  log.Add(0, "ACPI tables", kFlags, tables);
  return Status::Ok();
}

Result<Sha384Digest> KernelDigest(const TdxBootInputs& in, const GuestMemory& memory) {
  // Refuse non-PE and unified kernel images before patching anything.
  ATTEST_ASSIGN_OR_RETURN(PeImage pe, ParsePeImage(in.kernel));
  for (const PeSection& s : pe.sections) {
    if (std::string_view(s.name.data(), 6) == ".linux" && s.name[6] == '\0') {
      return Status(reasons::kMeasurePeUkiUnsupported,
                    "kernel is a unified kernel image (.linux section)");
    }
  }
  std::optional<uint64_t> initrd_bytes;
  if (in.initrd) {
    initrd_bytes = in.initrd->size_bytes;
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes patched,
                          QemuPatchedKernel(in.kernel, memory, in.cmdline.size(), initrd_bytes));
  return PeAuthenticodeSha384(patched);
}

}  // namespace

TdxInitrd DigestInitrd(ByteSpan initrd) { return {initrd.size(), Sha384(initrd)}; }

Result<Sha384Digest> MeasureTdxMrtd(ByteSpan firmware, MrtdPageOrder order) {
  ATTEST_ASSIGN_OR_RETURN(TdvfMetadata metadata, ParseTdvfMetadata(firmware));
  return ComputeMrtd(firmware, metadata, order);
}

Result<TdxMeasurement> MeasureTdx(const TdxBootInputs& in, const TdxMeasureOptions& options) {
  if (options.vcpus && (*options.vcpus == 0 || *options.vcpus > kMaxTdxVcpus)) {
    return Status(reasons::kMeasureVcpusInvalid, "vcpus " + std::to_string(*options.vcpus) +
                                                     ": want 1.." + std::to_string(kMaxTdxVcpus));
  }
  ATTEST_RETURN_IF_ERROR(CheckCmdline(in.cmdline));
  ATTEST_ASSIGN_OR_RETURN(GuestMemory memory, Q35GuestMemory(in.memory_bytes));
  ATTEST_ASSIGN_OR_RETURN(TdvfMetadata metadata, ParseTdvfMetadata(in.firmware));
  TdxMeasurement out;
  out.mrtd = ComputeMrtd(in.firmware, metadata, options.page_order);

  EventLog log;
  ATTEST_RETURN_IF_ERROR(AddFirmwareEvents(log, in.firmware, metadata, memory));
  const uint8_t separator[4] = {0, 0, 0, 0};
  log.Add(0, "Separator", "EV_SEPARATOR", separator);
  ATTEST_RETURN_IF_ERROR(AddAcpiEvents(log, in.acpi_tables, options.vcpus));
  ATTEST_ASSIGN_OR_RETURN(Sha384Digest kernel, KernelDigest(in, memory));
  log.AddDigest(1, "Linux kernel", "EV_EFI_BOOT_SERVICES_APPLICATION", kernel);
  const uint8_t boot_order[2] = {0, 0};  // BootOrder = { 0x0000 }
  log.Add(0, "BootOrder boot variable", "EV_EFI_VARIABLE_BOOT", boot_order);
  log.Add(0, "Boot0000 boot variable", "EV_EFI_VARIABLE_BOOT", kBoot0000UiApp);
  log.Add(1, kCallingEfiApplication, "EV_EFI_ACTION", AsBytes(kCallingEfiApplication));
  const uint32_t ready_to_boot_rtmr = options.separator == SeparatorLayout::kLegacy ? 0 : 1;
  log.Add(ready_to_boot_rtmr, "Separator", "EV_SEPARATOR", separator);
  if (options.efi_stub_measures_rtmr2) {
    if (!in.cmdline.empty()) {
      const std::string load_options =
          in.cmdline + (in.initrd ? std::string(kInitrdOption) : std::string());
      log.Add(2, "Linux kernel command-line parameters", "EV_EVENT_TAG",
              Utf16WithNul(load_options));
    }
    if (in.initrd) {
      log.AddDigest(2, "Linux initial ramdisk", "EV_EVENT_TAG", in.initrd->sha384);
    }
  }
  log.Add(1, kExitBootServices, "EV_EFI_ACTION", AsBytes(kExitBootServices));
  log.Add(1, kExitBootServicesReturned, "EV_EFI_ACTION", AsBytes(kExitBootServicesReturned));
  out.events = std::move(log).Take();
  out.rtmr = ReplayTdxEvents(out.events);
  return out;
}

std::array<Sha384Digest, 4> ReplayTdxEvents(const std::vector<TdxEvent>& events) {
  std::array<Sha384Digest, 4> rtmr{};
  for (const TdxEvent& e : events) {
    rtmr[e.rtmr] = tdx::ExtendRtmr(rtmr[e.rtmr], e.digest);
  }
  return rtmr;
}

}  // namespace attest::measure
