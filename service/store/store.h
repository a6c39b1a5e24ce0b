// Store: attestd's persistent state behind one interface, with two real backends over one schema
// (migrations.h): SQLite (embedded default) and PostgreSQL (several replicas).
//
// Every resource carries its owner tenant. Getters take the caller's tenant and answer a resource
// owned by another tenant exactly as a missing one (reasons::kStoreNotFound, same message), so a
// tenant cannot learn what others have. A Store object is one database connection: use it from one
// thread at a time; replicas and threads open their own.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/audit.h"
#include "service/store/reasons.h"
#include "service/store/secret_sealer.h"

namespace attest::service::store {

enum class Role { kTenant, kOperator };

struct Tenant {
  std::string id;
  std::string name;
  Role role = Role::kTenant;
  TimePoint created_at;
};

struct Credential {
  std::string access_key_id;
  std::string tenant_id;
  std::string secret_access_key;  // plain text in memory only; sealed in the database
  TimePoint created_at;
};

// PolicyVersion is one immutable version of a tenant policy or an operator host policy.
struct PolicyVersion {
  std::string tenant_id;
  std::string name;
  int64_t version = 0;  // 1, 2, 3... never reused, even after a delete
  std::string sha256;   // hex SHA-256 of document
  std::string document;
  TimePoint created_at;
};

enum class PolicyKind { kTenantPolicy, kHostPolicy };

struct Host {
  std::string id;
  std::string tenant_id;
  Bytes ek_public;
  Bytes ek_cert;  // empty when the TPM has none
  Bytes ak_public;
  // host_policy: the name of the owner's host policy its quotes are appraised with (newest
  // version at each quote).
  std::string host_policy;
  // activation_sha256: hex SHA-256 of the credential-activation secret; the secret itself is never
  // stored, so reading the database does not let anyone activate.
  std::string activation_sha256;
  std::string state;              // "registered", "activated", "trusted", "untrusted"
  std::string last_quote_result;  // JSON of the last appraisal, "" before the first quote
  std::optional<TimePoint> trusted_until;
  // last_good_quote: when the newest quote the host policy accepted was appraised (kept when a
  // later quote fails, so a reader sees how old the last good one is).
  std::optional<TimePoint> last_good_quote;
  // tees: the TEE types the operator says the host offers ("snp", "tdx", "sev", "sev-es");
  // placement only considers a host for a TEE it lists. The launcher still checks the host's
  // libvirt domain capabilities before it defines anything.
  std::vector<std::string> tees;
  // libvirt_uri: where attestd reaches the host's libvirtd ("" = attestd does not launch there).
  std::string libvirt_uri;
  TimePoint created_at;
  TimePoint updated_at;
};

// HostRegistration: what RegisterHost stores for a new host.
struct HostRegistration {
  Bytes ek_public;
  Bytes ek_cert;  // empty when the TPM has none
  Bytes ak_public;
  std::string host_policy;
  std::string activation_sha256;
  std::vector<std::string> tees;
  std::string libvirt_uri;
};

// HostQuoteWrite is everything one host quote submission writes (Store::RecordHostQuote).
struct HostQuoteWrite {
  std::string nonce;  // the challenge the quote answers: consumed as by Store::ConsumeNonce
  std::string state;  // the host's new state and appraisal, as by Store::UpdateHostState
  std::string last_quote_result;
  std::optional<TimePoint> trusted_until;
  AuditRecord audit;  // the decision, appended as by Store::AppendAudit
};

struct Nonce {
  std::string value;  // 64 hex digits (32 random bytes)
  std::string tenant_id;
  std::string subject;  // what it is bound to: a host id, a VM id
  TimePoint expires_at;
};

struct CollateralEntry {
  Bytes value;
  TimePoint fetched_at;
};

// Volume: a tenant's encrypted disk. Its 256-bit key exists in the database only wrapped by the
// KEK (service/keys/volume.h, associated data "volume:<id>").
struct Volume {
  std::string id;  // chosen by the caller before wrapping (the id is in the associated data)
  std::string tenant_id;
  std::string name;
  uint64_t size_bytes = 0;  // of the LUKS2 image; 0 when only a key was made
  std::string image_path;   // "" when only a key was made
  std::string kek_id;       // the KEK that wrapped the key
  Bytes wrapped_key;
  TimePoint created_at;
};

// VmInterface: one network interface of a launched VM: the tenant net (its global id) and the
// IPv4 address attestd assigned it there (the clean-traffic filter pins the VM to it).
struct VmInterface {
  std::string net_id;
  std::string address;
  bool operator==(const VmInterface&) const = default;
};

// Vm: a confidential VM record and its launch ticket (service/release/ticket.h).
struct Vm {
  std::string id;  // chosen by the caller (the id is inside the ticket)
  std::string tenant_id;
  std::string tee_type;  // "snp", "tdx"
  std::string policy_name;
  int64_t policy_version = 0;
  std::string policy_sha256;
  std::vector<std::string> volume_ids;
  std::string host_id;
  Bytes ticket;               // the canonical ticket bytes
  std::string ticket_sha256;  // hex: SNP HOST_DATA
  std::string ticket_sha384;  // hex: TDX MRCONFIGID
  TimePoint created_at;
  std::optional<TimePoint> deleted_at;  // set once deleted: no release ever again
  // Launch bookkeeping (issue 10). interfaces and security_group_ids are stored with the VM by
  // CreateVm; domain is set by SetVmDomain once the host runs it ("" = not launched by attestd).
  std::vector<VmInterface> interfaces;
  std::vector<std::string> security_group_ids;
  std::string domain;
  // host_untrusted_at: set when a quote of the VM's host failed while the VM was live; from then
  // on no key is released to this VM, even after the host is trusted again (what ran on the host
  // in between is unknown).
  std::optional<TimePoint> host_untrusted_at;
};

// SecurityGroupRecord is a tenant's security group (issue 10). id is global and fixed at
// creation (it names the host's nwfilter); name is unique per tenant.
struct SecurityGroupRecord {
  std::string tenant_id;
  std::string name;
  std::string id;
  std::string description;
  std::string rules;  // JSON array, as validated by the API
  TimePoint created_at;
  TimePoint updated_at;
};

// NetRecord is a tenant's private network ("Net"). id is global and fixed at creation (it names
// the host's libvirt network and bridge); name is unique per tenant.
struct NetRecord {
  std::string tenant_id;
  std::string name;
  std::string id;
  std::string cidr;
  bool internet_gateway = false;
  TimePoint created_at;
  TimePoint updated_at;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- tenants and credentials ---
  // CreateTenant makes a tenant with a fresh id; a taken name fails with kStoreAlreadyExists.
  virtual Result<Tenant> CreateTenant(const std::string& name, Role role, TimePoint now) = 0;
  virtual Result<Tenant> GetTenant(const std::string& tenant_id) = 0;
  // CreateCredential makes a new access key id and secret for tenant_id; the secret is sealed
  // with the SecretSealer (access key id as associated data) and returned in plain text once.
  virtual Result<Credential> CreateCredential(const std::string& tenant_id, TimePoint now) = 0;
  // LookupCredential returns the credential with its secret unsealed, for request authentication
  // (any tenant: this is how the caller's tenant is found). kStoreNotFound when unknown;
  // kStoreUnsealFailed when the KEK does not open it.
  virtual Result<Credential> LookupCredential(const std::string& access_key_id) = 0;
  virtual Status DeleteCredential(const std::string& caller_tenant,
                                  const std::string& access_key_id) = 0;

