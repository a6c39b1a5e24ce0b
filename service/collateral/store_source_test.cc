// StoreCollateralSource: the store's collateral cache, per operator tenant and platform.
#include "service/collateral/store_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "service/store/store.h"
#include "tests/testing/vectors.h"

namespace attest::service::collateral {
namespace {

namespace fs = std::filesystem;
using attest::testing::ReadVector;
using attest::testing::ReadVectorText;

constexpr char kTdx[] = "tdx/dcap-qvl-v4";
constexpr char kSgx[] = "tdx/dcap-qvl-sgx-v3";

TimePoint T0() { return FromUnixSeconds(1764057600); }

tdx::Quote Quote(const std::string& dir) {
  return tdx::ParseQuote(ReadVector(dir + "/quote.bin")).value();
}

Bytes Document(const std::string& dir) {
  const std::string text = ReadVectorText(dir + "/collateral.json");
  return Bytes(text.begin(), text.end());
}

std::string KeyOf(const std::string& dir) { return DcapCollateralKey(Quote(dir)).value(); }

// The cache lives in the store; the store's own suite runs both backends, so SQLite is enough
// here.
class StoreSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("attest-collateral-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto sealer = store::LocalKeySealer::FromKey(Bytes(store::LocalKeySealer::kKeyBytes, 7));
    ASSERT_TRUE(sealer.ok());
    auto s = store::OpenSqliteStore((dir_ / "attestd.db").string(),
                                    std::shared_ptr<const store::SecretSealer>(sealer->release()));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
    // Collateral rows belong to a tenant (a foreign key).
    op_ = store_->CreateTenant("ops", store::Role::kOperator, T0()).value().id;
    other_ = store_->CreateTenant("other-ops", store::Role::kOperator, T0()).value().id;
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::string op_, other_;
};

TEST_F(StoreSourceTest, LooksUpTheOperatorsCollateralForTheQuotesPlatform) {
  ASSERT_TRUE(store_->PutCollateral(op_, KeyOf(kTdx), Document(kTdx), T0()).ok());
  ASSERT_TRUE(store_->PutCollateral(other_, KeyOf(kSgx), Document(kSgx), T0()).ok());
  const auto want = tdx::ParseCollateralJson(ReadVectorText(std::string(kTdx) + "/collateral.json"))
                        ->Fingerprint();
  const struct {
    std::string name;
    std::string tenant;
    std::string quote_dir;
    bool found;
  } cases[] = {
      {"found", op_, kTdx, true},
      {"wrong platform: an SGX quote", op_, kSgx, false},
      {"another tenant's cache", other_, kTdx, false},
      {"not found", "t-nobody", kTdx, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    StoreCollateralSource source(*store_, c.tenant);
    auto got = source.TdxCollateral(Quote(c.quote_dir));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->has_value(), c.found);
    if (c.found) {
      EXPECT_EQ((*got)->Fingerprint(), want);
    }
  }
}

TEST_F(StoreSourceTest, AStoredDocumentThatNoLongerParsesIsNone) {
  ASSERT_TRUE(store_->PutCollateral(op_, KeyOf(kTdx), {'{'}, T0()).ok());
  StoreCollateralSource source(*store_, op_);
  auto got = source.TdxCollateral(Quote(kTdx));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(StoreSourceTest, QuoteWithoutAPlatformIsNone) {
  ASSERT_TRUE(store_->PutCollateral(op_, KeyOf(kTdx), Document(kTdx), T0()).ok());
  tdx::Quote q = Quote(kTdx);
  q.pck_chain_pem.clear();
  StoreCollateralSource source(*store_, op_);
  auto got = source.TdxCollateral(q);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
}

TEST_F(StoreSourceTest, ADatabaseFailureIsAnError) {
  auto raw = store::OpenSqlite((dir_ / "attestd.db").string());
  ASSERT_TRUE(raw.ok());
  ASSERT_TRUE((*raw)->ExecScript("DROP TABLE collateral").ok());
  StoreCollateralSource source(*store_, op_);
  EXPECT_EQ(source.TdxCollateral(Quote(kTdx)).status().reason_id(), "store.database_error");
}

}  // namespace
}  // namespace attest::service::collateral
