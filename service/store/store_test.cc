// The storage suite, run against both backends: SQLite (a temporary file) and PostgreSQL (the
// server scripts/services.sh starts; connection from PGHOST/PGPORT/PGUSER/PGDATABASE).
#include "service/store/store.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <barrier>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "service/store/migrations.h"
#include "service/store/sql.h"

namespace attest::service::store {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

TimePoint T0() { return FromUnixSeconds(1764057600); }  // 2025-11-25T08:00:00Z

std::shared_ptr<const SecretSealer> Sealer(uint8_t fill = 7) {
  return std::shared_ptr<const SecretSealer>(
      LocalKeySealer::FromKey(Bytes(LocalKeySealer::kKeyBytes, fill)).value().release());
}

// Backend opens stores and raw connections on one fresh database per test.
class StoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() == Dialect::kSqlite) {
      dir_ = fs::temp_directory_path() / ("attest-store-" + HexEncode(RandomBytes(6)));
      fs::create_directories(dir_);
      target_ = (dir_ / "attestd.db").string();
    } else {
      if (std::getenv("PGHOST") == nullptr) {
        const char* ci = std::getenv("CI");
        if (ci != nullptr && std::string_view(ci) == "true") {
          FAIL() << "PostgreSQL tests under CI=true need PGHOST/PGPORT/PGUSER/PGDATABASE "
                    "(scripts/test starts the server with scripts/services.sh)";
        }
        GTEST_SKIP() << "PostgreSQL not configured: run scripts/services.sh start and source "
                        "its env file (PGHOST/PGPORT/PGUSER/PGDATABASE) to run these";
      }
      // A schema of its own per test, so tests never see each other's rows.
      schema_ = "t_" + HexEncode(RandomBytes(6));
      auto admin = OpenPostgres("");
      ASSERT_TRUE(admin.ok()) << admin.status().ToString();
      ASSERT_TRUE((*admin)->ExecScript("CREATE SCHEMA " + schema_).ok());
      target_ = "options='-c search_path=" + schema_ + "'";
    }
    auto store = Open(Sealer());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto a = store_->CreateTenant("tenant-a", Role::kTenant, T0());
    auto b = store_->CreateTenant("tenant-b", Role::kTenant, T0());
    ASSERT_TRUE(a.ok() && b.ok());
    a_ = a->id;
    b_ = b->id;
  }

  void TearDown() override {
    store_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
    if (!schema_.empty()) {
      auto admin = OpenPostgres("");
      if (admin.ok()) (void)(*admin)->ExecScript("DROP SCHEMA " + schema_ + " CASCADE");
    }
  }

  Result<std::unique_ptr<Store>> Open(std::shared_ptr<const SecretSealer> sealer) {
    return GetParam() == Dialect::kSqlite ? OpenSqliteStore(target_, std::move(sealer))
                                          : OpenPostgresStore(target_, std::move(sealer));
  }

  std::unique_ptr<SqlConnection> Raw() {
    auto db = GetParam() == Dialect::kSqlite ? OpenSqlite(target_) : OpenPostgres(target_);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }

  fs::path dir_;
  std::string schema_;
  std::string target_;
  std::unique_ptr<Store> store_;
  std::string a_, b_;
};

TEST_P(StoreTest, MigrationsAreNumberedAndIdempotent) {
  for (int i = 0; i < 2; ++i) {
    auto again = Open(Sealer());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
  }
  auto raw = Raw();
  ASSERT_TRUE(raw);
  auto version = SchemaVersion(raw.get());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, Migrations().back().version);
  auto rows = raw->Exec("SELECT version FROM schema_version ORDER BY version");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), Migrations().size());
  for (size_t i = 0; i < rows->size(); ++i) {
    EXPECT_EQ((*rows)[i][0], std::to_string(Migrations()[i].version));
  }
  // A database from a newer binary is refused, not silently used.
  ASSERT_TRUE(raw->Exec("INSERT INTO schema_version (version, description, applied_at) VALUES "
                        "(99, 'future', 0)")
                  .ok());
  EXPECT_EQ(Open(Sealer()).status().reason_id(), "store.migration_failed");
}

