// POST /v1/collateral (operator): import an offline Intel DCAP collateral bundle (the JSON form
// `attestctl verify tdx --collateral` reads), so verification works on hosts without access to
// Intel's PCS. The bundle's signatures are checked whenever a quote is verified with it (the
// verifier caches that work); here it must parse, be current, and not roll back what is stored.
#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/tdx/collateral.h"
#include "service/api/routes.h"
#include "service/collateral/source.h"
#include "service/http/json_body.h"

namespace attest::service::api {
namespace {

Result<http::HttpResponse> ImportCollateral(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseJsonObject(ctx.request).status());
  const std::string text(ctx.request.body.begin(), ctx.request.body.end());
  ATTEST_ASSIGN_OR_RETURN(tdx::Collateral collateral, tdx::ParseCollateralJson(text));
  ATTEST_ASSIGN_OR_RETURN(tdx::TcbInfo tcb, tdx::ParseTcbInfo(collateral.tcb_info_body));
  ATTEST_ASSIGN_OR_RETURN(tdx::QeIdentity qe, tdx::ParseQeIdentity(collateral.qe_identity_body));
  if (tcb.next_update <= ctx.now || qe.next_update <= ctx.now) {
    return Status(reasons::kApiInvalidField, "collateral is past its nextUpdate (TCB info " +
                                                 FormatRfc3339(tcb.next_update) + ", QE identity " +
                                                 FormatRfc3339(qe.next_update) + ")");
  }
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

}  // namespace

void AddCollateralRoutes(ApiRouter& router) {
  router.Add("POST", "/v1/collateral", http::Access::kOperator, ImportCollateral);
}

}  // namespace attest::service::api
