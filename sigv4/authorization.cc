#include "sigv4/authorization.h"

#include "sigv4/canonical.h"

namespace attest::sigv4 {
namespace {

bool IsHeaderNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
         c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
         c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
}

bool IsScopeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

bool AllOf(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) {
      return false;
    }
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

Result<CredentialScopeParts> ParseCredential(std::string_view text, Reason reason) {
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (parts.size() < 6) {
    const size_t slash = text.find('/', pos);
    parts.push_back(text.substr(pos, slash == std::string_view::npos ? slash : slash - pos));
    if (slash == std::string_view::npos) {
      break;
    }
    pos = slash + 1;
  }
  if (parts.size() != 5) {
    return Status(reason, "credential must be <key id>/<date>/<region>/<service>/aws4_request");
  }
  if (parts[4] != "aws4_request") {
    return Status(reason, "credential scope must end with aws4_request");
  }
  if (parts[0].empty() || parts[0].size() > kMaxAccessKeyIdBytes || !AllOf(parts[0], IsScopeChar)) {
    return Status(reason,
                  "access key id is empty, too long or has a character outside "
                  "[A-Za-z0-9._-]");
  }
  if (parts[1].size() != 8 || !AllOf(parts[1], [](char c) { return c >= '0' && c <= '9'; })) {
    return Status(reason, "credential date is not YYYYMMDD");
  }
  if (parts[2].empty() || parts[2].size() > 64 || !AllOf(parts[2], IsScopeChar) ||
      parts[3].empty() || parts[3].size() > 64 || !AllOf(parts[3], IsScopeChar)) {
    return Status(reason, "credential region or service is empty or malformed");
  }
  return CredentialScopeParts{std::string(parts[0]), std::string(parts[1]), std::string(parts[2]),
                              std::string(parts[3])};
}

Result<std::vector<std::string>> ParseSignedHeaders(std::string_view text, Reason reason) {
  std::vector<std::string> names;
  size_t pos = 0;
  while (true) {
    const size_t semi = text.find(';', pos);
    const std::string_view name =
        text.substr(pos, semi == std::string_view::npos ? semi : semi - pos);
    if (name.empty() || !AllOf(name, IsHeaderNameChar)) {
      return Status(reason, "signed headers must be lower-case header names separated by ';'");
    }
    if (!names.empty() && !(names.back() < name)) {
      return Status(reason, "signed headers must be sorted and unique");
    }
    if (names.size() >= kMaxSignedHeaders) {
      return Status(reason, "more than " + std::to_string(kMaxSignedHeaders) + " signed headers");
    }
    names.emplace_back(name);
    if (semi == std::string_view::npos) {
      break;
    }
    pos = semi + 1;
  }
  return names;
}

Status CheckSignatureHex(std::string_view text, Reason reason) {
  if (text.size() != 64 ||
      !AllOf(text, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return Status(reason, "signature must be 64 lower-case hex digits");
  }
  return Status::Ok();
}

Result<AuthorizationParams> ParseAuthorizationHeader(std::string_view value) {
  const Reason bad = reasons::kSigv4AuthorizationMalformed;
  if (value.size() > kMaxAuthorizationBytes) {
    return Status(bad, "authorization header too long");
  }
  value = TrimSpaces(value);
  const size_t space = value.find(' ');
  if (space == std::string_view::npos) {
    return Status(bad, "want \"<algorithm> <parameters>\"");
  }
  AuthorizationParams out;
  out.algorithm = std::string(value.substr(0, space));
  if (out.algorithm != kAlgorithm) {
    return Status(reasons::kSigv4UnsupportedAlgorithm,
                  "algorithm \"" + out.algorithm.substr(0, 32) + "\", want AWS4-HMAC-SHA256");
  }
  bool have_credential = false, have_signed = false, have_signature = false;
  std::string_view rest = value.substr(space + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    const size_t comma = rest.find(',', pos);
    const std::string_view part =
        TrimSpaces(rest.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return Status(bad, "parameter without '='");
    }
    const std::string_view key = part.substr(0, eq);
    const std::string_view val = part.substr(eq + 1);
    if (key == "Credential" && !have_credential) {
      ATTEST_ASSIGN_OR_RETURN(out.credential, ParseCredential(val, bad));
      have_credential = true;
    } else if (key == "SignedHeaders" && !have_signed) {
      ATTEST_ASSIGN_OR_RETURN(out.signed_headers, ParseSignedHeaders(val, bad));
      have_signed = true;
    } else if (key == "Signature" && !have_signature) {
      ATTEST_RETURN_IF_ERROR(CheckSignatureHex(val, bad));
      out.signature = std::string(val);
      have_signature = true;
    } else {
      return Status(bad,
                    "unknown or repeated parameter \"" + std::string(key.substr(0, 32)) + "\"");
    }
    if (comma == std::string_view::npos) {
      break;
    }
    pos = comma + 1;
  }
  if (!have_credential || !have_signed || !have_signature) {
    return Status(bad, "Credential, SignedHeaders and Signature are all required");
  }
  return out;
}

}  // namespace attest::sigv4
