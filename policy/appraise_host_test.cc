#include "policy/appraise_host.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/eventlog.h"
#include "policy/loader.h"
#include "tests/testing/vectors.h"

namespace attest::policy {
namespace {

constexpr uint16_t kSha256 = 0x000B;

Bytes Digest(uint8_t fill) { return Bytes(32, fill); }

tpm::HostClaims Claims() {
  tpm::HostClaims c;
  tpm::BootClaims boot;
  boot.scrtm_version = "EDK II";
  boot.secure_boot = true;
  boot.secure_boot_variables["db"] = Digest(0xdb);
  boot.secure_boot_variables["dbx"] = Digest(0xdf);
  boot.boot_application_digests = {Digest(0x01), Digest(0x02)};
  boot.kernel_cmdline = "console=ttyS0";
  c.boot = boot;
  tpm::QuoteClaims quote;
  quote.pcrs[kSha256][7] = Digest(0x77);
  c.quote = quote;
  tpm::DrtmClaims drtm;
  drtm.sinit_digest = Digest(0x5a);
  drtm.mle_digest = Digest(0x3e);
  drtm.replayed[kSha256][17] = Digest(0x17);
  drtm.replayed[kSha256][18] = Digest(0x18);
  c.drtm = drtm;
  return c;
}

std::string H(uint8_t fill) { return HexEncode(Digest(fill)); }

std::vector<std::string> Codes(const Appraisal& a) {
  std::vector<std::string> out;
  for (const auto& f : a.failures) {
    out.emplace_back(f.reason.id);
  }
  return out;
}

TEST(AppraiseHostTest, Rules) {
  const std::string good =
      R"("name":"h","scrtm_versions":["EDK II"],"require_secure_boot":true,"allowed_db_digests":[")" +
      H(0xdb) + R"("],"allowed_dbx_digests":[")" + H(0xdf) + R"("],"boot_application_digests":[")" +
      H(1) + R"(",")" + H(2) +
      R"("],"kernel_cmdlines":["console=ttyS0"],"require_drtm":true,"drtm":{"sinit_digests":[")" +
      H(0x5a) + R"("],"mle_digests":[")" + H(0x3e) + R"("],"pcr17":[")" + H(0x17) +
      R"("],"pcr18":[")" + H(0x18) + R"("]},"pcrs":[{"index":7,"bank":"sha256","values":[")" +
      H(0x77) + R"("]}])";
  struct Case {
    const char* name;
    std::function<void(tpm::HostClaims&)> mutate;
    std::vector<std::string> want;
  } cases[] = {
      {"everything as approved", nullptr, {}},
      {"other firmware",
       [](tpm::HostClaims& c) { c.boot->scrtm_version = "Evil BIOS"; },
       {"host.firmware_rejected"}},
      {"secure boot off",
       [](tpm::HostClaims& c) { c.boot->secure_boot = false; },
       {"host.secure_boot_off"}},
      {"secure boot unmeasured",
       [](tpm::HostClaims& c) { c.boot->secure_boot.reset(); },
       {"host.secure_boot_off"}},
      {"db changed",
       [](tpm::HostClaims& c) { c.boot->secure_boot_variables["db"] = Digest(0); },
       {"host.db_rejected"}},
      {"dbx missing",
       [](tpm::HostClaims& c) { c.boot->secure_boot_variables.erase("dbx"); },
       {"host.dbx_rejected"}},
      {"unknown boot loader",
       [](tpm::HostClaims& c) { c.boot->boot_application_digests.push_back(Digest(9)); },
       {"host.boot_application_rejected"}},
      {"cmdline",
       [](tpm::HostClaims& c) { c.boot->kernel_cmdline = "init=/bin/sh"; },
       {"host.kernel_cmdline_rejected"}},
      {"no drtm", [](tpm::HostClaims& c) { c.drtm.reset(); }, {"host.drtm_missing"}},
      {"other sinit",
       [](tpm::HostClaims& c) { c.drtm->sinit_digest = Digest(1); },
       {"host.sinit_rejected"}},
      {"other mle", [](tpm::HostClaims& c) { c.drtm->mle_digest.reset(); }, {"host.mle_rejected"}},
      {"pcr18",
       [](tpm::HostClaims& c) { c.drtm->replayed[kSha256][18] = Digest(0); },
       {"host.pcr_rejected"}},
      {"pcr7",
       [](tpm::HostClaims& c) { c.quote->pcrs[kSha256][7] = Digest(0); },
       {"host.pcr_rejected"}},
      {"no event log", [](tpm::HostClaims& c) { c.boot.reset(); }, {"host.no_event_log"}},
      {"two at once",
       [](tpm::HostClaims& c) {
         c.boot->secure_boot = false;
         c.drtm->sinit_digest = Digest(1);
       },
       {"host.secure_boot_off", "host.sinit_rejected"}},
  };
  auto policy = LoadHostPolicy("{" + good + "}");
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    tpm::HostClaims claims = Claims();
    if (c.mutate) {
      c.mutate(claims);
    }
    EXPECT_EQ(Codes(AppraiseHost(claims, *policy, {})), c.want);
  }
}

TEST(AppraiseHostTest, RealOvmfLogUnderTheExampleHostPolicy) {
  auto log = tpm::ParseEventLog(testing::ReadVector("tpm/ovmf-swtpm/eventlog.bin"));
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto replayed = tpm::ReplayEventLog(*log);
  ASSERT_TRUE(replayed.ok());
  tpm::HostClaims claims;
  claims.boot = tpm::ExtractBootClaims(*log, *replayed);
  auto permissive =
      LoadHostPolicy(R"({"name":"h","any_firmware":true,"any_boot_application":true})");
  EXPECT_TRUE(AppraiseHost(claims, *permissive, {}).affirmed());
  auto strict = LoadHostPolicy(
      R"({"name":"h","any_firmware":true,"any_boot_application":true,"require_secure_boot":true})");
  // Debian's OVMF_CODE_4M.fd (no .secboot) boots with Secure Boot off.
  EXPECT_EQ(Codes(AppraiseHost(claims, *strict, {})),
            std::vector<std::string>{"host.secure_boot_off"});
}

}  // namespace
}  // namespace attest::policy
