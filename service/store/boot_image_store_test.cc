// BootImageStore: staged parts, commit, per-tenant visibility, deletion.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

BootImagePart Part(const std::string& name, const std::string& part, const std::string& path,
                   char fill = 'a') {
  BootImagePart p;
  p.name = name;
  p.part = part;
  p.path = path;
  p.sha256 = std::string(64, fill);
  p.sha384 = std::string(96, fill);
  p.size = 4096;
  return p;
}

BootImage FromParts(const std::string& id, const BootImagePart& kernel,
                    const BootImagePart* initrd) {
  BootImage b;
  b.id = id;
  b.name = kernel.name;
  b.kernel_path = kernel.path;
  b.kernel_sha256 = kernel.sha256;
  b.kernel_sha384 = kernel.sha384;
  b.kernel_size = kernel.size;
  if (initrd != nullptr) {
    b.initrd_path = initrd->path;
    b.initrd_sha256 = initrd->sha256;
    b.initrd_sha384 = initrd->sha384;
    b.initrd_size = initrd->size;
  }
  b.cmdline = "console=ttyS0";
  return b;
}

TEST_P(StoreTest, BootImagesCommitStagedPartsAndStayTheTenants) {
  const BootImagePart kernel = Part("deb", "kernel", "/v/a/k1");
  const BootImagePart initrd = Part("deb", "initrd", "/v/a/i1", 'b');
  ASSERT_EQ(*store_->StageBootImagePart(a_, Part("deb", "kernel", "/v/a/k0", 'c'), T0()), "");
  // A second upload of the same part replaces the first and hands its file back.
  ASSERT_EQ(*store_->StageBootImagePart(a_, kernel, T0()), "/v/a/k0");
  ASSERT_EQ(*store_->StageBootImagePart(a_, initrd, T0()), "");
  auto parts = store_->GetBootImageParts(a_, "deb");
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].part, "initrd");
  EXPECT_EQ((*parts)[1].sha384, kernel.sha384);
  EXPECT_TRUE(store_->GetBootImageParts(b_, "deb")->empty());

  std::vector<std::string> discarded;
  auto made = store_->CreateBootImage(a_, FromParts("bi-1", kernel, &initrd), T0(), &discarded);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_TRUE(discarded.empty());
  EXPECT_TRUE(store_->GetBootImageParts(a_, "deb")->empty());
  auto got = store_->GetBootImage(a_, "deb");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->id, "bi-1");
  EXPECT_EQ(got->tenant_id, a_);
  EXPECT_EQ(got->initrd_sha384, initrd.sha384);
  EXPECT_EQ(got->kernel_size, 4096u);
  EXPECT_EQ(got->cmdline, "console=ttyS0");
  EXPECT_FALSE(got->published);
  EXPECT_EQ(got->created_at, T0());
  // Another tenant's image answers exactly as a missing one.
  const Status foreign = store_->GetBootImage(b_, "deb").status();
  const Status missing = store_->GetBootImage(b_, "nope").status();
  EXPECT_EQ(foreign.reason_id(), "store.not_found");
  EXPECT_EQ(missing.reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteBootImage(b_, "deb").status().reason_id(), "store.not_found");
  EXPECT_TRUE(store_->ListBootImages(b_)->empty());
  EXPECT_EQ(store_->ListBootImages(a_)->size(), 1u);
  // Committed images are immutable.
  EXPECT_EQ(store_->StageBootImagePart(a_, kernel, T0()).status().reason_id(),
            "store.already_exists");

  auto paths = store_->DeleteBootImage(a_, "deb");
  ASSERT_TRUE(paths.ok());
  EXPECT_EQ(*paths, (std::vector<std::string>{"/v/a/k1", "/v/a/i1"}));
  EXPECT_EQ(store_->GetBootImage(a_, "deb").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteBootImage(a_, "deb").status().reason_id(), "store.not_found");
  // The name is free again.
  EXPECT_TRUE(store_->StageBootImagePart(a_, kernel, T0()).ok());
}

TEST_P(StoreTest, BootImageCommitRefusesWhatWasNotUploaded) {
  const BootImagePart kernel = Part("k", "kernel", "/v/a/k");
  ASSERT_TRUE(store_->StageBootImagePart(a_, kernel, T0()).ok());
  ASSERT_TRUE(store_->StageBootImagePart(a_, Part("k", "initrd", "/v/a/i"), T0()).ok());
  BootImagePart other_digest = kernel;
  other_digest.sha256 = std::string(64, 'f');
  BootImagePart other_path = kernel;
  other_path.path = "/v/a/elsewhere";
  const BootImagePart never = Part("k", "initrd", "/v/a/never");
  BootImage no_id = FromParts("", kernel, nullptr);
  BootImage no_kernel = FromParts("bi-x", kernel, nullptr);
  no_kernel.kernel_path.clear();
  BootImage half_initrd = FromParts("bi-y", kernel, nullptr);
  half_initrd.initrd_path = "/v/a/i";
  const struct {
    std::string name;
    BootImage image;
    std::string want;
  } bad[] = {
      {"kernel digest differs", FromParts("bi-1", other_digest, nullptr), "store.not_found"},
      {"kernel path differs", FromParts("bi-1", other_path, nullptr), "store.not_found"},
      {"initrd never uploaded", FromParts("bi-1", kernel, &never), "store.not_found"},
      {"no id", no_id, "store.invalid_argument"},
      {"no kernel", no_kernel, "store.invalid_argument"},
      {"initrd path without digest", half_initrd, "store.invalid_argument"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->CreateBootImage(a_, c.image, T0(), nullptr).status().reason_id(), c.want);
    // Nothing committed, nothing consumed.
    EXPECT_EQ(store_->GetBootImage(a_, "k").status().reason_id(), "store.not_found");
    EXPECT_EQ(store_->GetBootImageParts(a_, "k")->size(), 2u);
  }
  const struct {
    std::string name;
    BootImagePart part;
  } bad_parts[] = {{"unknown part", Part("k", "dtb", "/v/a/d")},
                   {"no path", Part("k", "kernel", "")},
                   {"no name", Part("", "kernel", "/v/a/k")}};
  for (const auto& c : bad_parts) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->StageBootImagePart(a_, c.part, T0()).status().reason_id(),
              "store.invalid_argument");
  }
  // Committing the kernel alone drops the staged initrd and hands its file back.
  std::vector<std::string> discarded;
  ASSERT_TRUE(
      store_->CreateBootImage(a_, FromParts("bi-1", kernel, nullptr), T0(), &discarded).ok());
  EXPECT_EQ(discarded, std::vector<std::string>{"/v/a/i"});
  EXPECT_EQ(store_->CreateBootImage(a_, FromParts("bi-2", kernel, nullptr), T0(), nullptr)
                .status()
                .reason_id(),
            "store.already_exists");
}

