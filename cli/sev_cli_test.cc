// The legacy SEV subcommands of attestctl, driven through their entry points.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/sev/measurement.h"
#include "cli/command_test_run.h"
#include "cli/commands.h"
#include "tests/sev/platform_model.h"
#include "tests/testing/vectors.h"

namespace attest::cli {
namespace {

using testing::VectorPath;

CliRun Invoke(CommandFn fn, std::vector<std::string> args) {
  return RunCommand(fn, std::move(args));
}

std::vector<std::string> NaplesChain() {
  return {"--pdh", VectorPath("sev/naples/pdh.cert"), "--pek", VectorPath("sev/naples/pek.cert"),
          "--oca", VectorPath("sev/naples/oca.cert"), "--cek", VectorPath("sev/naples/cek.cert")};
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/attest-sev-cli-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, ByteSpan data) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
    return p;
  }

 private:
  std::string path_;
};

TEST(SevCli, VerifyNaplesChain) {
  std::vector<std::string> args = NaplesChain();
  args.push_back("--json");
  const CliRun r = Invoke(RunVerifySevChain, args);
  EXPECT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verdict"], "accepted");
  EXPECT_EQ(j["evidence"], "sev-chain");
  EXPECT_EQ(j["claims"]["product"], "naples");
}

TEST(SevCli, VerifyWithExplicitRoots) {
  std::vector<std::string> args = NaplesChain();
  args.insert(args.end(), {"--ask", VectorPath("sev/naples/ask.cert"), "--ark",
                           VectorPath("sev/naples/ark.cert"), "--json"});
  CliRun r = Invoke(RunVerifySevChain, args);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["claims"]["product"], "custom");

  args = NaplesChain();
  args.insert(args.end(), {"--ask", VectorPath("sev/milan/ask.cert"), "--ark",
                           VectorPath("sev/milan/ark.cert"), "--json"});
  r = Invoke(RunVerifySevChain, args);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out)["errors"][0]["code"], "sev.chain_untrusted");

  args = NaplesChain();
  args.insert(args.end(), {"--ask", VectorPath("sev/naples/ask.cert"), "--ark",
                           VectorPath("sev/naples/ark.cert.bad"), "--json"});
  r = Invoke(RunVerifySevChain, args);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out)["errors"][0]["code"], "sev.cert_malformed");
}

TEST(SevCli, VerifyAcceptsBase64AndHexFiles) {
  TempDir dir;
  std::vector<std::string> args = NaplesChain();
  auto pdh = ReadFileBytes(VectorPath("sev/naples/pdh.cert"));
  auto pek = ReadFileBytes(VectorPath("sev/naples/pek.cert"));
  ASSERT_TRUE(pdh.ok() && pek.ok());
  args[1] = dir.Write("pdh.b64", AsBytes(Base64Encode(*pdh) + "\n"));
  args[3] = dir.Write("pek.hex", AsBytes(HexEncode(*pek)));
  EXPECT_EQ(Invoke(RunVerifySevChain, args).code, 0);
}

TEST(SevCli, VerifyRejectsAndUsageErrors) {
  TempDir dir;
  std::vector<std::string> args = NaplesChain();
  std::swap(args[1], args[3]);  // PEK given as PDH
  args.push_back("--json");
  CliRun r = Invoke(RunVerifySevChain, args);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out)["errors"][0]["code"], "sev.bad_usage");

  auto pdh = ReadFileBytes(VectorPath("sev/naples/pdh.cert"));
  ASSERT_TRUE(pdh.ok());
  (*pdh)[0x420] ^= 1;
  args = NaplesChain();
  args[1] = dir.Write("pdh", *pdh);
  args.push_back("--json");
  r = Invoke(RunVerifySevChain, args);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out)["errors"][0]["code"], "sev.signature_invalid");

  args = NaplesChain();
  args.resize(6);  // no --cek
  EXPECT_EQ(Invoke(RunVerifySevChain, args).code, 2);
  args = NaplesChain();
  args.insert(args.end(), {"--ask", VectorPath("sev/naples/ask.cert")});  // no --ark
  EXPECT_EQ(Invoke(RunVerifySevChain, args).code, 2);
  args = NaplesChain();
  args[7] = dir.path() + "/missing";
  EXPECT_EQ(Invoke(RunVerifySevChain, args).code, 2);
  args = NaplesChain();
  args.push_back("--bogus");
  EXPECT_EQ(Invoke(RunVerifySevChain, args).code, 2);
}

