// SEV and SEV-ES VMs through the API (issue 20): attestd is the guest owner. The host is the fake
// hypervisor with the software SEV firmware model (tests/sev/platform_model.h), whose test ARK/ASK
// are the explicit anchors; the boot images and the AMD firmware are the shared measurement
// vectors', so the expected launch digest is the calculator's.
#include <gtest/gtest.h>

#include <functional>
#include <regex>

#include "attest/core/encoding.h"
#include "attest/sev/secret.h"
#include "service/api/testing/boot_image_world.h"
#include "service/api/vm_measurement.h"
#include "service/api/vm_sev_owner.h"
#include "service/http/json_body.h"

namespace attest::service::api {
namespace {

using attest::testing::FakeHypervisor;
using attest::testing::SevPlatformModel;
using nlohmann::json;

// A KVM host offering SEV and SEV-ES (libvirt's <sev> feature with ES guest slots).
constexpr char kSevDomainCapabilities[] =
    "<domainCapabilities><domain>kvm</domain><features><sev supported='yes'><cbitpos>51</cbitpos>"
    "<reducedPhysBits>1</reducedPhysBits><maxGuests>15</maxGuests><maxESGuests>15</maxESGuests>"
    "</sev><launchSecurity supported='yes'><enum name='sectype'><value>sev</value></enum>"
    "</launchSecurity></features></domainCapabilities>";

constexpr char kSecondUri[] = "qemu+tls://host-2.example/system";

// SevWorld: the boot-image world whose host (and a second one, kSecondUri) offers SEV through
// its own firmware model, and tenant policies with SEV rules.
class SevWorld : public testing::BootImageWorld {
 public:
  SevWorld()
      : model_(SevPlatformModel::Create()),
        second_model_(SevPlatformModel::Create()),
        second_(std::make_shared<FakeHypervisor>()) {
    for (auto* f : {fake_.get(), second_.get()}) {
      f->lib_version = launcher::kLibvirtTdx;
      f->host_capabilities_xml = attest::testing::kSelinuxHostCapabilities;
      f->domain_capabilities_xml = kSevDomainCapabilities;
    }
    fake_->sev_platform = &model_;
    second_->sev_platform = &second_model_;
    ServiceContext& service = w_.h.api().service();
    auto roots = std::make_shared<std::vector<sev::AmdRoot>>();
    for (const SevPlatformModel* m : {&model_, &second_model_}) {
      roots->push_back(sev::LoadAmdRoot("test", m->ark(), m->ask()).value());
    }
    service.sev_roots = roots;
    service.connect_hypervisor =
        [this](const std::string& uri) -> Result<std::shared_ptr<launcher::Hypervisor>> {
      if (uri == kUri) {
        return std::shared_ptr<launcher::Hypervisor>(fake_);
      }
      if (uri == kSecondUri) {
        return std::shared_ptr<launcher::Hypervisor>(second_);
      }
      return Status(reasons::kLauncherHypervisor, "no such host " + uri);
    };
    for (const char* name : {"sev-prod", "sev-es-prod"}) {
      // The policy's SEV rules are for guest-sent evidence; attestd's launches check the digest
      // from the boot image.
      const json policy = {{"name", name}, {"sev", {{"launch_digests", {std::string(64, 'a')}}}}};
      EXPECT_EQ(w_.h.CallJson("PUT", std::string("/v1/policies/") + name, policy, &w_.acme).status,
                201);
    }
    second_image_ = NewImage("second");
  }

  // Launch is the members of a SEV launch (SEV-ES needs the vCPU type for its VMSAs).
  static json Launch() {
    json l = {{"memory_mib", 1024}, {"vcpus", 1}};
    l["vcpu_type"] = "EPYC-v4";
    return l;
  }

