// Swtpm: a real software TPM 2.0 (swtpm, libtpms) for one integration test, on its own free
// loopback ports and state directory, killed and removed when the object goes away (also when
// the test fails with an ASSERT).
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "attest/core/bytes.h"
#include "attest/core/status.h"

namespace attest::testing {

struct SwtpmOptions {
  // Manufacture with swtpm_setup --create-ek-cert, signed by a private swtpm_localca in the test's
  // own directory (never the machine-wide /var/lib/swtpm-localca). Active banks: sha1 + sha256.
  // swtpm_setup certifies two EKs: RSA 2048 (NV 0x01c00002) and ECC P-384 (NV 0x01c00016, the
  // H-4 template); it has no option for a P-256 EK certificate (--ecc only makes the SRK ECC).
  bool ek_certificate = false;
  // With ek_certificate: also store the local CA's issuing certificate (DER) in the first EK
  // certificate chain NV index, 0x01c00100, written with platform authorization as a manufacturer
  // would (tpm2_nvdefine / tpm2_nvwrite -C p).
  bool ek_chain_in_nv = false;
};

class Swtpm {
 public:
  // Start creates the state, starts `swtpm socket --daemon`, and waits until it answers.
  static Result<std::unique_ptr<Swtpm>> Start(const SwtpmOptions& options = {});
  ~Swtpm();

  // Tcti is the tpm2-tss TCTI configuration for this instance.
  std::string Tcti() const;
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }
  // CaDir holds only the CA certificates (PEM) of the private localca, as an operator would
  // configure them. Empty without ek_certificate.
  std::string CaDir() const { return ek_certificate_ ? dir_ + "/cas" : ""; }
  // RootCaFile is the local CA's self-signed root alone (PEM); the issuing CA below it is in
  // CaDir() and, with ek_chain_in_nv, in the TPM.
  std::string RootCaFile() const {
    return ek_certificate_ ? dir_ + "/cas/swtpm-localca-rootca-cert.pem" : "";
  }

  // DynamicLaunch runs _TPM_Hash_Start / _TPM_Hash_Data(data) / _TPM_Hash_End through swtpm's
  // control channel (swtpm_ioctl -h), as the CPU does for an Intel TXT launch of a SINIT ACM:
  // PCRs 17-22 reset to zero and PCR 17 is extended with H(data) in every bank.
  Status DynamicLaunch(ByteSpan data);

 private:
  Swtpm() = default;
  std::string dir_;
  int port_ = 0;
  int ctrl_port_ = 0;
  pid_t pid_ = 0;
  bool ek_certificate_ = false;
};

}  // namespace attest::testing
