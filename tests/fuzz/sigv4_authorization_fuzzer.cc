// Fuzzes the SigV4 Authorization header parser and the presigned-query pieces it shares.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "sigv4/authorization.h"
#include "sigv4/canonical.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sigv4 = attest::sigv4;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto auth = sigv4::ParseAuthorizationHeader(text);
  if (auth.ok() && (auth->signature.size() != 64 || auth->signed_headers.empty() ||
                    auth->credential.access_key_id.empty())) {
    __builtin_trap();
  }
  (void)sigv4::CanonicalQuery(sigv4::ParseQuery(text));
  (void)sigv4::CanonicalUri(text, true, true);
  (void)sigv4::ParseAmzDate(text);
  return 0;
}
