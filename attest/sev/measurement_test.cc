#include "attest/sev/measurement.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "tests/testing/vectors.h"

namespace attest::sev {
namespace {

Bytes Hex(const std::string& text) {
  auto b = HexDecode(text);
  EXPECT_TRUE(b.ok()) << text;
  return b.ok() ? *b : Bytes();
}

struct Vector {
  Bytes tik;
  LaunchMeasureInput input;
  Bytes measure;
};

Vector LoadVector() {
  const auto j =
      nlohmann::json::parse(testing::ReadVectorText("sev/launch-measurement-vector.json"));
  Vector v;
  v.tik = Hex(j["tik"]);
  v.input.api_major = j["api_major"].get<uint8_t>();
  v.input.api_minor = j["api_minor"].get<uint8_t>();
  v.input.build = j["build"].get<uint8_t>();
  const Bytes policy = Hex(j["policy_u32_le"]);
  v.input.policy =
      policy[0] | policy[1] << 8 | policy[2] << 16 | static_cast<uint32_t>(policy[3]) << 24;
  const Bytes ld = Hex(j["launch_digest"]);
  std::copy(ld.begin(), ld.end(), v.input.launch_digest.begin());
  const Bytes mnonce = Hex(j["mnonce"]);
  std::copy(mnonce.begin(), mnonce.end(), v.input.mnonce.begin());
  v.measure = Hex(j["expected_measure"]);
  return v;
}

TEST(SevMeasurement, VectorMatches) {
  const Vector v = LoadVector();
  const Status status = VerifyLaunchMeasure(v.tik, v.input, v.measure);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

// Every single changed input byte (one bit flipped) must make the check fail.
TEST(SevMeasurement, AnyChangedInputByteFails) {
  const Vector base = LoadVector();
  size_t cases = 0;
  auto expect_mismatch = [&](const Vector& v, const std::string& what) {
    ++cases;
    const Status status = VerifyLaunchMeasure(v.tik, v.input, v.measure);
    EXPECT_EQ(status.reason_id(), "sev.measurement_mismatch") << what;
  };
  for (size_t i = 0; i < base.tik.size(); ++i) {
    Vector v = base;
    v.tik[i] ^= 1;
    expect_mismatch(v, "tik " + std::to_string(i));
  }
  for (int field = 0; field < 3; ++field) {
    Vector v = base;
    uint8_t* f[] = {&v.input.api_major, &v.input.api_minor, &v.input.build};
    *f[field] ^= 1;
    expect_mismatch(v, "version field " + std::to_string(field));
  }
  for (int byte = 0; byte < 4; ++byte) {
    Vector v = base;
    v.input.policy ^= 1u << (8 * byte);
    expect_mismatch(v, "policy byte " + std::to_string(byte));
  }
  for (size_t i = 0; i < 32; ++i) {
    Vector v = base;
    v.input.launch_digest[i] ^= 1;
    expect_mismatch(v, "digest " + std::to_string(i));
  }
  for (size_t i = 0; i < 16; ++i) {
    Vector v = base;
    v.input.mnonce[i] ^= 1;
    expect_mismatch(v, "mnonce " + std::to_string(i));
  }
  for (size_t i = 0; i < 32; ++i) {
    Vector v = base;
    v.measure[i] ^= 1;
    expect_mismatch(v, "measure " + std::to_string(i));
  }
  EXPECT_EQ(cases, 16u + 3 + 4 + 32 + 16 + 32);
}

// The vector has policy 0, so it cannot catch a byte-order bug: check the layout against an
// HMAC over bytes written out by hand.
TEST(SevMeasurement, PolicyIsLittleEndianInTheMac) {
  const Bytes tik = Hex("000102030405060708090a0b0c0d0e0f");
  LaunchMeasureInput in;
  in.api_major = 1;
  in.api_minor = 55;
  in.build = 21;
  in.policy = 0x00050037;
  in.launch_digest.fill(0xab);
  in.mnonce.fill(0xcd);
  Bytes msg = {0x04, 1, 55, 21, 0x37, 0x00, 0x05, 0x00};
  msg.insert(msg.end(), 32, 0xab);
  msg.insert(msg.end(), 16, 0xcd);
  uint8_t want[32];
  unsigned int len = 0;
  ASSERT_NE(HMAC(EVP_sha256(), tik.data(), static_cast<int>(tik.size()), msg.data(), msg.size(),
                 want, &len),
            nullptr);
  auto got = ComputeLaunchMeasure(tik, in);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Bytes(got->begin(), got->end()), Bytes(want, want + 32));
}

TEST(SevMeasurement, BadArguments) {
  const Vector v = LoadVector();
  EXPECT_EQ(VerifyLaunchMeasure(ByteSpan(v.tik.data(), 15), v.input, v.measure).reason_id(),
            "sev.bad_argument");
  EXPECT_EQ(VerifyLaunchMeasure(v.tik, v.input, ByteSpan(v.measure.data(), 31)).reason_id(),
            "sev.bad_argument");
  EXPECT_EQ(ParseLaunchMeasurement(Bytes(47)).status().reason_id(), "sev.bad_argument");
  Bytes both(48);
  both[0] = 7;
  both[47] = 9;
  auto m = ParseLaunchMeasurement(both);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->measure[0], 7);
  EXPECT_EQ(m->mnonce[15], 9);
}

TEST(SevMeasurement, GuidByteLayout) {
  auto g = ParseGuid(kHashTableGuid);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(HexEncode(*g), "06d63894224fc94cb479a793d411fd21");
  for (const char* bad :
       {"", "9438d606-4f22-4cc9-b479-a793d411fd2", "9438d6064f22-4cc9-b479-a793d411fd211",
        "9438d606-4f22-4cc9-b479-a793d411fdzz"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseGuid(bad).status().reason_id(), "sev.bad_argument");
  }
}

TEST(SevMeasurement, KernelHashTableLayout) {
  const std::string kernel = "not really a bzImage";
  const std::string initrd = "initrd bytes";
  KernelBoot boot;
  boot.kernel = AsBytes(kernel);
  boot.initrd = AsBytes(initrd);
  boot.cmdline = "console=ttyS0";
  const Bytes table = BuildKernelHashTable(boot);
  ASSERT_EQ(table.size(), 176u);
  EXPECT_EQ(HexEncode(ByteSpan(table).subspan(0, 16)), "06d63894224fc94cb479a793d411fd21");
  EXPECT_EQ(table[16], 168);
  EXPECT_EQ(table[17], 0);
  struct Entry {
    std::string_view guid;
    Sha256Digest hash;
  };
  const std::string cmdline_nul("console=ttyS0\0", 14);
  const Entry entries[] = {{kCmdlineHashGuid, Sha256(AsBytes(cmdline_nul))},
                           {kInitrdHashGuid, Sha256(AsBytes(initrd))},
                           {kKernelHashGuid, Sha256(AsBytes(kernel))}};
  for (size_t i = 0; i < 3; ++i) {
    SCOPED_TRACE(i);
    const size_t off = 18 + 50 * i;
    const Guid guid = *ParseGuid(entries[i].guid);
    EXPECT_EQ(Bytes(table.begin() + off, table.begin() + off + 16),
              Bytes(guid.begin(), guid.end()));
    EXPECT_EQ(table[off + 16], 50);
    EXPECT_EQ(table[off + 17], 0);
    EXPECT_EQ(Bytes(table.begin() + off + 18, table.begin() + off + 50),
              Bytes(entries[i].hash.begin(), entries[i].hash.end()));
  }
  EXPECT_TRUE(IsAllZero(ByteSpan(table).subspan(168)));

  // Absent initrd and cmdline: SHA-256("") and SHA-256("\0").
  KernelBoot bare;
  bare.kernel = AsBytes(kernel);
  const Bytes t2 = BuildKernelHashTable(bare);
  EXPECT_EQ(HexEncode(ByteSpan(t2).subspan(18 + 18, 32)),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_EQ(HexEncode(ByteSpan(t2).subspan(68 + 18, 32)),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

Bytes AmdSevFirmware() {
  auto fw = ReadFileBytes("tests/sev/data/ovmf_AmdSev_suffix.bin");
  EXPECT_TRUE(fw.ok()) << fw.status().ToString();
  return fw.ok() ? *fw : Bytes();
}

TEST(SevMeasurement, KernelHashesGiveTheSameDigestAsFiles) {
  // Callers holding digests (a tenant's boot-input hashes) get the digest the files give; giving
  // both is ambiguous and refused.
  const std::string kernel = "not really a bzImage";
  KernelBoot boot;
  boot.kernel = AsBytes(kernel);
  boot.cmdline = "console=ttyS0";
  const Bytes firmware = AmdSevFirmware();
  LaunchDigestInput from_files;
  from_files.firmware = firmware;
  from_files.kernel = boot;
  LaunchDigestInput from_hashes;
  from_hashes.firmware = firmware;
  from_hashes.kernel_hashes = HashKernelBoot(boot);
  auto a = ComputeLaunchDigest(from_files);
  auto b = ComputeLaunchDigest(from_hashes);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(BuildKernelHashTable(boot), BuildKernelHashTable(HashKernelBoot(boot)));
  from_hashes.kernel = boot;
  EXPECT_EQ(ComputeLaunchDigest(from_hashes).status().reason_id(), "sev.bad_argument");
}

TEST(SevMeasurement, LaunchDigestComposition) {
  const Bytes firmware = AmdSevFirmware();
  const std::string kernel = "kernel";
  LaunchDigestInput in;
  in.firmware = firmware;
  auto plain = ComputeLaunchDigest(in);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, Sha256(firmware));

  KernelBoot boot;
  boot.kernel = AsBytes(kernel);
  in.kernel = boot;
  Bytes concat = firmware;
  const Bytes table = BuildKernelHashTable(boot);
  concat.insert(concat.end(), table.begin(), table.end());
  auto with_kernel = ComputeLaunchDigest(in);
  ASSERT_TRUE(with_kernel.ok());
  EXPECT_EQ(*with_kernel, Sha256(concat));

  const Bytes bsp(kVmsaSize, 0x11);
  const Bytes ap(kVmsaSize, 0x22);
  in.policy = kPolicyEs | kPolicyNoDebug;
  in.vmsa_bsp = bsp;
  in.vmsa_ap = ap;
  in.num_vcpus = 3;
  concat.insert(concat.end(), bsp.begin(), bsp.end());
  for (int i = 0; i < 2; ++i) {
    concat.insert(concat.end(), ap.begin(), ap.end());
  }
  auto es = ComputeLaunchDigest(in);
  ASSERT_TRUE(es.ok()) << es.status().ToString();
  EXPECT_EQ(*es, Sha256(concat));
}

TEST(SevMeasurement, LaunchDigestBadArguments) {
  const Bytes firmware(4096, 1);
  const Bytes page(kVmsaSize, 2);
  const Bytes short_page(kVmsaSize - 1, 2);
  struct Case {
    std::string name;
    LaunchDigestInput in;
  };
  std::vector<Case> cases;
  {
    LaunchDigestInput in;
    cases.push_back({"no firmware", in});
  }
  {
    LaunchDigestInput in;
    in.firmware = firmware;
    in.policy = kPolicyEs;
    in.num_vcpus = 1;
    cases.push_back({"es without vmsa", in});
  }
  {
    LaunchDigestInput in;
    in.firmware = firmware;
    in.policy = kPolicyEs;
    in.vmsa_bsp = short_page;
    in.num_vcpus = 1;
    cases.push_back({"short bsp vmsa", in});
  }
  {
    LaunchDigestInput in;
    in.firmware = firmware;
    in.policy = kPolicyEs;
    in.vmsa_bsp = page;
    in.num_vcpus = 2;
    cases.push_back({"two vcpus without ap vmsa", in});
  }
  {
    LaunchDigestInput in;
    in.firmware = firmware;
    in.policy = kPolicyEs;
    in.vmsa_bsp = page;
    in.vmsa_ap = page;
    in.num_vcpus = 0;
    cases.push_back({"zero vcpus", in});
  }
  {
    LaunchDigestInput in;
    in.firmware = firmware;
    in.policy = kPolicyEs;
    in.vmsa_bsp = page;
    in.vmsa_ap = page;
    in.num_vcpus = 513;
    cases.push_back({"too many vcpus", in});
  }
  {
    LaunchDigestInput in;
    in.firmware = firmware;
    in.vmsa_bsp = page;
    in.num_vcpus = 1;
    cases.push_back({"vmsa without es", in});
  }
  const std::string kernel = "k";
  {
    LaunchDigestInput in;
    in.firmware = firmware;  // no footer table: not an AmdSev build
    in.kernel = KernelBoot{AsBytes(kernel), std::nullopt, std::nullopt};
    cases.push_back({"kernel hashes without AmdSev firmware", in});
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ComputeLaunchDigest(c.in).status().reason_id(), "sev.bad_argument");
  }
}

}  // namespace
}  // namespace attest::sev
