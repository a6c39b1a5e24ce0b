// Store over a SqlConnection: the same statements on SQLite and PostgreSQL.
#include <charconv>
#include <string>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "service/store/migrations.h"
#include "service/store/sql.h"
#include "service/store/store.h"

namespace attest::service::store {
namespace {

Status NotFound(std::string_view what, std::string_view name) {
  return Status(reasons::kStoreNotFound,
                std::string(what) + " \"" + std::string(name.substr(0, 128)) + "\" not found");
}

Status NonceRejected() {
  return Status(reasons::kStoreNonceRejected, "nonce unknown, expired or already used");
}

Status Corrupt(std::string_view what) {
  return Status(reasons::kStoreDatabase, "stored " + std::string(what) + " is malformed");
}

Result<int64_t> ToInt(const std::optional<std::string>& text) {
  int64_t v = 0;
  if (!text) return Corrupt("integer (NULL)");
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), v);
  if (ec != std::errc() || end != text->data() + text->size()) return Corrupt("integer");
  return v;
}

Result<TimePoint> ToTime(const std::optional<std::string>& text) {
  ATTEST_ASSIGN_OR_RETURN(const int64_t v, ToInt(text));
  return FromUnixSeconds(v);
}

std::string Str(const std::optional<std::string>& v) { return v.value_or(""); }
Bytes ToBytes(const std::optional<std::string>& v) {
  return v ? Bytes(v->begin(), v->end()) : Bytes{};
}
int64_t Unix(TimePoint t) { return ToUnixSeconds(t); }

std::string RoleName(Role r) { return r == Role::kOperator ? "operator" : "tenant"; }

// NewAccessKeyId returns "AKIA" + 16 characters of RFC 4648 base32 (like AWS key ids).
std::string NewAccessKeyId() {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const Bytes random = RandomBytes(16);
  std::string id = "AKIA";
  for (uint8_t b : random) id += kAlphabet[b & 31];
  return id;
}

const char* PolicyTable(PolicyKind kind) {
  return kind == PolicyKind::kHostPolicy ? "host_policies" : "policies";
}
const char* PolicyNoun(PolicyKind kind) {
  return kind == PolicyKind::kHostPolicy ? "host policy" : "policy";
}

constexpr char kPolicyColumns[] = "tenant_id, name, version, sha256, document, created_at";
constexpr char kHostColumns[] =
    "id, tenant_id, ek_public, ek_cert, ak_public, state, last_quote_result, trusted_until, "
    "created_at, updated_at, host_policy, activation_sha256, last_good_quote_at, tees, "
    "libvirt_uri";
constexpr char kAuditColumns[] =
    "seq, tenant_id, at, actor, action, subject, evidence_digest, policy_version, outcome, detail, "
    "prev_hash";

Result<PolicyVersion> ToPolicy(const SqlRow& r) {
  PolicyVersion p;
  p.tenant_id = Str(r[0]);
  p.name = Str(r[1]);
  ATTEST_ASSIGN_OR_RETURN(p.version, ToInt(r[2]));
  p.sha256 = Str(r[3]);
  p.document = Str(r[4]);
  ATTEST_ASSIGN_OR_RETURN(p.created_at, ToTime(r[5]));
  return p;
}

// Column returns the first column of rows as strings.
std::vector<std::string> Column(const std::vector<SqlRow>& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const SqlRow& r : rows) out.push_back(Str(r[0]));
  return out;
}

// Host TEE lists are stored comma-separated (names never hold a comma: RegisterHost checks).
std::vector<std::string> SplitTees(const std::string& joined) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < joined.size()) {
    const size_t comma = joined.find(',', start);
    const size_t end = comma == std::string::npos ? joined.size() : comma;
    out.push_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Result<std::string> JoinTees(const std::vector<std::string>& tees) {
  std::string out;
  for (const std::string& t : tees) {
    if (t.empty() || t.find(',') != std::string::npos) {
      return Status(reasons::kStoreInvalidArgument, "host: a TEE name is empty or holds a comma");
    }
    out += (out.empty() ? "" : ",") + t;
  }
  return out;
}

Result<Host> ToHost(const SqlRow& r);

Result<std::vector<Host>> ToHosts(const std::vector<SqlRow>& rows) {
  std::vector<Host> out;
  for (const SqlRow& r : rows) {
    ATTEST_ASSIGN_OR_RETURN(Host h, ToHost(r));
    out.push_back(std::move(h));
  }
  return out;
}

Result<Host> ToHost(const SqlRow& r) {
  Host h;
  h.id = Str(r[0]);
  h.tenant_id = Str(r[1]);
  h.ek_public = ToBytes(r[2]);
  h.ek_cert = ToBytes(r[3]);
  h.ak_public = ToBytes(r[4]);
  h.state = Str(r[5]);
  h.last_quote_result = Str(r[6]);
  if (r[7]) {
    ATTEST_ASSIGN_OR_RETURN(h.trusted_until, ToTime(r[7]));
  }
  ATTEST_ASSIGN_OR_RETURN(h.created_at, ToTime(r[8]));
  ATTEST_ASSIGN_OR_RETURN(h.updated_at, ToTime(r[9]));
  h.host_policy = Str(r[10]);
  h.activation_sha256 = Str(r[11]);
  if (r[12]) {
    ATTEST_ASSIGN_OR_RETURN(h.last_good_quote, ToTime(r[12]));
  }
  h.tees = SplitTees(Str(r[13]));
  h.libvirt_uri = Str(r[14]);
  return h;
}

constexpr char kGroupColumns[] = "tenant_id, name, id, description, rules, created_at, updated_at";
constexpr char kNetColumns[] =
    "tenant_id, name, id, cidr, internet_gateway, created_at, updated_at";

Result<SecurityGroupRecord> ToGroup(const SqlRow& r) {
  SecurityGroupRecord g;
  g.tenant_id = Str(r[0]);
  g.name = Str(r[1]);
  g.id = Str(r[2]);
  g.description = Str(r[3]);
  g.rules = Str(r[4]);
  ATTEST_ASSIGN_OR_RETURN(g.created_at, ToTime(r[5]));
  ATTEST_ASSIGN_OR_RETURN(g.updated_at, ToTime(r[6]));
  return g;
}

// ToBool reads a BOOLEAN column: SQLite answers 1/0, PostgreSQL t/f.
Result<bool> ToBool(const std::optional<std::string>& text) {
  if (text == "1" || text == "t" || text == "true") return true;
  if (text == "0" || text == "f" || text == "false") return false;
  return Corrupt("boolean");
}

Result<NetRecord> ToNet(const SqlRow& r) {
  NetRecord n;
  n.tenant_id = Str(r[0]);
  n.name = Str(r[1]);
  n.id = Str(r[2]);
  n.cidr = Str(r[3]);
  ATTEST_ASSIGN_OR_RETURN(n.internet_gateway, ToBool(r[4]));
  ATTEST_ASSIGN_OR_RETURN(n.created_at, ToTime(r[5]));
  ATTEST_ASSIGN_OR_RETURN(n.updated_at, ToTime(r[6]));
  return n;
}

template <typename T>
Result<std::vector<T>> ToList(const std::vector<SqlRow>& rows,
                              Result<T> (*convert)(const SqlRow&)) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const SqlRow& r : rows) {
    ATTEST_ASSIGN_OR_RETURN(T v, convert(r));
    out.push_back(std::move(v));
  }
  return out;
}

