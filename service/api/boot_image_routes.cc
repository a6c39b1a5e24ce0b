// Tenant boot images (issue 20): what a tenant's VM direct-boots, a kernel (bzImage or PE
// EFI-stub), an optional initrd and a cmdline. The kernel and initrd are streamed in
// (PUT .../kernel, .../initrd: application/octet-stream, at most max_boot_image_bytes each,
// hashed with SHA-256 and SHA-384 on the way, stored 0600 in volume_dir beside the volumes) and
// staged; PUT /v1/boot-images/{name} commits them by their SHA-256 with the cmdline, or references
// an image the operator published. Committed images are immutable.
//
// Published images: published_boot_image_dir/<name>/ holds "kernel", optionally "initrd" and
// "cmdline", and "SHA256SUMS" (sha256sum format) listing the kernel's and initrd's digests.
// attestd hashes the files when a tenant references the image and refuses any that differs
// from its listed digest; the image record keeps the digests it measured, so a file replaced
// later can only change what boots, never what the measurement expects.
#include <filesystem>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/time.h"
#include "service/api/kernel_header.h"
#include "service/api/reasons.h"
#include "service/api/routes.h"
#include "service/api/upload_file.h"
#include "service/http/header_text.h"
#include "service/http/json_body.h"
#include "service/http/query.h"
#include "service/store/sql_row.h"
#include "sigv4/reasons.h"

namespace attest::service::api {
namespace {

namespace fs = std::filesystem;
using http::HttpResponse;

constexpr size_t kMaxSumsBytes = 4096;

nlohmann::json PartJson(const std::string& sha256, const std::string& sha384, uint64_t size) {
  if (sha256.empty()) {
    return nullptr;
  }
  return {{"sha256", sha256}, {"sha384", sha384}, {"size_bytes", size}};
}

nlohmann::json ImageJson(const store::BootImage& b) {
  return {{"boot_image_id", b.id},
          {"name", b.name},
          {"cmdline", b.cmdline},
          {"published", b.published},
          {"kernel", PartJson(b.kernel_sha256, b.kernel_sha384, b.kernel_size)},
          {"initrd", PartJson(b.initrd_sha256, b.initrd_sha384, b.initrd_size)},
          {"created_at", FormatRfc3339(b.created_at)}};
}

void RemoveFiles(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) {
    std::error_code ignored;
    fs::remove(path, ignored);
  }
}

// CheckCmdline: bounded text without NUL or other control characters (the kernel reads it as a
// C string; a control character only ever hides something from whoever reads it back).
Status CheckCmdline(const std::string& cmdline, size_t max_bytes) {
  if (cmdline.size() > max_bytes) {
    return Status(reasons::kBootCmdlineInvalid,
                  "cmdline exceeds " + std::to_string(max_bytes) + " bytes");
  }
  for (const char ch : cmdline) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return Status(reasons::kBootCmdlineInvalid, "cmdline holds a NUL or control character");
    }
  }
  return Status::Ok();
}

// SetPart fills the image's kernel (part "kernel") or initrd fields.
void SetPart(store::BootImage& b, std::string_view part, std::string path, FileDigests digests) {
  const bool kernel = part == "kernel";
  (kernel ? b.kernel_path : b.initrd_path) = std::move(path);
  (kernel ? b.kernel_sha256 : b.initrd_sha256) = std::move(digests.sha256);
  (kernel ? b.kernel_sha384 : b.initrd_sha384) = std::move(digests.sha384);
  (kernel ? b.kernel_size : b.initrd_size) = digests.size;
}

uint64_t MaxBootImageBytes(const ServiceConfig& config) { return config.max_boot_image_bytes; }

// PartSink receives one uploaded kernel or initrd. It checks what only the whole body can tell
// (the declared SHA-256, a kernel's header), moves the file into place and stages it.
class PartSink final : public http::BodySink {
 public:
  PartSink(ServiceContext& service, store::AuditRecord audit, std::string name, std::string part,
           std::string declared_sha256, std::unique_ptr<UploadFile> file)
      : service_(service),
        audit_(std::move(audit)),
        name_(std::move(name)),
        part_(std::move(part)),
        declared_sha256_(std::move(declared_sha256)),
        file_(std::move(file)) {}

  Status Write(std::string_view bytes) override { return file_->Write(bytes); }

