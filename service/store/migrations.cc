#include "service/store/migrations.h"

#include <string>

#include "attest/core/time.h"

namespace attest::service::store {
namespace {

// Version 1: every entity. Times are Unix seconds; owners are tenant ids. {BLOB} is the dialect's
// byte-string type.
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE tenants (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE credentials (
  access_key_id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  sealed_secret {BLOB} NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE TABLE policies (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  document TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT,
  PRIMARY KEY (tenant_id, name, version)
);
CREATE TABLE host_policies (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  version BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  document TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT,
  PRIMARY KEY (tenant_id, name, version)
);
CREATE TABLE hosts (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  ek_public {BLOB} NOT NULL,
  ek_cert {BLOB},
  ak_public {BLOB} NOT NULL,
  state TEXT NOT NULL,
  last_quote_result TEXT,
  trusted_until BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE TABLE nonces (
  value TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  subject TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  used BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE collateral (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  key TEXT NOT NULL,
  value {BLOB} NOT NULL,
  fetched_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  at BIGINT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  evidence_digest TEXT NOT NULL,
  policy_version TEXT NOT NULL,
  outcome TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL
);
CREATE TABLE audit_head (
  id BIGINT PRIMARY KEY,
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
  VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
)sql";

// Version 2: the audit log refuses UPDATE and DELETE in the database itself, and expired nonces
// can be purged by expiry without a scan.
constexpr char kSqliteV2[] = R"sql(
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE INDEX nonces_expires_at ON nonces (expires_at);
)sql";

constexpr char kPostgresV2[] = R"sql(
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE INDEX nonces_expires_at ON nonces (expires_at);
)sql";

// Version 3: volumes (wrapped keys) and VMs with their launch tickets (issue 9). A deleted volume
// keeps its row for the audit trail but loses its wrapped key (crypto-shredding); a deleted VM
// keeps its row so a release attempt can say "deleted" rather than "unknown".
constexpr char kSchemaV3[] = R"sql(
CREATE TABLE volumes (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  image_path TEXT NOT NULL,
  kek_id TEXT NOT NULL,
  wrapped_key {BLOB},
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE INDEX volumes_tenant ON volumes (tenant_id);
CREATE TABLE vms (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  tee_type TEXT NOT NULL,
  policy_name TEXT NOT NULL,
  policy_version BIGINT NOT NULL,
  policy_sha256 TEXT NOT NULL,
  host_id TEXT NOT NULL,
  ticket {BLOB} NOT NULL,
  ticket_sha256 TEXT NOT NULL,
  ticket_sha384 TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE INDEX vms_tenant ON vms (tenant_id);
CREATE TABLE vm_volumes (
  vm_id TEXT NOT NULL REFERENCES vms(id),
  position BIGINT NOT NULL,
  volume_id TEXT NOT NULL REFERENCES volumes(id),
  PRIMARY KEY (vm_id, position)
);
)sql";

// Version 4 (hosts): each host names the host policy its quotes are appraised with, and keeps
// the SHA-256 of its credential-activation secret (never the secret). Same SQL in both dialects.
constexpr char kHostsV4[] = R"sql(
ALTER TABLE hosts ADD COLUMN host_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN activation_sha256 TEXT NOT NULL DEFAULT '';
)sql";

// Version 5: tenant network resources (issue 10). A security group's or net's id is global (it
// names the libvirt nwfilter / network on every host, so two tenants' "web" never collide); the
// name is the tenant's own. rules is the group's rule list as JSON (source groups by name).
constexpr char kNetworkV5[] = R"sql(
CREATE TABLE security_groups (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  rules TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
CREATE TABLE nets (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  cidr TEXT NOT NULL,
  internet_gateway BOOLEAN NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
)sql";

// Version 6 (key release and launch): when the host's last good quote was appraised (release
// checks its age against the tenant policy), which TEEs it offers (comma-separated) and the
// libvirt URI attestd launches VMs through. Same SQL in both dialects.
constexpr char kHostsV6[] = R"sql(
ALTER TABLE hosts ADD COLUMN last_good_quote_at BIGINT;
ALTER TABLE hosts ADD COLUMN tees TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN libvirt_uri TEXT NOT NULL DEFAULT '';
)sql";

// Version 7 (launch, issue 10): a launched VM's libvirt domain, the time its host failed a quote
// while it was live, its interfaces (one address per net, unique among live VMs: a deleted VM's
// rows are removed) and its security groups.
constexpr char kLaunchV7[] = R"sql(
ALTER TABLE vms ADD COLUMN domain TEXT NOT NULL DEFAULT '';
ALTER TABLE vms ADD COLUMN host_untrusted_at BIGINT;
CREATE INDEX vms_host ON vms (host_id);
CREATE TABLE vm_interfaces (
  vm_id TEXT NOT NULL REFERENCES vms(id),
  position BIGINT NOT NULL,
  net_id TEXT NOT NULL,
  address TEXT NOT NULL,
  PRIMARY KEY (vm_id, position)
);
CREATE UNIQUE INDEX vm_interfaces_address ON vm_interfaces (net_id, address);
CREATE TABLE vm_security_groups (
  vm_id TEXT NOT NULL REFERENCES vms(id),
  group_id TEXT NOT NULL,
  PRIMARY KEY (vm_id, group_id)
);
CREATE INDEX vm_security_groups_group ON vm_security_groups (group_id);
)sql";

// Version 8 (hosts as principals, issue 15): one-time enrollment tokens (only their SHA-256), the
// host a credential belongs to (NULL: a tenant's), the sealed secret key of a host that enrolled
// but has not yet proved its TPM (cleared at activation) and its deadline, revocation, and the
// newest quote attempt whatever its outcome.
constexpr char kHostPrincipalsV8[] = R"sql(
CREATE TABLE host_enrollments (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  token_sha256 TEXT NOT NULL UNIQUE,
  host_policy TEXT NOT NULL,
  tees TEXT NOT NULL,
  libvirt_uri TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  used_at BIGINT,
  host_id TEXT
);
ALTER TABLE credentials ADD COLUMN host_id TEXT;
CREATE INDEX credentials_host ON credentials (host_id);
ALTER TABLE hosts ADD COLUMN pending_secret {BLOB};
ALTER TABLE hosts ADD COLUMN activation_deadline BIGINT;
ALTER TABLE hosts ADD COLUMN revoked_at BIGINT;
ALTER TABLE hosts ADD COLUMN last_attempt_result TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN last_attempt_at BIGINT;
)sql";

// Version 9: webhooks (issue 15) and the outbox their deliveries are made from. An outbox row is
// one event for one subscribed webhook, inserted in the transaction of the change that raised it;
// a replica claims due rows with a lease (lease_owner, lease_until), so a replica killed mid-send
// leaves a row that is claimed again when its lease lapses. events is a comma-separated list.
constexpr char kWebhooksV9[] = R"sql(
CREATE TABLE webhooks (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  sealed_secret {BLOB} NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name)
);
CREATE TABLE webhook_outbox (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  webhook_name TEXT NOT NULL,
  event_type TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  attempts BIGINT NOT NULL,
  next_attempt_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_until BIGINT,
  delivered_at BIGINT,
  failed_at BIGINT,
  last_error TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at)
  WHERE delivered_at IS NULL AND failed_at IS NULL;
)sql";

