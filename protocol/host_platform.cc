#include "protocol/host_platform.h"

#include <algorithm>

#include "attest/core/encoding.h"
#include "attest/core/json.h"

namespace attest::protocol {
namespace {

Status Invalid(const std::string& why) {
  return Status(reasons::kHostPlatformInvalid, "host platform: " + why);
}

template <size_t N>
bool AllZero(const std::array<uint8_t, N>& a) {
  return std::all_of(a.begin(), a.end(), [](uint8_t b) { return b == 0; });
}

// ReadHex reads a fixed-length byte string spelled as lower-case hex (the canonical encoding is
// the only accepted one, so a document has one spelling per value).
template <size_t N>
Result<std::array<uint8_t, N>> ReadHex(const nlohmann::json& value, const std::string& field) {
  const std::string want = "want " + std::to_string(2 * N) + " lower-case hex digits";
  if (!value.is_string()) {
    return Invalid(field + " is not a string: " + want);
  }
  const std::string& text = value.get_ref<const std::string&>();
  if (text.size() != 2 * N || text.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Invalid(field + ": " + want);
  }
  Result<Bytes> bytes = HexDecode(text);
  if (!bytes.ok()) {
    return Invalid(field + ": " + want);
  }
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

Result<TdxPlatformIdentity> ReadTdx(const nlohmann::json& value) {
  if (!value.is_object() || value.size() != 3 || !value.contains("ppid") ||
      !value.contains("pce_id") || !value.contains("fmspc")) {
    return Invalid("tdx is not null or an object with exactly fmspc, pce_id and ppid");
  }
  TdxPlatformIdentity tdx;
  ATTEST_ASSIGN_OR_RETURN(tdx.ppid, ReadHex<16>(value.at("ppid"), "tdx.ppid"));
  ATTEST_ASSIGN_OR_RETURN(tdx.pce_id, ReadHex<2>(value.at("pce_id"), "tdx.pce_id"));
  ATTEST_ASSIGN_OR_RETURN(tdx.fmspc, ReadHex<6>(value.at("fmspc"), "tdx.fmspc"));
  if (AllZero(tdx.ppid)) {
    return Invalid("tdx.ppid is all zero");
  }
  return tdx;
}

// Check holds what every document must satisfy, whichever way it was made; sorts the chips.
Status CheckAndSort(HostPlatform& p) {
  if (p.snp_chip_ids.size() > kMaxSnpChips) {
    return Invalid("more than " + std::to_string(kMaxSnpChips) + " snp_chip_ids");
  }
  std::sort(p.snp_chip_ids.begin(), p.snp_chip_ids.end());
  for (size_t i = 0; i < p.snp_chip_ids.size(); ++i) {
    if (AllZero(p.snp_chip_ids[i])) {
      return Invalid("snp_chip_ids: an all-zero CHIP_ID (MASK_CHIP_ID) names no chip");
    }
    if (i > 0 && p.snp_chip_ids[i] == p.snp_chip_ids[i - 1]) {
      return Invalid("snp_chip_ids: chip " + DescribeSnpChip(p.snp_chip_ids[i]) + " listed twice");
    }
  }
  if (p.tdx && AllZero(p.tdx->ppid)) {
    return Invalid("tdx.ppid is all zero");
  }
  return Status::Ok();
}

}  // namespace

bool HostPlatform::OwnsSnpChip(const SnpChipId& chip_id) const {
  return std::find(snp_chip_ids.begin(), snp_chip_ids.end(), chip_id) != snp_chip_ids.end();
}

Result<HostPlatform> HostPlatformFromJson(const nlohmann::json& j) {
  if (!j.is_object() || j.size() != 3 || !j.contains("v") || !j.contains("snp_chip_ids") ||
      !j.contains("tdx")) {
    return Invalid("not an object with exactly the keys snp_chip_ids, tdx and v");
  }
  const nlohmann::json& v = j.at("v");
  if (!v.is_number_integer() || v.get<int64_t>() != 1) {
    return Invalid("v is not 1");
  }
  const nlohmann::json& chips = j.at("snp_chip_ids");
  if (!chips.is_array()) {
    return Invalid("snp_chip_ids is not an array");
  }
  if (chips.size() > kMaxSnpChips) {
    return Invalid("more than " + std::to_string(kMaxSnpChips) + " snp_chip_ids");
  }
  HostPlatform p;
  for (size_t i = 0; i < chips.size(); ++i) {
    ATTEST_ASSIGN_OR_RETURN(SnpChipId chip,
                            ReadHex<64>(chips[i], "snp_chip_ids[" + std::to_string(i) + "]"));
    p.snp_chip_ids.push_back(chip);
  }
  if (!j.at("tdx").is_null()) {
    ATTEST_ASSIGN_OR_RETURN(p.tdx, ReadTdx(j.at("tdx")));
  }
  ATTEST_RETURN_IF_ERROR(CheckAndSort(p));
  return p;
}

Result<HostPlatform> ParseHostPlatform(std::string_view text) {
  if (text.size() > kMaxHostPlatformBytes) {
    return Invalid("longer than " + std::to_string(kMaxHostPlatformBytes) + " bytes");
  }
  JsonReadOptions options;
  options.max_depth = 4;
  Result<nlohmann::json> parsed = ReadJson(text, reasons::kHostPlatformInvalid, options);
  if (!parsed.ok()) {
    return Invalid("not JSON: " + parsed.status().message());
  }
  return HostPlatformFromJson(*parsed);
}

nlohmann::json HostPlatformToJson(const HostPlatform& platform) {
  HostPlatform sorted = platform;
  std::sort(sorted.snp_chip_ids.begin(), sorted.snp_chip_ids.end());
  nlohmann::json chips = nlohmann::json::array();
  for (const SnpChipId& c : sorted.snp_chip_ids) {
    chips.push_back(HexEncode(c));
  }
  nlohmann::json tdx = nullptr;
  if (sorted.tdx) {
    tdx = {{"ppid", HexEncode(sorted.tdx->ppid)},
           {"pce_id", HexEncode(sorted.tdx->pce_id)},
           {"fmspc", HexEncode(sorted.tdx->fmspc)}};
  }
  return {{"v", 1}, {"snp_chip_ids", chips}, {"tdx", tdx}};
}

Result<std::string> SerializeHostPlatform(const HostPlatform& platform) {
  HostPlatform checked = platform;
  ATTEST_RETURN_IF_ERROR(CheckAndSort(checked));
  // nlohmann::json objects are std::map (keys in byte order) and dump() without indent has no
  // whitespace; every string is hex, so nothing needs escaping: the bytes are JCS.
  return HostPlatformToJson(checked).dump();
}

Sha256Digest QuoteQualifyingData(ByteSpan nonce, std::string_view canonical) {
  const auto n = static_cast<uint32_t>(nonce.size());
  const uint8_t length[4] = {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                             static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  Bytes message;
  message.reserve(kQuoteBindingLabel.size() + 4 + nonce.size() + canonical.size());
  message.insert(message.end(), kQuoteBindingLabel.begin(), kQuoteBindingLabel.end());
  message.insert(message.end(), std::begin(length), std::end(length));
  message.insert(message.end(), nonce.begin(), nonce.end());
  message.insert(message.end(), canonical.begin(), canonical.end());
  return Sha256(message);
}

std::string DescribeSnpChip(const SnpChipId& chip_id) {
  return HexEncode(ByteSpan(chip_id.data(), 8)) + "...";
}

std::string DescribeTdxPlatform(const TdxPlatformIdentity& tdx) {
  return "ppid=" + HexEncode(tdx.ppid) + " pce_id=" + HexEncode(tdx.pce_id) +
         " fmspc=" + HexEncode(tdx.fmspc);
}

}  // namespace attest::protocol
