// ReplayStore: each signed request accepted once while its signature could be accepted.
#include <gtest/gtest.h>

#include <string>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

std::string Signature(int i) {
  std::string hex = std::to_string(i);
  return std::string(64 - hex.size(), 'a') + hex;
}

TEST_P(StoreTest, SignatureIsAcceptedOnceUntilItExpires) {
  const TimePoint window_end = T0() + seconds(600);  // what attestd passes: signed at + skew
  const struct {
    std::string name;
    std::string signature;
    TimePoint at;
    TimePoint expires;
    std::string want;
  } steps[] = {
      {"first use", Signature(1), T0(), window_end, "ok"},
      {"replayed at once", Signature(1), T0(), window_end, "store.request_replayed"},
      {"replayed a second before its window ends", Signature(1), window_end - seconds(1),
       window_end, "store.request_replayed"},
      {"another signature", Signature(2), T0(), window_end, "ok"},
      {"another replayed", Signature(2), T0() + seconds(1), window_end, "store.request_replayed"},
      // Past its window the record is gone (a request that old fails SigV4's time check).
      {"after its window", Signature(1), window_end, window_end + seconds(600), "ok"},
      {"and replayed then", Signature(1), window_end, window_end + seconds(600),
       "store.request_replayed"},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(s.name);
    const Status got = store_->RecordSignature(s.signature, s.expires, s.at);
    EXPECT_EQ(got.ok() ? "ok" : std::string(got.reason_id()), s.want) << got.ToString();
  }
  // Expired records are deleted by the purge, not by each new record; the live one stays.
  ASSERT_TRUE(
      store_->RecordSignature(Signature(3), T0() + seconds(1900), T0() + seconds(1300)).ok());
  auto count = [&] {
    auto rows = Raw()->Exec("SELECT COUNT(*) FROM request_signatures");
    return rows.ok() && !rows->empty() && (*rows)[0][0] ? *(*rows)[0][0] : std::string("?");
  };
  EXPECT_EQ(count(), "3");
  auto purged = store_->PurgeExpired(T0() + seconds(1300));
  ASSERT_TRUE(purged.ok()) << purged.status().ToString();
  EXPECT_EQ(count(), "1");
  EXPECT_EQ(
      store_->RecordSignature(Signature(3), T0() + seconds(1900), T0() + seconds(1301)).reason_id(),
      "store.request_replayed");
}

TEST_P(StoreTest, TwoConnectionsReplayingASignatureHaveExactlyOneWinner) {
  auto one = Open(Sealer());
  auto two = Open(Sealer());
  ASSERT_TRUE(one.ok() && two.ok());
  Store* racers[2] = {one->get(), two->get()};
  constexpr int kRounds = 100;
  const RaceOutcome race =
      RaceTwoConnections(kRounds, "store.request_replayed", [&](int racer, int round) {
        return racers[racer]->RecordSignature(Signature(round), T0() + seconds(600), T0());
      });
  EXPECT_EQ(race.errors, 0);
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_EQ(race.wins[i], 1) << "round " << i;
  }
}

}  // namespace
}  // namespace attest::service::store
