// POST /v1/measurements (tenant): the launch measurement a guest of the operator's firmware will
// show, for the caller's vCPUs and boot inputs, and a policy fragment that pins it. Computes only:
// nothing is stored or audited. The firmware is the operator's (`snp_firmware_image`,
// `tdx_firmware_image`, each checked against its configured SHA-256 when attestd starts), never
// the caller's: the value is what a launch on this deployment will produce.
#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/measure/sev_launch.h"
#include "attest/measure/tdx_measure.h"
#include "service/api/measurement_inputs.h"
#include "service/api/routes.h"
#include "service/http/json_body.h"

namespace attest::service::api {
namespace {

// Boot inputs travel inside the JSON body (4 MiB); larger kernels are sent by digest (SEV) or
// measured offline with `attestctl measure` (TDX needs the kernel's bytes).
constexpr size_t kMaxInputBytes = http::kMaxBodyBytes;

Status Invalid(const std::string& why) { return Status(reasons::kApiInvalidField, why); }

Result<std::optional<bool>> TakeBool(http::ObjectReader& in, std::string_view name) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json v, in.TakeJson(name, false));
  if (v.is_null()) {
    return std::optional<bool>();
  }
  if (!v.is_boolean()) {
    return Invalid("field \"" + std::string(name) + "\" must be true or false");
  }
  return std::optional<bool>(v.get<bool>());
}

// TakeDigest reads an optional hex digest of exactly N bytes.
template <size_t N>
Result<std::optional<std::array<uint8_t, N>>> TakeDigest(http::ObjectReader& in,
                                                         std::string_view name) {
  ATTEST_ASSIGN_OR_RETURN(std::string text, in.TakeString(name, false));
  if (text.empty()) {
    return std::optional<std::array<uint8_t, N>>();
  }
  Result<Bytes> bytes = HexDecode(text);
  if (!bytes.ok() || bytes->size() != N) {
    return Invalid("field \"" + std::string(name) + "\" must be " + std::to_string(2 * N) +
                   " hex digits");
  }
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return std::optional<std::array<uint8_t, N>>(out);
}

Result<http::HttpResponse> MeasureAmd(RequestContext& ctx, http::ObjectReader& in,
                                      measure::SevMode mode, const std::string& tee) {
  ATTEST_ASSIGN_OR_RETURN(
      std::shared_ptr<const Bytes> firmware,
      OperatorFirmware(ctx.service.measurement_firmware.amd, "snp_firmware_image"));
  measure::SevLaunchInput input;
  input.mode = mode;
  input.firmware = *firmware;
  ATTEST_RETURN_IF_ERROR(ReadAmdLaunchOptions(in, input));
  // Direct boot: each input as bytes or (SEV's kernel hashes are SHA-256) as its digest.
  ATTEST_ASSIGN_OR_RETURN(Bytes kernel, in.TakeBase64("kernel", false, kMaxInputBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes initrd, in.TakeBase64("initrd", false, kMaxInputBytes));
  ATTEST_ASSIGN_OR_RETURN(auto kernel_sha256, TakeDigest<32>(in, "kernel_sha256"));
  ATTEST_ASSIGN_OR_RETURN(auto initrd_sha256, TakeDigest<32>(in, "initrd_sha256"));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json append, in.TakeJson("append", false));
  ATTEST_RETURN_IF_ERROR(in.Finish());
  if (!append.is_null() && !append.is_string()) {
    return Invalid("field \"append\" must be a string");
  }
  const bool has_kernel = !kernel.empty() || kernel_sha256.has_value();
  if ((!kernel.empty() && kernel_sha256) || (!initrd.empty() && initrd_sha256)) {
    return Invalid("give a boot input as bytes or as its digest, not both");
  }
  if (!has_kernel && (!initrd.empty() || initrd_sha256 || !append.is_null())) {
    return Invalid("\"initrd\" and \"append\" need a kernel (\"kernel\" or \"kernel_sha256\")");
  }
  if (has_kernel) {
    std::optional<ByteSpan> initrd_bytes;
    if (!initrd.empty()) {
      initrd_bytes = ByteSpan(initrd);
    }
    std::optional<std::string_view> cmdline;
    std::string append_text = append.is_string() ? append.get<std::string>() : "";
    if (append.is_string()) {
      cmdline = append_text;
    }
    Result<sev::KernelHashes> hashes = measure::HashBootInputs(kernel, initrd_bytes, cmdline);
    if (!hashes.ok()) {
      return AsBadInput(hashes.status());
    }
    if (kernel_sha256) {
      hashes->kernel = *kernel_sha256;
    }
    if (initrd_sha256) {
      hashes->initrd = *initrd_sha256;
    }
    input.kernel = *hashes;
  }
  Result<Bytes> digest = measure::ComputeSevLaunchDigest(input);
  if (!digest.ok()) {
    return AsBadInput(digest.status());
  }
  const std::string hex = HexEncode(*digest);
  nlohmann::json fragment =
      mode == measure::SevMode::kSnp
          ? nlohmann::json{{"snp", {{"measurements", {hex}}}}}
          : nlohmann::json{{"sev", {{"launch_digests", {hex}}, {"require_es", tee == "seves"}}}};
  return http::JsonResponse(200, {{"tee", tee},
                                  {"measurement", hex},
                                  {"firmware_sha256", HexEncode(Sha256(*firmware))},
                                  {"policy_fragment", fragment}});
}

