#include "attest/tdx/collateral.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/json.h"

namespace attest::tdx {
namespace {

using nlohmann::json;

constexpr Reason kBad = reasons::kTdxCollateralMalformed;
// Real TCB info documents are ~10-20 KB; anything far larger is refused before parsing.
constexpr size_t kMaxJsonBytes = 1 << 20;
constexpr size_t kMaxLevels = 256;
constexpr size_t kMaxAdvisories = 256;

Status Bad(std::string_view where, std::string_view what) {
  return Status(kBad, std::string(where) + ": " + std::string(what));
}

Result<const json*> Member(const json& obj, const char* key, json::value_t type,
                           std::string_view where) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    return Bad(where, std::string("missing field ") + key);
  }
  const bool number_ok =
      type == json::value_t::number_unsigned && (it->type() == json::value_t::number_unsigned);
  if (it->type() != type && !number_ok) {
    return Bad(where, std::string("field ") + key + " has the wrong type");
  }
  return &*it;
}

Result<std::string> StringField(const json& obj, const char* key, std::string_view where) {
  ATTEST_ASSIGN_OR_RETURN(const json* v, Member(obj, key, json::value_t::string, where));
  return v->get<std::string>();
}

Result<uint64_t> UintField(const json& obj, const char* key, uint64_t max, std::string_view where) {
  ATTEST_ASSIGN_OR_RETURN(const json* v, Member(obj, key, json::value_t::number_unsigned, where));
  const uint64_t n = v->get<uint64_t>();
  if (n > max) {
    return Bad(where, std::string("field ") + key + " out of range");
  }
  return n;
}

template <size_t N>
Result<std::array<uint8_t, N>> HexField(const json& obj, const char* key, std::string_view where) {
  ATTEST_ASSIGN_OR_RETURN(std::string text, StringField(obj, key, where));
  auto bytes = HexDecode(text);
  if (!bytes.ok() || bytes->size() != N) {
    return Bad(where, std::string("field ") + key + " is not " + std::to_string(N) + " hex bytes");
  }
  std::array<uint8_t, N> out{};
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

Result<TimePoint> TimeField(const json& obj, const char* key, std::string_view where) {
  ATTEST_ASSIGN_OR_RETURN(std::string text, StringField(obj, key, where));
  auto t = ParseRfc3339(text);
  if (!t.ok()) {
    return Bad(where, std::string("field ") + key + " is not an RFC 3339 time");
  }
  return *t;
}

Result<TcbStatus> StatusField(const json& obj, std::string_view where) {
  ATTEST_ASSIGN_OR_RETURN(std::string text, StringField(obj, "tcbStatus", where));
  auto status = ParseTcbStatus(text);
  // TDRelaunchAdvised* are verdicts of the algorithm, never statuses of a published level.
  if (!status || *status == TcbStatus::kTdRelaunchAdvised ||
      *status == TcbStatus::kTdRelaunchAdvisedConfigurationNeeded) {
    return Status(reasons::kTdxCollateralUnsupported,
                  std::string(where) + ": unknown tcbStatus \"" + text + "\"");
  }
  return *status;
}

Result<std::vector<std::string>> Advisories(const json& level, std::string_view where) {
  std::vector<std::string> out;
  auto it = level.find("advisoryIDs");
  if (it == level.end()) {
    return out;
  }
  if (!it->is_array() || it->size() > kMaxAdvisories) {
    return Bad(where, "bad advisoryIDs");
  }
  for (const json& a : *it) {
    if (!a.is_string()) {
      return Bad(where, "advisory id is not a string");
    }
    out.push_back(a.get<std::string>());
  }
  return out;
}

Result<const json*> ArrayField(const json& obj, const char* key, size_t max,
                               std::string_view where) {
  ATTEST_ASSIGN_OR_RETURN(const json* v, Member(obj, key, json::value_t::array, where));
  if (v->size() > max) {
    return Bad(where, std::string("too many entries in ") + key);
  }
  return v;
}

Result<std::vector<IsvLevel>> IsvLevels(const json& obj, std::string_view where) {
  ATTEST_ASSIGN_OR_RETURN(const json* levels, ArrayField(obj, "tcbLevels", kMaxLevels, where));
  std::vector<IsvLevel> out;
  for (const json& l : *levels) {
    if (!l.is_object()) {
      return Bad(where, "tcb level is not an object");
    }
    IsvLevel level;
    ATTEST_ASSIGN_OR_RETURN(const json* tcb, Member(l, "tcb", json::value_t::object, where));
    ATTEST_ASSIGN_OR_RETURN(uint64_t svn, UintField(*tcb, "isvsvn", 65535, where));
    level.isv_svn = static_cast<uint16_t>(svn);
    ATTEST_ASSIGN_OR_RETURN(level.tcb_date, StringField(l, "tcbDate", where));
    ATTEST_ASSIGN_OR_RETURN(level.status, StatusField(l, where));
    ATTEST_ASSIGN_OR_RETURN(level.advisory_ids, Advisories(l, where));
    out.push_back(std::move(level));
  }
  return out;
}

Result<std::array<uint8_t, 16>> Components(const json& tcb, const char* key,
                                           std::string_view where) {
  ATTEST_ASSIGN_OR_RETURN(const json* comps, ArrayField(tcb, key, 16, where));
  if (comps->size() != 16) {
    return Bad(where, std::string(key) + " must have 16 entries");
  }
  std::array<uint8_t, 16> out{};
  for (size_t i = 0; i < 16; ++i) {
    if (!(*comps)[i].is_object()) {
      return Bad(where, "tcb component is not an object");
    }
    ATTEST_ASSIGN_OR_RETURN(uint64_t svn, UintField((*comps)[i], "svn", 255, where));
    out[i] = static_cast<uint8_t>(svn);
  }
  return out;
}

// ParseObject reads a whole document with the strict reader (attest/core/json.h); members, when
// set, receives the exact text of each top-level member's value.
Result<json> ParseObject(std::string_view text, std::string_view where,
                         std::vector<JsonMemberText>* members = nullptr) {
  if (text.size() > kMaxJsonBytes) {
    return Bad(where, "document too large");
  }
  JsonReadOptions options;
  options.top_level_members = members;
  Result<json> doc = ReadJson(text, kBad, options);
  if (!doc.ok() || !doc->is_object()) {
    return Bad(where, "not a JSON object");
  }
  return doc;
}

size_t SkipWs(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
    ++i;
  }
  return i;
}

