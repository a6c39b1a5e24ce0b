#include "service/store/volume_store.h"

#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kVolume(
    "id, tenant_id, name, size_bytes, image_path, kek_id, wrapped_key, created_at");

Result<Volume> ToVolume(const Row& r) {
  Volume v;
  v.id = r.Text(kVolume["id"]);
  v.tenant_id = r.Text(kVolume["tenant_id"]);
  v.name = r.Text(kVolume["name"]);
  ATTEST_ASSIGN_OR_RETURN(const int64_t size, r.Int(kVolume["size_bytes"]));
  v.size_bytes = static_cast<uint64_t>(size);
  v.image_path = r.Text(kVolume["image_path"]);
  v.kek_id = r.Text(kVolume["kek_id"]);
  v.wrapped_key = r.Blob(kVolume["wrapped_key"]);
  ATTEST_ASSIGN_OR_RETURN(v.created_at, r.Time(kVolume["created_at"]));
  return v;
}

}  // namespace

Result<Volume> VolumeStore::CreateVolume(const std::string& caller_tenant, const Volume& volume,
                                         TimePoint now) {
  if (volume.id.empty() || volume.name.empty() || volume.wrapped_key.empty() ||
      volume.kek_id.empty()) {
    return Status(reasons::kStoreInvalidArgument,
                  "a volume needs an id, a name, a KEK id and a wrapped key");
  }
  if (volume.size_bytes > static_cast<uint64_t>(INT64_MAX)) {
    return Status(reasons::kStoreInvalidArgument, "volume size out of range");
  }
  Volume v = volume;
  v.tenant_id = caller_tenant;
  v.created_at = now;
  ATTEST_RETURN_IF_ERROR(db_->Exec(std::string("INSERT INTO volumes (") + kVolume.sql() +
                                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                                   {v.id, caller_tenant, v.name, static_cast<int64_t>(v.size_bytes),
                                    v.image_path, v.kek_id, v.wrapped_key, Unix(now)})
                             .status());
  return v;
}

Result<Volume> VolumeStore::GetVolume(const std::string& caller_tenant,
                                      const std::string& volume_id) {
  return GetVolumeIn(db_, caller_tenant, volume_id);
}

Result<Volume> GetVolumeIn(SqlConnection* db, const std::string& caller_tenant,
                           const std::string& volume_id) {
  ATTEST_ASSIGN_OR_RETURN(
      auto result, db->Exec(std::string("SELECT ") + kVolume.sql() +
                                " FROM volumes WHERE id = $1 AND tenant_id = $2 AND deleted_at "
                                "IS NULL",
                            {volume_id, caller_tenant}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kVolume));
  if (rows.empty()) {
    return NotFound("volume", volume_id);
  }
  return ToVolume(rows[0]);
}

Result<std::vector<Volume>> VolumeStore::ListVolumes(const std::string& caller_tenant) {
  ATTEST_ASSIGN_OR_RETURN(auto result,
                          db_->Exec(std::string("SELECT ") + kVolume.sql() +
                                        " FROM volumes WHERE tenant_id = $1 AND deleted_at IS NULL "
                                        "ORDER BY id",
                                    {caller_tenant}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kVolume));
  return rows.Map(ToVolume);
}

Status VolumeStore::DeleteVolume(const std::string& caller_tenant, const std::string& volume_id,
                                 TimePoint now) {
  // The wrapped key is overwritten with NULL in the row itself: the only copy of the volume key
  // (under the KEK) is gone, so the image's ciphertext can never be opened again.
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db_->Exec("UPDATE volumes SET wrapped_key = NULL, deleted_at = $3 WHERE id = "
                           "$1 AND tenant_id = $2 AND deleted_at IS NULL RETURNING id",
                           {volume_id, caller_tenant, Unix(now)}));
  if (rows.empty()) {
    return NotFound("volume", volume_id);
  }
  return Status::Ok();
}

}  // namespace attest::service::store
