// Longer than 500 lines on purpose: the guest's whole side of the key release protocol, where
// every answer from attestd is hostile input, parsed next to the request that asked for it.
#include "agent/guest_unlock.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>
#include <sstream>

#include "attest/core/encoding.h"
#include "attest/core/json.h"
#include "flags/reasons.h"
#include "protocol/jwe.h"
#include "protocol/reasons.h"

extern char** environ;

namespace attest::agent {
namespace {

constexpr size_t kSnpReportBytes = 1184;       // SNP ABI Table 23: 0x4A0 bytes
constexpr size_t kMaxEvidenceBytes = 8 << 20;  // a TDX quote with its collateral is ~20 KiB
constexpr size_t kMaxKeys = 64;
constexpr size_t kMaxJweBytes = 64 << 10;
constexpr size_t kMaxFailuresShown = 32;
constexpr size_t kVolumeKeyBytes = 32;

Status Usage(const std::string& why) { return Status(reasons::kCliUsage, why); }
Status BadAnswer(const std::string& why) {
  return Status(reasons::kGuestResponseInvalid, "service answer: " + why);
}
Status BadEvidence(const std::string& why) { return Status(reasons::kGuestEvidenceInvalid, why); }

// ValidName mirrors the service's http::IsValidName: 1..128 of A-Z a-z 0-9 . _ -.
bool ValidName(std::string_view s) {
  if (s.empty() || s.size() > 128) {
    return false;
  }
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

// Printable keeps a hostile server's text from reaching the terminal as control sequences.
std::string Printable(std::string_view s, size_t max = 200) {
  std::string out;
  for (char c : s.substr(0, max)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (s.size() > max) {
    out += "...";
  }
  return out;
}

// HttpError is client.http_error "HTTP <status> <code>: <message>" from an error answer.
Status HttpError(const client::ClientResponse& r) {
  std::string code = StringMember(r.json, "code");
  std::string message = StringMember(r.json, "message");
  if (code.empty()) {
    code = "http_" + std::to_string(r.status);
  }
  if (message.empty() && r.json.is_null()) {
    message = r.body;
  }
  return Status(reasons::kClientHttpError, "HTTP " + std::to_string(r.status) + " " +
                                               Printable(code, 64) + ": " + Printable(message));
}

bool IsHex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
}

// ProtectedKid reads the kid of a compact JWE's protected header ("" when absent or malformed;
// DecryptFromService then decides whether the JWE is well-formed at all).
std::string ProtectedKid(std::string_view compact) {
  const size_t dot = compact.find('.');
  if (dot == std::string_view::npos) {
    return "";
  }
  auto header = Base64UrlDecode(compact.substr(0, dot));
  if (!header.ok()) {
    return "";
  }
  const auto j = nlohmann::json::parse(header->begin(), header->end(), nullptr, false);
  return StringMember(j, "kid");
}

Result<std::vector<std::string>> SplitCommand(const std::string& text) {
  std::vector<std::string> argv;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    argv.push_back(word);
  }
  if (argv.empty()) {
    return Usage("--evidence-command is empty");
  }
  return argv;
}

Status WriteAll(int fd, ByteSpan data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Status(reasons::kFileUnwritable, std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status WriteKeyFile(const std::string& path, ByteSpan key) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(reasons::kFileUnwritable, "cannot create " + path + ": " + std::strerror(errno));
  }
  // An existing file keeps its mode under O_CREAT: make sure no one else can read the key.
  Status s =
      fchmod(fd, 0600) == 0 ? WriteAll(fd, key) : Status(reasons::kFileUnwritable, "chmod " + path);
  if (close(fd) != 0 && s.ok()) {
    s = Status(reasons::kFileUnwritable, "close " + path);
  }
  if (!s.ok()) {
    return Status(reasons::kFileUnwritable, "write " + path + ": " + s.message());
  }
  return Status::Ok();
}

}  // namespace

ReleasedVolumeKey::~ReleasedVolumeKey() {
  if (!key.empty()) {
    OPENSSL_cleanse(key.data(), key.size());
  }
}

Result<UnlockOptions> ParseUnlockArgs(const std::vector<std::string>& args) {
  UnlockOptions o;
  std::set<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag.rfind("--", 0) != 0) {
      return Usage("unexpected argument " + Printable(flag, 64));
    }
    const std::string name = flag.substr(2);
    static const std::set<std::string> kFlags = {
        "endpoint", "ca-cert",  "vm-id",      "volume",
        "out",      "tsm-root", "sev-device", "evidence-command"};
    if (kFlags.count(name) == 0) {
      return Usage("unknown flag " + Printable(flag, 64));
    }
    if (i + 1 >= args.size()) {
      return Usage(flag + " needs a value");
    }
    const std::string& value = args[++i];
    if (name != "volume" && !seen.insert(name).second) {
      return Usage(flag + " given twice");
    }
    if (name == "endpoint") {
      o.endpoint = value;
    } else if (name == "ca-cert") {
      o.ca_cert = value;
    } else if (name == "vm-id") {
      if (!ValidName(value)) {
        return Usage("--vm-id: 1..128 of A-Z a-z 0-9 . _ -");
      }
      o.vm_id = value;
    } else if (name == "volume") {
      if (!ValidName(value)) {
        return Usage("--volume: 1..128 of A-Z a-z 0-9 . _ -");
      }
      for (const std::string& v : o.volumes) {
        if (v == value) {
          return Usage("--volume " + value + " given twice");
        }
      }
      o.volumes.push_back(value);
    } else if (name == "out") {
      if (value.empty()) {
        return Usage("--out is empty");
      }
      o.out = value;
    } else if (name == "tsm-root") {
      o.tsm_root = value;
    } else if (name == "sev-device") {
      o.sev_device = value;
    } else {
      ATTEST_ASSIGN_OR_RETURN(o.evidence_command, SplitCommand(value));
    }
  }
  if (o.endpoint.empty()) {
    return Usage("missing required flag --endpoint");
  }
  if (o.vm_id.empty()) {
    return Usage("missing required flag --vm-id");
  }
  return o;
}

