// POST /v1/measurements over the shared vectors (../shared/vectors/measure): the service answers
// what sev-snp-measure and the TDX reference runs recorded, for the operator's firmware, and a
// policy fragment the policy loader accepts; hostile inputs get a stable 4xx.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "policy/loader.h"
#include "service/api/testing/api_harness.h"
#include "service/api/testing/measure_vectors.h"

namespace attest::service::api {
namespace {

using testing::ReferenceRun;

using testing::ReadVectorFile;
using testing::ReadVectorJson;

const std::string& kSnp = testing::kSnpVectors;
const std::string& kTdx = testing::kTdxVectors;

std::string B64(const std::string& path) { return Base64Encode(*ReadVectorFile(path)); }

class MeasurementRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tenant_ = h_.CreateTenant("acme");
    h_.api().service().measurement_firmware.amd =
        ReadVectorFile(kSnp + "fixtures/ovmf_AmdSev_suffix.bin");
    h_.api().service().measurement_firmware.tdx = ReadVectorFile(kTdx + "inputs/debian12_OVMF.fd");
  }
  testing::ApiHarness::Reply Measure(const nlohmann::json& body) {
    return h_.CallJson("POST", "/v1/measurements", body, &tenant_);
  }
  // ExpectPolicyLoads checks that the fragment, named, is a policy the loader accepts.
  static void ExpectPolicyLoads(const nlohmann::json& fragment, const nlohmann::json& extra) {
    nlohmann::json doc = fragment;
    doc["name"] = "pinned";
    for (auto& [tee, rules] : extra.items()) {
      doc[tee].update(rules);
    }
    auto loaded = policy::LoadTenantPolicy(doc.dump());
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString() << "\n" << doc.dump();
  }

  testing::ApiHarness h_;
  sigv4::Credentials tenant_;
};