  // Expected is the launch digest the calculator gives for image in Launch()'s shape.
  Sha256Digest Expected(const std::string& tee, const std::string& image) {
    auto db = w_.h.pool().Acquire();
    const store::BootImage b = (*db)->GetBootImage(w_.acme_tenant, image).value();
    json l = Launch();
    http::ObjectReader reader(l);
    MeasurementChoice choice;
    EXPECT_TRUE(ReadMeasurementChoice(reader, choice).ok());
    choice.vcpus = 1;
    choice.memory_mib = 1024;
    const MeasuredBoot boot{b.kernel_path,   b.kernel_sha256, b.initrd_path, b.initrd_sha256,
                            b.initrd_sha384, b.initrd_size,   b.cmdline};
    auto expected =
        ComputeExpectedMeasurement(w_.h.api().service().measurement_firmware, tee, boot, choice);
    EXPECT_TRUE(expected.ok()) << expected.status().ToString();
    Sha256Digest d{};
    Result<Bytes> decoded = HexDecode(expected.ok() ? expected->measurement : "");
    const Bytes raw = decoded.ok() ? *decoded : Bytes{};
    EXPECT_EQ(raw.size(), d.size());
    std::copy_n(raw.begin(), std::min(raw.size(), d.size()), d.begin());
    return d;
  }

  testing::ApiHarness::Reply CreateSev(const std::string& tee, const std::string& image = "debian",
                                       std::vector<std::string> volumes = {}) {
    if (volumes.empty()) {
      volumes = {image_, second_image_};
    }
    return w_.h.CallJson("POST", "/v1/vms",
                         {{"tee", tee},
                          {"policy", tee + "-prod"},
                          {"volume_ids", volumes},
                          {"launch", Launch()},
                          {"boot_image", image}},
                         &w_.acme);
  }

  // LaunchDebian creates a tee VM of "debian" on the host, which really loads that image.
  testing::ApiHarness::Reply LaunchDebian(const std::string& tee) {
    fake_->sev_launch_digest = Expected(tee, "debian");
    return CreateSev(tee);
  }

  // Releases lists the audit log's vm.release entries.
  std::vector<json> Releases() {
    std::vector<json> out;
    std::string after = "0";
    for (;;) {  // pages of at most 1000 entries, next_after while more follow
      auto r = w_.h.Call("GET", "/v1/audit?limit=1000&after=" + after, "", &w_.acme);
      for (const json& e : r.json["entries"]) {
        if (e["action"] == "vm.release") {
          out.push_back(e);
        }
      }
      if (!r.json.contains("next_after") || r.json["entries"].empty()) {
        return out;
      }
      after = std::to_string(r.json["next_after"].get<int64_t>());
    }
  }

  // DomainPolicy is the <policy> of the launched domain's launchSecurity.
  static std::string DomainPolicy(const FakeHypervisor& hv, const std::string& vm_id) {
    std::smatch m;
    const std::string& xml = hv.domains().at("attest-" + vm_id).xml;
    return std::regex_search(xml, m, std::regex("<policy>([^<]*)</policy>")) ? m[1].str() : "";
  }

  SevPlatformModel model_;
  SevPlatformModel second_model_;
  std::shared_ptr<FakeHypervisor> second_;
  std::string second_image_;
};

// ExpectVolumeKeys checks that table holds exactly the VM's volume keys, one entry per volume in
// ticket order under its documented GUID.
void ExpectVolumeKeys(SevWorld& t, const Bytes& table, const std::vector<std::string>& volumes) {
  auto entries = sev::ParseSecretTable(table);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), volumes.size());
  for (size_t i = 0; i < volumes.size(); ++i) {
    EXPECT_EQ((*entries)[i].guid, sev::ParseGuid(SevVolumeKeyGuid(i)).value()) << i;
    EXPECT_EQ((*entries)[i].value, t.w_.StoredKey(t.w_.acme_tenant, volumes[i])) << i;
  }
}

