// POST /v1/collateral (operator): import an offline Intel DCAP collateral bundle (the JSON form
// `attestctl verify tdx --collateral` reads, and `attestctl collateral fetch tdx|sgx` writes), so
// verification works on hosts without access to Intel's PCS. It is verified like a fetch
// (signatures over the exact bytes, chains to the pinned root, windows, CRLs: collateral.*
// reasons) before anything is stored, and never rolls back what is stored: the rule compares
// the verified tcbEvaluationDataNumber. It goes to the operator's own imports and to the cache
// replicas share.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/snp/endorsement.h"
#include "attest/tdx/collateral.h"
#include "protocol/host_platform.h"
#include "service/api/routes.h"
#include "service/collateral/cache_items.h"
#include "service/collateral/import.h"
#include "service/collateral/refusal.h"
#include "service/collateral/source.h"
#include "service/http/json_body.h"
#include "service/release/release.h"

namespace attest::service::api {
namespace {

// ImportedPlatform names the platform a bundle is for: its TCB info's TEE and FMSPC, and the CA
// that issued its PCK CRL (collateral.malformed when the CRL does not parse).
Result<service::collateral::DcapId> ImportedPlatform(const tdx::Collateral& c,
                                                     const tdx::TcbInfo& tcb) {
  service::collateral::DcapId id;
  id.tdx = tcb.id == "TDX";
  id.fmspc = tcb.fmspc;
  Result<X509CrlPtr> crl = ParseCrl(c.pck_crl);
  if (!crl.ok()) {
    return service::collateral::AsRefusal(crl.status(), "PCK CRL");
  }
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_CRL_get_issuer(crl->get()), NID_commonName, cn, sizeof(cn));
  id.ca = std::string_view(cn) == "Intel SGX PCK Processor CA"
              ? service::collateral::PckCa::kProcessor
              : service::collateral::PckCa::kPlatform;
  return id;
}

// Export (GET /v1/collateral) writes every fetched item of the shared cache as one bundle
// {"format": 1, "items": [{kind, key, value (base64), origin, fetched_at, next_update,
// evaluation}]}; ImportBundle reads one back at another site, verifying each item.
constexpr size_t kMaxBundleItems = 10000;

Result<http::HttpResponse> ExportCollateral(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::CachedCollateral> items, db->ListCachedCollateral());
  nlohmann::json out = nlohmann::json::array();
  for (const store::CachedCollateral& item : items) {
    if (item.value.empty()) {
      continue;  // wanted, never fetched
    }
    out.push_back({{"kind", item.kind},
                   {"key", item.key},
                   {"value", Base64Encode(item.value)},
                   {"origin", item.origin},
                   {"fetched_at", FormatRfc3339(item.fetched_at)},
                   {"next_update", FormatRfc3339(item.next_update)},
                   {"evaluation", item.evaluation}});
  }
  return http::JsonResponse(200, {{"format", 1}, {"items", std::move(out)}});
}

// BundleOrder puts chains and CRLs before VCEKs, which are verified with them.
int BundleOrder(const std::string& kind) { return kind == service::collateral::kKindVcek ? 1 : 0; }

struct Item {
  std::string kind, key;
  Bytes value;
};

struct Imported {
  int stored = 0;
  nlohmann::json refused = nlohmann::json::array();  // [{kind, key, code, message}]

  std::string Summary() const {
    return "stored=" + std::to_string(stored) + " refused=" + std::to_string(refused.size());
  }
  http::HttpResponse Response() const {
    return http::JsonResponse(201, {{"stored", stored}, {"refused", refused}});
  }
};

// ImportItems verifies and stores items in order (ImportCachedItem), collecting refusals; fails
// only when the database does.
Result<Imported> ImportItems(RequestContext& ctx, const std::vector<Item>& items,
                             std::string_view origin) {
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  Imported out;
  for (const Item& item : items) {
    Status s = service::collateral::ImportCachedItem(*db, item.kind, item.key, item.value, origin,
                                                     ctx.service.anchors->tdx(),
                                                     ctx.service.anchors->snp(), ctx.now);
    if (s.ok()) {
      ++out.stored;
    } else if (s.reason_id() == reasons::kStoreDatabase.id) {
      return s;
    } else {
      out.refused.push_back({{"kind", item.kind},
                             {"key", item.key},
                             {"code", s.reason_id()},
                             {"message", s.message()}});
    }
  }
  return out;
}