TEST_P(StoreTest, TenantsAndCredentials) {
  EXPECT_EQ(store_->CreateTenant("tenant-a", Role::kTenant, T0()).status().reason_id(),
            "store.already_exists");
  auto op = store_->CreateTenant("ops", Role::kOperator, T0());
  ASSERT_TRUE(op.ok());
  auto got = store_->GetTenant(op->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->role, Role::kOperator);
  EXPECT_EQ(got->name, "ops");
  EXPECT_EQ(store_->GetTenant("t-missing").status().reason_id(), "store.not_found");

  auto cred = store_->CreateCredential(a_, T0());
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  EXPECT_EQ(cred->access_key_id.size(), 20u);
  EXPECT_EQ(cred->secret_access_key.size(), 40u);
  auto found = store_->LookupCredential(cred->access_key_id);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->secret_access_key, cred->secret_access_key);
  EXPECT_EQ(found->tenant_id, a_);
  EXPECT_EQ(store_->LookupCredential("AKIAUNKNOWN").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->CreateCredential("t-missing", T0()).status().reason_id(), "store.not_found");

  // The database holds only the sealed form.
  auto raw = Raw();
  auto rows = raw->Exec("SELECT sealed_secret FROM credentials WHERE access_key_id = $1",
                        {cred->access_key_id});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const std::string sealed = *(*rows)[0][0];
  EXPECT_EQ(sealed.find(cred->secret_access_key), std::string::npos);
  // The KEK blob (service/keys/kek.h): header "AKW" 01 kind id-length, key id, nonce, ct, tag.
  EXPECT_EQ(sealed.substr(0, 4), std::string("AKW\x01", 4));
  EXPECT_EQ(sealed.size(), 6 + 21 + 12 + cred->secret_access_key.size() + 16);

  EXPECT_EQ(store_->DeleteCredential(b_, cred->access_key_id).reason_id(), "store.not_found");
  EXPECT_TRUE(store_->DeleteCredential(a_, cred->access_key_id).ok());
  EXPECT_EQ(store_->LookupCredential(cred->access_key_id).status().reason_id(), "store.not_found");
}

TEST_P(StoreTest, SealedSecretsNeedTheKekAndTheirOwnRow) {
  auto one = store_->CreateCredential(a_, T0());
  auto two = store_->CreateCredential(b_, T0());
  ASSERT_TRUE(one.ok() && two.ok());
  auto other_kek = Open(Sealer(9));
  ASSERT_TRUE(other_kek.ok());
  EXPECT_EQ((*other_kek)->LookupCredential(one->access_key_id).status().reason_id(),
            "store.secret_unseal_failed");
  // A sealed secret copied into another key's row does not open (access key id is the AAD).
  auto raw = Raw();
  ASSERT_TRUE(raw->Exec("UPDATE credentials SET sealed_secret = (SELECT sealed_secret FROM "
                        "credentials WHERE access_key_id = $1) WHERE access_key_id = $2",
                        {one->access_key_id, two->access_key_id})
                  .ok());
  EXPECT_EQ(store_->LookupCredential(two->access_key_id).status().reason_id(),
            "store.secret_unseal_failed");
  EXPECT_TRUE(store_->LookupCredential(one->access_key_id).ok());
}

TEST_P(StoreTest, PoliciesAreImmutableVersions) {
  for (PolicyKind kind : {PolicyKind::kTenantPolicy, PolicyKind::kHostPolicy}) {
    SCOPED_TRACE(kind == PolicyKind::kHostPolicy ? "host policy" : "policy");
    auto v1 = store_->PutPolicy(kind, a_, "prod", R"({"v":1})", T0());
    auto v2 = store_->PutPolicy(kind, a_, "prod", R"({"v":2})", T0() + seconds(1));
    ASSERT_TRUE(v1.ok() && v2.ok()) << v1.status().ToString();
    EXPECT_EQ(v1->version, 1);
    EXPECT_EQ(v2->version, 2);
    EXPECT_EQ(v1->sha256, HexEncode(Sha256(AsBytes(R"({"v":1})"))));
    ASSERT_TRUE(store_->PutPolicy(kind, a_, "dev", "{}", T0()).ok());
    auto latest = store_->GetPolicy(kind, a_, "prod");
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ(latest->version, 2);
    EXPECT_EQ(latest->document, R"({"v":2})");
    auto first = store_->GetPolicy(kind, a_, "prod", 1);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->document, R"({"v":1})");
    EXPECT_EQ(first->created_at, T0());
    auto list = store_->ListPolicies(kind, a_);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].name, "dev");
    EXPECT_EQ((*list)[1].version, 2);

    ASSERT_TRUE(store_->DeletePolicy(kind, a_, "prod", T0()).ok());
    EXPECT_EQ(store_->GetPolicy(kind, a_, "prod").status().reason_id(), "store.not_found");
    EXPECT_EQ(store_->DeletePolicy(kind, a_, "prod", T0()).reason_id(), "store.not_found");
    EXPECT_TRUE(store_->GetPolicy(kind, a_, "prod", 2).ok());  // kept for the audit trail
    auto v3 = store_->PutPolicy(kind, a_, "prod", R"({"v":3})", T0());
    ASSERT_TRUE(v3.ok());
    EXPECT_EQ(v3->version, 3);  // numbers are never reused
    EXPECT_EQ(store_->ListPolicies(kind, a_)->size(), 2u);
  }
}

