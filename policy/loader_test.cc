#include "policy/loader.h"

#include <gtest/gtest.h>

namespace attest::policy {
namespace {

const std::string kM48 = std::string(96, 'a');

std::string Snp(const std::string& body) { return R"({"name":"p","snp":{)" + body + "}}"; }

TEST(PolicyLoaderTest, AcceptsWellFormedPolicies) {
  const std::string cases[] = {
      Snp(R"("measurements":[")" + kM48 + R"("],"any_host_data":true)"),
      Snp(R"("anyMeasurement":true,"hostDataLaunchTicket":true,"vmpls":[0,1],"signingKeys":["VCEK","VLEK"])"),
      Snp(R"("any_measurement":true,"host_data":")" + std::string(64, 'F') +
          R"(","min_reported_tcb":{"snp":8},"min_firmware":"1.55.21")"),
      R"({"name":"t","tdx":{"any_mr_td":true,"mr_config_id_launch_ticket":true,"rtmrs":[{"index":3,"values":[")" +
          kM48 + R"("]}],"max_collateral_age_seconds":"86400"}})",
      R"({"name":"s","sgx":{"mr_signer":[")" + std::string(64, '0') + R"("]}})",
      R"({"name":"v","sev":{"launch_digests":[")" + std::string(64, '1') +
          R"("],"min_api_version":"0.24"}})",
  };
  for (const auto& json : cases) {
    SCOPED_TRACE(json);
    auto p = LoadTenantPolicy(json);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
  }
}

TEST(PolicyLoaderTest, RejectsWithTheJsonPath) {
  struct Case {
    const char* name;
    std::string json;
    std::string want_message;
  } cases[] = {
      {"not json", "{", "(document): not valid JSON"},
      {"not an object", "[]", "(document): expected an object, got an array"},
      {"unknown top field", R"({"name":"p","snpp":{}})", "snpp: unknown field"},
      {"unknown nested field", Snp(R"("any_measurement":true,"any_host_data":true,"debug":true)"),
       "snp.debug: unknown field"},
      {"short hex",
       Snp(R"("measurements":[")" + kM48 + R"(",")" + kM48 + R"(",")" + std::string(94, 'a') +
           R"("],"any_host_data":true)"),
       "snp.measurements[2]: expected 48 bytes of hex, got 47"},
      {"not hex",
       Snp(R"("measurements":[")" + std::string(95, 'a') + R"(g"],"any_host_data":true)"),
       "snp.measurements[0]: not hex"},
      {"wrong type", Snp(R"("measurements":")" + kM48 + R"(","any_host_data":true)"),
       "snp.measurements: expected an array, got a string"},
      {"bool as string", Snp(R"("any_measurement":"true","any_host_data":true)"),
       "snp.any_measurement: expected true or false, got a string"},
      {"negative", Snp(R"("any_measurement":true,"any_host_data":true,"min_guest_svn":-1)"),
       "snp.min_guest_svn: must not be negative"},
      {"fraction", Snp(R"("any_measurement":true,"any_host_data":true,"min_guest_svn":1.5)"),
       "snp.min_guest_svn: expected a non-negative integer, got a number"},
      {"uint32 overflow",
       Snp(R"("any_measurement":true,"any_host_data":true,"min_guest_svn":4294967296)"),
       "snp.min_guest_svn: integer 4294967296 out of range"},
      {"null", Snp(R"("any_measurement":null,"any_host_data":true)"),
       "snp.any_measurement: expected true or false, got null"},
      {"bad enum",
       Snp(R"("any_measurement":true,"any_host_data":true,"signing_keys":["VCEK","ASK"])"),
       "snp.signing_keys[1]: \"ASK\" is not one of VCEK, VLEK"},
      {"duplicate key", R"({"name":"p","name":"q","snp":{}})", "name: key repeated in one object"},
      {"duplicate nested key",
       Snp(R"("any_measurement":true,"any_host_data":true,"vmpls":[0],"vmpls":[1])"),
       "vmpls: key repeated in one object"},
      {"bytes after a NUL", std::string(R"({"name":"p"})") + std::string("\0{", 2),
       "(document): not valid JSON"},
      {"same field twice by two names",
       Snp(R"("any_measurement":true,"anyMeasurement":true,"any_host_data":true)"),
       "snp.any_measurement: field given twice"},
      {"no name", R"({"snp":{"any_measurement":true,"any_host_data":true}})", "name: required"},
      {"no tee", R"({"name":"p"})", "(document): no TEE section"},
      {"empty measurements", Snp(R"("any_host_data":true)"), "snp.measurements: empty"},
      {"measurements and any",
       Snp(R"("measurements":[")" + kM48 + R"("],"any_measurement":true,"any_host_data":true)"),
       "snp.measurements: contradicts any_measurement"},
      {"no host data rule", Snp(R"("any_measurement":true)"), "snp: give one of host_data"},
      {"two host data rules",
       Snp(R"("any_measurement":true,"any_host_data":true,"host_data_launch_ticket":true)"),
       "snp: give only one of host_data"},
      {"vmpl 4", Snp(R"("any_measurement":true,"any_host_data":true,"vmpls":[0,4])"),
       "snp.vmpls[1]: VMPL is 0..3"},
      {"tcb > 255",
       Snp(R"("any_measurement":true,"any_host_data":true,"min_launch_tcb":{"snp":256})"),
       "snp: TCB components are 0..255"},
      {"bad firmware version",
       Snp(R"("any_measurement":true,"any_host_data":true,"min_firmware":"1.55")"),
       "snp.min_firmware: \"1.55\" needs 3 parts"},
      {"tdx rtmr index",
       R"({"name":"t","tdx":{"any_mr_td":true,"any_mr_config_id":true,"rtmrs":[{"index":4,"values":[")" +
           kM48 + R"("]}]}})",
       "tdx.rtmrs[0].index: RTMR index is 0..3"},
      {"tdx xfam half",
       R"({"name":"t","tdx":{"any_mr_td":true,"any_mr_config_id":true,"xfam_mask":"0000000000000000"}})",
       "tdx.xfam_mask: xfam_mask and xfam_value go together"},
      {"sgx nothing", R"({"name":"s","sgx":{}})", "sgx.mr_enclave: empty"},
      {"sev nothing", R"({"name":"v","sev":{"allow_debug":false}})", "sev.launch_digests: empty"},
      {"too large", "{\"name\":\"" + std::string(1 << 20, 'a') + "\"}",
       "(document): document larger"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = LoadTenantPolicy(c.json);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().reason_id(), "policy.invalid");
    EXPECT_EQ(p.status().message().rfind(c.want_message, 0), 0u) << p.status().message();
  }
}

