// Volume routes (issue 9) over a real SQLite store and a real cryptsetup, requests signed with
// SigV4.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "attest/core/encoding.h"
#include "service/api/testing/api_harness.h"
#include "service/keys/volume.h"

namespace attest::service::api {
namespace {

namespace fs = std::filesystem;
using testing::ApiHarness;

std::vector<std::string> AuditActions(ApiHarness& h, const sigv4::Credentials& who) {
  auto r = h.Call("GET", "/v1/audit", "", &who);
  std::vector<std::string> actions;
  for (const auto& e : r.json["entries"]) {
    actions.push_back(e["action"]);
  }
  return actions;
}

// StoredKey unwraps the volume's key from the database, as a release would.
Bytes StoredKey(ApiHarness& h, const std::string& tenant, const std::string& id) {
  auto db = h.pool().Acquire();
  EXPECT_TRUE(db.ok());
  auto v = (*db)->GetVolume(tenant, id);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  if (!v.ok()) {
    return {};
  }
  auto key = keys::UnwrapVolumeKey(h.kek(), id, v->wrapped_key);
  EXPECT_TRUE(key.ok()) << key.status().ToString();
  return key.ok() ? *key : Bytes();
}

std::string TenantOf(ApiHarness& h, const sigv4::Credentials& who) {
  auto db = h.pool().Acquire();
  return (*db)->LookupCredential(who.access_key_id)->tenant_id;
}

void ExpectNoKeyIn(const std::string& body, const Bytes& key) {
  EXPECT_EQ(body.find(HexEncode(key)), std::string::npos);
  EXPECT_EQ(body.find(Base64Encode(key)), std::string::npos);
  EXPECT_EQ(body.find(Base64UrlEncode(key)), std::string::npos);
}

bool OpensWith(const std::string& image, const Bytes& key, const fs::path& dir) {
  const fs::path key_file = dir / "try.key";
  {
    std::ofstream f(key_file, std::ios::binary);
    f.write(reinterpret_cast<const char*>(key.data()), static_cast<std::streamsize>(key.size()));
  }
  const std::string cmd = "cryptsetup open --test-passphrase --key-file - " + image + " < " +
                          key_file.string() + " >/dev/null 2>&1";
  const bool ok = std::system(cmd.c_str()) == 0;
  fs::remove(key_file);
  return ok;
}

TEST(ApiVolumeTest, KeyOnlyVolumeLifecycle) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  auto r = h.Call("POST", "/v1/volumes", R"({"name": "data"})", &acme);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["volume_id"];
  ASSERT_EQ(id.size(), 4u + 32u);
  EXPECT_EQ(id.rfind("vol-", 0), 0u);
  EXPECT_EQ(r.json["name"], "data");
  EXPECT_EQ(r.json["size_bytes"], 0);
  EXPECT_EQ(r.json["image_path"], "");
  EXPECT_EQ(r.json["kek_id"], h.kek().key_id());
  const Bytes key = StoredKey(h, TenantOf(h, acme), id);
  ASSERT_EQ(key.size(), 32u);
  ExpectNoKeyIn(r.body, key);

  auto got = h.Call("GET", "/v1/volumes/" + id, "", &acme);
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(got.json, r.json);
  ExpectNoKeyIn(got.body, key);
  auto list = h.Call("GET", "/v1/volumes", "", &acme);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json["volumes"].size(), 1u);
  EXPECT_EQ(list.json["volumes"][0], r.json);

  // Two volumes never share a key.
  auto second = h.Call("POST", "/v1/volumes", R"({"name": "data"})", &acme);
  ASSERT_EQ(second.status, 201);
  EXPECT_NE(StoredKey(h, TenantOf(h, acme), second.json["volume_id"]), key);

  EXPECT_EQ(h.Call("DELETE", "/v1/volumes/" + id, "", &acme).status, 204);
  EXPECT_EQ(h.Call("GET", "/v1/volumes/" + id, "", &acme).status, 404);
  EXPECT_EQ(h.Call("DELETE", "/v1/volumes/" + id, "", &acme).json["code"], "store.not_found");
  EXPECT_EQ(h.Call("GET", "/v1/volumes", "", &acme).json["volumes"].size(), 1u);
  EXPECT_EQ(AuditActions(h, acme),
            (std::vector<std::string>{"volume.create", "volume.create", "volume.delete"}));
}

TEST(ApiVolumeTest, LuksImageOpensWithTheKeyAndIsShreddedOnDelete) {
  if (std::system("command -v cryptsetup >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "cryptsetup not installed";
  }
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  const uint64_t size = keys::kMinLuksImageBytes;
  auto r = h.Call("POST", "/v1/volumes",
                  R"({"name": "root", "size_bytes": )" + std::to_string(size) + "}", &acme);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["volume_id"];
  const std::string image = r.json["image_path"];
  EXPECT_EQ(image, (fs::path(h.dir()) / "volumes" / (id + ".img")).string());
  EXPECT_EQ(r.json["size_bytes"], size);
  struct stat st {};
  ASSERT_EQ(stat(image.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), size);
  const Bytes key = StoredKey(h, TenantOf(h, acme), id);
  ExpectNoKeyIn(r.body, key);
  EXPECT_TRUE(OpensWith(image, key, h.dir()));
  Bytes other = key;
  other[31] ^= 1;
  EXPECT_FALSE(OpensWith(image, other, h.dir()));

  ASSERT_EQ(h.Call("DELETE", "/v1/volumes/" + id, "", &acme).status, 204);
  EXPECT_FALSE(fs::exists(image));
  // Crypto-shredding: the row keeps no wrapped key.
  auto db = h.pool().Acquire();
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*db)->GetVolume(TenantOf(h, acme), id).status().reason_id(), "store.not_found");
}

