// BootImageStore: tenants' boot images (kernel, optional initrd, cmdline) for direct-booted VMs,
// and the parts uploaded for an image not yet committed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

// BootImage: what a tenant's VM boots. Its files are stored beside the tenant's volumes (0600),
// or, for an image the operator published, in the operator's read-only directory (published).
// Digests are lowercase hex of the exact file bytes; the launch measurement is computed from them.
struct BootImage {
  std::string id;  // chosen by the caller
  std::string tenant_id;
  std::string name;  // unique per tenant
  std::string kernel_path;
  std::string initrd_path;  // "" when the image has no initrd
  std::string cmdline;
  std::string kernel_sha256;
  std::string kernel_sha384;
  uint64_t kernel_size = 0;
  std::string initrd_sha256;  // "" without an initrd
  std::string initrd_sha384;
  uint64_t initrd_size = 0;
  bool published = false;  // files belong to the operator: never unlinked by attestd
  TimePoint created_at;
};

// BootImagePart: one uploaded file of an image that is not committed yet.
struct BootImagePart {
  std::string tenant_id;
  std::string name;  // the image it is for
  std::string part;  // "kernel" or "initrd"
  std::string path;
  std::string sha256;
  std::string sha384;
  uint64_t size = 0;
  TimePoint uploaded_at;
};

// BootImageStore reads and writes boot_images and boot_image_parts over one connection (a view:
// it does not own db). Files are the caller's: the store hands back the paths it forgets so the
// caller unlinks them.
class BootImageStore {
 public:
  explicit BootImageStore(SqlConnection* db) : db_(db) {}

  // StageBootImagePart records an uploaded part for the caller's image `part.name`, replacing an
  // earlier upload of the same part, and returns the replaced file's path ("" when none).
  // kStoreAlreadyExists when the caller already has a committed image of that name (images are
  // immutable: delete and upload again); kStoreInvalidArgument for a part other than "kernel"
  // or "initrd", or a missing path or digest.
  Result<std::string> StageBootImagePart(const std::string& caller_tenant,
                                         const BootImagePart& part, TimePoint now);
  // GetBootImageParts returns the caller's staged parts of image name (empty when none).
  Result<std::vector<BootImagePart>> GetBootImageParts(const std::string& caller_tenant,
                                                       const std::string& name);
  // CreateBootImage commits image for the caller. For an uploaded image (not published) it
  // consumes, in the same transaction, the staged parts the image names (same path and SHA-256):
  // kStoreNotFound when one is gone or was replaced meanwhile. Other staged parts of the name
  // are dropped and their paths appended to *discarded. kStoreAlreadyExists when the name is
  // taken; kStoreInvalidArgument without id, name, kernel path or kernel digests.
  Result<BootImage> CreateBootImage(const std::string& caller_tenant, const BootImage& image,
                                    TimePoint now, std::vector<std::string>* discarded);
  // GetBootImage returns the caller's committed image name; missing or another tenant's:
  // kStoreNotFound.
  Result<BootImage> GetBootImage(const std::string& caller_tenant, const std::string& name);
  // ListBootImages returns the caller's committed images by name.
  Result<std::vector<BootImage>> ListBootImages(const std::string& caller_tenant);
  // DeleteBootImage forgets the caller's image name and its staged parts, and returns the paths
  // of the files the caller must unlink (an operator's published files are never among them).
  // kStoreNotFound when the caller has neither an image nor a staged part of that name;
  // kStoreInUse while a live VM of the caller boots it (vms.boot_image), checked in the same
  // transaction, so a VM created concurrently either sees the image or keeps it.
  Result<std::vector<std::string>> DeleteBootImage(const std::string& caller_tenant,
                                                   const std::string& name);

 private:
  SqlConnection* db_;
};

// GetBootImageIn is BootImageStore::GetBootImage on db, also inside a caller's transaction.
Result<BootImage> GetBootImageIn(SqlConnection* db, const std::string& caller_tenant,
                                 const std::string& name);

}  // namespace attest::service::store