Result<nlohmann::json> EvidenceJson(const GuestEvidence& ev) {
  if (ev.provider == "sev_guest") {
    if (ev.outblob.size() != kSnpReportBytes) {
      return BadEvidence("sev_guest report is " + std::to_string(ev.outblob.size()) +
                         " bytes, want 1184");
    }
    if (ev.auxblob.empty()) {
      // /dev/sev-guest and a host without an extended report give no certificate table.
      return BadEvidence(
          "the SNP report came without the certificate table (auxblob) that carries the VCEK; "
          "supply the evidence with --evidence-command (e.g. a wrapper around snpguest)");
    }
    return nlohmann::json{{"tee", "snp"},
                          {"report", Base64Encode(ev.outblob)},
                          {"auxblob", Base64Encode(ev.auxblob)}};
  }
  if (ev.provider == "tdx_guest") {
    if (ev.outblob.empty()) {
      return BadEvidence("tdx_guest quote is empty");
    }
    return nlohmann::json{{"tee", "tdx"}, {"quote", Base64Encode(ev.outblob)}};
  }
  return BadEvidence("unknown TSM provider " + Printable(ev.provider, 64) +
                     " (want sev_guest or tdx_guest)");
}

Result<nlohmann::json> CheckEvidenceJson(std::string_view text) {
  const auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return BadEvidence("evidence command: output is not one JSON object");
  }
  const std::string tee = StringMember(j, "tee");
  const char* const* want = nullptr;
  static const char* const kSnp[] = {"report", nullptr};
  static const char* const kTdx[] = {"quote", nullptr};
  if (tee == "snp") {
    want = kSnp;
  } else if (tee == "tdx") {
    want = kTdx;
  } else {
    return BadEvidence("evidence command: \"tee\" must be \"snp\" or \"tdx\"");
  }
  for (const char* const* name = want; *name != nullptr; ++name) {
    if (StringMember(j, *name).empty()) {
      return BadEvidence(std::string("evidence command: missing string \"") + *name + "\"");
    }
  }
  for (const char* name : {"report", "vcek", "cert_chain", "crl", "auxblob", "quote"}) {
    if (j.contains(name) && !j[name].is_string()) {
      return BadEvidence(std::string("evidence command: \"") + name + "\" is not a string");
    }
  }
  if (tee == "snp" && StringMember(j, "vcek").empty() && StringMember(j, "auxblob").empty()) {
    return BadEvidence("evidence command: SNP evidence needs \"vcek\" or \"auxblob\"");
  }
  if (j.contains("collateral") && !j["collateral"].is_object()) {
    return BadEvidence("evidence command: \"collateral\" is not an object");
  }
  return j;
}

Result<nlohmann::json> RunEvidenceCommand(const std::vector<std::string>& command,
                                          ByteSpan report_data) {
  auto failed = [&](const std::string& why) {
    return Status(reasons::kGuestEvidenceCommandFailed,
                  Printable(command.empty() ? "" : command[0], 100) + ": " + why);
  };
  if (command.empty()) {
    return failed("no command");
  }
  std::vector<std::string> args = command;
  args.push_back(HexEncode(report_data));
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& a : args) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return failed(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (rc != 0) {
    close(pipe_fds[0]);
    return failed(std::string("cannot run: ") + std::strerror(rc));
  }
  std::string out;
  bool too_large = false;
  char buf[8192];
  for (;;) {
    const ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    if (out.size() + static_cast<size_t>(n) > kMaxEvidenceBytes) {
      too_large = true;  // keep draining so the child is not stuck on a full pipe
      continue;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status)) {
    return failed("killed by signal " + std::to_string(WTERMSIG(status)));
  }
  if (WEXITSTATUS(status) != 0) {
    return failed("exit status " + std::to_string(WEXITSTATUS(status)));
  }
  if (too_large) {
    return failed("printed more than 8 MiB");
  }
  return CheckEvidenceJson(out);
}

