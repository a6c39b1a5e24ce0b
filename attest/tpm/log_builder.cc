#include "attest/tpm/log_builder.h"

#include <cstring>

#include "attest/tpm/eventlog.h"

namespace attest::tpm {

void LogBuilder::U16(uint16_t v) {
  bytes_.push_back(static_cast<uint8_t>(v));
  bytes_.push_back(static_cast<uint8_t>(v >> 8));
}

void LogBuilder::U32(uint32_t v) {
  U16(static_cast<uint16_t>(v));
  U16(static_cast<uint16_t>(v >> 16));
}

LogBuilder LogBuilder::Agile(std::vector<uint16_t> banks) {
  LogBuilder b;
  b.banks_ = std::move(banks);
  // Header: a legacy TCG_PCR_EVENT, EV_NO_ACTION in PCR 0, zero SHA-1 digest, TCG_EfiSpecIDEvent.
  Bytes spec(16, 0);
  std::memcpy(spec.data(), "Spec ID Event03", 15);
  auto push32 = [&spec](uint32_t v) {
    for (int i = 0; i < 4; ++i) {
      spec.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
  };
  push32(0);                              // platformClass
  spec.insert(spec.end(), {0, 2, 0, 2});  // minor, major, errata, uintnSize
  push32(static_cast<uint32_t>(b.banks_.size()));
  for (uint16_t alg : b.banks_) {
    const size_t size = FindHashAlg(alg) ? FindHashAlg(alg)->size : 32;
    spec.insert(spec.end(), {static_cast<uint8_t>(alg), static_cast<uint8_t>(alg >> 8),
                             static_cast<uint8_t>(size), static_cast<uint8_t>(size >> 8)});
  }
  spec.push_back(0);  // vendorInfoSize
  b.U32(0);
  b.U32(kEvNoAction);
  b.bytes_.insert(b.bytes_.end(), 20, 0);
  b.U32(static_cast<uint32_t>(spec.size()));
  b.bytes_.insert(b.bytes_.end(), spec.begin(), spec.end());
  return b;
}

LogBuilder LogBuilder::Legacy() {
  LogBuilder b;
  b.agile_ = false;
  b.banks_ = {kAlgSha1};
  return b;
}

LogBuilder& LogBuilder::Add(uint32_t pcr, uint32_t type, ByteSpan data) {
  std::vector<std::pair<uint16_t, Bytes>> digests;
  for (uint16_t alg : banks_) {
    auto h = FindHashAlg(alg);
    digests.emplace_back(alg, type == kEvNoAction ? Bytes(h->size, 0) : Digest(*h, data));
  }
  return AddWithDigests(pcr, type, data, digests);
}

LogBuilder& LogBuilder::AddWithDigests(uint32_t pcr, uint32_t type, ByteSpan data,
                                       const std::vector<std::pair<uint16_t, Bytes>>& digests) {
  U32(pcr);
  U32(type);
  if (agile_) {
    U32(static_cast<uint32_t>(digests.size()));
    for (const auto& [alg, digest] : digests) {
      U16(alg);
      bytes_.insert(bytes_.end(), digest.begin(), digest.end());
    }
  } else {
    bytes_.insert(bytes_.end(), digests.front().second.begin(), digests.front().second.end());
  }
  U32(static_cast<uint32_t>(data.size()));
  bytes_.insert(bytes_.end(), data.begin(), data.end());
  return *this;
}

LogBuilder& LogBuilder::AddStartupLocality(uint8_t locality) {
  Bytes data(16, 0);
  std::memcpy(data.data(), "StartupLocality", 15);
  data.push_back(locality);
  return Add(0, kEvNoAction, data);
}

}  // namespace attest::tpm
