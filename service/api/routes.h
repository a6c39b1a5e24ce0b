// The route groups of the API; Api's constructor registers each.
#pragma once

#include "service/api/context.h"

namespace attest::service::api {

void AddHealthRoutes(ApiRouter& router);       // /healthz /readyz /metrics
void AddPolicyRoutes(ApiRouter& router);       // tenant policies
void AddAuditRoutes(ApiRouter& router);        // tenant audit log
void AddTenantRoutes(ApiRouter& router);       // operator: tenants
void AddHostPolicyRoutes(ApiRouter& router);   // operator: host policies
void AddHostRoutes(ApiRouter& router);         // hosts: attestation (host), list/read/delete
void AddEnrollmentRoutes(ApiRouter& router);   // host enrollment tokens, enroll, activate
void AddCollateralRoutes(ApiRouter& router);   // operator: offline collateral bundles
void AddNetworkRoutes(ApiRouter& router);      // tenant: security groups and nets (issue 10)
void AddVolumeRoutes(ApiRouter& router);       // tenant: volumes and their keys (issue 9)
void AddVmRoutes(ApiRouter& router);           // tenant: VM records and launch tickets (issue 9)
void AddAttestRoutes(ApiRouter& router);       // public: guest key release (issue 9)
void AddWebhookRoutes(ApiRouter& router);      // any caller: its webhooks (issue 15)
void AddMeasurementRoutes(ApiRouter& router);  // tenant: expected launch measurements (issue 18)
// tenant: boot images (issue 20); kernel and initrd uploads are streamed routes
void AddBootImageRoutes(ApiRouter& router, StreamRouter& streams);

}  // namespace attest::service::api
