#include "attest/measure/tdx_acpi.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "attest/measure/tdx_le.h"

namespace attest::measure {
namespace {

constexpr std::string_view kTablesFile = "etc/acpi/tables";
constexpr std::string_view kRsdpFile = "etc/acpi/rsdp";
constexpr size_t kCommandBytes = 128;
constexpr size_t kFileNameBytes = 56;  // BIOS_LINKER_LOADER_FILESZ
constexpr size_t kLoaderAlignBytes = 4096;
constexpr uint32_t kHeaderBytes = 36;  // ACPI system description table header
constexpr uint32_t kFacsMinBytes = 64;
constexpr uint32_t kFacpMinBytes = 148;  // through X_DSDT (offset 140, 8 bytes)
constexpr uint32_t kChecksumOffset = 9;
constexpr uint32_t kMadtEntriesOffset = 44;

enum Command : uint32_t { kAllocate = 1, kAddPointer = 2, kAddChecksum = 3 };
enum Zone : uint8_t { kZoneHigh = 1, kZoneFseg = 2 };

struct Table {
  std::array<char, 4> signature;
  uint32_t offset;
  uint32_t length;
  bool Is(const char* sig) const { return std::memcmp(signature.data(), sig, 4) == 0; }
};

class LoaderScript {
 public:
  void Allocate(std::string_view file, uint32_t align, uint8_t zone) {
    const size_t at = Begin(kAllocate, file);
    PutLe32(blob_, at + 4 + kFileNameBytes, align);
    blob_[at + 8 + kFileNameBytes] = zone;
  }
  void AddPointer(std::string_view dest, std::string_view src, uint32_t offset, uint8_t size) {
    const size_t at = Begin(kAddPointer, dest);
    PutName(at + 4 + kFileNameBytes, src);
    PutLe32(blob_, at + 4 + 2 * kFileNameBytes, offset);
    blob_[at + 8 + 2 * kFileNameBytes] = size;
  }
  void AddChecksum(std::string_view file, uint32_t result_offset, uint32_t start, uint32_t length) {
    const size_t at = Begin(kAddChecksum, file);
    PutLe32(blob_, at + 4 + kFileNameBytes, result_offset);
    PutLe32(blob_, at + 8 + kFileNameBytes, start);
    PutLe32(blob_, at + 12 + kFileNameBytes, length);
  }
  Bytes Finish() && {
    blob_.resize((blob_.size() + kLoaderAlignBytes - 1) / kLoaderAlignBytes * kLoaderAlignBytes);
    return std::move(blob_);
  }