Result<std::string> ParseChallengeResponse(const client::ClientResponse& r) {
  if (r.status < 200 || r.status >= 300) {
    return HttpError(r);
  }
  std::string nonce = StringMember(r.json, "nonce");
  if (nonce.size() != 64 || !IsHex(nonce)) {
    return BadAnswer("challenge nonce is not 64 hex digits");
  }
  for (char& c : nonce) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return nonce;
}

nlohmann::json AttestRequest(const std::string& vm_id, const std::string& nonce_hex,
                             const std::string& public_jwk_json, const nlohmann::json& evidence) {
  return nlohmann::json{{"vm_id", vm_id},
                        {"nonce", nonce_hex},
                        {"guest_key", nlohmann::json::parse(public_jwk_json)},
                        {"evidence", evidence}};
}

Result<std::vector<ReleasedVolumeKey>> ParseAttestResponse(const client::ClientResponse& r,
                                                           const std::string& vm_id,
                                                           const std::string& private_jwk) {
  if (r.status == 403 && StringMember(r.json, "code") == reasons::kReleaseDenied.id) {
    std::string text = "HTTP 403: the service refused the release";
    const auto it = r.json.find("failures");
    size_t shown = 0;
    if (it != r.json.end() && it->is_array()) {
      for (const auto& f : *it) {
        if (shown++ == kMaxFailuresShown) {
          text += "\n  ... " + std::to_string(it->size() - kMaxFailuresShown) + " more";
          break;
        }
        text += "\n  " + Printable(StringMember(f, "check"), 32) + ": " +
                Printable(StringMember(f, "code"), 64);
        // attestd sends no detail to an unauthenticated guest (issue 17); an older one did.
        const std::string detail = StringMember(f, "detail");
        if (!detail.empty()) {
          text += " (" + Printable(detail) + ")";
        }
      }
    }
    if (shown == 0) {
      text += " (no failure list)";
    }
    text += "\n  each check's detail: the VM owner's audit log (GET /v1/audit, action vm.release)";
    return Status(reasons::kReleaseDenied, text);
  }
  if (r.status != 200) {
    return HttpError(r);
  }
  if (!r.json.is_object()) {
    return BadAnswer("200 without a JSON object");
  }
  if (StringMember(r.json, "vm_id") != vm_id) {
    return BadAnswer("keys for another VM");
  }
  const auto it = r.json.find("keys");
  if (it == r.json.end() || !it->is_array()) {
    return BadAnswer("no \"keys\" array");
  }
  if (it->empty()) {
    return BadAnswer("no keys released");
  }
  if (it->size() > kMaxKeys) {
    return BadAnswer("more than 64 keys");
  }
  std::vector<ReleasedVolumeKey> out;
  std::set<std::string> seen;
  for (const auto& entry : *it) {
    const std::string volume_id = StringMember(entry, "volume_id");
    const std::string jwe = StringMember(entry, "jwe");
    if (!ValidName(volume_id)) {
      return BadAnswer("a key without a valid volume_id");
    }
    if (!seen.insert(volume_id).second) {
      return BadAnswer("volume " + volume_id + " twice");
    }
    if (jwe.empty() || jwe.size() > kMaxJweBytes) {
      return BadAnswer("volume " + volume_id + ": jwe");
    }
    // The kid is in the protected header (covered by the GCM tag): a key the service meant for
    // one volume cannot be presented as another's.
    if (ProtectedKid(jwe) != volume_id) {
      return BadAnswer("volume " + volume_id + ": JWE kid does not name it");
    }
    auto plain = protocol::DecryptFromService(jwe, private_jwk);
    if (!plain.ok()) {
      return plain.status();
    }
    ReleasedVolumeKey key(volume_id, std::move(plain).value());
    if (key.key.size() != kVolumeKeyBytes) {
      return BadAnswer("volume " + volume_id + ": key is " + std::to_string(key.key.size()) +
                       " bytes, want 32");
    }
    out.push_back(std::move(key));
  }
  return out;
}

Result<std::vector<ReleasedVolumeKey>> SelectKeys(std::vector<ReleasedVolumeKey> keys,
                                                  const std::vector<std::string>& wanted) {
  if (wanted.empty()) {
    if (keys.empty()) {
      return Status(reasons::kGuestVolumeNotReleased, "no volume released");
    }
    return keys;
  }
  std::vector<ReleasedVolumeKey> out;
  for (const std::string& id : wanted) {
    auto it = std::find_if(keys.begin(), keys.end(),
                           [&](const ReleasedVolumeKey& k) { return k.volume_id == id; });
    if (it == keys.end()) {
      return Status(reasons::kGuestVolumeNotReleased, "the service released no key for " + id);
    }
    out.push_back(std::move(*it));
    keys.erase(it);
  }
  return out;
}

