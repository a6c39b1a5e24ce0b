#include "attest/tpm/eventlog.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include <cstring>
#include <set>

#include "attest/core/encoding.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/log_builder.h"
#include "attest/tpm/verify.h"
#include "tests/testing/vectors.h"

namespace attest::tpm {
namespace {

using attest::testing::ReadVector;
using attest::testing::ReadVectorText;

// ExpectBanks compares a replay with want (bank name -> PCR -> hex), both ways: every expected PCR
// is replayed to its value, and the replay reports no PCR the expectation lacks.
void ExpectBanks(const PcrBanks& got, const nlohmann::json& want, bool all_banks = true) {
  size_t want_banks = 0;
  for (auto& [bank_name, pcrs] : want.items()) {
    ++want_banks;
    auto alg = FindHashAlgByName(bank_name);
    ASSERT_TRUE(alg.has_value()) << bank_name;
    auto bank = got.find(alg->id);
    ASSERT_NE(bank, got.end()) << "bank " << bank_name << " not replayed";
    EXPECT_EQ(bank->second.size(), pcrs.size()) << bank_name;
    for (auto& [index, hex] : pcrs.items()) {
      auto pcr = bank->second.find(static_cast<uint32_t>(std::stoul(index)));
      ASSERT_NE(pcr, bank->second.end()) << bank_name << " pcr " << index;
      EXPECT_EQ(HexEncode(pcr->second), hex.get<std::string>()) << bank_name << " pcr " << index;
    }
  }
  if (all_banks) {
    EXPECT_EQ(got.size(), want_banks);
  }
}

TEST(EventLogVectors, GoEventlogLogsReplayToDocumentedPcrs) {
  for (const char* name : {"rhel8-uefi", "ubuntu-1804-amd-sev", "ubuntu-2104-no-secure-boot",
                           "arch-linux-workstation", "cos-85-amd-sev", "cos-101-amd-sev"}) {
    SCOPED_TRACE(name);
    const Bytes bytes = ReadVector(std::string("tpm/eventlogs/") + name + ".bin");
    auto want =
        nlohmann::json::parse(ReadVectorText(std::string("tpm/eventlogs/") + name + ".pcrs.json"));
    auto log = ParseEventLog(bytes);
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_EQ(log->format, EventLogFormat::kCryptoAgile);
    auto replay = ReplayEventLog(*log);
    ASSERT_TRUE(replay.ok()) << replay.status().ToString();
    // The Go test source documents only the sha1 and sha256 banks; the logs also carry sha384.
    ExpectBanks(*replay, want["banks"], /*all_banks=*/false);
  }
}

// ParseToolsYamlPcrs reads the final "pcrs:" section that tpm2_eventlog prints.
nlohmann::json ParseToolsYamlPcrs(const std::string& yaml) {
  nlohmann::json out = nlohmann::json::object();
  std::istringstream in(yaml.substr(yaml.rfind("\npcrs:\n") + 7));
  std::string line, bank;
  while (std::getline(in, line)) {
    if (line.rfind("    ", 0) == 0) {
      const size_t colon = line.find(':');
      std::string index = line.substr(4, colon - 4);
      index.erase(index.find_last_not_of(' ') + 1);
      out[bank][index] = line.substr(line.find("0x") + 2);
    } else if (line.rfind("  ", 0) == 0) {
      bank = line.substr(2, line.find(':') - 2);
    }
  }
  return out;
}

TEST(EventLogVectors, Tpm2ToolsFixturesReplayToTheirYamlPcrs) {
  struct Case {
    const char* name;
    EventLogFormat format;
  };
  for (const Case& c : {Case{"event-postcode", EventLogFormat::kCryptoAgile},
                        Case{"event-sd-boot-fedora37", EventLogFormat::kCryptoAgile},
                        Case{"event-uefi-sha1-log", EventLogFormat::kLegacySha1}}) {
    SCOPED_TRACE(c.name);
    auto want =
        ParseToolsYamlPcrs(ReadVectorText(std::string("tpm/tpm2-tools/") + c.name + ".bin.yaml"));
    for (auto& [bank, pcrs] : want.items()) {
      for (auto& [index, hex] : pcrs.items()) {
        std::string lower = hex.get<std::string>();
        for (char& ch : lower) {
          ch = static_cast<char>(std::tolower(ch));
        }
        hex = lower;
      }
    }
    ASSERT_FALSE(want.empty());
    auto log = ParseEventLog(ReadVector(std::string("tpm/tpm2-tools/") + c.name + ".bin"));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_EQ(log->format, c.format);
    auto replay = ReplayEventLog(*log);
    ASSERT_TRUE(replay.ok()) << replay.status().ToString();
    ExpectBanks(*replay, want);
  }
}

TEST(EventLogVectors, WindowsGcpLogReplaysToItsSha1Pcrs) {
  auto log = ParseEventLog(ReadVector("tpm/quote-windows-gcp/eventlog.bin"));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto replay = ReplayEventLog(*log);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  auto want = nlohmann::json::parse(ReadVectorText("tpm/quote-windows-gcp/pcrs.json"));
  const auto& sha1 = replay->at(kAlgSha1);
  ASSERT_FALSE(sha1.empty());
  for (const auto& [index, value] : sha1) {
    EXPECT_EQ(HexEncode(value), want[std::to_string(index)].get<std::string>()) << index;
  }
}

TEST(EventLogVectors, OvmfSwtpmLogReplaysEveryBank) {
  auto log = ParseEventLog(ReadVector("tpm/ovmf-swtpm/eventlog.bin"));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto replay = ReplayEventLog(*log);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_EQ(replay->size(), 4u);  // sha1, sha256, sha384, sha512 (PLATFORM.md)
  // PLATFORM.md: PCR0 177e29c4..., PCR7 65caf8dd... as read inside the guest (sha256 bank).
  EXPECT_EQ(HexEncode(replay->at(kAlgSha256).at(0)).substr(0, 8), "177e29c4");
  EXPECT_EQ(HexEncode(replay->at(kAlgSha256).at(7)).substr(0, 8), "65caf8dd");
}

}  // namespace
}  // namespace attest::tpm