std::vector<std::string> VectorMeasurementArgs() {
  return {"--tik",       "66320db73158a35a255d051758e95ed4",
          "--api-major", "0",
          "--api-minor", "18",
          "--build",     "15",
          "--policy",    "0",
          "--digest",    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "--mnonce",    "4fbe0bedbad6c86ae8f68971d103e554",
          "--measure",   "6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea"};
}

TEST(SevCli, MeasurementVector) {
  std::vector<std::string> args = VectorMeasurementArgs();
  args.push_back("--json");
  const CliRun r = Invoke(RunSevMeasurement, args);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["verdict"], "accepted");

  // libvirt's sev-measurement form (base64 of MEASURE || MNONCE).
  auto measure = HexDecode(
      "6faab2daae389bcd3405a05d6cafe33c0414f7bedd0bae19ba5f38b7fd1664ea"
      "4fbe0bedbad6c86ae8f68971d103e554");
  ASSERT_TRUE(measure.ok());
  args = VectorMeasurementArgs();
  args.resize(12);
  args.insert(args.end(), {"--measurement", Base64Encode(*measure)});
  EXPECT_EQ(Invoke(RunSevMeasurement, args).code, 0);
}

TEST(SevCli, MeasurementMismatchAndUsage) {
  std::vector<std::string> args = VectorMeasurementArgs();
  args[9] = "1";  // policy
  args.push_back("--json");
  const CliRun r = Invoke(RunSevMeasurement, args);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out)["errors"][0]["code"], "sev.measurement_mismatch");

  args = VectorMeasurementArgs();
  args[1] = "66320db7";  // short TIK
  EXPECT_EQ(Invoke(RunSevMeasurement, args).code, 2);
  args = VectorMeasurementArgs();
  args[3] = "256";  // api-major out of range
  EXPECT_EQ(Invoke(RunSevMeasurement, args).code, 2);
  args = VectorMeasurementArgs();
  args.insert(args.end(), {"--firmware", "/dev/null"});  // both --digest and --firmware
  EXPECT_EQ(Invoke(RunSevMeasurement, args).code, 2);
  args = VectorMeasurementArgs();
  args.resize(14);  // no --measure
  EXPECT_EQ(Invoke(RunSevMeasurement, args).code, 2);
}

TEST(SevCli, MeasurementFromFirmwareImage) {
  TempDir dir;
  const Bytes firmware(4096, 0x77);
  const std::string fw = dir.Write("OVMF.fd", firmware);
  const Sha256Digest ld = Sha256(firmware);
  std::vector<std::string> args = VectorMeasurementArgs();
  // Recompute the expected MEASURE for this digest with the vector's other inputs.
  args[11] = HexEncode(ld);
  // Digest path and firmware path must agree; the measure differs from the vector, so both
  // mismatch the vector's MEASURE in the same way.
  EXPECT_EQ(Invoke(RunSevMeasurement, args).code, 1);
  std::vector<std::string> fw_args = VectorMeasurementArgs();
  fw_args.erase(fw_args.begin() + 10, fw_args.begin() + 12);
  fw_args.insert(fw_args.end(), {"--firmware", fw, "--json"});
  const CliRun r = Invoke(RunSevMeasurement, fw_args);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out)["claims"]["launch_digest"], HexEncode(ld));
}

// SEV-ES through the CLI: the expected digest is virtee/sev's published one for 4 vCPUs of EPYC-v4
// (tests/sev/data/PROVENANCE.md); the MEASURE is made from it with the vector's TIK.
TEST(SevCli, MeasurementSevEsFromFirmwareAndCpuModel) {
  sev::LaunchMeasureInput in;
  in.api_major = 0;
  in.api_minor = 18;
  in.build = 15;
  in.policy = 0x4;
  const Bytes ld = *HexDecode("0dccbcaba8e90b261bd0d2e1863a2f9da714768b7b2a19363cd6ae35aa90de91");
  std::copy(ld.begin(), ld.end(), in.launch_digest.begin());
  in.mnonce.fill(0x42);
  const Bytes tik = *HexDecode("66320db73158a35a255d051758e95ed4");
  auto measure = sev::ComputeLaunchMeasure(tik, in);
  ASSERT_TRUE(measure.ok());
  auto args = [&](const std::string& vcpus) {
    return std::vector<std::string>{"--tik",       HexEncode(tik),
                                    "--api-major", "0",
                                    "--api-minor", "18",
                                    "--build",     "15",
                                    "--policy",    "4",
                                    "--firmware",  "tests/sev/data/ovmf_AmdSev_suffix.bin",
                                    "--kernel",    "/dev/null",
                                    "--initrd",    "/dev/null",
                                    "--cpu",       "EPYC-v4",
                                    "--vcpus",     vcpus,
                                    "--mnonce",    HexEncode(in.mnonce),
                                    "--measure",   HexEncode(*measure)};
  };
  EXPECT_EQ(Invoke(RunSevMeasurement, args("4")).code, 0);
  EXPECT_EQ(Invoke(RunSevMeasurement, args("3")).code, 1);
  std::vector<std::string> bad = args("4");
  bad[17] = "Pentium";
  EXPECT_EQ(Invoke(RunSevMeasurement, bad).code, 2);
}

