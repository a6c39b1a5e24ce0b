// software-tee: the software TEE (tests/testing/software_tee.h) as a program, for end-to-end tests
// against a real attestd process and for `attest-agent guest unlock --evidence-command`. TEST
// USE ONLY: it signs whatever REPORT_DATA / HOST_DATA it is given, under a test AMD hierarchy
// that attestd trusts only when its configuration names it (`test_roots`).
//
//   software-tee init --state FILE
//       a fresh test hierarchy (ARK -> ASK -> VCEK) valid around the wall clock, saved 0600
//   software-tee roots --state FILE
//       prints "ASK, ARK" (PEM): attestd's SNP test root chain
//   software-tee measurement --state FILE
//       prints the launch MEASUREMENT (hex) of the reports, for the tenant's policy
//   software-tee platform --state FILE [--host N]
//       prints simulated machine N's platform identity document (SoftwareTee::SimulatedPlatform;
//       default 0): what `attest-agent host --platform-file` reports for that machine
//   software-tee snp --state FILE [--host N] [--host-data-b64 B64] [--measurement HEX] [--debug]
//                    [--expired-crl] [--auxblob] REPORT_DATA_HEX
//       prints the POST /v1/attest "evidence" object: report, vcek, cert_chain and an ARK CRL
//       (valid now, or expired a day ago with --expired-crl); --debug sets guest policy DEBUG;
//       --auxblob sends VCEK, ASK, ARK and CRL as an SNP certificate table instead, as the
//       kernel's configfs-tsm auxblob carries them. --host N: the report comes from simulated
//       machine N's chip (its CHIP_ID, signed by a VCEK of that chip; default 0).
//       --measurement: the report's MEASUREMENT (96 hex digits) instead of the default one, as
//       firmware would report for a launch of a given boot image (tests/vm: a launch that does
//       not match what the tenant's policy pins).
//
// The hierarchy lives in a state file because attestd (trusting the roots) and each evidence
// call are separate processes. This is the one place a test helper reads the wall clock: it
// stands in for hardware, and attestd verifies at its own wall clock.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/snp/cert_table.h"
#include "flags/args.h"
#include "tests/testing/software_tee.h"

namespace {

using attest::Bytes;
using attest::Status;
using attest::testing::FakeSnpPlatform;
using attest::testing::SoftwareTee;

constexpr char kUsage[] =
    "usage: software-tee init|roots|measurement --state FILE\n"
    "       software-tee platform --state FILE [--host N]\n"
    "       software-tee snp --state FILE [--host N] [--host-data-b64 B64] [--measurement HEX] "
    "[--debug] [--expired-crl] [--auxblob] REPORT_DATA_HEX";

int Fail(const std::string& why) {
  std::cerr << "software-tee: " << why << "\n";
  return 1;
}

std::unique_ptr<FakeSnpPlatform> LoadState(const std::string& path) {
  auto text = attest::ReadFileBytes(path, 1 << 20);
  if (!text.ok()) {
    return nullptr;
  }
  return FakeSnpPlatform::Load(std::string(text->begin(), text->end()),
                               attest::snp::Product::kMilan);
}

}  // namespace

