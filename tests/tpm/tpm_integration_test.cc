// Integration tests against a real TPM 2.0 (swtpm): EK certificate, registration with credential
// activation, quote + event log verification, an Intel TXT-style dynamic launch with its DRTM log,
// and tampered-evidence rejection. Label: integration.
#include <gtest/gtest.h>

#include <openssl/x509.h>

#include <ctime>
#include <filesystem>

#include "agent/host_commands.h"
#include "agent/tpm_device.h"
#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/x509.h"
#include "attest/tpm/credential.h"
#include "attest/tpm/host.h"
#include "attest/tpm/log_builder.h"
#include "attest/tpm/testing/verify_all.h"
#include "tests/testing/test_pki.h"
#include "tests/tpm/swtpm_harness.h"

namespace attest::tpm {
namespace {

using agent::AkAlgorithm;
using agent::TpmDevice;
using testing::Swtpm;

Bytes Text(std::string_view s) { return Bytes(s.begin(), s.end()); }

// NotBeforePlusOneHour: a verification time inside the freshly issued EK certificate's window,
// taken from the certificate rather than the wall clock.
TimePoint NotBeforePlusOneHour(ByteSpan der) {
  auto certs = ParseCertificates(der);
  EXPECT_TRUE(certs.ok());
  std::tm tm{};
  ASN1_TIME_to_tm(X509_get0_notBefore(certs->front().get()), &tm);
  return FromUnixSeconds(static_cast<int64_t>(timegm(&tm)) + 3600);
}

// Anchors holds trusted CA certificates for VerifyEkCertificate.
struct Anchors {
  explicit Anchors(ByteSpan pem) {
    auto parsed = ParseCertificates(pem);
    EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
    if (parsed.ok()) {
      certs = std::move(parsed).value();
    }
    for (const X509Ptr& c : certs) {
      ptrs.push_back(c.get());
    }
  }
  std::vector<X509Ptr> certs;
  std::vector<X509*> ptrs;
};

Anchors CaDirAnchors(const Swtpm& swtpm) {
  auto cas = LoadCaBundleDir(swtpm.CaDir());
  EXPECT_TRUE(cas.ok());
  return Anchors(cas.ok() ? ByteSpan(*cas) : ByteSpan());
}

Anchors RootAnchor(const Swtpm& swtpm) {
  auto root = ReadFileBytes(swtpm.RootCaFile());
  EXPECT_TRUE(root.ok());
  return Anchors(root.ok() ? ByteSpan(*root) : ByteSpan());
}

const std::map<uint16_t, std::vector<uint32_t>> kSelection = {
    {kAlgSha1, {0, 1, 2, 3, 4, 5, 6, 7, 17, 18}}, {kAlgSha256, {0, 1, 2, 3, 4, 5, 6, 7, 17, 18}}};

TEST(SwtpmIntegration, RegistrationWithEkCertificateAndCredentialActivation) {
  auto swtpm = Swtpm::Start({.ek_certificate = true});
  ASSERT_TRUE(swtpm.ok()) << swtpm.status().ToString();
  auto tpm = TpmDevice::Open((*swtpm)->Tcti());
  ASSERT_TRUE(tpm.ok()) << tpm.status().ToString();
  auto ek = (*tpm)->CreateEk();
  ASSERT_TRUE(ek.ok()) << ek.status().ToString();
  auto cert = (*tpm)->ReadEkCertificate();
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  auto ak = (*tpm)->CreateAk(AkAlgorithm::kEcdsaP256);
  ASSERT_TRUE(ak.ok()) << ak.status().ToString();

  // Verifier: EK certificate chains to the operator's CA directory and carries this EK.
  auto ek_public = ParseEkPublic(ek->public_area);
  ASSERT_TRUE(ek_public.ok()) << ek_public.status().ToString();
  const Anchors cas = CaDirAnchors(**swtpm);
  const TimePoint now = NotBeforePlusOneHour(*cert);
  Status chain = VerifyEkCertificate(*cert, {}, *ek_public, cas.ptrs, now);
  ASSERT_TRUE(chain.ok()) << chain.ToString();
  // ...but not to another CA, and not for another TPM's EK.
  EvpPkeyPtr other_root = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP256);
  attest::testing::CertSpec spec;
  spec.common_name = "other manufacturer root";
  spec.not_before = now - std::chrono::hours(24);
  spec.not_after = now + std::chrono::hours(24);
  spec.is_ca = true;
  X509Ptr other_ca =
      attest::testing::IssueCertificate(spec, other_root.get(), nullptr, other_root.get());
  EXPECT_EQ(VerifyEkCertificate(*cert, {}, *ek_public, std::vector<X509*>{other_ca.get()}, now)
                .reason_id(),
            "tpm.ek_chain_untrusted");
  {
    auto bare = Swtpm::Start();
    ASSERT_TRUE(bare.ok());
    auto other_tpm = TpmDevice::Open((*bare)->Tcti());
    ASSERT_TRUE(other_tpm.ok());
    auto other_ek = (*other_tpm)->CreateEk();
    ASSERT_TRUE(other_ek.ok());
    auto other_public = ParseEkPublic(other_ek->public_area);
    ASSERT_TRUE(other_public.ok());
    EXPECT_EQ(VerifyEkCertificate(*cert, {}, *other_public, cas.ptrs, now).reason_id(),
              "tpm.ek_public_mismatch");
  }