// Version 10 (issue 15, host platform binding): the host's TEE platform identity document
// (canonical JSON, protocol/host_platform.h; '' = none recorded) and when a quote first carried a
// different one (the host stays untrusted until re-enrolled). Same SQL in both dialects.
constexpr char kHostPlatformV10[] = R"sql(
ALTER TABLE hosts ADD COLUMN platform TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN platform_changed_at BIGINT;
)sql";

// Version 11 (issue 16): the client address of each audit entry (service/store/audit.h). Entries
// from before keep '' and their hash. Adding a column fires no UPDATE trigger.
constexpr char kAuditAddressV11[] = R"sql(
ALTER TABLE audit_log ADD COLUMN client_address TEXT NOT NULL DEFAULT '';
)sql";

// Version 12 (issue 17): signatures of accepted signed requests that change something, kept
// until their SigV4 time window ends (service/store/replay_store.h).
constexpr char kReplayV12[] = R"sql(
CREATE TABLE request_signatures (
  signature TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX request_signatures_expiry ON request_signatures (expires_at);
)sql";

// Issue 17 #6: a tenant policy version can be revoked; host policies get the column too, so both
// tables keep one row shape (PolicyStore reads them alike).
constexpr char kPolicyRevocationV13[] = R"sql(
ALTER TABLE policies ADD COLUMN revoked_at BIGINT;
ALTER TABLE host_policies ADD COLUMN revoked_at BIGINT;
)sql";