TEST(VmSevOwnerTest, TheFirmwareDecryptsExactlyTheVolumeKeys) {
  for (const std::string tee : {"sev", "sev-es"}) {
    SCOPED_TRACE(tee);
    SevWorld t;
    auto r = t.LaunchDebian(tee);
    ASSERT_EQ(r.status, 201) << r.body;
    const std::string id = r.json["vm_id"];
    EXPECT_EQ(r.json["launch"]["state"], "running");
    EXPECT_EQ(r.json["expected_measurement"]["measurement"],
              HexEncode(ByteSpan(t.fake_->sev_launch_digest)));
    auto table = t.fake_->injected_secret("attest-" + id);
    ASSERT_TRUE(table.has_value());
    ExpectVolumeKeys(t, *table, {t.image_, t.second_image_});
    // The injection is the VM's key release, audited as one by attestd with the proven digest.
    auto releases = t.Releases();
    ASSERT_EQ(releases.size(), 1u);
    EXPECT_EQ(releases[0]["actor"], "attestd");
    EXPECT_EQ(releases[0]["outcome"], "released");
    EXPECT_EQ(releases[0]["subject"], id);
    EXPECT_EQ(releases[0]["evidence_digest"], r.json["expected_measurement"]["measurement"]);
  }
}

TEST(VmSevOwnerTest, TheEsBitIsSetExactlyForSevEs) {
  const struct {
    std::string tee;
    std::string policy;
  } cases[] = {{"sev", "0x0033"}, {"sev-es", "0x0037"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.tee);
    SevWorld t;
    auto r = t.LaunchDebian(c.tee);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(SevWorld::DomainPolicy(*t.fake_, r.json["vm_id"]), c.policy);
    EXPECT_EQ(SevOwnerPolicy(c.tee), std::stoul(c.policy, nullptr, 16));
    EXPECT_EQ((SevOwnerPolicy(c.tee) & kSevPolicyEs) != 0, c.tee == "sev-es");
    EXPECT_NE(SevOwnerPolicy(c.tee) & 1u, 0u);  // NODBG, always
  }
}

TEST(VmSevOwnerTest, AnotherBootImageAbortsTheLaunchAndNoKeyLeaves) {
  for (const std::string tee : {"sev", "sev-es"}) {
    SCOPED_TRACE(tee);
    SevWorld t;
    // The host really loaded another kernel than the one the VM names.
    t.fake_->sev_launch_digest = t.Expected(tee, "tdx-kernel");
    auto r = t.CreateSev(tee);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json["code"], "sev.measurement_mismatch") << r.body;
    t.ExpectNothingOnTheHost();
    EXPECT_TRUE(t.Releases().empty());
    EXPECT_EQ(t.LiveVms(), 0u);
    for (FakeHypervisor::Op op : t.fake_->calls()) {
      EXPECT_NE(op, FakeHypervisor::Op::kSetSevLaunchSecret);
    }
  }
}

