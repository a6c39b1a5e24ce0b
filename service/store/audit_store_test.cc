// AuditStore: the hash-chained audit log.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, AuditLogIsAHashChain) {
  for (int i = 1; i <= 5; ++i) {
    auto e = store_->AppendAudit(Record(i % 2 ? a_ : b_, i));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->seq, i);
  }
  auto mine = store_->ListAudit(a_, 0, 100);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 3u);
  EXPECT_EQ((*mine)[0].prev_hash, kAuditGenesisHash);
  EXPECT_EQ(store_->ListAudit(a_, 1, 1)->at(0).seq, 3);
  auto verdict = store_->VerifyAudit();
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->has_value()) << (*verdict)->why;

  // Append-only in the database itself.
  auto raw = Raw();
  EXPECT_FALSE(raw->Exec("UPDATE audit_log SET detail = 'x' WHERE seq = 3").ok());
  EXPECT_FALSE(raw->Exec("DELETE FROM audit_log WHERE seq = 5").ok());

  // Someone with the database's owner rights goes around the triggers: caught by the chain.
  ASSERT_TRUE(raw->ExecScript(GetParam() == Dialect::kSqlite
                                  ? "DROP TRIGGER audit_log_no_update"
                                  : "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
                  .ok());
  ASSERT_TRUE(raw->Exec("UPDATE audit_log SET detail = 'rewritten' WHERE seq = 3").ok());
  verdict = store_->VerifyAudit();
  ASSERT_TRUE(verdict.ok());
  ASSERT_TRUE(verdict->has_value());
  EXPECT_EQ((*verdict)->seq, 4);
  ASSERT_TRUE(raw->Exec("UPDATE audit_log SET detail = 'detail 3' WHERE seq = 3").ok());
  EXPECT_FALSE(store_->VerifyAudit()->has_value());
  ASSERT_TRUE(raw->Exec("UPDATE audit_log SET outcome = 'rejected' WHERE seq = 5").ok());
  verdict = store_->VerifyAudit();
  ASSERT_TRUE(verdict->has_value());
  EXPECT_EQ((*verdict)->seq, 5);  // the newest entry is checked against the recorded head
}

TEST_P(StoreTest, AuditKeepsTheClientAddressInTheChain) {
  AuditRecord with = Record(a_, 1);
  with.client_address = "198.51.100.9";
  ASSERT_TRUE(store_->AppendAudit(with).ok());
  ASSERT_TRUE(store_->AppendAudit(Record(a_, 2)).ok());  // written by attestd itself: no address
  auto listed = store_->ListAudit(a_, 0, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].record.client_address, "198.51.100.9");
  EXPECT_EQ((*listed)[1].record.client_address, "");
  EXPECT_FALSE(store_->VerifyAudit()->has_value());

  auto raw = Raw();
  ASSERT_TRUE(raw->ExecScript(GetParam() == Dialect::kSqlite
                                  ? "DROP TRIGGER audit_log_no_update"
                                  : "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
                  .ok());
  for (const char* address : {"", "203.0.113.1"}) {
    SCOPED_TRACE(address);
    ASSERT_TRUE(
        raw->Exec("UPDATE audit_log SET client_address = $1 WHERE seq = 1", {std::string(address)})
            .ok());
    auto verdict = store_->VerifyAudit();
    ASSERT_TRUE(verdict.ok() && verdict->has_value());
    EXPECT_EQ((*verdict)->seq, 2);
  }
}

TEST_P(StoreTest, ConcurrentAppendersKeepOneChain) {
  auto one = Open(Sealer());
  auto two = Open(Sealer());
  ASSERT_TRUE(one.ok() && two.ok());
  std::atomic<int> errors{0};
  auto append = [&](Store* s, const std::string& tenant) {
    for (int i = 0; i < 50; ++i) {
      if (!s->AppendAudit(Record(tenant, i)).ok()) {
        ++errors;
      }
    }
  };
  std::thread t1(append, one->get(), a_);
  std::thread t2(append, two->get(), b_);
  t1.join();
  t2.join();
  EXPECT_EQ(errors.load(), 0);
  auto verdict = store_->VerifyAudit();
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->has_value());
  EXPECT_EQ(store_->ListAudit(a_, 0, 1000)->size() + store_->ListAudit(b_, 0, 1000)->size(), 100u);
}

}  // namespace
}  // namespace attest::service::store
