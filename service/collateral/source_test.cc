// DcapCollateralKey: the quote's platform and the collateral's name the same key.
#include "service/collateral/source.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "tests/testing/vectors.h"

namespace attest::service::collateral {
namespace {

using attest::testing::ReadVector;
using attest::testing::ReadVectorText;

TEST(DcapCollateralKeyTest, QuoteKeyIsItsTeeAndPckFmspc) {
  const struct {
    std::string name;
    std::string dir;
    std::optional<std::string> want;
  } cases[] = {
      {"tdx quote", "tdx/dcap-qvl-v4", "dcap/TDX/b0c06f000000"},
      {"sgx quote", "tdx/dcap-qvl-sgx-v3", "dcap/SGX/00a067110000"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto quote = tdx::ParseQuote(ReadVector(c.dir + "/quote.bin"));
    ASSERT_TRUE(quote.ok()) << quote.status().ToString();
    EXPECT_EQ(DcapCollateralKey(*quote), c.want);
    // The vector's own collateral is for the same platform: the two keys meet.
    auto coll = tdx::ParseCollateralJson(ReadVectorText(c.dir + "/collateral.json"));
    ASSERT_TRUE(coll.ok());
    auto tcb = tdx::ParseTcbInfo(coll->tcb_info_body);
    ASSERT_TRUE(tcb.ok());
    EXPECT_EQ(DcapCollateralKey(*tcb), c.want);
  }
}

TEST(DcapCollateralKeyTest, NoPlatformWithoutAReadablePckCertificate) {
  const tdx::Quote good = tdx::ParseQuote(ReadVector("tdx/dcap-qvl-v4/quote.bin")).value();
  const std::string pem(good.pck_chain_pem.begin(), good.pck_chain_pem.end());
  // The leaf without its SGX extension: the CA certificate that follows it in the chain.
  const size_t second = pem.find("-----BEGIN CERTIFICATE-----", 1);
  ASSERT_NE(second, std::string::npos);
  const struct {
    std::string name;
    std::string chain;
  } cases[] = {
      {"no chain", ""},
      {"not PEM", "garbage"},
      {"leaf is a CA certificate", pem.substr(second)},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    tdx::Quote q = good;
    q.pck_chain_pem.assign(c.chain.begin(), c.chain.end());
    EXPECT_EQ(DcapCollateralKey(q), std::nullopt);
  }
}

}  // namespace
}  // namespace attest::service::collateral
