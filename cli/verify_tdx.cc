// attestctl verify tdx|sgx: offline verification of an Intel DCAP quote (TDX v4/v5, SGX v3).
#include <filesystem>
#include <optional>

#include "attest/core/file_io.h"
#include "attest/tdx/ccel.h"
#include "attest/tdx/claims.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/verify.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "cli/policy_flags.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "policy/appraise_tdx.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

// ReadFirst reads dir/<name> for the first name that exists; empty when none does.
Result<Bytes> ReadFirst(const std::string& dir, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const std::string path = (std::filesystem::path(dir) / name).string();
    if (std::filesystem::exists(path)) return ReadFileBytes(path);
  }
  return Bytes{};
}

// LoadCollateralDir reads the raw Intel PCS responses of form (b); see attest/tdx/README.md.
Result<tdx::Collateral> LoadCollateralDir(const std::string& dir) {
  if (!std::filesystem::is_directory(dir)) {
    return Status(reasons::kFileUnreadable, "--collateral-dir " + dir + " is not a directory");
  }
  tdx::PcsFiles files;
  ATTEST_ASSIGN_OR_RETURN(Bytes tcb, ReadFirst(dir, {"tcb_info.json"}));
  files.tcb_info_response.assign(tcb.begin(), tcb.end());
  ATTEST_ASSIGN_OR_RETURN(Bytes qe, ReadFirst(dir, {"qe_identity.json"}));
  files.qe_identity_response.assign(qe.begin(), qe.end());
  ATTEST_ASSIGN_OR_RETURN(files.tcb_info_issuer_chain,
                          ReadFirst(dir, {"tcb_info_issuer_chain.pem"}));
  ATTEST_ASSIGN_OR_RETURN(files.qe_identity_issuer_chain,
                          ReadFirst(dir, {"qe_identity_issuer_chain.pem"}));
  ATTEST_ASSIGN_OR_RETURN(files.pck_crl, ReadFirst(dir, {"pck_crl.der", "pck_crl.pem"}));
  ATTEST_ASSIGN_OR_RETURN(files.root_ca_crl,
                          ReadFirst(dir, {"root_ca_crl.der", "root_ca_crl.pem"}));
  ATTEST_ASSIGN_OR_RETURN(files.pck_crl_issuer_chain, ReadFirst(dir, {"pck_crl_issuer_chain.pem"}));
  return tdx::CollateralFromPcs(files);
}