  HttpResponse Finish() override {
    Result<HttpResponse> response = Stage();
    return response.ok() ? std::move(response).value() : http::ErrorFromStatus(response.status());
  }

 private:
  Result<HttpResponse> Stage() {
    const FileDigests digests = file_->Digests();
    if (digests.sha256 != declared_sha256_) {
      return Status(reasons::kSigv4ContentSha256Mismatch,
                    "x-amz-content-sha256 " + declared_sha256_ + " is not the body's SHA-256 " +
                        digests.sha256);
    }
    if (part_ == "kernel") {
      ATTEST_RETURN_IF_ERROR(CheckKernelHeader(file_->head()));
    }
    ATTEST_RETURN_IF_ERROR(file_->Commit());
    store::BootImagePart staged;
    staged.name = name_;
    staged.part = part_;
    staged.path = file_->final_path();
    staged.sha256 = digests.sha256;
    staged.sha384 = digests.sha384;
    staged.size = digests.size;
    Result<std::string> replaced = StageIn(staged);
    if (!replaced.ok()) {
      RemoveFiles({staged.path});
      return replaced.status();
    }
    if (!replaced->empty()) {
      RemoveFiles({*replaced});
    }
    return HttpResponse(http::JsonResponse(201, {{"name", name_},
                                                 {"part", part_},
                                                 {"sha256", digests.sha256},
                                                 {"sha384", digests.sha384},
                                                 {"size_bytes", digests.size}}));
  }

  // StageIn records the part on a connection of its own: the upload held none while it streamed.
  Result<std::string> StageIn(const store::BootImagePart& staged) {
    ATTEST_ASSIGN_OR_RETURN(store::StorePool::Lease db, service_.stores->Acquire());
    const TimePoint now = service_.now();
    ATTEST_ASSIGN_OR_RETURN(std::string replaced,
                            db->StageBootImagePart(audit_.tenant_id, staged, now));
    store::AuditRecord audit = audit_;
    audit.at = now;
    audit.detail =
        "part=" + part_ + " sha256=" + staged.sha256 + " size_bytes=" + std::to_string(staged.size);
    ATTEST_RETURN_IF_ERROR(db->AppendAudit(audit).status());
    return replaced;
  }

  ServiceContext& service_;
  store::AuditRecord audit_;
  std::string name_;
  std::string part_;
  std::string declared_sha256_;
  std::unique_ptr<UploadFile> file_;
};

Result<std::unique_ptr<http::BodySink>> OpenPart(RequestContext& ctx, const std::string& part) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  const std::string type = http::HeaderValue(ctx.request, "Content-Type");
  if (!http::EqualsIgnoreCase(type, "application/octet-stream")) {
    return Status(
        reasons::kApiUnsupportedMediaType,
        "Content-Type must be application/octet-stream, got \"" + type.substr(0, 64) + "\"");
  }
  const ServiceConfig& config = ctx.service.config;
  if (config.volume_dir.empty()) {
    return Status(reasons::kBootStorageNotConfigured,
                  "this service stores no boot images (no volume_dir)");
  }
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  // Refused before a byte is read: committed images are immutable.
  if (db->GetBootImage(ctx.caller.tenant_id, name).ok()) {
    return Status(reasons::kStoreAlreadyExists,
                  "boot image \"" + name + "\" is committed; delete it to replace it");
  }
  const std::string final_path =
      (fs::path(config.volume_dir) / ("boot-" + HexEncode(store::RandomBytes(16)) + "." + part))
          .string();
  ATTEST_ASSIGN_OR_RETURN(std::unique_ptr<UploadFile> file,
                          UploadFile::Create(config.volume_dir, final_path));
  return std::unique_ptr<http::BodySink>(
      new PartSink(ctx.service, ctx.AuditRecordFor("boot_image.upload", name, "ok"), name, part,
                   ctx.declared_sha256, std::move(file)));
}

// ReadSums reads a published image's SHA256SUMS: "<64 hex>  <file>" lines.
Result<std::map<std::string, std::string>> ReadSums(const fs::path& dir) {
  ATTEST_ASSIGN_OR_RETURN(Bytes text, ReadFileBytes((dir / "SHA256SUMS").string(), kMaxSumsBytes));
  std::map<std::string, std::string> sums;
  std::string_view rest(reinterpret_cast<const char*>(text.data()), text.size());
  while (!rest.empty()) {
    const size_t eol = rest.find('\n');
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
    if (line.size() > 66 && line.substr(64, 2) == "  ") {
      sums[std::string(line.substr(66))] = std::string(line.substr(0, 64));
    }
  }
  return sums;
}