TEST_P(StoreTest, AnotherTenantsResourceLooksMissing) {
  ASSERT_TRUE(store_->PutPolicy(PolicyKind::kTenantPolicy, a_, "prod", "{}", T0()).ok());
  ASSERT_TRUE(store_->PutPolicy(PolicyKind::kHostPolicy, a_, "hp", "{}", T0()).ok());
  auto host = store_->RegisterHost(a_, {{1}, {}, {2}, "hp", ""}, T0());
  ASSERT_TRUE(host.ok());
  ASSERT_TRUE(store_->PutCollateral(a_, "tcb/00806f", {3}, T0()).ok());
  auto cred = store_->CreateCredential(a_, T0());
  ASSERT_TRUE(cred.ok());
  ASSERT_TRUE(store_->PutSecurityGroup(a_, "web", "sg-a", "", "[]", T0()).ok());
  ASSERT_TRUE(store_->PutNet(a_, "lan", "net-a", "10.0.0.0/24", false, T0()).ok());

  // Each row: what tenant B gets for A's resource, and what B gets for a name nobody has. The
  // two must be the same answer.
  const struct {
    std::string name;
    std::function<Status(const std::string& id)> get;
    std::string owned, missing;
  } cases[] = {
      {"policy",
       [&](const std::string& n) {
         return store_->GetPolicy(PolicyKind::kTenantPolicy, b_, n).status();
       },
       "prod", "nope"},
      {"policy version",
       [&](const std::string& n) {
         return store_->GetPolicy(PolicyKind::kTenantPolicy, b_, n, 1).status();
       },
       "prod", "nope"},
      {"policy delete",
       [&](const std::string& n) {
         return store_->DeletePolicy(PolicyKind::kTenantPolicy, b_, n, T0());
       },
       "prod", "nope"},
      {"host policy",
       [&](const std::string& n) {
         return store_->GetPolicy(PolicyKind::kHostPolicy, b_, n).status();
       },
       "hp", "nope"},
      {"host", [&](const std::string& id) { return store_->GetHost(b_, id).status(); }, host->id,
       "h-0000000000000000"},
      {"host update",
       [&](const std::string& id) {
         return store_->UpdateHostState(b_, id, "trusted", "{}", T0(), T0());
       },
       host->id, "h-0000000000000000"},
      {"collateral", [&](const std::string& k) { return store_->GetCollateral(b_, k).status(); },
       "tcb/00806f", "tcb/none"},
      {"credential delete", [&](const std::string& k) { return store_->DeleteCredential(b_, k); },
       cred->access_key_id, "AKIA0000000000000000"},
      {"security group",
       [&](const std::string& n) { return store_->GetSecurityGroup(b_, n).status(); }, "web",
       "nope"},
      {"security group delete",
       [&](const std::string& n) { return store_->DeleteSecurityGroup(b_, n); }, "web", "nope"},
      {"net", [&](const std::string& n) { return store_->GetNet(b_, n).status(); }, "lan", "nope"},
      {"net delete", [&](const std::string& n) { return store_->DeleteNet(b_, n); }, "lan", "nope"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Status owned = c.get(c.owned);
    const Status missing = c.get(c.missing);
    EXPECT_EQ(owned.reason_id(), "store.not_found");
    EXPECT_EQ(owned.reason_id(), missing.reason_id());
    // Same message shape, differing only by the name asked for.
    std::string normalized = owned.message();
    normalized.replace(normalized.find(c.owned), c.owned.size(), c.missing);
    EXPECT_EQ(normalized, missing.message());
  }
  EXPECT_TRUE(store_->ListPolicies(PolicyKind::kTenantPolicy, b_)->empty());
  EXPECT_TRUE(store_->ListHosts(b_)->empty());
  EXPECT_EQ(store_->ListHosts(a_)->size(), 1u);
  // A's resources are untouched by B's attempts.
  EXPECT_TRUE(store_->GetPolicy(PolicyKind::kTenantPolicy, a_, "prod").ok());
  EXPECT_EQ(store_->GetHost(a_, host->id)->state, "registered");
  EXPECT_TRUE(store_->ListSecurityGroups(b_)->empty());
  EXPECT_TRUE(store_->ListNets(b_)->empty());
  EXPECT_EQ(store_->GetSecurityGroup(a_, "web")->id, "sg-a");
  EXPECT_EQ(store_->GetNet(a_, "lan")->id, "net-a");
}

TEST_P(StoreTest, SecurityGroupsKeepTheirIdAcrossReplaces) {
  const TimePoint t1 = T0() + seconds(60);
  auto created = store_->PutSecurityGroup(a_, "web", "sg-1", "front", R"([{"x":1}])", T0());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id, "sg-1");
  EXPECT_EQ(created->tenant_id, a_);
  EXPECT_EQ(created->created_at, T0());
  EXPECT_EQ(created->updated_at, T0());

  // A replace keeps the id (the host's filter name) and created_at; new_id is ignored.
  auto replaced = store_->PutSecurityGroup(a_, "web", "sg-2", "front v2", "[]", t1);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->id, "sg-1");
  EXPECT_EQ(replaced->description, "front v2");
  EXPECT_EQ(replaced->rules, "[]");
  EXPECT_EQ(replaced->created_at, T0());
  EXPECT_EQ(replaced->updated_at, t1);

  // The same name in another tenant is another group; a reused id is refused.
  EXPECT_EQ(store_->PutSecurityGroup(b_, "web", "sg-1", "", "[]", T0()).status().reason_id(),
            "store.already_exists");
  ASSERT_TRUE(store_->PutSecurityGroup(b_, "web", "sg-3", "", "[]", T0()).ok());
  ASSERT_TRUE(store_->PutSecurityGroup(a_, "db", "sg-4", "", "[]", T0()).ok());
  auto list = store_->ListSecurityGroups(a_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "db");
  EXPECT_EQ((*list)[1].name, "web");
  EXPECT_EQ((*list)[1].rules, "[]");

  EXPECT_TRUE(store_->DeleteSecurityGroup(a_, "web").ok());
  EXPECT_EQ(store_->GetSecurityGroup(a_, "web").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteSecurityGroup(a_, "web").reason_id(), "store.not_found");
  EXPECT_EQ(store_->GetSecurityGroup(b_, "web")->id, "sg-3");
  // After a delete the name is new again: a fresh id.
  EXPECT_EQ(store_->PutSecurityGroup(a_, "web", "sg-5", "", "[]", t1)->id, "sg-5");
  EXPECT_EQ(store_->PutSecurityGroup(a_, "", "sg-6", "", "[]", t1).status().reason_id(),
            "store.invalid_argument");
}