// Version 14 (issue 17 #14, KEK rotation): each row holding a secret sealed by the KEK records
// the KEK's id beside it, as volumes already do, so `attestd kek rotate` selects what it still
// has to re-wrap and a restart resumes there. Rows from before keep '' (their blob's header still
// names its KEK): the first rotation re-wraps them. retired_keks: KEKs retired once no row needed
// them; attestd refuses to wrap with one again.
constexpr char kKekRotationV14[] = R"sql(
ALTER TABLE credentials ADD COLUMN kek_id TEXT NOT NULL DEFAULT '';
ALTER TABLE hosts ADD COLUMN pending_secret_kek_id TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN kek_id TEXT NOT NULL DEFAULT '';
CREATE TABLE retired_keks (
  kek_id TEXT PRIMARY KEY,
  retired_at BIGINT NOT NULL
);
)sql";

// Version 15 (issue 19): the collateral cache replicas share
// (service/store/collateral_cache_store.h) and the lease that lets one replica at a time refresh
// it. value NULL: wanted, not fetched yet.
constexpr char kCollateralCacheV15[] = R"sql(
CREATE TABLE collateral_cache (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value {BLOB},
  origin TEXT NOT NULL,
  fetched_at BIGINT NOT NULL,
  issued_at BIGINT NOT NULL,
  next_update BIGINT NOT NULL,
  evaluation BIGINT NOT NULL,
  last_error TEXT NOT NULL,
  attempted_at BIGINT NOT NULL,
  PRIMARY KEY (kind, key)
);
CREATE INDEX collateral_cache_next_update ON collateral_cache (next_update);
CREATE TABLE collateral_leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
)sql";

// Version 16 (boot images): a tenant's committed boot images, and the parts uploaded for one
// not committed yet (one row per part; a new upload replaces the row). Same SQL in both dialects.
constexpr char kBootImagesV16[] = R"sql(
CREATE TABLE boot_images (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  kernel_path TEXT NOT NULL,
  initrd_path TEXT NOT NULL,
  cmdline TEXT NOT NULL,
  kernel_sha256 TEXT NOT NULL,
  kernel_sha384 TEXT NOT NULL,
  kernel_size BIGINT NOT NULL,
  initrd_sha256 TEXT NOT NULL,
  initrd_sha384 TEXT NOT NULL,
  initrd_size BIGINT NOT NULL,
  published BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (tenant_id, name)
);
CREATE TABLE boot_image_parts (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  name TEXT NOT NULL,
  part TEXT NOT NULL,
  path TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  sha384 TEXT NOT NULL,
  size BIGINT NOT NULL,
  uploaded_at BIGINT NOT NULL,
  PRIMARY KEY (tenant_id, name, part)
);
)sql";

// Version 17 (issue 20): the boot image a VM was created with and the launch measurement that
// boot must show (hex; TDX RTMR0..2 comma-separated). '' for VMs created without a boot image:
// their release is decided by the tenant policy alone. memory_mib and vcpus: the launched shape,
// so a stopped VM starts again as it was measured (0: not launched by attestd).
constexpr char kVmMeasurementV17[] = R"sql(
ALTER TABLE vms ADD COLUMN boot_image TEXT NOT NULL DEFAULT '';
ALTER TABLE vms ADD COLUMN memory_mib BIGINT NOT NULL DEFAULT 0;
ALTER TABLE vms ADD COLUMN vcpus BIGINT NOT NULL DEFAULT 0;
ALTER TABLE vms ADD COLUMN expected_measurement TEXT NOT NULL DEFAULT '';
ALTER TABLE vms ADD COLUMN expected_rtmrs TEXT NOT NULL DEFAULT '';
)sql";

std::string WithBlob(std::string sql, const char* blob) {
  for (size_t at = sql.find("{BLOB}"); at != std::string::npos; at = sql.find("{BLOB}", at)) {
    sql.replace(at, 6, blob);
  }
  return sql;
}

