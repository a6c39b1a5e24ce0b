#include "attest/core/wipe.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "attest/core/digest.h"

namespace attest {
namespace {

TEST(Wipe, ZeroesEveryByteAndKeepsTheSize) {
  std::string text(40, 's');
  Wipe(text);
  EXPECT_EQ(text, std::string(40, '\0'));
  std::vector<uint8_t> bytes(33, 0xa5);
  Wipe(bytes);
  EXPECT_EQ(bytes, std::vector<uint8_t>(33, 0));
  Sha256Digest digest;
  digest.fill(0xff);
  Wipe(digest);
  EXPECT_EQ(digest, Sha256Digest{});
  std::string empty;
  Wipe(empty);
  EXPECT_TRUE(empty.empty());
}

TEST(Wipe, WipedHoldsTheValueUntilItsScopeEnds) {
  Sha256Digest digest;
  digest.fill(0x42);
  const Wiped<Sha256Digest> held(digest);
  EXPECT_EQ(held.get(), digest);
}

}  // namespace
}  // namespace attest
