// Shared pieces of the end-to-end tests on real components: shell commands, a real attestd
// process (init, config edits, serve, curl --aws-sigv4 calls), a PostgreSQL database per test,
// and a host whose measured boot runs into a swtpm (the UEFI log crafted with LogBuilder and each
// event extended, so quote and log agree as on a real machine) driven by attest-agent.
//
// Functions that can fail a test are void and use gtest ASSERTs: call them under
// ASSERT_NO_FATAL_FAILURE.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/bytes.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/log_builder.h"
#include "tests/tpm/swtpm_harness.h"

namespace attest::e2e {

struct Output {
  int rc = -1;
  std::string text;  // stdout + stderr (curl: body, a space, the HTTP status)
};

// Sh runs command through /bin/sh and returns its exit code and output (stderr merged).
Output Sh(const std::string& command);
// ShOut is Sh with stderr left out of text (for binary or exact stdout).
Output ShOut(const std::string& command);
std::string Quoted(const std::string& s);
Bytes B(const std::string& s);
// FreePort: a loopback TCP port nothing listens on (0 if none found).
int FreePort();
// StrictCi: under CI=true a missing service fails the test instead of skipping it.
bool StrictCi();

// HttpStatus / JsonBody split a Curl output into its status and its parsed JSON body.
std::string HttpStatus(const Output& out);
nlohmann::json JsonBody(const Output& out);

// PostgresDatabase: a fresh database for one test on the server scripts/services.sh started
// (PG* environment), dropped afterwards. Create skips (or fails under CI=true) without PGHOST.
class PostgresDatabase {
 public:
  void Create(const std::string& prefix);
  ~PostgresDatabase();
  // Conninfo is attestd's --database value ("" before Create).
  std::string Conninfo() const;

 private:
  std::string name_;
};

// Attestd: a real attestd process with its data in dir/attestd, log in dir/attestd.log.
class Attestd {
 public:
  Attestd(std::string bin, std::string dir) : bin_(std::move(bin)), dir_(std::move(dir)) {}
  ~Attestd() { Stop(); }

  // Init runs `attestd init` (database "" = SQLite; extra: more init flags) and loads the
  // configuration it wrote.
  void Init(const std::string& database = "", const std::string& extra = "");
  // config is the configuration Start writes before serving: edit it in between.
  nlohmann::json& config() { return config_; }
  // InitReplicaOf makes this a second replica of first (PostgreSQL): a copy of its data
  // directory (KEK, TLS and token keys, configuration) listening on a port of its own.
  void InitReplicaOf(const Attestd& first);
  void Start();  // writes the config, starts `attestd serve`, waits for /healthz
  void Stop();   // SIGTERM and wait
  void Kill();   // SIGKILL and wait: a crash, nothing flushed or cleaned up

  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  std::string Data() const { return dir_ + "/attestd"; }
  std::string CaCert() const { return Data() + "/tls-cert.pem"; }
  std::string Log() const;
  // OperatorUser is "ACCESS_KEY:SECRET" of the operator credentials init wrote.
  std::string OperatorUser() const;
  // EnrollmentToken creates a host enrollment as the operator (body: {"host_policy": ...} and
  // any of tees, libvirt_uri, expires_in_seconds) and returns its one-time token.
  std::string EnrollmentToken(const nlohmann::json& body) const;

  // Curl calls the API with Debian's curl; with user ("ID:SECRET"), signed with --aws-sigv4.
  Output Curl(const std::string& user, const std::string& method, const std::string& path,
              const std::string& body = "") const;

 private:
  std::string bin_, dir_;
  nlohmann::json config_;
  int port_ = 0;
  pid_t pid_ = 0;
};

// Measurement is one boot event: what the firmware logs and extends.
struct Measurement {
  uint32_t pcr;
  uint32_t type;
  Bytes data;
  Bytes image;  // for boot applications: the digest is of the image, not the event data
};

// MeasuredHost: a swtpm (with an EK certificate from its own local CA) and the host's UEFI log.
class MeasuredHost {
 public:
  explicit MeasuredHost(std::string dir) : dir_(std::move(dir)) {}
  void Start();
  // Boot measures S-CRTM, a boot loader image and the separators of PCRs 0-7.
  void Boot(const Bytes& loader_image);
  // Measure extends each measurement into the swtpm and appends it to the log file.
  void Measure(const std::vector<Measurement>& events);
  // ExtendUnlogged extends pcr with data's digest without logging it.
  void ExtendUnlogged(uint32_t pcr, const std::string& data);

  std::string EventLogPath() const { return dir_ + "/eventlog.bin"; }
  // CredentialsPath: the host's own credential, written by `attest-agent host enroll`.
  std::string CredentialsPath() const { return dir_ + "/agent/credentials"; }
  testing::Swtpm& swtpm() { return *swtpm_; }
  // HostId is the id `attest-agent host enroll` saved with the credential.
  std::string HostId() const;

  // Agent runs `agent_bin host VERB` against attestd with this host's TPM: enroll (extra carries
  // --token) writes the host's credential, every other verb signs with it.
  Output Agent(const std::string& agent_bin, const Attestd& attestd, const std::string& verb,
               const std::string& extra) const;

 private:
  std::string dir_;
  std::unique_ptr<testing::Swtpm> swtpm_;
  tpm::LogBuilder log_ = tpm::LogBuilder::Agile({tpm::kAlgSha1, tpm::kAlgSha256});
};

// Sha256Hex of data, for host policies' boot application digests.
std::string Sha256Hex(ByteSpan data);

}  // namespace attest::e2e