 private:
  size_t Begin(Command command, std::string_view file) {
    const size_t at = blob_.size();
    blob_.resize(at + kCommandBytes, 0);
    PutLe32(blob_, at, command);
    PutName(at + 4, file);
    return at;
  }
  void PutName(size_t at, std::string_view name) {
    std::copy(name.begin(), name.end(), blob_.begin() + static_cast<ptrdiff_t>(at));
  }
  Bytes blob_;
};

Status AcpiError(const std::string& what) {
  return Status(reasons::kMeasureAcpiMalformed, "acpi tables: " + what);
}

Result<std::vector<Table>> ListTables(ByteSpan blob) {
  std::vector<Table> out;
  size_t at = 0;
  while (at + 8 <= blob.size()) {
    const ByteSpan sig = blob.subspan(at, 4);
    if (IsAllZero(sig)) {
      break;
    }
    if (!std::all_of(sig.begin(), sig.end(), [](uint8_t c) { return c >= 0x20 && c < 0x7f; })) {
      return AcpiError("non-printable signature at offset " + std::to_string(at));
    }
    Table t{};
    std::copy(sig.begin(), sig.end(), t.signature.begin());
    t.offset = static_cast<uint32_t>(at);
    t.length = LoadLe<uint32_t>(blob, at + 4);
    const uint32_t min = t.Is("FACS") ? kFacsMinBytes : kHeaderBytes;
    if (t.length < min || t.length > blob.size() - at) {
      return AcpiError(std::string(t.signature.data(), 4) + " at offset " + std::to_string(at) +
                       " has length " + std::to_string(t.length));
    }
    if (out.size() == kMaxAcpiTables) {
      return AcpiError("more than " + std::to_string(kMaxAcpiTables) + " tables");
    }
    out.push_back(t);
    at += t.length;
  }
  if (!IsAllZero(blob.subspan(std::min(at, blob.size())))) {
    return AcpiError("non-zero bytes after the last table at offset " + std::to_string(at));
  }
  return out;
}

// MadtEnabledCpus counts enabled processor entries (ACPI 6.5 section 5.2.12: type 0 Local APIC,
// flags at +4; type 9 Local x2APIC, flags at +8; bit 0 = enabled).
Result<uint32_t> MadtEnabledCpus(ByteSpan madt) {
  uint32_t cpus = 0;
  size_t at = kMadtEntriesOffset;
  while (at < madt.size()) {
    if (madt.size() - at < 2 || madt[at + 1] < 2 || madt[at + 1] > madt.size() - at) {
      return AcpiError("MADT entry at offset " + std::to_string(at) + " runs past the table");
    }
    const uint8_t type = madt[at];
    const uint8_t length = madt[at + 1];
    const size_t flags_at = type == 0 ? 4 : 8;
    if ((type == 0 || type == 9) && length >= flags_at + 4 &&
        (LoadLe<uint32_t>(madt, at + flags_at) & 1) != 0) {
      ++cpus;
    }
    at += length;
  }
  return cpus;
}

}  // namespace

Result<QemuAcpiBlobs> BuildQemuAcpiBlobs(ByteSpan tables) {
  ATTEST_ASSIGN_OR_RETURN(std::vector<Table> list, ListTables(tables));
  const Table* rsdt = nullptr;
  bool have_facp = false;
  bool have_dsdt = false;
  QemuAcpiBlobs out{};
  LoaderScript loader;
  loader.Allocate(kRsdpFile, 16, kZoneFseg);
  loader.Allocate(kTablesFile, 64, kZoneHigh);
  for (const Table& t : list) {
    if (t.Is("FACP")) {
      if (t.length < kFacpMinBytes) {
        return AcpiError("FACP shorter than " + std::to_string(kFacpMinBytes) + " bytes");
      }
      have_facp = true;
      loader.AddPointer(kTablesFile, kTablesFile, t.offset + 36, 4);   // FIRMWARE_CTRL
      loader.AddPointer(kTablesFile, kTablesFile, t.offset + 40, 4);   // DSDT
      loader.AddPointer(kTablesFile, kTablesFile, t.offset + 140, 8);  // X_DSDT
    }
    if (t.Is("RSDT")) {
      if ((t.length - kHeaderBytes) % 4 != 0 || rsdt != nullptr) {
        return AcpiError("RSDT length " + std::to_string(t.length) + " or a second RSDT");
      }
      rsdt = &t;
      for (uint32_t entry = t.offset + kHeaderBytes; entry < t.offset + t.length; entry += 4) {
        loader.AddPointer(kTablesFile, kTablesFile, entry, 4);
      }
    }
    if (t.Is("APIC")) {
      ATTEST_ASSIGN_OR_RETURN(out.madt_enabled_cpus,
                              MadtEnabledCpus(tables.subspan(t.offset, t.length)));
    }
    have_dsdt = have_dsdt || t.Is("DSDT");
    if (!t.Is("FACS")) {
      loader.AddChecksum(kTablesFile, t.offset + kChecksumOffset, t.offset, t.length);
    }
  }
  if (!have_facp || !have_dsdt || rsdt == nullptr) {
    return AcpiError("FACP, DSDT and RSDT are required");
  }
  loader.AddPointer(kRsdpFile, kTablesFile, 16, 4);
  loader.AddChecksum(kRsdpFile, 8, 0, 20);
  out.table_loader = std::move(loader).Finish();

  // ACPI 6.5 section 5.2.5.3, revision 0: signature, checksum (the loader fills it), OEM ID,
  // revision, RSDT address (an offset in etc/acpi/tables until the loader relocates it).
  out.rsdp.assign(20, 0);
  const std::string_view head = "RSD PTR ";
  const std::string_view oem = "BOCHS ";
  std::copy(head.begin(), head.end(), out.rsdp.begin());
  std::copy(oem.begin(), oem.end(), out.rsdp.begin() + 9);
  PutLe32(out.rsdp, 16, rsdt->offset);
  return out;
}

}  // namespace attest::measure
