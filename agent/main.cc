// attest-agent: the usage text, the dispatch, and the host commands (`host enroll|run` with
// attestd; `host register|activate|quote` offline, whose outputs `attestctl verify tpm` reads).
// The guest commands are in guest_cli.cc.

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "agent/cli.h"
#include "agent/host_commands.h"
#include "agent/host_loop.h"
#include "agent/host_platform_source.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/json.h"
#include "attest/tpm/alg.h"
#include "client/api_client.h"
#include "flags/args.h"
#include "protocol/host_platform.h"

namespace {

using attest::Status;
using attest::flags::Args;
using attest::flags::FlagSpec;

constexpr char kUsage[] =
    "usage:\n"
    "  attest-agent host register --tcti CONF --out DIR [--ak ecdsa|rsa]\n"
    "                             [--ek-alg rsa|ecc-p256|ecc-p384]\n"
    "  attest-agent host activate --tcti CONF --credential FILE --secret FILE --out FILE "
    "[--ak ecdsa|rsa]\n"
    "                             [--ek-alg rsa|ecc-p256|ecc-p384]\n"
    "  attest-agent host quote --tcti CONF --nonce HEX --out DIR [--pcrs 0,1,...] "
    "[--banks sha1,sha256] [--eventlog PATH] [--drtm-log PATH] [--ak ecdsa|rsa]\n"
    "                         [PLATFORM]   (quotes over the nonce bound to the platform document)\n"
    "  attest-agent guest keygen --out KEYFILE            (prints the public JWK)\n"
    "  attest-agent guest evidence --nonce HEX --key KEYFILE --out DIR [--tsm-root PATH] "
    "[--sev-device PATH]\n"
    "  attest-agent guest decrypt --jwe FILE --key KEYFILE   (volume key to stdout)\n"
    "  attest-agent guest unlock --endpoint URL --vm-id ID [--ca-cert FILE] [--volume ID ...]\n"
    "                            [--out FILE|DIR|-] [--tsm-root PATH] [--sev-device PATH]\n"
    "                            [--evidence-command CMD]   (volume key to stdout by default)\n"
    "  attest-agent host enroll --endpoint URL --token TOKEN --tcti CONF [--out FILE]\n"
    "                           [--ca-cert FILE] [--ak ecdsa|rsa] [--ek-alg "
    "rsa|ecc-p256|ecc-p384]\n"
    "                           [PLATFORM] [--endorsements DIR]\n"
    "  attest-agent host run --endpoint URL --tcti CONF [--credentials FILE] [--interval SECONDS]\n"
    "                        [--once] [--ca-cert FILE] [--region R] [--pcrs 0,1,...]\n"
    "                        [--eventlog PATH] [--drtm-log PATH] [--ak ecdsa|rsa] [PLATFORM]\n"
    "PLATFORM is the host's TEE platform identity, reported at enrollment and with every quote:\n"
    "  [--snp [--sev-device /dev/sev]] [--pck-cert FILE]  (SNP chip ids, TDX PCK identity), or\n"
    "  --platform-file FILE  (a complete identity document)\n"
    "The host's own credential (written by enroll, read by run): FILE, default "
    "/var/lib/attest-agent/credentials\n"
    "CONF is a TCTI string, e.g. swtpm:host=127.0.0.1,port=2321 or device:/dev/tpmrm0";

// PlatformSourcesFrom reads the PLATFORM flags.
attest::Result<attest::agent::PlatformSources> PlatformSourcesFrom(const Args& args) {
  attest::agent::PlatformSources sources;
  sources.snp = args.Has("snp");
  if (auto device = args.Get("sev-device")) {
    if (!sources.snp) {
      return Status(attest::reasons::kCliUsage, "--sev-device: only with --snp");
    }
    sources.sev_device = *device;
  }
  sources.pck_cert_file = args.Get("pck-cert");
  sources.platform_file = args.Get("platform-file");
  if (sources.platform_file && (sources.snp || sources.pck_cert_file)) {
    return Status(attest::reasons::kCliUsage,
                  "--platform-file: a complete document, not combined with --snp or --pck-cert");
  }
  return sources;
}

using attest::agent::cli::Fail;

attest::Result<attest::agent::AkAlgorithm> AkAlg(const Args& args) {
  const std::string name = args.Get("ak").value_or("ecdsa");
  if (name == "ecdsa") {
    return attest::agent::AkAlgorithm::kEcdsaP256;
  }
  if (name == "rsa") {
    return attest::agent::AkAlgorithm::kRsaSsa2048;
  }
  return Status(attest::reasons::kCliUsage, "--ak must be ecdsa or rsa");
}

// EkAlg reads --ek-alg: which TCG EK template (and EK certificate) the host uses; rsa (L-1) by
// default, ecc-p256 (L-2) or ecc-p384 (H-4).
attest::Result<attest::agent::EkAlgorithm> EkAlg(const Args& args) {
  const std::string name = args.Get("ek-alg").value_or("rsa");
  if (name == "rsa") {
    return attest::agent::EkAlgorithm::kRsa2048;
  }
  if (name == "ecc-p256") {
    return attest::agent::EkAlgorithm::kEccP256;
  }
  if (name == "ecc-p384") {
    return attest::agent::EkAlgorithm::kEccP384;
  }
  return Status(attest::reasons::kCliUsage, "--ek-alg must be rsa, ecc-p256 or ecc-p384");
}

attest::Result<std::vector<std::string>> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) {
      return Status(attest::reasons::kCliUsage, "empty item in list " + text);
    }
    out.push_back(item);
  }
  return out;
}