  // --- policies (tenant) and host policies (operator): immutable versions ---
  // PutPolicy stores document as the next version of name.
  virtual Result<PolicyVersion> PutPolicy(PolicyKind kind, const std::string& caller_tenant,
                                          const std::string& name, const std::string& document,
                                          TimePoint now) = 0;
  // GetPolicy returns the newest version, or the given one (also after a delete, for audit).
  virtual Result<PolicyVersion> GetPolicy(PolicyKind kind, const std::string& caller_tenant,
                                          const std::string& name,
                                          std::optional<int64_t> version = std::nullopt) = 0;
  // ListPolicies returns the newest version of each live policy of the caller, by name.
  virtual Result<std::vector<PolicyVersion>> ListPolicies(PolicyKind kind,
                                                          const std::string& caller_tenant) = 0;
  // DeletePolicy hides name (versions stay for the audit trail; a later put continues numbering).
  virtual Status DeletePolicy(PolicyKind kind, const std::string& caller_tenant,
                              const std::string& name, TimePoint now) = 0;

  // --- hosts ---
  // RegisterHost stores a host (state "registered") with a fresh id, owned by caller_tenant, bound
  // to its host policy and the digest of its activation secret. kStoreInvalidArgument when the
  // AK is empty or a TEE name is empty or holds a comma.
  virtual Result<Host> RegisterHost(const std::string& caller_tenant,
                                    const HostRegistration& registration, TimePoint now) = 0;
  virtual Result<Host> GetHost(const std::string& caller_tenant, const std::string& host_id) = 0;
  virtual Result<std::vector<Host>> ListHosts(const std::string& caller_tenant) = 0;
  // LookupHost returns any tenant's host by id: the key release path, where a VM (of a tenant)
  // names the host it was placed on (a host belongs to the operator who registered it).
  virtual Result<Host> LookupHost(const std::string& host_id) = 0;
  // ListAllHosts returns every host, by id (placement).
  virtual Result<std::vector<Host>> ListAllHosts() = 0;
  // UpdateHostState records an appraisal (or an activation) of the caller's host; state
  // "trusted" also sets last_good_quote to now, state "untrusted" marks every live VM on the
  // host (Vm::host_untrusted_at), in the same transaction.
  virtual Status UpdateHostState(const std::string& caller_tenant, const std::string& host_id,
                                 const std::string& state, const std::string& last_quote_result,
                                 std::optional<TimePoint> trusted_until, TimePoint now) = 0;

