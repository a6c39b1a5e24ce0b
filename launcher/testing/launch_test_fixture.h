// The launch tests' fixture: a fake host with the SEV firmware model, and requests for each TEE
// (launch_test.cc, lifecycle_test.cc).
#pragma once

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "attest/sev/measurement.h"
#include "attest/sev/secret.h"
#include "attest/sev/wire.h"
#include "launcher/launch.h"
#include "tests/testing/fake_hypervisor.h"

namespace attest::launcher {

using testing::FakeHypervisor;
using Op = FakeHypervisor::Op;

constexpr const char* kSelinuxHost = attest::testing::kSelinuxHostCapabilities;
constexpr char kDacHost[] =
    "<capabilities><host><secmodel><model>dac</model></secmodel></host></capabilities>";
constexpr char kSevCaps[] =
    "<domainCapabilities><domain>kvm</domain><features><sev supported='yes'><cbitpos>51</cbitpos>"
    "<reducedPhysBits>1</reducedPhysBits><maxGuests>15</maxGuests><maxESGuests>100</maxESGuests>"
    "</sev></features></domainCapabilities>";
constexpr const char* kSnpTdxCaps = attest::testing::kSnpTdxDomainCapabilities;
constexpr char kNoTeeCaps[] =
    "<domainCapabilities><domain>kvm</domain><features><sev supported='no'/></features>"
    "</domainCapabilities>";

inline Sha256Digest Digest(uint8_t fill) {
  Sha256Digest d{};
  d.fill(fill);
  return d;
}

class LaunchTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeSevHost(fake_); }

  // MakeSevHost makes fake a SELinux host offering SEV through platform_, measuring Digest(0x11).
  void MakeSevHost(FakeHypervisor& fake) {
    fake.host_capabilities_xml = kSelinuxHost;
    fake.domain_capabilities_xml = kSevCaps;
    fake.sev_platform = &platform_;
    fake.sev_launch_digest = Digest(0x11);
  }

  LaunchRequest SevRequest(TeeType tee = TeeType::kSev) {
    LaunchRequest r;
    LaunchSpec& s = r.spec;
    s.uuid = "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01";
    s.name = "vm-3f1c9a52";
    s.tenant = "tenant-a";
    s.tee = tee;
    s.memory_mib = 1024;
    s.vcpus = 1;
    s.firmware = Firmware{"/usr/share/OVMF/OVMF.amdsev.fd", "", ""};
    s.disks.push_back({"/var/lib/attest/volumes/vol-1.img", "tenant-a", "vda", "raw", false});
    s.interfaces.push_back({"attest-net-net-1", "", {{"IP", "10.20.0.5"}}, ""});
    r.nets.push_back({"net-1", "tenant-a", "10.20.0.0/24", false});
    r.groups.push_back({"web", "tenant-a", {{Protocol::kTcp, 443, 443, "0.0.0.0/0", ""}}});
    if (tee == TeeType::kSev || tee == TeeType::kSevEs) {
      s.sev.policy = tee == TeeType::kSevEs ? 0x37 : 0x33;
      auto pdh = sev::ParseSevCert(platform_.pdh());
      EXPECT_TRUE(pdh.ok());
      auto session = sev::CreateOwnerSession(*pdh, s.sev.policy);
      EXPECT_TRUE(session.ok());
      s.sev.dh_cert = session->dh_cert;
      s.sev.session = session->session;
      SevPreAttestation owner;
      owner.keys = session->keys;
      owner.expected_launch_digest = Digest(0x11);
      sev::SecretEntry key{*sev::ParseGuid(sev::kDiskKeyGuid), Bytes(32, 0x4b)};
      auto table = sev::BuildSecretTable(std::span(&key, 1));
      EXPECT_TRUE(table.ok());
      owner.secret_table = *table;
      r.sev = owner;
    }
    if (tee == TeeType::kSevSnp) {
      std::array<uint8_t, 32> hd{};
      hd.fill(0x7e);
      s.snp.host_data = hd;
    }
    if (tee == TeeType::kTdx) {
      std::array<uint8_t, 48> mr{};
      mr.fill(0x7e);
      s.tdx.mr_config_id = mr;
    }
    return r;
  }

  // ExpectNothingLeft checks the host holds only what existed before the launch plus the
  // (idempotent, tenant-owned) security-group filter.
  void ExpectNothingLeft() {
    EXPECT_TRUE(fake_.domains().empty());
    EXPECT_TRUE(fake_.networks().empty());
    for (const auto& [name, xml] : fake_.nwfilters()) {
      EXPECT_TRUE(name == "clean-traffic" || name == "attest-sg-web") << name;
    }
  }

  testing::SevPlatformModel platform_ = testing::SevPlatformModel::Create();
  FakeHypervisor fake_;
  LaunchOptions options_;
};

}  // namespace attest::launcher