Result<AuditEntry> ToAudit(const SqlRow& r) {
  AuditEntry e;
  ATTEST_ASSIGN_OR_RETURN(e.seq, ToInt(r[0]));
  e.record.tenant_id = Str(r[1]);
  ATTEST_ASSIGN_OR_RETURN(e.record.at, ToTime(r[2]));
  e.record.actor = Str(r[3]);
  e.record.action = Str(r[4]);
  e.record.subject = Str(r[5]);
  e.record.evidence_digest = Str(r[6]);
  e.record.policy_version = Str(r[7]);
  e.record.outcome = Str(r[8]);
  e.record.detail = Str(r[9]);
  e.prev_hash = Str(r[10]);
  return e;
}

Result<std::vector<AuditEntry>> ToAuditList(const std::vector<SqlRow>& rows) {
  std::vector<AuditEntry> out;
  out.reserve(rows.size());
  for (const SqlRow& r : rows) {
    ATTEST_ASSIGN_OR_RETURN(AuditEntry e, ToAudit(r));
    out.push_back(std::move(e));
  }
  return out;
}

constexpr char kVolumeColumns[] =
    "id, tenant_id, name, size_bytes, image_path, kek_id, wrapped_key, created_at";
constexpr char kVmColumns[] =
    "id, tenant_id, tee_type, policy_name, policy_version, policy_sha256, host_id, ticket, "
    "ticket_sha256, ticket_sha384, created_at, deleted_at, domain, host_untrusted_at";

Result<Volume> ToVolume(const SqlRow& r) {
  Volume v;
  v.id = Str(r[0]);
  v.tenant_id = Str(r[1]);
  v.name = Str(r[2]);
  ATTEST_ASSIGN_OR_RETURN(const int64_t size, ToInt(r[3]));
  v.size_bytes = static_cast<uint64_t>(size);
  v.image_path = Str(r[4]);
  v.kek_id = Str(r[5]);
  v.wrapped_key = ToBytes(r[6]);
  ATTEST_ASSIGN_OR_RETURN(v.created_at, ToTime(r[7]));
  return v;
}

Result<Vm> ToVm(const SqlRow& r) {
  Vm vm;
  vm.id = Str(r[0]);
  vm.tenant_id = Str(r[1]);
  vm.tee_type = Str(r[2]);
  vm.policy_name = Str(r[3]);
  ATTEST_ASSIGN_OR_RETURN(vm.policy_version, ToInt(r[4]));
  vm.policy_sha256 = Str(r[5]);
  vm.host_id = Str(r[6]);
  vm.ticket = ToBytes(r[7]);
  vm.ticket_sha256 = Str(r[8]);
  vm.ticket_sha384 = Str(r[9]);
  ATTEST_ASSIGN_OR_RETURN(vm.created_at, ToTime(r[10]));
  if (r[11]) {
    ATTEST_ASSIGN_OR_RETURN(vm.deleted_at, ToTime(r[11]));
  }
  vm.domain = Str(r[12]);
  if (r[13]) {
    ATTEST_ASSIGN_OR_RETURN(vm.host_untrusted_at, ToTime(r[13]));
  }
  return vm;
}

}  // namespace

Result<std::optional<AuditChainBreak>> VerifyAuditLog(SqlConnection* db, int64_t* num_entries) {
  // The head first: entries appended after it was read are beyond its seq and ignored, so a
  // concurrent append never looks like a break.
  ATTEST_ASSIGN_OR_RETURN(auto head, db->Exec("SELECT seq, hash FROM audit_head WHERE id = 1"));
  if (head.empty()) return Corrupt("audit head");
  ATTEST_ASSIGN_OR_RETURN(const int64_t head_seq, ToInt(head[0][0]));
  ATTEST_ASSIGN_OR_RETURN(auto rows, db->Exec(std::string("SELECT ") + kAuditColumns +
                                                  " FROM audit_log WHERE seq <= $1 ORDER BY seq",
                                              {head_seq}));
  ATTEST_ASSIGN_OR_RETURN(std::vector<AuditEntry> entries, ToAuditList(rows));
  if (num_entries != nullptr) *num_entries = static_cast<int64_t>(entries.size());
  return VerifyAuditChain(entries, Str(head[0][1]));
}

