// KekRotationStore: batches re-wrap every kind of sealed row from a previous KEK to the current
// one, a stop between batches resumes, nothing half-written, retirement only when no row needs
// the KEK.
#include "service/store/kek_rotation_store.h"

#include <gtest/gtest.h>

#include <map>

#include "service/keys/key_ring.h"
#include "service/keys/local_kek.h"
#include "service/keys/volume.h"
#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

std::shared_ptr<const keys::KeyEncryptionKey> Kek(uint8_t fill) {
  return keys::LocalKeyFileKek::FromKey(Bytes(32, fill)).value();
}

// Ring: current KEK `current` (fills), with the previous ones.
std::shared_ptr<const keys::KeyRing> Ring(uint8_t current, const std::vector<uint8_t>& previous) {
  std::vector<std::shared_ptr<const keys::KeyEncryptionKey>> keks;
  keks.reserve(previous.size());
  for (uint8_t fill : previous) {
    keks.push_back(Kek(fill));
  }
  return keys::KeyRing::Make(Kek(current), std::move(keks)).value();
}

std::shared_ptr<const SecretSealer> SealerOf(std::shared_ptr<const keys::KeyEncryptionKey> kek) {
  return std::make_shared<const SecretSealer>(std::move(kek));
}

AuditRecord Progress(const std::string& tenant) {
  AuditRecord r;
  r.tenant_id = tenant;
  r.at = T0();
  r.actor = "system";
  r.action = "kek.rotate";
  r.outcome = "progress";
  return r;
}

// Sealed: what the test sealed under the old KEK, to compare after rotation.
struct Sealed {
  std::map<std::string, std::string> credentials;  // access key id -> secret
  std::map<std::string, Bytes> volume_keys;        // volume id -> key
  std::map<std::string, std::string> webhooks;     // name -> secret (tenant a_)
  std::string pending_host;                        // host id with a pending secret
};

constexpr char kPendingKey[] = "host-pending-secret-0123456789abcdefghij";

// Fill writes every kind of sealed row through store (sealing under its KEK): 3 credentials,
// 4 volumes (one then deleted: shredded, nothing to re-wrap), 2 webhooks, 1 pending host secret.
void Fill(Store& store, const keys::KeyEncryptionKey& kek, const std::string& tenant, Sealed* out) {
  for (int i = 0; i < 3; ++i) {
    auto c = store.CreateCredential(tenant, T0());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    out->credentials[c->access_key_id] = c->secret_access_key;
  }
  for (int i = 0; i < 4; ++i) {
    Volume v = MakeVolume("vol-" + std::to_string(i));
    v.tenant_id = tenant;
    const Bytes key = keys::NewVolumeKey();
    v.kek_id = kek.key_id();
    v.wrapped_key = keys::WrapVolumeKey(kek, v.id, key).value();
    ASSERT_TRUE(store.CreateVolume(tenant, v, T0()).ok());
    out->volume_keys[v.id] = key;
  }
  ASSERT_TRUE(store.DeleteVolume(tenant, "vol-3", T0()).ok());
  out->volume_keys.erase("vol-3");
  for (const char* name : {"ops", "sec"}) {
    Webhook w;
    w.name = name;
    w.url = std::string("https://hooks.example/") + name;
    w.events = {"host.trusted"};
    w.secret = std::string("webhook-secret-") + name + "-0123456789";
    ASSERT_TRUE(store.PutWebhook(tenant, w, T0()).ok());
    out->webhooks[name] = w.secret;
  }
  NewHostEnrollment n{
      std::string(64, 'e'), "hp", {"snp"}, "qemu+tls://h1/system", T0() + seconds(3600)};
  ASSERT_TRUE(store.CreateEnrollment(tenant, n, Progress(tenant), T0()).ok());
  HostRedemption r;
  r.token_sha256 = std::string(64, 'e');
  r.host_id = NewHostId();
  r.ek_public = {0x30, 1};
  r.ak_public = {0x30, 2};
  r.activation_sha256 = std::string(64, 'a');
  r.secret_access_key = kPendingKey;
  ASSERT_TRUE(store.RedeemEnrollment(r, Progress(tenant), T0()).ok());
  out->pending_host = r.host_id;
}

// kFixtureKek: the fill of the KEK the fixture's store_ seals with (Sealer()): the "old" KEK.
constexpr uint8_t kFixtureKek = 7;

constexpr int64_t kSealedRows = 3 + 3 + 2 + 1;  // credentials, live volumes, webhooks, pending

// ExpectReadable checks every sealed row reads back through store with its KEK.
void ExpectReadable(Store& store, const keys::KeyEncryptionKey& kek, const std::string& tenant,
                    const Sealed& s) {
  for (const auto& [id, secret] : s.credentials) {
    auto c = store.LookupCredential(id);
    ASSERT_TRUE(c.ok()) << id << ": " << c.status().ToString();
    EXPECT_EQ(c->secret_access_key, secret);
  }
  for (const auto& [id, key] : s.volume_keys) {
    auto v = store.GetVolume(tenant, id);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ(keys::UnwrapVolumeKey(kek, id, v->wrapped_key).value(), key) << id;
  }
  for (const auto& [name, secret] : s.webhooks) {
    auto w = store.LookupWebhookForDelivery(tenant, name);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ(w->secret, secret);
  }
  auto pending = store.PendingSecretKey(s.pending_host, T0());
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_EQ(*pending, kPendingKey);
}

