#include "service/collateral/kds.h"

#include <algorithm>

#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/snp/verify.h"
#include "service/collateral/refusal.h"

namespace attest::service::collateral {
namespace {

constexpr size_t kTurinHwIdBytes = 8;

std::string Spl(std::string_view name, uint8_t value) {
  return std::string(name) + "=" + std::to_string(value);
}

const snp::ProductRoots* RootsFor(const snp::SnpTrustRoots& roots, snp::Product product) {
  return roots.Find(product);
}

Status NoRoot(snp::Product product) {
  return Status(reasons::kCollateralChainUntrusted,
                "no pinned ARK for " + std::string(snp::ProductName(product)));
}

// IntermediateName is the subject CN AMD gives the ASK ("SEV-Milan") or ASVK ("SEV-VLEK-Milan").
std::string IntermediateName(snp::EndorsementKind kind, snp::Product product) {
  return std::string(kind == snp::EndorsementKind::kVcek ? "SEV-" : "SEV-VLEK-") +
         std::string(snp::ProductName(product));
}

}  // namespace

Result<VcekId> VcekIdForReport(const snp::SnpReport& report, std::optional<snp::Product> product) {
  if (report.signing_key != snp::SigningKey::kVcek) {
    return Status(reasons::kCollateralBadRequest,
                  "report is not VCEK-signed: a VLEK is issued to the cloud provider, not fetched");
  }
  if (report.has_cpuid) {
    const std::optional<snp::Product> from_cpuid =
        snp::ProductFromCpuid(report.cpuid_fam_id, report.cpuid_mod_id);
    if (!from_cpuid) {
      return Status(reasons::kCollateralBadRequest, "report CPUID names no known product");
    }
    if (product && *product != *from_cpuid) {
      return Status(reasons::kCollateralBadRequest,
                    "product " + std::string(snp::ProductName(*product)) +
                        " but the report's CPUID is " + std::string(snp::ProductName(*from_cpuid)));
    }
    product = from_cpuid;
  }
  if (!product) {
    return Status(reasons::kCollateralBadRequest,
                  "report version 2 has no CPUID: name the product (Milan, Genoa, Turin)");
  }
  VcekId id;
  id.product = *product;
  id.tcb = report.reported_tcb;
  if (id.product == snp::Product::kTurin) {
    if (!IsAllZero(ByteSpan(report.chip_id).subspan(kTurinHwIdBytes))) {
      return Status(reasons::kCollateralBadRequest,
                    "Turin CHIP_ID has non-zero bytes after the 8-byte hwID");
    }
    id.hw_id.assign(report.chip_id.begin(), report.chip_id.begin() + kTurinHwIdBytes);
  } else {
    id.hw_id.assign(report.chip_id.begin(), report.chip_id.end());
  }
  return id;
}

std::string VcekPath(const VcekId& id) {
  const snp::TcbParts p = snp::DecodeTcb(id.tcb, id.product);
  std::string query;
  if (id.product == snp::Product::kTurin) {
    query = Spl("fmcSPL", p.fmc.value_or(0)) + "&";
  }
  query += Spl("blSPL", p.bootloader) + "&" + Spl("teeSPL", p.tee) + "&" + Spl("snpSPL", p.snp) +
           "&" + Spl("ucodeSPL", p.microcode);
  return "/vcek/v1/" + std::string(snp::ProductName(id.product)) + "/" + HexEncode(id.hw_id) + "?" +
         query;
}

std::string VcekCacheKey(const VcekId& id) {
  char tcb[17];
  std::snprintf(tcb, sizeof(tcb), "%016llx", static_cast<unsigned long long>(id.tcb));
  return std::string(snp::ProductName(id.product)) + "/" + HexEncode(id.hw_id) + "/" + tcb;
}

Result<VcekId> ParseVcekCacheKey(std::string_view key) {
  const size_t a = key.find('/');
  const size_t b = a == std::string_view::npos ? a : key.find('/', a + 1);
  if (b == std::string_view::npos || key.size() - b - 1 != 16) {
    return Status(reasons::kCollateralBadRequest, "VCEK key \"" + std::string(key) + "\"");
  }
  VcekId id;
  const std::optional<snp::Product> product = snp::ProductFromName(key.substr(0, a));
  Result<Bytes> hw_id = HexDecode(key.substr(a + 1, b - a - 1));
  Result<Bytes> tcb = HexDecode(key.substr(b + 1));
  const size_t want_hw = product == snp::Product::kTurin ? kTurinHwIdBytes : 64;
  if (!product || !hw_id.ok() || hw_id->size() != want_hw || !tcb.ok()) {
    return Status(reasons::kCollateralBadRequest, "VCEK key \"" + std::string(key) + "\"");
  }
  id.product = *product;
  id.hw_id = std::move(hw_id).value();
  for (uint8_t byte : *tcb) {
    id.tcb = (id.tcb << 8) | byte;
  }
  return id;
}

std::string HierarchyKey(snp::EndorsementKind kind, snp::Product product) {
  return std::string(snp::EndorsementKindName(kind)) + "/" + std::string(snp::ProductName(product));
}

Result<std::pair<snp::EndorsementKind, snp::Product>> ParseHierarchyKey(std::string_view key) {
  const size_t slash = key.find('/');
  const std::string_view kind = key.substr(0, slash);
  const std::optional<snp::Product> product =
      slash == std::string_view::npos ? std::nullopt : snp::ProductFromName(key.substr(slash + 1));
  if (!product || (kind != "vcek" && kind != "vlek")) {
    return Status(reasons::kCollateralBadRequest, "hierarchy key \"" + std::string(key) + "\"");
  }
  return std::make_pair(kind == "vcek" ? snp::EndorsementKind::kVcek : snp::EndorsementKind::kVlek,
                        *product);
}

Result<KdsItem> VerifyKdsCrl(ByteSpan body, snp::Product product, const snp::SnpTrustRoots& roots,
                             TimePoint now) {
  const snp::ProductRoots* pinned = RootsFor(roots, product);
  if (pinned == nullptr) {
    return NoRoot(product);
  }
  Result<X509CrlPtr> crl = ParseCrl(body);
  if (!crl.ok()) {
    return AsRefusal(crl.status(), "KDS CRL");
  }
  ATTEST_RETURN_IF_ERROR(AsRefusal(CheckCrl(crl->get(), pinned->ark.get(), now), "KDS CRL"));
  return KdsItem{Bytes(body.begin(), body.end()), CrlThisUpdate(crl->get()),
                 CrlNextUpdate(crl->get()), CrlThisUpdate(crl->get())};
}

Result<KdsItem> VerifyKdsCertChain(ByteSpan body, snp::EndorsementKind kind, snp::Product product,
                                   const snp::SnpTrustRoots& roots, TimePoint now) {
  const snp::ProductRoots* pinned = RootsFor(roots, product);
  if (pinned == nullptr) {
    return NoRoot(product);
  }
  const std::string_view text(reinterpret_cast<const char*>(body.data()), body.size());
  if (!text.starts_with("-----BEGIN CERTIFICATE-----")) {
    return Status(reasons::kCollateralMalformed, "KDS cert_chain: not a PEM chain");
  }
  Result<std::vector<X509Ptr>> certs = ParseCertificates(body);
  if (!certs.ok()) {
    return AsRefusal(certs.status(), "KDS cert_chain");
  }
  if (certs->size() != 2) {
    return Status(reasons::kCollateralMalformed,
                  "KDS cert_chain: " + std::to_string(certs->size()) +
                      " certificates, want the intermediate then the ARK");
  }
  X509* intermediate = (*certs)[0].get();
  if (CertificateDer((*certs)[1].get()) != CertificateDer(pinned->ark.get())) {
    return Status(
        reasons::kCollateralChainUntrusted,
        "KDS cert_chain: the ARK is not the pinned ARK-" + std::string(snp::ProductName(product)));
  }
  const std::string want = IntermediateName(kind, product);
  if (SubjectCommonName(intermediate) != want) {
    return Status(reasons::kCollateralMismatch, "KDS cert_chain: intermediate is \"" +
                                                    SubjectCommonName(intermediate) +
                                                    "\", want \"" + want + "\"");
  }
  X509* anchors[] = {pinned->ark.get()};
  Result<std::vector<X509Ptr>> chain = VerifyChain(intermediate, {}, anchors, now);
  if (!chain.ok()) {
    return AsRefusal(chain.status(), "KDS cert_chain");
  }
  return KdsItem{Bytes(body.begin(), body.end()),
                 std::max(NotBefore(intermediate), NotBefore(pinned->ark.get())),
                 std::min(NotAfter(intermediate), NotAfter(pinned->ark.get())),
                 NotBefore(intermediate)};
}

Result<KdsItem> VerifyKdsVcek(ByteSpan body, const VcekId& id, ByteSpan chain_pem, ByteSpan crl,
                              const snp::SnpTrustRoots& roots, TimePoint now) {
  snp::SnpCollateral collateral;
  collateral.endorsement_cert.assign(body.begin(), body.end());
  if (!chain_pem.empty()) {
    collateral.chain.emplace_back(chain_pem.begin(), chain_pem.end());
  }
  if (!crl.empty()) {
    collateral.crls.emplace_back(crl.begin(), crl.end());
  }
  Result<snp::EndorsementInfo> info = snp::VerifyEndorsementChain(collateral, roots, now);
  if (!info.ok()) {
    return AsRefusal(info.status(), "KDS VCEK");
  }
  if (info->kind != snp::EndorsementKind::kVcek || info->product != id.product) {
    return Status(reasons::kCollateralMismatch,
                  "KDS VCEK: certificate is a " +
                      std::string(snp::EndorsementKindName(info->kind)) + " for " +
                      std::string(snp::ProductName(info->product)));
  }
  if (info->hw_id != id.hw_id) {
    return Status(reasons::kCollateralMismatch, "KDS VCEK: hwID " + HexEncode(info->hw_id) +
                                                    ", asked for " + HexEncode(id.hw_id));
  }
  const snp::TcbParts want = snp::DecodeTcb(id.tcb, id.product);
  const snp::TcbParts& got = info->tcb;
  if (got.bootloader != want.bootloader || got.tee != want.tee || got.snp != want.snp ||
      got.microcode != want.microcode || got.fmc.value_or(0) != want.fmc.value_or(0)) {
    return Status(reasons::kCollateralMismatch,
                  "KDS VCEK: SPL extensions differ from the TCB "
                  "asked for");
  }
  Result<std::vector<X509Ptr>> leaf = ParseCertificates(body);
  if (!leaf.ok()) {
    return AsRefusal(leaf.status(), "KDS VCEK");
  }
  X509* cert = (*leaf)[0].get();
  return KdsItem{Bytes(body.begin(), body.end()), NotBefore(cert), NotAfter(cert), NotBefore(cert)};
}

Result<KdsItem> KdsFetcher::FetchCertChain(snp::EndorsementKind kind, snp::Product product,
                                           TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(
      HttpAnswer answer,
      client_.Get(base_url_ + "/" + std::string(snp::EndorsementKindName(kind)) + "/v1/" +
                  std::string(snp::ProductName(product)) + "/cert_chain"));
  return VerifyKdsCertChain(answer.body, kind, product, roots_, now);
}

Result<KdsItem> KdsFetcher::FetchCrl(snp::EndorsementKind kind, snp::Product product,
                                     TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(
      HttpAnswer answer, client_.Get(base_url_ + "/" + std::string(snp::EndorsementKindName(kind)) +
                                     "/v1/" + std::string(snp::ProductName(product)) + "/crl"));
  return VerifyKdsCrl(answer.body, product, roots_, now);
}

Result<KdsItem> KdsFetcher::FetchVcek(const VcekId& id, ByteSpan chain_pem, ByteSpan crl,
                                      TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(HttpAnswer answer, client_.Get(base_url_ + VcekPath(id)));
  return VerifyKdsVcek(answer.body, id, chain_pem, crl, roots_, now);
}

}  // namespace attest::service::collateral
