// The expected measurement of a VM created from a boot image, over the shared vectors
// (../shared/vectors/measure): the same values sev-snp-measure and the TDX references give for
// the same firmware, files and shape, from the digests a stored boot image keeps.
#include "service/api/vm_measurement.h"

#include <gtest/gtest.h>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/measure/sev_launch.h"
#include "attest/measure/tdx_measure.h"
#include "service/api/testing/measure_vectors.h"

namespace attest::service::api {
namespace {

using testing::ReadVectorFile;
using testing::ReadVectorJson;

const std::string& kSnp = testing::kSnpVectors;
const std::string& kTdx = testing::kTdxVectors;

std::string RunExpected(int id) { return testing::ReferenceRun(id)["expected"]; }

// Image is a boot image as the store keeps it: paths and the digests computed on upload.
MeasuredBoot Image(const std::string& kernel, const std::string& initrd,
                   const std::string& cmdline) {
  MeasuredBoot b;
  b.kernel_path = kernel;
  b.kernel_sha256 = HexEncode(Sha256(*ReadVectorFile(kernel)));
  if (!initrd.empty()) {
    const Bytes bytes = *ReadVectorFile(initrd);
    b.initrd_path = initrd;
    b.initrd_sha256 = HexEncode(Sha256(bytes));
    b.initrd_sha384 = HexEncode(Sha384(bytes));
    b.initrd_size = bytes.size();
  }
  b.cmdline = cmdline;
  return b;
}

MeasurementFirmware Firmware() {
  return {ReadVectorFile(kSnp + "fixtures/ovmf_AmdSev_suffix.bin"),
          ReadVectorFile(kTdx + "inputs/debian12_OVMF.fd")};
}

TEST(VmMeasurementTest, AmdLaunchesMatchTheReferenceRuns) {
  const MeasuredBoot full =
      Image(kSnp + "inputs/kernel.bin", kSnp + "inputs/initrd.bin", "console=ttyS0 root=/dev/vda1");
  const MeasuredBoot kernel_only = Image(kSnp + "inputs/kernel.bin", "", "");
  MeasurementChoice one_v4;
  one_v4.vcpus = 1;
  one_v4.cpu_signature = measure::VcpuSignatureForType("EPYC-v4").value();
  MeasurementChoice two_milan = one_v4;
  two_milan.vcpus = 2;
  two_milan.cpu_signature = measure::VcpuSignatureForType("EPYC-Milan").value();
  const struct {
    const char* tee = nullptr;
    MeasuredBoot boot;
    MeasurementChoice choice;
    int run = 0;
  } cases[] = {
      {"snp", full, one_v4, 28},
      {"sev-es", full, one_v4, 242},
      {"sev-es", full, two_milan, 245},
      {"sev-es", kernel_only, one_v4, 250},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.run);
    auto m = ComputeExpectedMeasurement(Firmware(), c.tee, c.boot, c.choice);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->measurement, RunExpected(c.run));
    EXPECT_TRUE(m->rtmrs.empty());
  }
}

TEST(VmMeasurementTest, TdxExpectsMrtdAndTheBootsRtmrs) {
  const nlohmann::json vector = ReadVectorJson(kTdx + "rtmr_vectors.json")[0];
  const nlohmann::json& in = vector["inputs"];
  MeasurementChoice choice;
  choice.memory_mib = in["memory_bytes"].get<uint64_t>() >> 20;
  choice.acpi_tables = *ReadVectorFile(kTdx + in["acpi_tables"]["file"].get<std::string>());
  choice.vcpus = 8;  // as the captured tables' MADT lists them
  const MeasuredBoot boot = Image(kTdx + in["kernel"].get<std::string>(), "", "");
  const MeasurementFirmware fw = Firmware();
  auto m = ComputeExpectedMeasurement(fw, "tdx", boot, choice);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // MRTD in the single-pass order POST /v1/measurements defaults to.
  EXPECT_EQ(
      m->measurement,
      HexEncode(measure::MeasureTdxMrtd(*fw.tdx, measure::MrtdPageOrder::kSinglePass).value()));
  ASSERT_EQ(m->rtmrs.size(), 3u);
  const nlohmann::json& rtmr0 =
      vector["acpi_loader_quex_matches_fortanix_port"].get<bool>()
          ? vector["expected"]["rtmr0"]
          : vector["alternates_derived"]["rtmr0_pre202411_fortanix_loader"];
  EXPECT_EQ(m->rtmrs[0], rtmr0);
  EXPECT_EQ(m->rtmrs[1], vector["expected"]["rtmr1"]);
  EXPECT_EQ(m->rtmrs[2], vector["expected"]["rtmr2"]);
  // Without the shape's ACPI tables only the firmware is known: MRTD alone.
  choice.acpi_tables.clear();
  auto mrtd_only = ComputeExpectedMeasurement(fw, "tdx", boot, choice);
  ASSERT_TRUE(mrtd_only.ok()) << mrtd_only.status().ToString();
  EXPECT_EQ(mrtd_only->measurement, m->measurement);
  EXPECT_TRUE(mrtd_only->rtmrs.empty());
}