  // RecordHostQuote applies a quote submission's writes in one transaction: consumes the nonce
  // (subject host_id), records the appraisal on the caller's host and appends the audit entry
  // (serialised with every other appender, also across replicas). Either all three happen or
  // none: fails with kStoreNonceRejected (as ConsumeNonce: also when another submission won it),
  // kStoreNotFound when the host is not the caller's, or a database error, and then has written
  // nothing. Returns the audit entry.
  virtual Result<AuditEntry> RecordHostQuote(const std::string& caller_tenant,
                                             const std::string& host_id,
                                             const HostQuoteWrite& write, TimePoint now) = 0;

  // CountTrustedHosts counts hosts of every owner that are trusted at now (the metrics gauge).
  virtual Result<int64_t> CountTrustedHosts(TimePoint now) = 0;

  // Ping runs a trivial query: the database is reachable (readiness).
  virtual Status Ping() = 0;

  // --- nonces: single use, expiring, bound to a subject ---
  virtual Result<Nonce> IssueNonce(const std::string& caller_tenant, const std::string& subject,
                                   std::chrono::seconds ttl, TimePoint now) = 0;
  // ConsumeNonce succeeds for exactly one caller, atomically (one conditional UPDATE), even
  // across replicas. Unknown, used, expired, other subject or other tenant all fail the same way:
  // reasons::kStoreNonceRejected.
  virtual Status ConsumeNonce(const std::string& caller_tenant, const std::string& subject,
                              const std::string& value, TimePoint now) = 0;

  // CheckNonce fails exactly as ConsumeNonce would at now, without consuming: a caller refuses a
  // stale or foreign nonce before costly work. Only the consume decides (another caller may win
  // the nonce in between).
  virtual Status CheckNonce(const std::string& caller_tenant, const std::string& subject,
                            const std::string& value, TimePoint now) = 0;

  // --- volumes: wrapped keys ---
  // CreateVolume stores volume (id, name, kek_id and wrapped_key set by the caller) for
  // caller_tenant. kStoreInvalidArgument without id, name or wrapped key; kStoreAlreadyExists when
  // the id is taken.
  virtual Result<Volume> CreateVolume(const std::string& caller_tenant, const Volume& volume,
                                      TimePoint now) = 0;
  // GetVolume returns the caller's live volume; deleted or another tenant's: kStoreNotFound.
  virtual Result<Volume> GetVolume(const std::string& caller_tenant,
                                   const std::string& volume_id) = 0;
  virtual Result<std::vector<Volume>> ListVolumes(const std::string& caller_tenant) = 0;
  // DeleteVolume destroys the wrapped key (crypto-shredding; the row stays, keyless, for the audit
  // trail). kStoreNotFound when not the caller's or already deleted.
  virtual Status DeleteVolume(const std::string& caller_tenant, const std::string& volume_id,
                              TimePoint now) = 0;