Status WriteKeys(const std::vector<ReleasedVolumeKey>& keys, const std::string& out) {
  if (keys.empty()) {
    return Status(reasons::kGuestVolumeNotReleased, "no key to write");
  }
  struct stat st {};
  const bool is_dir = out != "-" && stat(out.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  if (keys.size() > 1 && !is_dir) {
    return Usage(std::to_string(keys.size()) +
                 " volumes released: name one with --volume, or give --out an existing directory");
  }
  if (out == "-") {
    std::cout.write(reinterpret_cast<const char*>(keys[0].key.data()),
                    static_cast<std::streamsize>(keys[0].key.size()));
    std::cout.flush();
    return std::cout.good() ? Status::Ok() : Status(reasons::kFileUnwritable, "stdout");
  }
  if (!is_dir) {
    return WriteKeyFile(out, keys[0].key);
  }
  for (const ReleasedVolumeKey& k : keys) {
    ATTEST_RETURN_IF_ERROR(WriteKeyFile(out + "/" + k.volume_id + ".key", k.key));
  }
  return Status::Ok();
}

Result<std::vector<ReleasedVolumeKey>> Unlock(const UnlockOptions& options, client::ApiClient& api,
                                              const EvidenceSource& evidence) {
  const nlohmann::json challenge_body = {{"vm_id", options.vm_id}};
  ATTEST_ASSIGN_OR_RETURN(client::ClientResponse challenge,
                          api.Send("POST", "/v1/attest/challenge", challenge_body.dump()));
  ATTEST_ASSIGN_OR_RETURN(const std::string nonce_hex, ParseChallengeResponse(challenge));
  ATTEST_ASSIGN_OR_RETURN(const Bytes nonce, HexDecode(nonce_hex));

  // The key pair lives only in this process: never written anywhere, wiped when done.
  ATTEST_ASSIGN_OR_RETURN(std::string private_jwk, protocol::GenerateGuestKey());
  struct Wipe {
    std::string& s;
    ~Wipe() { OPENSSL_cleanse(s.data(), s.size()); }
  } wipe{private_jwk};
  ATTEST_ASSIGN_OR_RETURN(const std::string public_jwk, protocol::PublicJwk(private_jwk));
  ATTEST_ASSIGN_OR_RETURN(const protocol::GuestPublicKey key, protocol::ParseGuestJwk(public_jwk));
  const Sha512Digest report_data = protocol::ReportDataBinding(nonce, key);

  ATTEST_ASSIGN_OR_RETURN(const nlohmann::json ev, evidence(report_data));
  const nlohmann::json body = AttestRequest(options.vm_id, nonce_hex, public_jwk, ev);
  ATTEST_ASSIGN_OR_RETURN(client::ClientResponse answer,
                          api.Send("POST", "/v1/attest", body.dump()));
  ATTEST_ASSIGN_OR_RETURN(std::vector<ReleasedVolumeKey> keys,
                          ParseAttestResponse(answer, options.vm_id, private_jwk));
  return SelectKeys(std::move(keys), options.volumes);
}

int RunUnlock(const std::vector<std::string>& args) {
  auto fail = [](const Status& s) {
    std::cerr << "attest-agent: " << s.ToString() << "\n";
    return s.reason_id() == reasons::kCliUsage.id ? 2 : 1;
  };
  auto options = ParseUnlockArgs(args);
  if (!options.ok()) {
    return fail(options.status());
  }
  client::ClientConfig config;
  config.endpoint = options->endpoint;
  config.ca_cert_file = options->ca_cert;
  config.sign = false;  // the guest routes are public: the evidence authenticates
  auto api = client::ApiClient::Create(config);
  if (!api.ok()) {
    return fail(api.status());
  }
  const UnlockOptions& o = *options;
  EvidenceSource source = [&o](const Sha512Digest& report_data) -> Result<nlohmann::json> {
    if (!o.evidence_command.empty()) {
      return RunEvidenceCommand(o.evidence_command, report_data);
    }
    ATTEST_ASSIGN_OR_RETURN(GuestEvidence ev,
                            GetGuestEvidence(report_data, o.tsm_root, o.sev_device));
    return EvidenceJson(ev);
  };
  auto keys = Unlock(o, **api, source);
  if (!keys.ok()) {
    return fail(keys.status());
  }
  Status written = WriteKeys(*keys, o.out);
  return written.ok() ? 0 : fail(written);
}

}  // namespace attest::agent
