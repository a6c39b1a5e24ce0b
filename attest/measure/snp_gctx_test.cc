#include "attest/measure/snp_gctx.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "attest/core/encoding.h"
#include "attest/measure/snp_launch.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

using testing::ReadVector;
using testing::ReadVectorText;

// Expected digests of measure/snp/gctx_primitives.json by case name.
std::map<std::string, std::string> Primitives() {
  std::map<std::string, std::string> out;
  for (const auto& c : nlohmann::json::parse(ReadVectorText("measure/snp/gctx_primitives.json"))) {
    out[c.at("name").get<std::string>()] = c.at("expected").get<std::string>();
  }
  return out;
}

TEST(SnpGctx, PrimitiveVectors) {
  auto want = Primitives();
  ASSERT_EQ(want.size(), 4u);

  // gce-tcb-verifier TestUpdateData: three NORMAL pages, "LGTM" x4 at both ends of the data.
  Bytes data(size_t{3} * 4096, 0);
  const std::string lgtm = "LGTMLGTMLGTMLGTM";
  std::copy(lgtm.begin(), lgtm.end(), data.begin());
  std::copy(lgtm.begin(), lgtm.end(), data.end() - 16);
  SnpLaunchDigest normal;
  normal.UpdateNormalPages(0, data);
  EXPECT_EQ(HexEncode(normal.digest()), want["gce_TestUpdateData"]);

  // gce-tcb-verifier TestZeroContentUpdateData: three ZERO pages from 0x9000.
  SnpLaunchDigest zero;
  zero.UpdateContentlessPages(SnpPageType::kZero, 0x9000, uint64_t{3} * 4096);
  EXPECT_EQ(HexEncode(zero.digest()), want["gce_TestZeroContentUpdateData"]);

  // dstack: one NORMAL update at 0x1000 whose contents digest is SHA-384("page").
  SnpLaunchDigest one;
  one.UpdatePage(SnpPageType::kNormal, 0x1000, Sha384(AsBytes("page")));
  EXPECT_EQ(HexEncode(one.digest()), want["dstack_gctx_update_is_deterministic"]);

  // dstack's synthetic image as firmware pages ending at 4 GiB.
  auto ovmf = ComputeSnpOvmfHash(ReadVector("measure/snp/inputs/dstack_synthetic_snp_ovmf.bin"));
  ASSERT_TRUE(ovmf.ok()) << ovmf.status().ToString();
  EXPECT_EQ(HexEncode(*ovmf), want["dstack_synthetic_ovmf_hash"]);
}

TEST(SnpGctx, EveryFieldOfThePageInfoCounts) {
  // Changing the type, the address, the contents or the seed changes the digest; so does order.
  const Sha384Digest contents = Sha384(AsBytes("page"));
  auto digest = [&](SnpPageType type, uint64_t gpa, const Sha384Digest& c, uint8_t seed) {
    Sha384Digest s{};
    s[0] = seed;
    SnpLaunchDigest ld(s);
    ld.UpdatePage(type, gpa, c);
    return ld.digest();
  };
  const Sha384Digest base = digest(SnpPageType::kNormal, 0x1000, contents, 0);
  EXPECT_NE(base, digest(SnpPageType::kZero, 0x1000, contents, 0));
  EXPECT_NE(base, digest(SnpPageType::kNormal, 0x2000, contents, 0));
  EXPECT_NE(base, digest(SnpPageType::kNormal, 0x1000 + (1ull << 40), contents, 0));
  EXPECT_NE(base, digest(SnpPageType::kNormal, 0x1000, Sha384Digest{}, 0));
  EXPECT_NE(base, digest(SnpPageType::kNormal, 0x1000, contents, 1));

  SnpLaunchDigest ab, ba;
  ab.UpdatePage(SnpPageType::kSecrets, 0x1000, {});
  ab.UpdatePage(SnpPageType::kCpuid, 0x2000, {});
  ba.UpdatePage(SnpPageType::kCpuid, 0x2000, {});
  ba.UpdatePage(SnpPageType::kSecrets, 0x1000, {});
  EXPECT_NE(ab.digest(), ba.digest());
}

TEST(SnpGctx, OvmfHashRefusesPartialPagesAndEmptyImages) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{4095}, size_t{4097}}) {
    SCOPED_TRACE(size);
    auto hash = ComputeSnpOvmfHash(Bytes(size, 0));
    ASSERT_FALSE(hash.ok());
    EXPECT_EQ(hash.status().reason_id(), "measure.ovmf_malformed");
  }
  auto big = ComputeSnpOvmfHash(Bytes(kMaxFirmwareBytes + kPageSize, 0));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().reason_id(), "measure.ovmf_too_large");
}

}  // namespace
}  // namespace attest::measure
