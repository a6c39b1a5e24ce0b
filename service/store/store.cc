#include "service/store/store.h"

#include "service/store/migrations.h"

namespace attest::service::store {

Store::Store(std::unique_ptr<SqlConnection> db, std::shared_ptr<const SecretSealer> sealer)
    : TenantStore(db.get(), sealer),
      EnrollmentStore(db.get(), sealer),
      PolicyStore(db.get()),
      HostStore(db.get()),
      NonceStore(db.get()),
      VolumeStore(db.get()),
      VmStore(db.get()),
      NetworkStore(db.get()),
      CollateralStore(db.get()),
      CollateralCacheStore(db.get()),
      AuditStore(db.get()),
      WebhookStore(db.get(), std::move(sealer)),
      ReplayStore(db.get()),
      ReleaseStore(db.get()),
      KekRotationStore(db.get()),
      BootImageStore(db.get()),
      connection_(std::move(db)) {}

Result<std::unique_ptr<Store>> Store::Open(std::unique_ptr<SqlConnection> db,
                                           std::shared_ptr<const SecretSealer> sealer) {
  if (!sealer) {
    return Status(reasons::kStoreInvalidArgument, "no secret sealer");
  }
  ATTEST_RETURN_IF_ERROR(ApplyMigrations(db.get()));
  return std::unique_ptr<Store>(new Store(std::move(db), std::move(sealer)));
}

Status Store::Ping() { return connection_->Exec("SELECT 1").status(); }

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               std::shared_ptr<const SecretSealer> sealer) {
  ATTEST_ASSIGN_OR_RETURN(auto db, OpenSqlite(path));
  return Store::Open(std::move(db), std::move(sealer));
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                 std::shared_ptr<const SecretSealer> sealer) {
  ATTEST_ASSIGN_OR_RETURN(auto db, OpenPostgres(conninfo));
  return Store::Open(std::move(db), std::move(sealer));
}

}  // namespace attest::service::store
