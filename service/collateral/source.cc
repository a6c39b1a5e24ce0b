#include "service/collateral/source.h"

#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/tdx/pck.h"

namespace attest::service::collateral {
namespace {

std::string Key(std::string_view tee, const std::array<uint8_t, 6>& fmspc) {
  return "dcap/" + std::string(tee) + "/" + HexEncode(ByteSpan(fmspc.data(), fmspc.size()));
}

}  // namespace

std::optional<std::string> DcapCollateralKey(const tdx::Quote& quote) {
  Result<std::vector<X509Ptr>> chain = ParseCertificates(quote.pck_chain_pem);
  if (!chain.ok() || chain->empty()) {
    return std::nullopt;
  }
  Result<tdx::PckExtensions> pck = tdx::ParsePckExtensions((*chain)[0].get());
  if (!pck.ok()) {
    return std::nullopt;
  }
  return Key(quote.is_tdx() ? "TDX" : "SGX", pck->fmspc);
}

std::string DcapCollateralKey(const tdx::TcbInfo& tcb_info) {
  return Key(tcb_info.id, tcb_info.fmspc);
}

}  // namespace attest::service::collateral
