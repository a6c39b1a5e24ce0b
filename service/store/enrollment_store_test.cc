// EnrollmentStore: one-time tokens, activation into a host credential, revocation.
#include "service/store/enrollment_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

const std::string kToken = std::string(64, 'e');
constexpr char kKey[] = "host-secret-key-0123456789abcdefghijklmno";

AuditRecord Audit(const std::string& action) {
  AuditRecord r;
  r.actor = "test";
  r.action = action;
  r.outcome = "ok";
  return r;
}

HostEnrollment Enroll(Store& store, const std::string& tenant, const std::string& token,
                      TimePoint expires) {
  NewHostEnrollment n{token, "hp", {"snp", "tdx"}, "qemu+tls://h1/system", expires};
  auto e = store.CreateEnrollment(tenant, n, Audit("host.enrollment.create"), T0());
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? *e : HostEnrollment{};
}

HostRedemption Redemption(const std::string& token, Bytes ek = {0x30, 1}) {
  HostRedemption r;
  r.token_sha256 = token;
  r.host_id = NewHostId();
  r.ek_public = std::move(ek);
  r.ak_public = {0x30, 2};
  r.activation_sha256 = std::string(64, 'a');
  r.secret_access_key = kKey;
  return r;
}

Result<Host> Redeem(Store& store, const HostRedemption& r, TimePoint at) {
  return store.RedeemEnrollment(r, Audit("host.enroll"), at);
}

TEST_P(StoreTest, EnrollmentARedeemedTokenMakesARegisteredHostWithTheEnrollmentsSettings) {
  const HostEnrollment e = Enroll(*store_, a_, kToken, T0() + seconds(600));
  EXPECT_EQ(e.id.rfind("en-", 0), 0u);
  const HostRedemption r = Redemption(kToken);
  auto host = Redeem(*store_, r, T0() + seconds(10));
  ASSERT_TRUE(host.ok()) << host.status().ToString();
  EXPECT_EQ(host->id, r.host_id);
  EXPECT_EQ(host->tenant_id, a_);
  EXPECT_EQ(host->state, HostState::kRegistered);
  EXPECT_EQ(host->host_policy, "hp");
  EXPECT_EQ(host->tees, (std::vector<std::string>{"snp", "tdx"}));
  EXPECT_EQ(host->libvirt_uri, "qemu+tls://h1/system");
  EXPECT_EQ(store_->GetHost(a_, r.host_id)->activation_deadline, T0() + seconds(600));
  auto found = store_->FindEnrollment(kToken);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->host_id, r.host_id);
  EXPECT_EQ(found->used_at, T0() + seconds(10));
  // The pending key opens only for this host, and no credential exists yet.
  EXPECT_EQ(store_->PendingSecretKey(r.host_id, T0() + seconds(20)).value(), kKey);
  EXPECT_EQ(store_->GetHost(b_, r.host_id).status().reason_id(), "store.not_found");
}

TEST_P(StoreTest, EnrollmentTokensAreSingleUseUnexpiredAndKnown) {
  Enroll(*store_, a_, kToken, T0() + seconds(600));
  ASSERT_TRUE(Redeem(*store_, Redemption(kToken), T0()).ok());
  EXPECT_EQ(Redeem(*store_, Redemption(kToken, {0x30, 9}), T0()).status().reason_id(),
            "store.enrollment_token_used");

  const std::string late = std::string(64, 'f');
  Enroll(*store_, a_, late, T0() + seconds(60));
  EXPECT_EQ(Redeem(*store_, Redemption(late), T0() + seconds(60)).status().reason_id(),
            "store.enrollment_token_expired");
  EXPECT_EQ(Redeem(*store_, Redemption(std::string(64, '0')), T0()).status().reason_id(),
            "store.enrollment_token_invalid");
  // A refused redemption writes nothing: the expired token is still unused.
  EXPECT_FALSE(store_->FindEnrollment(late)->used_at.has_value());
}

TEST_P(StoreTest, EnrollmentAnEkEnrolledToALiveHostIsRefusedUntilThatHostIsRevoked) {
  Enroll(*store_, a_, kToken, T0() + seconds(600));
  auto first = Redeem(*store_, Redemption(kToken), T0());
  ASSERT_TRUE(first.ok());
  const std::string again = std::string(64, 'b');
  Enroll(*store_, a_, again, T0() + seconds(600));
  EXPECT_EQ(Redeem(*store_, Redemption(again), T0()).status().reason_id(), "store.already_exists");
  // The refusal rolled back the token's use: it still works once the old host is gone.
  ASSERT_TRUE(store_->RevokeHost(a_, first->id, Audit("host.delete"), T0()).ok());
  EXPECT_TRUE(Redeem(*store_, Redemption(again), T0()).ok());
}