int RunVerifyDcap(int argc, char** argv, int first, bool want_tdx) {
  const std::string kind = want_tdx ? "tdx" : "sgx";
  const std::string usage = "attestctl verify " + kind +
                            " --quote FILE [--collateral FILE | --collateral-dir DIR]"
                            " [--ccel FILE] [--at RFC3339] [--policy FILE [--token-key PEM]]"
                            " [--json]";
  const FlagSpec spec{
      {"quote", "collateral", "collateral-dir", "ccel", "at", kPolicyFlag, kTokenKeyFlag},
      {"json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) return PrintUsageError(args.status(), usage);
  auto quote_path = args->Require("quote");
  if (!quote_path.ok()) return PrintUsageError(quote_path.status(), usage);
  if (args->Get("collateral") && args->Get("collateral-dir")) {
    return PrintUsageError(
        Status(reasons::kCliUsage, "--collateral and --collateral-dir are exclusive"), usage);
  }
  if (args->Get("ccel") && !want_tdx) {
    return PrintUsageError(Status(reasons::kCliUsage, "--ccel applies to TDX quotes only"), usage);
  }
  auto now = VerificationTime(args->Get("at"));
  if (!now.ok()) return PrintUsageError(now.status(), usage);
  auto quote_bytes = LoadEvidenceFile(*quote_path);
  if (!quote_bytes.ok()) return PrintUsageError(quote_bytes.status(), "");
  std::optional<Bytes> ccel;
  if (auto path = args->Get("ccel")) {
    auto data = ReadFileBytes(*path);
    if (!data.ok()) return PrintUsageError(data.status(), "");
    ccel = std::move(data).value();
  }

  VerifyOutcome outcome{kind, std::nullopt, {}};
  const bool json = args->Has("json");
  std::optional<tdx::Collateral> collateral;
  if (auto path = args->Get("collateral")) {
    auto data = ReadFileBytes(*path);
    if (!data.ok()) return PrintUsageError(data.status(), "");
    auto parsed = tdx::ParseCollateralJson(
        std::string_view(reinterpret_cast<const char*>(data->data()), data->size()));
    if (!parsed.ok()) {
      outcome.errors.push_back(parsed.status());
      return PrintVerifyOutcome(outcome, json);
    }
    collateral = std::move(parsed).value();
  } else if (auto dir = args->Get("collateral-dir")) {
    auto loaded = LoadCollateralDir(*dir);
    if (!loaded.ok()) {
      if (loaded.status().code() == ErrorCode::kUnavailable &&
          loaded.status().reason_id() == reasons::kFileUnreadable.id) {
        return PrintUsageError(loaded.status(), "");
      }
      outcome.errors.push_back(loaded.status());
      return PrintVerifyOutcome(outcome, json);
    }
    collateral = std::move(loaded).value();
  }

  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  tdx::Verification v = verifier.Verify(*quote_bytes, collateral ? &*collateral : nullptr, *now);
  if (v.parsed && v.parsed->is_tdx() != want_tdx) {
    outcome.claims = tdx::QuoteClaims(*v.parsed);
    outcome.errors.push_back(
        Status(reasons::kTdxUnsupportedQuote,
               "quote: this is " + std::string(v.parsed->is_tdx() ? "a TDX" : "an SGX") +
                   " quote; use attestctl verify " + (v.parsed->is_tdx() ? "tdx" : "sgx")));
    return PrintVerifyOutcome(outcome, json);
  }
  if (v.verified) {
    outcome.claims = tdx::VerifiedClaims(*v.verified);
  } else if (v.parsed) {
    outcome.claims = tdx::QuoteClaims(*v.parsed);
  }
  auto policy_flags = LoadPolicyFlags(*args);
  if (!policy_flags.ok()) return PrintUsageError(policy_flags.status(), "");
  if (!v.status.ok()) {
    outcome.errors.push_back(v.status);
  } else if (policy_flags->policy) {
    // The tenant's policy replaces the built-in TCB status rule.
    const auto& p = *policy_flags->policy;
    const policy::AppraisalContext ctx{*now};
    if (want_tdx ? !p.has_tdx() : !p.has_sgx()) {
      outcome.errors.push_back(
          Status(reasons::kPolicyNoRulesForEvidence,
                 "the policy has no " + kind + " section: it accepts no " + kind + " quote"));
    } else {
      ApplyAppraisal(want_tdx ? policy::AppraiseTdx(*v.verified, p.tdx(), ctx)
                              : policy::AppraiseSgx(*v.verified, p.sgx(), ctx),
                     *policy_flags, kind + "-quote", WallClockNow(), &outcome);
    }
  } else if (Status s = tdx::ApplyDefaultTcbPolicy(*v.verified); !s.ok()) {
    outcome.errors.push_back(s);
  }
  if (ccel && v.parsed && v.parsed->td_report) {
    auto replay = tdx::ReplayCcel(*ccel);
    if (!replay.ok()) {
      outcome.errors.push_back(replay.status());
    } else {
      Status s = tdx::CheckRtmrs(*replay, *v.parsed->td_report);
      if (!s.ok()) outcome.errors.push_back(s);
      if (outcome.claims) {
        (*outcome.claims)["ccel"] = {{"events", replay->events.size()}, {"rtmr_replay_ok", s.ok()}};
      }
    }
  }
  return PrintVerifyOutcome(outcome, json);
}

}  // namespace

int RunVerifyTdx(int argc, char** argv, int first) {
  return RunVerifyDcap(argc, argv, first, true);
}
int RunVerifySgx(int argc, char** argv, int first) {
  return RunVerifyDcap(argc, argv, first, false);
}

}  // namespace attest::cli