// PublishedPart hashes a published image's file and checks it against its listed digest.
Result<FileDigests> PublishedPart(const fs::path& dir, const std::string& file,
                                  const std::map<std::string, std::string>& sums,
                                  uint64_t max_bytes) {
  ATTEST_ASSIGN_OR_RETURN(FileDigests digests, DigestFile((dir / file).string(), max_bytes));
  const auto listed = sums.find(file);
  if (listed == sums.end() || listed->second != digests.sha256) {
    return Status(reasons::kBootDigestMismatch,
                  "published " + file + " does not match its SHA256SUMS entry");
  }
  return digests;
}

Result<store::BootImage> PublishedImage(RequestContext& ctx, const std::string& published,
                                        std::optional<std::string> cmdline) {
  const ServiceConfig& config = ctx.service.config;
  if (config.published_boot_image_dir.empty() || !http::IsValidName(published) ||
      !fs::is_directory(fs::path(config.published_boot_image_dir) / published)) {
    return Status(reasons::kBootPublishedNotFound,
                  "no published boot image \"" + published.substr(0, 128) + "\"");
  }
  const fs::path dir = fs::path(config.published_boot_image_dir) / published;
  ATTEST_ASSIGN_OR_RETURN(const auto sums, ReadSums(dir));
  store::BootImage b;
  b.published = true;
  for (const char* part : {"kernel", "initrd"}) {
    if (std::string_view(part) == "initrd" && !fs::exists(dir / part)) {
      continue;  // an image without an initrd
    }
    ATTEST_ASSIGN_OR_RETURN(FileDigests digests,
                            PublishedPart(dir, part, sums, config.max_boot_image_bytes));
    SetPart(b, part, (dir / part).string(), std::move(digests));
  }
  if (!cmdline && fs::exists(dir / "cmdline")) {
    ATTEST_ASSIGN_OR_RETURN(Bytes text,
                            ReadFileBytes((dir / "cmdline").string(), config.max_cmdline_bytes));
    std::string line(text.begin(), text.end());
    while (!line.empty() && line.back() == '\n') {
      line.pop_back();
    }
    cmdline = std::move(line);
  }
  b.cmdline = cmdline.value_or("");
  return b;
}

// StagedPart finds the caller's staged part `wanted`, which must have digest sha256.
Result<store::BootImagePart> StagedPart(const std::vector<store::BootImagePart>& parts,
                                        const std::string& name, const std::string& wanted,
                                        const std::string& sha256) {
  const auto part = std::find_if(parts.begin(), parts.end(),
                                 [&](const store::BootImagePart& p) { return p.part == wanted; });
  if (part == parts.end()) {
    return store::NotFound("uploaded " + wanted + " of boot image", name);
  }
  if (part->sha256 != sha256) {
    return Status(
        reasons::kBootDigestMismatch,
        wanted + "_sha256 " + sha256 + " is not the uploaded " + wanted + "'s " + part->sha256);
  }
  return *part;
}

// UploadedImage builds the image from the caller's staged parts, which must be the ones named.
Result<store::BootImage> UploadedImage(store::Store* db, RequestContext& ctx,
                                       const std::string& name, const std::string& kernel_sha256,
                                       const std::string& initrd_sha256) {
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::BootImagePart> parts,
                          db->GetBootImageParts(ctx.caller.tenant_id, name));
  store::BootImage b;
  for (const auto& [part, sha256] :
       {std::pair<std::string, const std::string&>{"kernel", kernel_sha256},
        {"initrd", initrd_sha256}}) {
    if (sha256.empty()) {
      continue;  // no initrd named: the image has none
    }
    ATTEST_ASSIGN_OR_RETURN(store::BootImagePart staged, StagedPart(parts, name, part, sha256));
    SetPart(b, part, staged.path, FileDigests{staged.size, staged.sha256, staged.sha384});
  }
  return b;
}