Result<http::HttpResponse> MeasureTdxGuest(RequestContext& ctx, http::ObjectReader& in) {
  ATTEST_ASSIGN_OR_RETURN(
      std::shared_ptr<const Bytes> firmware,
      OperatorFirmware(ctx.service.measurement_firmware.tdx, "tdx_firmware_image"));
  measure::TdxBootInputs inputs;
  inputs.firmware = *firmware;
  measure::TdxMeasureOptions options;
  ATTEST_ASSIGN_OR_RETURN(int64_t memory_mib,
                          in.TakeInt("memory_mib", false, 1, int64_t{16} << 20, 0));
  ATTEST_ASSIGN_OR_RETURN(int64_t vcpus, in.TakeInt("vcpus", false, 1, measure::kMaxTdxVcpus, 0));
  ATTEST_ASSIGN_OR_RETURN(Bytes acpi, in.TakeBase64("acpi_tables", false, kMaxInputBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes kernel, in.TakeBase64("kernel", false, kMaxInputBytes));
  ATTEST_ASSIGN_OR_RETURN(Bytes initrd, in.TakeBase64("initrd", false, kMaxInputBytes));
  ATTEST_ASSIGN_OR_RETURN(auto initrd_sha384, TakeDigest<48>(in, "initrd_sha384"));
  ATTEST_ASSIGN_OR_RETURN(int64_t initrd_size,
                          in.TakeInt("initrd_size", false, 0, int64_t{4} << 30, -1));
  ATTEST_ASSIGN_OR_RETURN(std::string append, in.TakeString("append", false));
  ATTEST_ASSIGN_OR_RETURN(std::optional<bool> two_pass, TakeBool(in, "two_pass"));
  ATTEST_ASSIGN_OR_RETURN(std::optional<bool> rtmr2, TakeBool(in, "efi_stub_rtmr2"));
  ATTEST_ASSIGN_OR_RETURN(std::string layout, in.TakeString("separator_layout", false));
  ATTEST_RETURN_IF_ERROR(in.Finish());
  options.page_order = two_pass.value_or(false) ? measure::MrtdPageOrder::kTwoPass
                                                : measure::MrtdPageOrder::kSinglePass;
  options.efi_stub_measures_rtmr2 = rtmr2.value_or(true);
  if (layout == "edk2-stable202411") {
    options.separator = measure::SeparatorLayout::kEdk2Stable202411;
  } else if (!layout.empty() && layout != "legacy") {
    return Invalid("field \"separator_layout\": \"legacy\" or \"edk2-stable202411\"");
  }
  if (vcpus > 0) {
    options.vcpus = static_cast<uint32_t>(vcpus);
  }
  if (!initrd.empty() && (initrd_sha384 || initrd_size >= 0)) {
    return Invalid("give the initrd as bytes or as \"initrd_sha384\" and \"initrd_size\"");
  }
  if (initrd_sha384.has_value() != (initrd_size >= 0)) {
    return Invalid("\"initrd_sha384\" and \"initrd_size\" go together");
  }
  const std::string fw_sha256 = HexEncode(Sha256(*firmware));
  nlohmann::json fragment;
  if (kernel.empty()) {
    // No boot inputs: MRTD alone (the firmware); RTMRs need the whole boot.
    if (memory_mib != 0 || !acpi.empty() || !initrd.empty() || initrd_sha384 || !append.empty()) {
      return Invalid("the RTMRs need \"kernel\" (and \"memory_mib\", \"acpi_tables\")");
    }
    Result<Sha384Digest> mrtd = measure::MeasureTdxMrtd(*firmware, options.page_order);
    if (!mrtd.ok()) {
      return AsBadInput(mrtd.status());
    }
    const std::string hex = HexEncode(*mrtd);
    return http::JsonResponse(200, {{"tee", "tdx"},
                                    {"mrtd", hex},
                                    {"firmware_sha256", fw_sha256},
                                    {"policy_fragment", {{"tdx", {{"mr_td", {hex}}}}}}});
  }
  if (memory_mib == 0 || acpi.empty()) {
    return Invalid("a kernel boot needs \"memory_mib\" and \"acpi_tables\" (the VM's shape)");
  }
  inputs.memory_bytes = static_cast<uint64_t>(memory_mib) << 20;
  inputs.acpi_tables = acpi;
  inputs.kernel = kernel;
  inputs.cmdline = append;
  if (!initrd.empty()) {
    inputs.initrd = measure::DigestInitrd(initrd);
  } else if (initrd_sha384) {
    inputs.initrd = measure::TdxInitrd{static_cast<uint64_t>(initrd_size), *initrd_sha384};
  }
  Result<measure::TdxMeasurement> m = measure::MeasureTdx(inputs, options);
  if (!m.ok()) {
    return AsBadInput(m.status());
  }
  nlohmann::json rtmrs = nlohmann::json::array();
  nlohmann::json rules = nlohmann::json::array();
  for (size_t i = 0; i < m->rtmr.size(); ++i) {
    rtmrs.push_back(HexEncode(m->rtmr[i]));
    if (i < 3) {  // RTMR3 is the guest's own (runtime); pinning it is the tenant's choice
      rules.push_back({{"index", i}, {"values", {HexEncode(m->rtmr[i])}}});
    }
  }
  const std::string mrtd = HexEncode(m->mrtd);
  return http::JsonResponse(
      200, {{"tee", "tdx"},
            {"mrtd", mrtd},
            {"rtmr", rtmrs},
            {"firmware_sha256", fw_sha256},
            {"policy_fragment", {{"tdx", {{"mr_td", {mrtd}}, {"rtmrs", rules}}}}}});
}

Result<http::HttpResponse> ComputeMeasurement(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader in(body);
  ATTEST_ASSIGN_OR_RETURN(std::string tee, in.TakeString("tee"));
  if (tee == "snp") {
    return MeasureAmd(ctx, in, measure::SevMode::kSnp, tee);
  }
  if (tee == "seves") {
    return MeasureAmd(ctx, in, measure::SevMode::kSevEs, tee);
  }
  if (tee == "sev") {
    return MeasureAmd(ctx, in, measure::SevMode::kSev, tee);
  }
  if (tee == "tdx") {
    return MeasureTdxGuest(ctx, in);
  }
  return Invalid("field \"tee\": one of snp, seves, sev, tdx");
}

}  // namespace

void AddMeasurementRoutes(ApiRouter& router) {
  router.Add("POST", "/v1/measurements", http::Access::kTenant, ComputeMeasurement);
}

}  // namespace attest::service::api
