// attestctl collateral fetch snp|tdx|sgx: fetch one piece of evidence's collateral from AMD KDS or
// Intel PCS / PCCS, verified as attestd verifies what it fetches, into files to carry to an
// air-gapped site: snp writes DIR/vcek.der, DIR/cert_chain.pem and DIR/crl.der (what `attestctl
// verify snp --collateral-dir` reads); tdx and sgx write one DCAP bundle (what `attestctl verify
// tdx --collateral` and POST /v1/collateral read). Existing files are never overwritten.
#include <filesystem>
#include <iostream>

#include "attest/core/file_io.h"
#include "attest/snp/wire.h"
#include "attest/tdx/wire.h"
#include "cli/commands.h"
#include "cli/input.h"
#include "cli/verify_output.h"
#include "flags/args.h"
#include "service/collateral/kds.h"
#include "service/collateral/pcs.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;
namespace col = service::collateral;

namespace {

constexpr char kUsage[] =
    "attestctl collateral fetch snp --report FILE --kds-url URL [--product Milan|Genoa|Turin] "
    "[--ca-cert FILE] [--proxy URL] [--at RFC3339] --out DIR\n"
    "attestctl collateral fetch tdx|sgx --quote FILE --pcs-url URL [--root-crl-url URL] "
    "[--update standard|early] [--ca-cert FILE] [--proxy URL] [--at RFC3339] --out FILE";

col::HttpClientOptions ClientOptions(const Args& args) {
  col::HttpClientOptions o;
  o.ca_bundle = args.Get("ca-cert").value_or("");
  o.proxy = args.Get("proxy").value_or("");
  return o;
}

int Fail(const Status& status) {
  std::cerr << "attestctl: " << status.ToString() << "\n";
  return kExitRejected;
}

int FetchSnp(const Args& args, TimePoint now) {
  auto report_path = args.Require("report");
  auto kds_url = args.Require("kds-url");
  auto out = args.Require("out");
  for (const Status& s : {report_path.status(), kds_url.status(), out.status()}) {
    if (!s.ok()) {
      return PrintUsageError(s, kUsage);
    }
  }
  std::optional<snp::Product> product;
  if (auto name = args.Get("product")) {
    product = snp::ProductFromName(*name);
    if (!product) {
      return PrintUsageError(Status(reasons::kCollateralBadRequest, "--product " + *name), kUsage);
    }
  }
  auto bytes = LoadEvidenceFile(*report_path);
  if (!bytes.ok()) {
    return PrintUsageError(bytes.status(), "");
  }
  auto report = snp::ParseSnpReport(*bytes);
  if (!report.ok()) {
    return Fail(report.status());
  }
  auto id = col::VcekIdForReport(*report, product);
  if (!id.ok()) {
    return Fail(id.status());
  }
  col::HttpClient client(ClientOptions(args));
  col::KdsFetcher kds(client, *kds_url, snp::SnpTrustRoots::BuiltIn());
  auto chain = kds.FetchCertChain(snp::EndorsementKind::kVcek, id->product, now);
  if (!chain.ok()) {
    return Fail(chain.status());
  }
  auto crl = kds.FetchCrl(snp::EndorsementKind::kVcek, id->product, now);
  if (!crl.ok()) {
    return Fail(crl.status());
  }
  auto vcek = kds.FetchVcek(*id, chain->bytes, crl->bytes, now);
  if (!vcek.ok()) {
    return Fail(vcek.status());
  }
  std::error_code ec;
  std::filesystem::create_directories(*out, ec);
  const std::filesystem::path dir(*out);
  for (const auto& [name, data] :
       {std::pair{"vcek.der", &vcek->bytes}, std::pair{"cert_chain.pem", &chain->bytes},
        std::pair{"crl.der", &crl->bytes}}) {
    if (Status s = WriteNewFile((dir / name).string(), *data, 0644); !s.ok()) {
      return PrintUsageError(s, "");
    }
  }
  std::cout << "wrote " << (dir / "vcek.der").string() << ", cert_chain.pem, crl.der (CRL valid "
            << "until " << FormatRfc3339(crl->valid_until) << ")\n";
  return kExitAccepted;
}

int FetchDcap(const Args& args, TimePoint now) {
  auto quote_path = args.Require("quote");
  auto pcs_url = args.Require("pcs-url");
  auto out = args.Require("out");
  for (const Status& s : {quote_path.status(), pcs_url.status(), out.status()}) {
    if (!s.ok()) {
      return PrintUsageError(s, kUsage);
    }
  }
  auto bytes = LoadEvidenceFile(*quote_path);
  if (!bytes.ok()) {
    return PrintUsageError(bytes.status(), "");
  }
  auto quote = tdx::ParseQuote(*bytes);
  if (!quote.ok()) {
    return Fail(quote.status());
  }
  auto id = col::DcapIdForQuote(*quote);
  if (!id.ok()) {
    return Fail(id.status());
  }
  col::PcsEndpoints endpoints;
  endpoints.base_url = *pcs_url;
  if (auto root = args.Get("root-crl-url")) {
    endpoints.root_crl_url = *root;
  }
  endpoints.update = args.Get("update").value_or("standard");
  if (endpoints.update != "standard" && endpoints.update != "early") {
    return PrintUsageError(Status(reasons::kCollateralBadRequest, "--update " + endpoints.update),
                           kUsage);
  }
  col::HttpClient client(ClientOptions(args));
  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  col::PcsFetcher pcs(client, endpoints, verifier);
  auto fetched = pcs.Fetch(*id, now);
  if (!fetched.ok()) {
    return Fail(fetched.status());
  }
  const std::string json = tdx::CollateralToJson(fetched->collateral);
  if (Status s = WriteNewFile(*out, AsBytes(json), 0644); !s.ok()) {
    return PrintUsageError(s, "");
  }
  std::cout << "wrote " << *out << " (" << col::DcapCacheKey(*id) << ", tcbEvaluationDataNumber "
            << fetched->tcb_evaluation_data_number << ", TCB info valid until "
            << FormatRfc3339(fetched->dates.tcb_info_next_update) << ")\n";
  return kExitAccepted;
}

}  // namespace

int RunCollateralFetch(int argc, char** argv, int first) {
  if (first >= argc) {
    return PrintUsageError(Status(reasons::kCollateralBadRequest, "want snp, tdx or sgx"), kUsage);
  }
  const std::string tee = argv[first];
  const FlagSpec spec{{"report", "quote", "kds-url", "pcs-url", "root-crl-url", "product", "update",
                       "ca-cert", "proxy", "at", "out"},
                      {}};
  auto args = Args::Parse(argc, argv, first + 1, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  auto now = VerificationTime(args->Get("at"));
  if (!now.ok()) {
    return PrintUsageError(now.status(), kUsage);
  }
  if (tee == "snp") {
    return FetchSnp(*args, *now);
  }
  if (tee == "tdx" || tee == "sgx") {
    return FetchDcap(*args, *now);
  }
  return PrintUsageError(Status(reasons::kCollateralBadRequest, "want snp, tdx or sgx, got " + tee),
                         kUsage);
}

}  // namespace attest::cli