Result<std::string> TakeDigest(http::ObjectReader& reader, std::string_view field, bool required) {
  ATTEST_ASSIGN_OR_RETURN(std::string hex, reader.TakeString(field, required));
  if ((required || !hex.empty()) &&
      (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    return Status(reasons::kApiInvalidField,
                  "field \"" + std::string(field) + "\": 64 lowercase hex digits");
  }
  return hex;
}

Result<HttpResponse> CommitBootImage(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json cmdline_json, reader.TakeJson("cmdline", false));
  ATTEST_ASSIGN_OR_RETURN(std::string published, reader.TakeString("published", false));
  std::string kernel_sha256;
  std::string initrd_sha256;
  if (published.empty()) {
    ATTEST_ASSIGN_OR_RETURN(kernel_sha256, TakeDigest(reader, "kernel_sha256", true));
    ATTEST_ASSIGN_OR_RETURN(initrd_sha256, TakeDigest(reader, "initrd_sha256", false));
  }
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  std::optional<std::string> cmdline;
  if (!cmdline_json.is_null()) {
    if (!cmdline_json.is_string()) {
      return Status(reasons::kApiInvalidField, "field \"cmdline\": a string");
    }
    cmdline = cmdline_json.get<std::string>();
  }
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  store::BootImage image;
  if (published.empty()) {
    ATTEST_ASSIGN_OR_RETURN(image, UploadedImage(db, ctx, name, kernel_sha256, initrd_sha256));
    image.cmdline = cmdline.value_or("");
  } else {
    ATTEST_ASSIGN_OR_RETURN(image, PublishedImage(ctx, published, cmdline));
  }
  ATTEST_RETURN_IF_ERROR(CheckCmdline(image.cmdline, ctx.service.config.max_cmdline_bytes));
  image.id = "bi-" + HexEncode(store::RandomBytes(16));
  image.name = name;
  std::vector<std::string> discarded;
  ATTEST_ASSIGN_OR_RETURN(store::BootImage stored,
                          db->CreateBootImage(ctx.caller.tenant_id, image, ctx.now, &discarded));
  RemoveFiles(discarded);
  ATTEST_RETURN_IF_ERROR(ctx.Audit("boot_image.commit", name, "ok",
                                   (published.empty() ? "" : "published=" + published + " ") +
                                       "kernel_sha256=" + stored.kernel_sha256 +
                                       " initrd_sha256=" + stored.initrd_sha256));
  return http::JsonResponse(201, ImageJson(stored));
}

Result<HttpResponse> GetBootImage(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::BootImage b,
                          db->GetBootImage(ctx.caller.tenant_id, ctx.Param("name")));
  return http::JsonResponse(200, ImageJson(b));
}

Result<HttpResponse> ListBootImages(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::BootImage> images,
                          db->ListBootImages(ctx.caller.tenant_id));
  nlohmann::json list = nlohmann::json::array();
  for (const store::BootImage& b : images) {
    list.push_back(ImageJson(b));
  }
  return http::JsonResponse(200, {{"boot_images", list}});
}

// DeleteBootImage forgets the image (or the parts staged under its name) and removes its files;
// an operator's published files stay. Refused (409 api.resource_in_use) while a live VM boots it.
Result<HttpResponse> DeleteBootImage(RequestContext& ctx) {
  const std::string& name = ctx.Param("name");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  Result<std::vector<std::string>> deleted = db->DeleteBootImage(ctx.caller.tenant_id, name);
  if (deleted.status().reason_id() == reasons::kStoreInUse.id) {
    return Status(reasons::kApiResourceInUse, deleted.status().message());
  }
  ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> paths, std::move(deleted));
  RemoveFiles(paths);
  ATTEST_RETURN_IF_ERROR(
      ctx.Audit("boot_image.delete", name, "ok", "files removed=" + std::to_string(paths.size())));
  return http::NoContentResponse();
}

}  // namespace

void AddBootImageRoutes(ApiRouter& router, StreamRouter& streams) {
  router.Add("PUT", "/v1/boot-images/{name}", http::Access::kTenant, CommitBootImage);
  router.Add("GET", "/v1/boot-images", http::Access::kTenant, ListBootImages);
  router.Add("GET", "/v1/boot-images/{name}", http::Access::kTenant, GetBootImage);
  router.Add("DELETE", "/v1/boot-images/{name}", http::Access::kTenant, DeleteBootImage);
  for (const char* part : {"kernel", "initrd"}) {
    streams.Add("PUT", std::string("/v1/boot-images/{name}/") + part, http::Access::kTenant,
                StreamEndpoint{MaxBootImageBytes, [part = std::string(part)](RequestContext& ctx) {
                                 return OpenPart(ctx, part);
                               }});
  }
}

}  // namespace attest::service::api
