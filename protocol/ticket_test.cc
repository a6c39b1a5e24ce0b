#include "protocol/ticket.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"

namespace attest::protocol {
namespace {

LaunchTicket Good() {
  LaunchTicket t;
  t.vm_id = "vm-1";
  t.tenant_id = "t-0011";
  t.tee = "snp";
  t.policy_name = "prod";
  t.policy_version = 3;
  t.policy_sha256 = std::string(64, 'a');
  t.volume_ids = {"vol-2", "vol-1"};
  t.host_id = "h-9";
  t.created_at = FromUnixSeconds(1764064800);  // 2025-11-25T10:00:00Z
  return t;
}

std::string Text(const Bytes &b) { return std::string(b.begin(), b.end()); }

TEST(Ticket, CanonicalBytesAndDigests) {
  const Bytes bytes = SerializeTicket(Good()).value();
  EXPECT_EQ(Text(bytes),
            R"({"created_at":"2025-11-25T10:00:00Z","host_id":"h-9","policy":{"name":"prod",)"
            R"("sha256":")" +
                std::string(64, 'a') +
                R"(","version":3},"tee":"snp","tenant_id":"t-0011","v":1,"vm_id":"vm-1",)"
                R"("volume_ids":["vol-2","vol-1"]})");
  EXPECT_EQ(ParseTicket(bytes).value(), Good());
  // Digests are plain SHA-256 / SHA-384 of those bytes (what the host puts in the TEE).
  EXPECT_EQ(TicketHostData(bytes), Sha256(bytes));
  EXPECT_EQ(TicketMrConfigId(bytes), Sha384(bytes));
  // Any field change changes the digest.
  LaunchTicket other = Good();
  other.volume_ids = {"vol-1", "vol-2"};
  EXPECT_NE(TicketHostData(SerializeTicket(other).value()), TicketHostData(bytes));
  LaunchTicket tdx = Good();
  tdx.tee = "tdx";
  tdx.volume_ids.clear();
  EXPECT_EQ(ParseTicket(SerializeTicket(tdx).value()).value(), tdx);
  // SEV / SEV-ES VMs (attestd as guest owner) have tickets too, with no hardware field.
  for (const char *tee : {"sev", "sev-es"}) {
    LaunchTicket sev = Good();
    sev.tee = tee;
    EXPECT_EQ(ParseTicket(SerializeTicket(sev).value()).value(), sev) << tee;
  }
}

TEST(Ticket, SerializeRefusesBadFields) {
  struct Case {
    std::string name;
    std::function<void(LaunchTicket &)> edit;
  };
  const std::vector<Case> cases = {
      {"empty vm id", [](LaunchTicket &t) { t.vm_id.clear(); }},
      {"quote in tenant", [](LaunchTicket &t) { t.tenant_id = "t\"1"; }},
      {"space in host", [](LaunchTicket &t) { t.host_id = "h 1"; }},
      {"non-ascii policy name", [](LaunchTicket &t) { t.policy_name = "pr\xc3\xb6"; }},
      {"129-byte vm id", [](LaunchTicket &t) { t.vm_id = std::string(129, 'v'); }},
      {"tee sev-snp", [](LaunchTicket &t) { t.tee = "sev-snp"; }},
      {"tee SEV", [](LaunchTicket &t) { t.tee = "SEV"; }},
      {"empty tee", [](LaunchTicket &t) { t.tee.clear(); }},
      {"version 0", [](LaunchTicket &t) { t.policy_version = 0; }},
      {"upper-case digest", [](LaunchTicket &t) { t.policy_sha256 = std::string(64, 'A'); }},
      {"short digest", [](LaunchTicket &t) { t.policy_sha256 = std::string(63, 'a'); }},
      {"repeated volume",
       [](LaunchTicket &t) {
         t.volume_ids = {"v", "v"};
       }},
      {"65 volumes",
       [](LaunchTicket &t) {
         t.volume_ids.clear();
         for (int i = 0; i < 65; ++i) {
           t.volume_ids.push_back("v" + std::to_string(i));
         }
       }},
      {"empty volume id", [](LaunchTicket &t) { t.volume_ids = {""}; }},
      {"before 1970", [](LaunchTicket &t) { t.created_at = FromUnixSeconds(-1); }},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.name);
    LaunchTicket t = Good();
    c.edit(t);
    EXPECT_EQ(SerializeTicket(t).status().reason_id(), "release.ticket_invalid");
  }
}

TEST(Ticket, ParseAcceptsOnlyCanonicalBytes) {
  const std::string good = Text(SerializeTicket(Good()).value());
  auto replace = [&](const std::string &from, const std::string &to) {
    std::string s = good;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"not json", "{"},
      {"array", "[]"},
      {"leading space", " " + good},
      {"trailing newline", good + "\n"},
      {"space after colon", replace("\"host_id\":", "\"host_id\": ")},
      {"keys reordered", replace(R"("created_at":"2025-11-25T10:00:00Z","host_id":"h-9")",
                                 R"("host_id":"h-9","created_at":"2025-11-25T10:00:00Z")")},
      {"key missing", replace(R"("host_id":"h-9",)", "")},
      {"version 2", replace("\"v\":1", "\"v\":2")},
      {"version as string", replace("\"v\":1", "\"v\":\"1\"")},
      {"unknown key", replace("\"v\":1", "\"v\":1,\"x\":1")},
      {"fractional time", replace("10:00:00Z", "10:00:00.0Z")},
      {"bad time", replace("2025-11-25T10:00:00Z", "yesterday")},
      {"escaped character", replace("\"h-9\"", "\"h\\u002d9\"")},
      {"policy version string", replace("\"version\":3", "\"version\":\"3\"")},
      {"policy version float", replace("\"version\":3", "\"version\":3.0")},
      {"volume ids object", replace(R"(["vol-2","vol-1"])", "{}")},
      {"volume id number", replace(R"("vol-2")", "2")},
      {"upper-case digest", replace(std::string(64, 'a'), std::string(64, 'A'))},
      {"empty", ""},
      {"key twice", replace("\"v\":1", "\"v\":1,\"v\":1")},
      {"bytes after a NUL", good + std::string("\0x", 2)},
  };
  for (const auto &[name, text] : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ParseTicket(AsBytes(text)).status().reason_id(), "release.ticket_invalid");
  }
  EXPECT_TRUE(ParseTicket(AsBytes(good)).ok());
}

}  // namespace
}  // namespace attest::protocol
