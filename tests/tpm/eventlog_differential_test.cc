// Differential test: for every shared event log our replay equals the `pcrs:` section that
// tpm2-tools' tpm2_eventlog prints for the same file (every bank, every PCR). Label: integration.
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

#include "attest/core/encoding.h"
#include "attest/tpm/eventlog.h"
#include "tests/testing/vectors.h"

namespace attest::tpm {
namespace {

// ToolPcrs runs tpm2_eventlog on path and parses its final "pcrs:" section.
std::map<std::string, std::map<uint32_t, std::string>> ToolPcrs(const std::string& path) {
  std::map<std::string, std::map<uint32_t, std::string>> out;
  FILE* pipe = popen(("tpm2_eventlog '" + path + "' 2>/dev/null").c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  if (pipe == nullptr) {
    return out;
  }
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) {
    text.append(buf, n);
  }
  EXPECT_EQ(pclose(pipe), 0) << "tpm2_eventlog failed on " << path;
  const size_t start = text.rfind("\npcrs:\n");
  EXPECT_NE(start, std::string::npos);
  if (start == std::string::npos) {
    return out;
  }
  std::istringstream in(text.substr(start + 7));
  std::string line, bank;
  while (std::getline(in, line)) {
    if (line.rfind("    ", 0) == 0) {
      const uint32_t index = static_cast<uint32_t>(std::stoul(line.substr(4)));
      std::string hex = line.substr(line.find("0x") + 2);
      for (char& c : hex) {
        c = static_cast<char>(std::tolower(c));
      }
      out[bank][index] = hex;
    } else if (line.rfind("  ", 0) == 0) {
      bank = line.substr(2, line.find(':') - 2);
    }
  }
  return out;
}

TEST(EventLogDifferential, ReplayEqualsTpm2Eventlog) {
  const char* const kLogs[] = {"tpm/eventlogs/rhel8-uefi.bin",
                               "tpm/eventlogs/ubuntu-1804-amd-sev.bin",
                               "tpm/eventlogs/ubuntu-2104-no-secure-boot.bin",
                               "tpm/eventlogs/arch-linux-workstation.bin",
                               "tpm/eventlogs/cos-85-amd-sev.bin",
                               "tpm/eventlogs/cos-101-amd-sev.bin",
                               "tpm/ovmf-swtpm/eventlog.bin",
                               "tpm/quote-windows-gcp/eventlog.bin",
                               "tpm/tpm2-tools/event-postcode.bin",
                               "tpm/tpm2-tools/event-sd-boot-fedora37.bin",
                               "tpm/tpm2-tools/event-uefi-sha1-log.bin"};
  for (const char* name : kLogs) {
    SCOPED_TRACE(name);
    const auto want = ToolPcrs(testing::VectorPath(name));
    ASSERT_FALSE(want.empty());
    auto log = ParseEventLog(testing::ReadVector(name));
    ASSERT_TRUE(log.ok()) << log.status().ToString();
    auto replay = ReplayEventLog(*log);
    ASSERT_TRUE(replay.ok()) << replay.status().ToString();
    std::map<std::string, std::map<uint32_t, std::string>> got;
    for (const auto& [alg, pcrs] : *replay) {
      for (const auto& [index, value] : pcrs) {
        got[HashAlgName(alg)][index] = HexEncode(value);
      }
    }
    EXPECT_EQ(got, want);
  }
}

}  // namespace
}  // namespace attest::tpm