namespace attest::tpm {
namespace {

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes Replayed(const Bytes& log_bytes, uint16_t alg, uint32_t pcr,
               ReplayMode mode = ReplayMode::kStatic) {
  auto log = ParseEventLog(log_bytes);
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  if (!log.ok()) {
    return {};
  }
  auto replay = ReplayEventLog(*log, mode);
  EXPECT_TRUE(replay.ok()) << replay.status().ToString();
  if (!replay.ok()) {
    return {};
  }
  return replay->at(alg).at(pcr);
}

Bytes ExtendFrom(Bytes pcr, uint16_t alg, std::initializer_list<std::string_view> data) {
  auto h = *FindHashAlg(alg);
  for (std::string_view d : data) {
    Extend(h, pcr, Digest(h, Text(d)));
  }
  return pcr;
}

TEST(EventLogCrafted, StartupLocalityAndHcrtmSetPcr0InitialValue) {
  for (uint8_t locality : {3, 4}) {
    SCOPED_TRACE(static_cast<int>(locality));
    LogBuilder b = LogBuilder::Agile({kAlgSha1, kAlgSha256});
    b.AddStartupLocality(locality);
    // With locality 4 (H-CRTM) the first PCR 0 record is the H-CRTM measurement itself.
    b.Add(0, locality == 4 ? kEvEfiHcrtmEvent : kEvSCrtmVersion, Text("crtm"));
    auto log = ParseEventLog(b.bytes());
    ASSERT_TRUE(log.ok());
    EXPECT_EQ(log->startup_locality, locality);
    for (uint16_t alg : {kAlgSha1, kAlgSha256}) {
      Bytes initial(FindHashAlg(alg)->size, 0);
      initial.back() = locality;
      EXPECT_EQ(Replayed(b.bytes(), alg, 0), ExtendFrom(initial, alg, {"crtm"}));
    }
  }
}

TEST(EventLogCrafted, UnknownEventTypesReplayAsOpaqueRecords) {
  LogBuilder b = LogBuilder::Agile({kAlgSha256});
  b.Add(3, 0xdeadbeef, Text("vendor thing")).Add(3, kEvSeparator, Bytes(4, 0));
  auto log = ParseEventLog(b.bytes());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->events.size(), 2u);
  EXPECT_EQ(
      Replayed(b.bytes(), kAlgSha256, 3),
      ExtendFrom(Bytes(32, 0), kAlgSha256, {"vendor thing", std::string_view("\0\0\0\0", 4)}));
  auto claims = ExtractBootClaims(*log, {});
  EXPECT_EQ(claims.num_opaque_events, 1u);
}

TEST(EventLogCrafted, LegacyLogReplaysSha1AndSkipsNoAction) {
  LogBuilder b = LogBuilder::Legacy();
  b.Add(0, kEvPostCode, Text("bios"))
      .Add(0, kEvNoAction, Text("ignored"))
      .Add(4, kEvIpl, Text("x"));
  auto log = ParseEventLog(b.bytes());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->format, EventLogFormat::kLegacySha1);
  EXPECT_EQ(Replayed(b.bytes(), kAlgSha1, 0), ExtendFrom(Bytes(20, 0), kAlgSha1, {"bios"}));
}