TEST_P(StoreTest, PublishedBootImagesNeverHandBackOperatorFiles) {
  BootImage image = FromParts("bi-p", Part("pub", "kernel", "/srv/published/deb/vmlinuz"), nullptr);
  image.published = true;
  ASSERT_TRUE(store_->CreateBootImage(b_, image, T0() + seconds(1), nullptr).ok());
  EXPECT_TRUE(store_->GetBootImage(b_, "pub")->published);
  // A staged part of the same name under another tenant is that tenant's own business.
  ASSERT_TRUE(store_->StageBootImagePart(a_, Part("pub", "kernel", "/v/a/k"), T0()).ok());
  auto paths = store_->DeleteBootImage(b_, "pub");
  ASSERT_TRUE(paths.ok());
  EXPECT_TRUE(paths->empty());
  EXPECT_EQ(store_->GetBootImageParts(a_, "pub")->size(), 1u);
  // Deleting a name that has only staged parts discards them.
  EXPECT_EQ(*store_->DeleteBootImage(a_, "pub"), std::vector<std::string>{"/v/a/k"});
}

TEST_P(StoreTest, BootImagesBootedByLiveVmsAreNotDeleted) {
  const BootImagePart kernel = Part("deb", "kernel", "/v/a/k");
  ASSERT_TRUE(store_->StageBootImagePart(a_, kernel, T0()).ok());
  ASSERT_TRUE(store_->CreateBootImage(a_, FromParts("bi-1", kernel, nullptr), T0(), nullptr).ok());
  Vm vm = MakeVm("vm-1", {});
  vm.boot_image = "deb";
  ASSERT_TRUE(store_->CreateVm(a_, vm, T0()).ok());
  // b has no image of that name: b's VM cannot boot it, and b cannot delete a's.
  Vm other = MakeVm("vm-2", {});
  other.boot_image = "deb";
  EXPECT_EQ(store_->CreateVm(b_, other, T0()).status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteBootImage(b_, "deb").status().reason_id(), "store.not_found");

  EXPECT_EQ(store_->DeleteBootImage(a_, "deb").status().reason_id(), "store.in_use");
  EXPECT_TRUE(store_->GetBootImage(a_, "deb").ok());
  ASSERT_TRUE(store_->DeleteVm(a_, "vm-1", T0() + seconds(1)).ok());
  auto paths = store_->DeleteBootImage(a_, "deb");
  ASSERT_TRUE(paths.ok()) << paths.status().ToString();
  EXPECT_EQ(*paths, std::vector<std::string>{"/v/a/k"});
}

// A VM created while its image is deleted, on two connections: either the VM exists and the image
// stayed, or the image is gone and the VM was refused; never a live VM whose image is gone.
TEST_P(StoreTest, BootImageDeletionRacingVmCreationNeverOrphansAVm) {
  if (GetParam() != Dialect::kPostgres) {
    GTEST_SKIP() << "one SQLite connection per test: the race needs two connections";
  }
  auto second = Open(Sealer());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  int created = 0, deleted = 0;
  for (int i = 0; i < 50; ++i) {
    SCOPED_TRACE(i);
    const std::string name = "img-" + std::to_string(i);
    const BootImagePart kernel = Part(name, "kernel", "/v/a/k" + std::to_string(i));
    ASSERT_TRUE(store_->StageBootImagePart(a_, kernel, T0()).ok());
    ASSERT_TRUE(
        store_->CreateBootImage(a_, FromParts("bi-" + name, kernel, nullptr), T0(), nullptr).ok());
    Vm vm = MakeVm("vm-" + name, {});
    vm.boot_image = name;
    Result<Vm> made = Vm{};
    std::thread creator([&] { made = (*second)->CreateVm(a_, vm, T0()); });
    const auto gone = store_->DeleteBootImage(a_, name);
    creator.join();
    ASSERT_TRUE(made.ok() || made.status().reason_id() == "store.not_found")
        << made.status().ToString();
    ASSERT_TRUE(gone.ok() || gone.status().reason_id() == "store.in_use")
        << gone.status().ToString();
    EXPECT_NE(made.ok(), gone.ok());  // exactly one of them won
    EXPECT_EQ(store_->GetBootImage(a_, name).ok(), made.ok());
    created += made.ok() ? 1 : 0;
    deleted += gone.ok() ? 1 : 0;
  }
  RecordProperty("created", created);
  RecordProperty("deleted", deleted);
}

}  // namespace
}  // namespace attest::service::store
