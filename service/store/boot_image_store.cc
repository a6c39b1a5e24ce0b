#include "service/store/boot_image_store.h"

#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kImage(
    "id, tenant_id, name, kernel_path, initrd_path, cmdline, kernel_sha256, kernel_sha384, "
    "kernel_size, initrd_sha256, initrd_sha384, initrd_size, published, created_at");
constexpr ColumnList kPart("tenant_id, name, part, path, sha256, sha384, size, uploaded_at");

Result<uint64_t> Size(const Row& r, size_t column) {
  ATTEST_ASSIGN_OR_RETURN(const int64_t size, r.Int(column));
  if (size < 0) {
    return Corrupt("negative boot image size");
  }
  return static_cast<uint64_t>(size);
}

Result<BootImage> ToImage(const Row& r) {
  BootImage b;
  b.id = r.Text(kImage["id"]);
  b.tenant_id = r.Text(kImage["tenant_id"]);
  b.name = r.Text(kImage["name"]);
  b.kernel_path = r.Text(kImage["kernel_path"]);
  b.initrd_path = r.Text(kImage["initrd_path"]);
  b.cmdline = r.Text(kImage["cmdline"]);
  b.kernel_sha256 = r.Text(kImage["kernel_sha256"]);
  b.kernel_sha384 = r.Text(kImage["kernel_sha384"]);
  ATTEST_ASSIGN_OR_RETURN(b.kernel_size, Size(r, kImage["kernel_size"]));
  b.initrd_sha256 = r.Text(kImage["initrd_sha256"]);
  b.initrd_sha384 = r.Text(kImage["initrd_sha384"]);
  ATTEST_ASSIGN_OR_RETURN(b.initrd_size, Size(r, kImage["initrd_size"]));
  ATTEST_ASSIGN_OR_RETURN(const int64_t published, r.Int(kImage["published"]));
  b.published = published != 0;
  ATTEST_ASSIGN_OR_RETURN(b.created_at, r.Time(kImage["created_at"]));
  return b;
}

Result<BootImagePart> ToPart(const Row& r) {
  BootImagePart p;
  p.tenant_id = r.Text(kPart["tenant_id"]);
  p.name = r.Text(kPart["name"]);
  p.part = r.Text(kPart["part"]);
  p.path = r.Text(kPart["path"]);
  p.sha256 = r.Text(kPart["sha256"]);
  p.sha384 = r.Text(kPart["sha384"]);
  ATTEST_ASSIGN_OR_RETURN(p.size, Size(r, kPart["size"]));
  ATTEST_ASSIGN_OR_RETURN(p.uploaded_at, r.Time(kPart["uploaded_at"]));
  return p;
}

Result<std::vector<BootImagePart>> PartsIn(SqlConnection* db, const std::string& tenant,
                                           const std::string& name) {
  ATTEST_ASSIGN_OR_RETURN(auto result,
                          db->Exec(std::string("SELECT ") + kPart.sql() +
                                       " FROM boot_image_parts WHERE tenant_id = $1 AND name = "
                                       "$2 ORDER BY part",
                                   {tenant, name}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kPart));
  return rows.Map(ToPart);
}

// ConsumePart deletes the staged part that holds exactly path with digest sha256.
Status ConsumePart(SqlConnection* db, const std::string& tenant, const std::string& name,
                   const char* part, const std::string& path, const std::string& sha256) {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db->Exec("DELETE FROM boot_image_parts WHERE tenant_id = $1 AND name = $2 AND "
                          "part = $3 AND path = $4 AND sha256 = $5 RETURNING path",
                          {tenant, name, std::string(part), path, sha256}));
  if (rows.empty()) {
    return NotFound(std::string("uploaded ") + part + " of boot image", name);
  }
  return Status::Ok();
}

int64_t Signed(uint64_t size) { return static_cast<int64_t>(size); }

}  // namespace

Result<std::string> BootImageStore::StageBootImagePart(const std::string& caller_tenant,
                                                       const BootImagePart& part, TimePoint now) {
  if ((part.part != "kernel" && part.part != "initrd") || part.name.empty() || part.path.empty() ||
      part.sha256.empty() || part.sha384.empty()) {
    return Status(reasons::kStoreInvalidArgument,
                  "a boot image part needs a name, kernel or initrd, a path and digests");
  }
  if (part.size > static_cast<uint64_t>(INT64_MAX)) {
    return Status(reasons::kStoreInvalidArgument, "boot image part size out of range");
  }
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  if (GetBootImageIn(db_, caller_tenant, part.name).ok()) {
    return Status(reasons::kStoreAlreadyExists,
                  "boot image \"" + part.name + "\" is committed; delete it to replace it");
  }
  ATTEST_ASSIGN_OR_RETURN(
      auto old, db_->Exec("DELETE FROM boot_image_parts WHERE tenant_id = $1 AND name = $2 AND "
                          "part = $3 RETURNING path",
                          {caller_tenant, part.name, part.part}));
  ATTEST_RETURN_IF_ERROR(db_->Exec(std::string("INSERT INTO boot_image_parts (") + kPart.sql() +
                                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                                   {caller_tenant, part.name, part.part, part.path, part.sha256,
                                    part.sha384, Signed(part.size), Unix(now)})
                             .status());
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return old.empty() ? std::string() : FirstColumn(old)[0];
}