// An arbitrary constant naming the migration lock among PostgreSQL advisory locks.
constexpr int64_t kMigrationLockId = 0x617474657374;  // "attest"

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration>* migrations = new std::vector<Migration>{
      {1, "tenants, credentials, policies, hosts, nonces, collateral, audit log",
       WithBlob(kSchemaV1, "BLOB"), WithBlob(kSchemaV1, "BYTEA")},
      {2, "append-only audit log triggers; nonce expiry index", kSqliteV2, kPostgresV2},
      {3, "volumes, vms, vm_volumes", WithBlob(kSchemaV3, "BLOB"), WithBlob(kSchemaV3, "BYTEA")},
      {4, "hosts: host policy name and activation secret digest", kHostsV4, kHostsV4},
      {5, "security groups and tenant nets", kNetworkV5, kNetworkV5},
      {6, "hosts: last good quote time, TEE types, libvirt URI", kHostsV6, kHostsV6},
      {7, "vms: domain, host_untrusted_at, interfaces, security groups", kLaunchV7, kLaunchV7},
      {8, "host enrollments, host credentials, host revocation, quote attempts",
       WithBlob(kHostPrincipalsV8, "BLOB"), WithBlob(kHostPrincipalsV8, "BYTEA")},

      // 20: numbered apart from the other issue 15 branches' migrations (gaps are allowed).
      {9, "webhooks and their delivery outbox", WithBlob(kWebhooksV9, "BLOB"),
       WithBlob(kWebhooksV9, "BYTEA")},
      {10, "hosts: platform identity document, platform_changed_at", kHostPlatformV10,
       kHostPlatformV10},
      {11, "audit log: client address", kAuditAddressV11, kAuditAddressV11},
      {12, "signatures of accepted signed requests (replay protection)", kReplayV12, kReplayV12},
      {13, "policy versions: revoked_at", kPolicyRevocationV13, kPolicyRevocationV13},
      {14, "kek_id of every sealed secret; retired KEKs", kKekRotationV14, kKekRotationV14},
      {15, "shared collateral cache and its refresh lease", WithBlob(kCollateralCacheV15, "BLOB"),
       WithBlob(kCollateralCacheV15, "BYTEA")},
      {16, "boot images and their uploaded parts", kBootImagesV16, kBootImagesV16},
      {17, "vms: boot image, expected launch measurement, launched shape", kVmMeasurementV17,
       kVmMeasurementV17},
  };
  return *migrations;
}

Result<int> SchemaVersion(SqlConnection* db) {
  ATTEST_ASSIGN_OR_RETURN(auto rows, db->Exec("SELECT MAX(version) FROM schema_version"));
  if (rows.empty() || !rows[0][0]) {
    return 0;
  }
  return std::stoi(*rows[0][0]);
}

Status ApplyMigrations(SqlConnection* db) {
  Transaction tx(db);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  // The lock comes before the version table is created too: replicas starting together on an
  // empty PostgreSQL database would otherwise race on CREATE TABLE IF NOT EXISTS, which is not
  // atomic there (the loser fails on pg_type's unique index) and fails that replica's start.
  if (db->dialect() == Dialect::kPostgres) {
    ATTEST_RETURN_IF_ERROR(
        db->Exec("SELECT pg_advisory_xact_lock($1)", {kMigrationLockId}).status());
  }
  ATTEST_RETURN_IF_ERROR(
      db->ExecScript("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, "
                     "description TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
  ATTEST_ASSIGN_OR_RETURN(const int current, SchemaVersion(db));
  const auto& all = Migrations();
  // Compare with the newest version, not the count: numbers may have gaps while branches merge.
  if (current > all.back().version) {
    return Status(reasons::kStoreMigration, "database schema version " + std::to_string(current) +
                                                " is newer than this binary's " +
                                                std::to_string(all.back().version));
  }
  for (const Migration& m : all) {
    if (m.version <= current) {
      continue;
    }
    Status s = db->ExecScript(db->dialect() == Dialect::kSqlite ? m.sqlite_sql : m.postgres_sql);
    if (!s.ok()) {
      return Status(reasons::kStoreMigration,
                    "migration " + std::to_string(m.version) + ": " + s.message());
    }
    ATTEST_RETURN_IF_ERROR(
        db->Exec("INSERT INTO schema_version (version, description, "
                 "applied_at) VALUES ($1, $2, $3)",
                 {int64_t{m.version}, m.description, ToUnixSeconds(WallClockNow())})
            .status());
  }
  return tx.Commit();
}

}  // namespace attest::service::store
