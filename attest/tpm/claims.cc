#include "attest/tpm/claims.h"

#include <cstdio>
#include <cstring>

#include "attest/core/byte_reader.h"
#include "attest/core/digest.h"
#include "attest/core/encoding.h"

namespace attest::tpm {
namespace {

// PreferredBank is sha256 when the log has it, else its first bank.
uint16_t PreferredBank(const EventLog& log) {
  for (const SpecIdBank& b : log.banks) {
    if (b.alg == kAlgSha256) {
      return kAlgSha256;
    }
  }
  return log.banks.empty() ? kAlgSha1 : log.banks.front().alg;
}

Bytes DigestOf(const TcgEvent& ev, uint16_t alg) {
  const Bytes* d = ev.DigestFor(alg);
  return d ? *d : Bytes{};
}

// Utf16ToAscii decodes UCS-2 little-endian text up to its NUL; non-ASCII becomes '?'.
std::string Utf16ToAscii(ByteSpan data) {
  std::string out;
  for (size_t i = 0; i + 1 < data.size(); i += 2) {
    const uint16_t ch = static_cast<uint16_t>(data[i] | (data[i + 1] << 8));
    if (ch == 0) {
      break;
    }
    out.push_back(ch >= 0x20 && ch < 0x7f ? static_cast<char>(ch) : '?');
  }
  return out;
}

// AsciiUntilNul returns printable ASCII up to the first NUL; anything else becomes '?', so a claim
// string is always valid UTF-8 JSON.
std::string AsciiUntilNul(ByteSpan data) {
  std::string out;
  for (uint8_t c : data) {
    if (c == 0) {
      break;
    }
    out.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?');
  }
  return out;
}

// LooksUtf16 is true when every odd byte of a non-empty even-length text is zero.
bool LooksUtf16(ByteSpan data) {
  if (data.size() < 2 || data.size() % 2 != 0) {
    return false;
  }
  for (size_t i = 1; i < data.size(); i += 2) {
    if (data[i] != 0) {
      return false;
    }
  }
  return true;
}

// UefiVariable is UEFI_VARIABLE_DATA (PFP §10.4.5.4 / UEFI spec): VariableName GUID,
// UnicodeNameLength (UINT64, in characters), VariableDataLength (UINT64), UnicodeName,
// VariableData.
struct UefiVariable {
  std::string name;
  ByteSpan data;
};

std::optional<UefiVariable> ParseUefiVariable(ByteSpan event_data) {
  ByteReader r(event_data, reasons::kEventLogMalformed, "uefi variable");
  if (!r.Skip(16).ok()) {
    return std::nullopt;
  }
  auto name_len = r.ReadU64Le();
  auto data_len = r.ReadU64Le();
  if (!name_len.ok() || !data_len.ok() || *name_len > r.remaining() / 2) {
    return std::nullopt;
  }
  auto name = r.ReadBytes(*name_len * 2);
  if (!name.ok() || *data_len > r.remaining()) {
    return std::nullopt;
  }
  auto data = r.ReadBytes(*data_len);
  if (!data.ok()) {
    return std::nullopt;
  }
  return UefiVariable{Utf16ToAscii(*name), *data};
}

// DataMatchesDigest is true when the record's digest in bank is the hash of its data (or of its
// data without a trailing NUL, as GRUB measures strings). Only such records are decoded into
// claims: for the others the data is unauthenticated by the PCR and could say anything.
bool DataMatchesDigest(const TcgEvent& ev, uint16_t bank, ByteSpan data) {
  const Bytes* digest = ev.DigestFor(bank);
  auto alg = FindHashAlg(bank);
  if (digest == nullptr || !alg) {
    return false;
  }
  if (Digest(*alg, data) == *digest) {
    return true;
  }
  return !data.empty() && data.back() == 0 && Digest(*alg, data.first(data.size() - 1)) == *digest;
}

bool IsPrintable(ByteSpan data) {
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == 0 && i + 1 == data.size()) {
      break;
    }
    if (data[i] < 0x20 || data[i] >= 0x7f) {
      return false;
    }
  }
  return true;
}

bool HasTextPrefix(ByteSpan data, std::string_view prefix) {
  return data.size() >= prefix.size() &&
         std::memcmp(data.data(), prefix.data(), prefix.size()) == 0;
}

