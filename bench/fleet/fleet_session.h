// FleetSession: one simulated fleet against one target: its tenant, host and tenant policies, N
// hosts each with a software TPM (enrolled through the real flow: enrollment token, EK + AK,
// credential activation), M guests per host (a volume and a VM each, evidence from the host's
// software TEE), and the operations a run schedules: a host quote, a guest's challenge + attest,
// a tenant API call. Every operation's outcome goes to the OpRecorder it is given.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/tpm/eventlog.h"
#include "bench/fleet/fleet_target.h"
#include "bench/fleet/guest_tees.h"
#include "bench/fleet/op_recorder.h"
#include "client/api_client.h"
#include "protocol/jwe.h"
#include "tests/testing/fake_tpm.h"

namespace attest::bench::fleet {

using Clock = std::chrono::steady_clock;

// HostEvidence: the boot every simulated host replays into its PCRs (a real firmware log).
struct HostEvidence {
  Bytes event_log;
  std::string event_log_b64;
  tpm::PcrBanks pcrs;
  nlohmann::json pcrs_json;
};

struct SimHost {
  testing::FakeTpm tpm;
  int machine = 0;  // its software-TEE machine (SimulatedPlatform)
  std::string platform_canonical;
  nlohmann::json platform_json;
  std::string id;  // set once enrolled
  sigv4::Credentials credentials;
};

struct SimGuest {
  std::string vm_id;
  int machine = 0;
  Bytes host_data;
  std::string public_jwk;
  protocol::GuestPublicKey key;
};

class FleetSession {
 public:
  // Create connects (one client: a pool of keep-alive connections shared by every principal),
  // makes the hosts' software TPMs (ECC P-256 EKs: an RSA keygen per host would dominate setup)
  // and creates the tenant and both policies. Fails with the client's reasons.
  static Result<std::unique_ptr<FleetSession>> Create(const FleetTarget& target, int hosts,
                                                      int guests_per_host);

  // EnrollAndPlace enrolls host h, quotes once (it becomes trusted) and creates its guests'
  // volumes and VMs; records enroll, host_quote, volume_create, vm_create. False on a failure.
  bool EnrollAndPlace(int h, OpRecorder& rec);

  // The operations, latency measured from `scheduled` (open loop: the planned time; closed loop:
  // the start of the call).
  void HostQuote(int h, Clock::time_point scheduled, OpRecorder& rec);
  void GuestRelease(int g, Clock::time_point scheduled, OpRecorder& rec);
  void TenantOp(int k, Clock::time_point scheduled, OpRecorder& rec);

  int hosts() const { return static_cast<int>(hosts_.size()); }
  int guests() const;
  int guests_per_host() const { return guests_per_host_; }

 private:
  FleetSession() = default;
  Status CreateTenantAndPolicies();
  const sigv4::Credentials& Tenant() const { return tenant_; }

  FleetTarget target_;
  std::unique_ptr<client::ApiClient> client_;
  std::unique_ptr<GuestTees> tees_;
  HostEvidence evidence_;
  std::vector<SimHost> hosts_;
  int guests_per_host_ = 0;
  sigv4::Credentials tenant_;
  mutable std::mutex mu_;  // guards guests_ and machine_of_host_
  std::vector<SimGuest> guests_;
  std::map<std::string, int> machine_of_host_;
};

}  // namespace attest::bench::fleet
