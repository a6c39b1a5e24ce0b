// TCG PC Client event logs: parsing and replay to PCR values.
//
// Two formats (TCG PC Client Platform Firmware Profile (PFP) 1.05, §10):
//  - legacy SHA-1 (TCG_PCR_EVENT, §10.2.1): pcrIndex, eventType, SHA-1 digest, eventSize, event;
//  - crypto agile (TCG_PCR_EVENT2, §10.2.2): the first record is a legacy EV_NO_ACTION carrying
//    TCG_EfiSpecIDEvent ("Spec ID Event03", §10.4.5.1) which lists the digest algorithms and sizes;
//    every following record carries a TPML_DIGEST_VALUES with one digest per listed bank.
// All integers in both formats are little-endian. The parser only splits records; it never
// interprets event data, so an unknown event type is simply carried as opaque bytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/reasons.h"

namespace attest::tpm {

// Event types this project names (PFP §10.4.1 table 9, and the Intel TXT types of the DRTM log).
inline constexpr uint32_t kEvPrebootCert = 0x0;
inline constexpr uint32_t kEvPostCode = 0x1;
inline constexpr uint32_t kEvNoAction = 0x3;
inline constexpr uint32_t kEvSeparator = 0x4;
inline constexpr uint32_t kEvAction = 0x5;
inline constexpr uint32_t kEvEventTag = 0x6;
inline constexpr uint32_t kEvSCrtmContents = 0x7;
inline constexpr uint32_t kEvSCrtmVersion = 0x8;
inline constexpr uint32_t kEvCpuMicrocode = 0x9;
inline constexpr uint32_t kEvPlatformConfigFlags = 0xA;
inline constexpr uint32_t kEvTableOfDevices = 0xB;
inline constexpr uint32_t kEvCompactHash = 0xC;
inline constexpr uint32_t kEvIpl = 0xD;
inline constexpr uint32_t kEvIplPartitionData = 0xE;
inline constexpr uint32_t kEvNonhostCode = 0xF;
inline constexpr uint32_t kEvNonhostConfig = 0x10;
inline constexpr uint32_t kEvNonhostInfo = 0x11;
inline constexpr uint32_t kEvOmitBootDeviceEvents = 0x12;
inline constexpr uint32_t kEvEfiVariableDriverConfig = 0x80000001;
inline constexpr uint32_t kEvEfiVariableBoot = 0x80000002;
inline constexpr uint32_t kEvEfiBootServicesApplication = 0x80000003;
inline constexpr uint32_t kEvEfiBootServicesDriver = 0x80000004;
inline constexpr uint32_t kEvEfiRuntimeServicesDriver = 0x80000005;
inline constexpr uint32_t kEvEfiGptEvent = 0x80000006;
inline constexpr uint32_t kEvEfiAction = 0x80000007;
inline constexpr uint32_t kEvEfiPlatformFirmwareBlob = 0x80000008;
inline constexpr uint32_t kEvEfiHandoffTables = 0x80000009;
inline constexpr uint32_t kEvEfiPlatformFirmwareBlob2 = 0x8000000A;
inline constexpr uint32_t kEvEfiHandoffTables2 = 0x8000000B;
inline constexpr uint32_t kEvEfiVariableBoot2 = 0x8000000C;
inline constexpr uint32_t kEvEfiHcrtmEvent = 0x80000010;
inline constexpr uint32_t kEvEfiVariableAuthority = 0x800000E0;
inline constexpr uint32_t kEvEfiSpdmFirmwareBlob = 0x800000E1;
inline constexpr uint32_t kEvEfiSpdmFirmwareConfig = 0x800000E2;

// Caps applied before anything is allocated: a log of more events or banks is refused.
inline constexpr size_t kMaxEvents = 100000;
inline constexpr size_t kMaxBanks = 16;
inline constexpr uint32_t kMaxPcrIndex = 23;

enum class EventLogFormat { kLegacySha1, kCryptoAgile };

// TcgEvent is one measurement record. data and digests are copies owned by the event.
struct TcgEvent {
  size_t offset = 0;  // byte offset of the record in the log
  uint32_t pcr_index = 0;
  uint32_t event_type = 0;
  std::vector<std::pair<uint16_t, Bytes>> digests;  // (TPM_ALG_ID, digest) in log order
  Bytes data;

  // DigestFor returns the digest of bank alg, or null when the record has none.
  const Bytes* DigestFor(uint16_t alg) const;
};

// SpecIdBank is one (algorithmId, digestSize) entry of the Spec ID event.
struct SpecIdBank {
  uint16_t alg = 0;
  uint16_t digest_size = 0;
};

// EventLog is a parsed log. events excludes the Spec ID header record.
struct EventLog {
  EventLogFormat format = EventLogFormat::kLegacySha1;
  std::vector<SpecIdBank> banks;  // {sha1, 20} for a legacy log
  std::vector<TcgEvent> events;
  // startup_locality is set by an EV_NO_ACTION "StartupLocality" event (PFP §10.4.5.3): PCR 0 then
  // starts at 00..0L instead of zero (3 for a CRTM started at locality 3, 4 for an H-CRTM).
  std::optional<uint8_t> startup_locality;
};

// ParseEventLog splits a TCG event log in either format. Fails with eventlog.malformed (naming the
// byte offset of the bad record), eventlog.missing_digest (a crypto-agile record lacks a declared
// bank), or eventlog.too_large (more than kMaxEvents records or kMaxBanks banks).
Result<EventLog> ParseEventLog(ByteSpan bytes);

// PcrBanks maps TPM_ALG_ID -> PCR index -> value.
using PcrBanks = std::map<uint16_t, std::map<uint32_t, Bytes>>;

// ReplayMode selects the PCR reset values replay starts from.
enum class ReplayMode {
  // Static root of trust: PCRs 0-16 and 23 start at zero, PCR 0 at the startup locality;
  // every PCR the log extends is reported.
  kStatic,
  // Dynamic launch (Intel TXT / TCG D-RTM): _TPM_Hash_Start resets PCRs 17-22 to zero; a log
  // extending any other PCR is malformed.
  kDynamic,
};

// ReplayEventLog extends every measured (non EV_NO_ACTION) record into each bank of the log whose
// algorithm we implement and returns the final values of the PCRs the log touches (PCR 0 is always
// present when a StartupLocality event was seen). Banks with an algorithm we do not implement are
// omitted. Fails with eventlog.malformed for a PCR outside the mode's range.
Result<PcrBanks> ReplayEventLog(const EventLog& log, ReplayMode mode = ReplayMode::kStatic);

}  // namespace attest::tpm
