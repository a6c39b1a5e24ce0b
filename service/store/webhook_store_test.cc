// WebhookStore: webhooks, events raised in the writer's transaction, and the outbox's leases.
#include <gtest/gtest.h>

#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

Webhook Hook(const std::string& name, std::vector<std::string> events,
             const std::string& secret = "0123456789abcdef0123") {
  Webhook w;
  w.name = name;
  w.url = "https://hooks.example/" + name;
  w.events = std::move(events);
  w.secret = secret;
  return w;
}

WebhookEvent HostEvent(std::string_view type, const std::string& tenant) {
  return {std::string(type), tenant, "h-1", R"({"host_id":"h-1"})"};
}

TEST_P(StoreTest, WebhooksAreTheCallersAndTheirSecretIsWriteOnly) {
  auto put = store_->PutWebhook(a_, Hook("ops", {"host.trusted", "host.untrusted"}), T0());
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  EXPECT_TRUE(put->secret.empty());
  auto got = store_->GetWebhook(a_, "ops");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->url, "https://hooks.example/ops");
  EXPECT_EQ(got->events, (std::vector<std::string>{"host.trusted", "host.untrusted"}));
  EXPECT_TRUE(got->secret.empty());
  EXPECT_EQ(store_->GetWebhook(b_, "ops").status().reason_id(), "store.not_found");
  EXPECT_TRUE(store_->ListWebhooks(b_)->empty());
  EXPECT_EQ(store_->LookupWebhookForDelivery(a_, "ops")->secret, "0123456789abcdef0123");

  // Replacing keeps created_at and takes the new secret.
  Webhook again = Hook("ops", {"host.revoked"}, "another-secret-of-length");
  again.url = "https://hooks.example/v2";
  auto replaced = store_->PutWebhook(a_, again, T0() + seconds(5));
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->created_at, T0());
  EXPECT_EQ(replaced->updated_at, T0() + seconds(5));
  EXPECT_EQ(store_->LookupWebhookForDelivery(a_, "ops")->secret, "another-secret-of-length");
  EXPECT_EQ(store_->ListWebhooks(a_)->size(), 1u);

  // The sealed secret is bound to its row: moved to another webhook's row it does not open.
  ASSERT_TRUE(store_->PutWebhook(a_, Hook("other", {"host.trusted"}), T0()).ok());
  auto raw = Raw();
  ASSERT_TRUE(raw->Exec("UPDATE webhooks SET sealed_secret = (SELECT sealed_secret FROM webhooks "
                        "WHERE name = 'ops') WHERE name = 'other'")
                  .ok());
  EXPECT_EQ(store_->LookupWebhookForDelivery(a_, "other").status().reason_id(),
            "store.secret_unseal_failed");

  const struct {
    std::string name;
    Webhook hook;
    std::string want;
  } bad[] = {
      {"no events", Hook("x", {}), "store.invalid_argument"},
      {"unknown event", Hook("x", {"host.exploded"}), "store.invalid_argument"},
      {"no secret", Hook("x", {"host.trusted"}, ""), "store.invalid_argument"},
      {"no name", Hook("", {"host.trusted"}), "store.invalid_argument"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->PutWebhook(a_, c.hook, T0()).status().reason_id(), c.want);
  }
  EXPECT_EQ(store_->DeleteWebhook(b_, "ops").reason_id(), "store.not_found");
  EXPECT_TRUE(store_->DeleteWebhook(a_, "ops").ok());
  EXPECT_EQ(store_->DeleteWebhook(a_, "ops").reason_id(), "store.not_found");
}