TEST(VmSevOwnerTest, AHostWhoseChainDoesNotVerifyIsRefused) {
  const struct {
    std::string name;
    std::function<void(SevWorld&)> edit;
  } cases[] = {
      {"PDH altered",
       [](SevWorld& t) {
         launcher::SevPlatformInfo info = t.fake_->GetSevPlatformInfo().value();
         info.pdh[20] ^= 1;  // inside the public key
         t.fake_->sev_platform_info = info;
       }},
      {"PEK of another chip",
       [](SevWorld& t) {
         launcher::SevPlatformInfo info = t.fake_->GetSevPlatformInfo().value();
         info.pek = t.second_model_.pek();
         t.fake_->sev_platform_info = info;
       }},
      {"CEK under no trusted ASK",
       [](SevWorld& t) {
         auto roots = std::make_shared<std::vector<sev::AmdRoot>>();
         roots->push_back(
             sev::LoadAmdRoot("test", t.second_model_.ark(), t.second_model_.ask()).value());
         t.w_.h.api().service().sev_roots = roots;
       }},
      {"no anchors at all",
       [](SevWorld& t) {
         t.w_.h.api().service().sev_roots = std::make_shared<std::vector<sev::AmdRoot>>();
       }},
      {"truncated certificate",
       [](SevWorld& t) {
         launcher::SevPlatformInfo info = t.fake_->GetSevPlatformInfo().value();
         info.cek.resize(100);
         t.fake_->sev_platform_info = info;
       }},
      {"host cannot say",
       [](SevWorld& t) { t.fake_->FailNext(FakeHypervisor::Op::kGetSevPlatformInfo); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SevWorld t;
    t.fake_->sev_launch_digest = t.Expected("sev", "debian");
    c.edit(t);
    auto r = t.CreateSev("sev");
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(r.json["code"], "api.sev_platform_untrusted") << r.body;
    t.ExpectNothingOnTheHost();
    for (FakeHypervisor::Op op : t.fake_->calls()) {
      EXPECT_NE(op, FakeHypervisor::Op::kDefineDomain);
    }
    EXPECT_TRUE(t.Releases().empty());
    EXPECT_EQ(t.LiveVms(), 0u);
  }
}

TEST(VmSevOwnerTest, AnUntrustedHostIsNeverChosen) {
  SevWorld t;
  t.w_.SetHostState(t.host_, "untrusted");
  t.fake_->sev_launch_digest = t.Expected("sev", "debian");
  // The only SEV host is untrusted: no placement, nothing on it.
  auto refused = t.CreateSev("sev");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json["code"], "launcher.no_trusted_host") << refused.body;
  t.ExpectNothingOnTheHost();
  EXPECT_TRUE(t.fake_->calls().empty());
  // A trusted second host takes the VM, with its own (verified) PDH.
  const std::string second = t.AddLaunchableHost(kSecondUri);
  t.second_->sev_launch_digest = t.fake_->sev_launch_digest;
  auto r = t.CreateSev("sev");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["host_id"], second);
  EXPECT_TRUE(t.fake_->domains().empty());
  ASSERT_TRUE(t.second_->injected_secret("attest-" + r.json["vm_id"].get<std::string>()));
}

TEST(VmSevOwnerTest, RequestsThatCannotBeOwnedAreRefused) {
  SevWorld t;
  t.fake_->sev_launch_digest = t.Expected("sev", "debian");
  // body: a complete SEV request with one member replaced (null: removed).
  auto body = [&](const std::string& member, const json& value) {
    json b = {{"tee", "sev"},
              {"policy", "sev-prod"},
              {"volume_ids", {t.image_}},
              {"launch", SevWorld::Launch()},
              {"boot_image", "debian"}};
    if (value.is_null()) {
      b.erase(member);
    } else {
      b[member] = value;
    }
    return b;
  };
  json es_without_launch = body("launch", nullptr);
  es_without_launch["tee"] = "sev-es";
  es_without_launch["policy"] = "sev-es-prod";
  const struct {
    std::string name;
    json body;
    int status;
    std::string reason;
  } cases[] = {
      {"no boot image", body("boot_image", nullptr), 400, "api.invalid_field"},
      {"no launch", body("launch", nullptr), 400, "api.invalid_field"},
      {"SEV-ES without launch", es_without_launch, 400, "api.invalid_field"},
      {"policy without SEV rules", body("policy", "snp-prod"), 400, "api.invalid_field"},
      {"another tenant's boot image", body("boot_image", "theirs"), 404, "store.not_found"},
      {"sev-snp is not a tee name", body("tee", "sev-snp"), 400, "api.invalid_field"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = t.w_.h.CallJson("POST", "/v1/vms", c.body, &t.w_.acme);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.json["code"], c.reason) << r.body;
  }
  t.ExpectNothingOnTheHost();
  EXPECT_TRUE(t.Releases().empty());
}

