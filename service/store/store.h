// Store: attestd's persistent state over one database connection, with two real backends over one
// schema (migrations.h): SQLite (embedded default) and PostgreSQL (several replicas). The backends
// differ below this, in SqlConnection (sql.h); above it, each resource kind has its own store class
// and Store is all of them over one connection (README.md says why).
//
// Every resource carries its owner tenant. Getters take the caller's tenant and answer a resource
// owned by another tenant exactly as a missing one (reasons::kStoreNotFound, same message), so a
// tenant cannot learn what others have. A Store object is one database connection: use it from one
// thread at a time; replicas and threads open their own.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/audit.h"
#include "service/store/audit_store.h"
#include "service/store/boot_image_store.h"
#include "service/store/collateral_cache_store.h"
#include "service/store/collateral_store.h"
#include "service/store/enrollment_store.h"
#include "service/store/host_state.h"
#include "service/store/host_store.h"
#include "service/store/kek_rotation_store.h"
#include "service/store/network_store.h"
#include "service/store/nonce_store.h"
#include "service/store/policy_store.h"
#include "service/store/reasons.h"
#include "service/store/release_store.h"
#include "service/store/replay_store.h"
#include "service/store/secret_sealer.h"
#include "service/store/sql.h"
#include "service/store/tenant_store.h"
#include "service/store/vm_store.h"
#include "service/store/volume_store.h"
#include "service/store/webhook_store.h"

namespace attest::service::store {

// Store is every resource store over one owned connection: a caller holding a Store calls any
// resource's methods on it, and code that needs one resource can take that class alone
// (HostStore&). Transactions that span resources (HostStore::RecordHostQuote, VmStore::CreateVm,
// VmStore::DeleteVm) run on this one connection.
class Store final : public TenantStore,
                    public EnrollmentStore,
                    public PolicyStore,
                    public HostStore,
                    public NonceStore,
                    public VolumeStore,
                    public VmStore,
                    public NetworkStore,
                    public CollateralStore,
                    public CollateralCacheStore,
                    public AuditStore,
                    public WebhookStore,
                    public ReplayStore,
                    public ReleaseStore,
                    public KekRotationStore,
                    public BootImageStore {
 public:
  // Open migrates the database behind db (ApplyMigrations) and returns the store owning it.
  // kStoreInvalidArgument without a sealer.
  static Result<std::unique_ptr<Store>> Open(std::unique_ptr<SqlConnection> db,
                                             std::shared_ptr<const SecretSealer> sealer);

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // kMaxClockSkew: how far a replica's clock may be from the database server's before it stops
  // serving; well inside SigV4's 5 minutes and the nonce lifetime.
  static constexpr std::chrono::seconds kMaxClockSkew{30};

  // Ping runs a trivial query: the database is reachable (readiness). On PostgreSQL it also
  // fails when `now` (this replica's clock) is more than kMaxClockSkew off the database server's.
  Status Ping(TimePoint now);

 private:
  Store(std::unique_ptr<SqlConnection> db, std::shared_ptr<const SecretSealer> sealer);

  std::unique_ptr<SqlConnection> connection_;
};

// OpenSqliteStore opens (creating, migrating) the SQLite database file at path.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               std::shared_ptr<const SecretSealer> sealer);

// OpenPostgresStore connects with a libpq connection string ("" = PG* environment) and migrates.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                 std::shared_ptr<const SecretSealer> sealer);

}  // namespace attest::service::store