TEST_P(StoreTest, AnEventReachesOnlyTheTenantsSubscribedWebhooks) {
  ASSERT_TRUE(store_->PutWebhook(a_, Hook("both", {"host.trusted", "host.revoked"}), T0()).ok());
  ASSERT_TRUE(store_->PutWebhook(a_, Hook("revoked", {"host.revoked"}), T0()).ok());
  // A name that holds another's as a prefix must not match it ("host.trusted" in a list).
  ASSERT_TRUE(store_->PutWebhook(a_, Hook("untrusted", {"host.untrusted"}), T0()).ok());
  ASSERT_TRUE(store_->PutWebhook(b_, Hook("b", {"host.revoked"}), T0()).ok());

  EXPECT_EQ(*store_->RaiseEvent(HostEvent(kEventHostRevoked, a_), T0()), 2);
  EXPECT_EQ(*store_->RaiseEvent(HostEvent(kEventHostTrusted, a_), T0()), 1);
  EXPECT_EQ(*store_->RaiseEvent(HostEvent(kEventHostPlatformChanged, a_), T0()), 0);
  EXPECT_EQ(*store_->RaiseEvent(HostEvent(kEventHostRevoked, b_), T0()), 1);

  const struct {
    std::string name;
    WebhookEvent event;
    std::string want;
  } bad[] = {
      {"unknown type", {"host.gone", a_, "h-1", ""}, "store.invalid_argument"},
      {"data not an object", {"host.revoked", a_, "h-1", "[1]"}, "store.invalid_argument"},
      {"data not JSON", {"host.revoked", a_, "h-1", "{"}, "store.invalid_argument"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->RaiseEvent(c.event, T0()).status().reason_id(), c.want);
  }

  auto revoked = store_->ListDeliveries(a_, "revoked", 10);
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  ASSERT_EQ(revoked->size(), 1u);
  const OutboxDelivery& d = (*revoked)[0];
  EXPECT_EQ(d.event_type, "host.revoked");
  EXPECT_EQ(d.attempts, 0);
  auto body = nlohmann::json::parse(d.body);
  EXPECT_EQ(body["type"], "host.revoked");
  EXPECT_EQ(body["subject"], "h-1");
  EXPECT_EQ(body["data"]["host_id"], "h-1");
  EXPECT_EQ(body["created_at"], "2025-11-25T08:00:00Z");
  EXPECT_EQ(body["id"], d.event_id);
  // One event, one event id, two deliveries with their own ids.
  auto both = store_->ListDeliveries(a_, "both", 10);
  ASSERT_EQ(both->size(), 2u);
  EXPECT_TRUE((*both)[0].event_id == d.event_id || (*both)[1].event_id == d.event_id);
  EXPECT_NE((*both)[0].id, d.id);
  EXPECT_TRUE(store_->ListDeliveries(b_, "revoked", 10)->empty());
  EXPECT_EQ(store_->CountOutbox()->pending, 4);
}

TEST_P(StoreTest, AFailedWriteRaisesNoEvent) {
  ASSERT_TRUE(store_->PutWebhook(a_, Hook("ops", {"host.untrusted"}), T0()).ok());
  // Another tenant's host: the update finds nothing, the transaction rolls back, no row.
  auto h = store_->RegisterHost(a_, {{1}, {}, {2}, "hp", ""}, T0());
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(store_->UpdateHostState(b_, h->id, HostState::kUntrusted, "{}", std::nullopt, T0())
                .reason_id(),
            "store.not_found");
  EXPECT_EQ(store_->CountOutbox()->pending, 0);
}

TEST_P(StoreTest, TrustTransitionsRaiseHostAndVmEvents) {
  ASSERT_TRUE(store_->PutWebhook(a_, Hook("ops", {"host.trusted", "host.untrusted"}), T0()).ok());
  ASSERT_TRUE(store_->PutWebhook(b_, Hook("vms", {"vm.host_untrusted"}), T0()).ok());
  auto h = store_->RegisterHost(a_, {{1}, {}, {2}, "hp", ""}, T0());
  ASSERT_TRUE(h.ok());
  Vm vm = MakeVm("vm-b", {});
  vm.host_id = h->id;
  ASSERT_TRUE(store_->CreateVm(b_, vm, T0()).ok()) << "VM of tenant b on a's host";

  const struct {
    std::string name;
    HostState state;
    int at_seconds;
    int want_ops, want_vms;  // outbox rows after the step, per webhook
  } steps[] = {
      {"registered -> trusted", HostState::kTrusted, 0, 1, 0},
      {"renewed while trusted", HostState::kTrusted, 30, 1, 0},
      {"trusted -> untrusted marks the VM", HostState::kUntrusted, 40, 2, 1},
      {"untrusted again: nothing new", HostState::kUntrusted, 50, 2, 1},
      {"trusted again", HostState::kTrusted, 60, 3, 1},
      {"lapsed, then trusted again", HostState::kTrusted, 60 + 200, 4, 1},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(s.name);
    const TimePoint at = T0() + seconds(s.at_seconds);
    ASSERT_TRUE(store_
                    ->UpdateHostState(a_, h->id, s.state, "{}",
                                      s.state == HostState::kTrusted
                                          ? std::optional<TimePoint>(at + seconds(100))
                                          : std::nullopt,
                                      at)
                    .ok());
    EXPECT_EQ(store_->ListDeliveries(a_, "ops", 10)->size(), static_cast<size_t>(s.want_ops));
    EXPECT_EQ(store_->ListDeliveries(b_, "vms", 10)->size(), static_cast<size_t>(s.want_vms));
  }
  auto vms = store_->ListDeliveries(b_, "vms", 10);
  auto body = nlohmann::json::parse((*vms)[0].body);
  EXPECT_EQ(body["type"], "vm.host_untrusted");
  EXPECT_EQ(body["data"]["vm_id"], "vm-b");
  EXPECT_EQ(body["data"]["host_id"], h->id);
  auto ops = store_->ListDeliveries(a_, "ops", 10);
  EXPECT_EQ(nlohmann::json::parse((*ops)[1].body)["type"], "host.trusted");  // newest first
  EXPECT_EQ(nlohmann::json::parse((*ops)[2].body)["type"], "host.untrusted");
  EXPECT_EQ(nlohmann::json::parse((*ops)[2].body)["data"]["previous_state"], "trusted");
}

