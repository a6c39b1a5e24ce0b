// CheckHostPlatform: the evidence's chip against the placed host's platform document.
#include "service/release/platform_check.h"

#include <gtest/gtest.h>

#include <functional>

namespace attest::service::release {
namespace {

protocol::SnpChipId Chip(uint8_t fill) {
  protocol::SnpChipId c{};
  c.fill(fill);
  return c;
}

protocol::TdxPlatformIdentity Pck(uint8_t ppid_fill) {
  protocol::TdxPlatformIdentity t;
  t.ppid.fill(ppid_fill);
  t.pce_id = {0, 1};
  t.fmspc = {0xb0, 0xc0, 0x6f, 0, 0, 0};
  return t;
}

// Host: two SNP sockets (0x11, 0x22) and a TDX platform (PPID 0xab...).
std::string Host() {
  protocol::HostPlatform p;
  p.snp_chip_ids = {Chip(0x22), Chip(0x11)};
  p.tdx = Pck(0xab);
  return protocol::SerializeHostPlatform(p).value();
}

EvidencePlatform Snp(uint8_t chip, snp::SigningKey key = snp::SigningKey::kVcek) {
  EvidencePlatform e;
  e.tee = "snp";
  e.snp_chip_id = Chip(chip);
  e.snp_signing_key = key;
  return e;
}

EvidencePlatform Tdx(const protocol::TdxPlatformIdentity& pck) {
  EvidencePlatform e;
  e.tee = "tdx";
  e.tdx_pck = pck;
  return e;
}

TEST(CheckHostPlatform, EvidenceFromTheHostsOwnChipsPasses) {
  EXPECT_FALSE(CheckHostPlatform(Snp(0x11), Host(), false).has_value());
  EXPECT_FALSE(CheckHostPlatform(Snp(0x22), Host(), false).has_value());
  EXPECT_FALSE(CheckHostPlatform(Snp(0x22, snp::SigningKey::kVlek), Host(), false).has_value());
  EXPECT_FALSE(CheckHostPlatform(Tdx(Pck(0xab)), Host(), false).has_value());
  // Masked chips only with the tenant's consent (and on a host with SNP chips).
  EXPECT_FALSE(CheckHostPlatform(Snp(0, snp::SigningKey::kVlek), Host(), true).has_value());
}

TEST(CheckHostPlatform, EveryOtherPlatformIsRefused) {
  protocol::TdxPlatformIdentity other_fmspc = Pck(0xab);
  other_fmspc.fmspc[5] = 1;
  protocol::TdxPlatformIdentity other_pce = Pck(0xab);
  other_pce.pce_id[1] = 2;
  const std::string no_tees = protocol::SerializeHostPlatform({}).value();
  struct Case {
    std::string name;
    EvidencePlatform evidence;
    std::string host;
    bool allow_masked;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"snp: another chip", Snp(0x33), Host(), false, "release.host_platform_mismatch"},
      {"snp: another chip, masking allowed", Snp(0x33), Host(), true,
       "release.host_platform_mismatch"},
      {"snp: one byte off",
       [] {
         EvidencePlatform e = Snp(0x11);
         (*e.snp_chip_id)[63] ^= 1;
         return e;
       }(),
       Host(), false, "release.host_platform_mismatch"},
      {"snp: chip unknown (report did not parse)",
       [] {
         EvidencePlatform e = Snp(0x11);
         e.snp_chip_id.reset();
         return e;
       }(),
       Host(), false, "release.host_platform_mismatch"},
      {"snp: masked, VLEK", Snp(0, snp::SigningKey::kVlek), Host(), false,
       "release.host_chip_masked"},
      {"snp: masked, VCEK", Snp(0), Host(), false, "release.host_chip_masked"},
      {"snp: masked, allowed, host has no SNP chip", Snp(0, snp::SigningKey::kVlek), no_tees, true,
       "release.host_platform_mismatch"},
      {"snp: host has no SNP chip", Snp(0x11), no_tees, false, "release.host_platform_mismatch"},
      {"tdx: another PPID", Tdx(Pck(0xac)), Host(), false, "release.host_platform_mismatch"},
      {"tdx: another FMSPC", Tdx(other_fmspc), Host(), false, "release.host_platform_mismatch"},
      {"tdx: another PCE-ID", Tdx(other_pce), Host(), false, "release.host_platform_mismatch"},
      {"tdx: PCK unknown (quote did not verify)",
       [] {
         EvidencePlatform e = Tdx(Pck(0xab));
         e.tdx_pck.reset();
         return e;
       }(),
       Host(), false, "release.host_platform_mismatch"},
      {"tdx: host has no TDX", Tdx(Pck(0xab)), no_tees, false, "release.host_platform_mismatch"},
      {"host has no document", Snp(0x11), "", false, "release.host_platform_mismatch"},
      {"host document unreadable", Snp(0x11), "{\"v\":1}", false, "release.host_platform_mismatch"},
      {"other evidence type",
       [] {
         EvidencePlatform e;
         e.tee = "sev";
         return e;
       }(),
       Host(), true, "release.host_platform_mismatch"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::optional<Status> s = CheckHostPlatform(c.evidence, c.host, c.allow_masked);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->reason_id(), c.want);
    EXPECT_FALSE(s->message().empty());
  }
  // The message carries got and want.
  const std::string message = CheckHostPlatform(Snp(0x33), Host(), false)->message();
  EXPECT_NE(message.find("got 3333333333333333..."), std::string::npos) << message;
  EXPECT_NE(message.find("want one of the placed host's chips [1111111111111111..., "
                         "2222222222222222...]"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace attest::service::release