TEST_P(StoreTest, NetsKeepTheirIdAcrossReplaces) {
  const TimePoint t1 = T0() + seconds(60);
  auto created = store_->PutNet(a_, "lan", "net-1", "10.0.0.0/24", false, T0());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id, "net-1");
  EXPECT_FALSE(created->internet_gateway);
  auto replaced = store_->PutNet(a_, "lan", "net-2", "10.1.0.0/16", true, t1);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->id, "net-1");
  EXPECT_EQ(replaced->cidr, "10.1.0.0/16");
  EXPECT_TRUE(replaced->internet_gateway);
  EXPECT_EQ(replaced->created_at, T0());
  EXPECT_EQ(replaced->updated_at, t1);
  EXPECT_TRUE(store_->GetNet(a_, "lan")->internet_gateway);

  // Equal CIDRs in two tenants are two nets.
  ASSERT_TRUE(store_->PutNet(b_, "lan", "net-3", "10.1.0.0/16", false, T0()).ok());
  EXPECT_EQ(store_->PutNet(b_, "other", "net-1", "10.9.0.0/16", false, T0()).status().reason_id(),
            "store.already_exists");
  ASSERT_TRUE(store_->PutNet(a_, "dmz", "net-4", "192.168.0.0/24", false, T0()).ok());
  auto list = store_->ListNets(a_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "dmz");
  EXPECT_FALSE((*list)[0].internet_gateway);
  EXPECT_EQ((*list)[1].name, "lan");
  EXPECT_TRUE(store_->DeleteNet(a_, "lan").ok());
  EXPECT_EQ(store_->DeleteNet(a_, "lan").reason_id(), "store.not_found");
  EXPECT_EQ(store_->GetNet(b_, "lan")->id, "net-3");
  EXPECT_EQ(store_->PutNet(a_, "x", "net-5", "", false, T0()).status().reason_id(),
            "store.invalid_argument");
}

Volume MakeVolume(const std::string& id, uint8_t fill = 1) {
  Volume v;
  v.id = id;
  v.name = "disk-" + id;
  v.size_bytes = 32 << 20;
  v.image_path = "/var/lib/attestd/volumes/" + id + ".img";
  v.kek_id = "file:00112233";
  v.wrapped_key = Bytes(60, fill);
  return v;
}

Vm MakeVm(const std::string& id, std::vector<std::string> volume_ids) {
  Vm vm;
  vm.id = id;
  vm.tee_type = "snp";
  vm.policy_name = "prod";
  vm.policy_version = 2;
  vm.policy_sha256 = std::string(64, 'a');
  vm.volume_ids = std::move(volume_ids);
  vm.host_id = "h-1";
  vm.ticket = {'{', '}'};
  vm.ticket_sha256 = std::string(64, 'b');
  vm.ticket_sha384 = std::string(96, 'c');
  return vm;
}

TEST_P(StoreTest, VolumesKeepOnlyWrappedKeysAndShredOnDelete) {
  auto v = store_->CreateVolume(a_, MakeVolume("vol-1"), T0());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->tenant_id, a_);
  ASSERT_TRUE(store_->CreateVolume(a_, MakeVolume("vol-2", 2), T0()).ok());
  auto got = store_->GetVolume(a_, "vol-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->wrapped_key, Bytes(60, 1));
  EXPECT_EQ(got->size_bytes, uint64_t{32} << 20);
  EXPECT_EQ(got->kek_id, "file:00112233");
  EXPECT_EQ(got->created_at, T0());
  EXPECT_EQ(store_->ListVolumes(a_)->size(), 2u);

  Volume no_key = MakeVolume("vol-3");
  no_key.wrapped_key.clear();
  Volume no_id = MakeVolume("");
  Volume no_kek = MakeVolume("vol-4");
  no_kek.kek_id.clear();
  const struct {
    std::string name;
    Volume volume;
    std::string want;
  } bad[] = {{"taken id", MakeVolume("vol-1"), "store.already_exists"},
             {"no wrapped key", no_key, "store.invalid_argument"},
             {"no id", no_id, "store.invalid_argument"},
             {"no kek id", no_kek, "store.invalid_argument"}};
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->CreateVolume(a_, c.volume, T0()).status().reason_id(), c.want);
  }

  ASSERT_TRUE(store_->DeleteVolume(a_, "vol-1", T0() + seconds(5)).ok());
  EXPECT_EQ(store_->GetVolume(a_, "vol-1").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteVolume(a_, "vol-1", T0()).reason_id(), "store.not_found");
  EXPECT_EQ(store_->ListVolumes(a_)->size(), 1u);
  // Crypto-shredding: the row stays for the audit trail, the wrapped key is gone from it.
  auto raw = Raw();
  auto rows = raw->Exec("SELECT wrapped_key, deleted_at FROM volumes WHERE id = 'vol-1'");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_FALSE((*rows)[0][0].has_value());
  EXPECT_EQ((*rows)[0][1], std::to_string(ToUnixSeconds(T0()) + 5));
  // A deleted id is not reusable (its image and audit entries name it).
  EXPECT_EQ(store_->CreateVolume(a_, MakeVolume("vol-1"), T0()).status().reason_id(),
            "store.already_exists");
}

