// HostStore: host records and the all-or-nothing quote write.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, AFailedHostQuoteMarksTheLiveVmsOnIt) {
  auto h = store_->RegisterHost(a_, {{1}, {}, {2}, "hp", ""}, T0());
  ASSERT_TRUE(h.ok());
  Vm on_host = MakeVm("vm-1", {}), elsewhere = MakeVm("vm-2", {}), gone = MakeVm("vm-3", {});
  on_host.host_id = h->id;
  gone.host_id = h->id;
  ASSERT_TRUE(store_->CreateVm(b_, on_host, T0()).ok());
  ASSERT_TRUE(store_->CreateVm(b_, elsewhere, T0()).ok());
  ASSERT_TRUE(store_->CreateVm(b_, gone, T0()).ok());
  ASSERT_TRUE(store_->DeleteVm(b_, "vm-3", T0()).ok());

  ASSERT_TRUE(
      store_->UpdateHostState(a_, h->id, HostState::kTrusted, "{}", T0() + seconds(60), T0()).ok());
  EXPECT_FALSE(store_->GetVm(b_, "vm-1")->host_untrusted_at.has_value());
  ASSERT_TRUE(
      store_
          ->UpdateHostState(a_, h->id, HostState::kUntrusted, "{}", std::nullopt, T0() + seconds(5))
          .ok());
  EXPECT_EQ(store_->GetVm(b_, "vm-1")->host_untrusted_at, T0() + seconds(5));
  EXPECT_FALSE(store_->GetVm(b_, "vm-2")->host_untrusted_at.has_value());
  EXPECT_FALSE(store_->GetVm(b_, "vm-3")->host_untrusted_at.has_value());
  // Trusted again later: the mark stays, with the time of the first failure.
  ASSERT_TRUE(store_
                  ->UpdateHostState(a_, h->id, HostState::kTrusted, "{}", T0() + seconds(90),
                                    T0() + seconds(7))
                  .ok());
  ASSERT_TRUE(
      store_
          ->UpdateHostState(a_, h->id, HostState::kUntrusted, "{}", std::nullopt, T0() + seconds(9))
          .ok());
  EXPECT_EQ(store_->LookupVm("vm-1")->host_untrusted_at, T0() + seconds(5));
}

TEST_P(StoreTest, Hosts) {
  const Bytes ek = {0x30, 0x82, 0x01}, cert = {0x30, 0x03}, ak = {0x30, 0x59, 0x00};
  auto h = store_->RegisterHost(
      a_, {ek, cert, ak, "hp", std::string(64, 'a'), {"snp", "tdx"}, "qemu:///system"}, T0());
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auto got = store_->GetHost(a_, h->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->ek_public, ek);
  EXPECT_EQ(got->ek_cert, cert);
  EXPECT_EQ(got->ak_public, ak);
  EXPECT_EQ(got->host_policy, "hp");
  EXPECT_EQ(got->activation_sha256, std::string(64, 'a'));
  EXPECT_STREQ(HostStateName(got->state), "registered");
  EXPECT_FALSE(got->trusted_until.has_value());
  ASSERT_TRUE(store_
                  ->UpdateHostState(a_, h->id, HostState::kTrusted, R"({"decision":"accept"})",
                                    T0() + seconds(3600), T0() + seconds(5))
                  .ok());
  got = store_->GetHost(a_, h->id);
  EXPECT_STREQ(HostStateName(got->state), "trusted");
  EXPECT_EQ(got->last_quote_result, R"({"decision":"accept"})");
  EXPECT_EQ(got->trusted_until, T0() + seconds(3600));
  EXPECT_EQ(got->updated_at, T0() + seconds(5));
  EXPECT_EQ(got->created_at, T0());
  EXPECT_EQ(got->last_good_quote, T0() + seconds(5));
  EXPECT_EQ(got->tees, (std::vector<std::string>{"snp", "tdx"}));
  EXPECT_EQ(got->libvirt_uri, "qemu:///system");
  // A failed quote ends the trust but keeps when the last good one was.
  ASSERT_TRUE(
      store_
          ->UpdateHostState(a_, h->id, HostState::kUntrusted, "{}", std::nullopt, T0() + seconds(9))
          .ok());
  got = store_->GetHost(a_, h->id);
  EXPECT_FALSE(got->trusted_until.has_value());
  EXPECT_EQ(got->last_good_quote, T0() + seconds(5));

  // The release path and placement read hosts of any owner.
  auto looked_up = store_->LookupHost(h->id);
  ASSERT_TRUE(looked_up.ok());
  EXPECT_EQ(looked_up->tenant_id, a_);
  EXPECT_EQ(store_->LookupHost("h-none").status().reason_id(), "store.not_found");
  auto other = store_->RegisterHost(b_, {ek, {}, ak, "hp", ""}, T0());
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(other->tees.empty());
  auto all = store_->ListAllHosts();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(store_->ListHosts(a_)->size(), 1u);
  for (const std::vector<std::string>& bad :
       {std::vector<std::string>{""}, std::vector<std::string>{"snp,tdx"}}) {
    EXPECT_EQ(store_->RegisterHost(a_, {ek, {}, ak, "hp", "", bad}, T0()).status().reason_id(),
              "store.invalid_argument");
  }
  EXPECT_EQ(store_->RegisterHost(a_, {{}, {}, ak, "hp", ""}, T0()).status().reason_id(),
            "store.invalid_argument");
  auto no_cert = store_->RegisterHost(a_, {ek, {}, ak, "hp", ""}, T0());
  ASSERT_TRUE(no_cert.ok());
  EXPECT_TRUE(store_->GetHost(a_, no_cert->id)->ek_cert.empty());
}

