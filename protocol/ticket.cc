#include "protocol/ticket.h"

#include <nlohmann/json.hpp>

#include <set>

#include "attest/core/json.h"

namespace attest::protocol {
namespace {

Status Invalid(const std::string& why) {
  return Status(reasons::kReleaseTicketInvalid, "launch ticket: " + why);
}

bool AllowedChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("._:@/+=-").find(c) != std::string_view::npos;
}

Status CheckString(const std::string& field, const std::string& value) {
  if (value.empty()) {
    return Invalid(field + " is empty");
  }
  if (value.size() > kMaxTicketStringBytes) {
    return Invalid(field + " is longer than 128 bytes");
  }
  for (char c : value) {
    if (!AllowedChar(c)) {
      return Invalid(field + " has a character outside [A-Za-z0-9._:@/+=-]");
    }
  }
  return Status::Ok();
}

Status Check(const LaunchTicket& t) {
  ATTEST_RETURN_IF_ERROR(CheckString("vm_id", t.vm_id));
  ATTEST_RETURN_IF_ERROR(CheckString("tenant_id", t.tenant_id));
  ATTEST_RETURN_IF_ERROR(CheckString("policy.name", t.policy_name));
  ATTEST_RETURN_IF_ERROR(CheckString("host_id", t.host_id));
  if (t.tee != "snp" && t.tee != "tdx" && t.tee != "sev" && t.tee != "sev-es") {
    return Invalid("tee must be \"snp\", \"tdx\", \"sev\" or \"sev-es\"");
  }
  if (t.policy_version < 1) {
    return Invalid("policy.version must be >= 1");
  }
  if (t.policy_sha256.size() != 64 ||
      t.policy_sha256.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Invalid("policy.sha256 must be 64 lower-case hex digits");
  }
  if (t.volume_ids.size() > kMaxTicketVolumes) {
    return Invalid("more than 64 volumes");
  }
  std::set<std::string> seen;
  for (const std::string& v : t.volume_ids) {
    ATTEST_RETURN_IF_ERROR(CheckString("volume_ids[]", v));
    if (!seen.insert(v).second) {
      return Invalid("volume " + v + " listed twice");
    }
  }
  if (ToUnixSeconds(t.created_at) < 0) {
    return Invalid("created_at before 1970");
  }
  return Status::Ok();
}

}  // namespace

Result<Bytes> SerializeTicket(const LaunchTicket& t) {
  ATTEST_RETURN_IF_ERROR(Check(t));
  // nlohmann::json objects are std::map: keys come out in byte order, and dump() without indent
  // has no whitespace. Check() guarantees no string needs an escape.
  nlohmann::json j;
  j["v"] = 1;
  j["vm_id"] = t.vm_id;
  j["tenant_id"] = t.tenant_id;
  j["tee"] = t.tee;
  j["policy"] = {
      {"name", t.policy_name}, {"version", t.policy_version}, {"sha256", t.policy_sha256}};
  j["volume_ids"] = t.volume_ids;
  j["host_id"] = t.host_id;
  j["created_at"] = FormatRfc3339(t.created_at);
  const std::string text = j.dump();
  return Bytes(text.begin(), text.end());
}

Result<LaunchTicket> ParseTicket(ByteSpan bytes) {
  if (bytes.size() > kMaxTicketBytes) {
    return Invalid("longer than 16 KiB");
  }
  const std::string text(bytes.begin(), bytes.end());
  Result<nlohmann::json> parsed = ReadJson(text, reasons::kReleaseTicketInvalid);
  if (!parsed.ok() || !parsed->is_object() || parsed->size() != 8) {
    return Invalid("not an object with the 8 ticket keys");
  }
  const nlohmann::json& j = *parsed;
  LaunchTicket t;
  try {
    if (j.at("v").get<int64_t>() != 1) {
      return Invalid("version is not 1");
    }
    t.vm_id = j.at("vm_id").get<std::string>();
    t.tenant_id = j.at("tenant_id").get<std::string>();
    t.tee = j.at("tee").get<std::string>();
    const nlohmann::json& p = j.at("policy");
    if (!p.is_object() || p.size() != 3) {
      return Invalid("policy is not {name, sha256, version}");
    }
    t.policy_name = p.at("name").get<std::string>();
    if (!p.at("version").is_number_integer()) {
      return Invalid("policy.version is not an integer");
    }
    t.policy_version = p.at("version").get<int64_t>();
    t.policy_sha256 = p.at("sha256").get<std::string>();
    if (!j.at("volume_ids").is_array()) {
      return Invalid("volume_ids is not an array");
    }
    if (j.at("volume_ids").size() > kMaxTicketVolumes) {
      return Invalid("more than 64 volumes");
    }
    for (const auto& v : j.at("volume_ids")) {
      t.volume_ids.push_back(v.get<std::string>());
    }
    t.host_id = j.at("host_id").get<std::string>();
    auto created_at = ParseRfc3339(j.at("created_at").get<std::string>());
    if (!created_at.ok()) {
      return Invalid("created_at is not an RFC 3339 time");
    }
    t.created_at = *created_at;
  } catch (const nlohmann::json::exception&) {
    return Invalid("a key is missing or has the wrong type");
  }
  // Only the canonical bytes of a valid ticket are a ticket: a digest over any other spelling
  // would not be the digest the host was given.
  auto canonical = SerializeTicket(t);
  if (!canonical.ok()) {
    return canonical.status();
  }
  if (!std::equal(canonical->begin(), canonical->end(), bytes.begin(), bytes.end())) {
    return Invalid("not in canonical form");
  }
  return t;
}

Sha256Digest TicketHostData(ByteSpan canonical) { return Sha256(canonical); }
Sha384Digest TicketMrConfigId(ByteSpan canonical) { return Sha384(canonical); }

}  // namespace attest::protocol
