#include "attest/tpm/claims.h"

#include <gtest/gtest.h>

#include <string>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/tpm/log_builder.h"
#include "render/tpm_claims_json.h"

namespace attest::tpm {
namespace {

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes Utf16(std::string_view s) {
  Bytes out;
  for (char c : s) {
    out.push_back(static_cast<uint8_t>(c));
    out.push_back(0);
  }
  return out;
}

// UefiVariable builds UEFI_VARIABLE_DATA for name with value.
Bytes UefiVariable(std::string_view name, const Bytes& value) {
  Bytes out(16, 0xab);  // VariableName GUID
  auto push64 = [&out](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      out.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
  };
  push64(name.size());
  push64(value.size());
  const Bytes n = Utf16(name);
  out.insert(out.end(), n.begin(), n.end());
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

BootClaims ClaimsOf(const LogBuilder& b) {
  auto log = ParseEventLog(b.bytes());
  EXPECT_TRUE(log.ok()) << log.status().ToString();
  auto replay = ReplayEventLog(*log);
  EXPECT_TRUE(replay.ok());
  return ExtractBootClaims(*log, *replay);
}

TEST(BootClaims, DecodesThePolicyRelevantEvents) {
  LogBuilder b = LogBuilder::Agile({kAlgSha1, kAlgSha256});
  const Bytes db = {1, 2, 3};
  b.Add(0, kEvSCrtmVersion, Utf16(std::string("Firmware 1.2") + '\0'))
      .Add(0, kEvEfiPlatformFirmwareBlob, Bytes(16, 7))
      .Add(7, kEvEfiVariableDriverConfig, UefiVariable("SecureBoot", {1}))
      .Add(7, kEvEfiVariableDriverConfig, UefiVariable("db", db))
      .Add(7, kEvSeparator, Bytes(4, 0))
      .Add(1, kEvSeparator, Bytes{1, 0, 0, 0})
      .Add(4, kEvEfiAction, Text("Calling EFI Application from Boot Option"))
      .Add(4, kEvEfiBootServicesApplication, Text("image device path"))
      .AddWithDigests(8, kEvIpl, Text(std::string("kernel_cmdline: ro quiet") + '\0'),
                      {{kAlgSha1, Digest(*FindHashAlg(kAlgSha1), Text("ro quiet"))},
                       {kAlgSha256, Digest(*FindHashAlg(kAlgSha256), Text("ro quiet"))}});
  const BootClaims c = ClaimsOf(b);
  EXPECT_EQ(c.digest_alg, "sha256");
  EXPECT_EQ(c.scrtm_version, "Firmware 1.2");
  ASSERT_EQ(c.firmware_blob_digests.size(), 1u);
  EXPECT_EQ(c.secure_boot, true);
  EXPECT_EQ(c.secure_boot_variables.at("db"),
            Digest(*FindHashAlg(kAlgSha256), UefiVariable("db", db)));
  EXPECT_EQ(c.separator_pcrs, (std::vector<uint32_t>{7, 1}));
  EXPECT_TRUE(c.separator_error);
  EXPECT_EQ(c.efi_actions, std::vector<std::string>{"Calling EFI Application from Boot Option"});
  ASSERT_EQ(c.boot_application_digests.size(), 1u);
  EXPECT_EQ(c.kernel_cmdline, "ro quiet");
  EXPECT_EQ(c.num_unverified_data_events, 0u);
  const auto json = render::ClaimsToJson(c);
  EXPECT_EQ(json["secure_boot"], true);
  EXPECT_EQ(json["kernel_cmdline"], "ro quiet");
}

TEST(BootClaims, DataThatDoesNotHashToItsDigestYieldsNoClaim) {
  // Same digests as an honest "SecureBoot = 0" record, but the data says 1: the PCR replays, the
  // claim must not follow the edited data.
  const Bytes honest = UefiVariable("SecureBoot", {0});
  const Bytes edited = UefiVariable("SecureBoot", {1});
  LogBuilder b = LogBuilder::Agile({kAlgSha256});
  b.AddWithDigests(7, kEvEfiVariableDriverConfig, edited,
                   {{kAlgSha256, Digest(*FindHashAlg(kAlgSha256), honest)}})
      .AddWithDigests(4, kEvEfiAction, Text("forged"), {{kAlgSha256, Bytes(32, 9)}})
      .AddWithDigests(8, kEvIpl, Text("kernel_cmdline: forged"), {{kAlgSha256, Bytes(32, 9)}});
  const BootClaims c = ClaimsOf(b);
  EXPECT_FALSE(c.secure_boot.has_value());
  EXPECT_TRUE(c.efi_actions.empty());
  EXPECT_FALSE(c.kernel_cmdline.has_value());
  EXPECT_EQ(c.num_unverified_data_events, 2u);
  EXPECT_EQ(c.num_opaque_events, 3u);
}

TEST(BootClaims, MalformedVariableDataIsOpaqueNotAnError) {
  LogBuilder b = LogBuilder::Agile({kAlgSha256});
  Bytes bad = UefiVariable("SecureBoot", {1});
  bad[16] = 0xff;  // UnicodeNameLength far past the end
  b.Add(7, kEvEfiVariableDriverConfig, bad)
      .Add(7, kEvEfiVariableDriverConfig, UefiVariable("SecureBoot", {}))
      .Add(0, kEvSCrtmVersion, Bytes{0xc3, 0x28, 0xff, 0x01});
  const BootClaims c = ClaimsOf(b);
  EXPECT_FALSE(c.secure_boot.has_value());
  EXPECT_EQ(c.num_opaque_events, 2u);
  EXPECT_EQ(c.scrtm_version, "c328ff01");  // binary version data is reported as hex
  EXPECT_NO_THROW((void)render::ClaimsToJson(c).dump());
}

TEST(DrtmClaims, ReportsSinitMleAndLcpDigests) {
  LogBuilder b = LogBuilder::Agile({kAlgSha1, kAlgSha256});
  b.Add(17, kEvTxtHashStart, Text("sinit acm"))
      .Add(17, kEvTxtLcpControlHash, Text("lcp"))
      .Add(18, kEvTxtMleHash, Text("tboot"))
      .Add(19, 0x4ff, Text("opaque vendor record"));
  auto log = ParseEventLog(b.bytes());
  ASSERT_TRUE(log.ok());
  auto replay = ReplayEventLog(*log, ReplayMode::kDynamic);
  ASSERT_TRUE(replay.ok());
  const DrtmClaims c = ExtractDrtmClaims(*log, *replay);
  const Sha256Digest sinit = Sha256(Text("sinit acm"));
  const Sha256Digest mle = Sha256(Text("tboot"));
  EXPECT_EQ(c.sinit_digest, Bytes(sinit.begin(), sinit.end()));
  EXPECT_EQ(c.mle_digest, Bytes(mle.begin(), mle.end()));
  EXPECT_EQ(c.lcp_digests.size(), 1u);
  EXPECT_EQ(c.replayed.at(kAlgSha256).size(), 3u);  // 17, 18, 19
  EXPECT_EQ(EventTypeName(kEvTxtHashStart), "TXT_HASH_START");
  EXPECT_EQ(EventTypeName(0x12345678), "0x12345678");
}

}  // namespace
}  // namespace attest::tpm
