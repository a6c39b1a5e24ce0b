#include "client/aws_credentials.h"

#include <cstdlib>

#include "attest/core/file_io.h"

namespace attest::client {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

Result<std::map<std::string, std::string>> ReadCredentialsProfile(std::string_view text,
                                                                  const std::string& profile) {
  std::map<std::string, std::string> keys;
  bool in_profile = false, found = false;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') {
      continue;
    }
    if (line.front() == '[') {
      if (line.back() != ']') {
        return Status(reasons::kClientCredentials, "malformed section line in credentials file");
      }
      in_profile = Trim(line.substr(1, line.size() - 2)) == profile;
      found = found || in_profile;
      continue;
    }
    if (!in_profile) {
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    keys[std::string(Trim(line.substr(0, eq)))] = std::string(Trim(line.substr(eq + 1)));
  }
  if (!found) {
    return Status(reasons::kClientCredentials, "no profile [" + profile + "] in credentials file");
  }
  return keys;
}

Result<sigv4::Credentials> ParseCredentialsFile(std::string_view text, const std::string& profile) {
  ATTEST_ASSIGN_OR_RETURN(auto keys, ReadCredentialsProfile(text, profile));
  sigv4::Credentials c;
  c.access_key_id = keys["aws_access_key_id"];
  c.secret_access_key = keys["aws_secret_access_key"];
  c.session_token = keys["aws_session_token"];
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return Status(reasons::kClientCredentials,
                  "profile [" + profile + "] lacks aws_access_key_id or aws_secret_access_key");
  }
  return c;
}

Result<sigv4::Credentials> LoadAwsCredentials(const CredentialSources& sources) {
  std::string profile = sources.profile;
  if (profile.empty() && sources.use_environment) {
    const std::string id = Env("AWS_ACCESS_KEY_ID"), secret = Env("AWS_SECRET_ACCESS_KEY");
    if (!id.empty() && !secret.empty()) {
      return sigv4::Credentials{id, secret, Env("AWS_SESSION_TOKEN")};
    }
    profile = Env("AWS_PROFILE");
  }
  if (profile.empty()) {
    profile = "default";
  }
  std::string file = sources.credentials_file;
  if (file.empty() && sources.use_environment) {
    file = Env("AWS_SHARED_CREDENTIALS_FILE");
  }
  if (file.empty()) {
    const std::string home = Env("HOME");
    if (home.empty()) {
      return Status(reasons::kClientCredentials, "no credentials: HOME unset");
    }
    file = home + "/.aws/credentials";
  }
  Result<Bytes> text = ReadFileBytes(file, 1 << 20);
  if (!text.ok()) {
    return Status(reasons::kClientCredentials,
                  "no credentials in the environment and cannot read " + file);
  }
  Result<sigv4::Credentials> c = ParseCredentialsFile(
      std::string_view(reinterpret_cast<const char*>(text->data()), text->size()), profile);
  if (!c.ok()) {
    return c.status().WithContext(file);
  }
  return c;
}

}  // namespace attest::client