Result<http::HttpResponse> ImportBundle(RequestContext& ctx, const nlohmann::json& doc) {
  const nlohmann::json& items = doc["items"];
  if (!items.is_array() || items.size() > kMaxBundleItems ||
      doc.value("format", nlohmann::json()) != 1) {
    return Status(reasons::kApiInvalidField,
                  "a collateral bundle is {\"format\": 1, \"items\": [...]} with at most " +
                      std::to_string(kMaxBundleItems) + " items");
  }
  std::vector<Item> parsed;
  for (const nlohmann::json& item : items) {
    if (!item.is_object() || !item.contains("kind") || !item["kind"].is_string() ||
        !item.contains("key") || !item["key"].is_string() || !item.contains("value") ||
        !item["value"].is_string()) {
      return Status(reasons::kApiInvalidField, "each item needs string kind, key and value");
    }
    Result<Bytes> value = Base64Decode(item["value"].get<std::string>());
    if (!value.ok() || value->empty()) {
      return Status(reasons::kApiInvalidField, "item value is not base64");
    }
    parsed.push_back({item["kind"], item["key"], std::move(value).value()});
  }
  std::stable_sort(parsed.begin(), parsed.end(), [](const Item& a, const Item& b) {
    return BundleOrder(a.kind) < BundleOrder(b.kind);
  });
  ATTEST_ASSIGN_OR_RETURN(Imported imported, ImportItems(ctx, parsed, "import"));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("collateral.import", "bundle", "ok", imported.Summary(),
                                   HexEncode(Sha256(ctx.request.body))));
  return imported.Response();
}

Result<http::HttpResponse> ImportCollateral(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json doc, http::ParseJsonObject(ctx.request));
  if (doc.contains("items")) {
    return ImportBundle(ctx, doc);
  }
  const std::string text(ctx.request.body.begin(), ctx.request.body.end());
  ATTEST_ASSIGN_OR_RETURN(tdx::Collateral collateral, tdx::ParseCollateralJson(text));
  ATTEST_ASSIGN_OR_RETURN(tdx::TcbInfo tcb, tdx::ParseTcbInfo(collateral.tcb_info_body));
  ATTEST_ASSIGN_OR_RETURN(tdx::QeIdentity qe, tdx::ParseQeIdentity(collateral.qe_identity_body));
  ATTEST_ASSIGN_OR_RETURN(service::collateral::DcapId id, ImportedPlatform(collateral, tcb));
  ATTEST_ASSIGN_OR_RETURN(
      service::collateral::FetchedDcap verified,
      service::collateral::VerifyDcap(ctx.service.anchors->tdx(), collateral, id, ctx.now));
  const std::string key = service::collateral::DcapCollateralKey(tcb);

  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  // Rollback protection: an older TCB evaluation (which may rate a since-revoked TCB as current)
  // never replaces a newer one.
  Result<store::CollateralEntry> existing = db->GetCollateral(ctx.caller.tenant_id, key);
  if (existing.ok()) {
    const std::string old_text(existing->value.begin(), existing->value.end());
    Result<tdx::Collateral> old = tdx::ParseCollateralJson(old_text);
    Result<tdx::TcbInfo> old_tcb =
        old.ok() ? tdx::ParseTcbInfo(old->tcb_info_body) : Result<tdx::TcbInfo>(old.status());
    if (old_tcb.ok() && old_tcb->tcb_evaluation_data_number > tcb.tcb_evaluation_data_number) {
      return Status(reasons::kStoreAlreadyExists,
                    "stored collateral has tcbEvaluationDataNumber " +
                        std::to_string(old_tcb->tcb_evaluation_data_number) + ", newer than " +
                        std::to_string(tcb.tcb_evaluation_data_number));
    }
  } else if (existing.status().code() != ErrorCode::kNotFound) {
    return existing.status();
  }
  ATTEST_RETURN_IF_ERROR(service::collateral::OfferToCache(
      *db, service::collateral::DcapCacheItem(id, verified, "import", ctx.now)));
  ATTEST_RETURN_IF_ERROR(db->PutCollateral(ctx.caller.tenant_id, key, ctx.request.body, ctx.now));
  const std::string digest = HexEncode(Sha256(ctx.request.body));
  ATTEST_RETURN_IF_ERROR(ctx.Audit(
      "collateral.import", key, "ok",
      "tcbEvaluationDataNumber=" + std::to_string(tcb.tcb_evaluation_data_number), digest));
  return http::JsonResponse(
      201, {{"key", key},
            {"tcb_evaluation_data_number", tcb.tcb_evaluation_data_number},
            {"next_update", FormatRfc3339(std::min(tcb.next_update, qe.next_update))},
            {"sha256", digest}});
}