TEST_P(StoreTest, EnrollmentActivationTurnsThePendingKeyIntoTheHostsOwnCredential) {
  Enroll(*store_, a_, kToken, T0() + seconds(600));
  const HostRedemption r = Redemption(kToken);
  ASSERT_TRUE(Redeem(*store_, r, T0()).ok());
  auto cred = store_->ActivateHost(r.host_id, Audit("host.activate"), T0() + seconds(5));
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  EXPECT_EQ(cred->access_key_id.rfind("AKIH", 0), 0u);
  EXPECT_EQ(cred->host_id, r.host_id);
  EXPECT_EQ(cred->tenant_id, a_);
  auto looked_up = store_->LookupCredential(cred->access_key_id);
  ASSERT_TRUE(looked_up.ok());
  EXPECT_EQ(looked_up->secret_access_key, kKey);
  EXPECT_EQ(looked_up->host_id, r.host_id);
  EXPECT_EQ(store_->GetHost(a_, r.host_id)->state, HostState::kActivated);
  // Once only: the pending key is gone.
  EXPECT_EQ(store_->PendingSecretKey(r.host_id, T0() + seconds(6)).status().reason_id(),
            "store.not_found");
  EXPECT_EQ(store_->ActivateHost(r.host_id, Audit("host.activate"), T0() + seconds(6))
                .status()
                .reason_id(),
            "store.not_found");
}

TEST_P(StoreTest, EnrollmentActivationAfterTheDeadlineIsRefused) {
  Enroll(*store_, a_, kToken, T0() + seconds(60));
  const HostRedemption r = Redemption(kToken);
  ASSERT_TRUE(Redeem(*store_, r, T0()).ok());
  EXPECT_EQ(store_->ActivateHost(r.host_id, Audit("host.activate"), T0() + seconds(60))
                .status()
                .reason_id(),
            "store.not_found");
}

TEST_P(StoreTest, EnrollmentRevocationRemovesTheCredentialMarksTheVmsAndKeepsTheRecord) {
  Enroll(*store_, a_, kToken, T0() + seconds(600));
  const HostRedemption r = Redemption(kToken);
  ASSERT_TRUE(Redeem(*store_, r, T0()).ok());
  auto cred = store_->ActivateHost(r.host_id, Audit("host.activate"), T0());
  ASSERT_TRUE(cred.ok());
  ASSERT_TRUE(
      store_->UpdateHostState(a_, r.host_id, HostState::kTrusted, "{}", T0() + seconds(600), T0())
          .ok());
  Vm vm = MakeVm("vm-1", {});
  vm.host_id = r.host_id;
  ASSERT_TRUE(store_->CreateVm(b_, vm, T0()).ok());

  Webhook hook;
  hook.name = "ops";
  hook.url = "https://hooks.example/ops";
  hook.events = {"host.revoked"};
  hook.secret = "0123456789abcdef0123";
  ASSERT_TRUE(store_->PutWebhook(a_, hook, T0()).ok());
  EXPECT_EQ(store_->RevokeHost(b_, r.host_id, Audit("host.delete"), T0()).reason_id(),
            "store.not_found");
  ASSERT_TRUE(store_->RevokeHost(a_, r.host_id, Audit("host.delete"), T0() + seconds(3)).ok());
  EXPECT_EQ(store_->LookupCredential(cred->access_key_id).status().reason_id(), "store.not_found");
  auto host = store_->GetHost(a_, r.host_id);
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->state, HostState::kRevoked);
  EXPECT_EQ(host->revoked_at, T0() + seconds(3));
  EXPECT_FALSE(host->TrustedAt(T0() + seconds(4)));
  EXPECT_EQ(store_->GetVm(b_, "vm-1")->host_untrusted_at, T0() + seconds(3));
  // The revocation raised host.revoked in its own transaction.
  auto deliveries = store_->ListDeliveries(a_, "ops", 10);
  ASSERT_TRUE(deliveries.ok());
  ASSERT_EQ(deliveries->size(), 1u);
  EXPECT_EQ((*deliveries)[0].event_type, "host.revoked");
  // A revoked host's state never changes again, and it cannot be revoked twice.
  EXPECT_EQ(store_
                ->UpdateHostState(a_, r.host_id, HostState::kTrusted, "{}", T0() + seconds(600),
                                  T0() + seconds(5))
                .reason_id(),
            "store.not_found");
  EXPECT_EQ(store_->RevokeHost(a_, r.host_id, Audit("host.delete"), T0()).reason_id(),
            "store.not_found");
  // Every step is in the audit chain.
  auto audit = store_->ListAudit(a_, 0, 100);
  ASSERT_TRUE(audit.ok());
  std::vector<std::string> actions;
  for (const AuditEntry& entry : *audit) {
    actions.push_back(entry.record.action);
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"host.enrollment.create", "host.enroll",
                                               "host.activate", "host.delete"}));
}

TEST_P(StoreTest, EnrollmentTwoRedemptionsOfOneTokenRacingGiveOneHost) {
  if (GetParam() != Dialect::kPostgres) {
    GTEST_SKIP() << "one SQLite connection per test: the race needs two connections";
  }
  Enroll(*store_, a_, kToken, T0() + seconds(600));
  auto second = Open(Sealer());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  std::atomic<int> won{0};
  std::thread other([&] {
    if ((*second)
            ->RedeemEnrollment(Redemption(kToken, {0x30, 7}), Audit("host.enroll"), T0())
            .ok()) {
      ++won;
    }
  });
  if (Redeem(*store_, Redemption(kToken, {0x30, 8}), T0()).ok()) {
    ++won;
  }
  other.join();
  EXPECT_EQ(won.load(), 1);
}

}  // namespace
}  // namespace attest::service::store