namespace {

class SqlStore : public Store {
 public:
  SqlStore(std::unique_ptr<SqlConnection> db, std::shared_ptr<const SecretSealer> sealer)
      : db_(std::move(db)), sealer_(std::move(sealer)) {}

  Result<Tenant> CreateTenant(const std::string& name, Role role, TimePoint now) override {
    if (name.empty()) return Status(reasons::kStoreInvalidArgument, "tenant name is empty");
    Tenant t{"t-" + HexEncode(RandomBytes(8)), name, role, now};
    ATTEST_RETURN_IF_ERROR(
        db_->Exec("INSERT INTO tenants (id, name, role, created_at) VALUES ($1, $2, $3, $4)",
                  {t.id, t.name, RoleName(role), Unix(now)})
            .status());
    return t;
  }

  Result<Tenant> GetTenant(const std::string& tenant_id) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec("SELECT id, name, role, created_at FROM tenants WHERE id = $1", {tenant_id}));
    if (rows.empty()) return NotFound("tenant", tenant_id);
    Tenant t{Str(rows[0][0]),
             Str(rows[0][1]),
             Str(rows[0][2]) == "operator" ? Role::kOperator : Role::kTenant,
             {}};
    ATTEST_ASSIGN_OR_RETURN(t.created_at, ToTime(rows[0][3]));
    return t;
  }

  Result<Credential> CreateCredential(const std::string& tenant_id, TimePoint now) override {
    ATTEST_RETURN_IF_ERROR(GetTenant(tenant_id).status());
    Credential c{NewAccessKeyId(), tenant_id, Base64Encode(RandomBytes(30)), now};
    ATTEST_ASSIGN_OR_RETURN(const Bytes sealed,
                            sealer_->Seal(AsBytes(c.secret_access_key), c.access_key_id));
    ATTEST_RETURN_IF_ERROR(db_->Exec("INSERT INTO credentials (access_key_id, tenant_id, "
                                     "sealed_secret, created_at) VALUES ($1, $2, $3, $4)",
                                     {c.access_key_id, tenant_id, sealed, Unix(now)})
                               .status());
    return c;
  }

  Result<Credential> LookupCredential(const std::string& access_key_id) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows,
                            db_->Exec("SELECT access_key_id, tenant_id, sealed_secret, created_at "
                                      "FROM credentials WHERE access_key_id = $1",
                                      {access_key_id}));
    if (rows.empty()) return NotFound("access key", access_key_id);
    Credential c;
    c.access_key_id = Str(rows[0][0]);
    c.tenant_id = Str(rows[0][1]);
    ATTEST_ASSIGN_OR_RETURN(Bytes secret, sealer_->Unseal(ToBytes(rows[0][2]), c.access_key_id));
    c.secret_access_key.assign(secret.begin(), secret.end());
    ATTEST_ASSIGN_OR_RETURN(c.created_at, ToTime(rows[0][3]));
    return c;
  }

  Status DeleteCredential(const std::string& caller_tenant,
                          const std::string& access_key_id) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec("DELETE FROM credentials WHERE access_key_id = "
                                                 "$1 AND tenant_id = $2 RETURNING access_key_id",
                                                 {access_key_id, caller_tenant}));
    if (rows.empty()) return NotFound("access key", access_key_id);
    return Status::Ok();
  }

  Result<PolicyVersion> PutPolicy(PolicyKind kind, const std::string& caller_tenant,
                                  const std::string& name, const std::string& document,
                                  TimePoint now) override {
    if (name.empty()) return Status(reasons::kStoreInvalidArgument, "policy name is empty");
    const std::string table = PolicyTable(kind);
    // Two writers may pick the same next version; the primary key refuses one, which retries.
    for (int attempt = 0;; ++attempt) {
      Transaction tx(db_.get());
      ATTEST_RETURN_IF_ERROR(tx.Begin());
      ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec("SELECT MAX(version) FROM " + table +
                                                       " WHERE tenant_id = $1 AND name = $2",
                                                   {caller_tenant, name}));
      int64_t version = 1;
      if (!rows.empty() && rows[0][0]) {
        ATTEST_ASSIGN_OR_RETURN(const int64_t max, ToInt(rows[0][0]));
        version = max + 1;
      }
      PolicyVersion p{caller_tenant, name, version, HexEncode(Sha256(AsBytes(document))),
                      document,      now};
      auto inserted = db_->Exec(
          "INSERT INTO " + table + " (" + kPolicyColumns + ") VALUES ($1, $2, $3, $4, $5, $6)",
          {caller_tenant, name, version, p.sha256, document, Unix(now)});
      if (inserted.ok()) {
        ATTEST_RETURN_IF_ERROR(tx.Commit());
        return p;
      }
      if (inserted.status().reason_id() != reasons::kStoreAlreadyExists.id || attempt >= 5) {
        return inserted.status();
      }
    }
  }

  Result<PolicyVersion> GetPolicy(PolicyKind kind, const std::string& caller_tenant,
                                  const std::string& name,
                                  std::optional<int64_t> version) override {
    const std::string table = PolicyTable(kind);
    auto rows = version ? db_->Exec(std::string("SELECT ") + kPolicyColumns + " FROM " + table +
                                        " WHERE tenant_id = $1 AND name = $2 AND version = $3",
                                    {caller_tenant, name, *version})
                        : db_->Exec(std::string("SELECT ") + kPolicyColumns + " FROM " + table +
                                        " WHERE tenant_id = $1 AND name = $2 AND deleted_at IS "
                                        "NULL ORDER BY version DESC LIMIT 1",
                                    {caller_tenant, name});
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return NotFound(PolicyNoun(kind), name);
    return ToPolicy((*rows)[0]);
  }

  Result<std::vector<PolicyVersion>> ListPolicies(PolicyKind kind,
                                                  const std::string& caller_tenant) override {
    const std::string table = PolicyTable(kind);
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec(std::string("SELECT ") + kPolicyColumns + " FROM " + table +
                      " p WHERE tenant_id = $1 AND deleted_at IS NULL AND version = (SELECT "
                      "MAX(version) FROM " +
                      table +
                      " q WHERE q.tenant_id = p.tenant_id AND q.name = p.name) ORDER BY "
                      "name",
                  {caller_tenant}));
    std::vector<PolicyVersion> out;
    for (const SqlRow& r : rows) {
      ATTEST_ASSIGN_OR_RETURN(PolicyVersion p, ToPolicy(r));
      out.push_back(std::move(p));
    }
    return out;
  }

  Status DeletePolicy(PolicyKind kind, const std::string& caller_tenant, const std::string& name,
                      TimePoint now) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec(std::string("UPDATE ") + PolicyTable(kind) +
                                 " SET deleted_at = $3 WHERE tenant_id = $1 AND name = $2 AND "
                                 "deleted_at IS NULL RETURNING version",
                             {caller_tenant, name, Unix(now)}));
    if (rows.empty()) return NotFound(PolicyNoun(kind), name);
    return Status::Ok();
  }

  Result<Host> RegisterHost(const std::string& caller_tenant, const HostRegistration& reg,
                            TimePoint now) override {
    if (reg.ek_public.empty() || reg.ak_public.empty()) {
      return Status(reasons::kStoreInvalidArgument, "host needs an EK and an AK public key");
    }
    ATTEST_ASSIGN_OR_RETURN(const std::string tees, JoinTees(reg.tees));
    Host h;
    h.id = "h-" + HexEncode(RandomBytes(8));
    h.tenant_id = caller_tenant;
    h.ek_public = reg.ek_public;
    h.ek_cert = reg.ek_cert;
    h.ak_public = reg.ak_public;
    h.host_policy = reg.host_policy;
    h.activation_sha256 = reg.activation_sha256;
    h.state = "registered";
    h.tees = reg.tees;
    h.libvirt_uri = reg.libvirt_uri;
    h.created_at = now;
    h.updated_at = now;
    ATTEST_RETURN_IF_ERROR(
        db_->Exec(std::string("INSERT INTO hosts (") + kHostColumns +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                  {h.id, caller_tenant, h.ek_public,
                   h.ek_cert.empty() ? SqlValue(nullptr) : SqlValue(h.ek_cert), h.ak_public,
                   h.state, nullptr, nullptr, Unix(now), Unix(now), h.host_policy,
                   h.activation_sha256, nullptr, tees, h.libvirt_uri})
            .status());
    return h;
  }

  Result<Host> GetHost(const std::string& caller_tenant, const std::string& host_id) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec(std::string("SELECT ") + kHostColumns +
                                                     " FROM hosts WHERE id = $1 AND tenant_id = $2",
                                                 {host_id, caller_tenant}));
    if (rows.empty()) return NotFound("host", host_id);
    return ToHost(rows[0]);
  }

  Result<std::vector<Host>> ListHosts(const std::string& caller_tenant) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec(std::string("SELECT ") + kHostColumns +
                                                     " FROM hosts WHERE tenant_id = $1 ORDER BY id",
                                                 {caller_tenant}));
    return ToHosts(rows);
  }

  Result<Host> LookupHost(const std::string& host_id) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec(std::string("SELECT ") + kHostColumns + " FROM hosts WHERE id = $1", {host_id}));
    if (rows.empty()) return NotFound("host", host_id);
    return ToHost(rows[0]);
  }

  Result<std::vector<Host>> ListAllHosts() override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec(std::string("SELECT ") + kHostColumns + " FROM hosts ORDER BY id"));
    return ToHosts(rows);
  }

  Status UpdateHostState(const std::string& caller_tenant, const std::string& host_id,
                         const std::string& state, const std::string& last_quote_result,
                         std::optional<TimePoint> trusted_until, TimePoint now) override {
    Transaction tx(db_.get());
    ATTEST_RETURN_IF_ERROR(tx.Begin());
    ATTEST_RETURN_IF_ERROR(UpdateHostStateInTransaction(caller_tenant, host_id, state,
                                                        last_quote_result, trusted_until, now));
    return tx.Commit();
  }

  // UpdateHostStateInTransaction is UpdateHostState inside the caller's write transaction.
  Status UpdateHostStateInTransaction(const std::string& caller_tenant, const std::string& host_id,
                                      const std::string& state,
                                      const std::string& last_quote_result,
                                      std::optional<TimePoint> trusted_until, TimePoint now) {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec("UPDATE hosts SET state = $3, last_quote_result = $4, trusted_until = $5, "
                  "updated_at = $6, last_good_quote_at = CASE WHEN $3 = 'trusted' THEN $6 ELSE "
                  "last_good_quote_at END WHERE id = $1 AND tenant_id = $2 RETURNING id",
                  {host_id, caller_tenant, state, last_quote_result,
                   trusted_until ? SqlValue(Unix(*trusted_until)) : SqlValue(nullptr), Unix(now)}));
    if (rows.empty()) return NotFound("host", host_id);
    return MarkHostVms(host_id, state, now);
  }

  // MarkHostVms marks the live VMs of a host that turned untrusted (see Vm::host_untrusted_at).
  Status MarkHostVms(const std::string& host_id, const std::string& state, TimePoint now) {
    if (state != "untrusted") return Status::Ok();
    return db_
        ->Exec(
            "UPDATE vms SET host_untrusted_at = $2 WHERE host_id = $1 AND deleted_at IS NULL "
            "AND host_untrusted_at IS NULL",
            {host_id, Unix(now)})
        .status();
  }

  Result<AuditEntry> RecordHostQuote(const std::string& caller_tenant, const std::string& host_id,
                                     const HostQuoteWrite& write, TimePoint now) override {
    // One transaction instead of three: one commit (SQLite: one WAL append) per quote, and no
    // state where the nonce is spent but the decision is missing from the host or the log.
    Transaction tx(db_.get());
    ATTEST_RETURN_IF_ERROR(tx.Begin());
    ATTEST_RETURN_IF_ERROR(ConsumeNonce(caller_tenant, host_id, write.nonce, now));
    ATTEST_RETURN_IF_ERROR(UpdateHostStateInTransaction(
        caller_tenant, host_id, write.state, write.last_quote_result, write.trusted_until, now));
    // The audit head is locked last, so the lock that serialises every appender is held only
    // for the append and the commit.
    ATTEST_ASSIGN_OR_RETURN(AuditEntry entry, AppendAuditInTransaction(write.audit));
    ATTEST_RETURN_IF_ERROR(tx.Commit());
    return entry;
  }

  Result<int64_t> CountTrustedHosts(TimePoint now) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows,
                            db_->Exec("SELECT COUNT(*) FROM hosts WHERE state = 'trusted' AND "
                                      "trusted_until IS NOT NULL AND trusted_until > $1",
                                      {Unix(now)}));
    if (rows.empty() || rows[0].empty()) return int64_t{0};
    return ToInt(rows[0][0]);
  }

  Status Ping() override { return db_->Exec("SELECT 1").status(); }

  Result<Nonce> IssueNonce(const std::string& caller_tenant, const std::string& subject,
                           std::chrono::seconds ttl, TimePoint now) override {
    if (ttl.count() <= 0) return Status(reasons::kStoreInvalidArgument, "nonce ttl must be > 0");
    Nonce n{HexEncode(RandomBytes(32)), caller_tenant, subject, now + ttl};
    ATTEST_RETURN_IF_ERROR(db_->Exec("INSERT INTO nonces (value, tenant_id, subject, expires_at, "
                                     "used) VALUES ($1, $2, $3, $4, FALSE)",
                                     {n.value, caller_tenant, subject, Unix(n.expires_at)})
                               .status());
    return n;
  }

  Status ConsumeNonce(const std::string& caller_tenant, const std::string& subject,
                      const std::string& value, TimePoint now) override {
    // One statement: the row flips to used for exactly one caller; every other caller (another
    // thread, another replica) matches no row. No read-then-write window.
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec("UPDATE nonces SET used = TRUE WHERE value = $1 AND tenant_id = $2 AND "
                  "subject = $3 AND used = FALSE AND expires_at > $4 RETURNING value",
                  {value, caller_tenant, subject, Unix(now)}));
    if (rows.size() != 1) return NonceRejected();
    return Status::Ok();
  }

  Status CheckNonce(const std::string& caller_tenant, const std::string& subject,
                    const std::string& value, TimePoint now) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec("SELECT value FROM nonces WHERE value = $1 AND tenant_id = $2 AND subject = $3 "
                  "AND used = FALSE AND expires_at > $4",
                  {value, caller_tenant, subject, Unix(now)}));
    if (rows.size() != 1) return NonceRejected();
    return Status::Ok();
  }

  Result<Volume> CreateVolume(const std::string& caller_tenant, const Volume& volume,
                              TimePoint now) override {
    if (volume.id.empty() || volume.name.empty() || volume.wrapped_key.empty() ||
        volume.kek_id.empty()) {
      return Status(reasons::kStoreInvalidArgument,
                    "a volume needs an id, a name, a KEK id and a wrapped key");
    }
    if (volume.size_bytes > static_cast<uint64_t>(INT64_MAX)) {
      return Status(reasons::kStoreInvalidArgument, "volume size out of range");
    }
    Volume v = volume;
    v.tenant_id = caller_tenant;
    v.created_at = now;
    ATTEST_RETURN_IF_ERROR(
        db_->Exec(std::string("INSERT INTO volumes (") + kVolumeColumns +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                  {v.id, caller_tenant, v.name, static_cast<int64_t>(v.size_bytes), v.image_path,
                   v.kek_id, v.wrapped_key, Unix(now)})
            .status());
    return v;
  }

  Result<Volume> GetVolume(const std::string& caller_tenant,
                           const std::string& volume_id) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec(std::string("SELECT ") + kVolumeColumns +
                                 " FROM volumes WHERE id = $1 AND tenant_id = $2 AND deleted_at "
                                 "IS NULL",
                             {volume_id, caller_tenant}));
    if (rows.empty()) return NotFound("volume", volume_id);
    return ToVolume(rows[0]);
  }

  Result<std::vector<Volume>> ListVolumes(const std::string& caller_tenant) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec(std::string("SELECT ") + kVolumeColumns +
                                 " FROM volumes WHERE tenant_id = $1 AND deleted_at IS NULL "
                                 "ORDER BY id",
                             {caller_tenant}));
    std::vector<Volume> out;
    for (const SqlRow& r : rows) {
      ATTEST_ASSIGN_OR_RETURN(Volume v, ToVolume(r));
      out.push_back(std::move(v));
    }
    return out;
  }

  Status DeleteVolume(const std::string& caller_tenant, const std::string& volume_id,
                      TimePoint now) override {
    // The wrapped key is overwritten with NULL in the row itself: the only copy of the volume key
    // (under the KEK) is gone, so the image's ciphertext can never be opened again.
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec("UPDATE volumes SET wrapped_key = NULL, deleted_at = $3 WHERE id = "
                             "$1 AND tenant_id = $2 AND deleted_at IS NULL RETURNING id",
                             {volume_id, caller_tenant, Unix(now)}));
    if (rows.empty()) return NotFound("volume", volume_id);
    return Status::Ok();
  }

  Result<Vm> CreateVm(const std::string& caller_tenant, const Vm& vm, TimePoint now) override {
    if (vm.id.empty() || vm.tee_type.empty() || vm.policy_name.empty() || vm.host_id.empty() ||
        vm.ticket.empty() || vm.ticket_sha256.empty() || vm.ticket_sha384.empty()) {
      return Status(reasons::kStoreInvalidArgument,
                    "a VM needs an id, TEE type, policy, host and launch ticket");
    }
    for (size_t i = 0; i < vm.volume_ids.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (vm.volume_ids[i] == vm.volume_ids[j]) {
          return Status(reasons::kStoreInvalidArgument,
                        "volume \"" + vm.volume_ids[i] + "\" listed twice");
        }
      }
    }
    Vm v = vm;
    v.tenant_id = caller_tenant;
    v.created_at = now;
    v.deleted_at.reset();
    Transaction tx(db_.get());
    ATTEST_RETURN_IF_ERROR(tx.Begin());
    for (const std::string& volume_id : v.volume_ids) {
      ATTEST_RETURN_IF_ERROR(GetVolume(caller_tenant, volume_id).status());
    }
    ATTEST_RETURN_IF_ERROR(
        db_->Exec(
               std::string("INSERT INTO vms (") + kVmColumns +
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, '', NULL)",
               {v.id, caller_tenant, v.tee_type, v.policy_name, v.policy_version, v.policy_sha256,
                v.host_id, v.ticket, v.ticket_sha256, v.ticket_sha384, Unix(now)})
            .status());
    for (size_t i = 0; i < v.volume_ids.size(); ++i) {
      ATTEST_RETURN_IF_ERROR(
          db_->Exec("INSERT INTO vm_volumes (vm_id, position, volume_id) VALUES ($1, $2, $3)",
                    {v.id, static_cast<int64_t>(i), v.volume_ids[i]})
              .status());
    }
    ATTEST_RETURN_IF_ERROR(InsertVmNetworking(caller_tenant, v));
    ATTEST_RETURN_IF_ERROR(tx.Commit());
    v.domain.clear();
    v.host_untrusted_at.reset();
    return v;
  }

  Result<std::vector<std::string>> ListNetAddresses(const std::string& net_id) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows,
                            db_->Exec("SELECT address FROM vm_interfaces WHERE net_id = $1 "
                                      "ORDER BY address",
                                      {net_id}));
    return Column(rows);
  }

  Result<std::vector<std::string>> ListGroupMemberAddresses(const std::string& caller_tenant,
                                                            const std::string& group_id) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec("SELECT i.address FROM vm_security_groups g JOIN vms v ON v.id = g.vm_id "
                  "JOIN vm_interfaces i ON i.vm_id = g.vm_id WHERE g.group_id = $1 AND "
                  "v.tenant_id = $2 AND v.deleted_at IS NULL ORDER BY i.address",
                  {group_id, caller_tenant}));
    return Column(rows);
  }

  Status SetVmDomain(const std::string& caller_tenant, const std::string& vm_id,
                     const std::string& domain) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows,
                            db_->Exec("UPDATE vms SET domain = $3 WHERE id = $1 AND tenant_id = $2 "
                                      "AND deleted_at IS NULL RETURNING id",
                                      {vm_id, caller_tenant, domain}));
    if (rows.empty()) return NotFound("vm", vm_id);
    return Status::Ok();
  }

  Result<Vm> GetVm(const std::string& caller_tenant, const std::string& vm_id) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec(std::string("SELECT ") + kVmColumns +
                                                     " FROM vms WHERE id = $1 AND tenant_id = $2",
                                                 {vm_id, caller_tenant}));
    if (rows.empty()) return NotFound("vm", vm_id);
    return WithVolumes(rows[0]);
  }

  Result<Vm> LookupVm(const std::string& vm_id) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec(std::string("SELECT ") + kVmColumns + " FROM vms WHERE id = $1", {vm_id}));
    if (rows.empty()) return NotFound("vm", vm_id);
    return WithVolumes(rows[0]);
  }

  Result<std::vector<Vm>> ListVms(const std::string& caller_tenant) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec(std::string("SELECT ") + kVmColumns +
                      " FROM vms WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id",
                  {caller_tenant}));
    std::vector<Vm> out;
    for (const SqlRow& r : rows) {
      ATTEST_ASSIGN_OR_RETURN(Vm vm, WithVolumes(r));
      out.push_back(std::move(vm));
    }
    return out;
  }

  Status DeleteVm(const std::string& caller_tenant, const std::string& vm_id,
                  TimePoint now) override {
    Transaction tx(db_.get());
    ATTEST_RETURN_IF_ERROR(tx.Begin());
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec("UPDATE vms SET deleted_at = $3 WHERE id = $1 AND tenant_id = $2 AND "
                             "deleted_at IS NULL RETURNING id",
                             {vm_id, caller_tenant, Unix(now)}));
    if (rows.empty()) return NotFound("vm", vm_id);
    // A challenge already handed out must not be usable after the delete.
    ATTEST_RETURN_IF_ERROR(
        db_->Exec("UPDATE nonces SET used = TRUE WHERE subject = $1 AND tenant_id = $2",
                  {vm_id, caller_tenant})
            .status());
    // Its addresses go back to the nets; group membership ends (the VM's own row keeps the rest).
    ATTEST_RETURN_IF_ERROR(
        db_->Exec("DELETE FROM vm_interfaces WHERE vm_id = $1", {vm_id}).status());
    ATTEST_RETURN_IF_ERROR(
        db_->Exec("DELETE FROM vm_security_groups WHERE vm_id = $1", {vm_id}).status());
    return tx.Commit();
  }

  Status PutCollateral(const std::string& caller_tenant, const std::string& key, const Bytes& value,
                       TimePoint fetched_at) override {
    if (key.empty()) return Status(reasons::kStoreInvalidArgument, "collateral key is empty");
    return db_
        ->Exec(
            "INSERT INTO collateral (tenant_id, key, value, fetched_at) VALUES ($1, $2, "
            "$3, $4) ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value, "
            "fetched_at = excluded.fetched_at",
            {caller_tenant, key, value, Unix(fetched_at)})
        .status();
  }

  Result<CollateralEntry> GetCollateral(const std::string& caller_tenant,
                                        const std::string& key) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec("SELECT value, fetched_at FROM collateral WHERE "
                                                 "tenant_id = $1 AND key = $2",
                                                 {caller_tenant, key}));
    if (rows.empty()) return NotFound("collateral", key);
    CollateralEntry e{ToBytes(rows[0][0]), {}};
    ATTEST_ASSIGN_OR_RETURN(e.fetched_at, ToTime(rows[0][1]));
    return e;
  }

  Result<SecurityGroupRecord> PutSecurityGroup(const std::string& caller_tenant,
                                               const std::string& name, const std::string& new_id,
                                               const std::string& description,
                                               const std::string& rules, TimePoint now) override {
    if (name.empty() || new_id.empty()) {
      return Status(reasons::kStoreInvalidArgument, "security group name or id is empty");
    }
    // One upsert: concurrent puts of one name never create two ids.
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec(std::string("INSERT INTO security_groups (") + kGroupColumns +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant_id, name) DO "
                      "UPDATE SET description = excluded.description, rules = excluded.rules, "
                      "updated_at = excluded.updated_at RETURNING " +
                      kGroupColumns,
                  {caller_tenant, name, new_id, description, rules, Unix(now)}));
    if (rows.size() != 1) return Corrupt("security group upsert");
    return ToGroup(rows[0]);
  }

  Result<SecurityGroupRecord> GetSecurityGroup(const std::string& caller_tenant,
                                               const std::string& name) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec(std::string("SELECT ") + kGroupColumns +
                                 " FROM security_groups WHERE tenant_id = $1 AND name = $2",
                             {caller_tenant, name}));
    if (rows.empty()) return NotFound("security group", name);
    return ToGroup(rows[0]);
  }

  Result<std::vector<SecurityGroupRecord>> ListSecurityGroups(
      const std::string& caller_tenant) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec(std::string("SELECT ") + kGroupColumns +
                                 " FROM security_groups WHERE tenant_id = $1 ORDER BY name",
                             {caller_tenant}));
    return ToList<SecurityGroupRecord>(rows, ToGroup);
  }

  Status DeleteSecurityGroup(const std::string& caller_tenant, const std::string& name) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec("DELETE FROM security_groups WHERE tenant_id = "
                                                 "$1 AND name = $2 RETURNING id",
                                                 {caller_tenant, name}));
    if (rows.empty()) return NotFound("security group", name);
    return Status::Ok();
  }

  Result<NetRecord> PutNet(const std::string& caller_tenant, const std::string& name,
                           const std::string& new_id, const std::string& cidr,
                           bool internet_gateway, TimePoint now) override {
    if (name.empty() || new_id.empty() || cidr.empty()) {
      return Status(reasons::kStoreInvalidArgument, "net name, id or cidr is empty");
    }
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec(
            std::string("INSERT INTO nets (") + kNetColumns +
                ") VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant_id, name) DO "
                "UPDATE SET cidr = excluded.cidr, internet_gateway = "
                "excluded.internet_gateway, updated_at = excluded.updated_at RETURNING " +
                kNetColumns,
            {caller_tenant, name, new_id, cidr, int64_t{internet_gateway ? 1 : 0}, Unix(now)}));
    if (rows.size() != 1) return Corrupt("net upsert");
    return ToNet(rows[0]);
  }

  Result<NetRecord> GetNet(const std::string& caller_tenant, const std::string& name) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows,
                            db_->Exec(std::string("SELECT ") + kNetColumns +
                                          " FROM nets WHERE tenant_id = $1 AND name = $2",
                                      {caller_tenant, name}));
    if (rows.empty()) return NotFound("net", name);
    return ToNet(rows[0]);
  }

  Result<std::vector<NetRecord>> ListNets(const std::string& caller_tenant) override {
    ATTEST_ASSIGN_OR_RETURN(auto rows,
                            db_->Exec(std::string("SELECT ") + kNetColumns +
                                          " FROM nets WHERE tenant_id = $1 ORDER BY name",
                                      {caller_tenant}));
    return ToList<NetRecord>(rows, ToNet);
  }

  Status DeleteNet(const std::string& caller_tenant, const std::string& name) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec("DELETE FROM nets WHERE tenant_id = $1 AND name = $2 RETURNING id",
                             {caller_tenant, name}));
    if (rows.empty()) return NotFound("net", name);
    return Status::Ok();
  }

  Result<AuditEntry> AppendAudit(const AuditRecord& record) override {
    Transaction tx(db_.get());
    ATTEST_RETURN_IF_ERROR(tx.Begin());
    ATTEST_ASSIGN_OR_RETURN(AuditEntry entry, AppendAuditInTransaction(record));
    ATTEST_RETURN_IF_ERROR(tx.Commit());
    return entry;
  }

  Result<std::vector<AuditEntry>> ListAudit(const std::string& caller_tenant, int64_t after_seq,
                                            int64_t limit) override {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec(std::string("SELECT ") + kAuditColumns +
                                 " FROM audit_log WHERE tenant_id = $1 AND seq > $2 ORDER BY seq "
                                 "LIMIT $3",
                             {caller_tenant, after_seq, limit}));
    return ToAuditList(rows);
  }

  Result<std::optional<AuditChainBreak>> VerifyAudit() override {
    return VerifyAuditLog(db_.get());
  }

 private:
  // AppendAuditInTransaction appends record inside the caller's write transaction.
  Result<AuditEntry> AppendAuditInTransaction(const AuditRecord& record) {
    // The head row serialises appenders: SQLite's write lock is already held (BEGIN IMMEDIATE);
    // PostgreSQL locks the row until commit.
    const std::string lock = db_->dialect() == Dialect::kPostgres ? " FOR UPDATE" : "";
    ATTEST_ASSIGN_OR_RETURN(auto head,
                            db_->Exec("SELECT seq, hash FROM audit_head WHERE id = 1" + lock));
    if (head.empty()) return Corrupt("audit head");
    AuditEntry e;
    ATTEST_ASSIGN_OR_RETURN(const int64_t seq, ToInt(head[0][0]));
    e.seq = seq + 1;
    e.record = record;
    e.prev_hash = Str(head[0][1]);
    ATTEST_RETURN_IF_ERROR(
        db_->Exec(std::string("INSERT INTO audit_log (") + kAuditColumns +
                      ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                  {e.seq, record.tenant_id, Unix(record.at), record.actor, record.action,
                   record.subject, record.evidence_digest, record.policy_version, record.outcome,
                   record.detail, e.prev_hash})
            .status());
    ATTEST_RETURN_IF_ERROR(db_->Exec("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1",
                                     {e.seq, AuditEntryHash(e)})
                               .status());
    return e;
  }

  Result<Vm> WithVolumes(const SqlRow& row) {
    ATTEST_ASSIGN_OR_RETURN(Vm vm, ToVm(row));
    ATTEST_ASSIGN_OR_RETURN(
        auto rows,
        db_->Exec("SELECT volume_id FROM vm_volumes WHERE vm_id = $1 ORDER BY position", {vm.id}));
    for (const SqlRow& r : rows) vm.volume_ids.push_back(Str(r[0]));
    ATTEST_ASSIGN_OR_RETURN(
        rows, db_->Exec("SELECT net_id, address FROM vm_interfaces WHERE vm_id = $1 ORDER BY "
                        "position",
                        {vm.id}));
    for (const SqlRow& r : rows) vm.interfaces.push_back({Str(r[0]), Str(r[1])});
    ATTEST_ASSIGN_OR_RETURN(rows, db_->Exec("SELECT group_id FROM vm_security_groups WHERE "
                                            "vm_id = $1 ORDER BY group_id",
                                            {vm.id}));
    vm.security_group_ids = Column(rows);
    return vm;
  }

  // InsertVmNetworking stores v's interfaces and security groups, inside CreateVm's transaction.
  Status InsertVmNetworking(const std::string& caller_tenant, const Vm& v) {
    for (size_t i = 0; i < v.security_group_ids.size(); ++i) {
      const std::string& id = v.security_group_ids[i];
      for (size_t j = 0; j < i; ++j) {
        if (v.security_group_ids[j] == id) {
          return Status(reasons::kStoreInvalidArgument, "security group " + id + " listed twice");
        }
      }
      ATTEST_ASSIGN_OR_RETURN(auto owned,
                              db_->Exec("SELECT id FROM security_groups WHERE id = $1 AND "
                                        "tenant_id = $2",
                                        {id, caller_tenant}));
      if (owned.empty()) return NotFound("security group", id);
      ATTEST_RETURN_IF_ERROR(
          db_->Exec("INSERT INTO vm_security_groups (vm_id, group_id) VALUES ($1, $2)", {v.id, id})
              .status());
    }
    for (size_t i = 0; i < v.interfaces.size(); ++i) {
      const VmInterface& itf = v.interfaces[i];
      if (itf.address.empty()) {
        return Status(reasons::kStoreInvalidArgument,
                      "interface " + std::to_string(i) + " has no address");
      }
      ATTEST_ASSIGN_OR_RETURN(auto owned,
                              db_->Exec("SELECT id FROM nets WHERE id = $1 AND tenant_id = $2",
                                        {itf.net_id, caller_tenant}));
      if (owned.empty()) return NotFound("net", itf.net_id);
      // The unique index (net_id, address) makes a taken address, also one another replica just
      // took, fail with store.already_exists.
      Status inserted =
          db_->Exec(
                 "INSERT INTO vm_interfaces (vm_id, position, net_id, address) VALUES ($1, $2, "
                 "$3, $4)",
                 {v.id, static_cast<int64_t>(i), itf.net_id, itf.address})
              .status();
      if (inserted.reason_id() == reasons::kStoreAlreadyExists.id) {
        return Status(reasons::kStoreAlreadyExists,
                      "address " + itf.address + " is taken on net " + itf.net_id);
      }
      ATTEST_RETURN_IF_ERROR(inserted);
    }
    return Status::Ok();
  }

  std::unique_ptr<SqlConnection> db_;
  std::shared_ptr<const SecretSealer> sealer_;
};

Result<std::unique_ptr<Store>> Open(Result<std::unique_ptr<SqlConnection>> db,
                                    std::shared_ptr<const SecretSealer> sealer) {
  if (!db.ok()) return db.status();
  if (!sealer) return Status(reasons::kStoreInvalidArgument, "no secret sealer");
  ATTEST_RETURN_IF_ERROR(ApplyMigrations(db->get()));
  return std::unique_ptr<Store>(new SqlStore(std::move(db).value(), std::move(sealer)));
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               std::shared_ptr<const SecretSealer> sealer) {
  return Open(OpenSqlite(path), std::move(sealer));
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                 std::shared_ptr<const SecretSealer> sealer) {
  return Open(OpenPostgres(conninfo), std::move(sealer));
}

}  // namespace attest::service::store