  // --- VMs and launch tickets ---
  // CreateVm stores vm for caller_tenant after checking, in one transaction, that every volume id
  // is a live volume of the caller (kStoreNotFound naming the first that is not) and that no
  // volume is listed twice (kStoreInvalidArgument). Its interfaces and security groups must be
  // the caller's nets and groups (kStoreNotFound), no group listed twice, and each interface
  // address free on its net among live VMs (kStoreAlreadyExists: pick another and retry).
  virtual Result<Vm> CreateVm(const std::string& caller_tenant, const Vm& vm, TimePoint now) = 0;
  // ListNetAddresses returns the addresses live VMs hold on the net net_id (any tenant: net ids
  // are global and a net has one owner).
  virtual Result<std::vector<std::string>> ListNetAddresses(const std::string& net_id) = 0;
  // ListGroupMemberAddresses returns the addresses of the caller's live VMs in security group
  // group_id (what a rule naming that group as its source admits).
  virtual Result<std::vector<std::string>> ListGroupMemberAddresses(
      const std::string& caller_tenant, const std::string& group_id) = 0;
  // SetVmDomain records the libvirt domain the caller's live VM runs as.
  virtual Status SetVmDomain(const std::string& caller_tenant, const std::string& vm_id,
                             const std::string& domain) = 0;
  // GetVm returns the caller's VM, deleted ones included (deleted_at set).
  virtual Result<Vm> GetVm(const std::string& caller_tenant, const std::string& vm_id) = 0;
  // LookupVm returns any tenant's VM by id, deleted ones included: the key release path, where
  // the evidence (not a credential) authenticates and the VM names its tenant.
  virtual Result<Vm> LookupVm(const std::string& vm_id) = 0;
  // ListVms returns the caller's live (not deleted) VMs by id.
  virtual Result<std::vector<Vm>> ListVms(const std::string& caller_tenant) = 0;
  // DeleteVm marks the VM deleted, spends its outstanding nonces, so no release can follow, and
  // frees its interface addresses.
  // kStoreNotFound when not the caller's or already deleted.
  virtual Status DeleteVm(const std::string& caller_tenant, const std::string& vm_id,
                          TimePoint now) = 0;

  // --- collateral cache ---
  virtual Status PutCollateral(const std::string& caller_tenant, const std::string& key,
                               const Bytes& value, TimePoint fetched_at) = 0;
  virtual Result<CollateralEntry> GetCollateral(const std::string& caller_tenant,
                                                const std::string& key) = 0;

  // --- tenant network resources ---
  // PutSecurityGroup creates name (new_id becomes its id) or replaces the description and rules
  // of the caller's existing name (its id and created_at stay), in one statement. The returned
  // record's id equals new_id exactly when it was created. A new_id already used by any group
  // fails with kStoreAlreadyExists.
  virtual Result<SecurityGroupRecord> PutSecurityGroup(const std::string& caller_tenant,
                                                       const std::string& name,
                                                       const std::string& new_id,
                                                       const std::string& description,
                                                       const std::string& rules, TimePoint now) = 0;
  virtual Result<SecurityGroupRecord> GetSecurityGroup(const std::string& caller_tenant,
                                                       const std::string& name) = 0;
  // ListSecurityGroups returns the caller's groups by name.
  virtual Result<std::vector<SecurityGroupRecord>> ListSecurityGroups(
      const std::string& caller_tenant) = 0;
  virtual Status DeleteSecurityGroup(const std::string& caller_tenant, const std::string& name) = 0;

  // PutNet creates or replaces (cidr, internet_gateway) the caller's net name, as
  // PutSecurityGroup.
  virtual Result<NetRecord> PutNet(const std::string& caller_tenant, const std::string& name,
                                   const std::string& new_id, const std::string& cidr,
                                   bool internet_gateway, TimePoint now) = 0;
  virtual Result<NetRecord> GetNet(const std::string& caller_tenant, const std::string& name) = 0;
  // ListNets returns the caller's nets by name.
  virtual Result<std::vector<NetRecord>> ListNets(const std::string& caller_tenant) = 0;
  virtual Status DeleteNet(const std::string& caller_tenant, const std::string& name) = 0;

  // --- audit log: append-only hash chain ---
  // AppendAudit appends record as the next entry, chained to the newest one, serialised against
  // concurrent appenders (also across replicas).
  virtual Result<AuditEntry> AppendAudit(const AuditRecord& record) = 0;
  // ListAudit returns the caller's entries with seq > after_seq, oldest first, at most limit.
  virtual Result<std::vector<AuditEntry>> ListAudit(const std::string& caller_tenant,
                                                    int64_t after_seq, int64_t limit) = 0;
  // VerifyAudit reads the whole log and checks the chain (VerifyAuditChain with the recorded
  // head). Returns nullopt when intact, else the first break.
  virtual Result<std::optional<AuditChainBreak>> VerifyAudit() = 0;
};

class SqlConnection;

// VerifyAuditLog reads the audit log through db (read-only) and checks its chain against the
// recorded head; num_entries (optional) receives how many entries were checked.
Result<std::optional<AuditChainBreak>> VerifyAuditLog(SqlConnection* db,
                                                      int64_t* num_entries = nullptr);

// OpenSqliteStore opens (creating, migrating) the SQLite database file at path.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               std::shared_ptr<const SecretSealer> sealer);

// OpenPostgresStore connects with a libpq connection string ("" = PG* environment) and migrates.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                 std::shared_ptr<const SecretSealer> sealer);

}  // namespace attest::service::store
