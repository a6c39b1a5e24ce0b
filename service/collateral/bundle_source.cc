#include "service/collateral/bundle_source.h"

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <vector>

#include "attest/core/file_io.h"

namespace attest::service::collateral {
namespace {

namespace fs = std::filesystem;

// ReadFirst reads dir/<name> for the first name that exists; empty when none does.
Result<Bytes> ReadFirst(const std::string& dir, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const std::string path = (fs::path(dir) / name).string();
    if (fs::exists(path)) {
      return ReadFileBytes(path);
    }
  }
  return Bytes{};
}

Result<tdx::Collateral> LoadJsonFile(const std::string& path) {
  ATTEST_ASSIGN_OR_RETURN(const Bytes text, ReadFileBytes(path));
  return tdx::ParseCollateralJson(
      std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
}

}  // namespace

Result<tdx::Collateral> LoadPcsDirectory(const std::string& dir) {
  tdx::PcsFiles files;
  ATTEST_ASSIGN_OR_RETURN(Bytes tcb, ReadFirst(dir, {"tcb_info.json"}));
  files.tcb_info_response.assign(tcb.begin(), tcb.end());
  ATTEST_ASSIGN_OR_RETURN(Bytes qe, ReadFirst(dir, {"qe_identity.json"}));
  files.qe_identity_response.assign(qe.begin(), qe.end());
  ATTEST_ASSIGN_OR_RETURN(files.tcb_info_issuer_chain,
                          ReadFirst(dir, {"tcb_info_issuer_chain.pem"}));
  ATTEST_ASSIGN_OR_RETURN(files.qe_identity_issuer_chain,
                          ReadFirst(dir, {"qe_identity_issuer_chain.pem"}));
  ATTEST_ASSIGN_OR_RETURN(files.pck_crl, ReadFirst(dir, {"pck_crl.der", "pck_crl.pem"}));
  ATTEST_ASSIGN_OR_RETURN(files.root_ca_crl,
                          ReadFirst(dir, {"root_ca_crl.der", "root_ca_crl.pem"}));
  ATTEST_ASSIGN_OR_RETURN(files.pck_crl_issuer_chain, ReadFirst(dir, {"pck_crl_issuer_chain.pem"}));
  return tdx::CollateralFromPcs(files);
}

Result<BundleCollateralSource> BundleCollateralSource::Load(const std::string& path) {
  BundleCollateralSource bundle;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    ATTEST_RETURN_IF_ERROR(bundle.Add(path, LoadJsonFile(path)));
    return bundle;
  }
  if (!fs::is_directory(path, ec)) {
    return Status(reasons::kFileUnreadable,
                  "collateral bundle " + path + " is neither a file nor a directory");
  }
  // Sorted, so which file a failure names does not depend on the directory's order.
  std::vector<fs::path> entries;
  for (const fs::directory_entry& e : fs::directory_iterator(path, ec)) {
    entries.push_back(e.path());
  }
  if (ec) {
    return Status(reasons::kFileUnreadable, "collateral bundle " + path + ": " + ec.message());
  }
  std::sort(entries.begin(), entries.end());
  for (const fs::path& p : entries) {
    if (fs::is_directory(p, ec)) {
      ATTEST_RETURN_IF_ERROR(bundle.Add(p.string(), LoadPcsDirectory(p.string())));
    } else if (p.extension() == ".json" && fs::is_regular_file(p, ec)) {
      ATTEST_RETURN_IF_ERROR(bundle.Add(p.string(), LoadJsonFile(p.string())));
    }
  }
  return bundle;
}

Status BundleCollateralSource::Add(const std::string& origin, Result<tdx::Collateral> collateral) {
  if (!collateral.ok()) {
    return collateral.status().WithContext(origin);
  }
  Result<tdx::TcbInfo> tcb = tdx::ParseTcbInfo(collateral->tcb_info_body);
  if (!tcb.ok()) {
    return tcb.status().WithContext(origin);
  }
  const std::string key = DcapCollateralKey(*tcb);
  auto it = by_key_.find(key);
  if (it != by_key_.end() &&
      it->second.tcb_evaluation_data_number >= tcb->tcb_evaluation_data_number) {
    return Status::Ok();
  }
  by_key_[key] = Entry{std::move(collateral).value(), tcb->tcb_evaluation_data_number};
  return Status::Ok();
}

Result<std::optional<tdx::Collateral>> BundleCollateralSource::TdxCollateral(
    const tdx::Quote& quote) {
  const std::optional<std::string> key = DcapCollateralKey(quote);
  if (!key) {
    return std::optional<tdx::Collateral>();
  }
  auto it = by_key_.find(*key);
  if (it == by_key_.end()) {
    return std::optional<tdx::Collateral>();
  }
  return std::optional<tdx::Collateral>(it->second.collateral);
}

}  // namespace attest::service::collateral
