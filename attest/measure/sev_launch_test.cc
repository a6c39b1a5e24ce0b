#include "attest/measure/sev_launch.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include "attest/core/encoding.h"
#include "attest/measure/test_images.h"
#include "attest/sev/vmsa.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

using ::attest::testing::ReadVector;
using ::attest::testing::ReadVectorText;

const std::string kSnp = "measure/snp/";

// The three upstream error cases expect sev-snp-measure's messages; these are ours.
const std::map<std::string, std::string_view> kUpstreamErrorReasons = {
    {"test_snp_with_ovmfx64_and_kernel_should_fail", "measure.ovmf_no_kernel_hashes"},
    {"test_seves_with_ovmfx64_and_kernel_should_fail", "measure.ovmf_no_kernel_hashes"},
    {"test_sev_with_ovmfx64_and_kernel_should_fail", "measure.ovmf_no_kernel_hashes"},
};

// Bytes of an upstream case's file: "/dev/null" is an empty file.
Bytes CaseFile(const std::string& path) {
  return path == "/dev/null" ? Bytes{} : ReadVector(kSnp + path);
}

std::optional<std::string> OptionalString(const nlohmann::json& c, const char* key) {
  if (c.at(key).is_null()) {
    return std::nullopt;
  }
  return c.at(key).get<std::string>();
}

TEST(SevLaunch, UpstreamTests) {
  const auto cases = nlohmann::json::parse(ReadVectorText(kSnp + "upstream_tests.json"));
  ASSERT_EQ(cases.size(), 27u);
  size_t errors = 0;
  for (const auto& c : cases) {
    const std::string name = c.at("name").get<std::string>();
    SCOPED_TRACE(name);
    const Bytes firmware = CaseFile(c.at("ovmf").get<std::string>());
    const std::string mode = c.at("mode").get<std::string>();
    if (mode == "snp:ovmf-hash") {
      auto hash = ComputeSnpOvmfHash(firmware);
      ASSERT_TRUE(hash.ok()) << hash.status().ToString();
      EXPECT_EQ(HexEncode(*hash), c.at("expected").get<std::string>());
      continue;
    }
    SevLaunchInput in;
    in.mode = *ParseSevMode(mode);
    in.firmware = firmware;
    Bytes kernel, initrd, svsm;
    if (const auto k = OptionalString(c, "kernel")) {
      kernel = CaseFile(*k);
      const auto i = OptionalString(c, "initrd");
      if (i) {
        initrd = CaseFile(*i);
      }
      in.kernel = *HashBootInputs(kernel, i ? std::optional<ByteSpan>(initrd) : std::nullopt,
                                  OptionalString(c, "append"));
    }
    if (!c.at("vcpus").is_null()) {
      in.num_vcpus = c.at("vcpus").get<uint32_t>();
    }
    if (const auto sig = OptionalString(c, "vcpu_sig")) {
      in.cpu_signature = static_cast<uint32_t>(std::stoul(*sig, nullptr, 16));
      EXPECT_EQ(*in.cpu_signature, *VcpuSignatureForType(c.at("vcpu_type").get<std::string>()));
    }
    if (const auto vmm = OptionalString(c, "vmm_type")) {
      in.vmm = *ParseVmmType(*vmm);
    }
    if (const auto gf = OptionalString(c, "guest_features")) {
      in.guest_features = std::stoull(*gf, nullptr, 16);
    }
    if (const auto hash = OptionalString(c, "snp_ovmf_hash")) {
      auto raw = HexDecode(*hash);
      ASSERT_TRUE(raw.ok() && raw->size() == 48);
      in.snp_ovmf_hash.emplace();
      std::copy(raw->begin(), raw->end(), in.snp_ovmf_hash->begin());
    }
    if (const auto s = OptionalString(c, "svsm")) {
      svsm = CaseFile(*s);
      in.svsm = svsm;
      in.ovmf_vars_bytes = c.at("ovmf_vars_size").get<uint64_t>();
    }
    auto ld = ComputeSevLaunchDigest(in);
    if (const auto it = kUpstreamErrorReasons.find(name); it != kUpstreamErrorReasons.end()) {
      ++errors;
      ASSERT_FALSE(ld.ok());
      EXPECT_EQ(ld.status().reason_id(), it->second);
      continue;
    }
    ASSERT_TRUE(ld.ok()) << ld.status().ToString();
    EXPECT_EQ(HexEncode(*ld), c.at("expected").get<std::string>());
  }
  EXPECT_EQ(errors, kUpstreamErrorReasons.size());
}