  // AK: restricted signing key; the verifier issues a credential bound to its name.
  auto ak_public = ParsePublicKey(ak->public_area);
  ASSERT_TRUE(ak_public.ok());
  ASSERT_TRUE(CheckAkAttributes(*ak_public).ok());
  ASSERT_EQ(*ak_public->name, ak->name);
  const Bytes secret = Text("0123456789abcdef0123456789abcdef");
  auto made = MakeCredential(*ek_public, ak->name, secret);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  auto recovered =
      (*tpm)->ActivateCredential(*ak, *ek, made->credential_blob, made->encrypted_secret);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_TRUE(CheckActivatedCredential(secret, *recovered).ok());
  EXPECT_EQ(
      CheckActivatedCredential(Text("something else entirely, 32 b!!"), *recovered).reason_id(),
      "tpm.credential_invalid");

  // A credential made for another key's name, or altered in transit, does not activate.
  auto rsa_ak = (*tpm)->CreateAk(AkAlgorithm::kRsaSsa2048);
  ASSERT_TRUE(rsa_ak.ok());
  auto for_other = MakeCredential(*ek_public, rsa_ak->name, secret);
  ASSERT_TRUE(for_other.ok());
  EXPECT_EQ(
      (*tpm)
          ->ActivateCredential(*ak, *ek, for_other->credential_blob, for_other->encrypted_secret)
          .status()
          .reason_id(),
      "tpm.device_error");
  Bytes flipped = made->credential_blob;
  flipped[10] ^= 1;
  EXPECT_EQ(
      (*tpm)->ActivateCredential(*ak, *ek, flipped, made->encrypted_secret).status().reason_id(),
      "tpm.device_error");
  // The handles were flushed after each failure: the TPM still has room for a fresh activation.
  auto again = (*tpm)->ActivateCredential(*ak, *ek, made->credential_blob, made->encrypted_secret);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

// MeasureFirmware extends the TPM exactly as the log says (what firmware does at boot).
void MeasureFirmware(TpmDevice& tpm, const EventLog& log) {
  for (const TcgEvent& ev : log.events) {
    if (ev.event_type == kEvNoAction) {
      continue;
    }
    ASSERT_TRUE(tpm.ExtendPcr(ev.pcr_index, ev.digests, 0).ok());
  }
}

LogBuilder FirmwareLog() {
  LogBuilder b = LogBuilder::Agile({kAlgSha1, kAlgSha256});
  b.Add(0, kEvSCrtmVersion, Bytes{'v', 0, '1', 0, 0, 0})
      .Add(0, kEvEfiPlatformFirmwareBlob, Bytes(16, 0x42))
      .Add(7, kEvSeparator, Bytes(4, 0))
      .Add(4, kEvEfiAction, Text("Calling EFI Application from Boot Option"))
      .Add(4, kEvEfiBootServicesApplication, Text("\\EFI\\BOOT\\BOOTX64.EFI"));
  for (uint32_t pcr = 0; pcr <= 6; ++pcr) {
    b.Add(pcr, kEvSeparator, Bytes(4, 0));
  }
  return b;
}

TEST(SwtpmIntegration, QuoteVerifiesAgainstTheEventLogAndTamperingIsRejected) {
  auto swtpm = Swtpm::Start();
  ASSERT_TRUE(swtpm.ok()) << swtpm.status().ToString();
  auto tpm = TpmDevice::Open((*swtpm)->Tcti());
  ASSERT_TRUE(tpm.ok());
  const LogBuilder firmware = FirmwareLog();
  auto log = ParseEventLog(firmware.bytes());
  ASSERT_TRUE(log.ok());
  MeasureFirmware(**tpm, *log);
  auto ak = (*tpm)->CreateAk(AkAlgorithm::kEcdsaP256);
  ASSERT_TRUE(ak.ok());
  const Bytes nonce = Text("fresh verifier nonce 0123456789");
  auto quote = (*tpm)->Quote(*ak, nonce, kSelection);
  ASSERT_TRUE(quote.ok()) << quote.status().ToString();
  auto ak_public = ParsePublicKey(ak->public_area);
  ASSERT_TRUE(ak_public.ok());

  testing::EvidenceWithKey ev;
  ev.quote = quote->attest;
  ev.signature = quote->signature;
  ev.ak = &*ak_public;
  ev.nonce = ByteSpan(nonce);
  ev.event_log = ByteSpan(firmware.bytes());
  // Without supplied PCR values the log replay stands in for them: the pcrDigest proves the log.
  testing::VerifiedAll ok = testing::VerifyAll(ev);
  ASSERT_TRUE(ok.accepted()) << ok.errors.front().ToString();
  EXPECT_EQ(ok.claims.boot->boot_application_digests.size(), 1u);
  EXPECT_EQ(ok.claims.boot->scrtm_version, "v1");
  ev.pcrs = quote->pcrs;  // and with the PCR values read from the TPM
  ASSERT_TRUE(testing::VerifyAll(ev).accepted());

  // A log with one digest bit flipped (PCR 4's boot application) is rejected, naming PCR 4.
  Bytes tampered = firmware.bytes();
  const TcgEvent& app = log->events[4];
  ASSERT_EQ(app.event_type, kEvEfiBootServicesApplication);
  tampered[app.offset + 12 + 2 + 5] ^= 0x10;  // inside the sha1 digest
  ev.event_log = ByteSpan(tampered);
  testing::VerifiedAll bad = testing::VerifyAll(ev);
  ASSERT_FALSE(bad.accepted());
  EXPECT_EQ(bad.errors.front().reason_id(), "eventlog.pcr_mismatch");
  EXPECT_NE(bad.errors.front().message().find("sha1:4 "), std::string::npos);
  ev.event_log = ByteSpan(firmware.bytes());

  const Bytes stale = Text("stale verifier nonce 0123456789");
  ev.nonce = ByteSpan(stale);
  EXPECT_EQ(testing::VerifyAll(ev).errors.front().reason_id(), "tpm.nonce_mismatch");
}

TEST(SwtpmIntegration, DynamicLaunchWithDrtmLogVerifies) {
  auto swtpm = Swtpm::Start();
  ASSERT_TRUE(swtpm.ok()) << swtpm.status().ToString();
  const Bytes sinit = Text("SINIT ACM image bytes (simulated for swtpm)");
  const Bytes mle = Text("tboot MLE image bytes");
  const Bytes lcp = Text("launch control policy");
  // The CPU's part: locality-4 _TPM_Hash_Start/Data/End over the SINIT ACM.
  ASSERT_TRUE((*swtpm)->DynamicLaunch(sinit).ok());
  auto tpm = TpmDevice::Open((*swtpm)->Tcti());
  ASSERT_TRUE(tpm.ok());
  // SINIT's part: LCP into PCR 17, the MLE into PCR 18, at locality 4 (locality 0 is refused).
  LogBuilder drtm = LogBuilder::Agile({kAlgSha1, kAlgSha256});
  drtm.Add(17, kEvTxtHashStart, sinit)
      .Add(17, kEvTxtLcpControlHash, lcp)
      .Add(18, kEvTxtMleHash, mle);
  auto drtm_log = ParseEventLog(drtm.bytes());
  ASSERT_TRUE(drtm_log.ok());
  EXPECT_EQ((*tpm)->ExtendPcr(18, drtm_log->events[2].digests, 0).reason_id(), "tpm.device_error");
  ASSERT_TRUE((*tpm)->ExtendPcr(17, drtm_log->events[1].digests, 4).ok());
  ASSERT_TRUE((*tpm)->ExtendPcr(18, drtm_log->events[2].digests, 4).ok());

  const LogBuilder firmware = FirmwareLog();
  auto log = ParseEventLog(firmware.bytes());
  ASSERT_TRUE(log.ok());
  MeasureFirmware(**tpm, *log);
  auto ak = (*tpm)->CreateAk(AkAlgorithm::kRsaSsa2048);
  ASSERT_TRUE(ak.ok());
  const Bytes nonce = Text("drtm nonce");
  auto quote = (*tpm)->Quote(*ak, nonce, kSelection);
  ASSERT_TRUE(quote.ok()) << quote.status().ToString();
  auto ak_public = ParsePublicKey(ak->public_area);
  ASSERT_TRUE(ak_public.ok());

  testing::EvidenceWithKey ev;
  ev.quote = quote->attest;
  ev.signature = quote->signature;
  ev.ak = &*ak_public;
  ev.nonce = ByteSpan(nonce);
  ev.pcrs = quote->pcrs;
  ev.event_log = ByteSpan(firmware.bytes());
  ev.drtm_log = ByteSpan(drtm.bytes());
  testing::VerifiedAll ok = testing::VerifyAll(ev);
  ASSERT_TRUE(ok.accepted()) << ok.errors.front().ToString();
  const Sha256Digest sinit_digest = Sha256(sinit);
  const Sha256Digest mle_digest = Sha256(mle);
  EXPECT_EQ(ok.claims.drtm->sinit_digest, Bytes(sinit_digest.begin(), sinit_digest.end()));
  EXPECT_EQ(ok.claims.drtm->mle_digest, Bytes(mle_digest.begin(), mle_digest.end()));
  // Replay-only mode (no PCR file) proves the same.
  ev.pcrs.reset();
  ASSERT_TRUE(testing::VerifyAll(ev).accepted());
  ev.pcrs = quote->pcrs;

  // A DRTM log claiming another MLE disagrees with quoted PCR 18.
  LogBuilder forged = LogBuilder::Agile({kAlgSha1, kAlgSha256});
  forged.Add(17, kEvTxtHashStart, sinit)
      .Add(17, kEvTxtLcpControlHash, lcp)
      .Add(18, kEvTxtMleHash, Text("another MLE"));
  ev.drtm_log = ByteSpan(forged.bytes());
  testing::VerifiedAll bad = testing::VerifyAll(ev);
  ASSERT_FALSE(bad.accepted());
  EXPECT_EQ(bad.errors.front().reason_id(), "tpm.drtm_pcr_mismatch");
  EXPECT_NE(bad.errors.front().message().find(":18 "), std::string::npos);
  // Omitting the DRTM log after a launch is not "no launch".
  ev.drtm_log.reset();
  bad = testing::VerifyAll(ev);
  ASSERT_FALSE(bad.accepted());
  EXPECT_EQ(bad.errors.front().reason_id(), "tpm.drtm_pcr_mismatch");
}

TEST(SwtpmIntegration, AgentCommandsProduceWhatTheVerifierAccepts) {
  auto swtpm = Swtpm::Start({.ek_certificate = true});
  ASSERT_TRUE(swtpm.ok()) << swtpm.status().ToString();
  const std::string out = (*swtpm)->dir() + "/agent";
  ASSERT_TRUE(
      agent::Register((*swtpm)->Tcti(), AkAlgorithm::kEcdsaP256, agent::EkAlgorithm::kRsa2048, out)
          .ok());
  auto ek_bytes = ReadFileBytes(out + "/ek.pub");
  auto cert = ReadFileBytes(out + "/ek.crt");
  auto ak_name = ReadFileBytes(out + "/ak.name");
  ASSERT_TRUE(ek_bytes.ok() && cert.ok() && ak_name.ok());
  auto ek = ParseEkPublic(*ek_bytes);
  ASSERT_TRUE(ek.ok());
  const Anchors cas = CaDirAnchors(**swtpm);
  ASSERT_TRUE(VerifyEkCertificate(*cert, {}, *ek, cas.ptrs, NotBeforePlusOneHour(*cert)).ok());
  EXPECT_FALSE(std::filesystem::exists(out + "/ek-chain.pem"));  // this TPM defines no chain
  const Bytes secret = Text("credential for this host");
  auto made = MakeCredential(*ek, *ak_name, secret);
  ASSERT_TRUE(made.ok());
  auto recovered =
      agent::Activate((*swtpm)->Tcti(), AkAlgorithm::kEcdsaP256, agent::EkAlgorithm::kRsa2048,
                      made->credential_blob, made->encrypted_secret);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  ASSERT_TRUE(CheckActivatedCredential(secret, *recovered).ok());

  agent::QuoteOptions options;
  options.nonce = Text("agent nonce");
  options.eventlog_path = (*swtpm)->dir() + "/absent";
  ASSERT_TRUE(agent::Quote((*swtpm)->Tcti(), AkAlgorithm::kEcdsaP256, options, out).ok());
  auto quote = ReadFileBytes(out + "/quote.msg");
  auto sig = ReadFileBytes(out + "/quote.sig");
  auto pcrs = ReadFileBytes(out + "/pcrs.json");
  auto ak = ReadFileBytes(out + "/ak.pub");
  ASSERT_TRUE(quote.ok() && sig.ok() && pcrs.ok() && ak.ok());
  auto ak_public = ParsePublicKey(*ak);
  ASSERT_TRUE(ak_public.ok());
  EXPECT_EQ(*ak_public->name, *ak_name);  // the activated AK is the quoting AK
  auto values = ParsePcrValues(*pcrs);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->size(), 2u);  // swtpm_setup activated sha1 + sha256
  auto verified = VerifyQuote(*quote, *sig, *ak_public, ByteSpan(options.nonce), *values);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
}

// ECC EKs end to end: swtpm's P-384 EK (template H-4) carries the certificate swtpm_localca issued,
// its chain comes from the EK chain NV index, and TPM2_ActivateCredential recovers what
// MakeCredential sealed with ECDH + KDFe; the P-256 EK (template L-2) activates too.
TEST(SwtpmIntegration, EccEkCredentialActivation) {
  auto swtpm = Swtpm::Start({.ek_certificate = true, .ek_chain_in_nv = true});
  ASSERT_TRUE(swtpm.ok()) << swtpm.status().ToString();
  auto tpm = TpmDevice::Open((*swtpm)->Tcti());
  ASSERT_TRUE(tpm.ok()) << tpm.status().ToString();
  auto chain = (*tpm)->ReadEkChain();
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  ASSERT_FALSE(chain->empty());
  const Anchors root = RootAnchor(**swtpm);
  EXPECT_FALSE((*tpm)->ReadEkCertificate(agent::EkAlgorithm::kEccP256).ok());  // not provisioned

  struct Kind {
    std::string name;
    agent::EkAlgorithm alg;
    bool certified;
  };
  const Kind kinds[] = {{"ecc-p384", agent::EkAlgorithm::kEccP384, true},
                        {"rsa-2048", agent::EkAlgorithm::kRsa2048, true},
                        {"ecc-p256", agent::EkAlgorithm::kEccP256, false}};
  for (const Kind& k : kinds) {
    SCOPED_TRACE(k.name);
    auto ek = (*tpm)->CreateEk(k.alg);
    ASSERT_TRUE(ek.ok()) << ek.status().ToString();
    auto ek_public = ParseEkPublic(ek->public_area);
    ASSERT_TRUE(ek_public.ok()) << ek_public.status().ToString();
    EXPECT_EQ(EkAlgorithmName(*ek_public), k.name);
    if (k.certified) {
      // The certificate's key is the EK our template makes: the template is swtpm's, bit for bit.
      auto cert = (*tpm)->ReadEkCertificate(k.alg);
      ASSERT_TRUE(cert.ok()) << cert.status().ToString();
      const TimePoint now = NotBeforePlusOneHour(*cert);
      EXPECT_TRUE(VerifyEkCertificate(*cert, *chain, *ek_public, root.ptrs, now).ok());
      EXPECT_EQ(VerifyEkCertificate(*cert, {}, *ek_public, root.ptrs, now).reason_id(),
                "tpm.ek_chain_untrusted");  // the issuing CA is only in the NV chain
    }
    for (AkAlgorithm ak_alg : {AkAlgorithm::kEcdsaP256, AkAlgorithm::kRsaSsa2048}) {
      auto ak = (*tpm)->CreateAk(ak_alg);
      ASSERT_TRUE(ak.ok()) << ak.status().ToString();
      const Bytes secret(ek_public->name_alg == kAlgSha384 ? 48 : 32, 0x42);
      auto made = MakeCredential(*ek_public, ak->name, secret);
      ASSERT_TRUE(made.ok()) << made.status().ToString();
      auto recovered =
          (*tpm)->ActivateCredential(*ak, *ek, made->credential_blob, made->encrypted_secret);
      ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
      EXPECT_TRUE(CheckActivatedCredential(secret, *recovered).ok());
      // Negatives: another name, a flipped ephemeral point / ciphertext / HMAC.
      Bytes other_name = ak->name;
      other_name.back() ^= 1;
      auto for_other = MakeCredential(*ek_public, other_name, secret);
      ASSERT_TRUE(for_other.ok());
      EXPECT_EQ((*tpm)
                    ->ActivateCredential(*ak, *ek, for_other->credential_blob,
                                         for_other->encrypted_secret)
                    .status()
                    .reason_id(),
                "tpm.device_error");
      for (size_t at : {size_t{6}, made->encrypted_secret.size() - 1}) {
        Bytes bad = made->encrypted_secret;
        bad[at] ^= 1;
        EXPECT_FALSE((*tpm)->ActivateCredential(*ak, *ek, made->credential_blob, bad).ok());
      }
      Bytes bad_blob = made->credential_blob;
      bad_blob.back() ^= 1;
      EXPECT_FALSE((*tpm)->ActivateCredential(*ak, *ek, bad_blob, made->encrypted_secret).ok());
    }
  }
}

// The agent's register/activate with --ek-alg ecc-p384: ek.crt and ek-chain.pem verify against
// the root alone, and the credential activates through the agent.
TEST(SwtpmIntegration, AgentRegistersAnEccEkWithItsChain) {
  auto swtpm = Swtpm::Start({.ek_certificate = true, .ek_chain_in_nv = true});
  ASSERT_TRUE(swtpm.ok()) << swtpm.status().ToString();
  const std::string out = (*swtpm)->dir() + "/agent";
  Status registered =
      agent::Register((*swtpm)->Tcti(), AkAlgorithm::kEcdsaP256, agent::EkAlgorithm::kEccP384, out);
  ASSERT_TRUE(registered.ok()) << registered.ToString();
  auto ek_bytes = ReadFileBytes(out + "/ek.pub");
  auto cert = ReadFileBytes(out + "/ek.crt");
  auto chain = ReadFileBytes(out + "/ek-chain.pem");
  auto ak_name = ReadFileBytes(out + "/ak.name");
  ASSERT_TRUE(ek_bytes.ok() && cert.ok() && chain.ok() && ak_name.ok());
  auto ek = ParseEkPublic(*ek_bytes);
  ASSERT_TRUE(ek.ok());
  EXPECT_EQ(EkAlgorithmName(*ek), "ecc-p384");
  const Anchors root = RootAnchor(**swtpm);
  const Status verified =
      VerifyEkCertificate(*cert, *chain, *ek, root.ptrs, NotBeforePlusOneHour(*cert));
  ASSERT_TRUE(verified.ok()) << verified.ToString();
  const Bytes secret = Text("an ecc credential for this host");
  auto made = MakeCredential(*ek, *ak_name, secret);
  ASSERT_TRUE(made.ok());
  auto recovered =
      agent::Activate((*swtpm)->Tcti(), AkAlgorithm::kEcdsaP256, agent::EkAlgorithm::kEccP384,
                      made->credential_blob, made->encrypted_secret);
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_TRUE(CheckActivatedCredential(secret, *recovered).ok());
  // The RSA EK cannot open what was sealed to the ECC one.
  EXPECT_FALSE(agent::Activate((*swtpm)->Tcti(), AkAlgorithm::kEcdsaP256,
                               agent::EkAlgorithm::kRsa2048, made->credential_blob,
                               made->encrypted_secret)
                   .ok());
}

}  // namespace
}  // namespace attest::tpm