TEST(EventLogCrafted, DynamicReplayStartsFromZeroAndOnlyAllowsPcrs17To22) {
  LogBuilder b = LogBuilder::Agile({kAlgSha256});
  b.Add(17, 0x402, Text("sinit")).Add(18, 0x404, Text("mle"));
  EXPECT_EQ(Replayed(b.bytes(), kAlgSha256, 17, ReplayMode::kDynamic),
            ExtendFrom(Bytes(32, 0), kAlgSha256, {"sinit"}));
  LogBuilder bad = LogBuilder::Agile({kAlgSha256});
  bad.Add(0, kEvPostCode, Text("x"));
  auto log = ParseEventLog(bad.bytes());
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(ReplayEventLog(*log, ReplayMode::kDynamic).status().reason_id(), "eventlog.malformed");
}

Bytes SpecIdLog(uint32_t num_algs, const std::vector<std::pair<uint16_t, uint16_t>>& algs,
                uint8_t major = 2, uint8_t vendor_size = 0, size_t vendor_actual = 0) {
  Bytes spec(16, 0);
  std::memcpy(spec.data(), "Spec ID Event03", 15);
  spec.insert(spec.end(), {0, 0, 0, 0, 0, major, 0, 2});
  for (int i = 0; i < 4; ++i) {
    spec.push_back(static_cast<uint8_t>(num_algs >> (8 * i)));
  }
  for (auto [alg, size] : algs) {
    spec.insert(spec.end(), {static_cast<uint8_t>(alg), static_cast<uint8_t>(alg >> 8),
                             static_cast<uint8_t>(size), static_cast<uint8_t>(size >> 8)});
  }
  spec.push_back(vendor_size);
  spec.insert(spec.end(), vendor_actual, 0);
  Bytes log = {0, 0, 0, 0, 3, 0, 0, 0};
  log.insert(log.end(), 20, 0);
  for (int i = 0; i < 4; ++i) {
    log.push_back(static_cast<uint8_t>(spec.size() >> (8 * i)));
  }
  log.insert(log.end(), spec.begin(), spec.end());
  return log;
}

