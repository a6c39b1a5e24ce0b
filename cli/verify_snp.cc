// attestctl verify snp: offline verification of an AMD SEV-SNP attestation report.
#include <filesystem>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/snp/claims.h"
#include "attest/snp/verify.h"
#include "attest/snp/wire.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "cli/policy_flags.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "policy/appraise_snp.h"
#include "render/snp_claims_json.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

constexpr char kUsage[] =
    "attestctl verify snp --report FILE [--vcek FILE] [--chain FILE] [--crl FILE] "
    "[--collateral-dir DIR] [--at RFC3339] [--policy FILE [--token-key PEM]] [--json]";

// ReadOptional reads the file named by flag, if given, into out.
Status ReadOptional(const Args& args, const char* flag, std::vector<Bytes>* out) {
  const auto path = args.Get(flag);
  if (!path) {
    return Status::Ok();
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(*path));
  out->push_back(std::move(data));
  return Status::Ok();
}

// ReadCollateralDir reads what `attestctl collateral fetch snp` wrote: DIR/vcek.der (required),
// DIR/cert_chain.pem and DIR/crl.der (each when present), after anything given by flag.
Status ReadCollateralDir(const std::string& dir, std::vector<Bytes>* vcek,
                         snp::SnpCollateral* collateral) {
  ATTEST_ASSIGN_OR_RETURN(Bytes cert, ReadFileBytes(dir + "/vcek.der"));
  vcek->push_back(std::move(cert));
  for (const auto& [name, out] : {std::pair{"/cert_chain.pem", &collateral->chain},
                                  std::pair{"/crl.der", &collateral->crls}}) {
    if (std::filesystem::exists(dir + name)) {
      ATTEST_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(dir + name));
      out->push_back(std::move(data));
    }
  }
  return Status::Ok();
}

}  // namespace

int RunVerifySnp(int argc, char** argv, int first) {
  const FlagSpec spec{
      {"report", "vcek", "chain", "crl", "collateral-dir", "at", kPolicyFlag, kTokenKeyFlag},
      {"json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  auto report_path = args->Require("report");
  if (!report_path.ok()) {
    return PrintUsageError(report_path.status(), kUsage);
  }
  auto now = VerificationTime(args->Get("at"));
  if (!now.ok()) {
    return PrintUsageError(now.status(), kUsage);
  }
  auto report_bytes = LoadEvidenceFile(*report_path);
  if (!report_bytes.ok()) {
    return PrintUsageError(report_bytes.status(), "");
  }
  auto policy_flags = LoadPolicyFlags(*args);
  if (!policy_flags.ok()) {
    return PrintUsageError(policy_flags.status(), "");
  }

  snp::SnpCollateral collateral;
  std::vector<Bytes> vcek;
  for (const auto& [flag, out] : {std::pair{"vcek", &vcek}, std::pair{"chain", &collateral.chain},
                                  std::pair{"crl", &collateral.crls}}) {
    Status status = ReadOptional(*args, flag, out);
    if (!status.ok()) {
      return PrintUsageError(status, "");
    }
  }
  if (auto dir = args->Get("collateral-dir")) {
    if (Status status = ReadCollateralDir(*dir, &vcek, &collateral); !status.ok()) {
      return PrintUsageError(status, "");
    }
  }
  if (!vcek.empty()) {
    collateral.endorsement_cert = std::move(vcek.front());
  }

  VerifyOutcome outcome{"snp", std::nullopt, {}};
  auto report = snp::ParseSnpReport(*report_bytes);
  if (!report.ok()) {
    outcome.errors.push_back(report.status());
    return PrintVerifyOutcome(outcome, args->Has("json"));
  }
  auto verified = snp::VerifySnpReport(*report, collateral, snp::SnpTrustRoots::BuiltIn(), *now);
  if (verified.ok()) {
    const snp::SnpClaims claims = snp::ToClaims(*verified);
    outcome.claims = render::ClaimsToJson(claims);
    if (policy_flags->policy) {
      if (!policy_flags->policy->has_snp()) {
        outcome.errors.push_back(Status(reasons::kPolicyNoRulesForEvidence,
                                        "the policy has no snp section: it accepts no SNP guest"));
      } else {
        ApplyAppraisal(policy::AppraiseSnp(claims, policy_flags->policy->snp(), {*now}),
                       *policy_flags, "snp-report:" + HexEncode(claims.report.report_id),
                       WallClockNow(), &outcome);
      }
    }
  } else {
    outcome.claims = render::ClaimsToJson(snp::UnverifiedClaims(*report));
    outcome.errors.push_back(verified.status());
  }
  return PrintVerifyOutcome(outcome, args->Has("json"));
}

}  // namespace attest::cli