TEST(SevCli, SessionWritesPrivateFilesThePlatformAccepts) {
  TempDir dir;
  testing::SevPlatformModel model = testing::SevPlatformModel::Create();
  const std::string pdh = dir.Write("pdh.cert", model.pdh());
  const std::string pek = dir.Write("pek.cert", model.pek());
  const std::string oca = dir.Write("oca.cert", model.oca());
  const std::string cek = dir.Write("cek.cert", model.cek());
  const std::string ask = dir.Write("ask.cert", model.ask());
  const std::string ark = dir.Write("ark.cert", model.ark());
  const std::string out = dir.path() + "/out";
  ASSERT_EQ(mkdir(out.c_str(), 0700), 0);
  const CliRun r =
      Invoke(RunSevSession, {"--pdh", pdh, "--pek", pek, "--oca", oca, "--cek", cek, "--ask", ask,
                             "--ark", ark, "--policy", "0x33", "--out", out, "--json"});
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["claims"]["pdh_verified"], true);
  for (const char* name : {"dhCert", "session", "tek", "tik"}) {
    SCOPED_TRACE(name);
    struct stat st {};
    ASSERT_EQ(stat((out + "/" + name).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  auto dh_text = ReadFileBytes(out + "/dhCert");
  auto session_text = ReadFileBytes(out + "/session");
  ASSERT_TRUE(dh_text.ok() && session_text.ok());
  auto dh = Base64Decode(std::string(dh_text->begin(), dh_text->end()));
  auto session = Base64Decode(std::string(session_text->begin(), session_text->end()));
  ASSERT_TRUE(dh.ok() && session.ok());
  ASSERT_TRUE(model.LaunchStart(*dh, *session, 0x33).ok());
  auto tek = ReadFileBytes(out + "/tek");
  ASSERT_TRUE(tek.ok());
  EXPECT_EQ(Bytes(model.unwrapped_keys().tek.begin(), model.unwrapped_keys().tek.end()), *tek);

  // A second run into the same directory refuses to overwrite the keys.
  EXPECT_EQ(Invoke(RunSevSession, {"--pdh", pdh, "--out", out}).code, 2);
}

TEST(SevCli, SessionRejectsUntrustedChainAndBadInput) {
  TempDir dir;
  testing::SevPlatformModel model = testing::SevPlatformModel::Create();
  const std::string pdh = dir.Write("pdh.cert", model.pdh());
  const std::string pek = dir.Write("pek.cert", model.pek());
  const std::string oca = dir.Write("oca.cert", model.oca());
  const std::string cek = dir.Write("cek.cert", model.cek());
  // The model's hierarchy does not chain to the built-in AMD roots.
  CliRun r = Invoke(RunSevSession, {"--pdh", pdh, "--pek", pek, "--oca", oca, "--cek", cek, "--out",
                                    dir.path(), "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(nlohmann::json::parse(r.out)["errors"][0]["code"], "sev.chain_untrusted");
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/session"));
  // PEK where the PDH belongs.
  r = Invoke(RunSevSession, {"--pdh", pek, "--out", dir.path(), "--json"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(Invoke(RunSevSession, {"--pdh", pdh}).code, 2);
  EXPECT_EQ(Invoke(RunSevSession, {"--pdh", pdh, "--out", dir.path(), "--policy", "zz"}).code, 2);
  EXPECT_EQ(Invoke(RunSevSession, {"--pdh", pdh, "--out", dir.path() + "/nope"}).code, 2);
  // Without the chain the session is still made, and says so.
  r = Invoke(RunSevSession, {"--pdh", pdh, "--out", dir.path(), "--json"});
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["claims"]["pdh_verified"], false);
}

}  // namespace
}  // namespace attest::cli
