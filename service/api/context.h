// The state a request handler sees: the service (shared by every request) and the request's own
// context (the authenticated caller, path captures, a leased database connection).
//
// Handlers are plain functions `HttpResponse(RequestContext&)`: tests call them with an
// HttpRequest they build, no socket involved.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/ossl.h"
#include "attest/core/time.h"
#include "attest/sev/verify.h"
#include "service/api/reasons.h"
#include "service/http/body_sink.h"
#include "service/http/concurrency_gate.h"
#include "service/http/ip_address.h"
#include "service/http/rate_limit.h"
#include "service/http/response.h"
#include "service/http/router.h"
#include "service/keys/kek.h"
#include "service/keys/volume.h"
#include "service/launch/settings.h"
#include "service/metrics/registry.h"
#include "service/store/pool.h"
#include "service/store/store.h"
#include "service/work/slow_work.h"
#include "sigv4/http_request.h"

namespace attest::service::release {
class TrustAnchors;      // service/release/release.h
class EphemeralKeyPool;  // service/release/ephemeral_key_pool.h
}  // namespace attest::service::release
namespace attest::service::hosts {
class EkTrust;  // service/hosts/ek_trust.h
}  // namespace attest::service::hosts

namespace attest::service::api {

// DefaultTenantNetPools: the RFC 1918 ranges 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16.
std::vector<http::IpNetwork> DefaultTenantNetPools();
struct HealthSnapshots;  // service/api/health_snapshot.h

// ServiceConfig: the API's tunables (attestd's config file fills it).
struct ServiceConfig {
  std::string region = "local";     // SigV4 credential scope
  std::string service = "attestd";  // SigV4 credential scope
  // max_presign: the longest X-Amz-Expires a presigned URL may have (they sign GET and HEAD
  // only; every other signed request is accepted once).
  std::chrono::seconds max_presign{900};
  std::chrono::seconds nonce_ttl{300};
  // Cached revocation data and TCB info fetched longer ago fail verification (collateral.stale):
  // max_collateral_age_seconds (issue 19). Zero: no bound beyond the items' own windows.
  std::chrono::seconds max_collateral_age{7 * 86400};
  // ek_ca_bundle: the operator's EK CAs (a PEM/DER file or a directory of *.pem / *.crt), trusted
  // besides the TPM vendors' bundle compiled into attestd (deploy/ek-ca/); swtpm's local CA in
  // tests. Every host needs an EK certificate that chains to one of them, unless
  // allow_hosts_without_ek_cert: then a host without one is accepted on the operator's word (a
  // certificate that is sent must still verify).
  std::string ek_ca_bundle;
  bool allow_hosts_without_ek_cert = false;
  // host_trust_ttl: how long an accepted host quote keeps the host trusted (host policies have no
  // maximum age of their own). The agent must quote more often than this.
  std::chrono::seconds host_trust_ttl{600};

