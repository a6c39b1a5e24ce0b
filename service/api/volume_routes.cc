// Tenant volumes (issue 9): a fresh 256-bit key per volume, stored only wrapped by the service
// KEK (service/keys/volume.h), and optionally a LUKS2 image file formatted with it. The key never
// appears in a response; it leaves attestd only as a JWE to an attested guest (attest_routes.cc).
// DELETE destroys the wrapped key (crypto-shredding) and removes the image file.
#include <filesystem>

#include <openssl/crypto.h>
#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/time.h"
#include "service/api/routes.h"
#include "service/http/json_body.h"
#include "service/http/query.h"
#include "service/keys/volume.h"

namespace attest::service::api {
namespace {

using http::HttpResponse;

nlohmann::json VolumeJson(const store::Volume& v) {
  return {{"volume_id", v.id},          {"name", v.name},
          {"size_bytes", v.size_bytes}, {"image_path", v.image_path},
          {"kek_id", v.kek_id},         {"created_at", FormatRfc3339(v.created_at)}};
}

// WipedKey holds a plain volume key and clears it on every path out.
struct WipedKey {
  Bytes bytes = keys::NewVolumeKey();
  ~WipedKey() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

Result<HttpResponse> CreateVolume(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(std::string name, reader.TakeString("name"));
  const ServiceConfig& config = ctx.service.config;
  ATTEST_ASSIGN_OR_RETURN(
      int64_t size,
      reader.TakeInt("size_bytes", false, 0, static_cast<int64_t>(config.max_volume_bytes)));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  if (!http::IsValidName(name)) {
    return Status(reasons::kApiInvalidField,
                  "field \"name\": 1..128 characters of A-Z a-z 0-9 . _ -");
  }
  if (size > 0 && static_cast<uint64_t>(size) < keys::kMinLuksImageBytes) {
    return Status(reasons::kApiInvalidField, "field \"size_bytes\": 0 (key only) or at least " +
                                                 std::to_string(keys::kMinLuksImageBytes) +
                                                 " (a LUKS2 header takes 16 MiB)");
  }
  if (size > 0 && config.volume_dir.empty()) {
    return Status(reasons::kApiInvalidField,
                  "field \"size_bytes\": this service makes key-only volumes (no volume_dir)");
  }
  if (ctx.service.kek == nullptr) {
    return Status(reasons::kApiInternal, "no key-encryption key configured");
  }

  store::Volume v;
  v.id = "vol-" + HexEncode(store::RandomBytes(16));
  v.name = name;
  v.kek_id = ctx.service.kek->key_id();
  WipedKey key;
  ATTEST_ASSIGN_OR_RETURN(v.wrapped_key, keys::WrapVolumeKey(*ctx.service.kek, v.id, key.bytes));
  if (size > 0) {
    v.size_bytes = static_cast<uint64_t>(size);
    v.image_path = (std::filesystem::path(config.volume_dir) / (v.id + ".img")).string();
    // luksFormat takes a while: on the slow-work pool, so a burst of volumes cannot hold every
    // request thread (a full pool: 503 work.busy, nothing created).
    Status formatted = Status::Ok();
    ATTEST_RETURN_IF_ERROR(ctx.service.slow_work->Run([&] {
      formatted = keys::FormatLuksImage(v.image_path, v.size_bytes, key.bytes, config.luks);
    }));
    ATTEST_RETURN_IF_ERROR(formatted);
  }
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  Result<store::Volume> stored = db->CreateVolume(ctx.caller.tenant_id, v, ctx.now);
  if (!stored.ok()) {
    // No image without a key record: the image would be unreadable by anyone anyway.
    if (!v.image_path.empty()) {
      std::remove(v.image_path.c_str());
    }
    return stored.status();
  }
  ATTEST_RETURN_IF_ERROR(ctx.Audit(
      "volume.create", v.id, "ok",
      "name=" + name + " size_bytes=" + std::to_string(v.size_bytes) + " kek=" + v.kek_id));
  return http::JsonResponse(201, VolumeJson(*stored));
}

Result<HttpResponse> GetVolume(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Volume v, db->GetVolume(ctx.caller.tenant_id, ctx.Param("id")));
  return http::JsonResponse(200, VolumeJson(v));
}

Result<HttpResponse> ListVolumes(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::Volume> volumes,
                          db->ListVolumes(ctx.caller.tenant_id));
  nlohmann::json list = nlohmann::json::array();
  for (const store::Volume& v : volumes) {
    list.push_back(VolumeJson(v));
  }
  return http::JsonResponse(200, {{"volumes", list}});
}

Result<HttpResponse> DeleteVolume(RequestContext& ctx) {
  const std::string& id = ctx.Param("id");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Volume v, db->GetVolume(ctx.caller.tenant_id, id));
  ATTEST_RETURN_IF_ERROR(db->DeleteVolume(ctx.caller.tenant_id, id, ctx.now));
  // The wrapped key is gone, so the image holds only ciphertext; remove it to free the space.
  std::error_code ec;
  const bool removed = !v.image_path.empty() && std::filesystem::remove(v.image_path, ec);
  ATTEST_RETURN_IF_ERROR(
      ctx.Audit("volume.delete", id, "ok",
                "key destroyed" + std::string(v.image_path.empty() ? ""
                                              : removed            ? ", image removed"
                                                                   : ", image already gone")));
  return http::NoContentResponse();
}

}  // namespace

void AddVolumeRoutes(ApiRouter& router) {
  router.Add("POST", "/v1/volumes", http::Access::kTenant, CreateVolume);
  router.Add("GET", "/v1/volumes", http::Access::kTenant, ListVolumes);
  router.Add("GET", "/v1/volumes/{id}", http::Access::kTenant, GetVolume);
  router.Add("DELETE", "/v1/volumes/{id}", http::Access::kTenant, DeleteVolume);
}

}  // namespace attest::service::api