TEST(PolicyLoaderTest, IdentityIgnoresFormattingButNotContent) {
  const auto a =
      LoadTenantPolicy(Snp(R"("any_measurement":true,"any_host_data":true,"vmpls":[0])"));
  const auto b = LoadTenantPolicy(
      "{\n  \"snp\": {\"vmpls\": [0], \"anyHostData\": true, \"any_measurement\": true},\n "
      "\"name\": \"p\"}");
  const auto c =
      LoadTenantPolicy(Snp(R"("any_measurement":true,"any_host_data":true,"vmpls":[1])"));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(PolicyIdentity(*a, "p"), PolicyIdentity(*b, "p"));
  EXPECT_NE(PolicyIdentity(*a, "p"), PolicyIdentity(*c, "p"));
  EXPECT_EQ(PolicyIdentity(*a, "p").rfind("p@sha256:", 0), 0u);
}

TEST(PolicyLoaderTest, HostPolicies) {
  const std::string d32 = std::string(64, 'b');
  EXPECT_TRUE(
      LoadHostPolicy(
          R"({"name":"h","any_firmware":true,"any_boot_application":true,"require_secure_boot":true,"pcrs":[{"index":7,"bank":"sha256","values":[")" +
          d32 + R"("]}]})")
          .ok());
  struct Case {
    const char* name;
    std::string json;
    std::string want;
  } cases[] = {
      {"no firmware rule", R"({"name":"h","any_boot_application":true})", "scrtm_versions: empty"},
      {"bad digest length",
       R"({"name":"h","any_firmware":true,"boot_application_digests":["abcd"]})",
       "boot_application_digests[0]: expected a SHA-1/256/384/512 digest"},
      {"pcr index",
       R"({"name":"h","any_firmware":true,"any_boot_application":true,"pcrs":[{"index":24,"bank":"sha256","values":[")" +
           d32 + R"("]}]})",
       "pcrs[0].index: PCR index is 0..23"},
      {"pcr bank",
       R"({"name":"h","any_firmware":true,"any_boot_application":true,"pcrs":[{"index":1,"bank":"md5","values":[")" +
           d32 + R"("]}]})",
       "pcrs[0].bank: expected sha1"},
      {"drtm required without rules",
       R"({"name":"h","any_firmware":true,"any_boot_application":true,"require_drtm":true})",
       "drtm: require_drtm is set"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = LoadHostPolicy(c.json);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().message().rfind(c.want, 0), 0u) << p.status().message();
  }
}

}  // namespace
}  // namespace attest::policy