HostQuoteWrite QuoteWrite(const std::string& tenant, const std::string& host,
                          const std::string& nonce, const std::string& state) {
  HostQuoteWrite w;
  w.nonce = nonce;
  w.state = ParseHostState(state).value();
  w.last_quote_result = R"({"state":")" + state + R"("})";
  if (state == "trusted") {
    w.trusted_until = T0() + seconds(600);
  }
  w.audit = AuditRecord{
      tenant, T0() + seconds(1),    "AKIAEXAMPLE", "host.quote",
      host,   std::string(64, 'e'), "hp@1",        state == "trusted" ? "accepted" : "rejected",
      ""};
  return w;
}

TEST_P(StoreTest, HostQuoteWritesAllOrNothing) {
  const Bytes ek = {0x30, 0x82, 0x01}, ak = {0x30, 0x59, 0x00};
  const std::string host = store_->RegisterHost(a_, {ek, {}, ak, "hp", ""}, T0()).value().id;
  const std::string b_host = store_->RegisterHost(b_, {ek, {}, ak, "hp", ""}, T0()).value().id;
  ASSERT_TRUE(store_->AppendAudit(Record(a_, 0)).ok());  // an entry before, to chain onto
  auto raw = Raw();
  ASSERT_NE(raw, nullptr);
  auto issue = [&](const std::string& tenant, const std::string& subject) {
    return store_->IssueNonce(tenant, subject, seconds(60), T0()).value().value;
  };
  struct Case {
    std::string name;
    std::string target;  // the host written
    std::string nonce_tenant, nonce_subject;
    bool spend_first = false;  // the nonce was already consumed
    int64_t at_seconds = 1;    // T0 + this: 61 is past the nonce's expiry
    bool break_audit = false;  // the audit head is gone: the append fails
    std::string want;
    bool nonce_survives;  // the nonce is still unspent afterwards (checked at T0)
  };
  const Case cases[] = {
      {"nonce already used", host, a_, host, true, 1, false, "store.nonce_rejected", false},
      // Refused at T0+61, still unspent (valid) at T0: the refusal consumed nothing.
      {"nonce expired", host, a_, host, false, 61, false, "store.nonce_rejected", true},
      {"nonce of another subject", host, a_, "h-other", false, 1, false, "store.nonce_rejected",
       true},
      {"nonce of another tenant", host, b_, host, false, 1, false, "store.nonce_rejected", true},
      // The nonce matches, then the host update finds no row: the consume is rolled back.
      {"host of another tenant", b_host, a_, b_host, false, 1, false, "store.not_found", true},
      {"unknown host", "h-0000000000000000", a_, "h-0000000000000000", false, 1, false,
       "store.not_found", true},
      // Nonce and host updates succeed, then the append fails: both are rolled back.
      {"audit append fails", host, a_, host, false, 1, true, "store.database_error", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string nonce = issue(c.nonce_tenant, c.nonce_subject);
    if (c.spend_first) {
      ASSERT_TRUE(store_->ConsumeNonce(c.nonce_tenant, c.nonce_subject, nonce, T0()).ok());
    }
    std::optional<SqlRow> saved_head;
    if (c.break_audit) {
      auto head = raw->Exec("SELECT seq, hash FROM audit_head WHERE id = 1");
      ASSERT_TRUE(head.ok() && head->size() == 1);
      saved_head = (*head)[0];
      ASSERT_TRUE(raw->Exec("DELETE FROM audit_head WHERE id = 1").ok());
    }
    const int64_t entries_before = AuditHeadSeq(raw.get());
    const Host before = store_->GetHost(a_, host).value();
    const TimePoint at = T0() + seconds(c.at_seconds);
    auto r = store_->RecordHostQuote(a_, c.target, QuoteWrite(a_, c.target, nonce, "trusted"), at);
    EXPECT_EQ(r.status().reason_id(), c.want);
    if (saved_head) {
      ASSERT_TRUE(raw->Exec("INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)",
                            {std::stoll(*(*saved_head)[0]), *(*saved_head)[1]})
                      .ok());
    }
    // Nothing was written: no log entry, the host as it was, the nonce as it was.
    EXPECT_EQ(AuditHeadSeq(raw.get()), saved_head ? std::stoll(*(*saved_head)[0]) : entries_before);
    const Host after = store_->GetHost(a_, host).value();
    EXPECT_EQ(after.state, before.state);
    EXPECT_EQ(after.last_quote_result, before.last_quote_result);
    EXPECT_EQ(after.updated_at, before.updated_at);
    EXPECT_STREQ(HostStateName(store_->GetHost(b_, b_host)->state), "registered");
    EXPECT_EQ(store_->CheckNonce(c.nonce_tenant, c.nonce_subject, nonce, T0()).ok(),
              c.nonce_survives);
  }
  EXPECT_FALSE(store_->VerifyAudit()->has_value());

  // The good case: all three, the entry chained onto the log.
  const int64_t entries_before = AuditHeadSeq(raw.get());
  const std::string nonce = issue(a_, host);
  auto e =
      store_->RecordHostQuote(a_, host, QuoteWrite(a_, host, nonce, "trusted"), T0() + seconds(2));
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->seq, entries_before + 1);
  EXPECT_EQ(e->record.action, "host.quote");
  EXPECT_EQ(e->record.outcome, "accepted");
  const Host got = store_->GetHost(a_, host).value();
  EXPECT_STREQ(HostStateName(got.state), "trusted");
  EXPECT_EQ(got.last_quote_result, R"({"state":"trusted"})");
  EXPECT_EQ(got.trusted_until, T0() + seconds(600));
  EXPECT_EQ(got.updated_at, T0() + seconds(2));
  EXPECT_EQ(store_->CheckNonce(a_, host, nonce, T0()).reason_id(), "store.nonce_rejected");
  auto listed = store_->ListAudit(a_, entries_before, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].record.subject, host);
  EXPECT_EQ((*listed)[0].record.evidence_digest, std::string(64, 'e'));
  EXPECT_FALSE(store_->VerifyAudit()->has_value());
  // Replayed: refused, and the trusted state stays (the replay's "untrusted" is not written).
  EXPECT_EQ(
      store_->RecordHostQuote(a_, host, QuoteWrite(a_, host, nonce, "untrusted"), T0() + seconds(3))
          .status()
          .reason_id(),
      "store.nonce_rejected");
  EXPECT_STREQ(HostStateName(store_->GetHost(a_, host)->state), "trusted");
  EXPECT_EQ(AuditHeadSeq(raw.get()), entries_before + 1);
}

