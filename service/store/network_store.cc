#include "service/store/network_store.h"

#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kGroup("tenant_id, name, id, description, rules, created_at, updated_at");
constexpr ColumnList kNet("tenant_id, name, id, cidr, internet_gateway, created_at, updated_at");

Result<SecurityGroupRecord> ToGroup(const Row& r) {
  SecurityGroupRecord g;
  g.tenant_id = r.Text(kGroup["tenant_id"]);
  g.name = r.Text(kGroup["name"]);
  g.id = r.Text(kGroup["id"]);
  g.description = r.Text(kGroup["description"]);
  g.rules = r.Text(kGroup["rules"]);
  ATTEST_ASSIGN_OR_RETURN(g.created_at, r.Time(kGroup["created_at"]));
  ATTEST_ASSIGN_OR_RETURN(g.updated_at, r.Time(kGroup["updated_at"]));
  return g;
}

Result<NetRecord> ToNet(const Row& r) {
  NetRecord n;
  n.tenant_id = r.Text(kNet["tenant_id"]);
  n.name = r.Text(kNet["name"]);
  n.id = r.Text(kNet["id"]);
  n.cidr = r.Text(kNet["cidr"]);
  ATTEST_ASSIGN_OR_RETURN(n.internet_gateway, r.Bool(kNet["internet_gateway"]));
  ATTEST_ASSIGN_OR_RETURN(n.created_at, r.Time(kNet["created_at"]));
  ATTEST_ASSIGN_OR_RETURN(n.updated_at, r.Time(kNet["updated_at"]));
  return n;
}

// One reads the single row an upsert returns, or a lookup's row (none: NotFound).
template <typename T>
Result<T> One(const Result<std::vector<SqlRow>>& result, const ColumnList& columns,
              Result<T> (*convert)(const Row&), std::string_view what, std::string_view name) {
  if (!result.ok()) {
    return result.status();
  }
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(*result, columns));
  if (rows.empty()) {
    return NotFound(what, name);
  }
  return convert(rows[0]);
}

}  // namespace

Result<SecurityGroupRecord> NetworkStore::PutSecurityGroup(
    const std::string& caller_tenant, const std::string& name, const std::string& new_id,
    const std::string& description, const std::string& rules, TimePoint now) {
  if (name.empty() || new_id.empty()) {
    return Status(reasons::kStoreInvalidArgument, "security group name or id is empty");
  }
  // One upsert: concurrent puts of one name never create two ids.
  ATTEST_ASSIGN_OR_RETURN(
      auto result,
      db_->Exec(std::string("INSERT INTO security_groups (") + kGroup.sql() +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant_id, name) DO "
                    "UPDATE SET description = excluded.description, rules = excluded.rules, "
                    "updated_at = excluded.updated_at RETURNING " +
                    kGroup.sql(),
                {caller_tenant, name, new_id, description, rules, Unix(now)}));
  if (result.size() != 1) {
    return Corrupt("security group upsert");
  }
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kGroup));
  return ToGroup(rows[0]);
}

Result<SecurityGroupRecord> NetworkStore::GetSecurityGroup(const std::string& caller_tenant,
                                                           const std::string& name) {
  return One(db_->Exec(std::string("SELECT ") + kGroup.sql() +
                           " FROM security_groups WHERE tenant_id = $1 AND name = $2",
                       {caller_tenant, name}),
             kGroup, ToGroup, "security group", name);
}

Result<std::vector<SecurityGroupRecord>> NetworkStore::ListSecurityGroups(
    const std::string& caller_tenant) {
  ATTEST_ASSIGN_OR_RETURN(auto result,
                          db_->Exec(std::string("SELECT ") + kGroup.sql() +
                                        " FROM security_groups WHERE tenant_id = $1 ORDER BY name",
                                    {caller_tenant}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kGroup));
  return rows.Map(ToGroup);
}

Status NetworkStore::DeleteSecurityGroup(const std::string& caller_tenant,
                                         const std::string& name) {
  ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec("DELETE FROM security_groups WHERE tenant_id = "
                                               "$1 AND name = $2 RETURNING id",
                                               {caller_tenant, name}));
  if (rows.empty()) {
    return NotFound("security group", name);
  }
  return Status::Ok();
}

Result<NetRecord> NetworkStore::PutNet(const std::string& caller_tenant, const std::string& name,
                                       const std::string& new_id, const std::string& cidr,
                                       bool internet_gateway, TimePoint now) {
  if (name.empty() || new_id.empty() || cidr.empty()) {
    return Status(reasons::kStoreInvalidArgument, "net name, id or cidr is empty");
  }
  ATTEST_ASSIGN_OR_RETURN(
      auto result,
      db_->Exec(std::string("INSERT INTO nets (") + kNet.sql() +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (tenant_id, name) DO "
                    "UPDATE SET cidr = excluded.cidr, internet_gateway = "
                    "excluded.internet_gateway, updated_at = excluded.updated_at RETURNING " +
                    kNet.sql(),
                {caller_tenant, name, new_id, cidr, int64_t{internet_gateway ? 1 : 0}, Unix(now)}));
  if (result.size() != 1) {
    return Corrupt("net upsert");
  }
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kNet));
  return ToNet(rows[0]);
}

Result<NetRecord> NetworkStore::GetNet(const std::string& caller_tenant, const std::string& name) {
  return One(db_->Exec(std::string("SELECT ") + kNet.sql() +
                           " FROM nets WHERE tenant_id = $1 AND name = $2",
                       {caller_tenant, name}),
             kNet, ToNet, "net", name);
}

Result<std::vector<NetRecord>> NetworkStore::ListNets(const std::string& caller_tenant) {
  ATTEST_ASSIGN_OR_RETURN(auto result,
                          db_->Exec(std::string("SELECT ") + kNet.sql() +
                                        " FROM nets WHERE tenant_id = $1 ORDER BY name",
                                    {caller_tenant}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kNet));
  return rows.Map(ToNet);
}

Status NetworkStore::DeleteNet(const std::string& caller_tenant, const std::string& name) {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db_->Exec("DELETE FROM nets WHERE tenant_id = $1 AND name = $2 RETURNING id",
                           {caller_tenant, name}));
  if (rows.empty()) {
    return NotFound("net", name);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> NetworkStore::ListNetAddresses(const std::string& net_id) {
  ATTEST_ASSIGN_OR_RETURN(auto rows,
                          db_->Exec("SELECT address FROM vm_interfaces WHERE net_id = $1 "
                                    "ORDER BY address",
                                    {net_id}));
  return FirstColumn(rows);
}

Result<std::vector<std::string>> NetworkStore::ListGroupMemberAddresses(
    const std::string& caller_tenant, const std::string& group_id) {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows,
      db_->Exec("SELECT i.address FROM vm_security_groups g JOIN vms v ON v.id = g.vm_id "
                "JOIN vm_interfaces i ON i.vm_id = g.vm_id WHERE g.group_id = $1 AND "
                "v.tenant_id = $2 AND v.deleted_at IS NULL ORDER BY i.address",
                {group_id, caller_tenant}));
  return FirstColumn(rows);
}

}  // namespace attest::service::store
