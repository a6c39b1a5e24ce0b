// MRTD and RTMR0..3 over ../shared/vectors/measure/tdx (MANIFEST.md there): both MRTD page orders,
// all 21 RTMR cases with every event digest, the edk2-stable202411 layout, and the refusals.
#include "attest/measure/tdx_measure.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/measure/tdx_kernel.h"
#include "attest/measure/tdx_pe.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

using nlohmann::json;
using testing::ReadVector;
using testing::ReadVectorText;

constexpr char kTdx[] = "measure/tdx/";

std::string Hex(const Sha384Digest& d) { return HexEncode(d); }

json LoadJson(const std::string& name) { return json::parse(ReadVectorText(kTdx + name)); }

// DebianKernelPath: the Debian signed kernel is not in the vectors (MANIFEST: "not copied"); the
// test script attest/measure/fetch_debian_kernel.sh puts it here, or ATTEST_DEBIAN_KERNEL names it.
std::string DebianKernelPath() {
  const char* env = std::getenv("ATTEST_DEBIAN_KERNEL");
  return env != nullptr ? env : "build/measure-inputs/vmlinuz-6.1.0-57-cloud-amd64";
}

struct CaseInputs {
  Bytes firmware, acpi, kernel, initrd;
  TdxBootInputs boot;
};

// LoadCase reads a vector's inputs; false (with the reason printed) when the Debian kernel is
// absent.
bool LoadCase(const json& v, CaseInputs& c) {
  const json& in = v["inputs"];
  c.firmware = ReadVector(kTdx + in["firmware"].get<std::string>());
  c.acpi = ReadVector(kTdx + in["acpi_tables"]["file"].get<std::string>());
  const std::string kernel = in["kernel"];
  if (kernel.rfind("debian:", 0) == 0) {
    if (!std::filesystem::exists(DebianKernelPath())) {
      std::printf("[ SKIPPED  ] %s: %s absent (run attest/measure/fetch_debian_kernel.sh)\n",
                  v["id"].get<std::string>().c_str(), DebianKernelPath().c_str());
      return false;
    }
    auto bytes = ReadFileBytes(DebianKernelPath(), 64u << 20);
    EXPECT_TRUE(bytes.ok());
    c.kernel = bytes.ok() ? *bytes : Bytes{};
  } else {
    c.kernel = ReadVector(kTdx + kernel);
  }
  EXPECT_EQ(HexEncode(Sha256(c.kernel)), in["kernel_sha256"]) << "kernel is not the vector's";
  c.boot.firmware = c.firmware;
  c.boot.acpi_tables = c.acpi;
  c.boot.kernel = c.kernel;
  c.boot.memory_bytes = in["memory_bytes"];
  if (!in["initrd"].is_null()) {
    c.initrd = ReadVector(kTdx + in["initrd"].get<std::string>());
    c.boot.initrd = DigestInitrd(c.initrd);
  }
  if (!in["cmdline"].is_null()) {
    c.boot.cmdline = in["cmdline"];
  }
  return true;
}

TEST(TdxMrtd, SyntheticBothPageOrders) {
  const json vectors = LoadJson("mrtd_vectors.json");
  ASSERT_FALSE(vectors.empty());
  for (const json& v : vectors) {
    SCOPED_TRACE(v["firmware"].get<std::string>());
    const Bytes fw = ReadVector(kTdx + v["firmware"].get<std::string>());
    auto single = MeasureTdxMrtd(fw, MrtdPageOrder::kSinglePass);
    auto two = MeasureTdxMrtd(fw, MrtdPageOrder::kTwoPass);
    ASSERT_TRUE(single.ok()) << single.status().ToString();
    ASSERT_TRUE(two.ok()) << two.status().ToString();
    EXPECT_EQ(Hex(*single), v["mrtd_single_pass"]);
    EXPECT_EQ(Hex(*two), v["mrtd_two_pass_per_section"]);
  }
}

TEST(TdxMrtd, DebianTwoPassMatchesRtmrVectors) {
  const Bytes fw = ReadVector(std::string(kTdx) + "inputs/debian12_OVMF.fd");
  auto two = MeasureTdxMrtd(fw, MrtdPageOrder::kTwoPass);
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  for (const json& v : LoadJson("rtmr_vectors.json")) {
    EXPECT_EQ(Hex(*two), v["expected"]["mrtd_two_pass"]) << v["id"];
  }
  auto single = MeasureTdxMrtd(fw, MrtdPageOrder::kSinglePass);
  ASSERT_TRUE(single.ok());
  EXPECT_NE(*single, *two);
}

