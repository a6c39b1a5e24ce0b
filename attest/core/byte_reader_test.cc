#include "attest/core/byte_reader.h"

#include <gtest/gtest.h>

#include "attest/core/reasons.h"

namespace attest {
namespace {

const uint8_t kData[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09};

TEST(ByteReaderTest, ReadsBothByteOrders) {
  ByteReader r(kData);
  EXPECT_EQ(*r.ReadU16Le(), 0x0201);
  EXPECT_EQ(*r.ReadU16Be(), 0x0304);
  EXPECT_EQ(*r.ReadU32Le(), 0x08070605u);
  EXPECT_EQ(*r.ReadU8(), 0x09);
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(r.ExpectEnd().ok());
}

TEST(ByteReaderTest, Reads64Bit) {
  ByteReader le(kData);
  EXPECT_EQ(*le.ReadU64Le(), 0x0807060504030201ull);
  ByteReader be(kData);
  EXPECT_EQ(*be.ReadU64Be(), 0x0102030405060708ull);
  EXPECT_FALSE(be.ReadU32Be().ok());
}

// A reader fails with the reason its caller gave it (a format's own "malformed" reason); core
// cannot name a format's reasons, so the test defines one.
constexpr Reason kThingMalformed{"thing.malformed", ErrorCode::kMalformedEvidence};

TEST(ByteReaderTest, ShortReadFailsWithoutConsuming) {
  ByteReader r(std::span<const uint8_t>(kData, 3), kThingMalformed, "thing");
  auto v = r.ReadU32Le();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().reason_id(), "thing.malformed");
  EXPECT_EQ(v.status().message(), "thing: need 4 bytes, 3 left at offset 0");
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(*r.ReadU16Le(), 0x0201);
}

TEST(ByteReaderTest, ReadBytesHugeLengthDoesNotOverflow) {
  ByteReader r(kData);
  ASSERT_TRUE(r.Skip(4).ok());
  EXPECT_FALSE(r.ReadBytes(SIZE_MAX).ok());
  EXPECT_FALSE(r.ReadBytes(SIZE_MAX - 2).ok());
  EXPECT_FALSE(r.Skip(SIZE_MAX).ok());
  EXPECT_EQ(r.remaining(), 5u);
}

TEST(ByteReaderTest, SubReaderReportsAbsoluteOffsets) {
  ByteReader r(kData);
  ASSERT_TRUE(r.Skip(2).ok());
  auto sub = r.SubReader(3);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(r.offset(), 5u);
  EXPECT_EQ(sub->offset(), 2u);
  ASSERT_TRUE(sub->Skip(1).ok());
  Status end = sub->ExpectEnd();
  EXPECT_EQ(end.reason_id(), "core.truncated");
  EXPECT_EQ(end.message(), "input: 2 trailing bytes at offset 3");
  auto past = sub->ReadU32Le();
  EXPECT_FALSE(past.ok());
}

TEST(ByteReaderTest, SkipZerosNamesFirstNonZeroOffset) {
  const uint8_t data[] = {0, 0, 0, 7, 0};
  ByteReader r(data);
  Status s = r.SkipZeros(5, "reserved1");
  EXPECT_EQ(s.message(), "input: reserved field reserved1 not zero at offset 3");
  EXPECT_EQ(r.offset(), 0u);
  EXPECT_TRUE(r.SkipZeros(3, "ok").ok());
}

TEST(ByteReaderTest, ReadArrayCopies) {
  ByteReader r(kData);
  auto a = r.ReadArray<4>();
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)[3], 0x04);
  EXPECT_FALSE(r.ReadArray<6>().ok());
}

}  // namespace
}  // namespace attest
