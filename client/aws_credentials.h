// Finding credentials the way the AWS CLI and SDKs do, so operators and tenants keep theirs where
// their other tools look: the environment, then the shared credentials file.
#pragma once

#include <map>

#include <string>

#include "attest/core/status.h"
#include "client/reasons.h"
#include "sigv4/signer.h"

namespace attest::client {

struct CredentialSources {
  std::string profile;  // "" = $AWS_PROFILE, else "default"
  // Overrides for tests; empty = read the real environment.
  std::string credentials_file;  // "" = $AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials
  bool use_environment = true;   // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
};

// LoadAwsCredentials: with no explicit profile, AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY win (as
// in the AWS CLI); otherwise the profile's section of the credentials file
// (aws_access_key_id, aws_secret_access_key, aws_session_token). Fails with
// reasons::kClientCredentials naming where it looked.
Result<sigv4::Credentials> LoadAwsCredentials(const CredentialSources& sources);

// ReadCredentialsProfile returns every key = value of one profile of the INI text of a
// credentials file (keys and values trimmed; the last of a repeated key wins). Fails with
// reasons::kClientCredentials for a malformed section line or a missing profile.
Result<std::map<std::string, std::string>> ReadCredentialsProfile(std::string_view text,
                                                                  const std::string& profile);

// ParseCredentialsFile reads one profile from the INI text of a credentials file.
Result<sigv4::Credentials> ParseCredentialsFile(std::string_view text, const std::string& profile);

}  // namespace attest::client