TEST_P(StoreTest, VmsNeedTheCallersLiveVolumes) {
  ASSERT_TRUE(store_->CreateVolume(a_, MakeVolume("vol-a1"), T0()).ok());
  ASSERT_TRUE(store_->CreateVolume(a_, MakeVolume("vol-a2"), T0()).ok());
  ASSERT_TRUE(store_->CreateVolume(b_, MakeVolume("vol-b1"), T0()).ok());
  ASSERT_TRUE(store_->CreateVolume(a_, MakeVolume("vol-gone"), T0()).ok());
  ASSERT_TRUE(store_->DeleteVolume(a_, "vol-gone", T0()).ok());

  auto vm = store_->CreateVm(a_, MakeVm("vm-1", {"vol-a2", "vol-a1"}), T0());
  ASSERT_TRUE(vm.ok()) << vm.status().ToString();
  auto got = store_->GetVm(a_, "vm-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->volume_ids, (std::vector<std::string>{"vol-a2", "vol-a1"}));  // order kept
  EXPECT_EQ(got->tenant_id, a_);
  EXPECT_EQ(got->policy_version, 2);
  EXPECT_EQ(got->ticket, Bytes({'{', '}'}));
  EXPECT_EQ(got->ticket_sha384, std::string(96, 'c'));
  EXPECT_FALSE(got->deleted_at.has_value());
  EXPECT_EQ(store_->LookupVm("vm-1")->tenant_id, a_);
  ASSERT_TRUE(store_->CreateVm(a_, MakeVm("vm-0", {"vol-a1"}), T0()).ok());
  auto listed = store_->ListVms(a_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, "vm-0");  // by id
  EXPECT_EQ((*listed)[1].volume_ids, (std::vector<std::string>{"vol-a2", "vol-a1"}));
  EXPECT_TRUE(store_->ListVms(b_)->empty());

  Vm no_ticket = MakeVm("vm-x", {});
  no_ticket.ticket.clear();
  const struct {
    std::string name;
    Vm vm;
    std::string want;
  } bad[] = {
      {"other tenant's volume", MakeVm("vm-2", {"vol-a1", "vol-b1"}), "store.not_found"},
      {"deleted volume", MakeVm("vm-3", {"vol-gone"}), "store.not_found"},
      {"unknown volume", MakeVm("vm-4", {"vol-none"}), "store.not_found"},
      {"volume twice", MakeVm("vm-5", {"vol-a1", "vol-a1"}), "store.invalid_argument"},
      {"no ticket", no_ticket, "store.invalid_argument"},
      {"taken id", MakeVm("vm-1", {}), "store.already_exists"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->CreateVm(a_, c.vm, T0()).status().reason_id(), c.want);
    if (c.want == "store.not_found") {
      // Nothing half-made: the VM id stays free.
      EXPECT_EQ(store_->LookupVm(c.vm.id).status().reason_id(), "store.not_found");
    }
  }
  // B cannot see, delete or lock out A's VM; the answers match a VM nobody has.
  EXPECT_EQ(store_->GetVm(b_, "vm-1").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteVm(b_, "vm-1", T0()).reason_id(), "store.not_found");
  std::string missing = store_->GetVm(b_, "vm-none").status().message();
  missing.replace(missing.find("vm-none"), 7, "vm-1");
  EXPECT_EQ(store_->GetVm(b_, "vm-1").status().message(), missing);
  EXPECT_EQ(store_->GetVolume(b_, "vol-a1").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteVolume(b_, "vol-a1", T0()).reason_id(), "store.not_found");
  EXPECT_TRUE(store_->ListVolumes(b_)->size() == 1u);
}

TEST_P(StoreTest, DeletedVmEndsReleases) {
  ASSERT_TRUE(store_->CreateVm(a_, MakeVm("vm-1", {}), T0()).ok());
  const Nonce n = store_->IssueNonce(a_, "vm-1", seconds(60), T0()).value();
  const Nonce other = store_->IssueNonce(a_, "vm-2", seconds(60), T0()).value();
  ASSERT_TRUE(store_->DeleteVm(a_, "vm-1", T0() + seconds(1)).ok());
  EXPECT_EQ(store_->DeleteVm(a_, "vm-1", T0()).reason_id(), "store.not_found");
  auto vm = store_->LookupVm("vm-1");
  ASSERT_TRUE(vm.ok());
  ASSERT_TRUE(vm->deleted_at.has_value());
  EXPECT_EQ(*vm->deleted_at, T0() + seconds(1));
  EXPECT_TRUE(store_->GetVm(a_, "vm-1")->deleted_at.has_value());
  EXPECT_TRUE(store_->ListVms(a_)->empty());  // the list shows live VMs only
  // The outstanding challenge of the deleted VM is spent; another VM's is not.
  EXPECT_EQ(store_->ConsumeNonce(a_, "vm-1", n.value, T0() + seconds(2)).reason_id(),
            "store.nonce_rejected");
  EXPECT_TRUE(store_->ConsumeNonce(a_, "vm-2", other.value, T0() + seconds(2)).ok());
  EXPECT_EQ(store_->LookupVm("vm-none").status().reason_id(), "store.not_found");
}

TEST_P(StoreTest, VmNetworkingHoldsOneAddressPerNetAndFreesItOnDelete) {
  ASSERT_TRUE(store_->PutNet(a_, "lan", "net-a", "10.0.0.0/24", false, T0()).ok());
  ASSERT_TRUE(store_->PutNet(b_, "lan", "net-b", "10.0.0.0/24", false, T0()).ok());
  ASSERT_TRUE(store_->PutSecurityGroup(a_, "web", "sg-a", "", "[]", T0()).ok());
  ASSERT_TRUE(store_->PutSecurityGroup(b_, "web", "sg-b", "", "[]", T0()).ok());
  auto with_net = [](Vm vm, std::vector<VmInterface> itfs, std::vector<std::string> groups) {
    vm.interfaces = std::move(itfs);
    vm.security_group_ids = std::move(groups);
    return vm;
  };
  auto vm1 =
      store_->CreateVm(a_, with_net(MakeVm("vm-1", {}), {{"net-a", "10.0.0.2"}}, {"sg-a"}), T0());
  ASSERT_TRUE(vm1.ok()) << vm1.status().ToString();
  auto got = store_->GetVm(a_, "vm-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->interfaces, (std::vector<VmInterface>{{"net-a", "10.0.0.2"}}));
  EXPECT_EQ(got->security_group_ids, std::vector<std::string>{"sg-a"});
  EXPECT_EQ(got->domain, "");

  const struct {
    std::string name;
    Vm vm;
    std::string want;
  } refused[] = {
      {"address taken", with_net(MakeVm("vm-2", {}), {{"net-a", "10.0.0.2"}}, {}),
       "store.already_exists"},
      {"another tenant's net", with_net(MakeVm("vm-2", {}), {{"net-b", "10.0.0.3"}}, {}),
       "store.not_found"},
      {"unknown net", with_net(MakeVm("vm-2", {}), {{"net-x", "10.0.0.3"}}, {}), "store.not_found"},
      {"another tenant's group", with_net(MakeVm("vm-2", {}), {}, {"sg-b"}), "store.not_found"},
      {"group twice", with_net(MakeVm("vm-2", {}), {}, {"sg-a", "sg-a"}), "store.invalid_argument"},
      {"no address", with_net(MakeVm("vm-2", {}), {{"net-a", ""}}, {}), "store.invalid_argument"},
  };
  for (const auto& c : refused) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->CreateVm(a_, c.vm, T0()).status().reason_id(), c.want);
    // Nothing of the refused VM was written.
    EXPECT_EQ(store_->GetVm(a_, "vm-2").status().reason_id(), "store.not_found");
  }
  // The same address on another tenant's net (overlapping CIDRs) is no conflict.
  EXPECT_TRUE(
      store_->CreateVm(b_, with_net(MakeVm("vm-b", {}), {{"net-b", "10.0.0.2"}}, {"sg-b"}), T0())
          .ok());
  EXPECT_EQ(*store_->ListNetAddresses("net-a"), std::vector<std::string>{"10.0.0.2"});
  EXPECT_EQ(*store_->ListGroupMemberAddresses(a_, "sg-a"), std::vector<std::string>{"10.0.0.2"});
  EXPECT_TRUE(store_->ListGroupMemberAddresses(a_, "sg-b")->empty());  // not the caller's

  EXPECT_TRUE(store_->SetVmDomain(a_, "vm-1", "attest-vm-1").ok());
  EXPECT_EQ(store_->GetVm(a_, "vm-1")->domain, "attest-vm-1");
  EXPECT_EQ(store_->SetVmDomain(b_, "vm-1", "x").reason_id(), "store.not_found");

  ASSERT_TRUE(store_->DeleteVm(a_, "vm-1", T0()).ok());
  EXPECT_TRUE(store_->ListNetAddresses("net-a")->empty());
  EXPECT_TRUE(store_->ListGroupMemberAddresses(a_, "sg-a")->empty());
  EXPECT_EQ(store_->SetVmDomain(a_, "vm-1", "x").reason_id(), "store.not_found");
  EXPECT_TRUE(
      store_->CreateVm(a_, with_net(MakeVm("vm-3", {}), {{"net-a", "10.0.0.2"}}, {}), T0()).ok());
}

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

  ASSERT_TRUE(store_->UpdateHostState(a_, h->id, "trusted", "{}", T0() + seconds(60), T0()).ok());
  EXPECT_FALSE(store_->GetVm(b_, "vm-1")->host_untrusted_at.has_value());
  ASSERT_TRUE(
      store_->UpdateHostState(a_, h->id, "untrusted", "{}", std::nullopt, T0() + seconds(5)).ok());
  EXPECT_EQ(store_->GetVm(b_, "vm-1")->host_untrusted_at, T0() + seconds(5));
  EXPECT_FALSE(store_->GetVm(b_, "vm-2")->host_untrusted_at.has_value());
  EXPECT_FALSE(store_->GetVm(b_, "vm-3")->host_untrusted_at.has_value());
  // Trusted again later: the mark stays, with the time of the first failure.
  ASSERT_TRUE(
      store_->UpdateHostState(a_, h->id, "trusted", "{}", T0() + seconds(90), T0() + seconds(7))
          .ok());
  ASSERT_TRUE(
      store_->UpdateHostState(a_, h->id, "untrusted", "{}", std::nullopt, T0() + seconds(9)).ok());
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
  EXPECT_EQ(got->state, "registered");
  EXPECT_FALSE(got->trusted_until.has_value());
  ASSERT_TRUE(store_
                  ->UpdateHostState(a_, h->id, "trusted", R"({"decision":"accept"})",
                                    T0() + seconds(3600), T0() + seconds(5))
                  .ok());
  got = store_->GetHost(a_, h->id);
  EXPECT_EQ(got->state, "trusted");
  EXPECT_EQ(got->last_quote_result, R"({"decision":"accept"})");
  EXPECT_EQ(got->trusted_until, T0() + seconds(3600));
  EXPECT_EQ(got->updated_at, T0() + seconds(5));
  EXPECT_EQ(got->created_at, T0());
  EXPECT_EQ(got->last_good_quote, T0() + seconds(5));
  EXPECT_EQ(got->tees, (std::vector<std::string>{"snp", "tdx"}));
  EXPECT_EQ(got->libvirt_uri, "qemu:///system");
  // A failed quote ends the trust but keeps when the last good one was.
  ASSERT_TRUE(
      store_->UpdateHostState(a_, h->id, "untrusted", "{}", std::nullopt, T0() + seconds(9)).ok());
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

