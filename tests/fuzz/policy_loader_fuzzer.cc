// Fuzzes the tenant and host policy loaders (JSON -> protobuf with path errors, rule checks) and,
// for documents that load, the policy identity computation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "policy/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto tenant = attest::policy::LoadTenantPolicy(text);
  if (tenant.ok()) {
    (void)attest::policy::PolicyIdentity(*tenant, tenant->name());
  }
  auto host = attest::policy::LoadHostPolicy(text);
  if (host.ok()) {
    (void)attest::policy::PolicyIdentity(*host, host->name());
  }
  return 0;
}
