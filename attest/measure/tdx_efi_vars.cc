#include "attest/measure/tdx_efi_vars.h"

#include <algorithm>
#include <string>

#include "attest/core/byte_reader.h"
#include "attest/measure/tdx_le.h"
#include "attest/sev/measurement.h"

namespace attest::measure {
namespace {

constexpr std::string_view kAuthVariableStoreGuid = "aaf32c78-947b-439a-a180-2e144ec37792";
constexpr std::string_view kSecureBootEnableGuid = "f0a30bc7-af08-4556-99c4-001009c93a44";
constexpr size_t kFvSignatureOffset = 40;
constexpr size_t kFvHeaderLengthOffset = 48;
constexpr size_t kStoreHeaderBytes = 28;
constexpr uint8_t kStoreFormatted = 0x5a;
constexpr uint8_t kStoreHealthy = 0xfe;
constexpr uint16_t kVariableStartId = 0x55aa;
constexpr uint8_t kVariableAdded = 0x3f;
constexpr size_t kAuthVariableHeaderBytes = 60;

sev::Guid GuidOf(std::string_view text) {
  auto g = sev::ParseGuid(text);
  return g.ok() ? *g : sev::Guid{};  // our constants always parse
}

Status VarsError(const std::string& what) {
  return Status(reasons::kMeasureEfiVarsMalformed, "variable store: " + what);
}

// AsciiName decodes a NUL-terminated UTF-16LE name; non-ASCII names never match ours.
std::string AsciiName(ByteSpan utf16) {
  std::string out;
  for (size_t i = 0; i + 1 < utf16.size(); i += 2) {
    const uint16_t c = LoadLe<uint16_t>(utf16, i);
    if (c == 0) {
      break;
    }
    out.push_back(c < 0x80 ? static_cast<char>(c) : '?');
  }
  return out;
}

void Keep(SecureBootVariables& vars, const sev::Guid& vendor, const std::string& name,
          ByteSpan data) {
  const bool global = vendor == GuidOf(kEfiGlobalVariableGuid);
  const bool security_db = vendor == GuidOf(kEfiImageSecurityDatabaseGuid);
  std::optional<Bytes>* slot = nullptr;
  if (global && name == "PK") {
    slot = &vars.pk;
  } else if (global && name == "KEK") {
    slot = &vars.kek;
  } else if (security_db && name == "db") {
    slot = &vars.db;
  } else if (security_db && name == "dbx") {
    slot = &vars.dbx;
  } else if (vendor == GuidOf(kSecureBootEnableGuid) && name == "SecureBootEnable") {
    slot = &vars.secure_boot_enable;
  }
  if (slot != nullptr) {
    *slot = Bytes(data.begin(), data.end());
  }
}

}  // namespace

Result<SecureBootVariables> ReadSecureBootVariables(ByteSpan cfv) {
  if (cfv.size() < kFvHeaderLengthOffset + 2 ||
      !std::equal(cfv.begin() + kFvSignatureOffset, cfv.begin() + kFvSignatureOffset + 4,
                  std::string_view("_FVH").begin())) {
    return VarsError("CFV does not start with a firmware volume header");
  }
  const uint16_t fv_header_bytes = LoadLe<uint16_t>(cfv, kFvHeaderLengthOffset);
  if (fv_header_bytes > cfv.size() || cfv.size() - fv_header_bytes < kStoreHeaderBytes) {
    return VarsError("firmware volume header length " + std::to_string(fv_header_bytes));
  }
  const ByteSpan store_at = cfv.subspan(fv_header_bytes);
  ByteReader header(store_at, reasons::kMeasureEfiVarsMalformed, "variable store header");
  ATTEST_ASSIGN_OR_RETURN(auto guid, header.ReadArray<16>());
  ATTEST_ASSIGN_OR_RETURN(uint32_t store_bytes, header.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(uint8_t format, header.ReadU8());
  ATTEST_ASSIGN_OR_RETURN(uint8_t state, header.ReadU8());
  if (guid != GuidOf(kAuthVariableStoreGuid)) {
    return VarsError("not an authenticated variable store");
  }
  if (format != kStoreFormatted || state != kStoreHealthy) {
    return VarsError("store format/state not formatted/healthy");
  }
  if (store_bytes < kStoreHeaderBytes || store_bytes > store_at.size()) {
    return VarsError("store size " + std::to_string(store_bytes) + " outside the CFV");
  }
  const ByteSpan region = store_at.subspan(kStoreHeaderBytes, store_bytes - kStoreHeaderBytes);
  SecureBootVariables vars;
  size_t at = 0;
  for (size_t count = 0; region.size() - at >= kAuthVariableHeaderBytes; ++count) {
    if (LoadLe<uint16_t>(region, at) != kVariableStartId) {
      break;  // the erased (0xff) tail of the store
    }
    if (count == kMaxEfiVariables) {
      return VarsError("more than " + std::to_string(kMaxEfiVariables) + " variables");
    }
    const uint8_t var_state = region[at + 2];
    const uint32_t name_bytes = LoadLe<uint32_t>(region, at + 36);
    const uint32_t data_bytes = LoadLe<uint32_t>(region, at + 40);
    sev::Guid vendor{};
    std::copy_n(region.begin() + static_cast<ptrdiff_t>(at + 44), 16, vendor.begin());
    const size_t name_at = at + kAuthVariableHeaderBytes;
    if (uint64_t{name_bytes} + data_bytes > region.size() - name_at) {
      return VarsError("variable at offset " + std::to_string(at) + " runs past the store");
    }
    if (var_state == kVariableAdded) {
      Keep(vars, vendor, AsciiName(region.subspan(name_at, name_bytes)),
           region.subspan(name_at + name_bytes, data_bytes));
    }
    at = (name_at + name_bytes + data_bytes + 3) & ~size_t{3};
    if (at >= region.size()) {
      break;
    }
  }
  return vars;
}

Bytes VariableDriverConfigData(std::string_view vendor_guid, std::string_view name, ByteSpan data) {
  Bytes out(32 + name.size() * 2, 0);
  const sev::Guid guid = GuidOf(vendor_guid);
  std::copy(guid.begin(), guid.end(), out.begin());
  PutLe64(out, 16, name.size());
  PutLe64(out, 24, data.size());
  for (size_t i = 0; i < name.size(); ++i) {
    out[32 + 2 * i] = static_cast<uint8_t>(name[i]);
  }
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

}  // namespace attest::measure
