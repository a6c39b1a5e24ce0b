// attest-agent guest keygen|evidence|decrypt|unlock: the commands run inside a confidential VM.
// main.cc holds the usage text and dispatches here; guest_unlock.h does the unlock flow itself.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "agent/cli.h"
#include "agent/guest_evidence.h"
#include "agent/guest_unlock.h"
#include "agent/host_commands.h"  // WriteFile
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "flags/args.h"
#include "protocol/jwe.h"

namespace attest::agent::cli {

using flags::Args;
using flags::FlagSpec;

int RunGuest(int argc, char** argv, std::string_view usage) {
  namespace protocol = attest::protocol;
  if (argc < 3) {
    std::cerr << usage << "\n";
    return 2;
  }
  const std::string verb = argv[2];
  if (verb == "unlock") {
    return attest::agent::RunUnlock(std::vector<std::string>(argv + 3, argv + argc));
  }
  const FlagSpec spec{{"out", "nonce", "key", "tsm-root", "sev-device", "jwe"}, {}};
  auto args = Args::Parse(argc, argv, 3, spec);
  if (!args.ok()) {
    return Fail(args.status());
  }
  if (verb == "keygen") {
    auto out = args->Require("out");
    if (!out.ok()) {
      return Fail(out.status());
    }
    auto key = protocol::GenerateGuestKey();
    if (!key.ok()) {
      return Fail(key.status());
    }
    // The private key never leaves the guest: mode 0600, and only the public half is printed.
    const int fd = open(out->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Fail(Status(attest::reasons::kFileUnreadable, "cannot create " + *out));
    }
    const bool ok = write(fd, key->data(), key->size()) == static_cast<ssize_t>(key->size());
    close(fd);
    if (!ok) {
      return Fail(Status(attest::reasons::kFileUnreadable, "cannot write " + *out));
    }
    auto pub = protocol::PublicJwk(*key);
    if (!pub.ok()) {
      return Fail(pub.status());
    }
    std::cout << *pub << "\n";
    return 0;
  }
  auto key_path = args->Require("key");
  if (!key_path.ok()) {
    return Fail(key_path.status());
  }
  auto key = attest::ReadFileBytes(*key_path, 4096);
  if (!key.ok()) {
    return Fail(key.status());
  }
  const std::string private_jwk(key->begin(), key->end());
  if (verb == "evidence") {
    auto out = args->Require("out");
    auto nonce_hex = args->Require("nonce");
    if (!out.ok()) {
      return Fail(out.status());
    }
    if (!nonce_hex.ok()) {
      return Fail(nonce_hex.status());
    }
    auto nonce = attest::HexDecode(*nonce_hex);
    if (!nonce.ok() || nonce->size() != 32) {
      return Fail(Status(attest::reasons::kCliUsage, "--nonce: 64 hex digits"));
    }
    auto pub_jwk = protocol::PublicJwk(private_jwk);
    if (!pub_jwk.ok()) {
      return Fail(pub_jwk.status());
    }
    auto pub = protocol::ParseGuestJwk(*pub_jwk);
    if (!pub.ok()) {
      return Fail(pub.status());
    }
    const attest::Sha512Digest binding = protocol::ReportDataBinding(*nonce, *pub);
    auto ev = attest::agent::GetGuestEvidence(
        binding, args->Get("tsm-root").value_or(attest::agent::kTsmReportRoot),
        args->Get("sev-device").value_or(attest::agent::kSevGuestDevice));
    if (!ev.ok()) {
      return Fail(ev.status());
    }
    Status s = attest::agent::WriteFile(*out + "/evidence.bin", ev->outblob);
    if (s.ok() && !ev->auxblob.empty()) {
      s = attest::agent::WriteFile(*out + "/auxblob.bin", ev->auxblob);
    }
    if (s.ok()) {
      s = attest::agent::WriteFile(*out + "/public.jwk", attest::AsBytes(pub->jwk_json));
    }
    if (!s.ok()) {
      return Fail(s);
    }
    std::cout << "{\"provider\":\"" << ev->provider << "\",\"source\":\"" << ev->source
              << "\",\"report_data\":\"" << attest::HexEncode(binding) << "\"}\n";
    return 0;
  }
  if (verb == "decrypt") {
    auto jwe_path = args->Require("jwe");
    if (!jwe_path.ok()) {
      return Fail(jwe_path.status());
    }
    auto jwe = attest::ReadFileBytes(*jwe_path, 1 << 20);
    if (!jwe.ok()) {
      return Fail(jwe.status());
    }
    std::string text(jwe->begin(), jwe->end());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    auto plain = protocol::DecryptFromService(text, private_jwk);
    if (!plain.ok()) {
      return Fail(plain.status());
    }
    std::cout.write(reinterpret_cast<const char*>(plain->data()),
                    static_cast<std::streamsize>(plain->size()));
    return std::cout.good() ? 0 : 1;
  }
  std::cerr << usage << "\n";
  return 2;
}

}  // namespace attest::agent::cli
