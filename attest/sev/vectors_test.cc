// Launch digests published with virtee/sev (tests/measurement.rs @ 9cf2adbffa20, Apache-2.0), over
// the OVMF suffix images copied to tests/sev/data (PROVENANCE.md). They check the firmware digest,
// QEMU's kernel hash table and the SEV-ES VMSA model against an independent implementation.
#include <gtest/gtest.h>

#include <string>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/sev/measurement.h"
#include "attest/sev/vmsa.h"

namespace attest::sev {
namespace {

Bytes Data(const std::string& name) {
  auto bytes = ReadFileBytes("tests/sev/data/" + name);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : Bytes();
}

std::string Ld(const LaunchDigestInput& in) {
  auto ld = ComputeLaunchDigest(in);
  EXPECT_TRUE(ld.ok()) << ld.status().ToString();
  return ld.ok() ? HexEncode(*ld) : "";
}

const Bytes kEmpty;

TEST(SevVectors, SevKernelHashesWithCmdline) {
  const Bytes fw = Data("ovmf_AmdSev_suffix.bin");
  LaunchDigestInput in;
  in.firmware = fw;
  in.kernel = KernelBoot{kEmpty, ByteSpan(kEmpty), std::string("console=ttyS0 loglevel=7")};
  EXPECT_EQ(Ld(in), "82a3ee5d537c3620628270c292ae30cb40c3c878666a7890ee7ef2a08fb535ff");
}

TEST(SevVectors, SevKernelWithoutInitrdOrCmdline) {
  const Bytes fw = Data("ovmf_AmdSev_suffix.bin");
  LaunchDigestInput in;
  in.firmware = fw;
  in.kernel = KernelBoot{kEmpty, std::nullopt, std::nullopt};
  EXPECT_EQ(Ld(in), "77f613d7bbcdf12a73782ea9e88b0172aeda50d1a54201cb903594ff52846898");
}

TEST(SevVectors, SevPlainOvmfWithoutKernel) {
  const Bytes fw = Data("ovmf_OvmfX64_suffix.bin");
  LaunchDigestInput in;
  in.firmware = fw;
  EXPECT_EQ(Ld(in), "b4c021e085fb83ceffe6571a3d357b4a98773c83c474e47f76c876708fe316da");
  // And that image cannot take kernel hashes.
  in.kernel = KernelBoot{kEmpty, std::nullopt, std::nullopt};
  EXPECT_EQ(ComputeLaunchDigest(in).status().reason_id(), "sev.bad_argument");
}

TEST(SevVectors, SevEsOneAndFourVcpus) {
  const Bytes fw = Data("ovmf_AmdSev_suffix.bin");
  auto sig = QemuCpuSignature("EPYC-v4");
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, 0x00800f12u);
  auto vmsas = BuildQemuSevEsVmsas(fw, *sig);
  ASSERT_TRUE(vmsas.ok()) << vmsas.status().ToString();
  struct Case {
    uint32_t vcpus;
    const char* want;
  };
  const Case cases[] = {{1, "13810ae661ea11e2bb205621f582fee268f0367c8f97bc297b7fadef3e12002c"},
                        {4, "0dccbcaba8e90b261bd0d2e1863a2f9da714768b7b2a19363cd6ae35aa90de91"}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.vcpus);
    LaunchDigestInput in;
    in.firmware = fw;
    in.kernel = KernelBoot{kEmpty, ByteSpan(kEmpty), std::nullopt};
    in.policy = kPolicyEs;
    in.vmsa_bsp = vmsas->bsp;
    in.vmsa_ap = vmsas->ap;
    in.num_vcpus = c.vcpus;
    EXPECT_EQ(Ld(in), c.want);
  }
  // Another vCPU model changes RDX, and so the digest.
  auto rome = BuildQemuSevEsVmsas(fw, *QemuCpuSignature("EPYC-Rome"));
  ASSERT_TRUE(rome.ok());
  LaunchDigestInput in;
  in.firmware = fw;
  in.kernel = KernelBoot{kEmpty, ByteSpan(kEmpty), std::nullopt};
  in.policy = kPolicyEs;
  in.vmsa_bsp = rome->bsp;
  in.num_vcpus = 1;
  EXPECT_NE(Ld(in), "13810ae661ea11e2bb205621f582fee268f0367c8f97bc297b7fadef3e12002c");
}

TEST(SevVectors, CpuSignatures) {
  struct Case {
    const char* model;
    uint32_t sig;
  };
  const Case cases[] = {{"EPYC", 0x00800f12},
                        {"epyc-rome", 0x00830f10},
                        {"EPYC-Milan", 0x00a00f11},
                        {"EPYC-Genoa-v1", 0x00a10f10}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.model);
    auto sig = QemuCpuSignature(c.model);
    ASSERT_TRUE(sig.ok());
    EXPECT_EQ(*sig, c.sig);
  }
  EXPECT_EQ(CpuSignature(6, 85, 7), 0x00050657u);  // family below 0xf: no extended family
  EXPECT_EQ(QemuCpuSignature("Skylake-Server").status().reason_id(), "sev.bad_argument");
}

TEST(SevVectors, VmsaFieldsOfTheModel) {
  const Bytes page = BuildQemuVmsa(0x0080b004, 0x00800f12);
  ASSERT_EQ(page.size(), kVmsaSize);
  auto u64 = [&](size_t off) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) {
      v = v << 8 | page[off + i];
    }
    return v;
  };
  EXPECT_EQ(page[0x10], 0x00);  // CS selector 0xf000
  EXPECT_EQ(page[0x11], 0xf0);
  EXPECT_EQ(page[0x12], 0x9b);         // CS attributes
  EXPECT_EQ(u64(0x18), 0x00800000u);   // CS base: upper bits of the reset address
  EXPECT_EQ(u64(0x178), 0xb004u);      // RIP: lower 16 bits
  EXPECT_EQ(u64(0x310), 0x00800f12u);  // RDX: CPU signature
  EXPECT_EQ(u64(0xd0), 0x1000u);       // EFER.SVME
  EXPECT_EQ(u64(0x3b0), 0u);           // sev_features
}

}  // namespace
}  // namespace attest::sev