  // --- key release (issue 9) ---
  // volume_dir: where LUKS2 images are made (<volume_dir>/<volume id>.img, 0600). "" = only
  // key-only volumes (a size_bytes > 0 is refused).
  std::string volume_dir;
  uint64_t max_volume_bytes = 64ull << 30;  // largest LUKS2 image a tenant may ask for
  keys::LuksOptions luks;
  // Rate limits on the public key release routes, per replica: requests per minute per VM id
  // and per source address on each of /v1/attest/challenge and /v1/attest (burst = the rate).
  int64_t release_rate_per_vm_per_minute = 30;
  int64_t release_rate_per_address_per_minute = 600;
  // max_concurrent_verifications: evidence verifications POST /v1/attest runs at once on this
  // replica; one more answers 503 api.verifications_busy (Retry-After: 1) without touching its
  // nonce. attestd sets it below server_threads (default half of them).
  size_t max_concurrent_verifications = 4;
  // trusted_proxies: peers whose Forwarded / X-Forwarded-For headers name the client
  // (service/http/client_address.h); empty = every peer is the client.
  std::vector<http::IpNetwork> trusted_proxies;
  // metrics_allowed_cidrs: clients (RequestContext::client_address, so behind trusted_proxies
  // the address they report) that may read GET /metrics; others get 403
  // api.metrics_not_allowed. Empty = every client.
  std::vector<http::IpNetwork> metrics_allowed_cidrs;
  // Result tokens (EAR JWT): issuer and lifetime.
  std::string token_issuer = "attestd";
  std::chrono::seconds token_ttl{300};
  // webhooks_allow_loopback_http: webhooks may use http:// to a loopback host (tests only);
  // otherwise https only (service/events/webhook_url.h).
  bool webhooks_allow_loopback_http = false;
  // allow_test_libvirt_uris: hosts may be enrolled with libvirt's test driver (test:///default,
  // test:///FILE); tests only. Other libvirt URIs: service/api/libvirt_uri.h.
  bool allow_test_libvirt_uris = false;
  // tenant_net_pools: the IPv4 ranges tenant nets are drawn from (a net lies inside one of them);
  // reserved_cidrs: ranges no tenant net may overlap (the operator's own infrastructure).
  std::vector<http::IpNetwork> tenant_net_pools = DefaultTenantNetPools();
  std::vector<http::IpNetwork> reserved_cidrs;
  // access_log: one log line per request (service/log/log.h).
  bool access_log = true;
  // The slow-work pool (service/work/slow_work.h): luksFormat and libvirt calls run on
  // slow_work_threads workers with at most slow_work_queue more waiting; beyond that: 503
  // work.busy. attestd keeps threads + queue below server_threads.
  size_t slow_work_threads = 2;
  size_t slow_work_queue = 2;

  // --- boot images (issue 20) ---
  // Uploaded kernels and initrds are stored in volume_dir (0600, beside the volumes); none
  // without one. max_boot_image_bytes bounds each uploaded file; max_cmdline_bytes the cmdline.
  uint64_t max_boot_image_bytes = uint64_t{256} << 20;
  size_t max_cmdline_bytes = 4096;
  // published_boot_image_dir: the operator's images tenants may reference by name, read-only
  // ("" = none); boot_image_routes.cc documents its layout.
  std::string published_boot_image_dir;
};

// ReleaseLimits: the rate limiters and the verification gate of the key release routes (in
// memory, per replica).
struct ReleaseLimits {
  explicit ReleaseLimits(const ServiceConfig& c)
      : per_vm(c.release_rate_per_vm_per_minute),
        per_address(c.release_rate_per_address_per_minute),
        verifications(c.max_concurrent_verifications) {}
  http::RateLimiter per_vm;
  http::RateLimiter per_address;
  http::ConcurrencyGate verifications;
};

// MeasurementFirmware: the operator's firmware images POST /v1/measurements measures with (read
// and checked against their configured SHA-256 at start); null = that TEE is not offered.
struct MeasurementFirmware {
  std::shared_ptr<const Bytes> amd;  // OVMF for SEV, SEV-ES and SEV-SNP (snp_firmware_image)
  std::shared_ptr<const Bytes> tdx;  // TDVF / OVMF with TDX metadata (tdx_firmware_image)
};

struct ServiceContext {
  ServiceConfig config;
  store::StorePool* stores = nullptr;
  metrics::Registry* metrics = nullptr;
  std::function<TimePoint()> now;  // the wall clock in attestd; fixed in tests
  // kek: the service's key-encryption key (the one the store's SecretSealer seals credentials
  // with); volume keys are wrapped by it. Null only in tests that need no keys.
  std::shared_ptr<const keys::KeyEncryptionKey> kek;
  // anchors: the vendor roots (or, only when the configuration names them, test roots) key
  // release verifies evidence against, with their caches. Shared by every request.
  const release::TrustAnchors* anchors = nullptr;
  // token_key: the EC P-256 / P-384 private key that signs result tokens (owned by the caller;
  // attestd's token_key file). Null: POST /v1/attest answers 500 (not configured).
  EVP_PKEY* token_key = nullptr;
  // ek_trust: the EK CAs and the allow_hosts_without_ek_cert switch host registration checks
  // against. attestd loads it at start (and stops on a bad ek_ca_bundle); when null, Api makes it
  // from config, and host registration answers 500 if that fails.
  std::shared_ptr<const hosts::EkTrust> ek_trust;
  // release_limits: made by Api from config when null.
  std::shared_ptr<ReleaseLimits> release_limits;
  // Launching VMs on hosts (issue 10): the operator's settings, and how to reach a host's
  // libvirtd (attestd: libvirt; tests: fakes). No connector: VM records only, no launches.
  launch::LaunchSettings launch;
  launch::HypervisorConnector connect_hypervisor;
  // slow_work: where handlers run luksFormat and libvirt calls; made by Api from config when null.
  std::shared_ptr<work::SlowWork> slow_work;
  // health: the /readyz and /metrics snapshots shared by every request (at most one database
  // check per second however many callers); made by Api when null.
  std::shared_ptr<HealthSnapshots> health;
  MeasurementFirmware measurement_firmware;
  // sev_roots: the AMD ARK/ASK pairs a host's SEV PDH chain must lead to before attestd, as the
  // guest owner of a SEV / SEV-ES VM, opens a launch session with it; null = the built-in roots
  // (attest/sev/data). Tests set their firmware model's roots.
  std::shared_ptr<const std::vector<sev::AmdRoot>> sev_roots;
  // ephemeral_keys: P-384 keys made ahead by a background thread, one per key release (owned by
  // the caller; attestd's `ephemeral_key_pool` setting sizes it). Null: each release makes its own.
  release::EphemeralKeyPool* ephemeral_keys = nullptr;
};

// Caller: who signed the request (unset for public routes).
struct Caller {
  std::string tenant_id;  // a host caller's is the operator tenant that enrolled it
  store::Role role = store::Role::kTenant;
  std::string access_key_id;
  std::string host_id;  // set only for role kHost: the host whose own credential signed
};

class RequestContext {
 public:
  RequestContext(const HttpRequest& request, ServiceContext& service, TimePoint now);

