#include "attest/measure/snp_launch.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>

#include "attest/core/encoding.h"
#include "attest/measure/sev_launch.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

using testing::ReadVector;
using testing::ReadVectorText;

const std::string kSnp = "measure/snp/";
constexpr uint32_t kEpycV4 = 0x800f12;
constexpr uint32_t kAmdSevApReset = 0x80b004;

template <size_t N>
std::array<uint8_t, N> HexArray(const std::string& hex) {
  auto bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok() && bytes->size() == N) << hex;
  std::array<uint8_t, N> out{};
  if (bytes.ok() && bytes->size() == N) {
    std::copy(bytes->begin(), bytes->end(), out.begin());
  }
  return out;
}

SnpLayout LayoutFromJson(const nlohmann::json& j) {
  SnpLayout layout;
  for (const auto& s : j.at("ovmf_sections")) {
    layout.sections.push_back({s.at("gpa").get<uint32_t>(), s.at("size").get<uint32_t>(),
                               static_cast<SevSectionType>(s.at("section_type").get<uint32_t>())});
  }
  layout.sev_es_reset_eip = j.at("sev_es_reset_eip").get<uint32_t>();
  if (j.contains("sev_hashes_table_gpa")) {
    layout.sev_hashes_table_gpa = j.at("sev_hashes_table_gpa").get<uint32_t>();
  }
  return layout;
}

TEST(SnpLaunch, DstackHashedInputs) {
  const auto j =
      nlohmann::json::parse(ReadVectorText(kSnp + "hashed_inputs/dstack_synthetic.json"));
  sev::KernelHashes kernel;
  std::string cmdline = j.at("cmdline").get<std::string>();
  cmdline.push_back('\0');
  kernel.cmdline = Sha256(AsBytes(cmdline));
  kernel.kernel = HexArray<32>(j.at("kernel_hash").get<std::string>());
  kernel.initrd = HexArray<32>(j.at("initrd_hash").get<std::string>());
  const SnpVcpus vcpus{j.at("vcpus").get<uint32_t>(), *VcpuSignatureForType("EPYC-v4"),
                       j.at("guest_features").get<uint64_t>(), sev::VmmType::kQemu};
  auto ld = ComputeSnpLaunchDigestFromLayout(HexArray<48>(j.at("ovmf_hash").get<std::string>()),
                                             LayoutFromJson(j), kernel, vcpus);
  ASSERT_TRUE(ld.ok()) << ld.status().ToString();
  EXPECT_EQ(HexEncode(*ld), j.at("expected").get<std::string>());
}

TEST(SnpLaunch, Ec2HashedInputsBothRdxRevisions) {
  // virtee/sev-snp-measure-go's EC2 vectors predate 0.0.13 (RDX 0); the same inputs with today's
  // EC2 VMSA (RDX 0x600) were computed with sev-snp-measure's own building blocks.
  for (const char* name : {"go_ec2_ovmf_img_1.json", "go_ec2_ovmf_img_2.json"}) {
    SCOPED_TRACE(name);
    const auto j = nlohmann::json::parse(ReadVectorText(kSnp + "hashed_inputs/" + name));
    ASSERT_EQ(j.at("vmm_type"), "ec2");
    const auto seed = HexArray<48>(j.at("ovmf_hash").get<std::string>());
    SnpVcpus vcpus{j.at("vcpus").get<uint32_t>(), j.at("vcpu_sig").get<uint32_t>(),
                   j.at("guest_features").get<uint64_t>(), sev::VmmType::kEc2,
                   sev::Ec2Rdx::kLegacyZero};
    auto legacy = ComputeSnpLaunchDigestFromLayout(seed, LayoutFromJson(j), std::nullopt, vcpus);
    ASSERT_TRUE(legacy.ok()) << legacy.status().ToString();
    EXPECT_EQ(HexEncode(*legacy), j.at("expected_legacy_ec2_rdx0").get<std::string>());
    vcpus.ec2_rdx = sev::Ec2Rdx::kCurrent;
    auto current = ComputeSnpLaunchDigestFromLayout(seed, LayoutFromJson(j), std::nullopt, vcpus);
    ASSERT_TRUE(current.ok());
    EXPECT_EQ(HexEncode(*current),
              j.at("expected_current_ec2_rdx0x600__generated").get<std::string>());
  }
}

