// BundleCollateralSource: a file or a directory of collateral, indexed by platform.
#include "service/collateral/bundle_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/tdx/verify.h"
#include "tests/testing/vectors.h"

namespace attest::service::collateral {
namespace {

namespace fs = std::filesystem;
using attest::testing::ReadVector;
using attest::testing::ReadVectorText;
using attest::testing::VectorPath;
using nlohmann::json;

constexpr char kTdx[] = "tdx/dcap-qvl-v4";
constexpr char kSgx[] = "tdx/dcap-qvl-sgx-v3";

tdx::Quote Quote(const std::string& dir) {
  return tdx::ParseQuote(ReadVector(dir + "/quote.bin")).value();
}

std::array<uint8_t, 32> Fingerprint(const std::string& dir) {
  return tdx::ParseCollateralJson(ReadVectorText(dir + "/collateral.json"))->Fingerprint();
}

void Write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("attest-bundle-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Lookup loads the bundle at path and asks it for dir's quote: the fingerprint of what it
  // answers, or nullopt.
  static std::optional<std::array<uint8_t, 32>> Lookup(const fs::path& path,
                                                       const std::string& dir) {
    auto bundle = BundleCollateralSource::Load(path.string());
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    if (!bundle.ok()) {
      return std::nullopt;
    }
    auto got = bundle->TdxCollateral(Quote(dir));
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    if (!got.ok() || !got->has_value()) {
      return std::nullopt;
    }
    return (*got)->Fingerprint();
  }

  fs::path dir_;
};

TEST_F(BundleTest, OneFileServesItsPlatformOnly) {
  const fs::path file = VectorPath(std::string(kTdx) + "/collateral.json");
  EXPECT_EQ(Lookup(file, kTdx), Fingerprint(kTdx));
  EXPECT_EQ(Lookup(file, kSgx), std::nullopt);  // wrong platform: an SGX quote
}

TEST_F(BundleTest, DirectoryIndexesEveryDocumentByPlatform) {
  Write(dir_ / "tdx.json", ReadVectorText(std::string(kTdx) + "/collateral.json"));
  Write(dir_ / "sgx.json", ReadVectorText(std::string(kSgx) + "/collateral.json"));
  Write(dir_ / "README.txt", "not collateral: ignored");
  auto bundle = BundleCollateralSource::Load(dir_.string());
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  EXPECT_EQ(bundle->size(), 2u);
  EXPECT_EQ(Lookup(dir_, kTdx), Fingerprint(kTdx));
  EXPECT_EQ(Lookup(dir_, kSgx), Fingerprint(kSgx));
}

TEST_F(BundleTest, EmptyDirectoryHasNothing) {
  EXPECT_EQ(Lookup(dir_, kTdx), std::nullopt);
  EXPECT_EQ(Lookup(dir_, kSgx), std::nullopt);
}

TEST_F(BundleTest, SubdirectoryOfPcsResponses) {
  // The `attestctl verify tdx --collateral-dir` layout, rebuilt from the vector's signed bodies.
  const json c = json::parse(ReadVectorText(std::string(kTdx) + "/collateral.json"));
  const fs::path pcs = dir_ / "b0c06f000000";
  fs::create_directories(pcs);
  Write(pcs / "tcb_info.json", "{\"tcbInfo\":" + c["tcb_info"].get<std::string>() +
                                   ",\"signature\":\"" +
                                   c["tcb_info_signature"].get<std::string>() + "\"}");
  Write(pcs / "qe_identity.json", "{\"enclaveIdentity\":" + c["qe_identity"].get<std::string>() +
                                      ",\"signature\":\"" +
                                      c["qe_identity_signature"].get<std::string>() + "\"}");
  Write(pcs / "tcb_info_issuer_chain.pem", c["tcb_info_issuer_chain"].get<std::string>());
  Write(pcs / "qe_identity_issuer_chain.pem", c["qe_identity_issuer_chain"].get<std::string>());
  Write(pcs / "pck_crl_issuer_chain.pem", c["pck_crl_issuer_chain"].get<std::string>());
  auto der = [](const json& v) {
    const Bytes b = HexDecode(v.get<std::string>()).value();
    return std::string(b.begin(), b.end());
  };
  Write(pcs / "pck_crl.der", der(c["pck_crl"]));
  Write(pcs / "root_ca_crl.der", der(c["root_ca_crl"]));
  auto bundle = BundleCollateralSource::Load(dir_.string());
  ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
  auto got = bundle->TdxCollateral(Quote(kTdx));
  ASSERT_TRUE(got.ok() && got->has_value());
  // The same signed bodies as the JSON form: the verifier accepts it inside the vector's window.
  const auto v = tdx::QuoteVerifier::Default().Verify(Quote(kTdx), &**got,
                                                      ParseRfc3339("2025-07-01T00:00:00Z").value());
  EXPECT_TRUE(v.status.ok()) << v.status.ToString();
  EXPECT_EQ(Lookup(dir_, kSgx), std::nullopt);
}

TEST_F(BundleTest, ExpiredCollateralIsTheVerifiersToRefuse) {
  // The source hands collateral out whatever its dates; the verifier judges it at its time.
  auto got = BundleCollateralSource::Load(VectorPath(std::string(kTdx) + "/collateral.json"))
                 ->TdxCollateral(Quote(kTdx));
  ASSERT_TRUE(got.ok() && got->has_value());
  const auto late = tdx::QuoteVerifier::Default().Verify(
      Quote(kTdx), &**got, ParseRfc3339("2027-01-01T00:00:00Z").value());
  EXPECT_EQ(late.status.code(), ErrorCode::kExpired) << late.status.ToString();
}

TEST_F(BundleTest, NewerTcbEvaluationWinsWhateverTheOrder) {
  // Two documents for one platform: an older TCB evaluation never shadows a newer one.
  json older = json::parse(ReadVectorText(std::string(kTdx) + "/collateral.json"));
  json tcb = json::parse(older["tcb_info"].get<std::string>());
  tcb["tcbEvaluationDataNumber"] = 16;
  older["tcb_info"] = tcb.dump();
  const auto older_fp = tdx::ParseCollateralJson(older.dump())->Fingerprint();
  ASSERT_NE(older_fp, Fingerprint(kTdx));
  for (const char* older_name : {"a.json", "z.json"}) {
    SCOPED_TRACE(older_name);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Write(dir_ / older_name, older.dump());
    Write(dir_ / "m.json", ReadVectorText(std::string(kTdx) + "/collateral.json"));
    EXPECT_EQ(Lookup(dir_, kTdx), Fingerprint(kTdx));
  }
}

TEST_F(BundleTest, ABrokenBundleIsRefusedWhole) {
  Write(dir_ / "good.json", ReadVectorText(std::string(kTdx) + "/collateral.json"));
  const struct {
    std::string name;
    std::string file;  // in dir_
    bool is_directory;
    std::string text;
    std::string want;
  } cases[] = {
      {"not JSON", "bad.json", false, "{", "tdx.collateral_malformed"},
      {"no tcb_info", "bad.json", false, "{}", "tdx.collateral_malformed"},
      {"PCS directory without responses", "empty-pcs", true, "", "tdx.collateral_missing"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path p = dir_ / c.file;
    if (c.is_directory) {
      fs::create_directories(p);
    } else {
      Write(p, c.text);
    }
    auto bundle = BundleCollateralSource::Load(dir_.string());
    ASSERT_FALSE(bundle.ok());
    EXPECT_EQ(bundle.status().reason_id(), c.want);
    // The message names the broken document.
    EXPECT_NE(bundle.status().message().find(p.string()), std::string::npos)
        << bundle.status().message();
    fs::remove_all(p);
  }
  const auto missing = BundleCollateralSource::Load((dir_ / "nowhere").string());
  EXPECT_EQ(missing.status().reason_id(), "core.file_unreadable");
}

}  // namespace
}  // namespace attest::service::collateral