TEST(SevLaunch, SevAndSevEsAgreeWithAttestSev) {
  // The SEV and SEV-ES modes are attest/sev's ComputeLaunchDigest (what `attestctl sev
  // measurement` checks MEASURE against), fed the same pages.
  const Bytes fw = ReadVector(kSnp + "fixtures/ovmf_AmdSev_suffix.bin");
  const Bytes kernel = ReadVector(kSnp + "inputs/kernel.bin");
  const std::string cmdline = "console=ttyS0";
  auto vmsas = sev::BuildQemuSevEsVmsas(fw, 0x800f12);
  ASSERT_TRUE(vmsas.ok());
  for (const uint32_t num_vcpus : {1u, 3u}) {
    SCOPED_TRACE(num_vcpus);
    sev::LaunchDigestInput old;
    old.firmware = fw;
    old.kernel = sev::KernelBoot{kernel, std::nullopt, cmdline};
    old.policy = sev::kPolicyEs;
    old.vmsa_bsp = vmsas->bsp;
    old.vmsa_ap = vmsas->ap;
    old.num_vcpus = num_vcpus;
    auto want = sev::ComputeLaunchDigest(old);
    ASSERT_TRUE(want.ok());

    SevLaunchInput in;
    in.mode = SevMode::kSevEs;
    in.firmware = fw;
    in.kernel = *HashBootInputs(kernel, std::nullopt, cmdline);
    in.num_vcpus = num_vcpus;
    in.cpu_signature = 0x800f12;
    auto got = ComputeSevLaunchDigest(in);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, Bytes(want->begin(), want->end()));
  }
  sev::LaunchDigestInput old;
  old.firmware = fw;
  SevLaunchInput in;
  in.mode = SevMode::kSev;
  in.firmware = fw;
  auto got = ComputeSevLaunchDigest(in);
  ASSERT_TRUE(got.ok());
  auto want = sev::ComputeLaunchDigest(old);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(*got, Bytes(want->begin(), want->end()));
}

TEST(SevLaunch, FirmwareWithoutSevMetadataRefusedForSnp) {
  // Stricter than sev-snp-measure, which measures no sections and prints a digest no SNP launch
  // of this firmware produces. SEV and SEV-ES do not use the metadata and still measure.
  const Bytes fw =
      testing::WithoutSevMetadata(ReadVector(kSnp + "fixtures/ovmf_OvmfX64_suffix.bin"));
  SevLaunchInput in;
  in.firmware = fw;
  in.cpu_signature = 0x800f12;
  auto snp = ComputeSevLaunchDigest(in);
  ASSERT_FALSE(snp.ok());
  EXPECT_EQ(snp.status().reason_id(), "measure.ovmf_no_sev_metadata");
  const Bytes no_table(8192, 0);
  in.firmware = no_table;
  auto plain = ComputeSevLaunchDigest(in);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().reason_id(), "measure.ovmf_no_sev_metadata");

  in.firmware = fw;
  in.mode = SevMode::kSevEs;
  EXPECT_TRUE(ComputeSevLaunchDigest(in).ok());
  in.mode = SevMode::kSev;
  in.firmware = no_table;
  EXPECT_TRUE(ComputeSevLaunchDigest(in).ok());
  in.mode = SevMode::kSevEs;
  auto es = ComputeSevLaunchDigest(in);
  ASSERT_FALSE(es.ok());
  EXPECT_EQ(es.status().reason_id(), "measure.ovmf_no_sev_metadata");
}

