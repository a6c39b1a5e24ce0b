// Sha384Stream: SHA-384 over data fed in pieces, for the measurements that hash far more bytes
// than is worth copying into one buffer (MRTD over a whole TDVF, a kernel's Authenticode ranges).
#pragma once

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/ossl.h"

namespace attest::measure {

class Sha384Stream {
 public:
  Sha384Stream();
  void Update(ByteSpan data);
  Sha384Digest Finish();

 private:
  EvpMdCtxPtr ctx_;
};

}  // namespace attest::measure
