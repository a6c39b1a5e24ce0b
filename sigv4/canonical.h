// SigV4 canonical forms: URI, query, headers, canonical request and string to sign.
//
// Rules from the AWS SigV4 documentation ("Create a canonical request"), as the suites in
// ../shared/vectors/sigv4 pin them down:
// - URI-encode every byte except the unreserved A-Z a-z 0-9 - . _ ~ as %XY with upper-case hex.
// - Path: optionally normalised (RFC 3986 section 5.2.4 dot segments removed, empty segments
//   collapsed, trailing slash kept), then encoded with '/' kept. AWS services other than S3 encode
//   the path as sent, so an already-encoded "%20" becomes "%2520" (double encoding).
// - Query: split on '&', each "key=value" (a bare key has an empty value) percent-decoded then
//   re-encoded, sorted by encoded key then encoded value.
// - Headers: lower-case names, sorted; each value trimmed and every run of spaces/tabs folded to
//   one space; repeated headers joined with ',' in arrival order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "sigv4/http_request.h"
#include "sigv4/reasons.h"

namespace attest::sigv4 {

inline constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// UriEncode percent-encodes every byte outside the unreserved set; '/' too unless keep_slash.
std::string UriEncode(std::string_view in, bool keep_slash);

// PercentDecode decodes %XY escapes; a '%' not followed by two hex digits is kept literally.
std::string PercentDecode(std::string_view in);

// NormalizePath removes "." and ".." segments and empty segments; "" becomes "/".
std::string NormalizePath(std::string_view path);

// CanonicalUri returns the canonical URI of a raw request path. With double_encode false (S3
// style), an existing valid %XY escape is decoded first, so it is not encoded twice.
std::string CanonicalUri(std::string_view raw_path, bool normalize, bool double_encode);

struct QueryParam {
  std::string key;    // decoded
  std::string value;  // decoded
};

// ParseQuery splits a raw query string into decoded parameters, in order. Empty pieces ("a&&b")
// are skipped.
std::vector<QueryParam> ParseQuery(std::string_view raw_query);

// CanonicalQuery encodes and sorts params; a parameter named skip_key (when not empty) is left out.
std::string CanonicalQuery(const std::vector<QueryParam>& params, std::string_view skip_key = "");

// TrimAll trims leading/trailing spaces and tabs and folds each inner run into one space.
std::string TrimAll(std::string_view value);

// ToLower lower-cases ASCII.
std::string ToLower(std::string_view s);

// CanonicalHeaders returns the "name:value\n" block for the given lower-case, sorted names. Fails
// with reasons::kSigv4AuthorizationMalformed when a named header is absent from req.
Result<std::string> CanonicalHeaders(const HttpRequest& req,
                                     const std::vector<std::string>& signed_names);

// JoinSignedHeaders returns "a;b;c".
std::string JoinSignedHeaders(const std::vector<std::string>& names);

// CanonicalRequest joins the six parts with '\n' (the header block ends with its own '\n').
std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash);

// StringToSign returns "AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256(canonical request)>".
std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request);

// CredentialScope returns "<date>/<region>/<service>/aws4_request".
std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service);

// ParseAmzDate parses the ISO 8601 basic form "YYYYMMDDTHHMMSSZ". Fails with
// reasons::kSigv4BadDate.
Result<TimePoint> ParseAmzDate(std::string_view text);

// FormatAmzDate returns "YYYYMMDDTHHMMSSZ".
std::string FormatAmzDate(TimePoint t);

// HexSha256 returns the lower-case hex SHA-256 of data.
std::string HexSha256(ByteSpan data);

}  // namespace attest::sigv4