TEST(TdxMrtd, RefusesFirmwareWithoutUsableTdxMetadata) {
  const struct {
    const char* name = "";
    const char* file = "";
    Reason want;
  } cases[] = {
      {"svsm ovmf: BFV runs past the file", "measure/snp/fixtures/svsm_ovmf.fd",
       reasons::kMeasureTdvfSectionOutsideFile},
      {"4 KiB suffix of an OVMF: TDX sections before the file",
       "measure/snp/fixtures/ovmf_AmdSev_suffix.bin", reasons::kMeasureTdvfSectionOutsideFile},
      {"SNP-only synthetic OVMF", "measure/snp/inputs/dstack_synthetic_snp_ovmf.bin",
       reasons::kMeasureTdvfMetadataMissing},
      {"a variable store, not firmware", "measure/snp/inputs/debian12_OVMF_VARS_4M.fd",
       reasons::kMeasureTdvfMetadataMissing},
      {"OvmfX64 4 KiB suffix", "measure/snp/fixtures/ovmf_OvmfX64_suffix.bin",
       reasons::kMeasureTdvfSectionOutsideFile},
      {"kernel is not firmware", "measure/tdx/inputs/synthetic_bzimage.efi",
       reasons::kMeasureTdvfMetadataMissing},
      {"SNP SVSM image", "measure/snp/fixtures/svsm.bin", reasons::kMeasureTdvfMetadataMissing},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Bytes fw = ReadVector(c.file);
    ASSERT_FALSE(fw.empty());
    auto mrtd = MeasureTdxMrtd(fw, MrtdPageOrder::kSinglePass);
    ASSERT_FALSE(mrtd.ok());
    EXPECT_EQ(mrtd.status().reason_id(), c.want.id) << mrtd.status().ToString();
  }
}

// Every RTMR vector: each event digest (the ACPI loader against the fortanix port where quex's is
// wrong), the registers, and the derived edk2-stable202411 values.
TEST(TdxRtmr, AllVectorsEveryEvent) {
  const json vectors = LoadJson("rtmr_vectors.json");
  ASSERT_EQ(vectors.size(), 21u);
  int measured = 0;
  for (const json& v : vectors) {
    const std::string id = v["id"];
    SCOPED_TRACE(id);
    CaseInputs c;
    if (!LoadCase(v, c)) {
      continue;
    }
    TdxMeasureOptions options;
    options.page_order = MrtdPageOrder::kTwoPass;
    auto m = MeasureTdx(c.boot, options);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ++measured;
    EXPECT_EQ(Hex(m->mrtd), v["expected"]["mrtd_two_pass"]);
    const json& events = v["events"];
    ASSERT_EQ(m->events.size(), events.size());
    const bool quex_loader_right = v["acpi_loader_quex_matches_fortanix_port"];
    std::vector<TdxEvent> with_quex_loader = m->events;
    for (size_t i = 0; i < events.size(); ++i) {
      SCOPED_TRACE(events[i]["name"].get<std::string>());
      EXPECT_EQ(m->events[i].rtmr, events[i]["rtmr"].get<uint32_t>());
      EXPECT_EQ(m->events[i].name, events[i]["name"].get<std::string>());
      EXPECT_EQ(m->events[i].type, events[i]["type"].get<std::string>());
      const std::string got = Hex(m->events[i].digest);
      if (m->events[i].name == "QEMU ACPI table loader") {
        EXPECT_EQ(got, v["acpi_loader_digest_fortanix_port"]);
        EXPECT_EQ(got == events[i]["digest"], quex_loader_right);
        const Bytes quex = *HexDecode(events[i]["digest"].get<std::string>());
        std::copy(quex.begin(), quex.end(), with_quex_loader[i].digest.begin());
      } else {
        EXPECT_EQ(got, events[i]["digest"]);
      }
      if (m->events[i].name == "Linux kernel") {
        EXPECT_EQ(got, v["kernel_digest_quex"]);
      }
    }
    const json& want = v["expected"];
    const json& alt = v["alternates_derived"];
    EXPECT_EQ(Hex(m->rtmr[0]),
              quex_loader_right ? want["rtmr0"] : alt["rtmr0_pre202411_fortanix_loader"]);
    EXPECT_EQ(Hex(m->rtmr[0]), alt["rtmr0_pre202411_fortanix_loader"]);
    EXPECT_EQ(Hex(m->rtmr[1]), want["rtmr1"]);
    EXPECT_EQ(Hex(m->rtmr[2]), want["rtmr2"]);
    EXPECT_EQ(Hex(m->rtmr[3]), want["rtmr3"]);
    // Our events with quex's loader digest replay to quex's own RTMR0.
    EXPECT_EQ(Hex(ReplayTdxEvents(with_quex_loader)[0]), want["rtmr0"]);

    options.separator = SeparatorLayout::kEdk2Stable202411;
    auto post = MeasureTdx(c.boot, options);
    ASSERT_TRUE(post.ok()) << post.status().ToString();
    EXPECT_EQ(Hex(post->rtmr[0]), alt["rtmr0_post202411_fortanix_loader"]);
    EXPECT_EQ(Hex(post->rtmr[1]), alt["rtmr1_post202411"]);
    EXPECT_EQ(post->rtmr[2], m->rtmr[2]);
  }
  EXPECT_GE(measured, 18);
}

