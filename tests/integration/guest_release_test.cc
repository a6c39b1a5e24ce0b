#include "agent/guest_evidence.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "attest/core/encoding.h"
#include "protocol/host_platform.h"
#include "protocol/jwe.h"
#include "protocol/ticket.h"
#include "service/keys/local_kek.h"
#include "service/keys/volume.h"
#include "service/release/release.h"
#include "tests/testing/software_tee.h"

namespace attest::agent {
namespace {

namespace fs = std::filesystem;
using testing::SoftwareTee;

Bytes ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes((std::istreambuf_iterator<char>(in)), {});
}

void WriteAtomically(const fs::path& p, ByteSpan data) {
  const fs::path tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
  }
  fs::rename(tmp, p);
}

// FakeTsm: a userspace stand-in for the kernel's configfs-tsm report directory. A thread waits
// for an entry's 64-byte inblob and answers like the SEV guest provider: outblob = an SNP report
// over inblob (signed by the software TEE), auxblob, provider, generation.
class FakeTsm {
 public:
  enum class Mode { kGood, kRaced, kSilent };
  FakeTsm(const fs::path& root, SoftwareTee* tee, Bytes host_data, Mode mode)
      : root_(root), tee_(tee), host_data_(std::move(host_data)), mode_(mode) {
    fs::create_directories(root_);
    thread_ = std::thread([this] { Run(); });
  }
  ~FakeTsm() {
    stop_ = true;
    thread_.join();
  }

