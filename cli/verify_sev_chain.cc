// attestctl verify sev-chain: the legacy SEV platform certificate chain PDH <- PEK <- (OCA, CEK)
// <- ASK <- ARK, to the built-in AMD roots of Naples, Milan and Genoa or to a given --ask/--ark.
#include <string>

#include "attest/sev/claims.h"
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
    "attestctl verify sev-chain --pdh F --pek F --oca F --cek F [--ask F --ark F] [--json]\n"
    "  certificates as binary, hex or base64 (libvirt's virNodeGetSEVInfo pdh / cert-chain);\n"
    "  without --ask/--ark the CEK must chain to the built-in Naples, Milan or Genoa ARK/ASK";

nlohmann::json ClaimsJson(const sev::SevChainClaims& c) {
  return {{"product", c.product},       {"api_major", c.api_major},   {"api_minor", c.api_minor},
          {"pdh_sha256", c.pdh_sha256}, {"cek_sha256", c.cek_sha256}, {"ask_key_id", c.ask_key_id},
          {"ark_key_id", c.ark_key_id}};
}

}  // namespace

int RunVerifySevChain(int argc, char** argv, int first) {
  const FlagSpec spec{{"pdh", "pek", "oca", "cek", "ask", "ark"}, {"json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  Bytes files[4];
  const char* names[] = {"pdh", "pek", "oca", "cek"};
  for (int i = 0; i < 4; ++i) {
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

  VerifyOutcome outcome;
  outcome.evidence = "sev-chain";
  const bool json = args->Has("json");
  if (roots.root_error) {
    outcome.errors.push_back(*roots.root_error);
    return PrintVerifyOutcome(outcome, json);
  }
  auto certs = sev::ParseSevPlatformCerts(files[0], files[1], files[2], files[3]);
  if (!certs.ok()) {
    outcome.errors.push_back(certs.status());
    return PrintVerifyOutcome(outcome, json);
  }
  auto chain = sev::VerifySevChain(*certs, roots.roots);
  if (!chain.ok()) {
    outcome.claims = nlohmann::json{{"pdh_api_major", certs->pdh.api_major},
                                    {"pdh_api_minor", certs->pdh.api_minor}};
    outcome.errors.push_back(chain.status());
    return PrintVerifyOutcome(outcome, json);
  }
  outcome.claims = ClaimsJson(sev::ToClaims(*chain));
  return PrintVerifyOutcome(outcome, json);
}

}  // namespace attest::cli