TEST_P(StoreTest, ClaimLeasesRetriesAndGivesUp) {
  ASSERT_TRUE(store_->PutWebhook(a_, Hook("ops", {"host.revoked"}), T0()).ok());
  ASSERT_EQ(*store_->RaiseEvent(HostEvent(kEventHostRevoked, a_), T0()), 1);
  auto claim = [&](const std::string& owner, int at) {
    auto r = store_->ClaimDeliveries(owner, T0() + seconds(at), seconds(30), 10);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<OutboxDelivery>{};
  };

  auto first = claim("r1", 0);
  ASSERT_EQ(first.size(), 1u);
  const std::string id = first[0].id;
  EXPECT_EQ(first[0].attempts, 1);
  EXPECT_EQ(first[0].lease_owner, "r1");
  EXPECT_TRUE(claim("r2", 29).empty()) << "leased to r1 until +30";

  // A retry is due at its time, not before.
  ASSERT_TRUE(store_->MarkAttemptFailed(id, "r1", "http 503", T0() + seconds(40), T0()).ok());
  EXPECT_TRUE(claim("r2", 39).empty());
  auto second = claim("r2", 40);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].attempts, 2);
  EXPECT_EQ(second[0].last_error, "http 503");

  // r2 is killed mid-delivery: its lease lapses and r3 claims the row again.
  EXPECT_TRUE(claim("r3", 69).empty());
  auto third = claim("r3", 70);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].attempts, 3);
  // r2's late answer does not touch r3's lease.
  EXPECT_EQ(
      store_->MarkAttemptFailed(id, "r2", "late", std::nullopt, T0() + seconds(71)).reason_id(),
      "store.not_found");

  // r3 gives up: failed for good, never claimed again.
  ASSERT_TRUE(
      store_->MarkAttemptFailed(id, "r3", "timeout", std::nullopt, T0() + seconds(72)).ok());
  EXPECT_TRUE(claim("r4", 10000).empty());
  auto row = store_->GetDelivery(id);
  ASSERT_TRUE(row.ok());
  EXPECT_EQ(row->failed_at, T0() + seconds(72));
  EXPECT_FALSE(row->delivered_at.has_value());
  EXPECT_EQ(row->last_error, "timeout");
  EXPECT_EQ(store_->MarkDelivered(id, T0()).reason_id(), "store.not_found");
  auto counts = store_->CountOutbox();
  EXPECT_EQ(counts->pending, 0);
  EXPECT_EQ(counts->failed, 1);

  // A delivered row is done.
  ASSERT_EQ(*store_->RaiseEvent(HostEvent(kEventHostRevoked, a_), T0()), 1);
  auto fresh = claim("r1", 100);
  ASSERT_EQ(fresh.size(), 1u);
  ASSERT_TRUE(store_->MarkDelivered(fresh[0].id, T0() + seconds(101)).ok());
  EXPECT_TRUE(claim("r1", 10000).empty());
  counts = store_->CountOutbox();
  EXPECT_EQ(counts->delivered, 1);
  EXPECT_EQ(counts->failed, 1);
  EXPECT_EQ(counts->pending, 0);

  const struct {
    std::string name;
    std::string owner;
    int lease, limit;
  } bad[] = {{"no owner", "", 30, 1}, {"no lease", "r", 0, 1}, {"no limit", "r", 30, 0}};
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(
        store_->ClaimDeliveries(c.owner, T0(), seconds(c.lease), c.limit).status().reason_id(),
        "store.invalid_argument");
  }
}

TEST_P(StoreTest, TwoClaimersNeverGetTheSameRow) {
  ASSERT_TRUE(store_->PutWebhook(a_, Hook("ops", {"host.revoked"}), T0()).ok());
  constexpr int kRows = 60;
  for (int i = 0; i < kRows; ++i) {
    ASSERT_TRUE(store_->RaiseEvent(HostEvent(kEventHostRevoked, a_), T0()).ok());
  }
  std::mutex mu;
  std::multiset<std::string> seen;
  auto claimer = [&](const std::string& owner) {
    auto db = Open(Sealer());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    for (;;) {
      auto got = (*db)->ClaimDeliveries(owner, T0(), seconds(300), 3);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      if (got->empty()) {
        return;
      }
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& d : *got) {
        seen.insert(d.id);
      }
    }
  };
  std::thread one(claimer, "r1");
  std::thread two(claimer, "r2");
  one.join();
  two.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kRows));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), static_cast<size_t>(kRows))
      << "a row was claimed twice";
}

}  // namespace
}  // namespace attest::service::store