TEST(EventLogCrafted, MalformedLogsAreRejectedWithTheirReason) {
  const Bytes good = LogBuilder::Agile({kAlgSha1, kAlgSha256}).Add(0, 1, Text("a")).bytes();
  Bytes trailing = good;
  trailing.insert(trailing.end(), {0, 0, 0});
  Bytes truncated_data = good;
  truncated_data.pop_back();
  std::vector<std::pair<uint16_t, uint16_t>> seventeen;
  for (uint16_t i = 0; i < 17; ++i) {
    seventeen.push_back({static_cast<uint16_t>(0x100 + i), 32});
  }
  LogBuilder missing = LogBuilder::Agile({kAlgSha1, kAlgSha256});
  missing.AddWithDigests(0, 1, Text("a"), {{kAlgSha1, Bytes(20, 1)}});
  LogBuilder undeclared = LogBuilder::Agile({kAlgSha1});
  undeclared.AddWithDigests(0, 1, Text("a"), {{kAlgSha256, Bytes(32, 1)}});
  LogBuilder repeated = LogBuilder::Agile({kAlgSha1, kAlgSha256});
  repeated.AddWithDigests(0, 1, Text("a"), {{kAlgSha1, Bytes(20, 1)}, {kAlgSha1, Bytes(20, 1)}});
  LogBuilder too_many = LogBuilder::Agile({kAlgSha1});
  too_many.AddWithDigests(0, 1, Text("a"), {{kAlgSha1, Bytes(20, 1)}, {kAlgSha1, Bytes(20, 1)}});
  struct Case {
    std::string name;
    Bytes log;
    std::string want;
  };
  const Case cases[] = {
      {"empty", {}, "eventlog.malformed"},
      {"short header", Bytes(10, 0), "eventlog.malformed"},
      {"trailing bytes", trailing, "eventlog.malformed"},
      {"event data past end", truncated_data, "eventlog.malformed"},
      {"zero algorithms", SpecIdLog(0, {}), "eventlog.malformed"},
      {"seventeen algorithms", SpecIdLog(17, seventeen), "eventlog.too_large"},
      {"spec major 1", SpecIdLog(1, {{kAlgSha256, 32}}, 1), "eventlog.malformed"},
      {"sha256 size 31", SpecIdLog(1, {{kAlgSha256, 31}}), "eventlog.malformed"},
      {"digest size 0", SpecIdLog(1, {{0x99, 0}}), "eventlog.malformed"},
      {"bank twice", SpecIdLog(2, {{kAlgSha256, 32}, {kAlgSha256, 32}}), "eventlog.malformed"},
      {"algorithms count past end", SpecIdLog(3, {{kAlgSha256, 32}}), "eventlog.malformed"},
      {"vendor info short", SpecIdLog(1, {{kAlgSha256, 32}}, 2, 4, 2), "eventlog.malformed"},
      {"vendor info long", SpecIdLog(1, {{kAlgSha256, 32}}, 2, 1, 3), "eventlog.malformed"},
      {"missing bank", missing.bytes(), "eventlog.missing_digest"},
      {"undeclared bank", undeclared.bytes(), "eventlog.malformed"},
      {"repeated bank", repeated.bytes(), "eventlog.malformed"},
      {"more digests than banks", too_many.bytes(), "eventlog.malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto log = ParseEventLog(c.log);
    ASSERT_FALSE(log.ok());
    EXPECT_EQ(log.status().reason_id(), c.want) << log.status().ToString();
  }
  // A well-formed record in PCR 24 fails at replay, naming its offset.
  auto log = ParseEventLog(LogBuilder::Agile({kAlgSha256}).Add(24, 1, Text("x")).bytes());
  ASSERT_TRUE(log.ok());
  auto replay = ReplayEventLog(*log);
  EXPECT_EQ(replay.status().reason_id(), "eventlog.malformed");
  EXPECT_NE(replay.status().message().find("offset"), std::string::npos);
}

TEST(EventLogCrafted, TruncationParsesOnlyAtRecordBoundaries) {
  const Bytes full = ReadVector("tpm/tpm2-tools/event-sd-boot-fedora37.bin");
  auto log = ParseEventLog(full);
  ASSERT_TRUE(log.ok());
  std::set<size_t> boundaries = {full.size()};
  for (const TcgEvent& ev : log->events) {
    boundaries.insert(ev.offset);
  }
  for (size_t n = 0; n < full.size(); ++n) {
    auto cut = ParseEventLog(ByteSpan(full).first(n));
    // The header record alone is a valid (empty) log; after it, only record boundaries parse.
    const bool want_ok = n > 0 && boundaries.count(n) != 0;
    ASSERT_EQ(cut.ok(), want_ok) << n;
    if (!cut.ok()) {
      ASSERT_EQ(cut.status().reason_id(), "eventlog.malformed") << n;
    }
  }
}

TEST(EventLogCrafted, EveryDigestBitFlipChangesTheReplayOfItsPcr) {
  const Bytes full = ReadVector("tpm/tpm2-tools/event-sd-boot-fedora37.bin");
  auto log = ParseEventLog(full);
  ASSERT_TRUE(log.ok());
  auto replay = ReplayEventLog(*log);
  ASSERT_TRUE(replay.ok());
  size_t checked = 0;
  for (const TcgEvent& ev : log->events) {
    if (ev.event_type == kEvNoAction) {
      continue;
    }
    // Record layout: pcr(4) type(4) count(4) alg(2) digest(32).
    for (size_t bit = 0; bit < size_t{32} * 8; bit += 37) {
      Bytes bad = full;
      bad[ev.offset + 14 + bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      auto bad_log = ParseEventLog(bad);
      ASSERT_TRUE(bad_log.ok());
      auto bad_replay = ReplayEventLog(*bad_log);
      ASSERT_TRUE(bad_replay.ok());
      Status s = CompareReplay(*replay, *bad_replay, ReplayMode::kStatic);
      EXPECT_EQ(s.reason_id(), "eventlog.pcr_mismatch");
      EXPECT_NE(s.message().find("sha256:" + std::to_string(ev.pcr_index) + " "), std::string::npos)
          << s.message();
      ++checked;
    }
  }
  EXPECT_GT(checked, 100u);
}

}  // namespace
}  // namespace attest::tpm
