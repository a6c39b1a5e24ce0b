// A real boot, end to end (issue 20): a TCG guest (no TEE on these machines) defined on the real
// libvirtd (qemu:///system), direct-booting Debian's cloud kernel with an initramfs that holds
// attest-agent, cryptsetup and the initramfs hook's unlock script (agent/initramfs). Inside it
// the agent asks the software TEE (tests/testing/software_tee.h, the `software-tee` program in
// the initramfs) for its evidence, reaches the real attestd on the host's loopback through QEMU's
// user-mode network (10.0.2.2), gets the key of the tenant's LUKS volume (attached as a virtio
// disk) and opens it. What happens inside is read from the guest's serial console.
//
// The domain is rendered by the launcher (launcher::BuildDomainXml: direct boot, user_network)
// and defined and started through its libvirt hypervisor, as attestd's launch does.
//
// Boots: the tenant's first boot puts a known file into the volume (the host has no
// device-mapper here, so the file goes in through the API's own path: a released key); the next
// boot prints that file; a boot whose firmware reports another MEASUREMENT than the policy pins,
// and a boot after the host turned untrusted, are refused and leave the volume closed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <openssl/rand.h>
#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/eventlog.h"
#include "launcher/domain_xml.h"
#include "launcher/libvirt_hypervisor.h"
#include "tests/integration/e2e_support.h"

namespace attest {
namespace {

namespace fs = std::filesystem;
using e2e::B;
using e2e::HttpStatus;
using e2e::JsonBody;
using e2e::Output;
using e2e::Quoted;
using e2e::Sh;

constexpr uint64_t kImageBytes = 32ull << 20;  // keys::kMinLuksImageBytes
// A TCG boot takes ~10-25 s on a busy 2-core machine; a guest still running after this is stuck.
constexpr auto kBootLimit = std::chrono::seconds(150);

std::string RandomHex(size_t n) {
  Bytes b(n);
  EXPECT_EQ(RAND_bytes(b.data(), static_cast<int>(n)), 1);
  return HexEncode(b);
}

// Boot is one guest start: what its evidence command adds and what its command line carries.
struct Boot {
  std::string label;
  std::string tee_flags;  // e.g. --measurement HEX: the "firmware" of this launch
  std::string provision;  // attest_test.provision=TOKEN when not empty
  // Debian's initramfs-tools initrd (build_initramfs_tools_initrd.sh) instead of the test's own:
  // the volume is the root file system, opened by the hook's local-top script.
  bool initramfs_tools = false;
};

// InitramfsToolsDir: where build_initramfs_tools_initrd.sh wrote its initrd ("" = not asked).
std::string InitramfsToolsDir() {
  const char* dir = getenv("ATTEST_INITRAMFS_TOOLS_DIR");
  return dir != nullptr ? dir : "";
}

// The kernel and base initrd of a boot.
std::string KernelOf(const Boot& boot) {
  return boot.initramfs_tools ? InitramfsToolsDir() + "/initramfs-tools-vmlinuz"
                              : std::string(GUEST_DIR) + "/vmlinuz";
}
std::string InitrdOf(const Boot& boot) {
  return boot.initramfs_tools ? InitramfsToolsDir() + "/initramfs-tools.img"
                              : std::string(GUEST_DIR) + "/initrd.img";
}

class RealBoot : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* uri = getenv("ATTEST_LIBVIRT_URI");
    if (getuid() != 0 || uri == nullptr || *uri == '\0') {
      if (e2e::StrictCi()) {
        FAIL() << "needs root and a libvirtd (ATTEST_LIBVIRT_URI: scripts/services.sh)";
      }
      GTEST_SKIP() << "needs root and a libvirtd (ATTEST_LIBVIRT_URI: scripts/services.sh)";
    }
    uri_ = uri;
    char tmpl[] = "/tmp/attest-real-boot-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // QEMU runs as libvirt-qemu: it must reach the kernel, initrd and console log in here.
    ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
    Output built = Sh("bash tests/vm/build_guest_initramfs.sh " + Quoted(GUEST_DIR) + " " +
                      AGENT_BIN + " " + SOFTWARE_TEE_BIN);
    ASSERT_EQ(built.rc, 0) << built.text;
    attestd_ = std::make_unique<e2e::Attestd>(ATTESTD_BIN, dir_);
    host_ = std::make_unique<e2e::MeasuredHost>(dir_);
    ASSERT_EQ(Sh(Tee("init")).rc, 0);
    ASSERT_EQ(e2e::ShOut(Tee("roots") + " > " + dir_ + "/snp-test-roots.pem").rc, 0);
    ASSERT_EQ(e2e::ShOut(Tee("platform") + " > " + dir_ + "/platform.json").rc, 0);
    ASSERT_NO_FATAL_FAILURE(host_->Start());
    ASSERT_NO_FATAL_FAILURE(host_->Boot(loader_));
  }

