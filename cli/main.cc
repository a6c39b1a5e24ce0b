// attestctl: offline verification of attestation evidence (and, later, the attestd API client).
#include <iostream>
#include <string>
#include <string_view>

#include "cli/commands.h"
#include "cli/verify_output.h"

namespace {

struct Command {
  std::string_view group;  // first word ("verify")
  std::string_view name;   // second word ("snp")
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
};

int Usage() {
  std::cerr << "usage: attestctl <command> [flags]\n\ncommands:\n";
  for (const Command& c : kCommands) {
    std::cerr << "  " << c.group << " " << c.name << "\t" << c.summary << "\n";
  }
  return attest::cli::kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string_view group = argv[1];
  const std::string_view name = argc > 2 ? argv[2] : "";
  for (const Command& c : kCommands) {
    if (c.group == group && c.name == name) return c.run(argc, argv, 3);
  }
  return Usage();
}
