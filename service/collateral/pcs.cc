#include "service/collateral/pcs.h"

#include <algorithm>
#include <cctype>

#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/tdx/pck.h"
#include "service/collateral/refusal.h"

namespace attest::service::collateral {
namespace {

constexpr std::string_view kPlatformCa = "Intel SGX PCK Platform CA";
constexpr std::string_view kProcessorCa = "Intel SGX PCK Processor CA";

std::string UpperHex(ByteSpan bytes) {
  std::string hex = HexEncode(bytes);
  std::transform(hex.begin(), hex.end(), hex.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  return hex;
}

std::string_view CaName(PckCa ca) { return ca == PckCa::kPlatform ? "platform" : "processor"; }

// IssuerChain reads the percent-encoded PEM chain of the first header called one of names.
Result<Bytes> IssuerChain(const HttpAnswer& answer, std::initializer_list<std::string_view> names,
                          std::string_view what) {
  for (std::string_view name : names) {
    if (std::optional<std::string> value = answer.Header(name)) {
      std::optional<std::string> pem = PercentDecode(*value);
      if (!pem || pem->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
        return Status(reasons::kCollateralMalformed, std::string(what) + ": header " +
                                                         std::string(name) +
                                                         " is not a percent-encoded PEM chain");
      }
      return Bytes(pem->begin(), pem->end());
    }
  }
  return Status(reasons::kCollateralMalformed, std::string(what) + ": issuer chain header " +
                                                   std::string(*names.begin()) + " missing");
}

std::string Text(const Bytes& body) { return std::string(body.begin(), body.end()); }

}  // namespace

Result<DcapId> DcapIdForQuote(const tdx::Quote& quote) {
  // Only the leaf names the platform: decoding the whole chain (PEM decoding is most of this
  // lookup's cost) would be done for nothing.
  const std::string_view pem(reinterpret_cast<const char*>(quote.pck_chain_pem.data()),
                             quote.pck_chain_pem.size());
  constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const size_t end = pem.find(kEnd);
  const ByteSpan leaf = end == std::string_view::npos
                            ? ByteSpan(quote.pck_chain_pem)
                            : ByteSpan(quote.pck_chain_pem).first(end + kEnd.size());
  Result<std::vector<X509Ptr>> chain = ParseCertificates(leaf);
  if (!chain.ok() || chain->empty()) {
    return Status(reasons::kCollateralBadRequest, "quote carries no readable PCK certificate");
  }
  Result<tdx::PckExtensions> pck = tdx::ParsePckExtensions((*chain)[0].get());
  if (!pck.ok()) {
    return Status(reasons::kCollateralBadRequest, "PCK certificate: " + pck.status().message());
  }
  DcapId id;
  id.tdx = quote.is_tdx();
  id.fmspc = pck->fmspc;
  const std::string issuer = IssuerCommonName((*chain)[0].get());
  if (issuer == kPlatformCa) {
    id.ca = PckCa::kPlatform;
  } else if (issuer == kProcessorCa) {
    id.ca = PckCa::kProcessor;
  } else {
    return Status(reasons::kCollateralBadRequest,
                  "PCK certificate issuer \"" + issuer + "\" is neither PCK CA");
  }
  return id;
}

std::string DcapCacheKey(const DcapId& id) {
  return std::string(id.tdx ? "TDX/" : "SGX/") + UpperHex(id.fmspc) + "/" +
         std::string(CaName(id.ca));
}

Result<DcapId> ParseDcapCacheKey(std::string_view key) {
  auto bad = [&] {
    return Status(reasons::kCollateralBadRequest, "DCAP key \"" + std::string(key) + "\"");
  };
  const std::string_view tee = key.substr(0, 4);
  if ((tee != "TDX/" && tee != "SGX/") || key.size() < 17 || key[16] != '/') {
    return bad();
  }
  Result<Bytes> fmspc = HexDecode(key.substr(4, 12));
  const std::string_view ca = key.substr(17);
  if (!fmspc.ok() || fmspc->size() != 6 || (ca != "platform" && ca != "processor")) {
    return bad();
  }
  DcapId id;
  id.tdx = tee == "TDX/";
  std::copy(fmspc->begin(), fmspc->end(), id.fmspc.begin());
  id.ca = ca == "platform" ? PckCa::kPlatform : PckCa::kProcessor;
  return id;
}

Bytes DecodeCrlBody(const Bytes& body) {
  const std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
  std::string_view trimmed = text;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) {
    trimmed.remove_suffix(1);
  }
  const bool hex = !trimmed.empty() && std::all_of(trimmed.begin(), trimmed.end(),
                                                   [](char c) { return HexDigitValue(c) >= 0; });
  if (hex) {
    Result<Bytes> der = HexDecode(trimmed);
    if (der.ok()) {
      return std::move(der).value();
    }
  }
  return body;
}

Result<FetchedDcap> VerifyDcap(tdx::QuoteVerifier& verifier, tdx::Collateral collateral,
                               const DcapId& id, TimePoint now) {
  Result<tdx::CollateralDates> dates = verifier.VerifyCollateral(collateral, now);
  if (!dates.ok()) {
    return AsRefusal(dates.status(), "DCAP collateral");
  }
  // The bodies verified, so what they say can be read.
  ATTEST_ASSIGN_OR_RETURN(tdx::TcbInfo tcb, tdx::ParseTcbInfo(collateral.tcb_info_body));
  ATTEST_ASSIGN_OR_RETURN(tdx::QeIdentity qe, tdx::ParseQeIdentity(collateral.qe_identity_body));
  const std::string want_tee = id.tdx ? "TDX" : "SGX";
  const std::string want_qe = id.tdx ? "TD_QE" : "QE";
  if (tcb.id != want_tee || tcb.fmspc != id.fmspc) {
    return Status(reasons::kCollateralMismatch, "TCB info is for " + tcb.id + " FMSPC " +
                                                    UpperHex(tcb.fmspc) + ", asked for " +
                                                    DcapCacheKey(id));
  }
  if (qe.id != want_qe) {
    return Status(reasons::kCollateralMismatch, "QE identity is " + qe.id + ", want " + want_qe);
  }
  Result<X509CrlPtr> pck_crl = ParseCrl(collateral.pck_crl);
  if (!pck_crl.ok()) {
    return AsRefusal(pck_crl.status(), "PCK CRL");
  }
  X509_NAME* issuer = X509_CRL_get_issuer(pck_crl->get());
  char cn[256] = {};
  X509_NAME_get_text_by_NID(issuer, NID_commonName, cn, sizeof(cn));
  const std::string_view want_ca = id.ca == PckCa::kPlatform ? kPlatformCa : kProcessorCa;
  if (want_ca != cn) {
    return Status(reasons::kCollateralMismatch, "PCK CRL is issued by \"" + std::string(cn) +
                                                    "\", want \"" + std::string(want_ca) + "\"");
  }
  return FetchedDcap{std::move(collateral), *dates, tcb.tcb_evaluation_data_number};
}

Result<FetchedDcap> PcsFetcher::Fetch(const DcapId& id, TimePoint now) {
  const std::string tee_base =
      endpoints_.base_url + (id.tdx ? "/tdx" : "/sgx") + "/certification/v4";
  const std::string update = endpoints_.update.empty() ? "" : "update=" + endpoints_.update;

  ATTEST_ASSIGN_OR_RETURN(HttpAnswer tcb,
                          client_.Get(tee_base + "/tcb?fmspc=" + UpperHex(id.fmspc) +
                                      (update.empty() ? "" : "&") + update));
  ATTEST_ASSIGN_OR_RETURN(
      HttpAnswer qe, client_.Get(tee_base + "/qe/identity" + (update.empty() ? "" : "?") + update));
  ATTEST_ASSIGN_OR_RETURN(HttpAnswer pck_crl,
                          client_.Get(endpoints_.base_url + "/sgx/certification/v4/pckcrl?ca=" +
                                      std::string(CaName(id.ca)) + "&encoding=der"));
  ATTEST_ASSIGN_OR_RETURN(HttpAnswer root_crl, client_.Get(endpoints_.root_crl_url));

  tdx::PcsFiles files;
  files.tcb_info_response = Text(tcb.body);
  files.qe_identity_response = Text(qe.body);
  ATTEST_ASSIGN_OR_RETURN(
      files.tcb_info_issuer_chain,
      IssuerChain(tcb, {"TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"}, "TCB info"));
  ATTEST_ASSIGN_OR_RETURN(files.qe_identity_issuer_chain,
                          IssuerChain(qe, {"SGX-Enclave-Identity-Issuer-Chain"}, "QE identity"));
  ATTEST_ASSIGN_OR_RETURN(files.pck_crl_issuer_chain,
                          IssuerChain(pck_crl, {"SGX-PCK-CRL-Issuer-Chain"}, "PCK CRL"));
  files.pck_crl = DecodeCrlBody(pck_crl.body);
  files.root_ca_crl = DecodeCrlBody(root_crl.body);
  Result<tdx::Collateral> collateral = tdx::CollateralFromPcs(files);
  if (!collateral.ok()) {
    return AsRefusal(collateral.status(), "PCS answers");
  }
  return VerifyDcap(verifier_, std::move(collateral).value(), id, now);
}

}  // namespace attest::service::collateral