  void TearDown() override {
    if (!domain_.empty()) {  // a boot that failed half-way
      Sh("virsh -q -c " + uri_ + " destroy " + domain_ + " >/dev/null 2>&1; virsh -q -c " + uri_ +
         " undefine " + domain_ + " >/dev/null 2>&1");
    }
    attestd_.reset();
    host_.reset();
    if (!dir_.empty() && !HasFailure()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  std::string Tee(const std::string& verb) const {
    return std::string(SOFTWARE_TEE_BIN) + " " + verb + " --state " + dir_ + "/tee.state";
  }

  // StartAttestd: SQLite, the swtpm's EK CA, the software TEE's roots, and a TLS certificate
  // that also names 10.0.2.2, the address under which the guest reaches the host's loopback.
  void StartAttestd() {
    ASSERT_NO_FATAL_FAILURE(attestd_->Init());
    nlohmann::json& c = attestd_->config();
    c["ek_ca_bundle"] = host_->swtpm().CaDir();
    const std::string roots = dir_ + "/test-roots.json";
    std::ofstream(roots) << nlohmann::json{{"snp_root_chains", {dir_ + "/snp-test-roots.pem"}}};
    c["test_roots"] = roots;
    const std::string cert = c["tls_cert"].get<std::string>();
    const std::string key = c["tls_key"].get<std::string>();
    Output tls =
        Sh("umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
           "-nodes -days 1 -subj /CN=attestd -addext "
           "subjectAltName=IP:127.0.0.1,IP:10.0.2.2 -keyout " +
           Quoted(key) + " -out " + Quoted(cert) + " 2>&1");
    ASSERT_EQ(tls.rc, 0) << tls.text;
    ca_cert_ = cert;
    ASSERT_NO_FATAL_FAILURE(attestd_->Start());
  }

  Output Curl(const std::string& user, const std::string& method, const std::string& path,
              const nlohmann::json& body = nullptr) {
    return attestd_->Curl(user, method, path, body.is_null() ? "" : body.dump());
  }

  // TrustHost enrolls the swtpm host under a policy that knows its boot loader and quotes once.
  void TrustHost() {
    const std::string op = attestd_->OperatorUser();
    Output out = Curl(op, "PUT", "/v1/host-policies/e2e",
                      {{"name", "e2e"},
                       {"any_firmware", true},
                       {"boot_application_digests", {e2e::Sha256Hex(loader_)}}});
    ASSERT_EQ(HttpStatus(out), "201") << out.text;
    out = host_->Agent(AGENT_BIN, *attestd_, "enroll",
                       "--token " +
                           attestd_->EnrollmentToken({{"host_policy", "e2e"}, {"tees", {"snp"}}}) +
                           " --platform-file " + dir_ + "/platform.json");
    ASSERT_EQ(out.rc, 0) << out.text;
    ASSERT_EQ(HostQuote().rc, 0);
  }
  Output HostQuote() {
    return host_->Agent(AGENT_BIN, *attestd_, "run",
                        "--once --eventlog " + host_->EventLogPath() + " --platform-file " + dir_ +
                            "/platform.json");
  }

  // MakeTenant: a tenant whose policy pins measurement, a volume with its LUKS image, a VM.
  void MakeTenant(const std::string& measurement) {
    Output out = Curl(attestd_->OperatorUser(), "POST", "/v1/tenants", {{"name", "acme"}});
    ASSERT_EQ(HttpStatus(out), "201") << out.text;
    auto j = JsonBody(out);
    tenant_ =
        j["access_key_id"].get<std::string>() + ":" + j["secret_access_key"].get<std::string>();
    out = Curl(tenant_, "PUT", "/v1/policies/guest",
               {{"name", "guest"},
                {"snp",
                 {{"measurements", {measurement}},
                  {"host_data_launch_ticket", true},
                  {"allow_debug", false}}},
                {"host", {{"host_policy", "e2e"}, {"max_quote_age_seconds", 3600}}}});
    ASSERT_EQ(HttpStatus(out), "201") << out.text;
    out = Curl(tenant_, "POST", "/v1/volumes", {{"name", "root"}, {"size_bytes", kImageBytes}});
    ASSERT_EQ(HttpStatus(out), "201") << out.text;
    j = JsonBody(out);
    volume_ = j["volume_id"].get<std::string>();
    image_ = j["image_path"].get<std::string>();
    out = Curl(tenant_, "POST", "/v1/vms",
               {{"tee", "snp"}, {"policy", "guest"}, {"volume_ids", {volume_}}});
    ASSERT_EQ(HttpStatus(out), "201") << out.text;
    j = JsonBody(out);
    vm_ = j["vm_id"].get<std::string>();
    host_data_b64_ = j["host_data"].get<std::string>();
  }

  // GuestInitrd is the shared initramfs with this boot's /etc/attest appended as a second cpio
  // archive: attestd's CA certificate, the evidence command and the software TEE's state.
  std::string GuestInitrd(const Boot& boot) {
    const std::string etc = dir_ + "/etc-" + boot.label;
    fs::create_directories(etc + "/etc/attest");
    fs::copy_file(ca_cert_, etc + "/etc/attest/ca.pem");
    fs::copy_file(dir_ + "/tee.state", etc + "/etc/attest/tee.state");
    std::ofstream(etc + "/etc/attest/evidence-command")
        << (boot.initramfs_tools ? "/usr/local/sbin" : "/sbin")
        << "/software-tee snp --state /etc/attest/tee.state --host-data-b64 " << host_data_b64_
        << (boot.tee_flags.empty() ? "" : " " + boot.tee_flags) << "\n";
    std::string initrd = dir_ + "/initrd-" + boot.label + ".img";
    Output out = Sh("cp " + InitrdOf(boot) + " " + initrd + " && cd " + etc +
                    " && find etc | cpio -o -H newc --quiet -R 0:0 >> " + initrd);
    EXPECT_EQ(out.rc, 0) << out.text;
    return initrd;
  }

  // Spec is what the launcher renders (launcher/domain_xml.h): a TCG guest without a TEE,
  // direct boot, the volume's image as vda, the user-mode NIC (B's `user_network`), the serial
  // console into a file, DAC labels (no SELinux or AppArmor here). No firmware: SeaBIOS boots
  // the kernel in a fraction of OVMF's time under TCG, and nothing here measures the firmware
  // (the software TEE stands in for it).
  launcher::LaunchSpec Spec(const Boot& boot, const std::string& initrd,
                            const std::string& console) {
    const std::string hex = RandomHex(16);
    launcher::LaunchSpec spec;
    spec.uuid = hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
                hex.substr(16, 4) + "-" + hex.substr(20);
    spec.name = "attest-real-boot-" + hex.substr(0, 8);
    spec.tenant = "acme";
    spec.tee = launcher::TeeType::kNone;
    spec.domain_type = "qemu";
    spec.memory_mib = 512;
    spec.vcpus = 1;
    spec.seclabel = {launcher::SecLabelModel::kDac, launcher::SecLabelType::kDynamic, ""};
    std::string cmdline = "console=ttyS0 quiet attest.endpoint=https://10.0.2.2:" +
                          attestd_->Url().substr(attestd_->Url().rfind(':') + 1) +
                          " attest.vm=" + vm_ + " attest.volume=" + volume_ +
                          " attest.device=/dev/vda";
    if (!boot.provision.empty()) {
      cmdline += " attest_test.provision=" + boot.provision;
    }
    if (boot.initramfs_tools) {
      cmdline += " root=/dev/mapper/attest_root ro ip=dhcp panic=0";
    }
    spec.direct_boot = launcher::DirectKernelBoot{KernelOf(boot), initrd, cmdline};
    spec.disks.push_back({image_, "acme", "vda", "raw", false});
    spec.user_network = true;
    spec.serial_log = console;
    return spec;
  }

  // RunGuest defines and starts the boot through the launcher's libvirt hypervisor, waits until
  // the guest powered itself off (on_poweroff: destroy), and returns its console.
  std::string RunGuest(const Boot& boot) {
    auto hv = launcher::LibvirtHypervisor::Open(uri_);
    EXPECT_TRUE(hv.ok()) << hv.status().ToString();
    if (!hv.ok()) {
      return "";
    }
    const std::string console = dir_ + "/console-" + boot.label + ".log";
    const launcher::LaunchSpec spec = Spec(boot, GuestInitrd(boot), console);
    auto version = (*hv)->LibVersion();
    EXPECT_TRUE(version.ok());
    auto xml = launcher::BuildDomainXml(spec, version.ok() ? *version : 0);
    EXPECT_TRUE(xml.ok()) << xml.status().ToString();
    if (!xml.ok()) {
      return "";
    }
    const auto start = std::chrono::steady_clock::now();
    Status defined = (*hv)->DefineDomain(*xml);
    EXPECT_TRUE(defined.ok()) << defined.ToString();
    domain_ = spec.name;
    Status started = (*hv)->StartDomain(spec.name, /*paused=*/false);
    EXPECT_TRUE(started.ok()) << started.ToString();
    bool running = started.ok();
    while (running && std::chrono::steady_clock::now() - start < kBootLimit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      auto state = (*hv)->GetDomainState(spec.name);
      running = state.ok() && *state == launcher::DomainState::kRunning;
    }
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start)
            .count();
    EXPECT_FALSE(running) << boot.label << ": still running after " << kBootLimit.count() << " s";
    (void)(*hv)->DestroyDomain(spec.name);
    EXPECT_TRUE((*hv)->UndefineDomain(spec.name).ok());
    domain_.clear();
    std::cout << "[ boot     ] " << boot.label << ": " << seconds << " s\n";
    auto text = ReadFileBytes(console, 1 << 20);
    return text.ok() ? std::string(text->begin(), text->end()) : "";
  }

  std::string uri_, dir_, domain_, ca_cert_;
  const Bytes loader_ = B("bootloader image v1");
  std::unique_ptr<e2e::Attestd> attestd_;
  std::unique_ptr<e2e::MeasuredHost> host_;
  std::string tenant_, volume_, image_, vm_, host_data_b64_;
};

bool Has(const std::string& console, const std::string& line) {
  return console.find(line) != std::string::npos;
}

TEST_F(RealBoot, GuestOpensItsVolumeOnlyWhenReleased) {
  ASSERT_NO_FATAL_FAILURE(StartAttestd());
  ASSERT_NO_FATAL_FAILURE(TrustHost());
  Output measurement = e2e::ShOut(Tee("measurement"));
  ASSERT_EQ(measurement.rc, 0);
  const std::string pinned = measurement.text.substr(0, 96);
  ASSERT_NO_FATAL_FAILURE(MakeTenant(pinned));
  // QEMU (libvirt-qemu) must reach the image that attestd made 0600 in its 0700 volume
  // directory; libvirt hands the file itself to QEMU's user for the time the guest runs.
  for (fs::path p = fs::path(image_).parent_path(); p != fs::path(dir_) && p != p.root_path();
       p = p.parent_path()) {
    ASSERT_EQ(chmod(p.c_str(), 0711), 0) << p;
  }

  const std::string token = RandomHex(16);
  std::string console = RunGuest({"provision", "", token});
  ASSERT_TRUE(Has(console, "ATTEST-PROVISIONED")) << console << attestd_->Log();

  console = RunGuest({"read", "", ""});
  EXPECT_TRUE(Has(console, "ATTEST-FILE: " + token)) << console;
  EXPECT_TRUE(Has(console, "/dev/vda opened as /dev/mapper/attest_root")) << console;

  // Debian's own mkinitramfs with the hook: the volume becomes the root file system.
  if (!InitramfsToolsDir().empty()) {
    console = RunGuest({"initramfs-tools", "", "", true});
    EXPECT_TRUE(Has(console, "ATTEST-FILE: " + token)) << console;
    EXPECT_TRUE(Has(console, "/dev/vda opened as /dev/mapper/attest_root")) << console;
  }

  // The "firmware" reports the measurement of another launch than the one the policy pins.
  std::string other(96, '0');
  other[0] = pinned[0] == '0' ? '1' : '0';
  console = RunGuest({"wrong-measurement", "--measurement " + other, ""});
  EXPECT_TRUE(Has(console, "ATTEST-REFUSED")) << console;
  EXPECT_TRUE(Has(console, "ATTEST-VOLUME-CLOSED")) << console;
  EXPECT_TRUE(Has(console, "release.denied")) << console;
  EXPECT_FALSE(Has(console, "ATTEST-FILE")) << console;
  EXPECT_FALSE(Has(console, token)) << console;

  // The host boots an unapproved loader and quotes: untrusted from then on.
  ASSERT_NO_FATAL_FAILURE(host_->Measure(
      {{4, tpm::kEvEfiBootServicesApplication, B("\\EFI\\evil.efi"), B("unapproved loader")}}));
  EXPECT_EQ(HostQuote().rc, 1);
  console = RunGuest({"untrusted-host", "", ""});
  EXPECT_TRUE(Has(console, "ATTEST-REFUSED")) << console;
  EXPECT_TRUE(Has(console, "ATTEST-VOLUME-CLOSED")) << console;
  EXPECT_TRUE(Has(console, "release.host_untrusted")) << console;
  EXPECT_FALSE(Has(console, token)) << console;

  // Each refusal is in the tenant's audit log with the failed check.
  Output audit = Curl(tenant_, "GET", "/v1/audit");
  EXPECT_EQ(HttpStatus(audit), "200") << audit.text;
  EXPECT_TRUE(Has(audit.text, "snp.measurement_rejected")) << audit.text;
  EXPECT_TRUE(Has(audit.text, "release.host_untrusted")) << audit.text;
}

}  // namespace
}  // namespace attest