std::string TrimCmdline(std::string text) {
  while (!text.empty() && (text.back() == '\0' || text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

std::string EventTypeName(uint32_t type) {
  struct Name {
    uint32_t type;
    const char* name;
  };
  static constexpr Name kNames[] = {
      {kEvPrebootCert, "EV_PREBOOT_CERT"},
      {kEvPostCode, "EV_POST_CODE"},
      {kEvNoAction, "EV_NO_ACTION"},
      {kEvSeparator, "EV_SEPARATOR"},
      {kEvAction, "EV_ACTION"},
      {kEvEventTag, "EV_EVENT_TAG"},
      {kEvSCrtmContents, "EV_S_CRTM_CONTENTS"},
      {kEvSCrtmVersion, "EV_S_CRTM_VERSION"},
      {kEvCpuMicrocode, "EV_CPU_MICROCODE"},
      {kEvPlatformConfigFlags, "EV_PLATFORM_CONFIG_FLAGS"},
      {kEvTableOfDevices, "EV_TABLE_OF_DEVICES"},
      {kEvCompactHash, "EV_COMPACT_HASH"},
      {kEvIpl, "EV_IPL"},
      {kEvIplPartitionData, "EV_IPL_PARTITION_DATA"},
      {kEvNonhostCode, "EV_NONHOST_CODE"},
      {kEvNonhostConfig, "EV_NONHOST_CONFIG"},
      {kEvNonhostInfo, "EV_NONHOST_INFO"},
      {kEvOmitBootDeviceEvents, "EV_OMIT_BOOT_DEVICE_EVENTS"},
      {kEvEfiVariableDriverConfig, "EV_EFI_VARIABLE_DRIVER_CONFIG"},
      {kEvEfiVariableBoot, "EV_EFI_VARIABLE_BOOT"},
      {kEvEfiBootServicesApplication, "EV_EFI_BOOT_SERVICES_APPLICATION"},
      {kEvEfiBootServicesDriver, "EV_EFI_BOOT_SERVICES_DRIVER"},
      {kEvEfiRuntimeServicesDriver, "EV_EFI_RUNTIME_SERVICES_DRIVER"},
      {kEvEfiGptEvent, "EV_EFI_GPT_EVENT"},
      {kEvEfiAction, "EV_EFI_ACTION"},
      {kEvEfiPlatformFirmwareBlob, "EV_EFI_PLATFORM_FIRMWARE_BLOB"},
      {kEvEfiHandoffTables, "EV_EFI_HANDOFF_TABLES"},
      {kEvEfiPlatformFirmwareBlob2, "EV_EFI_PLATFORM_FIRMWARE_BLOB2"},
      {kEvEfiHandoffTables2, "EV_EFI_HANDOFF_TABLES2"},
      {kEvEfiVariableBoot2, "EV_EFI_VARIABLE_BOOT2"},
      {kEvEfiHcrtmEvent, "EV_EFI_HCRTM_EVENT"},
      {kEvEfiVariableAuthority, "EV_EFI_VARIABLE_AUTHORITY"},
      {kEvEfiSpdmFirmwareBlob, "EV_EFI_SPDM_FIRMWARE_BLOB"},
      {kEvEfiSpdmFirmwareConfig, "EV_EFI_SPDM_FIRMWARE_CONFIG"},
      {kEvTxtPcrMapping, "TXT_PCRMAPPING"},
      {kEvTxtHashStart, "TXT_HASH_START"},
      {kEvTxtCombinedHash, "TXT_COMBINED_HASH"},
      {kEvTxtMleHash, "TXT_MLE_HASH"},
      {kEvTxtBiosAcRegData, "TXT_BIOSAC_REG_DATA"},
      {kEvTxtCpuScrtmStat, "TXT_CPU_SCRTM_STAT"},
      {kEvTxtLcpControlHash, "TXT_LCP_CONTROL_HASH"},
      {kEvTxtElementsHash, "TXT_ELEMENTS_HASH"},
      {kEvTxtStmHash, "TXT_STM_HASH"},
      {kEvTxtOsSinitDataCapHash, "TXT_OSSINITDATA_CAP_HASH"},
      {kEvTxtSinitPubkeyHash, "TXT_SINIT_PUBKEY_HASH"},
      {kEvTxtLcpHash, "TXT_LCP_HASH"},
  };
  for (const Name& n : kNames) {
    if (n.type == type) {
      return n.name;
    }
  }
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", type);
  return buf;
}

BootClaims ExtractBootClaims(const EventLog& log, PcrBanks replayed) {
  BootClaims c;
  c.replayed = std::move(replayed);
  const uint16_t bank = PreferredBank(log);
  c.digest_alg = HashAlgName(bank);
  c.num_events = log.events.size();
  for (const TcgEvent& ev : log.events) {
    bool decoded = true;
    switch (ev.event_type) {
      case kEvSCrtmVersion:
      case kEvEfiVariableDriverConfig:
      case kEvSeparator:
      case kEvEfiAction:
        if (!DataMatchesDigest(ev, bank, ev.data)) {
          ++c.num_opaque_events;
          ++c.num_unverified_data_events;
          continue;
        }
        break;
      default:
        break;
    }
    switch (ev.event_type) {
      case kEvSCrtmVersion:
        // Usually UCS-2 text; some firmware records a binary GUID instead, reported as hex.
        if (LooksUtf16(ev.data)) {
          c.scrtm_version = Utf16ToAscii(ev.data);
        } else if (IsPrintable(ev.data)) {
          c.scrtm_version = AsciiUntilNul(ev.data);
        } else {
          c.scrtm_version = HexEncode(ev.data);
        }
        break;
      case kEvPostCode:
      case kEvEfiPlatformFirmwareBlob:
      case kEvEfiPlatformFirmwareBlob2:
        if (ev.pcr_index == 0) {
          c.firmware_blob_digests.push_back(DigestOf(ev, bank));
        } else {
          decoded = false;
        }
        break;
      case kEvEfiVariableDriverConfig: {
        auto var = ParseUefiVariable(ev.data);
        const bool in_pcr7 = var && ev.pcr_index == 7;
        if (in_pcr7 && var->name == "SecureBoot" && var->data.size() == 1) {
          c.secure_boot = var->data[0] == 1;
        } else if (in_pcr7 && (var->name == "PK" || var->name == "KEK" || var->name == "db" ||
                               var->name == "dbx")) {
          // The measured digest (already checked against the data above) identifies the value.
          c.secure_boot_variables[var->name] = DigestOf(ev, bank);
        } else {
          // Unparsable, outside PCR 7, another variable, or a SecureBoot value that is not one
          // byte (e.g. zero-length: the state is unknown).
          decoded = false;
        }
        break;
      }
      case kEvEfiBootServicesApplication:
        c.boot_application_digests.push_back(DigestOf(ev, bank));
        break;
      case kEvSeparator:
        c.separator_pcrs.push_back(ev.pcr_index);
        // PFP §10.4.5.2: the separator value is 00000000, or 00000001 when firmware hit an error.
        if (ev.data.size() == 4 && ev.data[0] == 1 && ev.data[1] == 0 && ev.data[2] == 0 &&
            ev.data[3] == 0) {
          c.separator_error = true;
        }
        break;
      case kEvIpl: {
        // GRUB 2 logs "kernel_cmdline: ..." in PCR 8; systemd-boot logs the UTF-16 command line
        // in PCR 12.
        // GRUB measures the command line without its "kernel_cmdline: " log prefix.
        static constexpr char kGrubPrefix[] = "kernel_cmdline: ";
        constexpr size_t kPrefixSize = sizeof(kGrubPrefix) - 1;
        const ByteSpan data(ev.data);
        if (ev.pcr_index == 8 && HasTextPrefix(data, kGrubPrefix) &&
            DataMatchesDigest(ev, bank, data.subspan(kPrefixSize))) {
          c.kernel_cmdline = TrimCmdline(AsciiUntilNul(data.subspan(kPrefixSize)));
        } else if (ev.pcr_index == 12 && LooksUtf16(data) && DataMatchesDigest(ev, bank, data)) {
          c.kernel_cmdline = TrimCmdline(Utf16ToAscii(data));
        } else {
          decoded = false;
        }
        break;
      }
      case kEvEfiAction:
        c.efi_actions.push_back(AsciiUntilNul(ev.data));
        break;
      default:
        decoded = false;
    }
    if (!decoded) {
      ++c.num_opaque_events;
    }
  }
  return c;
}

DrtmClaims ExtractDrtmClaims(const EventLog& log, PcrBanks replayed) {
  DrtmClaims c;
  c.replayed = std::move(replayed);
  const uint16_t bank = PreferredBank(log);
  c.digest_alg = HashAlgName(bank);
  c.num_events = log.events.size();
  for (const TcgEvent& ev : log.events) {
    if (ev.event_type == kEvTxtHashStart && ev.pcr_index == 17) {
      c.sinit_digest = DigestOf(ev, bank);
    } else if (ev.event_type == kEvTxtMleHash && ev.pcr_index == 18) {
      c.mle_digest = DigestOf(ev, bank);
    } else if (ev.event_type == kEvTxtLcpControlHash || ev.event_type == kEvTxtLcpHash) {
      c.lcp_digests.push_back(DigestOf(ev, bank));
    }
  }
  return c;
}

QuoteClaims ToClaims(const VerifiedQuote& verified) {
  const Quote& q = verified.quote();
  QuoteClaims c;
  c.nonce = q.extra_data;
  c.nonce_checked = verified.nonce_checked();
  c.clock = q.clock;
  c.reset_count = q.reset_count;
  c.restart_count = q.restart_count;
  c.safe = q.safe;
  c.firmware_version = q.firmware_version;
  c.qualified_signer = q.qualified_signer;
  c.pcrs = verified.pcrs();
  return c;
}

}  // namespace attest::tpm
