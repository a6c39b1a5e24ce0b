#include "service/store/store.h"

#include <cmath>
#include <cstdlib>

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

Status Store::Ping(TimePoint now) {
  if (connection_->dialect() != Dialect::kPostgres) {
    return connection_->Exec("SELECT 1").status();
  }
  // Replicas decide nonce expiry, host trust windows and SigV4 skew by their own clocks: one
  // whose clock left the database's (a step, a dead NTP) would accept what the others refuse and
  // refuse every signed request. Its readiness fails, so the load balancer drops it and
  // dispatch answers 503 until the clocks agree again (issue 21, clock step).
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, connection_->Exec("SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8"));
  if (rows.empty() || rows[0].empty() || !rows[0][0].has_value()) {
    return Status(reasons::kStoreDatabase, "postgres: no clock_timestamp()");
  }
  const double database_now = std::strtod(rows[0][0]->c_str(), nullptr);
  const double skew = static_cast<double>(ToUnixSeconds(now)) - database_now;
  if (std::fabs(skew) > static_cast<double>(kMaxClockSkew.count())) {
    return Status(reasons::kStoreDatabase, "this server's clock is " +
                                               std::to_string(static_cast<int64_t>(skew)) +
                                               " s off the database server's (more than " +
                                               std::to_string(kMaxClockSkew.count()) + " s)");
  }
  return Status::Ok();
}

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