TEST_P(StoreTest, RacingQuoteSubmissionsHaveOneWinnerAndOneChain) {
  const Bytes ek = {0x30, 0x82, 0x01}, ak = {0x30, 0x59, 0x00};
  const std::string host = store_->RegisterHost(a_, {ek, {}, ak, "hp", ""}, T0()).value().id;
  auto one = Open(Sealer());
  auto two = Open(Sealer());
  auto three = Open(Sealer());
  ASSERT_TRUE(one.ok() && two.ok() && three.ok());
  constexpr int kRounds = 40;
  std::vector<std::string> nonces;
  nonces.reserve(kRounds);
  for (int i = 0; i < kRounds; ++i) {
    nonces.push_back(store_->IssueNonce(a_, host, seconds(60), T0()).value().value);
  }
  // A third connection appends other entries meanwhile: the chain must stay one chain.
  std::atomic<int> errors{0};
  std::atomic<bool> done{false};
  std::thread other([&] {
    for (int i = 0; !done; ++i) {
      if (!(*three)->AppendAudit(Record(b_, i)).ok()) {
        ++errors;
      }
    }
  });
  Store* racers[2] = {one->get(), two->get()};
  const char* states[2] = {"trusted", "untrusted"};
  const RaceOutcome race =
      RaceTwoConnections(kRounds, "store.nonce_rejected", [&](int racer, int round) {
        return racers[racer]
            ->RecordHostQuote(a_, host, QuoteWrite(a_, host, nonces[round], states[racer]), T0())
            .status();
      });
  done = true;
  other.join();
  EXPECT_EQ(errors.load() + race.errors, 0);
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_EQ(race.wins[i], 1) << "round " << i;
  }
  // Exactly one entry per nonce, and the log verifies.
  EXPECT_EQ(store_->ListAudit(a_, 0, 1000)->size(), static_cast<size_t>(kRounds));
  auto verdict = store_->VerifyAudit();
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->has_value());
}

}  // namespace
}  // namespace attest::service::store