TEST(SnpLaunch, VmsaPagesMatchTheReference) {
  // vmsa/COMMANDS.txt: the pages sev-snp-measure --dump-vmsa wrote for these launches.
  const uint64_t svsm_entry = kFirmwareEndGpa - ReadVector(kSnp + "fixtures/svsm_ovmf.fd").size() -
                              540672 - ReadVector(kSnp + "fixtures/svsm.bin").size();
  struct Case {
    std::string file;
    Bytes page;
  } cases[] = {
      {"snp_qemu_epycv4_gf0x1_vmsa0.bin",
       sev::BuildVmsa({.cpu_signature = kEpycV4, .sev_features = 1})},
      {"snp_qemu_epycv4_gf0x1_vmsa1.bin",
       sev::BuildVmsa(
           {.reset_address = kAmdSevApReset, .cpu_signature = kEpycV4, .sev_features = 1})},
      {"snp_qemu_milan_gf0x21_vmsa0.bin",
       sev::BuildVmsa(
           {.cpu_signature = *VcpuSignatureForType("EPYC-Milan"), .sev_features = 0x21})},
      {"snp_qemu_milan_gf0x21_vmsa1.bin",
       sev::BuildVmsa({.reset_address = kAmdSevApReset,
                       .cpu_signature = *VcpuSignatureForType("EPYC-Milan"),
                       .sev_features = 0x21})},
      {"snp_ec2_gf0x1_vmsa0.bin",
       sev::BuildVmsa({.cpu_signature = kEpycV4, .sev_features = 1, .vmm = sev::VmmType::kEc2})},
      {"snp_ec2_gf0x1_vmsa1.bin",
       sev::BuildVmsa(
           {.reset_address = kAmdSevApReset, .sev_features = 1, .vmm = sev::VmmType::kEc2})},
      {"snp_gce_gf0x1_vmsa0.bin", sev::BuildVmsa({.sev_features = 1, .vmm = sev::VmmType::kGce})},
      {"snp_gce_gf0x1_vmsa1.bin",
       sev::BuildVmsa(
           {.reset_address = kAmdSevApReset, .sev_features = 1, .vmm = sev::VmmType::kGce})},
      {"seves_qemu_epycv4_vmsa0.bin", sev::BuildQemuVmsa(sev::kBspResetAddress, kEpycV4)},
      {"seves_qemu_epycv4_vmsa1.bin", sev::BuildQemuVmsa(kAmdSevApReset, kEpycV4)},
      {"svsm_qemu_epycv4_vmsa0.bin", sev::BuildSvsmVmsa(svsm_entry, kEpycV4)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    EXPECT_EQ(c.page, ReadVector(kSnp + "vmsa/" + c.file));
  }
}

TEST(SnpLaunch, Ec2RdxQuirk) {
  // sev-snp-measure 0.0.13 changed EC2's RDX from 0 to 0x600; both are kept (Ec2Rdx).
  const Bytes current = sev::BuildVmsa({.vmm = sev::VmmType::kEc2});
  const Bytes legacy =
      sev::BuildVmsa({.vmm = sev::VmmType::kEc2, .ec2_rdx = sev::Ec2Rdx::kLegacyZero});
  constexpr size_t kRdx = 0x310;
  EXPECT_EQ(current[kRdx], 0x00);
  EXPECT_EQ(current[kRdx + 1], 0x06);
  EXPECT_EQ(legacy[kRdx + 1], 0x00);
  Bytes patched = legacy;
  patched[kRdx + 1] = 0x06;
  EXPECT_EQ(patched, current);  // nothing else differs
}

TEST(SnpLaunch, SvsmX87ControlWordQuirk) {
  // The SVSM VMSA leaves x87 FCW 0 (sev-snp-measure's keyword slip, which real SVSM launches
  // agree with); SEV-ES/SNP QEMU VMSAs carry 0x37f.
  constexpr size_t kX87Fcw = 0x410;
  const Bytes svsm = sev::BuildSvsmVmsa(0xffbfd000, kEpycV4);
  EXPECT_EQ(svsm[kX87Fcw], 0);
  EXPECT_EQ(svsm[kX87Fcw + 1], 0);
  const Bytes qemu = sev::BuildQemuVmsa(sev::kBspResetAddress, kEpycV4);
  EXPECT_EQ(qemu[kX87Fcw], 0x7f);
  EXPECT_EQ(qemu[kX87Fcw + 1], 0x03);
}

SnpLayout AmdSevLayout() {
  auto fw = ParseSevFirmware(ReadVector(kSnp + "fixtures/ovmf_AmdSev_suffix.bin"));
  EXPECT_TRUE(fw.ok());
  auto layout = SnpLayoutFromFirmware(*fw);
  EXPECT_TRUE(layout.ok());
  return layout.ok() ? *layout : SnpLayout{};
}

TEST(SnpLaunch, BadLayoutsAndParametersRejected) {
  const sev::KernelHashes kernel{};
  const SnpVcpus one{1, kEpycV4};
  struct Case {
    std::string name;
    std::function<void(SnpLayout&, SnpVcpus&)> mutate;
    bool with_kernel;
    std::string_view want;
  } cases[] = {
      {"no vCPU", [](SnpLayout&, SnpVcpus& v) { v.num_vcpus = 0; }, false,
       "measure.vcpu_count_invalid"},
      {"513 vCPUs", [](SnpLayout&, SnpVcpus& v) { v.num_vcpus = 513; }, false,
       "measure.vcpu_count_invalid"},
      {"AP reset address 0",
       [](SnpLayout& l, SnpVcpus& v) {
         l.sev_es_reset_eip = 0;
         v.num_vcpus = 2;
       },
       false, "measure.ovmf_malformed"},
      {"kernel without KERNEL_HASHES",
       [](SnpLayout& l, SnpVcpus&) {
         std::erase_if(l.sections, [](const SevMetadataSection& s) {
           return s.type == SevSectionType::kSnpKernelHashes;
         });
       },
       true, "measure.ovmf_no_kernel_hashes"},
      {"kernel without hash table address",
       [](SnpLayout& l, SnpVcpus&) { l.sev_hashes_table_gpa.reset(); }, true,
       "measure.ovmf_no_kernel_hashes"},
      {"two-page KERNEL_HASHES with a kernel",
       [](SnpLayout& l, SnpVcpus&) {
         for (auto& s : l.sections) {
           if (s.type == SevSectionType::kSnpKernelHashes) {
             s.size = 0x2000;
           }
         }
       },
       true, "measure.ovmf_no_kernel_hashes"},
      {"hash table across the page end",
       [](SnpLayout& l, SnpVcpus&) { l.sev_hashes_table_gpa = 0x810f80; }, true,
       "measure.ovmf_no_kernel_hashes"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SnpLayout layout = AmdSevLayout();
    SnpVcpus vcpus = one;
    c.mutate(layout, vcpus);
    auto ld = ComputeSnpLaunchDigestFromLayout(
        {}, layout, c.with_kernel ? std::optional(kernel) : std::nullopt, vcpus);
    ASSERT_FALSE(ld.ok());
    EXPECT_EQ(ld.status().reason_id(), c.want);
  }
  // The unmutated layout measures, with and without a kernel.
  EXPECT_TRUE(ComputeSnpLaunchDigestFromLayout({}, AmdSevLayout(), kernel, one).ok());
  EXPECT_TRUE(ComputeSnpLaunchDigestFromLayout({}, AmdSevLayout(), std::nullopt, one).ok());
}

TEST(SnpLaunch, SvsmBadImagesRejected) {
  const Bytes ovmf = ReadVector(kSnp + "fixtures/svsm_ovmf.fd");
  const Bytes svsm = ReadVector(kSnp + "fixtures/svsm.bin");
  const Bytes amd = ReadVector(kSnp + "fixtures/ovmf_AmdSev_suffix.bin");
  const Bytes plain(8192, 0);
  Bytes svsm_partial = svsm;
  svsm_partial.erase(svsm_partial.begin());
  struct Case {
    std::string name;
    SvsmLaunch launch;
    std::string_view want;
  } cases[] = {
      {"svsm image without SVSM info", {ovmf, amd, 540672, 1, kEpycV4}, "measure.svsm_malformed"},
      {"svsm image without metadata", {ovmf, plain, 540672, 1, kEpycV4}, "measure.svsm_malformed"},
      {"svsm image in part pages",
       {ovmf, svsm_partial, 540672, 1, kEpycV4},
       "measure.svsm_malformed"},
      {"vars size not whole pages", {ovmf, svsm, 540673, 1, kEpycV4}, "measure.sev_bad_argument"},
      {"vars push the svsm below 0",
       {ovmf, svsm, 0xffff0000, 1, kEpycV4},
       "measure.svsm_malformed"},
      {"ovmf in part pages",
       {ByteSpan(ovmf).subspan(1), svsm, 540672, 1, kEpycV4},
       "measure.ovmf_malformed"},
      {"no vCPU", {ovmf, svsm, 540672, 0, kEpycV4}, "measure.vcpu_count_invalid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto ld = ComputeSvsmLaunchDigest(c.launch);
    ASSERT_FALSE(ld.ok());
    EXPECT_EQ(ld.status().reason_id(), c.want);
  }
}

}  // namespace
}  // namespace attest::measure
