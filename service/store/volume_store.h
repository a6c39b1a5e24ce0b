// VolumeStore: tenants' encrypted volumes, each holding only its KEK-wrapped key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

// Volume: a tenant's encrypted disk. Its 256-bit key exists in the database only wrapped by the
// KEK (service/keys/volume.h, associated data "volume:<id>").
struct Volume {
  std::string id;  // chosen by the caller before wrapping (the id is in the associated data)
  std::string tenant_id;
  std::string name;
  uint64_t size_bytes = 0;  // of the LUKS2 image; 0 when only a key was made
  std::string image_path;   // "" when only a key was made
  std::string kek_id;       // the KEK that wrapped the key
  Bytes wrapped_key;
  TimePoint created_at;
};

// VolumeStore reads and writes the volumes table over one connection (a view: it does not own
// db).
class VolumeStore {
 public:
  explicit VolumeStore(SqlConnection* db) : db_(db) {}

  // CreateVolume stores volume (id, name, kek_id and wrapped_key set by the caller) for
  // caller_tenant. kStoreInvalidArgument without id, name or wrapped key; kStoreAlreadyExists when
  // the id is taken.
  Result<Volume> CreateVolume(const std::string& caller_tenant, const Volume& volume,
                              TimePoint now);
  // GetVolume returns the caller's live volume; deleted or another tenant's: kStoreNotFound.
  Result<Volume> GetVolume(const std::string& caller_tenant, const std::string& volume_id);
  Result<std::vector<Volume>> ListVolumes(const std::string& caller_tenant);
  // DeleteVolume destroys the wrapped key (crypto-shredding; the row stays, keyless, for the audit
  // trail). kStoreNotFound when not the caller's or already deleted.
  Status DeleteVolume(const std::string& caller_tenant, const std::string& volume_id,
                      TimePoint now);

 private:
  SqlConnection* db_;
};

// GetVolumeIn is VolumeStore::GetVolume on db, also inside a caller's transaction
// (VmStore::CreateVm checks the VM's volumes with it).
Result<Volume> GetVolumeIn(SqlConnection* db, const std::string& caller_tenant,
                           const std::string& volume_id);

}  // namespace attest::service::store