Result<std::vector<BootImagePart>> BootImageStore::GetBootImageParts(
    const std::string& caller_tenant, const std::string& name) {
  return PartsIn(db_, caller_tenant, name);
}

Result<BootImage> BootImageStore::CreateBootImage(const std::string& caller_tenant,
                                                  const BootImage& image, TimePoint now,
                                                  std::vector<std::string>* discarded) {
  if (image.id.empty() || image.name.empty() || image.kernel_path.empty() ||
      image.kernel_sha256.empty() || image.kernel_sha384.empty() ||
      image.initrd_path.empty() != image.initrd_sha256.empty()) {
    return Status(reasons::kStoreInvalidArgument,
                  "a boot image needs an id, a name, a kernel and its digests");
  }
  if (image.kernel_size > static_cast<uint64_t>(INT64_MAX) ||
      image.initrd_size > static_cast<uint64_t>(INT64_MAX)) {
    return Status(reasons::kStoreInvalidArgument, "boot image size out of range");
  }
  BootImage b = image;
  b.tenant_id = caller_tenant;
  b.created_at = now;
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_RETURN_IF_ERROR(
      db_->Exec(std::string("INSERT INTO boot_images (") + kImage.sql() +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                {b.id, caller_tenant, b.name, b.kernel_path, b.initrd_path, b.cmdline,
                 b.kernel_sha256, b.kernel_sha384, Signed(b.kernel_size), b.initrd_sha256,
                 b.initrd_sha384, Signed(b.initrd_size), int64_t{b.published ? 1 : 0}, Unix(now)})
          .status());
  if (!b.published) {
    ATTEST_RETURN_IF_ERROR(
        ConsumePart(db_, caller_tenant, b.name, "kernel", b.kernel_path, b.kernel_sha256));
    if (!b.initrd_path.empty()) {
      ATTEST_RETURN_IF_ERROR(
          ConsumePart(db_, caller_tenant, b.name, "initrd", b.initrd_path, b.initrd_sha256));
    }
  }
  ATTEST_ASSIGN_OR_RETURN(auto left,
                          db_->Exec("DELETE FROM boot_image_parts WHERE tenant_id = $1 AND name "
                                    "= $2 RETURNING path",
                                    {caller_tenant, b.name}));
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  if (discarded != nullptr) {
    for (std::string& path : FirstColumn(left)) {
      discarded->push_back(std::move(path));
    }
  }
  return b;
}

Result<BootImage> BootImageStore::GetBootImage(const std::string& caller_tenant,
                                               const std::string& name) {
  return GetBootImageIn(db_, caller_tenant, name);
}

Result<BootImage> GetBootImageIn(SqlConnection* db, const std::string& caller_tenant,
                                 const std::string& name) {
  ATTEST_ASSIGN_OR_RETURN(auto result, db->Exec(std::string("SELECT ") + kImage.sql() +
                                                    " FROM boot_images WHERE tenant_id = $1 AND "
                                                    "name = $2",
                                                {caller_tenant, name}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kImage));
  if (rows.empty()) {
    return NotFound("boot image", name);
  }
  return ToImage(rows[0]);
}

Result<std::vector<BootImage>> BootImageStore::ListBootImages(const std::string& caller_tenant) {
  ATTEST_ASSIGN_OR_RETURN(auto result, db_->Exec(std::string("SELECT ") + kImage.sql() +
                                                     " FROM boot_images WHERE tenant_id = $1 "
                                                     "ORDER BY name",
                                                 {caller_tenant}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kImage));
  return rows.Map(ToImage);
}

Result<std::vector<std::string>> BootImageStore::DeleteBootImage(const std::string& caller_tenant,
                                                                 const std::string& name) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  // The image row goes first: its row lock waits for a VM creation that holds it (CreateVm reads
  // it FOR SHARE), and the search for live VMs below, a later statement, then sees that VM.
  ATTEST_ASSIGN_OR_RETURN(auto images,
                          db_->Exec("DELETE FROM boot_images WHERE tenant_id = $1 AND name = $2 "
                                    "RETURNING published, kernel_path, initrd_path",
                                    {caller_tenant, name}));
  ATTEST_ASSIGN_OR_RETURN(auto parts,
                          db_->Exec("DELETE FROM boot_image_parts WHERE tenant_id = $1 AND name "
                                    "= $2 RETURNING path",
                                    {caller_tenant, name}));
  if (images.empty() && parts.empty()) {
    return NotFound("boot image", name);
  }
  ATTEST_ASSIGN_OR_RETURN(auto users,
                          db_->Exec("SELECT id FROM vms WHERE tenant_id = $1 AND boot_image = $2 "
                                    "AND deleted_at IS NULL ORDER BY id LIMIT 1",
                                    {caller_tenant, name}));
  if (!users.empty()) {
    return Status(reasons::kStoreInUse,
                  "boot image \"" + name + "\" is booted by live VM " + FirstColumn(users)[0]);
  }
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  std::vector<std::string> paths = FirstColumn(parts);
  for (const SqlRow& row : images) {
    ATTEST_ASSIGN_OR_RETURN(const int64_t published, ToInt(row[0]));
    for (size_t column : {size_t{1}, size_t{2}}) {
      if (published == 0 && row[column] && !row[column]->empty()) {
        paths.push_back(*row[column]);
      }
    }
  }
  return paths;
}

}  // namespace attest::service::store