int64_t Count(Store& store, const std::string& kek_id) {
  int64_t n = 0;
  const std::vector<KekRowCount> counts = store.CountByKek().value();
  for (const KekRowCount& c : counts) {
    n += c.kek_id == kek_id ? c.rows : 0;
  }
  return n;
}

TEST_P(StoreTest, KekRotationRewrapsEveryKindInBatchesAndResumesAfterAStop) {
  const auto old_kek = Kek(kFixtureKek);
  Sealed s;
  ASSERT_NO_FATAL_FAILURE(Fill(*store_, *old_kek, a_, &s));
  EXPECT_EQ(Count(*store_, old_kek->key_id()), kSealedRows);

  const auto ring = Ring(2, {kFixtureKek});
  auto rotator = Open(SealerOf(ring));
  ASSERT_TRUE(rotator.ok());
  auto raw = Raw();
  const int64_t audit_before = AuditHeadSeq(raw.get());
  // Two batches of 2, then the process "dies": a new connection resumes from what is left.
  for (int i = 0; i < 2; ++i) {
    auto batch = (*rotator)->RewrapBatch(*ring, 2, Progress(a_));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    EXPECT_EQ(batch->examined, 2);
    EXPECT_EQ(batch->rewrapped, 2);
  }
  EXPECT_EQ(Count(**rotator, ring->key_id()), 4);
  EXPECT_EQ(Count(**rotator, old_kek->key_id()), kSealedRows - 4);
  EXPECT_EQ(AuditHeadSeq(raw.get()), audit_before + 2);
  // Mid-rotation every row reads through the ring, whichever KEK wraps it.
  ASSERT_NO_FATAL_FAILURE(ExpectReadable(**rotator, *ring, a_, s));
  rotator->reset();

  auto resumed = Open(SealerOf(ring));
  ASSERT_TRUE(resumed.ok());
  int64_t total = 4;
  for (int guard = 0; guard < 20; ++guard) {
    auto batch = (*resumed)->RewrapBatch(*ring, 2, Progress(a_));
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    if (batch->examined == 0) {
      break;
    }
    total += batch->rewrapped;
  }
  EXPECT_EQ(total, kSealedRows);
  EXPECT_EQ(Count(**resumed, ring->key_id()), kSealedRows);
  EXPECT_EQ((*resumed)->RowsNeeding(old_kek->key_id()).value(), 0);
  // The new KEK alone reads everything: nothing is left under the old one.
  auto only_new = Open(SealerOf(Kek(2)));
  ASSERT_TRUE(only_new.ok());
  ASSERT_NO_FATAL_FAILURE(ExpectReadable(**only_new, *Kek(2), a_, s));
  // The shredded volume stays shredded.
  auto shredded = raw->Exec("SELECT wrapped_key FROM volumes WHERE id = 'vol-3'");
  ASSERT_TRUE(shredded.ok());
  ASSERT_EQ(shredded->size(), 1u);
  EXPECT_FALSE((*shredded)[0][0].has_value());
  // A finished rotation has nothing left: the next batch examines nothing and audits nothing.
  const int64_t audit_done = AuditHeadSeq(raw.get());
  EXPECT_EQ((*resumed)->RewrapBatch(*ring, 2, Progress(a_))->examined, 0);
  EXPECT_EQ(AuditHeadSeq(raw.get()), audit_done);
}

TEST_P(StoreTest, KekRotationAfterUpgradeTakesRowsThatRecordNoKek) {
  // Rows sealed before schema version 14 record kek_id ''; their blob still names the KEK.
  const auto old_kek = Kek(kFixtureKek);
  Sealed s;
  ASSERT_NO_FATAL_FAILURE(Fill(*store_, *old_kek, a_, &s));
  auto raw = Raw();
  ASSERT_TRUE(raw->ExecScript("UPDATE credentials SET kek_id = ''; UPDATE webhooks SET kek_id = "
                              "''; UPDATE hosts SET pending_secret_kek_id = ''")
                  .ok());
  auto ring = Ring(2, {kFixtureKek});
  auto rotator = Open(SealerOf(ring));
  ASSERT_TRUE(rotator.ok());
  EXPECT_EQ((*rotator)->RowsNeeding(old_kek->key_id()).value(), kSealedRows);
  EXPECT_EQ((*rotator)->RowsNeeding(Kek(9)->key_id()).value(), 0);
  EXPECT_EQ((*rotator)->RetireKek(old_kek->key_id(), ring->key_id(), Progress(a_)).reason_id(),
            "store.kek_in_use");
  auto batch = (*rotator)->RewrapBatch(*ring, 100, Progress(a_));
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->rewrapped, kSealedRows);
  EXPECT_EQ((*rotator)->RowsNeeding(old_kek->key_id()).value(), 0);
  EXPECT_TRUE((*rotator)->RetireKek(old_kek->key_id(), ring->key_id(), Progress(a_)).ok());
}