TEST(VmSevOwnerTest, EveryStartIsANewOwnerSessionAndANewRelease) {
  SevWorld t;
  auto r = t.LaunchDebian("sev-es");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["vm_id"];
  const std::string domain = "attest-" + id;
  const std::string first_xml = t.fake_->domains().at(domain).xml;
  const sev::TransportKeys first_keys = t.model_.unwrapped_keys();
  for (const char* action : {"reboot", "stop", "start"}) {
    SCOPED_TRACE(action);
    auto a = t.w_.h.Call("POST", "/v1/vms/" + id + "/" + action, "", &t.w_.acme);
    ASSERT_EQ(a.status, 200) << a.body;
  }
  // Two more launches (reboot, start): fresh dhCert and session, fresh TEK/TIK, the keys again.
  EXPECT_NE(t.fake_->domains().at(domain).xml, first_xml);
  EXPECT_NE(t.model_.unwrapped_keys().tik, first_keys.tik);
  EXPECT_NE(t.model_.unwrapped_keys().tek, first_keys.tek);
  ExpectVolumeKeys(t, t.fake_->injected_secret(domain).value(), {t.image_, t.second_image_});
  EXPECT_EQ(t.Releases().size(), 3u);
}

TEST(VmSevOwnerTest, AStartAfterTheHostLostTrustReleasesNothing) {
  SevWorld t;
  auto r = t.LaunchDebian("sev");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["vm_id"];
  ASSERT_EQ(t.w_.h.Call("POST", "/v1/vms/" + id + "/stop", "", &t.w_.acme).status, 200);
  t.w_.SetHostState(t.host_, "untrusted");
  auto a = t.w_.h.Call("POST", "/v1/vms/" + id + "/start", "", &t.w_.acme);
  EXPECT_EQ(a.status, 403) << a.body;
  EXPECT_EQ(a.json["code"], "release.host_untrusted") << a.body;
  // The domain measured, was refused its secret and is shut off again.
  EXPECT_EQ(t.fake_->domains().at("attest-" + id).state, launcher::DomainState::kShutoff);
  auto releases = t.Releases();
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[1]["outcome"], "denied");
  EXPECT_EQ(releases[1]["actor"], "attestd");
}

TEST(VmSevOwnerTest, ADeletedVmIsNeverStartedAgain) {
  SevWorld t;
  auto r = t.LaunchDebian("sev");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = r.json["vm_id"];
  ASSERT_EQ(t.w_.h.Call("DELETE", "/v1/vms/" + id, "", &t.w_.acme).status, 204);
  auto a = t.w_.h.Call("POST", "/v1/vms/" + id + "/start", "", &t.w_.acme);
  EXPECT_EQ(a.status, 404) << a.body;
  t.ExpectNothingOnTheHost();
  EXPECT_EQ(t.Releases().size(), 1u);
}

TEST(VmSevOwnerTest, VolumeKeyGuidsAreDistinctAndCanonical) {
  const struct {
    size_t index;
    std::string guid;
  } cases[] = {{0, "0d4f3ac1-8e2b-4c6a-9f57-4a7e3b6c5000"},
               {1, "0d4f3ac1-8e2b-4c6a-9f57-4a7e3b6c5001"},
               {15, "0d4f3ac1-8e2b-4c6a-9f57-4a7e3b6c500f"},
               {63, "0d4f3ac1-8e2b-4c6a-9f57-4a7e3b6c503f"}};
  for (const auto& c : cases) {
    EXPECT_EQ(SevVolumeKeyGuid(c.index), c.guid);
    EXPECT_TRUE(sev::ParseGuid(c.guid).ok());
    EXPECT_NE(c.guid, sev::kDiskKeyGuid);
    EXPECT_NE(c.guid, sev::kSecretTableGuid);
  }
  EXPECT_TRUE(IsLegacySev("sev"));
  EXPECT_TRUE(IsLegacySev("sev-es"));
  for (const char* other : {"snp", "tdx", "sev-snp", "SEV", ""}) {
    EXPECT_FALSE(IsLegacySev(other)) << other;
  }
}

}  // namespace
}  // namespace attest::service::api
