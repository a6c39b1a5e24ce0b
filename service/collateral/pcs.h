// PcsFetcher: Intel Provisioning Certification Service v4 client, and a self-hosted PCCS at
// another base URL (CONTRACTS.md sections 2 and 3 in the collateral vectors). For one platform
// (TEE, FMSPC, PCK CA) it fetches the TCB info, the QE identity, the PCK CRL and the root CA CRL,
// with the issuer chains from the TCB-Info-Issuer-Chain / SGX-Enclave-Identity-Issuer-Chain /
// SGX-PCK-CRL-Issuer-Chain headers (percent-encoded PEM), and verifies the whole set
// (QuoteVerifier::VerifyCollateral) before returning it. CRLs are accepted as DER, PEM or the hex
// text PCCS serves; nothing in a signed body is re-encoded.
#pragma once

#include <array>
#include <optional>
#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/tdx/claims.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/verify.h"
#include "attest/tdx/wire.h"
#include "service/collateral/http_client.h"

namespace attest::service::collateral {

enum class PckCa { kProcessor, kPlatform };

// DcapId names one platform's collateral: the TEE, its FMSPC and the CA that issued its PCK
// certificates (whose CRL it needs).
struct DcapId {
  bool tdx = true;
  std::array<uint8_t, 6> fmspc{};
  PckCa ca = PckCa::kPlatform;
};

// DcapIdForQuote reads the FMSPC and the PCK CA from the quote's PCK chain. Fails with
// collateral.bad_request when the quote has no readable PCK leaf or its issuer is neither PCK CA.
Result<DcapId> DcapIdForQuote(const tdx::Quote& quote);

// DcapCacheKey is "<TDX|SGX>/<FMSPC upper hex>/<processor|platform>"; ParseDcapCacheKey reads
// it back (FMSPC in either case).
std::string DcapCacheKey(const DcapId& id);
Result<DcapId> ParseDcapCacheKey(std::string_view key);

struct PcsEndpoints {
  std::string base_url = "https://api.trustedservices.intel.com";
  std::string root_crl_url = "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der";
  std::string update = "standard";  // "standard" or "early"; "" sends no update parameter
};

// FetchedDcap: a platform's collateral that verified at the time it was fetched.
struct FetchedDcap {
  tdx::Collateral collateral;
  tdx::CollateralDates dates;
  // The verified TCB info's tcbEvaluationDataNumber: what the rollback rule compares (the one in
  // dates is the lower of TCB info's and QE identity's).
  int64_t tcb_evaluation_data_number = 0;
};

// VerifyDcap checks collateral for id at now: QuoteVerifier::VerifyCollateral, then that the TCB
// info's id and FMSPC and the QE identity's id are id's, and the PCK CRL's issuer is id's CA.
// Fails with collateral.signature_invalid / chain_untrusted / expired / revoked / malformed /
// mismatch (the verifier's reason in the message).
Result<FetchedDcap> VerifyDcap(tdx::QuoteVerifier& verifier, tdx::Collateral collateral,
                               const DcapId& id, TimePoint now);

// DecodeCrlBody returns a CRL body as DER or PEM bytes: PCCS serves hex text, which is decoded.
Bytes DecodeCrlBody(const Bytes& body);

class PcsFetcher {
 public:
  // client and verifier must outlive this fetcher.
  PcsFetcher(HttpClient& client, PcsEndpoints endpoints, tdx::QuoteVerifier& verifier)
      : client_(client), endpoints_(std::move(endpoints)), verifier_(verifier) {}

  // Fetch GETs the four items of id (and their issuer chains) and returns them verified at now.
  // Fails with the HttpClient's reasons, collateral.malformed for an answer without its issuer
  // chain header or a body that does not parse, or VerifyDcap's reasons.
  Result<FetchedDcap> Fetch(const DcapId& id, TimePoint now);

 private:
  HttpClient& client_;
  PcsEndpoints endpoints_;
  tdx::QuoteVerifier& verifier_;
};

}  // namespace attest::service::collateral