TEST(VmMeasurementTest, RefusesWhatCannotBeMeasured) {
  const MeasuredBoot good = Image(kSnp + "inputs/kernel.bin", kSnp + "inputs/initrd.bin", "");
  MeasurementChoice v4;
  v4.cpu_signature = measure::VcpuSignatureForType("EPYC-v4").value();
  MeasuredBoot bad_digest = good;
  bad_digest.kernel_sha256 = "zz";
  MeasuredBoot short_initrd_digest = good;
  short_initrd_digest.initrd_sha256.resize(62);
  MeasuredBoot nul_cmdline = good;
  nul_cmdline.cmdline = std::string("a\0b", 3);
  MeasuredBoot gone = good;
  gone.kernel_path = "/nonexistent/kernel";
  MeasurementChoice tdx_shape;
  tdx_shape.acpi_tables =
      *ReadVectorFile(kTdx + "acpi_tables/fortanix/runtime-capture/acpi_tables.bin");
  const MeasuredBoot tdx_kernel = Image(kTdx + "inputs/synthetic_bzimage.efi", "", "");
  MeasurementFirmware no_tdx = Firmware();
  no_tdx.tdx = nullptr;
  MeasurementFirmware tdvf_as_amd = Firmware();
  tdvf_as_amd.amd = ReadVectorFile(kTdx + "inputs/synthetic_tdvf_64k.fd");
  const struct {
    const char* name;
    MeasurementFirmware fw;
    std::string tee;
    MeasuredBoot boot;
    MeasurementChoice choice;
    std::string want;
  } cases[] = {
      {"no AMD firmware configured",
       {nullptr, Firmware().tdx},
       "snp",
       good,
       v4,
       "api.tee_not_offered"},
      {"no TDX firmware configured", no_tdx, "tdx", good, {}, "api.tee_not_offered"},
      {"unknown TEE", Firmware(), "sgx", good, v4, "api.invalid_field"},
      {"SNP without the vCPU signature",
       Firmware(),
       "snp",
       good,
       {},
       "measure.vcpu_signature_missing"},
      {"firmware without SEV metadata", tdvf_as_amd, "snp", good, v4,
       "measure.ovmf_no_sev_metadata"},
      {"stored kernel digest unreadable", Firmware(), "snp", bad_digest, v4, "core.internal"},
      {"stored initrd digest short", Firmware(), "sev", short_initrd_digest, v4, "core.internal"},
      {"NUL in the command line", Firmware(), "snp", nul_cmdline, v4,
       "measure.sev_cmdline_invalid"},
      {"TDX kernel file gone", Firmware(), "tdx", gone, tdx_shape, "core.file_unreadable"},
      {"TDX vCPUs not the tables' count", Firmware(), "tdx", tdx_kernel, tdx_shape,
       "measure.acpi_vcpus_mismatch"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = ComputeExpectedMeasurement(c.fw, c.tee, c.boot, c.choice);
    EXPECT_EQ(m.status().reason_id(), c.want) << m.status().ToString();
  }
}

// GET and the 201 answer show the expectation per TEE, null for a VM without a boot image.
TEST(VmMeasurementTest, AnswerShape) {
  store::Vm vm;
  vm.tee_type = "snp";
  EXPECT_TRUE(ExpectedMeasurementJson(vm).is_null());
  vm.expected.measurement = "ab";
  EXPECT_EQ(ExpectedMeasurementJson(vm), nlohmann::json({{"measurement", "ab"}}));
  vm.tee_type = "tdx";
  vm.expected.rtmrs = {"01", "02", "03"};
  EXPECT_EQ(ExpectedMeasurementJson(vm),
            nlohmann::json({{"mrtd", "ab"}, {"rtmr", {"01", "02", "03"}}}));
}

}  // namespace
}  // namespace attest::service::api