// SkipValue returns the index after the strict JSON value starting at i, or npos.
size_t SkipValue(std::string_view s, size_t i) {
  Result<size_t> end = SkipJsonValue(s, i, kBad);
  return end.ok() ? *end : std::string_view::npos;
}

Result<Bytes> CrlField(const json& doc, const char* key) {
  ATTEST_ASSIGN_OR_RETURN(std::string text, StringField(doc, key, "collateral"));
  if (text.find("-----BEGIN") != std::string::npos) {
    return Bytes(text.begin(), text.end());
  }
  auto der = HexDecode(text);
  if (!der.ok() || der->empty()) {
    return Bad("collateral", std::string(key) + " is neither hex DER nor PEM");
  }
  return std::move(der).value();
}

Result<Bytes> SignatureHex(std::string_view text, std::string_view where) {
  auto sig = HexDecode(text);
  if (!sig.ok() || sig->size() != 64) {
    return Bad(where, "signature is not 64 hex bytes (r||s)");
  }
  return std::move(sig).value();
}

}  // namespace

std::string_view TcbStatusName(TcbStatus status) {
  switch (status) {
    case TcbStatus::kUpToDate:
      return "UpToDate";
    case TcbStatus::kSwHardeningNeeded:
      return "SWHardeningNeeded";
    case TcbStatus::kConfigurationNeeded:
      return "ConfigurationNeeded";
    case TcbStatus::kConfigurationAndSwHardeningNeeded:
      return "ConfigurationAndSWHardeningNeeded";
    case TcbStatus::kOutOfDate:
      return "OutOfDate";
    case TcbStatus::kOutOfDateConfigurationNeeded:
      return "OutOfDateConfigurationNeeded";
    case TcbStatus::kRevoked:
      return "Revoked";
    case TcbStatus::kTdRelaunchAdvised:
      return "TDRelaunchAdvised";
    case TcbStatus::kTdRelaunchAdvisedConfigurationNeeded:
      return "TDRelaunchAdvisedConfigurationNeeded";
  }
  return "Unknown";
}

