// FleetOptions: what one fleet_sim run does, read from its command line (fleet_sim --help).
#pragma once

#include <string>
#include <vector>

#include "attest/core/status.h"

namespace attest::bench::fleet {

enum class LoadMode { kOpen, kClosed };

struct FleetOptions {
  // Target: an attestd (or a load balancer) at url, or --self: one started in this process.
  bool self = false;
  std::string url;
  std::string ca_file;
  std::string operator_credentials_file;     // AWS-style INI
  std::string operator_profile = "default";  // its profile (deploy/ha: attestd-operator)
  // The software-TEE hierarchy (FakeSnpPlatform::Save, the software-tee tool's state) that the
  // target attestd trusts as an SNP test root: guests sign their reports with it.
  std::string software_tee_state_file;
  int hosts = 10;
  int guests_per_host = 1;
  double quote_interval_seconds = 60;
  double duration_seconds = 60;
  LoadMode mode = LoadMode::kOpen;
  double guest_pairs_per_second = 0;  // --rate: steady re-attestation of the guests
  int concurrency = 16;
  double tenant_ops_per_second = 1;
  std::vector<int> attestd_pids;
  bool boot_storm = true;
  bool json = false;
};

// kFleetUsage is the --help text.
extern const char kFleetUsage[];

// ParseFleetOptions reads argv[1..argc). Every number is checked against its range, every flag
// is known, and either --self or --url with --ca and --operator-credentials is given. Fails with
// cli.usage naming the flag.
Result<FleetOptions> ParseFleetOptions(int argc, char** argv);

}  // namespace attest::bench::fleet