TEST(SevLaunch, BadParametersRejected) {
  const Bytes amd = ReadVector(kSnp + "fixtures/ovmf_AmdSev_suffix.bin");
  const Bytes svsm = ReadVector(kSnp + "fixtures/svsm.bin");
  const Bytes dstack = ReadVector(kSnp + "inputs/dstack_synthetic_snp_ovmf.bin");
  const sev::KernelHashes kernel{};
  // The AmdSev fixture's SEV-ES reset block (the footer entry nearest the footer) set to 0.
  Bytes zero_reset = amd;
  const size_t reset_block = amd.size() - 32 - 18 - 18 - 4;
  ASSERT_EQ(zero_reset[reset_block + 4], 22);  // the entry's size: 4 data bytes + 18
  std::fill_n(zero_reset.begin() + static_cast<std::ptrdiff_t>(reset_block), 4, 0);
  struct Case {
    std::string name;
    std::function<void(SevLaunchInput&)> mutate;
    std::string_view want;
  } cases[] = {
      {"empty firmware", [](SevLaunchInput& in) { in.firmware = {}; }, "measure.ovmf_malformed"},
      {"empty firmware, SEV",
       [](SevLaunchInput& in) {
         in.firmware = {};
         in.mode = SevMode::kSev;
       },
       "measure.ovmf_malformed"},
      {"SEV-ES APs with reset address 0",
       [&](SevLaunchInput& in) {
         in.firmware = zero_reset;
         in.mode = SevMode::kSevEs;
         in.num_vcpus = 2;
       },
       "measure.ovmf_malformed"},
      {"SNP APs with reset address 0",
       [&](SevLaunchInput& in) {
         in.firmware = zero_reset;
         in.num_vcpus = 2;
       },
       "measure.ovmf_malformed"},
      {"header size 0 (dstack)", [&](SevLaunchInput& in) { in.firmware = dstack; },
       "measure.ovmf_sev_metadata_malformed"},
      {"no signature under QEMU", [](SevLaunchInput& in) { in.cpu_signature.reset(); },
       "measure.vcpu_signature_missing"},
      {"no signature, SEV-ES",
       [](SevLaunchInput& in) {
         in.cpu_signature.reset();
         in.mode = SevMode::kSevEs;
       },
       "measure.vcpu_signature_missing"},
      {"no signature, SVSM",
       [&](SevLaunchInput& in) {
         in.cpu_signature.reset();
         in.mode = SevMode::kSnpSvsm;
         in.svsm = svsm;
       },
       "measure.vcpu_signature_missing"},
      {"no vCPU", [](SevLaunchInput& in) { in.num_vcpus = 0; }, "measure.vcpu_count_invalid"},
      {"no vCPU, SEV-ES",
       [](SevLaunchInput& in) {
         in.num_vcpus = 0;
         in.mode = SevMode::kSevEs;
       },
       "measure.vcpu_count_invalid"},
      {"513 vCPUs, SEV-ES",
       [](SevLaunchInput& in) {
         in.num_vcpus = 513;
         in.mode = SevMode::kSevEs;
       },
       "measure.vcpu_count_invalid"},
      {"OVMF hash with SEV-ES",
       [](SevLaunchInput& in) {
         in.snp_ovmf_hash.emplace();
         in.mode = SevMode::kSevEs;
       },
       "measure.sev_bad_argument"},
      {"SVSM image with SNP", [&](SevLaunchInput& in) { in.svsm = svsm; },
       "measure.sev_bad_argument"},
      {"SVSM on EC2",
       [&](SevLaunchInput& in) {
         in.mode = SevMode::kSnpSvsm;
         in.svsm = svsm;
         in.vmm = sev::VmmType::kEc2;
       },
       "measure.sev_bad_argument"},
      {"SVSM with a kernel",
       [&](SevLaunchInput& in) {
         in.mode = SevMode::kSnpSvsm;
         in.svsm = svsm;
         in.kernel = kernel;
       },
       "measure.sev_bad_argument"},
      {"SVSM without the SVSM image", [](SevLaunchInput& in) { in.mode = SevMode::kSnpSvsm; },
       "measure.svsm_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SevLaunchInput in;
    in.firmware = amd;
    in.cpu_signature = 0x800f12;
    c.mutate(in);
    auto ld = ComputeSevLaunchDigest(in);
    ASSERT_FALSE(ld.ok());
    EXPECT_EQ(ld.status().reason_id(), c.want);
  }
}

TEST(SevLaunch, NamesAndBootInputs) {
  EXPECT_EQ(ParseSevMode("snp:ovmf-hash").status().reason_id(), "measure.sev_bad_argument");
  EXPECT_EQ(ParseSevMode("SNP").status().reason_id(), "measure.sev_bad_argument");
  EXPECT_EQ(*ParseSevMode("snp:svsm"), SevMode::kSnpSvsm);
  EXPECT_EQ(ParseVmmType("qemu").status().reason_id(), "measure.sev_bad_argument");
  EXPECT_EQ(*ParseVmmType("gce"), sev::VmmType::kGce);
  EXPECT_EQ(VcpuSignatureForType("Skylake-Server").status().reason_id(),
            "measure.vcpu_type_unknown");
  EXPECT_EQ(*VcpuSignatureForType("EPYC-Turin"), sev::CpuSignature(26, 0, 0));
  EXPECT_EQ(*VcpuSignatureForType("EPYC-Milan-v2"), 0xa00f11u);
  const std::string with_nul("console=ttyS0\0evil", 18);
  EXPECT_EQ(HashBootInputs({}, std::nullopt, with_nul).status().reason_id(),
            "measure.sev_cmdline_invalid");
  // An absent cmdline and an empty one both hash as a lone NUL, as QEMU does.
  EXPECT_EQ(HashBootInputs({}, std::nullopt, std::nullopt)->cmdline,
            HashBootInputs({}, std::nullopt, "")->cmdline);
}

}  // namespace
}  // namespace attest::measure