std::optional<TcbStatus> ParseTcbStatus(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(TcbStatus::kTdRelaunchAdvisedConfigurationNeeded); ++i) {
    const auto s = static_cast<TcbStatus>(i);
    if (TcbStatusName(s) == name) {
      return s;
    }
  }
  return std::nullopt;
}

std::array<uint8_t, 32> Collateral::Fingerprint() const {
  Sha256Hasher h;
  for (ByteSpan field :
       {AsBytes(tcb_info_body), ByteSpan(tcb_info_signature), ByteSpan(tcb_info_issuer_chain),
        AsBytes(qe_identity_body), ByteSpan(qe_identity_signature),
        ByteSpan(qe_identity_issuer_chain), ByteSpan(pck_crl), ByteSpan(root_ca_crl),
        ByteSpan(pck_crl_issuer_chain)}) {
    h.UpdateWithLength(field);
  }
  return h.Finish();
}

Result<std::string_view> TopLevelMemberSpan(std::string_view doc, std::string_view key) {
  size_t i = SkipWs(doc, 0);
  if (i >= doc.size() || doc[i] != '{') {
    return Bad("pcs response", "not a JSON object");
  }
  i = SkipWs(doc, i + 1);
  std::optional<std::string_view> found;
  while (i < doc.size() && doc[i] != '}') {
    const size_t key_end = doc[i] == '"' ? SkipValue(doc, i) : std::string_view::npos;
    if (key_end == std::string_view::npos) {
      return Bad("pcs response", "bad member name");
    }
    const std::string_view name = doc.substr(i + 1, key_end - i - 2);
    i = SkipWs(doc, key_end);
    if (i >= doc.size() || doc[i] != ':') {
      return Bad("pcs response", "missing ':'");
    }
    const size_t value_begin = SkipWs(doc, i + 1);
    const size_t value_end = SkipValue(doc, value_begin);
    if (value_end == std::string_view::npos || value_end == value_begin) {
      return Bad("pcs response", "bad member value");
    }
    if (name == key) {
      if (found) {
        return Bad("pcs response", "member \"" + std::string(key) + "\" appears twice");
      }
      found = doc.substr(value_begin, value_end - value_begin);
    }
    i = SkipWs(doc, value_end);
    if (i < doc.size() && doc[i] == ',') {
      i = SkipWs(doc, i + 1);
    }
  }
  if (!found) {
    return Bad("pcs response", "member \"" + std::string(key) + "\" missing");
  }
  return *found;
}

Result<Collateral> ParseCollateralJson(std::string_view text) {
  ATTEST_ASSIGN_OR_RETURN(json doc, ParseObject(text, "collateral"));
  return CollateralFromJson(doc);
}

Result<Collateral> CollateralFromJson(const json& doc) {
  if (!doc.is_object()) {
    return Bad("collateral", "not a JSON object");
  }
  Collateral c;
  ATTEST_ASSIGN_OR_RETURN(std::string chain,
                          StringField(doc, "pck_crl_issuer_chain", "collateral"));
  c.pck_crl_issuer_chain.assign(chain.begin(), chain.end());
  ATTEST_ASSIGN_OR_RETURN(c.root_ca_crl, CrlField(doc, "root_ca_crl"));
  ATTEST_ASSIGN_OR_RETURN(c.pck_crl, CrlField(doc, "pck_crl"));
  ATTEST_ASSIGN_OR_RETURN(chain, StringField(doc, "tcb_info_issuer_chain", "collateral"));
  c.tcb_info_issuer_chain.assign(chain.begin(), chain.end());
  ATTEST_ASSIGN_OR_RETURN(c.tcb_info_body, StringField(doc, "tcb_info", "collateral"));
  ATTEST_ASSIGN_OR_RETURN(std::string sig, StringField(doc, "tcb_info_signature", "collateral"));
  ATTEST_ASSIGN_OR_RETURN(c.tcb_info_signature, SignatureHex(sig, "tcb_info_signature"));
  ATTEST_ASSIGN_OR_RETURN(chain, StringField(doc, "qe_identity_issuer_chain", "collateral"));
  c.qe_identity_issuer_chain.assign(chain.begin(), chain.end());
  ATTEST_ASSIGN_OR_RETURN(c.qe_identity_body, StringField(doc, "qe_identity", "collateral"));
  ATTEST_ASSIGN_OR_RETURN(sig, StringField(doc, "qe_identity_signature", "collateral"));
  ATTEST_ASSIGN_OR_RETURN(c.qe_identity_signature, SignatureHex(sig, "qe_identity_signature"));
  return c;
}

