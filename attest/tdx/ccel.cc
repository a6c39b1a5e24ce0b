#include "attest/tdx/ccel.h"

#include <map>
#include <string>

#include "attest/core/byte_reader.h"
#include "attest/core/digest.h"
#include "attest/core/encoding.h"

namespace attest::tdx {
namespace {

constexpr Reason kBad = reasons::kTdxCcelMalformed;
constexpr uint32_t kEvNoAction = 0x00000003;
constexpr uint16_t kAlgSha384 = 0x000c;
constexpr size_t kMaxEvents = 100000;
constexpr size_t kMaxAlgorithms = 16;
constexpr size_t kMaxEventDataBytes = 16 << 20;

bool AllBytes(ByteSpan data, uint8_t value) {
  for (uint8_t b : data) {
    if (b != value) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<CcelReplay> ReplayCcel(ByteSpan log) {
  ByteReader r(log, kBad, "ccel");
  // First record: TCG_PCClientPCREvent with the Spec ID event (SHA-1 layout, digest ignored).
  // Its index field is not meaningful here (TDVF writes 1), so only the type is checked.
  ATTEST_RETURN_IF_ERROR(r.Skip(4));
  ATTEST_ASSIGN_OR_RETURN(uint32_t first_type, r.ReadU32Le());
  if (first_type != kEvNoAction) {
    return r.Error("first event is not the EV_NO_ACTION Spec ID event");
  }
  ATTEST_RETURN_IF_ERROR(r.Skip(20));
  ATTEST_ASSIGN_OR_RETURN(uint32_t header_size, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(ByteReader h, r.SubReader(header_size));
  ATTEST_ASSIGN_OR_RETURN(auto signature, h.ReadArray<16>());
  static constexpr char kSpecId[] = "Spec ID Event03";
  if (std::string(signature.begin(), signature.end()) != std::string(kSpecId, sizeof(kSpecId))) {
    return h.Error("header signature is not \"Spec ID Event03\"");
  }
  ATTEST_RETURN_IF_ERROR(h.Skip(8));  // platformClass, spec version, errata, uintnSize
  ATTEST_ASSIGN_OR_RETURN(uint32_t num_algs, h.ReadU32Le());
  if (num_algs == 0 || num_algs > kMaxAlgorithms) {
    return h.Error("bad numberOfAlgorithms");
  }
  std::map<uint16_t, uint16_t> digest_sizes;
  for (uint32_t i = 0; i < num_algs; ++i) {
    ATTEST_ASSIGN_OR_RETURN(uint16_t alg, h.ReadU16Le());
    ATTEST_ASSIGN_OR_RETURN(uint16_t size, h.ReadU16Le());
    if (size == 0 || size > 64) {
      return h.Error("bad digest size");
    }
    digest_sizes[alg] = size;
  }
  ATTEST_ASSIGN_OR_RETURN(uint8_t vendor_size, h.ReadU8());
  ATTEST_RETURN_IF_ERROR(h.Skip(vendor_size));
  ATTEST_RETURN_IF_ERROR(h.ExpectEnd());
  auto sha384 = digest_sizes.find(kAlgSha384);
  if (sha384 == digest_sizes.end() || sha384->second != 48) {
    return Status(kBad, "ccel: the Spec ID event declares no SHA-384 digests");
  }

  CcelReplay out;
  while (!r.empty()) {
    // The rest of the (fixed-size) log area is erased flash or zero fill.
    ATTEST_ASSIGN_OR_RETURN(ByteSpan rest, ByteReader(r).ReadBytes(r.remaining()));
    if (AllBytes(rest, 0xff) || AllBytes(rest, 0x00)) {
      break;
    }
    if (out.events.size() >= kMaxEvents) {
      return r.Error("too many events");
    }
    ATTEST_ASSIGN_OR_RETURN(uint32_t index, r.ReadU32Le());
    ATTEST_ASSIGN_OR_RETURN(uint32_t type, r.ReadU32Le());
    ATTEST_ASSIGN_OR_RETURN(uint32_t count, r.ReadU32Le());
    if (count == 0 || count > kMaxAlgorithms) {
      return r.Error("bad digest count");
    }
    std::optional<Bytes48> digest;
    for (uint32_t i = 0; i < count; ++i) {
      ATTEST_ASSIGN_OR_RETURN(uint16_t alg, r.ReadU16Le());
      auto size = digest_sizes.find(alg);
      if (size == digest_sizes.end()) {
        return r.Error("digest of an algorithm not in the header");
      }
      ATTEST_ASSIGN_OR_RETURN(ByteSpan d, r.ReadBytes(size->second));
      if (alg == kAlgSha384) {
        Bytes48 v{};
        std::copy(d.begin(), d.end(), v.begin());
        digest = v;
      }
    }
    ATTEST_ASSIGN_OR_RETURN(uint32_t data_size, r.ReadU32Le());
    if (data_size > kMaxEventDataBytes) {
      return r.Error("event data too large");
    }
    ATTEST_RETURN_IF_ERROR(r.Skip(data_size));
    if (type == kEvNoAction) {
      continue;
    }
    if (!digest) {
      return r.Error("event without a SHA-384 digest");
    }
    if (index > 4) {
      return r.Error("MR index " + std::to_string(index) + " above 4");
    }
    out.events.push_back({index, type, *digest});
    if (index == 0) {
      continue;  // MRTD is built by the TDX module, not by extending RTMRs
    }
    Bytes48& rtmr = out.rtmr[index - 1];
    rtmr = ExtendRtmr(rtmr, *digest);
  }
  return out;
}

Bytes48 ExtendRtmr(const Bytes48& rtmr, const Bytes48& digest) {
  uint8_t buf[96];
  std::copy(rtmr.begin(), rtmr.end(), buf);
  std::copy(digest.begin(), digest.end(), buf + 48);
  return Sha384(ByteSpan(buf, sizeof(buf)));
}

Status CheckRtmrs(const CcelReplay& replay, const TdReport& report) {
  for (size_t i = 0; i < 4; ++i) {
    if (replay.rtmr[i] != report.rtmr[i]) {
      return Status(reasons::kTdxRtmrMismatch,
                    "RTMR" + std::to_string(i) + ": event log replays to " +
                        HexEncode(replay.rtmr[i]) + ", quote has " + HexEncode(report.rtmr[i]));
    }
  }
  return Status::Ok();
}

}  // namespace attest::tdx
