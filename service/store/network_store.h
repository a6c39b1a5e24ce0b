// NetworkStore: tenants' private networks (nets), security groups, and the addresses VMs hold.
#pragma once

#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

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

// NetworkStore reads and writes the nets and security_groups tables, and reads the addresses in
// vm_interfaces, over one connection (a view: it does not own db).
class NetworkStore {
 public:
  explicit NetworkStore(SqlConnection* db) : db_(db) {}

  // PutSecurityGroup creates name (new_id becomes its id) or replaces the description and rules
  // of the caller's existing name (its id and created_at stay), in one statement. The returned
  // record's id equals new_id exactly when it was created. A new_id already used by any group
  // fails with kStoreAlreadyExists.
  Result<SecurityGroupRecord> PutSecurityGroup(const std::string& caller_tenant,
                                               const std::string& name, const std::string& new_id,
                                               const std::string& description,
                                               const std::string& rules, TimePoint now);
  Result<SecurityGroupRecord> GetSecurityGroup(const std::string& caller_tenant,
                                               const std::string& name);
  // ListSecurityGroups returns the caller's groups by name.
  Result<std::vector<SecurityGroupRecord>> ListSecurityGroups(const std::string& caller_tenant);
  Status DeleteSecurityGroup(const std::string& caller_tenant, const std::string& name);

  // PutNet creates or replaces (cidr, internet_gateway) the caller's net name, as
  // PutSecurityGroup.
  Result<NetRecord> PutNet(const std::string& caller_tenant, const std::string& name,
                           const std::string& new_id, const std::string& cidr,
                           bool internet_gateway, TimePoint now);
  Result<NetRecord> GetNet(const std::string& caller_tenant, const std::string& name);
  // ListNets returns the caller's nets by name.
  Result<std::vector<NetRecord>> ListNets(const std::string& caller_tenant);
  Status DeleteNet(const std::string& caller_tenant, const std::string& name);

  // ListNetAddresses returns the addresses live VMs hold on the net net_id (any tenant: net ids
  // are global and a net has one owner).
  Result<std::vector<std::string>> ListNetAddresses(const std::string& net_id);
  // ListGroupMemberAddresses returns the addresses of the caller's live VMs in security group
  // group_id (what a rule naming that group as its source admits).
  Result<std::vector<std::string>> ListGroupMemberAddresses(const std::string& caller_tenant,
                                                            const std::string& group_id);

 private:
  SqlConnection* db_;
};

}  // namespace attest::service::store
