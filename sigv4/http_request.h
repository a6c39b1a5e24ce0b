// HttpRequest: the plain request value that request authentication (SigV4) and handlers read.
// In namespace attest (not sigv4) because every layer passes it: the server, the API handlers,
// the signer, the verifier.
//
// The HTTP layer fills it from the wire; tests and attestctl fill it from a raw request file. It
// holds the request exactly as received: nothing is decoded, trimmed or merged here, because the
// SigV4 canonical form is defined over what the client sent.
#pragma once

#include <string>
#include <vector>

#include "attest/core/bytes.h"

namespace attest {

struct HttpHeader {
  std::string name;   // as sent (case preserved)
  std::string value;  // as sent, surrounding whitespace included
};

struct HttpRequest {
  std::string method;               // "GET", "POST", ...
  std::string path;                 // request-target before '?', percent-encoding untouched
  std::string query;                // raw query after '?' (without it); empty when none
  std::vector<HttpHeader> headers;  // in arrival order; repeated names stay separate entries
  Bytes body;
  // remote_address: the TCP peer's IP address as the server saw it ("" when unknown, as in
  // tests). attestd reads the client's address from it, or behind a trusted proxy from the
  // forwarding headers (service/http/client_address.h). Not part of any signature.
  std::string remote_address;
};

}  // namespace attest