TEST_F(MeasurementRoutesTest, SevSnpReproducesTheReferenceRuns) {
  // Run 28: snp, 1 vCPU EPYC-v4, kernel + initrd + append; run 4: no kernel; 234: SEV-ES.
  const nlohmann::json with_kernel = {{"tee", "snp"},
                                      {"vcpus", 1},
                                      {"vcpu_type", "EPYC-v4"},
                                      {"guest_features", 1},
                                      {"kernel", B64(kSnp + "inputs/kernel.bin")},
                                      {"initrd", B64(kSnp + "inputs/initrd.bin")},
                                      {"append", "console=ttyS0 root=/dev/vda1"}};
  testing::ApiHarness::Reply r = Measure(with_kernel);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["measurement"], ReferenceRun(28)["expected"]);
  EXPECT_EQ(r.json["tee"], "snp");
  EXPECT_EQ(r.json["firmware_sha256"],
            HexEncode(Sha256(*h_.api().service().measurement_firmware.amd)));
  EXPECT_EQ(r.json["policy_fragment"]["snp"]["measurements"][0], ReferenceRun(28)["expected"]);
  ExpectPolicyLoads(r.json["policy_fragment"], {{"snp", {{"any_host_data", true}}}});

  // The same boot by digest: a kernel too large for the body is sent as its SHA-256.
  nlohmann::json by_digest = with_kernel;
  by_digest.erase("kernel");
  by_digest.erase("initrd");
  by_digest["kernel_sha256"] = HexEncode(Sha256(*ReadVectorFile(kSnp + "inputs/kernel.bin")));
  by_digest["initrd_sha256"] = HexEncode(Sha256(*ReadVectorFile(kSnp + "inputs/initrd.bin")));
  r = Measure(by_digest);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["measurement"], ReferenceRun(28)["expected"]);

  r = Measure({{"tee", "snp"}, {"vcpu_type", "EPYC-v4"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["measurement"], ReferenceRun(4)["expected"]);

  r = Measure({{"tee", "seves"}, {"vcpus", 1}, {"vcpu_type", "EPYC-v4"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["measurement"], ReferenceRun(234)["expected"]);
  EXPECT_EQ(r.json["policy_fragment"]["sev"]["require_es"], true);
  ExpectPolicyLoads(r.json["policy_fragment"], nlohmann::json::object());
}

TEST_F(MeasurementRoutesTest, TdxReproducesTheReferenceRuns) {
  const nlohmann::json vector = ReadVectorJson(kTdx + "rtmr_vectors.json")[0];
  const nlohmann::json& in = vector["inputs"];
  ASSERT_TRUE(in["initrd"].is_null());
  ASSERT_TRUE(in["cmdline"].is_null());
  testing::ApiHarness::Reply r =
      Measure({{"tee", "tdx"},
               {"memory_mib", in["memory_bytes"].get<uint64_t>() >> 20},
               {"acpi_tables", B64(kTdx + in["acpi_tables"]["file"].get<std::string>())},
               {"kernel", B64(kTdx + in["kernel"].get<std::string>())},
               {"two_pass", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["mrtd"], vector["expected"]["mrtd_two_pass"]);
  // quex's ACPI loader is wrong for this shape (MANIFEST): the corrected value is the derived one.
  const nlohmann::json& rtmr0 =
      vector["acpi_loader_quex_matches_fortanix_port"].get<bool>()
          ? vector["expected"]["rtmr0"]
          : vector["alternates_derived"]["rtmr0_pre202411_fortanix_loader"];
  EXPECT_EQ(r.json["rtmr"][0], rtmr0);
  EXPECT_EQ(r.json["rtmr"][1], vector["expected"]["rtmr1"]);
  EXPECT_EQ(r.json["rtmr"][2], vector["expected"]["rtmr2"]);
  EXPECT_EQ(r.json["policy_fragment"]["tdx"]["rtmrs"].size(), 3u);
  ExpectPolicyLoads(r.json["policy_fragment"],
                    {{"tdx", {{"any_mr_config_id", true}, {"mr_seam", nlohmann::json::array()}}}});

  // The firmware alone: MRTD in both page orders, as the synthetic TDVF's vectors say.
  h_.api().service().measurement_firmware.tdx =
      ReadVectorFile(kTdx + "inputs/synthetic_tdvf_64k.fd");
  const nlohmann::json mrtd = ReadVectorJson(kTdx + "mrtd_vectors.json")[0];
  r = Measure({{"tee", "tdx"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["mrtd"], mrtd["mrtd_single_pass"]);
  EXPECT_FALSE(r.json.contains("rtmr"));
  r = Measure({{"tee", "tdx"}, {"two_pass", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["mrtd"], mrtd["mrtd_two_pass_per_section"]);
}

TEST_F(MeasurementRoutesTest, RefusesBadInputsWithStableReasons) {
  const std::string kernel = B64(kSnp + "inputs/kernel.bin");
  struct Case {
    const char* name;
    nlohmann::json body;
    int status;
    const char* code;
  } cases[] = {
      {"no tee", {{"vcpus", 1}}, 400, "api.invalid_field"},
      {"unknown tee", {{"tee", "sgx"}}, 400, "api.invalid_field"},
      {"unknown field",
       {{"tee", "snp"}, {"vcpu_type", "EPYC-v4"}, {"firmware", "x"}},
       400,
       "api.unknown_field"},
      {"too many vcpus",
       {{"tee", "snp"}, {"vcpus", 513}, {"vcpu_type", "EPYC-v4"}},
       400,
       "api.invalid_field"},
      {"zero vcpus",
       {{"tee", "snp"}, {"vcpus", 0}, {"vcpu_type", "EPYC-v4"}},
       400,
       "api.invalid_field"},
      {"unknown vcpu type",
       {{"tee", "snp"}, {"vcpu_type", "Pentium-4"}},
       400,
       "measure.vcpu_type_unknown"},
      {"no vcpu type", {{"tee", "snp"}}, 400, "measure.vcpu_signature_missing"},
      {"type and signature",
       {{"tee", "snp"}, {"vcpu_type", "EPYC-v4"}, {"vcpu_sig", 0x800f12}},
       400,
       "api.invalid_field"},
      {"unknown vmm",
       {{"tee", "snp"}, {"vcpu_type", "EPYC-v4"}, {"vmm_type", "xen"}},
       400,
       "measure.sev_bad_argument"},
      {"cmdline with NUL",
       {{"tee", "snp"},
        {"vcpu_type", "EPYC-v4"},
        {"kernel", kernel},
        {"append", std::string("a\0b", 3)}},
       400,
       "measure.sev_cmdline_invalid"},
      {"append without kernel",
       {{"tee", "snp"}, {"vcpu_type", "EPYC-v4"}, {"append", "x"}},
       400,
       "api.invalid_field"},
      {"kernel twice",
       {{"tee", "snp"},
        {"vcpu_type", "EPYC-v4"},
        {"kernel", kernel},
        {"kernel_sha256", std::string(64, 'a')}},
       400,
       "api.invalid_field"},
      {"short digest",
       {{"tee", "snp"}, {"vcpu_type", "EPYC-v4"}, {"kernel_sha256", "abcd"}},
       400,
       "api.invalid_field"},
      {"kernel not base64",
       {{"tee", "snp"}, {"vcpu_type", "EPYC-v4"}, {"kernel", "%%%"}},
       400,
       "api.invalid_field"},
      {"append a number",
       {{"tee", "snp"}, {"vcpu_type", "EPYC-v4"}, {"kernel", kernel}, {"append", 7}},
       400,
       "api.invalid_field"},
      {"tdx kernel not PE",
       {{"tee", "tdx"},
        {"memory_mib", 2048},
        {"acpi_tables", B64(kTdx + "acpi_tables/fortanix/runtime-capture/acpi_tables.bin")},
        {"kernel", kernel}},
       400,
       "measure.pe_not_pe"},
      {"tdx kernel without shape", {{"tee", "tdx"}, {"kernel", kernel}}, 400, "api.invalid_field"},
      {"tdx acpi garbage",
       {{"tee", "tdx"},
        {"memory_mib", 2048},
        {"acpi_tables", Base64Encode(Bytes(100, 0x41))},
        {"kernel", B64(kTdx + "inputs/synthetic_bzimage.efi")}},
       400,
       "measure.acpi_malformed"},
      {"tdx initrd digest without size",
       {{"tee", "tdx"}, {"kernel", kernel}, {"initrd_sha384", std::string(96, 'a')}},
       400,
       "api.invalid_field"},
      {"tdx bad layout", {{"tee", "tdx"}, {"separator_layout", "2025"}}, 400, "api.invalid_field"},
      {"tdx two_pass a string", {{"tee", "tdx"}, {"two_pass", "yes"}}, 400, "api.invalid_field"},
      {"tdx memory zero", {{"tee", "tdx"}, {"memory_mib", 0}}, 400, "api.invalid_field"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const testing::ApiHarness::Reply r = Measure(c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.json["code"], c.code) << r.body;
  }
}

TEST_F(MeasurementRoutesTest, FirmwareTheOperatorDidNotConfigureOrThatIsBroken) {
  // Firmware without SEV metadata (Debian's OVMF_CODE-like image: TDX metadata only is not
  // enough for SNP) is refused, not measured into a value no launch produces.
  h_.api().service().measurement_firmware.amd =
      ReadVectorFile(kTdx + "inputs/synthetic_tdvf_64k.fd");
  testing::ApiHarness::Reply r = Measure({{"tee", "snp"}, {"vcpu_type", "EPYC-v4"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json["code"].get<std::string>().rfind("measure.", 0), 0u) << r.body;
  // A TDVF whose sections run past the file (the SVSM fixture).
  h_.api().service().measurement_firmware.tdx = ReadVectorFile(kSnp + "fixtures/svsm_ovmf.fd");
  r = Measure({{"tee", "tdx"}});
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(r.json["code"], "measure.tdvf_section_outside_file");
  h_.api().service().measurement_firmware = {};
  for (const char* tee : {"snp", "sev", "tdx"}) {
    r = Measure({{"tee", tee}, {"vcpu_type", "EPYC-v4"}});
    if (std::string(tee) == "tdx") {
      r = Measure({{"tee", tee}});
    }
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json["code"], "api.tee_not_offered");
  }
  // Unauthenticated callers get nothing.
  EXPECT_EQ(h_.CallJson("POST", "/v1/measurements", {{"tee", "snp"}}, nullptr).status, 403);
}

}  // namespace
}  // namespace attest::service::api