std::string CollateralToJson(const Collateral& c) {
  auto text = [](const Bytes& b) { return std::string(b.begin(), b.end()); };
  const json doc = {{"pck_crl_issuer_chain", text(c.pck_crl_issuer_chain)},
                    {"root_ca_crl", HexEncode(c.root_ca_crl)},
                    {"pck_crl", HexEncode(c.pck_crl)},
                    {"tcb_info_issuer_chain", text(c.tcb_info_issuer_chain)},
                    {"tcb_info", c.tcb_info_body},
                    {"tcb_info_signature", HexEncode(c.tcb_info_signature)},
                    {"qe_identity_issuer_chain", text(c.qe_identity_issuer_chain)},
                    {"qe_identity", c.qe_identity_body},
                    {"qe_identity_signature", HexEncode(c.qe_identity_signature)}};
  return doc.dump();
}

Result<Collateral> CollateralFromPcs(const PcsFiles& files) {
  auto need = [](bool present, const char* what) -> Status {
    if (present) {
      return Status::Ok();
    }
    return Status(reasons::kTdxCollateralMissing, std::string("collateral: ") + what + " missing");
  };
  ATTEST_RETURN_IF_ERROR(need(!files.tcb_info_response.empty(), "TCB info response"));
  ATTEST_RETURN_IF_ERROR(need(!files.qe_identity_response.empty(), "QE identity response"));
  ATTEST_RETURN_IF_ERROR(need(!files.tcb_info_issuer_chain.empty(), "TCB info issuer chain"));
  ATTEST_RETURN_IF_ERROR(need(!files.qe_identity_issuer_chain.empty(), "QE identity issuer chain"));
  ATTEST_RETURN_IF_ERROR(need(!files.pck_crl.empty(), "PCK CRL"));
  ATTEST_RETURN_IF_ERROR(need(!files.root_ca_crl.empty(), "root CA CRL"));
  Collateral c;
  for (int which = 0; which < 2; ++which) {
    const std::string& body = which == 0 ? files.tcb_info_response : files.qe_identity_response;
    const char* member = which == 0 ? "tcbInfo" : "enclaveIdentity";
    // One strict read gives both the values and the exact signed text of the member (a repeated
    // member is refused by the reader itself).
    std::vector<JsonMemberText> members;
    ATTEST_ASSIGN_OR_RETURN(json doc, ParseObject(body, member, &members));
    auto found = std::find_if(members.begin(), members.end(),
                              [&](const JsonMemberText& m) { return m.name == member; });
    if (found == members.end()) {
      return Bad("pcs response", "member \"" + std::string(member) + "\" missing");
    }
    const std::string_view span = found->text;
    ATTEST_ASSIGN_OR_RETURN(std::string sig_hex, StringField(doc, "signature", member));
    ATTEST_ASSIGN_OR_RETURN(Bytes sig, SignatureHex(sig_hex, member));
    if (which == 0) {
      c.tcb_info_body = std::string(span);
      c.tcb_info_signature = std::move(sig);
    } else {
      c.qe_identity_body = std::string(span);
      c.qe_identity_signature = std::move(sig);
    }
  }
  c.tcb_info_issuer_chain = files.tcb_info_issuer_chain;
  c.qe_identity_issuer_chain = files.qe_identity_issuer_chain;
  c.pck_crl = files.pck_crl;
  c.root_ca_crl = files.root_ca_crl;
  c.pck_crl_issuer_chain = files.pck_crl_issuer_chain;
  return c;
}

