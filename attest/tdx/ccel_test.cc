#include "attest/tdx/ccel.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "tests/testing/vectors.h"

namespace attest::tdx {
namespace {

using attest::testing::ReadVector;

TEST(ReplayCcel, GoTdxLogReproducesQuoteRtmrs) {
  const Bytes log = ReadVector("tdx/gotdx-ccel/ccel_data.dat");
  const Quote q = ParseQuote(ReadVector("tdx/gotdx-ccel/quote.bin")).value();
  auto replay = ReplayCcel(log);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_EQ(replay->events.size(), 43u);
  EXPECT_TRUE(CheckRtmrs(*replay, *q.td_report).ok());
  EXPECT_EQ(HexEncode(replay->rtmr[0]),
            "3fa2f61f395b7f5feefb4ec2df61297f109ad8abcd6410c1b7df60f21f37b19297fc35e544039c7e1edece"
            "752afd17f6");
  // Against another TD's quote the replay does not match.
  const Quote other = ParseQuote(ReadVector("tdx/dcap-qvl-v4/quote.bin")).value();
  EXPECT_EQ(CheckRtmrs(*replay, *other.td_report).reason_id(), "tdx.rtmr_mismatch");
}

// Offset of the first TCG_PCR_EVENT2 (after the Spec ID event).
size_t FirstEvent2(const Bytes& log) {
  const uint32_t header = log[28] | (log[29] << 8) | (log[30] << 16) | (log[31] << 24);
  return 32 + header;
}

TEST(ReplayCcel, TamperedDigestChangesRtmr) {
  Bytes log = ReadVector("tdx/gotdx-ccel/ccel_data.dat");
  const Quote q = ParseQuote(ReadVector("tdx/gotdx-ccel/quote.bin")).value();
  // First event: index, type, count(1), alg id (2), 48-byte digest.
  const size_t digest = FirstEvent2(log) + 4 + 4 + 4 + 2;
  log[digest] ^= 1;
  auto replay = ReplayCcel(log);
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  EXPECT_EQ(CheckRtmrs(*replay, *q.td_report).reason_id(), "tdx.rtmr_mismatch");
}

TEST(ReplayCcel, Malformed) {
  const Bytes good = ReadVector("tdx/gotdx-ccel/ccel_data.dat");
  const size_t first = FirstEvent2(good);
  struct Case {
    const char* name;
    std::function<void(Bytes&)> mutate;
  };
  const Case cases[] = {
      {"empty", [](Bytes& b) { b.clear(); }},
      {"header type not EV_NO_ACTION", [](Bytes& b) { b[4] = 1; }},
      {"header signature", [](Bytes& b) { b[32] = 'X'; }},
      {"no algorithms", [](Bytes& b) { b[32 + 24] = 0; }},
      {"mr index 5", [first](Bytes& b) { b[first] = 5; }},
      {"digest count 0", [first](Bytes& b) { b[first + 8] = 0; }},
      {"unknown algorithm", [first](Bytes& b) { b[first + 12] = 0x99; }},
      {"event data size huge", [first](Bytes& b) { b[first + 14 + 48 + 3] = 0x7f; }},
      {"truncated inside the first event", [first](Bytes& b) { b.resize(first + 20); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes b = good;
    c.mutate(b);
    EXPECT_EQ(ReplayCcel(b).status().reason_id(), "tdx.ccel_malformed");
  }
}

}  // namespace
}  // namespace attest::tdx
