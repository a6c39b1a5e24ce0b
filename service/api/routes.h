// The route groups of the API; Api's constructor registers each.
#pragma once

#include "service/api/context.h"

namespace attest::service::api {

void AddHealthRoutes(ApiRouter& router);      // /healthz /readyz /metrics
void AddPolicyRoutes(ApiRouter& router);      // tenant policies
void AddAuditRoutes(ApiRouter& router);       // tenant audit log
void AddTenantRoutes(ApiRouter& router);      // operator: tenants
void AddHostPolicyRoutes(ApiRouter& router);  // operator: host policies
void AddHostRoutes(
    ApiRouter& router);  // operator: host registration and attestation (hosts helper)
void AddCollateralRoutes(ApiRouter& router);  // operator: offline collateral bundles
void AddNetworkRoutes(ApiRouter& router);     // tenant: security groups and nets (issue 10)

}  // namespace attest::service::api