Result<TcbInfo> ParseTcbInfo(std::string_view body) {
  constexpr std::string_view kWhere = "tcb info";
  ATTEST_ASSIGN_OR_RETURN(json doc, ParseObject(body, kWhere));
  TcbInfo t;
  ATTEST_ASSIGN_OR_RETURN(uint64_t version, UintField(doc, "version", 1000, kWhere));
  t.version = static_cast<int>(version);
  ATTEST_ASSIGN_OR_RETURN(t.id, StringField(doc, "id", kWhere));
  if (t.version != 3 || (t.id != "SGX" && t.id != "TDX")) {
    return Status(reasons::kTdxCollateralUnsupported, "tcb info: id " + t.id + " version " +
                                                          std::to_string(t.version) +
                                                          ", want SGX or TDX version 3");
  }
  ATTEST_ASSIGN_OR_RETURN(t.issue_date, TimeField(doc, "issueDate", kWhere));
  ATTEST_ASSIGN_OR_RETURN(t.next_update, TimeField(doc, "nextUpdate", kWhere));
  ATTEST_ASSIGN_OR_RETURN(t.fmspc, HexField<6>(doc, "fmspc", kWhere));
  ATTEST_ASSIGN_OR_RETURN(t.pce_id, HexField<2>(doc, "pceId", kWhere));
  ATTEST_ASSIGN_OR_RETURN(uint64_t tcb_type, UintField(doc, "tcbType", 1000, kWhere));
  if (tcb_type != 0) {
    return Status(reasons::kTdxCollateralUnsupported,
                  "tcb info: tcbType " + std::to_string(tcb_type) + ", want 0");
  }
  ATTEST_ASSIGN_OR_RETURN(uint64_t eval,
                          UintField(doc, "tcbEvaluationDataNumber", 1u << 30, kWhere));
  t.tcb_evaluation_data_number = static_cast<int64_t>(eval);
  const bool tdx = t.id == "TDX";
  if (tdx) {
    ATTEST_ASSIGN_OR_RETURN(const json* m, Member(doc, "tdxModule", json::value_t::object, kWhere));
    t.has_tdx_module = true;
    ATTEST_ASSIGN_OR_RETURN(t.tdx_module_mr_signer, HexField<48>(*m, "mrsigner", kWhere));
    ATTEST_ASSIGN_OR_RETURN(t.tdx_module_attributes, HexField<8>(*m, "attributes", kWhere));
    ATTEST_ASSIGN_OR_RETURN(t.tdx_module_attributes_mask,
                            HexField<8>(*m, "attributesMask", kWhere));
    if (doc.contains("tdxModuleIdentities")) {
      ATTEST_ASSIGN_OR_RETURN(const json* ids,
                              ArrayField(doc, "tdxModuleIdentities", kMaxLevels, kWhere));
      for (const json& entry : *ids) {
        if (!entry.is_object()) {
          return Bad(kWhere, "tdx module identity is not an object");
        }
        TdxModuleIdentity id;
        ATTEST_ASSIGN_OR_RETURN(id.id, StringField(entry, "id", kWhere));
        ATTEST_ASSIGN_OR_RETURN(id.mr_signer, HexField<48>(entry, "mrsigner", kWhere));
        ATTEST_ASSIGN_OR_RETURN(id.attributes, HexField<8>(entry, "attributes", kWhere));
        ATTEST_ASSIGN_OR_RETURN(id.attributes_mask, HexField<8>(entry, "attributesMask", kWhere));
        ATTEST_ASSIGN_OR_RETURN(id.tcb_levels, IsvLevels(entry, kWhere));
        t.tdx_module_identities.push_back(std::move(id));
      }
    }
  }
  ATTEST_ASSIGN_OR_RETURN(const json* levels, ArrayField(doc, "tcbLevels", kMaxLevels, kWhere));
  if (levels->empty()) {
    return Bad(kWhere, "no tcbLevels");
  }
  for (const json& l : *levels) {
    if (!l.is_object()) {
      return Bad(kWhere, "tcb level is not an object");
    }
    TcbLevel level;
    ATTEST_ASSIGN_OR_RETURN(const json* tcb, Member(l, "tcb", json::value_t::object, kWhere));
    ATTEST_ASSIGN_OR_RETURN(level.sgx_components, Components(*tcb, "sgxtcbcomponents", kWhere));
    ATTEST_ASSIGN_OR_RETURN(uint64_t pce, UintField(*tcb, "pcesvn", 65535, kWhere));
    level.pce_svn = static_cast<uint16_t>(pce);
    if (tdx) {
      ATTEST_ASSIGN_OR_RETURN(level.tdx_components, Components(*tcb, "tdxtcbcomponents", kWhere));
      level.has_tdx_components = true;
    }
    ATTEST_ASSIGN_OR_RETURN(level.tcb_date, StringField(l, "tcbDate", kWhere));
    ATTEST_ASSIGN_OR_RETURN(level.status, StatusField(l, kWhere));
    ATTEST_ASSIGN_OR_RETURN(level.advisory_ids, Advisories(l, kWhere));
    t.tcb_levels.push_back(std::move(level));
  }
  return t;
}