  const HttpRequest& request;
  ServiceContext& service;
  const TimePoint now;  // one reading of the clock per request
  // client_address: the client's address (the peer, or what a trusted proxy reports), for rate
  // limits, logs and audit; "" when the request has no peer (tests).
  const std::string client_address;
  // request_id: the client's X-Request-Id or a new one (service/http/request_id.h), echoed in the
  // response and in every log line about the request.
  const std::string request_id;
  http::PathParams params;
  Caller caller;
  // body_sha256: hex SHA-256 of request.body, computed once by authentication (SigV4 hashes the
  // body anyway); empty on public routes.
  std::string body_sha256;
  // declared_sha256: a streamed request's signed x-amz-content-sha256 (its body is not here yet).
  std::string declared_sha256;

  // Param returns the path capture name (the router guarantees it exists and is a valid name).
  const std::string& Param(const std::string& name) const { return params.at(name); }

  // Db leases a database connection on first use and keeps it for the rest of the request.
  Result<store::Store*> Db();
  // DiscardDb drops the leased connection instead of returning it to the pool.
  void DiscardDb();

  // AuditRecordFor is the record Audit appends, for a caller that writes it itself (inside a
  // transaction of its own, Store::RecordHostQuote).
  store::AuditRecord AuditRecordFor(const std::string& action, const std::string& subject,
                                    const std::string& outcome, const std::string& detail = "",
                                    const std::string& evidence_digest = "",
                                    const std::string& policy_version = "") const;

  // Audit appends a record for this request's caller (actor = access key id, or "public").
  Status Audit(const std::string& action, const std::string& subject, const std::string& outcome,
               const std::string& detail = "", const std::string& evidence_digest = "",
               const std::string& policy_version = "");

 private:
  std::optional<store::StorePool::Lease> lease_;
};

// A handler returns its response, or a Status that becomes the error response
// (http::ErrorFromStatus): a 4xx for anything the caller sent.
using Handler = std::function<Result<http::HttpResponse>(RequestContext&)>;
using ApiRouter = http::Router<Handler>;

// StreamEndpoint: a route whose body is streamed (service/http/body_sink.h): its body limit from
// the configuration, and what opens its sink once the head is authenticated and allowed.
struct StreamEndpoint {
  uint64_t (*max_body_bytes)(const ServiceConfig& config) = nullptr;
  std::function<Result<std::unique_ptr<http::BodySink>>(RequestContext&)> open;
};
using StreamRouter = http::Router<StreamEndpoint>;

}  // namespace attest::service::api