// The specs file and quex's raw output describe the same runs: same inputs, same registers.
TEST(TdxRtmr, SpecsAndRawAgreeWithVectors) {
  const json vectors = LoadJson("rtmr_vectors.json");
  const json specs = LoadJson("rtmr_specs.json");
  const json raw = LoadJson("rtmr_quex_raw.json");
  const json cross = LoadJson("crosscheck_dstack_port.json");
  ASSERT_EQ(specs.size(), vectors.size());
  ASSERT_EQ(raw.size(), vectors.size());
  ASSERT_EQ(cross.size(), vectors.size());
  for (size_t i = 0; i < vectors.size(); ++i) {
    const json& v = vectors[i];
    SCOPED_TRACE(v["id"].get<std::string>());
    EXPECT_EQ(specs[i]["id"], v["id"]);
    EXPECT_EQ(specs[i]["memory"], v["inputs"]["memory_bytes"]);
    EXPECT_EQ(specs[i]["cmdline"], v["inputs"]["cmdline"]);
    EXPECT_EQ(raw[i]["mrtd"], v["expected"]["mrtd_two_pass"]);
    for (int r = 0; r < 4; ++r) {
      EXPECT_EQ(raw[i]["rtmr"][r], v["expected"]["rtmr" + std::to_string(r)]);
    }
    ASSERT_EQ(raw[i]["events"].size(), v["events"].size());
    for (size_t e = 0; e < v["events"].size(); ++e) {
      EXPECT_EQ(raw[i]["events"][e]["digest"], v["events"][e]["digest"]) << e;
      EXPECT_EQ(raw[i]["events"][e]["rtmr"], v["events"][e]["rtmr"]) << e;
    }
    EXPECT_EQ(cross[i]["td_hob_dstack_port==quex"], true);
    EXPECT_EQ(cross[i]["efi_vars_dstack_port==quex"], true);
  }
}

// The TDVF metadata the quex raw runs report is what our parser reads from the Debian image.
TEST(TdxRtmr, RawSectionsMatchParser) {
  const json raw = LoadJson("rtmr_quex_raw.json");
  const Bytes fw = ReadVector(std::string(kTdx) + "inputs/debian12_OVMF.fd");
  auto meta = ParseTdvfMetadata(fw);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  const json& sections = raw[0]["tdx_metadata_sections"];
  ASSERT_EQ(meta->sections.size(), sections.size());
  for (size_t i = 0; i < sections.size(); ++i) {
    EXPECT_EQ(meta->sections[i].data_offset, sections[i]["rawOffset"]);
    EXPECT_EQ(meta->sections[i].raw_data_size, sections[i]["rawSize"]);
    EXPECT_EQ(meta->sections[i].memory_address, sections[i]["memBase"]);
    EXPECT_EQ(meta->sections[i].memory_data_size, sections[i]["memSize"]);
    EXPECT_EQ(meta->sections[i].extend_mr(), sections[i]["extendMr"]);
  }
}