attest::Result<std::vector<uint32_t>> ParsePcrList(const std::string& text) {
  ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> items, SplitList(text));
  std::vector<uint32_t> pcrs;
  for (const std::string& item : items) {
    if (item.size() > 2 || item.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(item) > 23) {
      return Status(attest::reasons::kCliUsage, "--pcrs: bad PCR " + item);
    }
    pcrs.push_back(static_cast<uint32_t>(std::stoul(item)));
  }
  return pcrs;
}

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

std::string Timestamp() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// PrintDecision writes one line per quote: what the service decided and why.
void PrintDecision(const attest::agent::Decision& d) {
  std::cout << Timestamp() << " host " << attest::StringMember(d.body, "host_id") << ": "
            << (d.trusted ? "trusted until " + attest::StringMember(d.body, "trusted_until")
                          : "untrusted (HTTP " + std::to_string(d.http_status) + ")");
  const auto reasons = d.body.is_object() ? d.body.find("reasons") : d.body.end();
  if (reasons != d.body.end() && reasons->is_array() && !reasons->empty()) {
    std::cout << " reasons:";
    for (const auto& r : *reasons) {
      std::cout << " " << attest::StringMember(r, "code");
    }
  }
  std::cout << std::endl;
}

// RunHostApi: `host enroll` and `host run`, the agent against attestd's API. run --once exits 0
// when the host was found trusted, 1 when the service refused it, 3 when it could not attest
// (transport, HTTP or TPM error); without --once it never exits on such errors, it backs off.
int RunHostApi(int argc, char** argv, const std::string& verb) {
  const FlagSpec spec{{"endpoint", "ca-cert", "region", "tcti", "token", "out", "credentials", "ak",
                       "ek-alg", "interval", "pcrs", "eventlog", "drtm-log", "sev-device",
                       "pck-cert", "platform-file", "endorsements"},
                      {"once", "snp"}};
  auto args = Args::Parse(argc, argv, 3, spec);
  if (!args.ok()) {
    return Fail(args.status());
  }
  attest::agent::HostAgentConfig config;
  auto endpoint = args->Require("endpoint");
  auto tcti = args->Require("tcti");
  auto ak_alg = AkAlg(*args);
  if (!endpoint.ok()) {
    return Fail(endpoint.status());
  }
  if (!tcti.ok()) {
    return Fail(tcti.status());
  }
  if (!ak_alg.ok()) {
    return Fail(ak_alg.status());
  }
  auto ek_alg = EkAlg(*args);
  if (!ek_alg.ok()) {
    return Fail(ek_alg.status());
  }
  config.tcti = *tcti;
  config.ak_alg = *ak_alg;
  config.ek_alg = *ek_alg;
  if (auto pcrs = args->Get("pcrs")) {
    auto list = ParsePcrList(*pcrs);
    if (!list.ok()) {
      return Fail(list.status());
    }
    config.pcrs = *list;
  }
  if (auto path = args->Get("eventlog")) {
    config.eventlog_path = *path;
  }
  config.drtm_log_path = args->Get("drtm-log");
  auto platform = PlatformSourcesFrom(*args);
  if (!platform.ok()) {
    return Fail(platform.status());
  }
  config.platform = *platform;
  attest::client::ClientConfig client_config;
  client_config.endpoint = *endpoint;
  client_config.ca_cert_file = args->Get("ca-cert").value_or("");
  if (auto region = args->Get("region")) {
    client_config.region = *region;
  }
  constexpr char kDefaultCredentials[] = "/var/lib/attest-agent/credentials";

  if (verb == "enroll") {
    // No credential exists yet: the token authenticates the enrollment, the TPM the activation.
    auto token = args->Require("token");
    if (!token.ok()) {
      return Fail(token.status());
    }
    client_config.sign = false;
    auto api = attest::client::ApiClient::Create(client_config);
    if (!api.ok()) {
      return Fail(api.status());
    }
    auto identity = attest::agent::Enroll(config, **api, *token);
    if (!identity.ok()) {
      return Fail(identity.status());
    }
    const std::string out = args->Get("out").value_or(kDefaultCredentials);
    if (Status s = attest::agent::WriteHostCredentials(out, *identity); !s.ok()) {
      return Fail(s);
    }
    std::cout << "enrolled host " << identity->host_id << " (credential in " << out << ", profile "
              << attest::agent::kHostProfile << ")\n";
    if (auto dir = args->Get("endorsements")) {
      // The host's own AMD endorsements, so the first guest here needs no KDS round trip. The
      // host is enrolled whatever becomes of them: a failure is reported, not undone.
      client_config.sign = true;
      client_config.credentials = identity->credentials;
      auto signed_api = attest::client::ApiClient::Create(client_config);
      auto answer = signed_api.ok()
                        ? attest::agent::UploadEndorsements(**signed_api, identity->host_id, *dir)
                        : attest::Result<nlohmann::json>(signed_api.status());
      if (!answer.ok()) {
        std::cerr << "attest-agent: endorsements not uploaded: " << answer.status().ToString()
                  << "\n";
        return 1;
      }
      std::cout << "endorsements: " << answer->dump() << "\n";
    }
    return 0;
  }

  auto identity =
      attest::agent::ReadHostCredentials(args->Get("credentials").value_or(kDefaultCredentials));
  if (!identity.ok()) {
    return Fail(identity.status());
  }
  client_config.credentials = identity->credentials;
  auto api = attest::client::ApiClient::Create(client_config);
  if (!api.ok()) {
    return Fail(api.status());
  }
  const std::string& host_id = identity->host_id;

  int interval = 60;
  if (auto text = args->Get("interval")) {
    if (text->empty() || text->size() > 6 ||
        text->find_first_not_of("0123456789") != std::string::npos || std::stoi(*text) < 1) {
      return Fail(Status(attest::reasons::kCliUsage, "--interval: 1..999999 seconds"));
    }
    interval = std::stoi(*text);
  }
  if (args->Has("once")) {
    auto decision = attest::agent::AttestOnce(config, **api, host_id);
    if (!decision.ok()) {
      std::cerr << "attest-agent: " << decision.status().ToString() << "\n";
      return 3;
    }
    PrintDecision(*decision);
    return decision->trusted ? 0 : 1;
  }
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  int failures = 0;
  while (g_stop == 0) {
    auto decision = attest::agent::AttestOnce(config, **api, host_id);
    if (decision.ok()) {
      failures = 0;
      PrintDecision(*decision);
    } else {
      ++failures;
      std::cerr << Timestamp() << " attest-agent: " << decision.status().ToString() << "\n";
    }
    const int delay = attest::agent::NextDelaySeconds(decision.ok(), failures, interval);
    for (int i = 0; i < delay * 10 && g_stop == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return 0;
}

int RunHost(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << kUsage << "\n";
    return 2;
  }
  const std::string verb = argv[2];
  if (verb == "enroll" || verb == "run") {
    return RunHostApi(argc, argv, verb);
  }
  const FlagSpec spec{{"tcti", "out", "ak", "ek-alg", "credential", "secret", "nonce", "pcrs",
                       "banks", "eventlog", "drtm-log", "sev-device", "pck-cert", "platform-file"},
                      {"snp"}};
  auto args = Args::Parse(argc, argv, 3, spec);
  if (!args.ok()) {
    return Fail(args.status());
  }
  auto tcti = args->Require("tcti");
  auto out = args->Require("out");
  auto ak_alg = AkAlg(*args);
  if (!tcti.ok()) {
    return Fail(tcti.status());
  }
  if (!out.ok()) {
    return Fail(out.status());
  }
  if (!ak_alg.ok()) {
    return Fail(ak_alg.status());
  }
  auto ek_alg = EkAlg(*args);
  if (!ek_alg.ok()) {
    return Fail(ek_alg.status());
  }

  if (verb == "register") {
    Status s = attest::agent::Register(*tcti, *ak_alg, *ek_alg, *out);
    return s.ok() ? 0 : Fail(s);
  }
  if (verb == "activate") {
    auto cred_path = args->Require("credential");
    auto secret_path = args->Require("secret");
    if (!cred_path.ok()) {
      return Fail(cred_path.status());
    }
    if (!secret_path.ok()) {
      return Fail(secret_path.status());
    }
    auto cred = attest::ReadFileBytes(*cred_path);
    auto secret = attest::ReadFileBytes(*secret_path);
    if (!cred.ok()) {
      return Fail(cred.status());
    }
    if (!secret.ok()) {
      return Fail(secret.status());
    }
    auto recovered = attest::agent::Activate(*tcti, *ak_alg, *ek_alg, *cred, *secret);
    if (!recovered.ok()) {
      return Fail(recovered.status());
    }
    Status s = attest::agent::WriteFile(*out, *recovered);
    return s.ok() ? 0 : Fail(s);
  }
  if (verb == "quote") {
    attest::agent::QuoteOptions options;
    auto nonce_hex = args->Require("nonce");
    if (!nonce_hex.ok()) {
      return Fail(nonce_hex.status());
    }
    auto nonce = attest::HexDecode(*nonce_hex);
    if (!nonce.ok()) {
      return Fail(Status(attest::reasons::kCliUsage, "--nonce: not hex"));
    }
    options.nonce = *nonce;
    if (auto pcrs = args->Get("pcrs")) {
      auto items = SplitList(*pcrs);
      if (!items.ok()) {
        return Fail(items.status());
      }
      options.pcrs.clear();
      for (const std::string& item : *items) {
        if (item.size() > 2 || item.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(item) > 23) {
          return Fail(Status(attest::reasons::kCliUsage, "--pcrs: bad PCR " + item));
        }
        options.pcrs.push_back(static_cast<uint32_t>(std::stoul(item)));
      }
    }
    if (auto banks = args->Get("banks")) {
      auto items = SplitList(*banks);
      if (!items.ok()) {
        return Fail(items.status());
      }
      for (const std::string& item : *items) {
        auto alg = attest::tpm::FindHashAlgByName(item);
        if (!alg) {
          return Fail(Status(attest::reasons::kCliUsage, "--banks: unknown " + item));
        }
        options.banks.push_back(alg->id);
      }
    }
    if (auto path = args->Get("eventlog")) {
      options.eventlog_path = *path;
    }
    options.drtm_log_path = args->Get("drtm-log");
    auto sources = PlatformSourcesFrom(*args);
    if (!sources.ok()) {
      return Fail(sources.status());
    }
    auto platform = attest::agent::ReadHostPlatform(*sources);
    if (!platform.ok()) {
      return Fail(platform.status());
    }
    options.platform = attest::protocol::SerializeHostPlatform(*platform).value();
    Status s = attest::agent::Quote(*tcti, *ak_alg, options, *out);
    return s.ok() ? 0 : Fail(s);
  }
  std::cerr << kUsage << "\n";
  return 2;
}

// RunGuest: the guest side of key release without the HTTP round trip (the service API wires it):
// an ephemeral key, evidence over SHA-512(nonce || key), and opening the released JWE.
}  // namespace

namespace {

int Main(int argc, char** argv) {
  // tpm2-tss logs expected failures (e.g. probing an absent EK certificate index) on stderr;
  // keep it quiet unless the operator asks for its log with TSS2_LOG.
  setenv("TSS2_LOG", "all+none", 0);
  if (argc >= 2 && std::string(argv[1]) == "host") {
    return RunHost(argc, argv);
  }
  if (argc >= 2 && std::string(argv[1]) == "guest") {
    return attest::agent::cli::RunGuest(argc, argv, kUsage);
  }
  std::cerr << kUsage << "\n";
  return 2;
}

}  // namespace

// Errors are Status values; an exception that escapes is a bug, reported as one rather than by
// std::terminate's abort.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "attest-agent: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "attest-agent: internal error\n";
  }
  return 70;  // EX_SOFTWARE
}
