// The secure-boot variables OVMF measures into RTMR0 (EV_EFI_VARIABLE_DRIVER_CONFIG, TCG PC Client
// Platform Firmware Profile section 10.4.4 UEFI_VARIABLE_DATA), read from the authenticated
// variable store at the start of the TDVF's CFV (edk2 MdeModulePkg VariableFormat.h: firmware
// volume header, VARIABLE_STORE_HEADER, then AUTHENTICATED_VARIABLE_HEADER records).
#pragma once

#include <optional>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/measure/reasons.h"

namespace attest::measure {

inline constexpr size_t kMaxEfiVariables = 4096;

struct SecureBootVariables {
  std::optional<Bytes> secure_boot_enable;  // SecureBootEnable (edk2's enable/disable switch)
  std::optional<Bytes> pk, kek, db, dbx;
};

// ReadSecureBootVariables returns the added (state 0x3f) PK, KEK, db, dbx and SecureBootEnable
// variables of the store, matched by name and vendor GUID. Fails with measure.efi_vars_malformed
// (no firmware volume header, a store that is not an authenticated, formatted, healthy store, a
// record running past the store).
Result<SecureBootVariables> ReadSecureBootVariables(ByteSpan cfv);

// VariableDriverConfigData returns UEFI_VARIABLE_DATA for one variable: vendor GUID, name length in
// characters, data length, the name in UTF-16LE without terminator, the data. name is ASCII.
Bytes VariableDriverConfigData(std::string_view vendor_guid, std::string_view name, ByteSpan data);

// The vendor GUIDs of the measured variables (UEFI spec section 3.3 and 32.6.1).
inline constexpr std::string_view kEfiGlobalVariableGuid = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
inline constexpr std::string_view kEfiImageSecurityDatabaseGuid =
    "d719b2cb-3d3a-4596-a3bc-dad00e67656f";

}  // namespace attest::measure
