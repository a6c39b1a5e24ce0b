#include "agent/host_commands.h"

#include <filesystem>
#include <fstream>

#include <openssl/pem.h>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/x509.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/credential.h"
#include "attest/tpm/pcr_json.h"
#include "protocol/host_platform.h"

namespace attest::agent {

Status WriteFile(const std::string& path, ByteSpan data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) {
    return Status(reasons::kFileUnreadable, "cannot write " + path);
  }
  return Status::Ok();
}

namespace {

Status EnsureDir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Status(reasons::kFileUnreadable, "cannot create " + dir + ": " + ec.message());
  }
  return Status::Ok();
}

}  // namespace

Result<EkEndorsement> ReadEkEndorsement(TpmDevice& tpm, EkAlgorithm ek_alg) {
  EkEndorsement out;
  ATTEST_ASSIGN_OR_RETURN(out.ek, tpm.CreateEk(ek_alg));
  // An undefined index is how a TPM says it holds no certificate: nothing to send.
  if (Result<Bytes> nv = tpm.ReadEkCertificate(ek_alg); nv.ok()) {
    ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, tpm::ParseEkCertificates(*nv));
    if (certs.size() != 1) {
      return Status(reasons::kTpmEkCertMalformed,
                    "ek certificate index holds " + std::to_string(certs.size()) + " certificates");
    }
    out.certificate = CertificateDer(certs.front().get());
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes chain, tpm.ReadEkChain());
  if (!chain.empty()) {
    ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, tpm::ParseEkCertificates(chain));
    BioPtr bio(BIO_new(BIO_s_mem()));
    for (const X509Ptr& cert : certs) {
      if (!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
        return Status(reasons::kInternalError, "ek chain: PEM: " + OsslErrors());
      }
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    out.chain_pem.assign(data, data + size);
  }
  return out;
}

Status Register(const std::string& tcti, AkAlgorithm ak_alg, EkAlgorithm ek_alg,
                const std::string& out_dir) {
  ATTEST_RETURN_IF_ERROR(EnsureDir(out_dir));
  ATTEST_ASSIGN_OR_RETURN(auto tpm, TpmDevice::Open(tcti));
  {
    ATTEST_ASSIGN_OR_RETURN(EkEndorsement e, ReadEkEndorsement(*tpm, ek_alg));
    ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/ek.pub", e.ek.public_area));
    if (!e.certificate.empty()) {
      ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/ek.crt", e.certificate));
    }
    if (!e.chain_pem.empty()) {
      ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/ek-chain.pem", e.chain_pem));
    }
  }  // the EK is flushed here: swtpm holds only a few transient objects
  ATTEST_ASSIGN_OR_RETURN(TpmKey ak, tpm->CreateAk(ak_alg));
  ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/ak.pub", ak.public_area));
  return WriteFile(out_dir + "/ak.name", ak.name);
}

Result<Bytes> Activate(const std::string& tcti, AkAlgorithm ak_alg, EkAlgorithm ek_alg,
                       ByteSpan credential_blob, ByteSpan encrypted_secret) {
  ATTEST_ASSIGN_OR_RETURN(auto tpm, TpmDevice::Open(tcti));
  ATTEST_ASSIGN_OR_RETURN(TpmKey ek, tpm->CreateEk(ek_alg));
  ATTEST_ASSIGN_OR_RETURN(TpmKey ak, tpm->CreateAk(ak_alg));
  return tpm->ActivateCredential(ak, ek, credential_blob, encrypted_secret);
}

Status Quote(const std::string& tcti, AkAlgorithm ak_alg, const QuoteOptions& options,
             const std::string& out_dir) {
  ATTEST_RETURN_IF_ERROR(EnsureDir(out_dir));
  ATTEST_ASSIGN_OR_RETURN(auto tpm, TpmDevice::Open(tcti));
  std::vector<uint16_t> banks = options.banks;
  if (banks.empty()) {
    ATTEST_ASSIGN_OR_RETURN(banks, tpm->ActiveBanks());
  }
  std::map<uint16_t, std::vector<uint32_t>> selection;
  for (uint16_t bank : banks) {
    selection[bank] = options.pcrs;
  }
  Bytes qualifying_data = options.nonce;
  if (options.platform) {
    const Sha256Digest bound = protocol::QuoteQualifyingData(options.nonce, *options.platform);
    qualifying_data.assign(bound.begin(), bound.end());
    ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/platform.json", AsBytes(*options.platform)));
    const std::string hex = HexEncode(qualifying_data) + "\n";
    ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/qualifying-data.hex", AsBytes(hex)));
  }
  ATTEST_ASSIGN_OR_RETURN(TpmKey ak, tpm->CreateAk(ak_alg));
  ATTEST_ASSIGN_OR_RETURN(QuoteOutput quote, tpm->Quote(ak, qualifying_data, selection));
  ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/quote.msg", quote.attest));
  ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/quote.sig", quote.signature));
  ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/ak.pub", ak.public_area));
  nlohmann::ordered_json pcrs;
  pcrs["banks"] = tpm::PcrBanksToJson(quote.pcrs);
  const std::string text = pcrs.dump() + "\n";
  ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/pcrs.json", AsBytes(text)));
  if (std::filesystem::exists(options.eventlog_path)) {
    ATTEST_ASSIGN_OR_RETURN(Bytes log, ReadFileBytes(options.eventlog_path));
    ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/eventlog.bin", log));
  }
  if (options.drtm_log_path) {
    ATTEST_ASSIGN_OR_RETURN(Bytes log, ReadFileBytes(*options.drtm_log_path));
    ATTEST_RETURN_IF_ERROR(WriteFile(out_dir + "/drtm-log.bin", log));
  }
  return Status::Ok();
}

}  // namespace attest::agent
