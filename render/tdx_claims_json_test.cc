#include "render/tdx_claims_json.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "attest/tdx/wire.h"
#include "tests/testing/vectors.h"

namespace attest::render {
namespace {

using nlohmann::json;

tdx::Claims TdClaims() {
  tdx::Claims c;
  c.quote_version = 4;
  c.tee_type = tdx::kTeeTypeTdx;
  c.body_type = 2;
  c.td.emplace();
  c.td->td_attributes[0] = 0x01;  // DEBUG
  c.td->mr_td[0] = 0xab;
  return c;
}

tdx::Claims Verified(tdx::Claims c, bool with_collateral, bool with_tcb) {
  c.verified = true;
  c.pck.emplace();
  c.pck->fmspc = {0xb0, 0xc0, 0x6f, 0, 0, 0};
  if (with_collateral) {
    c.collateral.emplace();
  }
  if (with_tcb) {
    c.tcb.emplace();
    c.tcb->status = tdx::TcbStatus::kSwHardeningNeeded;
    c.tcb->advisory_ids = {"INTEL-SA-00615"};
  }
  return c;
}

// Which members appear depends on what verification established; the table lists each stage.
TEST(TdxClaimsJsonTest, MembersByStage) {
  tdx::Claims td15 = TdClaims();
  td15.td->is_1_5 = true;
  tdx::Claims sgx;
  sgx.quote_version = 3;
  sgx.tee_type = tdx::kTeeTypeSgx;
  sgx.body_type = 1;
  sgx.enclave.emplace();
  sgx.enclave->attributes[0] = 0x06;  // DEBUG | MODE64BIT
  struct Case {
    const char* name;
    tdx::Claims claims;
    std::vector<std::string> present;
    std::vector<std::string> absent;
  } cases[] = {
      {"unverified td",
       TdClaims(),
       {"mr_td", "rtmr", "td_attributes"},
       {"fmspc", "collateral_checked", "tcb_status", "mr_service_td", "mr_enclave"}},
      {"td 1.5", td15, {"tee_tcb_svn_2", "mr_service_td"}, {"fmspc"}},
      {"unverified sgx", sgx, {"mr_enclave", "attributes", "isv_svn"}, {"mr_td", "fmspc"}},
      {"verified without collateral",
       Verified(TdClaims(), false, false),
       {"fmspc", "pce_id", "pck_tcb_components", "collateral_checked"},
       {"collateral", "tcb_status", "advisory_ids"}},
      {"collateral, no level matched",
       Verified(TdClaims(), true, false),
       {"collateral", "tcb_status", "advisory_ids"},
       {"tcb_date", "platform_tcb_status"}},
      {"collateral and level",
       Verified(TdClaims(), true, true),
       {"tcb_status", "tcb_date", "platform_tcb_status", "qe_tcb_status"},
       {"tdx_module_tcb_status"}},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    const json j = ClaimsToJson(k.claims);
    for (const std::string& m : k.present) {
      EXPECT_TRUE(j.contains(m)) << m;
    }
    for (const std::string& m : k.absent) {
      EXPECT_FALSE(j.contains(m)) << m;
    }
  }
}

TEST(TdxClaimsJsonTest, Values) {
  const json td = ClaimsToJson(Verified(TdClaims(), true, false));
  EXPECT_EQ(td["tee_type"], "tdx");
  EXPECT_EQ(td["td_attributes"]["debug"], true);
  EXPECT_EQ(td["mr_td"].get<std::string>().substr(0, 4), "ab00");
  EXPECT_EQ(td["fmspc"], "b0c06f000000");
  EXPECT_EQ(td["collateral_checked"], true);
  EXPECT_TRUE(td["tcb_status"].is_null());
  EXPECT_EQ(td["advisory_ids"], json::array());
  const json matched = ClaimsToJson(Verified(TdClaims(), true, true));
  EXPECT_EQ(matched["tcb_status"], "SWHardeningNeeded");
  EXPECT_EQ(matched["advisory_ids"], json::array({"INTEL-SA-00615"}));
}

// The real vector's claims render as `attestctl verify tdx` printed them before claims were typed.
TEST(TdxClaimsJsonTest, UnverifiedVector) {
  auto quote = tdx::ParseQuote(testing::ReadVector("tdx/dcap-qvl-v4/quote.bin"));
  ASSERT_TRUE(quote.ok());
  const json j = ClaimsToJson(tdx::UnverifiedClaims(*quote));
  EXPECT_EQ(j["mr_td"],
            "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b"
            "2538873118b7");
  EXPECT_EQ(j["quote_version"], 4);
  EXPECT_FALSE(j.contains("collateral_checked"));
}

}  // namespace
}  // namespace attest::render