 private:
  void Run() {
    while (!stop_) {
      std::error_code ec;
      for (const auto& entry : fs::directory_iterator(root_, ec)) {
        const fs::path inblob = entry.path() / "inblob";
        if (!fs::exists(inblob, ec) || fs::exists(entry.path() / "outblob", ec) ||
            fs::file_size(inblob, ec) != 64 || mode_ == Mode::kSilent) {
          continue;
        }
        const Bytes report = tee_->SnpReport({ReadAll(inblob), host_data_, false});
        // outblob last: the agent waits for it, and then finds every other attribute present,
        // as with the kernel (where all of them always exist).
        WriteAtomically(entry.path() / "auxblob", AsBytes("certs"));
        WriteAtomically(entry.path() / "provider", AsBytes("sev_guest\n"));
        WriteAtomically(entry.path() / "generation",
                        AsBytes(mode_ == Mode::kRaced ? "2\n" : "1\n"));
        WriteAtomically(entry.path() / "outblob", report);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  fs::path root_;
  SoftwareTee* tee_;
  Bytes host_data_;
  Mode mode_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class GuestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("attest-guest-" + HexEncode(service::keys::RandomBytes(6)));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  SoftwareTee tee_;
};

TEST_F(GuestTest, ConfigfsTsmReportThroughToReleasedKey) {
  namespace rel = service::release;
  // The service side: a VM with one volume, its ticket and a policy.
  const std::string policy_doc =
      R"({"name": "prod", "snp": {"any_measurement": true, "host_data_launch_ticket": true}})";
  const service::store::PolicyVersion policy{
      "t-1", "prod", 1, HexEncode(Sha256(AsBytes(policy_doc))), policy_doc, {}};
  protocol::LaunchTicket t{
      "vm-1", "t-1", "snp", "prod", 1, policy.sha256, {"vol-1"}, "h-1", SoftwareTee::Now()};
  service::store::Vm vm;
  vm.id = "vm-1";
  vm.tenant_id = "t-1";
  vm.tee_type = "snp";
  vm.policy_name = "prod";
  vm.policy_version = 1;
  vm.policy_sha256 = policy.sha256;
  vm.volume_ids = {"vol-1"};
  vm.host_id = "h-1";
  vm.ticket = protocol::SerializeTicket(t).value();
  vm.ticket_sha256 = HexEncode(protocol::TicketHostData(vm.ticket));
  vm.ticket_sha384 = HexEncode(protocol::TicketMrConfigId(vm.ticket));
  const Sha256Digest host_data = protocol::TicketHostData(vm.ticket);
  FakeTsm tsm(dir_ / "tsm", &tee_, Bytes(host_data.begin(), host_data.end()), FakeTsm::Mode::kGood);

  // The guest: ephemeral key, REPORT_DATA = SHA-512(nonce || key), evidence from configfs-tsm.
  const std::string guest_private = protocol::GenerateGuestKey().value();
  const protocol::GuestPublicKey guest =
      protocol::ParseGuestJwk(protocol::PublicJwk(guest_private).value()).value();
  const Bytes nonce = service::keys::RandomBytes(32);
  const Sha512Digest binding = protocol::ReportDataBinding(nonce, guest);
  auto ev = GetGuestEvidence(binding, (dir_ / "tsm").string(), (dir_ / "no-device").string());
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->source, "configfs-tsm");
  EXPECT_EQ(ev->provider, "sev_guest");
  EXPECT_EQ(ev->auxblob, Bytes(AsBytes("certs").begin(), AsBytes("certs").end()));

  // The service decides and releases; the guest opens the key.
  rel::TrustAnchorConfig config;
  config.snp_test_root_chains_pem = {tee_.SnpRootChainPem()};
  auto anchors = rel::TrustAnchors::Make(config).value();
  rel::ReleaseInput in;
  in.nonce_status = Status::Ok();
  in.nonce = nonce;
  in.guest_key = guest;
  in.evidence = rel::ParseSnpEvidence(ev->outblob, tee_.SnpCollateral());
  in.vm = &vm;
  // The placed host: the software TEE's machine 0, whose chip signed the report.
  in.host = {"h-1",
             service::store::HostState::kTrusted,
             SoftwareTee::Now() + std::chrono::hours(1),
             SoftwareTee::Now(),
             "hosts",
             protocol::SerializeHostPlatform(SoftwareTee::SimulatedPlatform(0)).value()};
  in.policy = &policy;
  in.now = SoftwareTee::Now();
  const rel::ReleaseDecision d = rel::DecideRelease(in, *anchors);
  ASSERT_TRUE(d.released()) << d.failures[0].check << " " << d.failures[0].detail;
  auto kek = service::keys::LocalKeyFileKek::FromKey(Bytes(32, 8)).value();
  const Bytes volume_key = service::keys::NewVolumeKey();
  std::vector<service::store::Volume> volumes(1);
  volumes[0].id = "vol-1";
  volumes[0].wrapped_key = service::keys::WrapVolumeKey(*kek, "vol-1", volume_key).value();
  const auto released = rel::WrapKeysForGuest(*kek, volumes, guest).value();
  EXPECT_EQ(protocol::DecryptFromService(released[0].jwe, guest_private).value(), volume_key);
}

TEST_F(GuestTest, EvidenceSourceFailures) {
  const Bytes rd(64, 1);
  {
    FakeTsm raced(dir_ / "raced", &tee_, Bytes(32, 0), FakeTsm::Mode::kRaced);
    EXPECT_EQ(GetTsmReport((dir_ / "raced").string(), rd).status().reason_id(),
              "guest.tsm_generation_conflict");
  }
  {
    FakeTsm silent(dir_ / "silent", &tee_, Bytes(32, 0), FakeTsm::Mode::kSilent);
    EXPECT_EQ(GetTsmReport((dir_ / "silent").string(), rd).status().reason_id(),
              "guest.tsm_report_failed");
  }
  fs::create_directories(dir_ / "ok");
  const std::string not_dir = (dir_ / "file").string();
  std::ofstream(not_dir) << "x";
  struct Case {
    std::string name;
    Status status;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"no configfs root", GetTsmReport((dir_ / "none").string(), rd).status(),
       "guest.tsm_report_failed"},
      {"root is a file", GetTsmReport(not_dir, rd).status(), "guest.tsm_report_failed"},
      {"REPORT_DATA over 64 bytes", GetTsmReport((dir_ / "ok").string(), Bytes(65, 0)).status(),
       "guest.tsm_report_failed"},
      {"neither source",
       GetGuestEvidence(rd, (dir_ / "none").string(), (dir_ / "none-dev").string()).status(),
       "guest.no_evidence_source"},
      {"device is not sev-guest", GetSevGuestReport("/dev/null", rd).status(),
       "guest.device_report_failed"},
      {"device missing", GetSevGuestReport((dir_ / "none-dev").string(), rd).status(),
       "guest.device_report_failed"},
      {"fallback to a device that fails",
       GetGuestEvidence(rd, (dir_ / "none").string(), "/dev/null").status(),
       "guest.device_report_failed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.status.reason_id(), c.want);
  }
}

}  // namespace
}  // namespace attest::agent