TEST_P(StoreTest, NonceIsSingleUseExpiringAndBound) {
  auto fresh = [&] { return store_->IssueNonce(a_, "host-1", seconds(60), T0()).value(); };
  const struct {
    std::string name;
    std::string tenant, subject;
    TimePoint at;
    bool issue_new;
    std::string want;
  } cases[] = {
      {"ok", a_, "host-1", T0() + seconds(59), true, "ok"},
      {"expired", a_, "host-1", T0() + seconds(60), true, "store.nonce_rejected"},
      {"other subject", a_, "host-2", T0(), true, "store.nonce_rejected"},
      {"other tenant", b_, "host-1", T0(), true, "store.nonce_rejected"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Nonce n = fresh();
    EXPECT_EQ(n.value.size(), 64u);
    // The check answers as the consume would, and twice: it consumes nothing.
    EXPECT_EQ(store_->CheckNonce(c.tenant, c.subject, n.value, c.at).reason_id(), c.want);
    EXPECT_EQ(store_->CheckNonce(c.tenant, c.subject, n.value, c.at).reason_id(), c.want);
    EXPECT_EQ(store_->ConsumeNonce(c.tenant, c.subject, n.value, c.at).reason_id(), c.want);
    EXPECT_EQ(store_->CheckNonce(c.tenant, c.subject, n.value, c.at).reason_id(),
              "store.nonce_rejected");
  }
  const Nonce n = fresh();
  EXPECT_TRUE(store_->ConsumeNonce(a_, "host-1", n.value, T0()).ok());
  EXPECT_EQ(store_->ConsumeNonce(a_, "host-1", n.value, T0()).reason_id(), "store.nonce_rejected");
  EXPECT_EQ(store_->ConsumeNonce(a_, "host-1", std::string(64, '0'), T0()).reason_id(),
            "store.nonce_rejected");
  EXPECT_EQ(store_->IssueNonce(a_, "h", seconds(0), T0()).status().reason_id(),
            "store.invalid_argument");
}

TEST_P(StoreTest, TwoConnectionsRacingForANonceHaveExactlyOneWinner) {
  auto one = Open(Sealer());
  auto two = Open(Sealer());
  ASSERT_TRUE(one.ok() && two.ok());
  Store* racers[2] = {one->get(), two->get()};
  constexpr int kRounds = 100;
  std::vector<std::string> nonces;
  for (int i = 0; i < kRounds; ++i) {
    nonces.push_back(store_->IssueNonce(a_, "vm-1", seconds(60), T0()).value().value);
  }
  std::atomic<int> wins[kRounds] = {};
  std::atomic<int> errors{0};
  std::barrier sync(2);
  auto race = [&](Store* s) {
    for (int i = 0; i < kRounds; ++i) {
      sync.arrive_and_wait();
      const Status st = s->ConsumeNonce(a_, "vm-1", nonces[i], T0());
      if (st.ok()) {
        ++wins[i];
      } else if (st.reason_id() != "store.nonce_rejected") {
        ++errors;
      }
    }
  };
  std::thread t1(race, racers[0]);
  std::thread t2(race, racers[1]);
  t1.join();
  t2.join();
  EXPECT_EQ(errors.load(), 0);
  for (int i = 0; i < kRounds; ++i) EXPECT_EQ(wins[i].load(), 1) << "round " << i;
}

TEST_P(StoreTest, CollateralCache) {
  EXPECT_EQ(store_->GetCollateral(a_, "k").status().reason_id(), "store.not_found");
  ASSERT_TRUE(store_->PutCollateral(a_, "k", {1, 2, 0, 3}, T0()).ok());
  auto e = store_->GetCollateral(a_, "k");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->value, (Bytes{1, 2, 0, 3}));
  EXPECT_EQ(e->fetched_at, T0());
  ASSERT_TRUE(store_->PutCollateral(a_, "k", {9}, T0() + seconds(10)).ok());
  e = store_->GetCollateral(a_, "k");
  EXPECT_EQ(e->value, Bytes{9});
  EXPECT_EQ(e->fetched_at, T0() + seconds(10));
  EXPECT_EQ(store_->PutCollateral(a_, "", {1}, T0()).reason_id(), "store.invalid_argument");
}