// MANIFEST caveat on odd-sized kernels: dstack hashes the bytes after the sections only when a
// certificate table exists, then feeds zeros up to a multiple of 8 bytes; edk2, quex and we hash
// those bytes as they are. Ours over a file cut and padded that way must give dstack's digest.
TEST(TdxRtmr, KernelDigestDiffersFromDstackOnlyByItsTailRule) {
  const json vectors = LoadJson("rtmr_vectors.json");
  const json cross = LoadJson("crosscheck_dstack_port.json");
  for (size_t i = 0; i < vectors.size(); ++i) {
    const json& v = vectors[i];
    SCOPED_TRACE(v["id"].get<std::string>());
    CaseInputs c;
    if (!LoadCase(v, c)) {
      continue;
    }
    std::optional<uint64_t> initrd;
    if (c.boot.initrd) {
      initrd = c.boot.initrd->size_bytes;
    }
    auto patched = QemuPatchedKernel(c.kernel, *Q35GuestMemory(c.boot.memory_bytes),
                                     c.boot.cmdline.size(), initrd);
    ASSERT_TRUE(patched.ok()) << patched.status().ToString();
    auto ours = PeAuthenticodeSha384(*patched);
    ASSERT_TRUE(ours.ok());
    EXPECT_EQ(Hex(*ours), v["kernel_digest_quex"]);
    auto pe = ParsePeImage(*patched);
    ASSERT_TRUE(pe.ok());
    Bytes dstack_view = *patched;
    if (pe->cert_table_bytes == 0) {
      size_t end = pe->size_of_headers;
      for (const PeSection& s : pe->sections) {
        end += s.size_of_raw_data;
      }
      dstack_view.resize(end);
      dstack_view.resize(end + (8 - patched->size() % 8) % 8, 0);
    }
    EXPECT_EQ(Hex(*PeAuthenticodeSha384(dstack_view)),
              cross[i]["kernel_authenticode_dstack_port_pad8"]);
    EXPECT_EQ(Hex(*PeAuthenticodeSha384(dstack_view)) == v["kernel_digest_quex"],
              cross[i]["kernel_authenticode_dstack_port_nopad==quex"]);
  }
}

// dstack hard-codes the Boot0000 (UiApp) digest; ours is the same.
TEST(TdxRtmr, Boot0000MatchesDstack) {
  const json v = LoadJson("rtmr_vectors.json")[0];
  CaseInputs c;
  ASSERT_TRUE(LoadCase(v, c));
  auto m = MeasureTdx(c.boot, {});
  ASSERT_TRUE(m.ok());
  std::string boot0000;
  for (const TdxEvent& e : m->events) {
    if (e.name == "Boot0000 boot variable") {
      boot0000 = Hex(e.digest);
    }
  }
  for (const json& e : LoadJson("upstream_expectations.json")) {
    if (e["expected"].contains("boot0000_uiapp")) {
      EXPECT_EQ(boot0000, e["expected"]["boot0000_uiapp"]);
      return;
    }
  }
  ADD_FAILURE() << "upstream_expectations.json has no boot0000_uiapp";
}

TEST(TdxRtmr, EfiStubOffLeavesRtmr2Zero) {
  const json v = LoadJson("rtmr_vectors.json")[1];  // kernel + initrd + cmdline
  CaseInputs c;
  ASSERT_TRUE(LoadCase(v, c));
  TdxMeasureOptions options;
  options.efi_stub_measures_rtmr2 = false;
  auto m = MeasureTdx(c.boot, options);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->rtmr[2], Sha384Digest{});
  EXPECT_EQ(Hex(m->rtmr[1]), v["expected"]["rtmr1"]);
}