TEST_P(StoreTest, KekRotationRowUnderAnUnknownKekStopsTheBatchAndWritesNothingOfIt) {
  const auto old_kek = Kek(kFixtureKek);
  Sealed s;
  ASSERT_NO_FATAL_FAILURE(Fill(*store_, *old_kek, a_, &s));
  // One credential sealed under a KEK the ring does not have (a third, forgotten KEK).
  auto stray_writer = Open(SealerOf(Kek(3)));
  ASSERT_TRUE(stray_writer.ok());
  auto stray = (*stray_writer)->CreateCredential(a_, T0());
  ASSERT_TRUE(stray.ok());

  const auto ring = Ring(2, {kFixtureKek});
  auto rotator = Open(SealerOf(ring));
  ASSERT_TRUE(rotator.ok());
  auto raw = Raw();
  const int64_t audit_before = AuditHeadSeq(raw.get());
  // Volumes come first (3 rows), then credentials; a batch of 10 reaches the stray one.
  auto batch = (*rotator)->RewrapBatch(*ring, 10, Progress(a_));
  EXPECT_EQ(batch.status().reason_id(), "keys.kek_unknown");
  EXPECT_NE(batch.status().message().find(stray->access_key_id), std::string::npos);
  EXPECT_EQ(Count(**rotator, ring->key_id()), 0);  // the whole batch rolled back
  EXPECT_EQ(AuditHeadSeq(raw.get()), audit_before);
  // Reading it says the same; the other rows still read.
  EXPECT_EQ((*rotator)->LookupCredential(stray->access_key_id).status().reason_id(),
            "store.secret_unseal_failed");
  ASSERT_NO_FATAL_FAILURE(ExpectReadable(**rotator, *ring, a_, s));
  // With that KEK configured as a previous one too, the rotation goes through.
  const auto full = Ring(2, {kFixtureKek, 3});
  auto finished = (*rotator)->RewrapBatch(*full, 100, Progress(a_));
  ASSERT_TRUE(finished.ok()) << finished.status().ToString();
  EXPECT_EQ(finished->rewrapped, kSealedRows + 1);
}

TEST_P(StoreTest, KekRotationRetireRefusesWhileRowsRemainAndTheCurrentKek) {
  const auto old_kek = Kek(kFixtureKek);
  Sealed s;
  ASSERT_NO_FATAL_FAILURE(Fill(*store_, *old_kek, a_, &s));
  const auto ring = Ring(2, {kFixtureKek});
  auto rotator = Open(SealerOf(ring));
  ASSERT_TRUE(rotator.ok());
  ASSERT_TRUE((*rotator)->RewrapBatch(*ring, 3, Progress(a_)).ok());
  auto raw = Raw();
  const int64_t audit_before = AuditHeadSeq(raw.get());
  struct Case {
    const char* name;
    std::string kek_id;
    const char* want;
  } cases[] = {
      {"rows remain", old_kek->key_id(), "store.kek_in_use"},
      {"the current KEK", ring->key_id(), "store.kek_in_use"},
      {"no id", "", "store.invalid_argument"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ((*rotator)->RetireKek(c.kek_id, ring->key_id(), Progress(a_)).reason_id(), c.want);
  }
  EXPECT_FALSE((*rotator)->IsKekRetired(old_kek->key_id()).value());
  EXPECT_EQ(AuditHeadSeq(raw.get()), audit_before);
  while ((*rotator)->RewrapBatch(*ring, 3, Progress(a_))->examined > 0) {
  }
  EXPECT_TRUE((*rotator)->RetireKek(old_kek->key_id(), ring->key_id(), Progress(a_)).ok());
  EXPECT_TRUE((*rotator)->IsKekRetired(old_kek->key_id()).value());
  // The two batches left (6 rows by 3), then the retirement.
  EXPECT_EQ(AuditHeadSeq(raw.get()), audit_before + 3);
  // Again: already retired, nothing new.
  EXPECT_TRUE((*rotator)->RetireKek(old_kek->key_id(), ring->key_id(), Progress(a_)).ok());
  EXPECT_EQ(AuditHeadSeq(raw.get()), audit_before + 3);
  EXPECT_EQ((*rotator)->RewrapBatch(*ring, 0, Progress(a_)).status().reason_id(),
            "store.invalid_argument");
  EXPECT_EQ((*rotator)->RewrapBatch(*ring, 10001, Progress(a_)).status().reason_id(),
            "store.invalid_argument");
}

TEST_P(StoreTest, KekRotationAuditTenantIsTheFirstOperator) {
  EXPECT_EQ(store_->KekAuditTenant().status().reason_id(), "store.not_found");
  auto op = store_->CreateTenant("root", Role::kOperator, T0());
  ASSERT_TRUE(op.ok());
  ASSERT_TRUE(store_->CreateTenant("later-op", Role::kOperator, T0() + seconds(5)).ok());
  EXPECT_EQ(store_->KekAuditTenant().value(), op->id);
}

}  // namespace
}  // namespace attest::service::store
