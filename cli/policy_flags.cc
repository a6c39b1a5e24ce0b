#include "cli/policy_flags.h"

#include <openssl/pem.h>

#include "attest/core/file_io.h"
#include "policy/appraisal_json.h"
#include "policy/token.h"

namespace attest::cli {

using flags::Args;

namespace {

Result<EvpPkeyPtr> LoadPem(const std::string& path, bool is_private) {
  ATTEST_ASSIGN_OR_RETURN(Bytes pem, ReadFileBytes(path));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr && !is_private) {
    // A certificate works as a public key too.
    BioPtr again(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    X509Ptr cert(PEM_read_bio_X509(again.get(), nullptr, nullptr, nullptr));
    if (cert) {
      key = UpRef(X509_get0_pubkey(cert.get())).release();
    }
  }
  OsslErrors();
  if (key == nullptr) {
    return Status(
        reasons::kFileUnreadable,
        path + ": not a PEM " + (is_private ? "private key" : "public key or certificate"));
  }
  return EvpPkeyPtr(key);
}

}  // namespace

Result<EvpPkeyPtr> LoadPrivateKeyPem(const std::string& path) { return LoadPem(path, true); }
Result<EvpPkeyPtr> LoadPublicKeyPem(const std::string& path) { return LoadPem(path, false); }

Result<PolicyFlags> LoadPolicyFlags(const Args& args) {
  PolicyFlags flags;
  if (const auto path = args.Get(kPolicyFlag)) {
    ATTEST_ASSIGN_OR_RETURN(Bytes text, ReadFileBytes(*path));
    auto policy = policy::LoadTenantPolicy(std::string(text.begin(), text.end()));
    if (!policy.ok()) {
      return policy.status().WithContext(*path);
    }
    flags.identity = policy::PolicyIdentity(*policy, policy->name());
    flags.policy = std::move(policy).value();
  }
  if (const auto path = args.Get(kTokenKeyFlag)) {
    if (!flags.policy) {
      return Status(reasons::kCliUsage, "--token-key needs --policy");
    }
    ATTEST_ASSIGN_OR_RETURN(flags.token_key, LoadPrivateKeyPem(*path));
  }
  return flags;
}

void ApplyAppraisal(policy::Appraisal appraisal, const PolicyFlags& flags,
                    const std::string& subject, TimePoint now, VerifyOutcome* outcome) {
  appraisal.policy_identity = flags.identity;
  for (const policy::RuleFailure& f : appraisal.failures) {
    outcome->errors.push_back(
        Status(f.reason, f.field + ": got " + f.got + ", policy wants " + f.want));
  }
  outcome->appraisal = policy::AppraisalToJson(appraisal);
  if (flags.token_key) {
    const policy::TokenFields fields{"attestctl", subject, "", now, now + std::chrono::minutes(5)};
    auto token = policy::SignResultToken(appraisal, fields, flags.token_key.get());
    if (token.ok()) {
      outcome->token = *token;
    } else {
      outcome->errors.push_back(token.status());
    }
  }
}

}  // namespace attest::cli
