// The host agent's platform identity sources: GET_ID output through a replaced /dev/sev reader,
// PCK certificates from the test DCAP hierarchy, document files; refusals for each.
#include "agent/host_platform_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "attest/core/encoding.h"
#include "tests/testing/fake_dcap.h"

namespace attest::agent {
namespace {

Bytes Ids(std::initializer_list<uint8_t> fills) {
  Bytes out;
  for (uint8_t f : fills) {
    out.insert(out.end(), 64, f);
  }
  return out;
}

SevIdReader Returns(const Result<Bytes>& output, std::string* device_seen = nullptr) {
  return [output, device_seen](const std::string& device) {
    if (device_seen != nullptr) {
      *device_seen = device;
    }
    return output;
  };
}

class HostPlatformSourceTest : public ::testing::Test {
 public:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("platform-source-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(HostPlatformSourceTest, ChipIdsFromGetIdOutput) {
  auto one = ChipIdsFromGetId(Ids({0x11}));
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->size(), 1u);
  // A one-socket machine's second entry is zero: dropped; a repeated id is kept once.
  auto two = ChipIdsFromGetId(Ids({0x22, 0x00, 0x11, 0x22}));
  ASSERT_TRUE(two.ok());
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0][0], 0x22);
  EXPECT_EQ((*two)[1][0], 0x11);
  const struct {
    std::string name;
    Bytes output;
  } bad[] = {
      {"empty", {}},
      {"63 bytes", Bytes(63, 1)},
      {"65 bytes", Bytes(65, 1)},
      {"all sockets zero (masked)", Ids({0, 0})},
      {"17 sockets", Bytes(size_t{64} * 17, 1)},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ChipIdsFromGetId(c.output).status().reason_id(), "agent.sev_get_id_failed");
  }
}

TEST_F(HostPlatformSourceTest, TdxIdentityFromThePckCertificate) {
  testing::PckSpec spec;
  spec.ppid_hex = "0102030405060708090a0b0c0d0e0f10";
  spec.pce_id_hex = "0001";
  spec.fmspc_hex = "00906ed50000";
  const testing::FakeDcap dcap(spec);
  const std::string chain = dcap.PckChainPem();  // leaf first, as PCCS serves it
  auto id = TdxIdentityFromPckCert(AsBytes(chain));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(HexEncode(id->ppid), spec.ppid_hex);
  EXPECT_EQ(HexEncode(id->pce_id), "0001");
  EXPECT_EQ(HexEncode(id->fmspc), "00906ed50000");
  // Not a certificate; a certificate without the SGX extension (the PCK CA's, first).
  EXPECT_EQ(TdxIdentityFromPckCert(AsBytes(std::string("junk"))).status().reason_id(),
            "x509.cert_malformed");
  const std::string ca_first = chain.substr(chain.find("-----BEGIN", 1));
  EXPECT_EQ(TdxIdentityFromPckCert(AsBytes(ca_first)).status().reason_id(),
            "tdx.pck_extension_invalid");
}

TEST_F(HostPlatformSourceTest, ReadHostPlatformCombinesTheSources) {
  const testing::FakeDcap dcap;
  PlatformSources sources;
  sources.snp = true;
  sources.sev_device = "/dev/sev-test";
  sources.pck_cert_file = Write("pck.pem", dcap.PckChainPem());
  std::string device;
  auto p = ReadHostPlatform(sources, Returns(Ids({0x22, 0x11}), &device));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(device, "/dev/sev-test");
  ASSERT_EQ(p->snp_chip_ids.size(), 2u);
  EXPECT_EQ(p->snp_chip_ids[0][0], 0x11);  // canonical order
  ASSERT_TRUE(p->tdx.has_value());
  EXPECT_EQ(HexEncode(p->tdx->ppid), "abababababababababababababababab");
  // No source: the empty document, and /dev/sev is not touched.
  auto none = ReadHostPlatform({}, Returns(Status(reasons::kAgentSevGetIdFailed, "touched")));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // A document file, as written by a test or an operator.
  PlatformSources file;
  file.platform_file = Write(
      "platform.json", R"({"v":1,"tdx":null,"snp_chip_ids":[")" + std::string(128, '7') + "\"]}");
  auto from_file = ReadHostPlatform(file);
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  EXPECT_EQ(from_file->snp_chip_ids.size(), 1u);
}

TEST_F(HostPlatformSourceTest, EverySourceFailureIsNamed) {
  const struct {
    std::string name;
    std::function<PlatformSources(HostPlatformSourceTest&)> sources;
    SevIdReader read_sev;
    std::string want;
  } cases[] = {
      {"no /dev/sev",
       [](HostPlatformSourceTest&) {
         PlatformSources s;
         s.snp = true;
         s.sev_device = "/nonexistent/sev";
         return s;
       },
       ReadSevGetId2, "agent.sev_get_id_failed"},
      {"firmware answers nothing",
       [](HostPlatformSourceTest&) {
         PlatformSources s;
         s.snp = true;
         return s;
       },
       Returns(Bytes{}), "agent.sev_get_id_failed"},
      {"PCK file missing",
       [](HostPlatformSourceTest&) {
         PlatformSources s;
         s.pck_cert_file = "/nonexistent/pck.pem";
         return s;
       },
       nullptr, "core.file_unreadable"},
      {"PCK file not a certificate",
       [](HostPlatformSourceTest& t) {
         PlatformSources s;
         s.pck_cert_file = t.Write("bad.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n");
         return s;
       },
       nullptr, "x509.cert_malformed"},
      {"platform file malformed",
       [](HostPlatformSourceTest& t) {
         PlatformSources s;
         s.platform_file = t.Write("p.json", R"({"v":1})");
         return s;
       },
       nullptr, "host.platform_invalid"},
      {"platform file missing",
       [](HostPlatformSourceTest&) {
         PlatformSources s;
         s.platform_file = "/nonexistent/platform.json";
         return s;
       },
       nullptr, "core.file_unreadable"},
      {"platform file with another source",
       [](HostPlatformSourceTest& t) {
         PlatformSources s;
         s.snp = true;
         s.platform_file = t.Write("p2.json", R"({"v":1,"snp_chip_ids":[],"tdx":null})");
         return s;
       },
       Returns(Ids({1})), "host.platform_invalid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = c.read_sev ? ReadHostPlatform(c.sources(*this), c.read_sev)
                        : ReadHostPlatform(c.sources(*this));
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().reason_id(), c.want);
  }
}

}  // namespace
}  // namespace attest::agent
