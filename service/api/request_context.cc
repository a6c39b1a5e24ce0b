#include "service/api/context.h"

#include "service/http/client_address.h"
#include "service/http/request_id.h"

namespace attest::service::api {

RequestContext::RequestContext(const HttpRequest& request, ServiceContext& service, TimePoint now)
    : request(request),
      service(service),
      now(now),
      client_address(http::ResolveClientAddress(request, service.config.trusted_proxies)),
      request_id(http::RequestIdFor(request)) {}

Result<store::Store*> RequestContext::Db() {
  if (!lease_.has_value()) {
    ATTEST_ASSIGN_OR_RETURN(store::StorePool::Lease lease, service.stores->Acquire());
    lease_.emplace(std::move(lease));
  }
  return &**lease_;
}

void RequestContext::DiscardDb() {
  if (lease_.has_value()) {
    lease_->Discard();
  }
}

store::AuditRecord RequestContext::AuditRecordFor(const std::string& action,
                                                  const std::string& subject,
                                                  const std::string& outcome,
                                                  const std::string& detail,
                                                  const std::string& evidence_digest,
                                                  const std::string& policy_version) const {
  store::AuditRecord record;
  record.tenant_id = caller.tenant_id;
  record.at = now;
  record.actor = caller.access_key_id.empty() ? "public" : caller.access_key_id;
  record.action = action;
  record.subject = subject;
  record.evidence_digest = evidence_digest;
  record.policy_version = policy_version;
  record.outcome = outcome;
  record.detail = detail;
  record.client_address = client_address;
  return record;
}

Status RequestContext::Audit(const std::string& action, const std::string& subject,
                             const std::string& outcome, const std::string& detail,
                             const std::string& evidence_digest,
                             const std::string& policy_version) {
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, Db());
  return db
      ->AppendAudit(
          AuditRecordFor(action, subject, outcome, detail, evidence_digest, policy_version))
      .status();
}

}  // namespace attest::service::api
