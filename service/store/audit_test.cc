#include "service/store/audit.h"

#include <gtest/gtest.h>

#include <functional>

namespace attest::service::store {
namespace {

std::vector<AuditEntry> Chain(int n) {
  std::vector<AuditEntry> out;
  std::string prev = kAuditGenesisHash;
  for (int i = 1; i <= n; ++i) {
    AuditEntry e;
    e.seq = i;
    e.record = {"t-a",
                FromUnixSeconds(1000 + i),
                "AKIA",
                "host.appraise",
                "h-1",
                std::string(64, 'a'),
                "hp@1",
                "accepted",
                "d" + std::to_string(i)};
    e.prev_hash = prev;
    prev = AuditEntryHash(e);
    out.push_back(e);
  }
  return out;
}

TEST(VerifyAuditChain, IntactChain) {
  const auto chain = Chain(5);
  EXPECT_FALSE(VerifyAuditChain(chain, AuditEntryHash(chain.back())).has_value());
  EXPECT_FALSE(VerifyAuditChain({}, std::string(kAuditGenesisHash)).has_value());
  EXPECT_FALSE(VerifyAuditChain(chain, std::nullopt).has_value());
}

TEST(VerifyAuditChain, FindsTheFirstBrokenLink) {
  const struct {
    std::string name;
    std::function<void(std::vector<AuditEntry>*)> edit;
    int64_t want_seq;
  } cases[] = {
      {"detail of 2 changed", [](auto* c) { (*c)[1].record.detail = "x"; }, 3},
      {"actor of 1 changed", [](auto* c) { (*c)[0].record.actor = "root"; }, 2},
      {"time of 3 changed", [](auto* c) { (*c)[2].record.at += std::chrono::seconds(1); }, 4},
      {"prev_hash of 4 changed", [](auto* c) { (*c)[3].prev_hash[0] = 'f'; }, 4},
      {"entry 3 removed", [](auto* c) { c->erase(c->begin() + 2); }, 4},
      {"entries 2 and 3 swapped", [](auto* c) { std::swap((*c)[1], (*c)[2]); }, 3},
      {"newest entry changed", [](auto* c) { (*c)[4].record.outcome = "rejected"; }, 5},
      {"newest entry removed", [](auto* c) { c->pop_back(); }, 4},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto good = Chain(5);
    auto chain = good;
    c.edit(&chain);
    const auto broken = VerifyAuditChain(chain, AuditEntryHash(good.back()));
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->seq, c.want_seq) << broken->why;
  }
}

TEST(VerifyAuditChain, CatchesAClientAddressChanged) {
  const struct {
    std::string name;
    std::function<void(std::vector<AuditEntry>*)> edit;
    int64_t want_seq;
  } cases[] = {
      {"address of 2 blanked", [](auto* c) { (*c)[1].record.client_address.clear(); }, 3},
      {"address of 2 changed", [](auto* c) { (*c)[1].record.client_address = "10.0.0.1"; }, 3},
      {"address given to 3", [](auto* c) { (*c)[2].record.client_address = "10.0.0.1"; }, 4},
      {"newest address blanked", [](auto* c) { (*c)[3].record.client_address.clear(); }, 4},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    // Entries 1 and 3 were written without an address (before it was recorded, or by attestd).
    std::vector<AuditEntry> good = Chain(4);
    std::string prev = kAuditGenesisHash;
    for (AuditEntry& e : good) {
      if (e.seq % 2 == 0) {
        e.record.client_address = "203.0.113." + std::to_string(e.seq);
      }
      e.prev_hash = prev;
      prev = AuditEntryHash(e);
    }
    ASSERT_FALSE(VerifyAuditChain(good, prev).has_value());
    auto chain = good;
    c.edit(&chain);
    const auto broken = VerifyAuditChain(chain, prev);
    ASSERT_TRUE(broken.has_value());
    EXPECT_EQ(broken->seq, c.want_seq) << broken->why;
  }
}

// The hashes below were computed from the format audit.h describes, outside this code: an entry
// without an address hashes as every entry did before addresses were recorded.
TEST(AuditCanonicalBytes, FormsByVersion) {
  AuditEntry e = Chain(1)[0];
  EXPECT_EQ(AuditEntryHash(e), "344f822c7441d94ce4d14e47d697e0d91cb8b7173e2ba2075c51f0d7a3eae1af");
  e.record.client_address = "203.0.113.7";
  EXPECT_EQ(AuditEntryHash(e), "b135b338c74722188b72cb946edbeadcd7deaae07b67b94e79a4f1bd2eccd8bd");
}

TEST(AuditCanonicalBytes, FieldBoundariesAreUnambiguous) {
  AuditEntry a = Chain(1)[0];
  AuditEntry b = a;
  a.record.actor = "ab";
  a.record.action = "c";
  b.record.actor = "a";
  b.record.action = "bc";
  EXPECT_NE(AuditEntryHash(a), AuditEntryHash(b));
}

}  // namespace
}  // namespace attest::service::store