namespace attest::service::store {
namespace {

TEST_P(StoreTest, HostPlatformIsStoredAndAChangeLatched) {
  const Bytes ek = {0x30, 0x82, 0x01}, ak = {0x30, 0x59, 0x00};
  HostRegistration reg{ek, {}, ak, "hp", ""};
  reg.platform = R"({"snp_chip_ids":[],"tdx":null,"v":1})";
  const std::string host = store_->RegisterHost(a_, reg, T0()).value().id;
  Webhook hook;
  hook.name = "platform";
  hook.url = "https://hooks.example/platform";
  hook.events = {"host.platform_changed"};
  hook.secret = "0123456789abcdef0123";
  ASSERT_TRUE(store_->PutWebhook(a_, hook, T0()).ok());
  Host got = store_->GetHost(a_, host).value();
  EXPECT_EQ(got.platform, reg.platform);
  EXPECT_FALSE(got.platform_changed_at.has_value());

  // A quote with another document latches the first time it happened, across later quotes,
  // in the same transaction as the nonce and the state.
  for (int i = 1; i <= 2; ++i) {
    SCOPED_TRACE(i);
    const std::string nonce = store_->IssueNonce(a_, host, seconds(60), T0()).value().value;
    HostQuoteWrite w = QuoteWrite(a_, host, nonce, "untrusted");
    w.platform_changed = true;
    ASSERT_TRUE(store_->RecordHostQuote(a_, host, w, T0() + seconds(i)).ok());
    got = store_->GetHost(a_, host).value();
    EXPECT_EQ(got.platform_changed_at, T0() + seconds(1));
    EXPECT_EQ(got.platform, reg.platform);  // the stored document is never replaced by a quote
  }
  // One host.platform_changed event, raised with the latch (not again on the later quote).
  auto deliveries = store_->ListDeliveries(a_, "platform", 10);
  ASSERT_TRUE(deliveries.ok());
  ASSERT_EQ(deliveries->size(), 1u);
  EXPECT_EQ((*deliveries)[0].event_type, "host.platform_changed");
  EXPECT_NE((*deliveries)[0].body.find(host), std::string::npos);
  // A write that loses its nonce does not latch.
  const std::string other = store_->RegisterHost(a_, reg, T0()).value().id;
  HostQuoteWrite lost = QuoteWrite(a_, other, "00", "untrusted");
  lost.platform_changed = true;
  EXPECT_FALSE(store_->RecordHostQuote(a_, other, lost, T0()).ok());
  EXPECT_FALSE(store_->GetHost(a_, other)->platform_changed_at.has_value());
}

}  // namespace
}  // namespace attest::service::store
