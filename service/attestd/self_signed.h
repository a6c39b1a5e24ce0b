// A self-signed TLS server certificate for the embedded default (`attestd init`): ECDSA P-256,
// subjectAltName IP:127.0.0.1 and DNS:localhost, one year. Clients pin it (attestctl --ca-cert,
// curl --cacert) until an operator installs a certificate from their own CA.
#pragma once

#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/http/reasons.h"

namespace attest::service::attestd {

struct PemKeyPair {
  std::string certificate_pem;
  std::string private_key_pem;
};

// GenerateSelfSignedTls makes the key and certificate valid from now (minus a minute of clock
// skew) for 365 days. Fails with reasons::kApiConfig only if OpenSSL fails.
Result<PemKeyPair> GenerateSelfSignedTls(TimePoint now);

}  // namespace attest::service::attestd
