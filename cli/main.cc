// attestctl: offline verification of attestation evidence, and the attestd API client.
#include <iostream>
#include <string>
#include <string_view>

#include "cli/api_commands.h"
#include "cli/commands.h"
#include "cli/verify_output.h"

namespace {

struct Command {
  std::string_view group;  // first word ("verify")
  std::string_view name;   // second word ("snp"); empty for a one-word command
  std::string_view summary;
  attest::cli::CommandFn run;
};

constexpr Command kCommands[] = {
    {"verify", "snp", "verify an AMD SEV-SNP attestation report", attest::cli::RunVerifySnp},
    {"verify", "tdx", "verify an Intel TDX DCAP quote (v4/v5)", attest::cli::RunVerifyTdx},
    {"verify", "sgx", "verify an Intel SGX DCAP quote (v3)", attest::cli::RunVerifySgx},
    {"policy", "check", "validate a tenant or host policy file", attest::cli::RunPolicyCheck},
    {"token", "verify", "check a signed attestation result token", attest::cli::RunTokenVerify},
    {"verify", "tpm", "verify a TPM 2.0 quote with its event logs", attest::cli::RunVerifyTpm},
    {"eventlog", "replay", "replay a TCG event log to PCR values", attest::cli::RunEventlogReplay},
    {"verify", "sev-chain", "verify a legacy AMD SEV platform certificate chain",
     attest::cli::RunVerifySevChain},
    {"sev", "measurement", "check a legacy SEV launch measurement", attest::cli::RunSevMeasurement},
    {"sev", "session", "make the guest owner's SEV launch session (dhCert, session)",
     attest::cli::RunSevSession},
    {"sigv4", "sign", "sign a raw HTTP request file with AWS SigV4 (shows every step)",
     attest::cli::RunSigv4Sign},
    {"audit", "verify", "check the hash chain of an attestd SQLite audit log",
     attest::cli::RunAuditVerify},
    {"measure", "tdx", "compute a TDX guest's MRTD and RTMRs from firmware and boot inputs",
     attest::cli::RunMeasureTdx},
    {"reasons", "", "list every stable error reason with its code and module",
     attest::cli::RunReasons},
    {"measure", "", "expected SEV / SEV-ES / SEV-SNP launch digest (sev-snp-measure's flags)",
     attest::cli::RunMeasure},
    {"collateral", "fetch", "fetch and verify KDS / PCS collateral for evidence (air-gapped sites)",
     attest::cli::RunCollateralFetch},
};

int Usage() {
  std::cerr << "usage: attestctl <command> [flags]\n\noffline commands:\n";
  for (const Command& c : kCommands) {
    std::cerr << "  " << c.group << (c.name.empty() ? "" : " ") << c.name << "\t" << c.summary
              << "\n";
  }
  std::cerr << "\nattestd API commands: attestctl [--endpoint URL] [--profile NAME] "
               "[--ca-cert FILE] <command> ...\n";
  for (const attest::cli::ApiCommandInfo& c : attest::cli::ApiCommandList()) {
    std::cerr << "  " << c.group << " " << c.name << "\t" << c.summary << "\n";
  }
  return attest::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  int index = 1;
  attest::cli::ClientFlags client;
  if (!attest::cli::TakeClientFlags(argc, argv, &index, &client)) {
    return Usage();
  }
  if (argc < index + 1) {
    return Usage();
  }
  const std::string_view group = argv[index];
  const std::string_view name = argc > index + 1 ? argv[index + 1] : "";
  if (index == 1) {
    // A two-word command wins over a one-word command of the same group ("measure tdx" over
    // "measure"), whatever their order in the table.
    for (const Command& c : kCommands) {
      if (c.group == group && !c.name.empty() && c.name == name) {
        return c.run(argc, argv, 3);
      }
    }
    for (const Command& c : kCommands) {
      if (c.group == group && c.name.empty()) {
        return c.run(argc, argv, 2);
      }
    }
  }
  const int rc = attest::cli::RunApiCommand(client, group, name, argc, argv, index + 2);
  return rc >= 0 ? rc : Usage();
}