// A cryptsetup planted first on PATH is never run: the service resolves cryptsetup once to an
// absolute path from a fixed list (or attestd's cryptsetup_path) and runs it by that path.
TEST(ApiVolumeTest, ImagesAreNeverFormattedByACryptsetupOnPath) {
  Result<std::string> real = keys::ResolveCryptsetup("");
  if (!real.ok()) {
    GTEST_SKIP() << "cryptsetup not installed";
  }
  const fs::path fake_dir =
      fs::temp_directory_path() / ("attest-fake-bin-" + HexEncode(keys::RandomBytes(6)));
  fs::create_directories(fake_dir);
  const fs::path marker = fake_dir / "fake-ran";
  std::ofstream(fake_dir / "cryptsetup")
      << "#!/bin/sh\ncat > /dev/null; touch " << marker.string() << "; exit 0\n";
  ASSERT_EQ(chmod((fake_dir / "cryptsetup").c_str(), 0755), 0);
  const char* old = std::getenv("PATH");
  const std::string old_path = old != nullptr ? old : "";
  setenv("PATH", (fake_dir.string() + ":" + old_path).c_str(), 1);
  {
    ApiHarness h;  // made with the fake first on PATH
    EXPECT_EQ(h.api().service().config.luks.cryptsetup, *real);
    const sigv4::Credentials acme = h.CreateTenant("acme");
    auto r = h.Call(
        "POST", "/v1/volumes",
        R"({"name": "root", "size_bytes": )" + std::to_string(keys::kMinLuksImageBytes) + "}",
        &acme);
    EXPECT_EQ(r.status, 201) << r.body;
    EXPECT_FALSE(fs::exists(marker));
    const std::string image = r.json.value("image_path", "");
    EXPECT_EQ(std::system((*real + " isLuks --type luks2 " + image).c_str()), 0);
  }
  setenv("PATH", old_path.c_str(), 1);
  fs::remove_all(fake_dir);
}

TEST(ApiVolumeTest, OtherTenantsVolumesDoNotExist) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  const sigv4::Credentials evil = h.CreateTenant("evil");
  auto r = h.Call("POST", "/v1/volumes", R"({"name": "data"})", &acme);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["volume_id"];
  const std::string nobody = "vol-" + std::string(32, '0');
  for (const std::string method : {"GET", "DELETE"}) {
    SCOPED_TRACE(method);
    auto theirs = h.Call(method, "/v1/volumes/" + id, "", &evil);
    auto missing = h.Call(method, "/v1/volumes/" + nobody, "", &evil);
    EXPECT_EQ(theirs.status, 404);
    EXPECT_EQ(theirs.json["code"], "store.not_found");
    std::string want = missing.body;
    want.replace(want.find(nobody), nobody.size(), id);
    EXPECT_EQ(theirs.body, want);  // identical but for the id the caller sent
  }
  EXPECT_EQ(h.Call("GET", "/v1/volumes", "", &evil).json["volumes"].size(), 0u);
  EXPECT_EQ(h.Call("GET", "/v1/volumes/" + id, "", &acme).status, 200);  // still there
}

TEST(ApiVolumeTest, RefusesHostileBodiesWithoutWriting) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  struct Case {
    std::string name, body, want;
    int status = 400;
  };
  const std::vector<Case> cases = {
      {"not json", "{", "api.malformed_json"},
      {"array", "[]", "api.malformed_json"},
      {"no name", "{}", "api.invalid_field"},
      {"name not a string", R"({"name": 5})", "api.invalid_field"},
      {"bad name", R"({"name": "../etc"})", "api.invalid_field"},
      {"long name", R"({"name": ")" + std::string(129, 'a') + R"("})", "api.invalid_field"},
      {"unknown member", R"({"name": "a", "key": "AAAA"})", "api.unknown_field"},
      {"negative size", R"({"name": "a", "size_bytes": -1})", "api.invalid_field"},
      {"size as string", R"({"name": "a", "size_bytes": "1"})", "api.invalid_field"},
      {"fractional size", R"({"name": "a", "size_bytes": 33554432.5})", "api.invalid_field"},
      {"too small for LUKS2", R"({"name": "a", "size_bytes": 1048576})", "api.invalid_field"},
      {"over the limit", R"({"name": "a", "size_bytes": 70000000000000})", "api.invalid_field"},
      {"huge", R"({"name": "a", "size_bytes": 1e300})", "api.invalid_field"},
      {"duplicate member", R"({"name": "a", "name": "b"})", "api.malformed_json"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = h.Call("POST", "/v1/volumes", c.body, &acme);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.json["code"], c.want) << r.body;
  }
  EXPECT_EQ(h.Call("POST", "/v1/volumes", R"({"name": "a"})", &acme, "text/plain").json["code"],
            "api.unsupported_media_type");
  // Unsigned: no volume for anyone.
  EXPECT_EQ(h.Call("POST", "/v1/volumes", R"({"name": "a"})").status, 403);
  EXPECT_EQ(h.Call("GET", "/v1/volumes").status, 403);
  EXPECT_EQ(h.Call("GET", "/v1/volumes", "", &acme).json["volumes"].size(), 0u);
  EXPECT_TRUE(fs::is_empty(fs::path(h.dir()) / "volumes"));
  EXPECT_TRUE(AuditActions(h, acme).empty());

  // A service without volume_dir makes key-only volumes and refuses images.
  h.api().service().config.volume_dir.clear();
  auto r = h.Call("POST", "/v1/volumes", R"({"name": "a", "size_bytes": 33554432})", &acme);
  EXPECT_EQ(r.json["code"], "api.invalid_field") << r.body;
}

}  // namespace
}  // namespace attest::service::api