// POST /v1/hosts/{id}/endorsements (the host itself): its platform's AMD endorsements, uploaded by
// the host agent at enrollment (its VCEK for the chip and current TCB, with the product's chain
// and CRL when it has them), so the first guest on a new host needs no KDS round trip. Each is
// verified like a fetch; the VCEK must be for one of the host's own chips.
constexpr size_t kMaxEndorsementBytes = size_t{64} * 1024;

// OwnsChip reports whether hw_id (64 bytes, or Turin's first 8) names one of platform's chips.
bool OwnsChip(const std::string& platform_text, const Bytes& hw_id) {
  Result<protocol::HostPlatform> platform = protocol::ParseHostPlatform(platform_text);
  if (!platform.ok() || hw_id.empty()) {
    return false;
  }
  return std::any_of(platform->snp_chip_ids.begin(), platform->snp_chip_ids.end(),
                     [&](const protocol::SnpChipId& chip) {
                       return hw_id.size() <= chip.size() &&
                              std::equal(hw_id.begin(), hw_id.end(), chip.begin());
                     });
}

Result<http::HttpResponse> UploadHostEndorsements(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(Bytes vcek, reader.TakeBase64("vcek", true, kMaxEndorsementBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes chain,
                          reader.TakeBase64("cert_chain", false, kMaxEndorsementBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes crl, reader.TakeBase64("crl", false, kMaxEndorsementBytes));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Host host, db->GetHost(ctx.caller.tenant_id, ctx.Param("id")));

  Result<std::vector<X509Ptr>> certs = ParseCertificates(vcek);
  if (!certs.ok()) {
    return service::collateral::AsRefusal(certs.status(), "VCEK");
  }
  Result<snp::EndorsementInfo> info = snp::ParseEndorsementCert((*certs)[0].get());
  if (!info.ok() || info->kind != snp::EndorsementKind::kVcek) {
    return Status(reasons::kCollateralMalformed, "\"vcek\" is not an AMD VCEK certificate");
  }
  if (!OwnsChip(host.platform, info->hw_id)) {
    return Status(reasons::kCollateralMismatch,
                  "the VCEK's hwID is not one of this host's SEV-SNP chips");
  }
  namespace col = service::collateral;
  const std::string hierarchy = col::HierarchyKey(snp::EndorsementKind::kVcek, info->product);
  std::vector<Item> items;
  if (!chain.empty()) {
    items.push_back({std::string(col::kKindCertChain), hierarchy, std::move(chain)});
  }
  if (!crl.empty()) {
    items.push_back({std::string(col::kKindCrl), hierarchy, std::move(crl)});
  }
  const col::VcekId id{info->product, info->hw_id, snp::EncodeTcb(info->tcb, info->product)};
  items.push_back({std::string(col::kKindVcek), col::VcekCacheKey(id), std::move(vcek)});
  ATTEST_ASSIGN_OR_RETURN(Imported imported, ImportItems(ctx, items, "agent"));
  ATTEST_RETURN_IF_ERROR(ctx.Audit("collateral.host_upload", host.id, "ok", imported.Summary(),
                                   HexEncode(Sha256(ctx.request.body))));
  return imported.Response();
}

}  // namespace

void AddCollateralRoutes(ApiRouter& router) {
  router.Add("POST", "/v1/collateral", http::Access::kOperator, ImportCollateral);
  router.Add("GET", "/v1/collateral", http::Access::kOperator, ExportCollateral);
  router.Add("POST", "/v1/hosts/{id}/endorsements", http::Access::kHost, UploadHostEndorsements);
}

}  // namespace attest::service::api