Result<QeIdentity> ParseQeIdentity(std::string_view body) {
  constexpr std::string_view kWhere = "qe identity";
  ATTEST_ASSIGN_OR_RETURN(json doc, ParseObject(body, kWhere));
  QeIdentity q;
  ATTEST_ASSIGN_OR_RETURN(uint64_t version, UintField(doc, "version", 1000, kWhere));
  q.version = static_cast<int>(version);
  ATTEST_ASSIGN_OR_RETURN(q.id, StringField(doc, "id", kWhere));
  if (q.version != 2 || (q.id != "QE" && q.id != "TD_QE")) {
    return Status(reasons::kTdxCollateralUnsupported, "qe identity: id " + q.id + " version " +
                                                          std::to_string(q.version) +
                                                          ", want QE or TD_QE version 2");
  }
  ATTEST_ASSIGN_OR_RETURN(q.issue_date, TimeField(doc, "issueDate", kWhere));
  ATTEST_ASSIGN_OR_RETURN(q.next_update, TimeField(doc, "nextUpdate", kWhere));
  ATTEST_ASSIGN_OR_RETURN(uint64_t eval,
                          UintField(doc, "tcbEvaluationDataNumber", 1u << 30, kWhere));
  q.tcb_evaluation_data_number = static_cast<int64_t>(eval);
  // miscselect is the hex of the 4 report bytes, i.e. the little-endian encoding of the field.
  ATTEST_ASSIGN_OR_RETURN(auto misc, HexField<4>(doc, "miscselect", kWhere));
  ATTEST_ASSIGN_OR_RETURN(auto misc_mask, HexField<4>(doc, "miscselectMask", kWhere));
  auto le32 = [](const std::array<uint8_t, 4>& b) {
    return uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
  };
  q.misc_select = le32(misc);
  q.misc_select_mask = le32(misc_mask);
  ATTEST_ASSIGN_OR_RETURN(q.attributes, HexField<16>(doc, "attributes", kWhere));
  ATTEST_ASSIGN_OR_RETURN(q.attributes_mask, HexField<16>(doc, "attributesMask", kWhere));
  ATTEST_ASSIGN_OR_RETURN(q.mr_signer, HexField<32>(doc, "mrsigner", kWhere));
  ATTEST_ASSIGN_OR_RETURN(uint64_t prod, UintField(doc, "isvprodid", 65535, kWhere));
  q.isv_prod_id = static_cast<uint16_t>(prod);
  ATTEST_ASSIGN_OR_RETURN(q.tcb_levels, IsvLevels(doc, kWhere));
  if (q.tcb_levels.empty()) {
    return Bad(kWhere, "no tcbLevels");
  }
  return q;
}

}  // namespace attest::tdx
