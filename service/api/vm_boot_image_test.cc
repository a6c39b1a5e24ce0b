// VMs created from a boot image (issue 20): POST /v1/vms computes the launch measurement the
// operator's firmware will produce for the image in the VM's shape, stores it, answers it, hands
// the image's files to the launch, and key release refuses evidence of any other launch.
#include <gtest/gtest.h>

#include <filesystem>

#include "service/api/testing/boot_image_world.h"
#include "service/api/testing/measure_vectors.h"

namespace attest::service::api {
namespace {

using nlohmann::json;

using testing::ReadVectorFile;
using testing::ReadVectorJson;

const std::string& kSnp = testing::kSnpVectors;
const std::string& kTdx = testing::kTdxVectors;

std::string RunExpected(int id) { return testing::ReferenceRun(id)["expected"]; }

using testing::BootImageWorld;

TEST(VmBootImageTest, SnpVmCarriesTheMeasurementOfItsImage) {
  BootImageWorld t;
  auto r = t.Create("snp", BootImageWorld::SnpLaunch(), "debian");
  ASSERT_EQ(r.status, 201) << r.body;
  // sev-snp-measure's run 28: the same firmware, files, command line, 1 EPYC-v4 vCPU.
  EXPECT_EQ(r.json["expected_measurement"], json({{"measurement", RunExpected(28)}}));
  EXPECT_EQ(r.json["boot_image"], "debian");
  const std::string id = r.json["vm_id"];
  // The launch direct-boots the image's files, with its command line.
  const std::string& xml = t.fake_->domains().at("attest-" + id).xml;
  EXPECT_NE(xml.find(std::filesystem::absolute(kSnp + "inputs/kernel.bin").lexically_normal()),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("console=ttyS0 root=/dev/vda1"), std::string::npos) << xml;
  auto got = t.w_.h.Call("GET", "/v1/vms/" + id, "", &t.w_.acme);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json["expected_measurement"], r.json["expected_measurement"]);
  EXPECT_EQ(got.json["boot_image"], "debian");
  // Another vCPU count is another launch: another measurement.
  json two = BootImageWorld::SnpLaunch();
  two["vcpus"] = 2;
  two["nets"] = json::array();
  two["security_groups"] = json::array();
  auto r2 = t.Create("snp", two, "debian");
  ASSERT_EQ(r2.status, 201) << r2.body;
  EXPECT_NE(r2.json["expected_measurement"]["measurement"], RunExpected(28));
  // A VM without a boot image has no expectation: the policy alone decides its release.
  auto plain = t.Create("snp", BootImageWorld::Standard(), "");
  ASSERT_EQ(plain.status, 201) << plain.body;
  EXPECT_TRUE(plain.json["expected_measurement"].is_null());
  EXPECT_TRUE(plain.json["boot_image"].is_null());
}

TEST(VmBootImageTest, TdxVmCarriesMrtdAndRtmrs) {
  BootImageWorld t;
  const json vector = ReadVectorJson(kTdx + "rtmr_vectors.json")[0];
  json launch = BootImageWorld::Standard();
  launch["acpi_tables"] = Base64Encode(
      *ReadVectorFile(kTdx + vector["inputs"]["acpi_tables"]["file"].get<std::string>()));
  // The vector's shape: its captured tables' MADT lists 8 vCPUs, its RAM is 16 GiB.
  launch["vcpus"] = 8;
  launch["memory_mib"] = vector["inputs"]["memory_bytes"].get<uint64_t>() >> 20;
  auto r = t.Create("tdx", launch, "tdx-kernel");
  ASSERT_EQ(r.status, 201) << r.body;
  const json& m = r.json["expected_measurement"];
  EXPECT_EQ(m["rtmr"].size(), 3u);
  EXPECT_EQ(m["rtmr"][1], vector["expected"]["rtmr1"]);
  EXPECT_EQ(m["rtmr"][2], vector["expected"]["rtmr2"]);
  EXPECT_EQ(m["mrtd"].get<std::string>().size(), 96u);
  // Without the shape's ACPI tables the expectation is MRTD alone.
  launch.erase("acpi_tables");
  launch["nets"] = json::array();
  launch["security_groups"] = json::array();
  auto mrtd_only = t.Create("tdx", launch, "tdx-kernel");
  ASSERT_EQ(mrtd_only.status, 201) << mrtd_only.body;
  EXPECT_EQ(mrtd_only.json["expected_measurement"]["mrtd"], m["mrtd"]);
  EXPECT_TRUE(mrtd_only.json["expected_measurement"]["rtmr"].empty());
}

TEST(VmBootImageTest, RefusedBeforeAnythingIsCreated) {
  BootImageWorld t;
  json no_sig = BootImageWorld::Standard();
  json measured_without_image = BootImageWorld::SnpLaunch();
  json bad_type = BootImageWorld::Standard();
  bad_type["vcpu_type"] = "Pentium";
  json bad_acpi = BootImageWorld::Standard();
  bad_acpi["acpi_tables"] = "***";
  const struct {
    const char* name;
    std::string tee;
    json launch;
    std::string image;
    std::function<void(BootImageWorld&)> arrange;
    int want_status;
    std::string want_code;
  } cases[] = {
      {"missing image", "snp", BootImageWorld::SnpLaunch(), "nope", nullptr, 404,
       "store.not_found"},
      {"another tenant's image", "snp", BootImageWorld::SnpLaunch(), "theirs", nullptr, 404,
       "store.not_found"},
      {"image name not a name", "snp", BootImageWorld::SnpLaunch(), "../x", nullptr, 400,
       "api.invalid_field"},
      {"image without launch", "snp", nullptr, "debian", nullptr, 400, "api.invalid_field"},
      {"measured choices without image", "snp", measured_without_image, "", nullptr, 400,
       "api.invalid_field"},
      {"SNP without a vCPU type", "snp", no_sig, "debian", nullptr, 400,
       "measure.vcpu_signature_missing"},
      {"unknown vCPU type", "snp", bad_type, "debian", nullptr, 400, "measure.vcpu_type_unknown"},
      {"ACPI tables not base64", "tdx", bad_acpi, "tdx-kernel", nullptr, 400, "api.invalid_field"},
      {"no AMD firmware", "snp", BootImageWorld::SnpLaunch(), "debian",
       [](BootImageWorld& w) { w.w_.h.api().service().measurement_firmware.amd = nullptr; }, 422,
       "api.tee_not_offered"},
      {"no TDX firmware", "tdx", BootImageWorld::Standard(), "tdx-kernel",
       [](BootImageWorld& w) { w.w_.h.api().service().measurement_firmware.tdx = nullptr; }, 422,
       "api.tee_not_offered"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    BootImageWorld w;
    if (c.arrange) {
      c.arrange(w);
    }
    auto r = w.Create(c.tee, c.launch, c.image);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    EXPECT_EQ(r.json.value("code", ""), c.want_code) << r.body;
    EXPECT_EQ(w.LiveVms(), 0u);
    w.ExpectNothingOnTheHost();
  }
  // Another tenant's image answers exactly like a missing one.
  auto theirs = t.Create("snp", BootImageWorld::SnpLaunch(), "theirs");
  auto missing = t.Create("snp", BootImageWorld::SnpLaunch(), "nope");
  std::string message = missing.json.value("message", "");
  message.replace(message.find("nope"), 4, "theirs");
  EXPECT_EQ(theirs.json.value("message", ""), message);
}

// Key release to a VM created from a boot image needs evidence of exactly that launch: the
// software TEE's report shows another measurement, so the release is refused, and the public
// answer names the check and its code only.
TEST(VmBootImageTest, ReleaseRefusesEvidenceOfAnotherLaunch) {
  BootImageWorld t;
  auto vm = t.Create("snp", BootImageWorld::SnpLaunch(), "debian");
  ASSERT_EQ(vm.status, 201) << vm.body;
  auto plain = t.Create("snp", BootImageWorld::Standard(), "");
  ASSERT_EQ(plain.status, 201) << plain.body;
  const testing::Guest guest;
  auto refused = t.w_.AttestGood(vm.json, t.w_.Challenge(vm.json["vm_id"]), guest);
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.json["failures"],
            json::array({{{"check", "measurement"}, {"code", "release.measurement_mismatch"}}}));
  EXPECT_EQ(refused.body.find(RunExpected(28)), std::string::npos) << refused.body;
  // The audit entry says what was expected and what came.
  auto audit = t.w_.h.Call("GET", "/v1/audit?limit=1000", "", &t.w_.acme);
  EXPECT_NE(audit.body.find("expected " + RunExpected(28)), std::string::npos) << audit.body;
  // The VM without a boot image is released on the same evidence (the policy alone decides).
  auto released = t.w_.AttestGood(plain.json, t.w_.Challenge(plain.json["vm_id"]), guest);
  EXPECT_EQ(released.status, 200) << released.body;

  // TDX: the software TEE's MRTD is the one the tenant policy pins, not the operator firmware's.
  auto tdx = t.Create("tdx", BootImageWorld::Standard(), "tdx-kernel");
  ASSERT_EQ(tdx.status, 201) << tdx.body;
  auto tdx_refused = t.w_.AttestGood(tdx.json, t.w_.Challenge(tdx.json["vm_id"]), guest);
  EXPECT_EQ(tdx_refused.status, 403) << tdx_refused.body;
  EXPECT_EQ(tdx_refused.json["failures"],
            json::array({{{"check", "measurement"}, {"code", "release.measurement_mismatch"}}}));
}

}  // namespace
}  // namespace attest::service::api
