// Fuzzes the raw HTTP request parser and then the whole SigV4 verifier over what it parsed (the
// path every request the service receives takes before it is authenticated). A request that
// parses must serialize and parse back to the same value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sigv4/canonical.h"
#include "sigv4/request_file.h"
#include "sigv4/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sigv4 = attest::sigv4;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto req = sigv4::ParseRequestFile(text);
  if (!req.ok()) {
    return 0;
  }
  const sigv4::VerifierConfig config{"us-east-1", "service"};
  const sigv4::CredentialLookup lookup =
      [](std::string_view id) -> std::optional<sigv4::StoredCredential> {
    if (id != "AKIDEXAMPLE") {
      return std::nullopt;
    }
    return sigv4::StoredCredential{"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", std::nullopt, "f"};
  };
  (void)sigv4::VerifyRequest(*req, config, lookup, *sigv4::ParseAmzDate("20150830T123600Z"));
  auto again = sigv4::ParseRequestFile(sigv4::SerializeRequest(*req));
  if (!again.ok() || again->method != req->method || again->path != req->path ||
      again->query != req->query || again->body != req->body) {
    __builtin_trap();
  }
  return 0;
}
