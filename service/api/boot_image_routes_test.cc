// Boot image routes (issue 20) over a real SQLite store and real files: streamed uploads through
// Api::BeginStream, commits, reads, deletion, published images, and hostile uploads that must
// each answer a stable reason and leave no file and no row.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"

#include "service/api/testing/boot_images.h"
#include "service/api/testing/boot_upload.h"

namespace attest::service::api {
namespace {

namespace fs = std::filesystem;
using testing::ApiHarness;
using testing::BzImageHeader;
using testing::KernelOf;
using testing::PeHeader;
using testing::UploadOptions;
using testing::UploadPart;

constexpr char kKernelPath[] = "/v1/boot-images/deb/kernel";
constexpr char kInitrdPath[] = "/v1/boot-images/deb/initrd";

// Files lists what the volume directory holds (uploads in progress included).
std::vector<std::string> Files(ApiHarness& h) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(h.api().service().config.volume_dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

size_t StagedParts(ApiHarness& h, const sigv4::Credentials& who, const std::string& name) {
  auto db = h.pool().Acquire();
  const std::string tenant = (*db)->LookupCredential(who.access_key_id)->tenant_id;
  return (*db)->GetBootImageParts(tenant, name)->size();
}

class BootImageRoutesTest : public ::testing::Test {
 protected:
  BootImageRoutesTest() : a_(h_.CreateTenant("a")), b_(h_.CreateTenant("b")) {}

  ApiHarness h_;
  sigv4::Credentials a_;
  sigv4::Credentials b_;
  const Bytes kernel_ = KernelOf(BzImageHeader(), 300 * 1024 + 17);
  const Bytes initrd_ = KernelOf(Bytes{0x1f, 0x8b}, size_t{200} * 1024);
};

TEST_F(BootImageRoutesTest, UploadCommitReadListDelete) {
  auto k = UploadPart(h_, kKernelPath, kernel_, a_);
  ASSERT_EQ(k.status, 201) << k.body;
  EXPECT_EQ(k.json["sha256"], sigv4::HexSha256(kernel_));
  EXPECT_EQ(k.json["sha384"], HexEncode(Sha384(kernel_)));
  EXPECT_EQ(k.json["size_bytes"], kernel_.size());
  auto i = UploadPart(h_, kInitrdPath, initrd_, a_, {.piece_bytes = 777});
  ASSERT_EQ(i.status, 201) << i.body;
  // The stored files are exactly the bytes sent, owner-only.
  ASSERT_EQ(Files(h_).size(), 2u);
  for (const std::string& f : Files(h_)) {
    struct stat st {};
    ASSERT_EQ(stat((fs::path(h_.api().service().config.volume_dir) / f).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }

  auto c = h_.CallJson("PUT", "/v1/boot-images/deb",
                       {{"cmdline", "console=ttyS0 root=/dev/mapper/root"},
                        {"kernel_sha256", k.json["sha256"]},
                        {"initrd_sha256", i.json["sha256"]}},
                       &a_);
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_EQ(c.json["kernel"]["sha384"], k.json["sha384"]);
  EXPECT_EQ(c.json["initrd"]["size_bytes"], initrd_.size());
  EXPECT_EQ(c.json["published"], false);
  EXPECT_EQ(c.json.count("kernel_path"), 0u);  // where attestd keeps files is its own business
  auto got = h_.Call("GET", "/v1/boot-images/deb", "", &a_);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json, c.json);
  EXPECT_EQ(h_.Call("GET", "/v1/boot-images", "", &a_).json["boot_images"].size(), 1u);
  EXPECT_EQ(h_.Call("GET", "/v1/boot-images", "", &b_).json["boot_images"].size(), 0u);
  // Another tenant's image answers exactly as a missing one.
  auto foreign = h_.Call("GET", "/v1/boot-images/deb", "", &b_);
  auto missing = h_.Call("GET", "/v1/boot-images/nope", "", &b_);
  EXPECT_EQ(foreign.status, 404);
  EXPECT_EQ(foreign.json["code"], "store.not_found");
  EXPECT_EQ(foreign.json["message"].get<std::string>().find("deb") != std::string::npos,
            missing.json["message"].get<std::string>().find("nope") != std::string::npos);
  EXPECT_EQ(h_.Call("DELETE", "/v1/boot-images/deb", "", &b_).status, 404);
  // Committed images are immutable: another upload under the name is refused before its body.
  auto again = UploadPart(h_, kKernelPath, kernel_, a_);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.json["code"], "store.already_exists");

  EXPECT_EQ(h_.Call("DELETE", "/v1/boot-images/deb", "", &a_).status, 204);
  EXPECT_TRUE(Files(h_).empty());
  EXPECT_EQ(h_.Call("GET", "/v1/boot-images/deb", "", &a_).status, 404);
  EXPECT_EQ(h_.Call("DELETE", "/v1/boot-images/deb", "", &a_).status, 404);
}

TEST_F(BootImageRoutesTest, AReuploadReplacesTheStagedPartAndItsFile) {
  ASSERT_EQ(UploadPart(h_, kKernelPath, kernel_, a_).status, 201);
  const Bytes pe = KernelOf(PeHeader(), 5000);
  auto second = UploadPart(h_, kKernelPath, pe, a_);
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(Files(h_).size(), 1u);
  // The first kernel's digest no longer commits; the second's does.
  auto old = h_.CallJson("PUT", "/v1/boot-images/deb",
                         {{"kernel_sha256", sigv4::HexSha256(kernel_)}}, &a_);
  EXPECT_EQ(old.status, 422);
  EXPECT_EQ(old.json["code"], "boot.digest_mismatch");
  // A staged initrd the commit does not name is dropped with its file.
  ASSERT_EQ(UploadPart(h_, kInitrdPath, initrd_, a_).status, 201);
  auto c =
      h_.CallJson("PUT", "/v1/boot-images/deb", {{"kernel_sha256", second.json["sha256"]}}, &a_);
  ASSERT_EQ(c.status, 201) << c.body;
  EXPECT_TRUE(c.json["initrd"].is_null());
  EXPECT_EQ(c.json["cmdline"], "");
  EXPECT_EQ(Files(h_).size(), 1u);
  EXPECT_EQ(StagedParts(h_, a_, "deb"), 0u);
}

TEST_F(BootImageRoutesTest, HostileUploadsLeaveNoFileAndNoRow) {
  h_.api().service().config.max_boot_image_bytes = uint64_t{256} * 1024;
  const Bytes elf = KernelOf(Bytes{0x7f, 'E', 'L', 'F'}, 8192);
  const struct {
    std::string name;
    std::string path;
    Bytes body;
    UploadOptions options;
    int want_status;  // 0: cut off, no answer
    std::string want_code;
  } cases[] = {
      {"truncated mid-stream", kKernelPath, kernel_, {.cut_after = 100000}, 0, ""},
      {"wrong declared digest",
       kKernelPath,
       kernel_,
       {.declared_sha256 = sigv4::HexSha256(initrd_)},
       422,
       "sigv4.content_sha256_mismatch"},
      {"no declared digest",
       kKernelPath,
       kernel_,
       {.declare = false},
       400,
       "AuthorizationHeaderMalformed"},
      {"not a kernel", kKernelPath, elf, {}, 400, "boot.kernel_invalid"},
      {"initrd route is no kernel check, but octet-stream only",
       kInitrdPath,
       initrd_,
       {.content_type = "application/json"},
       400,
       "api.unsupported_media_type"},
      {"name with a space", "/v1/boot-images/a%20b/kernel", kernel_, {}, 404, "api.not_found"},
      {"dot-dot name", "/v1/boot-images/../kernel", kernel_, {}, 404, "api.not_found"},
      {"name too long",
       "/v1/boot-images/" + std::string(129, 'n') + "/kernel",
       kernel_,
       {},
       404,
       "api.not_found"},
      {"unknown part", "/v1/boot-images/deb/dtb", kernel_, {}, 404, "api.not_found"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = UploadPart(h_, c.path, c.body, a_, c.options);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    if (!c.want_code.empty()) {
      EXPECT_EQ(r.json["code"], c.want_code) << r.body;
    }
    EXPECT_TRUE(Files(h_).empty());
    EXPECT_EQ(StagedParts(h_, a_, "deb"), 0u);
  }
  // Oversized: the server refuses past this limit (413 api.body_too_large, before reading it;
  // service/server/stream_upload_test.cc); the route's limit is the configured one.
  HttpRequest head;
  head.method = "PUT";
  head.path = kKernelPath;
  EXPECT_EQ(h_.api().StreamLimit(head), 256u * 1024);
  head.path = "/v1/boot-images/deb";
  EXPECT_EQ(h_.api().StreamLimit(head), 0u);  // the JSON commit keeps the 4 MiB path
}

TEST_F(BootImageRoutesTest, CommitsRefuseBadCmdlinesDigestsAndForeignParts) {
  auto k = UploadPart(h_, kKernelPath, kernel_, a_);
  ASSERT_EQ(k.status, 201);
  const std::string sha = k.json["sha256"];
  const struct {
    std::string name;
    const sigv4::Credentials* who;
    nlohmann::json body;
    int want_status;
    std::string want_code;
  } cases[] = {
      {"cmdline with NUL",
       &a_,
       {{"kernel_sha256", sha}, {"cmdline", std::string("a\0b", 3)}},
       400,
       "boot.cmdline_invalid"},
      {"cmdline with a newline",
       &a_,
       {{"kernel_sha256", sha}, {"cmdline", "a\ninit=/bin/sh"}},
       400,
       "boot.cmdline_invalid"},
      {"cmdline over the limit",
       &a_,
       {{"kernel_sha256", sha}, {"cmdline", std::string(4097, 'x')}},
       400,
       "boot.cmdline_invalid"},
      {"cmdline not a string",
       &a_,
       {{"kernel_sha256", sha}, {"cmdline", 5}},
       400,
       "api.invalid_field"},
      {"kernel digest not hex", &a_, {{"kernel_sha256", "xyz"}}, 400, "api.invalid_field"},
      {"no kernel digest", &a_, {{"cmdline", "quiet"}}, 400, "api.invalid_field"},
      {"wrong kernel digest",
       &a_,
       {{"kernel_sha256", std::string(64, 'a')}},
       422,
       "boot.digest_mismatch"},
      {"initrd never uploaded",
       &a_,
       {{"kernel_sha256", sha}, {"initrd_sha256", sha}},
       404,
       "store.not_found"},
      {"unknown field",
       &a_,
       {{"kernel_sha256", sha}, {"kernel_path", "/etc/shadow"}},
       400,
       "api.unknown_field"},
      {"another tenant's upload", &b_, {{"kernel_sha256", sha}}, 404, "store.not_found"},
      {"unknown published image", &a_, {{"published", "nope"}}, 404, "boot.published_not_found"},
      {"published name escaping its directory",
       &a_,
       {{"published", ".."}},
       404,
       "boot.published_not_found"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = h_.CallJson("PUT", "/v1/boot-images/deb", c.body, c.who);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
    EXPECT_EQ(h_.Call("GET", "/v1/boot-images/deb", "", &a_).status, 404);
    EXPECT_EQ(StagedParts(h_, a_, "deb"), 1u);  // the upload waits for a good commit
    EXPECT_EQ(Files(h_).size(), 1u);
  }
  // Tenant b's own "deb" is its own: uploading it leaves a's untouched.
  ASSERT_EQ(UploadPart(h_, kKernelPath, KernelOf(PeHeader(), 4096), b_).status, 201);
  EXPECT_EQ(StagedParts(h_, a_, "deb"), 1u);
  EXPECT_EQ(Files(h_).size(), 2u);
  // Deleting a name with only staged parts discards them and their files.
  EXPECT_EQ(h_.Call("DELETE", "/v1/boot-images/deb", "", &a_).status, 204);
  EXPECT_EQ(StagedParts(h_, a_, "deb"), 0u);
  EXPECT_EQ(Files(h_).size(), 1u);
}

TEST_F(BootImageRoutesTest, StorageNotConfiguredRefusesUploads) {
  h_.api().service().config.volume_dir.clear();
  auto r = UploadPart(h_, kKernelPath, kernel_, a_);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json["code"], "boot.storage_not_configured");
}

// WriteFile writes bytes to path.
void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f << bytes;
}

TEST_F(BootImageRoutesTest, PublishedImagesAreHashedAndNeverRemoved) {
  const fs::path dir = h_.dir() / "published";
  const std::string kernel(kernel_.begin(), kernel_.end());
  const std::string initrd(initrd_.begin(), initrd_.end());
  fs::create_directories(dir / "deb12");
  WriteFile(dir / "deb12" / "kernel", kernel);
  WriteFile(dir / "deb12" / "initrd", initrd);
  WriteFile(dir / "deb12" / "cmdline", "console=ttyS0\n");
  WriteFile(dir / "deb12" / "SHA256SUMS",
            sigv4::HexSha256(kernel_) + "  kernel\n" + sigv4::HexSha256(initrd_) + "  initrd\n");
  fs::create_directories(dir / "tampered");
  WriteFile(dir / "tampered" / "kernel", kernel + "x");
  WriteFile(dir / "tampered" / "SHA256SUMS", sigv4::HexSha256(kernel_) + "  kernel\n");
  h_.api().service().config.published_boot_image_dir = dir.string();

  auto r = h_.CallJson("PUT", "/v1/boot-images/base", {{"published", "deb12"}}, &a_);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["published"], true);
  EXPECT_EQ(r.json["cmdline"], "console=ttyS0");
  EXPECT_EQ(r.json["kernel"]["sha384"], HexEncode(Sha384(kernel_)));
  EXPECT_EQ(r.json["initrd"]["sha256"], sigv4::HexSha256(initrd_));
  // The tenant's cmdline wins over the operator's default.
  auto own = h_.CallJson("PUT", "/v1/boot-images/quiet",
                         {{"published", "deb12"}, {"cmdline", "quiet"}}, &b_);
  ASSERT_EQ(own.status, 201) << own.body;
  EXPECT_EQ(own.json["cmdline"], "quiet");
  auto bad = h_.CallJson("PUT", "/v1/boot-images/t", {{"published", "tampered"}}, &a_);
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(bad.json["code"], "boot.digest_mismatch");
  EXPECT_EQ(h_.Call("GET", "/v1/boot-images/t", "", &a_).status, 404);

  EXPECT_EQ(h_.Call("DELETE", "/v1/boot-images/base", "", &a_).status, 204);
  EXPECT_TRUE(fs::exists(dir / "deb12" / "kernel"));
  EXPECT_TRUE(fs::exists(dir / "deb12" / "initrd"));
}

}  // namespace
}  // namespace attest::service::api