AuditRecord Record(const std::string& tenant, int i) {
  return AuditRecord{tenant,
                     T0() + seconds(i),
                     "AKIAEXAMPLE",
                     "policy.put",
                     "prod",
                     std::string(64, 'e'),
                     "prod@" + std::to_string(i),
                     "ok",
                     "detail " + std::to_string(i)};
}

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

TEST_P(StoreTest, ConcurrentAppendersKeepOneChain) {
  auto one = Open(Sealer());
  auto two = Open(Sealer());
  ASSERT_TRUE(one.ok() && two.ok());
  std::atomic<int> errors{0};
  auto append = [&](Store* s, const std::string& tenant) {
    for (int i = 0; i < 50; ++i) {
      if (!s->AppendAudit(Record(tenant, i)).ok()) ++errors;
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

HostQuoteWrite QuoteWrite(const std::string& tenant, const std::string& host,
                          const std::string& nonce, const std::string& state) {
  HostQuoteWrite w;
  w.nonce = nonce;
  w.state = state;
  w.last_quote_result = R"({"state":")" + state + R"("})";
  if (state == "trusted") w.trusted_until = T0() + seconds(600);
  w.audit = AuditRecord{
      tenant, T0() + seconds(1),    "AKIAEXAMPLE", "host.quote",
      host,   std::string(64, 'e'), "hp@1",        state == "trusted" ? "accepted" : "rejected",
      ""};
  return w;
}

// AuditHeadSeq reads how many entries the log has (the head's seq).
int64_t AuditHeadSeq(SqlConnection* raw) {
  auto rows = raw->Exec("SELECT seq FROM audit_head WHERE id = 1");
  if (!rows.ok() || rows->empty() || !(*rows)[0][0]) return -1;
  return std::stoll(*(*rows)[0][0]);
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
    EXPECT_EQ(store_->GetHost(b_, b_host)->state, "registered");
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
  EXPECT_EQ(got.state, "trusted");
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
  EXPECT_EQ(store_->GetHost(a_, host)->state, "trusted");
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
  for (int i = 0; i < kRounds; ++i) {
    nonces.push_back(store_->IssueNonce(a_, host, seconds(60), T0()).value().value);
  }
  std::atomic<int> wins[kRounds] = {};
  std::atomic<int> errors{0};
  std::barrier sync(2);
  auto race = [&](Store* s, const std::string& state) {
    for (int i = 0; i < kRounds; ++i) {
      sync.arrive_and_wait();
      auto r = s->RecordHostQuote(a_, host, QuoteWrite(a_, host, nonces[i], state), T0());
      if (r.ok()) {
        ++wins[i];
      } else if (r.status().reason_id() != "store.nonce_rejected") {
        ++errors;
      }
    }
  };
  // A third connection appends other entries meanwhile: the chain must stay one chain.
  std::atomic<bool> done{false};
  std::thread other([&] {
    for (int i = 0; !done; ++i) {
      if (!(*three)->AppendAudit(Record(b_, i)).ok()) ++errors;
    }
  });
  std::thread t1(race, one->get(), "trusted");
  std::thread t2(race, two->get(), "untrusted");
  t1.join();
  t2.join();
  done = true;
  other.join();
  EXPECT_EQ(errors.load(), 0);
  for (int i = 0; i < kRounds; ++i) EXPECT_EQ(wins[i].load(), 1) << "round " << i;
  // Exactly one entry per nonce, and the log verifies.
  EXPECT_EQ(store_->ListAudit(a_, 0, 1000)->size(), static_cast<size_t>(kRounds));
  auto verdict = store_->VerifyAudit();
  ASSERT_TRUE(verdict.ok());
  EXPECT_FALSE(verdict->has_value());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values(Dialect::kSqlite));
INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest, ::testing::Values(Dialect::kPostgres));

}  // namespace
}  // namespace attest::service::store