// Bad boot inputs: each fails with its reason, never a crash.
TEST(TdxRtmr, RefusesBadInputs) {
  const json v = LoadJson("rtmr_vectors.json")[1];
  CaseInputs base;
  ASSERT_TRUE(LoadCase(v, base));
  Bytes uki = base.kernel;
  {
    // Rename the first section to ".linux": a unified kernel image.
    const uint32_t pe = uki[0x3c] | (uki[0x3d] << 8);
    const uint16_t opt = uki[pe + 20] | (uki[pe + 21] << 8);
    const std::string linux_name(".linux\0\0", 8);
    std::copy(linux_name.begin(), linux_name.end(), uki.begin() + pe + 24 + opt);
  }
  Bytes no_pe = base.kernel;
  no_pe[0] = 'X';
  Bytes no_hdrs = base.kernel;
  no_hdrs[0x202] = 'X';
  Bytes acpi_no_rsdt = base.acpi;
  for (size_t i = 0; i + 4 <= acpi_no_rsdt.size(); ++i) {
    if (std::string(acpi_no_rsdt.begin() + i, acpi_no_rsdt.begin() + i + 4) == "RSDT") {
      acpi_no_rsdt[i] = 'X';
      break;
    }
  }
  const Bytes acpi_short(base.acpi.begin(), base.acpi.begin() + 100);
  Bytes fw_no_fvh = base.firmware;
  fw_no_fvh[40] = 0;  // the CFV's "_FVH" signature

  const struct {
    const char* name;
    std::function<void(TdxBootInputs&, TdxMeasureOptions&)> mutate;
    Reason want;
  } cases[] = {
      {"cmdline with NUL", [](auto& in, auto&) { in.cmdline = std::string("a\0b", 3); },
       reasons::kMeasureCmdlineInvalid},
      {"cmdline not ASCII", [](auto& in, auto&) { in.cmdline = "console=\xc3\xa9"; },
       reasons::kMeasureCmdlineInvalid},
      {"cmdline too long",
       [](auto& in, auto&) { in.cmdline = std::string(kMaxCmdlineBytes + 1, 'a'); },
       reasons::kMeasureCmdlineInvalid},
      {"memory zero", [](auto& in, auto&) { in.memory_bytes = 0; }, reasons::kMeasureMemoryInvalid},
      {"memory not page multiple", [](auto& in, auto&) { in.memory_bytes = (1ull << 30) + 1; },
       reasons::kMeasureMemoryInvalid},
      {"memory below TEMP_MEM", [](auto& in, auto&) { in.memory_bytes = 4u << 20; },
       reasons::kMeasureMemoryInvalid},
      {"memory above 64 TiB", [](auto& in, auto&) { in.memory_bytes = 1ull << 47; },
       reasons::kMeasureMemoryInvalid},
      {"vcpus zero", [](auto&, auto& o) { o.vcpus = 0; }, reasons::kMeasureVcpusInvalid},
      {"vcpus too many", [](auto&, auto& o) { o.vcpus = kMaxTdxVcpus + 1; },
       reasons::kMeasureVcpusInvalid},
      {"vcpus differ from MADT", [](auto&, auto& o) { o.vcpus = 3; },
       reasons::kMeasureAcpiVcpusMismatch},
      {"kernel not PE", [&](auto& in, auto&) { in.kernel = no_pe; }, reasons::kMeasurePeNotPe},
      {"initrd too large",
       [](auto& in, auto&) {
         in.initrd = TdxInitrd{1ull << 40, {}};
       },
       reasons::kMeasureInitrdTooLarge},
      {"kernel is an initrd", [&](auto& in, auto&) { in.kernel = base.initrd; },
       reasons::kMeasurePeNotPe},
      {"kernel empty", [](auto& in, auto&) { in.kernel = ByteSpan(); }, reasons::kMeasurePeNotPe},
      {"kernel without HdrS", [&](auto& in, auto&) { in.kernel = no_hdrs; },
       reasons::kMeasureKernelSetupInvalid},
      {"unified kernel image", [&](auto& in, auto&) { in.kernel = uki; },
       reasons::kMeasurePeUkiUnsupported},
      {"ACPI without RSDT", [&](auto& in, auto&) { in.acpi_tables = acpi_no_rsdt; },
       reasons::kMeasureAcpiMalformed},
      {"ACPI truncated", [&](auto& in, auto&) { in.acpi_tables = acpi_short; },
       reasons::kMeasureAcpiMalformed},
      {"ACPI empty", [](auto& in, auto&) { in.acpi_tables = ByteSpan(); },
       reasons::kMeasureAcpiMalformed},
      {"CFV without FV header", [&](auto& in, auto&) { in.firmware = fw_no_fvh; },
       reasons::kMeasureEfiVarsMalformed},
      {"firmware empty", [](auto& in, auto&) { in.firmware = ByteSpan(); },
       reasons::kMeasureTdvfMetadataMissing},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TdxBootInputs in = base.boot;
    TdxMeasureOptions options;
    c.mutate(in, options);
    auto m = MeasureTdx(in, options);
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.status().reason_id(), c.want.id) << m.status().ToString();
  }
}

TEST(TdxRtmr, VcpusMatchingMadtAccepted) {
  const json vectors = LoadJson("rtmr_vectors.json");
  const std::map<std::string, uint32_t> cpus = {{"gen-acpi-c1-m0x40000000-d1", 1},
                                                {"gen-acpi-c4-m0xb0000000-d2", 4},
                                                {"gen-acpi-c16-m0x400000000-d4", 16},
                                                {"rc16g-k-initrd-cmdline", 8}};
  for (const json& v : vectors) {
    const auto want = cpus.find(v["id"]);
    if (want == cpus.end()) {
      continue;
    }
    SCOPED_TRACE(want->first);
    CaseInputs c;
    ASSERT_TRUE(LoadCase(v, c));
    TdxMeasureOptions options;
    options.vcpus = want->second;
    auto m = MeasureTdx(c.boot, options);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
  }
}

}  // namespace
}  // namespace attest::measure