namespace {

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage << "\n";
    return 2;
  }
  const std::string verb = argv[1];
  auto args = attest::flags::Args::Parse(
      argc, argv, 2,
      {{"state", "host-data-b64", "host", "measurement"}, {"debug", "expired-crl", "auxblob"}});
  if (!args.ok()) {
    return Fail(args.status().ToString());
  }
  auto state = args->Require("state");
  if (!state.ok()) {
    return Fail(state.status().ToString());
  }
  const attest::TimePoint now = attest::WallClockNow();
  int host = 0;
  if (auto text = args->Get("host")) {
    if (text->empty() || text->size() > 3 ||
        text->find_first_not_of("0123456789") != std::string::npos) {
      return Fail("--host: a machine number 0..255");
    }
    for (char c : *text) {
      host = host * 10 + (c - '0');
    }
    if (host > 255) {
      return Fail("--host: a machine number 0..255");
    }
  }

  if (verb == "init") {
    FakeSnpPlatform platform(attest::snp::Product::kMilan, now);
    Status s = attest::WriteNewFile(*state, attest::AsBytes(platform.Save()), 0600);
    return s.ok() ? 0 : Fail(s.ToString());
  }
  auto platform = LoadState(*state);
  if (platform == nullptr) {
    return Fail(*state + ": no software-tee state (run init)");
  }
  SoftwareTee tee(std::move(platform));
  if (verb == "roots") {
    const Bytes pem = tee.SnpRootChainPem();
    std::cout << std::string(pem.begin(), pem.end());
    return 0;
  }
  if (verb == "platform") {
    std::cout
        << attest::protocol::SerializeHostPlatform(SoftwareTee::SimulatedPlatform(host)).value()
        << "\n";
    return 0;
  }
  if (host != 0) {
    tee.UseHost(host, now);
  }
  if (verb == "measurement") {
    std::cout << attest::HexEncode(tee.snp().DefaultReport().measurement) << "\n";
    return 0;
  }
  if (verb != "snp" || args->positional().size() != 1) {
    std::cerr << kUsage << "\n";
    return 2;
  }
  attest::testing::TeeLaunch launch;
  auto report_data = attest::HexDecode(args->positional()[0]);
  if (!report_data.ok() || report_data->size() != 64) {
    return Fail("REPORT_DATA: 128 hex digits");
  }
  launch.report_data = *report_data;
  if (auto b64 = args->Get("host-data-b64")) {
    auto host_data = attest::Base64Decode(*b64);
    if (!host_data.ok() || host_data->size() != 32) {
      return Fail("--host-data-b64: 32 bytes");
    }
    launch.launch_digest = *host_data;
  }
  if (auto hex = args->Get("measurement")) {
    auto measurement = attest::HexDecode(*hex);
    if (!measurement.ok() || measurement->size() != 48) {
      return Fail("--measurement: 96 hex digits");
    }
    launch.measurement = *measurement;
  }
  launch.debug = args->Has("debug");
  const auto day = std::chrono::hours(24);
  const Bytes crl = args->Has("expired-crl") ? tee.SnpCrlDer(now - 2 * day, now - day)
                                             : tee.SnpCrlDer(now - day, now + day);
  nlohmann::json evidence = {{"tee", "snp"},
                             {"report", attest::Base64Encode(tee.SnpReport(launch))}};
  if (args->Has("auxblob")) {
    auto guid = [](const char* text) { return attest::snp::ParseGuid(text).value(); };
    evidence["auxblob"] = attest::Base64Encode(attest::snp::BuildCertTable({
        {guid("63da758d-e664-4564-adc5-f4b93be8accd"), tee.snp().EndorsementDer()},
        {guid("4ab7b379-bbac-4fe4-a02f-05aef327c782"), attest::testing::DerOf(tee.snp().ask())},
        {guid("c0b406a4-a803-4952-9743-3fb6014cd0ae"), attest::testing::DerOf(tee.snp().ark())},
        {guid("92f81bc3-5811-4d3d-97ff-d19f88dc67ea"), crl},
    }));
  } else {
    evidence["vcek"] = attest::Base64Encode(tee.snp().EndorsementDer());
    evidence["cert_chain"] = attest::Base64Encode(attest::AsBytes(tee.snp().ChainPem()));
    evidence["crl"] = attest::Base64Encode(crl);
  }
  std::cout << evidence.dump() << "\n";
  return 0;
}

}  // namespace

// Errors are Status values; an exception that escapes is a bug, reported as one rather than by
// std::terminate's abort.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "software_tee_tool: internal error: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "software_tee_tool: internal error\n";
  }
  return 70;  // EX_SOFTWARE
}
