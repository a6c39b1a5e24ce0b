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

Result<sigv4::Credentials> ParseCredentialsFile(std::string_view text, const std::string& profile) {
  sigv4::Credentials c;
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
    const std::string_view key = Trim(line.substr(0, eq));
    const std::string value(Trim(line.substr(eq + 1)));
    if (key == "aws_access_key_id") {
      c.access_key_id = value;
    }
    if (key == "aws_secret_access_key") {
      c.secret_access_key = value;
    }
    if (key == "aws_session_token") {
      c.session_token = value;
    }
  }
  if (!found) {
    return Status(reasons::kClientCredentials, "no profile [" + profile + "] in credentials file");
  }
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
