// FleetTarget: the attestd (or load balancer) a fleet run talks to, and what the simulator must
// know about it: endpoint and CA, the operator's credentials, the SNP test hierarchy its key
// release trusts, and how to read its CPU time.
#pragma once

#include <functional>
#include <string>

#include "attest/core/status.h"
#include "client/api_client.h"
#include "sigv4/signer.h"

namespace attest::bench::fleet {

struct FleetTarget {
  client::ClientConfig client;  // endpoint + CA; sign = false (requests are signed per principal)
  sigv4::Credentials operator_credentials;
  std::string snp_platform_saved;  // FakeSnpPlatform::Save; empty: no guests
  std::string database;            // "sqlite", "postgres" or "external"
  // cpu_ms: the attestd CPU used so far (all its processes, or this whole process in --self).
  std::function<Result<double>()> cpu_ms;
};

}  // namespace attest::bench::fleet
