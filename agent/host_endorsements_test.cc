// EndorsementsBody: what attest-agent host enroll --endorsements uploads, read from the directory
// `attestctl collateral fetch snp` writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "agent/host_loop.h"
#include "attest/core/encoding.h"
#include "tests/testing/vectors.h"

namespace attest::agent {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const Bytes& data) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

TEST(HostEndorsementsTest, BodyFromTheFetchDirectory) {
  const fs::path dir =
      fs::temp_directory_path() / ("agent-endorsements-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const Bytes vcek = testing::ReadVector("snp/gsg-milan-v2/vcek.der");
  const Bytes chain = testing::ReadVector("snp/certs/ask_ark_milan.pem");
  const Bytes crl = testing::ReadVector("collateral/kds/openpcc-2025/vcek-Milan-crl.body.der");

  // No vcek.der: nothing to upload.
  EXPECT_EQ(EndorsementsBody(dir.string()).status().reason_id(), "core.file_unreadable");
  Write(dir / "vcek.der", vcek);
  Result<nlohmann::json> only = EndorsementsBody(dir.string());
  ASSERT_TRUE(only.ok()) << only.status().ToString();
  EXPECT_EQ(*only, (nlohmann::json{{"vcek", Base64Encode(vcek)}}));

  Write(dir / "cert_chain.pem", chain);
  Write(dir / "crl.der", crl);
  Result<nlohmann::json> all = EndorsementsBody(dir.string());
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (nlohmann::json{{"vcek", Base64Encode(vcek)},
                                  {"cert_chain", Base64Encode(chain)},
                                  {"crl", Base64Encode(crl)}}));

  // Files over 64 KiB are refused, not sent.
  Write(dir / "crl.der", Bytes(65 * 1024 + 1, 0x30));
  EXPECT_EQ(EndorsementsBody(dir.string()).status().reason_id(), "core.file_unreadable");
  EXPECT_EQ(EndorsementsBody((dir / "missing").string()).status().reason_id(),
            "core.file_unreadable");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace attest::agent
