// --policy / --token-key handling shared by every `attestctl verify <type>`.
#pragma once

#include <optional>
#include <string>

#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "flags/reasons.h"
#include "policy/appraisal.h"
#include "policy/loader.h"

namespace attest::cli {

// The flags a verify command declares to support policies.
inline constexpr const char* kPolicyFlag = "policy";
inline constexpr const char* kTokenKeyFlag = "token-key";

struct PolicyFlags {
  std::optional<policy::TenantPolicy> policy;
  std::string identity;
  EvpPkeyPtr token_key;  // EC private key (PEM) for a signed result token
};

// LoadPolicyFlags reads --policy (a tenant policy JSON) and --token-key (PEM EC private key).
// File and policy errors are usage errors (exit 2) for the caller to print.
Result<PolicyFlags> LoadPolicyFlags(const flags::Args& args);

// ApplyAppraisal records appraisal in outcome (its failures become errors, so the verdict is the
// policy's) and, with a token key, signs the result token for subject at now.
void ApplyAppraisal(policy::Appraisal appraisal, const PolicyFlags& flags,
                    const std::string& subject, TimePoint now, VerifyOutcome* outcome);

// LoadPrivateKeyPem / LoadPublicKeyPem read a PEM key file. Fail with core.file_unreadable.
Result<EvpPkeyPtr> LoadPrivateKeyPem(const std::string& path);
Result<EvpPkeyPtr> LoadPublicKeyPem(const std::string& path);

}  // namespace attest::cli
