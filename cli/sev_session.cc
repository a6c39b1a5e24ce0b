// attestctl sev session: the guest owner's LAUNCH_START material for a legacy SEV/SEV-ES guest.
// Writes into --out (each file new, mode 0600):
//   dhCert   base64 of the owner's 2084-byte ECDH certificate  -> <launchSecurity><dhCert>
//   session  base64 of the 128-byte session blob                -> <launchSecurity><session>
//   tek, tik the 16-byte transport keys (raw), kept by the owner to check the measurement and
//            package the secret; never give them to the host.
// With --pek/--oca/--cek (and optionally --ask/--ark) the PDH's chain is verified first and a
// chain that does not verify stops here (exit 1); without them the PDH is used as given and the
// output says "pdh_verified": false.
#include <cstdio>
#include <iostream>
#include <string>

#include "attest/core/encoding.h"
#include "attest/sev/session.h"
#include "attest/sev/verify.h"
#include "cli/commands.h"
#include "cli/sev_files.h"
#include "cli/verify_output.h"
#include "flags/args.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

constexpr char kUsage[] =
    "attestctl sev session --pdh F [--policy HEX] --out DIR\n"
    "    [--pek F --oca F --cek F [--ask F --ark F]] [--json]";

}  // namespace

int RunSevSession(int argc, char** argv, int first) {
  const FlagSpec spec{{"pdh", "policy", "out", "pek", "oca", "cek", "ask", "ark"}, {"json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  auto pdh_path = args->Require("pdh");
  if (!pdh_path.ok()) {
    return PrintUsageError(pdh_path.status(), kUsage);
  }
  auto out_dir = args->Require("out");
  if (!out_dir.ok()) {
    return PrintUsageError(out_dir.status(), kUsage);
  }
  uint32_t policy = 0;
  if (const auto text = args->Get("policy")) {
    std::string hex = *text;
    if (hex.rfind("0x", 0) != 0) {
      hex.insert(0, "0x");
    }
    auto value = ParseUnsigned("policy", hex, 0xffffffff);
    if (!value.ok()) {
      return PrintUsageError(value.status(), kUsage);
    }
    policy = static_cast<uint32_t>(*value);
  }
  auto pdh_bytes = LoadSevFile(*pdh_path);
  if (!pdh_bytes.ok()) {
    return PrintUsageError(pdh_bytes.status(), "");
  }

  VerifyOutcome outcome;
  outcome.evidence = "sev-session";
  const bool json = args->Has("json");
  const bool with_chain = args->Get("pek") || args->Get("oca") || args->Get("cek");
  sev::SevCert pdh;
  std::string product;
  if (with_chain) {
    Bytes files[3];
    const char* names[] = {"pek", "oca", "cek"};
    for (int i = 0; i < 3; ++i) {
      auto path = args->Require(names[i]);
      if (!path.ok()) {
        return PrintUsageError(path.status(), kUsage);
      }
      auto bytes = LoadSevFile(*path);
      if (!bytes.ok()) {
        return PrintUsageError(bytes.status(), "");
      }
      files[i] = std::move(bytes).value();
    }
    SevRootsOrError roots = SevRootsFromArgs(*args);
    if (roots.usage_error) {
      return PrintUsageError(*roots.usage_error, kUsage);
    }
    if (roots.root_error) {
      outcome.errors.push_back(*roots.root_error);
      return PrintVerifyOutcome(outcome, json);
    }
    auto certs = sev::ParseSevPlatformCerts(*pdh_bytes, files[0], files[1], files[2]);
    if (!certs.ok()) {
      outcome.errors.push_back(certs.status());
      return PrintVerifyOutcome(outcome, json);
    }
    auto chain = sev::VerifySevChain(*certs, roots.roots);
    if (!chain.ok()) {
      outcome.errors.push_back(chain.status());
      return PrintVerifyOutcome(outcome, json);
    }
    pdh = chain->certs().pdh;
    product = chain->product();
  } else {
    if (args->Get("ask") || args->Get("ark")) {
      return PrintUsageError(Status(reasons::kCliUsage, "--ask/--ark need --pek, --oca, --cek"),
                             kUsage);
    }
    auto parsed = sev::ParseSevCert(*pdh_bytes);
    if (!parsed.ok()) {
      outcome.errors.push_back(parsed.status().WithContext("pdh"));
      return PrintVerifyOutcome(outcome, json);
    }
    pdh = std::move(parsed).value();
    std::cerr << "attestctl: warning: PDH used without verifying its certificate chain "
                 "(give --pek --oca --cek)\n";
  }

  auto session = sev::CreateOwnerSession(pdh, policy);
  if (!session.ok()) {
    outcome.errors.push_back(session.status());
    return PrintVerifyOutcome(outcome, json);
  }
  const std::string dh_b64 = Base64Encode(session->dh_cert);
  const std::string session_b64 = Base64Encode(session->session);
  const struct {
    const char* name;
    ByteSpan data;
  } files[] = {{"dhCert", AsBytes(dh_b64)},
               {"session", AsBytes(session_b64)},
               {"tek", session->keys.tek},
               {"tik", session->keys.tik}};
  for (const auto& f : files) {
    const Status written = WriteSecretFile(*out_dir, f.name, f.data);
    if (!written.ok()) {
      return PrintUsageError(written, "");
    }
  }
  char policy_text[16];
  std::snprintf(policy_text, sizeof(policy_text), "0x%x", policy);
  outcome.claims = nlohmann::json{{"policy", policy_text},
                                  {"pdh_verified", with_chain},
                                  {"product", product},
                                  {"out", *out_dir}};
  return PrintVerifyOutcome(outcome, json);
}

}  // namespace attest::cli
