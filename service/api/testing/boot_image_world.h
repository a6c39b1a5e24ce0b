// BootImageWorld: the launch world (launch_world.h) with the operator's measurement firmware and
// boot images of the shared measurement vectors, for the tests of VMs created from a boot image.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "service/api/testing/launch_world.h"
#include "service/api/testing/measure_vectors.h"

namespace attest::service::api::testing {

// BootImageWorld adds to LaunchWorld the AMD and TDX measurement firmware and three boot
// images: acme's "debian" (SNP vector kernel, initrd, cmdline) and "tdx-kernel", globex's "theirs".
class BootImageWorld : public LaunchWorld {
 public:
  BootImageWorld() {
    ServiceContext& service = w_.h.api().service();
    service.measurement_firmware.amd =
        ReadVectorFile(kSnpVectors + "fixtures/ovmf_AmdSev_suffix.bin");
    service.measurement_firmware.tdx = ReadVectorFile(kTdxVectors + "inputs/debian12_OVMF.fd");
    other_ = w_.h.CreateTenant("globex");
    AddImage(w_.acme_tenant, "debian", kSnpVectors + "inputs/kernel.bin",
             kSnpVectors + "inputs/initrd.bin", "console=ttyS0 root=/dev/vda1");
    AddImage(w_.acme_tenant, "tdx-kernel", kTdxVectors + "inputs/synthetic_bzimage.efi", "", "");
    AddImage(w_.TenantOf(other_), "theirs", kSnpVectors + "inputs/kernel.bin", "", "");
  }

  // AddImage stores a committed (operator-published) boot image of the files for tenant.
  void AddImage(const std::string& tenant, const std::string& name, const std::string& kernel,
                const std::string& initrd, const std::string& cmdline) {
    store::BootImage image;
    image.id = "bi-" + name;
    image.name = name;
    image.kernel_path = std::filesystem::absolute(kernel).lexically_normal();
    const Bytes k = *ReadVectorFile(kernel);
    image.kernel_sha256 = HexEncode(Sha256(k));
    image.kernel_sha384 = HexEncode(Sha384(k));
    image.kernel_size = k.size();
    if (!initrd.empty()) {
      const Bytes i = *ReadVectorFile(initrd);
      image.initrd_path = std::filesystem::absolute(initrd).lexically_normal();
      image.initrd_sha256 = HexEncode(Sha256(i));
      image.initrd_sha384 = HexEncode(Sha384(i));
      image.initrd_size = i.size();
    }
    image.cmdline = cmdline;
    image.published = true;
    auto db = w_.h.pool().Acquire();
    std::vector<std::string> discarded;
    auto stored = (*db)->CreateBootImage(tenant, image, w_.h.now(), &discarded);
    EXPECT_TRUE(stored.ok()) << stored.status().ToString();
  }

  ApiHarness::Reply Create(const std::string& tee, const nlohmann::json& launch,
                           const std::string& boot_image) {
    nlohmann::json body = {{"tee", tee}, {"policy", tee + "-prod"}, {"volume_ids", {image_}}};
    if (!launch.is_null()) {
      body["launch"] = launch;
    }
    if (!boot_image.empty()) {
      body["boot_image"] = boot_image;
    }
    return w_.h.CallJson("POST", "/v1/vms", body, &w_.acme);
  }

  static nlohmann::json SnpLaunch() {
    nlohmann::json l = Standard();
    l["vcpu_type"] = "EPYC-v4";
    return l;
  }

  size_t LiveVms() { return w_.h.Call("GET", "/v1/vms", "", &w_.acme).json["vms"].size(); }

  sigv4::Credentials other_;
};

}  // namespace attest::service::api::testing
