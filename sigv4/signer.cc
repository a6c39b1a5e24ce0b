#include "sigv4/signer.h"

#include <algorithm>
#include <vector>

#include "attest/core/encoding.h"
#include "attest/core/wipe.h"
#include "sigv4/canonical.h"
#include "sigv4/crypto.h"

namespace attest::sigv4 {
namespace {

Status CheckScopePart(std::string_view what, std::string_view value) {
  if (value.empty() || value.find('/') != std::string_view::npos ||
      value.find_first_of(" \t\r\n,;=") != std::string_view::npos) {
    return Status(reasons::kSigv4BadOption,
                  std::string(what) + " must be non-empty without '/', ',', ';', '=' or spaces");
  }
  return Status::Ok();
}

// SetHeader replaces the value of the first header named (case-insensitively) lower_name, or
// appends name:value.
void SetHeader(HttpRequest* req, std::string_view lower_name, std::string_view name,
               std::string_view value) {
  for (HttpHeader& h : req->headers) {
    if (ToLower(h.name) == lower_name) {
      h.value = std::string(value);
      return;
    }
  }
  req->headers.push_back({std::string(name), std::string(value)});
}

}  // namespace

Result<SigningResult> SignRequest(const HttpRequest& req, const Credentials& credentials,
                                  const SignOptions& options) {
  ATTEST_RETURN_IF_ERROR(CheckScopePart("access key id", credentials.access_key_id));
  ATTEST_RETURN_IF_ERROR(CheckScopePart("region", options.region));
  ATTEST_RETURN_IF_ERROR(CheckScopePart("service", options.service));
  if (credentials.secret_access_key.empty()) {
    return Status(reasons::kSigv4BadOption, "secret access key is empty");
  }
  const bool query_form = options.location == SignatureLocation::kQuery;
  if (query_form && (options.expires_seconds < 1 || options.expires_seconds > kMaxExpiresSeconds)) {
    return Status(reasons::kSigv4BadOption,
                  "expires must be 1.." + std::to_string(kMaxExpiresSeconds) + " seconds");
  }

  const std::string amz_date = FormatAmzDate(options.time);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = CredentialScope(date, options.region, options.service);
  const std::string payload_hash = options.unsigned_payload          ? std::string(kUnsignedPayload)
                                   : !options.payload_sha256.empty() ? options.payload_sha256
                                                                     : HexSha256(req.body);
  const bool sign_token = !credentials.session_token.empty() && !options.omit_session_token;

  SigningResult result;
  result.signed_request = req;
  HttpRequest& out = result.signed_request;
  if (!query_form) {
    if (sign_token) {
      SetHeader(&out, "x-amz-security-token", "X-Amz-Security-Token", credentials.session_token);
    }
    SetHeader(&out, "x-amz-date", "X-Amz-Date", amz_date);
    if (options.sign_body) {
      SetHeader(&out, "x-amz-content-sha256", "x-amz-content-sha256", payload_hash);
    }
  }

  std::vector<std::string> names;
  for (const HttpHeader& h : out.headers) {
    std::string lower = ToLower(h.name);
    if (lower != "authorization") {
      names.push_back(std::move(lower));
    }
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  const std::string signed_headers = JoinSignedHeaders(names);
  ATTEST_ASSIGN_OR_RETURN(const std::string canonical_headers, CanonicalHeaders(out, names));

  std::vector<QueryParam> params = ParseQuery(req.query);
  // The presigned parameters in the order AWS SDKs append them.
  std::vector<QueryParam> added;
  if (query_form) {
    added = {{"X-Amz-Algorithm", std::string(kAlgorithm)},
             {"X-Amz-Credential", credentials.access_key_id + "/" + scope},
             {"X-Amz-Date", amz_date},
             {"X-Amz-SignedHeaders", signed_headers},
             {"X-Amz-Expires", std::to_string(options.expires_seconds)}};
    if (sign_token) {
      added.push_back({"X-Amz-Security-Token", credentials.session_token});
    }
    params.insert(params.end(), added.begin(), added.end());
  }

  result.canonical_request = CanonicalRequest(
      out.method, CanonicalUri(out.path, options.normalize_path, options.double_encode_path),
      CanonicalQuery(params), canonical_headers, signed_headers, payload_hash);
  result.string_to_sign = StringToSign(amz_date, scope, result.canonical_request);
  const Wiped<Sha256Digest> key(
      DeriveSigningKey(credentials.secret_access_key, date, options.region, options.service));
  result.signature = HexEncode(HmacSha256(key.get(), AsBytes(result.string_to_sign)));

  if (query_form) {
    added.push_back({"X-Amz-Signature", result.signature});
    std::string query = out.query;
    for (const QueryParam& p : added) {
      if (!query.empty()) {
        query += '&';
      }
      query += UriEncode(p.key, false) + "=" + UriEncode(p.value, false);
    }
    out.query = query;
    result.presigned_query = std::move(query);
  } else {
    if (!sign_token && !credentials.session_token.empty()) {
      SetHeader(&out, "x-amz-security-token", "X-Amz-Security-Token", credentials.session_token);
    }
    result.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id +
                           "/" + scope + ", SignedHeaders=" + signed_headers +
                           ", Signature=" + result.signature;
    out.headers.push_back({"Authorization", result.authorization});
  }
  return result;
}

}  // namespace attest::sigv4
