#include "attest/tdx/collateral.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "tests/testing/vectors.h"

namespace attest::tdx {
namespace {

using attest::testing::ReadVectorText;
using nlohmann::json;

TEST(ParseCollateralJson, Vectors) {
  for (const char* dir : {"dcap-qvl-v4", "dcap-qvl-sgx-v3"}) {
    SCOPED_TRACE(dir);
    auto c = ParseCollateralJson(ReadVectorText(std::string("tdx/") + dir + "/collateral.json"));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(c->tcb_info_signature.size(), 64u);
    EXPECT_EQ(c->qe_identity_signature.size(), 64u);
    EXPECT_EQ(c->pck_crl[0], 0x30);  // hex decoded to DER
    auto info = ParseTcbInfo(c->tcb_info_body);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    auto qe = ParseQeIdentity(c->qe_identity_body);
    ASSERT_TRUE(qe.ok()) << qe.status().ToString();
    EXPECT_EQ(info->id, std::string(dir) == "dcap-qvl-v4" ? "TDX" : "SGX");
    EXPECT_EQ(qe->id, std::string(dir) == "dcap-qvl-v4" ? "TD_QE" : "QE");
    EXPECT_FALSE(info->tcb_levels.empty());
  }
  const TcbInfo tdx =
      ParseTcbInfo(
          ParseCollateralJson(ReadVectorText("tdx/dcap-qvl-v4/collateral.json"))->tcb_info_body)
          .value();
  EXPECT_EQ(HexEncode(tdx.fmspc), "b0c06f000000");
  EXPECT_EQ(FormatRfc3339(tdx.issue_date), "2025-06-19T10:16:03Z");
  EXPECT_EQ(FormatRfc3339(tdx.next_update), "2025-07-19T10:16:03Z");
  EXPECT_EQ(tdx.tdx_module_identities.size(), 2u);
}

TEST(ParseCollateralJson, Malformed) {
  const json good = json::parse(ReadVectorText("tdx/dcap-qvl-v4/collateral.json"));
  struct Case {
    const char* name;
    std::function<void(json&)> mutate;
    const char* want;
  };
  const Case cases[] = {
      {"missing tcb_info", [](json& j) { j.erase("tcb_info"); }, "tdx.collateral_malformed"},
      {"tcb_info as object",
       [](json& j) { j["tcb_info"] = json::parse(j["tcb_info"].get<std::string>()); },
       "tdx.collateral_malformed"},
      {"signature not hex", [](json& j) { j["tcb_info_signature"] = "zz"; },
       "tdx.collateral_malformed"},
      {"signature 63 bytes", [](json& j) { j["qe_identity_signature"] = std::string(126, 'a'); },
       "tdx.collateral_malformed"},
      {"crl neither hex nor pem", [](json& j) { j["pck_crl"] = "not a crl"; },
       "tdx.collateral_malformed"},
      {"root crl a number", [](json& j) { j["root_ca_crl"] = 5; }, "tdx.collateral_malformed"},
      {"pem crl accepted",
       [](json& j) {
         j["root_ca_crl"] = "-----BEGIN X509 CRL-----\nAA==\n-----END X509 CRL-----\n";
       },
       "ok"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    json j = good;
    c.mutate(j);
    EXPECT_EQ(ParseCollateralJson(j.dump()).status().reason_id(), c.want);
  }
  EXPECT_EQ(ParseCollateralJson("[]").status().reason_id(), "tdx.collateral_malformed");
  EXPECT_EQ(ParseCollateralJson("{").status().reason_id(), "tdx.collateral_malformed");
  EXPECT_EQ(ParseCollateralJson("").status().reason_id(), "tdx.collateral_malformed");
}

TEST(TopLevelMemberSpan, ExactBytes) {
  struct Case {
    const char* doc;
    const char* key;
    const char* want;  // nullptr: error
  };
  const Case cases[] = {
      {R"({"tcbInfo":{"a":1},"signature":"ab"})", "tcbInfo", R"({"a":1})"},
      {R"({ "signature" : "ab" , "tcbInfo" : {"a" : [1, {"b":"}"}]} })", "tcbInfo",
       R"({"a" : [1, {"b":"}"}]})"},
      {R"({"tcbInfo":{"s":"\"}"},"x":1})", "tcbInfo", R"({"s":"\"}"})"},
      {R"({"x":{"tcbInfo":{"a":1}},"tcbInfo":{"b":2}})", "tcbInfo", R"({"b":2})"},
      {R"({"tcbInfo":{"a":1},"tcbInfo":{"a":2}})", "tcbInfo", nullptr},  // duplicate
      {R"({"signature":"ab"})", "tcbInfo", nullptr},
      {R"([{"tcbInfo":{}}])", "tcbInfo", nullptr},
      {R"({"tcbInfo":{"a":1})", "tcbInfo", R"({"a":1})"},  // truncated doc: caller parses too
      {R"({"tcbInfo":{"a":1)", "tcbInfo", nullptr},
      {R"({"tcbInfo")", "tcbInfo", nullptr},
      {"", "tcbInfo", nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.doc);
    auto span = TopLevelMemberSpan(c.doc, c.key);
    if (c.want == nullptr) {
      EXPECT_EQ(span.status().reason_id(), "tdx.collateral_malformed");
    } else {
      ASSERT_TRUE(span.ok()) << span.status().ToString();
      EXPECT_EQ(*span, c.want);
    }
  }
}

// The PCS responses go through the strict reader (attest/core/json.h): a member or a nested key
// given twice, or bytes after a NUL, never yield a signed span.
TEST(CollateralFromPcs, RefusesWhatTheStrictReaderRefuses) {
  const std::string good = ReadVectorText("tdx/gotdx-v4-spr/tcbinfo.json");
  const size_t open = good.find('{');
  const struct {
    const char* name;
    std::string tcb_info_response;
    std::string want;
  } cases[] = {
      {"good", good, "ok"},
      {"member twice", good.substr(0, open + 1) + R"("tcbInfo":{},)" + good.substr(open + 1),
       "tdx.collateral_malformed"},
      {"nested key twice",
       good.substr(0, open + 1) + R"("x":{"a":1,"a":2},)" + good.substr(open + 1),
       "tdx.collateral_malformed"},
      {"bytes after a NUL", good + std::string("\0{}", 3), "tdx.collateral_malformed"},
      {"member missing", R"({"signature":"00"})", "tdx.collateral_malformed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    PcsFiles files;
    files.tcb_info_response = c.tcb_info_response;
    files.qe_identity_response = ReadVectorText("tdx/gotdx-v4-spr/qe_identity.json");
    files.tcb_info_issuer_chain = files.qe_identity_issuer_chain = Bytes{'x'};
    files.pck_crl = files.root_ca_crl = Bytes{'x'};
    EXPECT_EQ(CollateralFromPcs(files).status().reason_id(), c.want);
  }
}

TEST(CollateralFromPcs, RawResponses) {
  PcsFiles files;
  files.tcb_info_response = ReadVectorText("tdx/gotdx-v4-spr/tcbinfo.json");
  files.qe_identity_response = ReadVectorText("tdx/gotdx-v4-spr/qe_identity.json");
  files.tcb_info_issuer_chain = files.qe_identity_issuer_chain = Bytes{'x'};
  files.pck_crl = files.root_ca_crl = Bytes{'x'};
  auto c = CollateralFromPcs(files);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // The signed span is the exact text between "tcbInfo": and ,"signature".
  const std::string& body = files.tcb_info_response;
  const size_t begin = body.find("{\"id\"");
  const size_t end = body.rfind(",\"signature\"");
  EXPECT_EQ(c->tcb_info_body, body.substr(begin, end - begin));
  EXPECT_EQ(HexEncode(c->tcb_info_signature).substr(0, 8), "f6502d6f");
  auto info = ParseTcbInfo(c->tcb_info_body);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(HexEncode(info->fmspc), "50806f000000");
  auto qe = ParseQeIdentity(c->qe_identity_body);
  ASSERT_TRUE(qe.ok());
  EXPECT_EQ(FormatRfc3339(qe->next_update), "2023-07-08T07:24:59Z");

  auto v5 =
      ParseTcbInfo(*TopLevelMemberSpan(ReadVectorText("tdx/gotdx-v5/tcbinfo_v5.json"), "tcbInfo"));
  ASSERT_TRUE(v5.ok()) << v5.status().ToString();
  EXPECT_EQ(HexEncode(v5->fmspc), "90c06f000000");

  PcsFiles missing = files;
  missing.root_ca_crl.clear();
  EXPECT_EQ(CollateralFromPcs(missing).status().reason_id(), "tdx.collateral_missing");
  PcsFiles dup = files;
  dup.tcb_info_response.insert(1, "\"tcbInfo\":{},");
  EXPECT_EQ(CollateralFromPcs(dup).status().reason_id(), "tdx.collateral_malformed");
  PcsFiles garbage = files;
  garbage.qe_identity_response += "}";
  EXPECT_EQ(CollateralFromPcs(garbage).status().reason_id(), "tdx.collateral_malformed");
}

TEST(ParseTcbInfo, Malformed) {
  const json good =
      json::parse(*TopLevelMemberSpan(ReadVectorText("tdx/gotdx-v4-spr/tcbinfo.json"), "tcbInfo"));
  ASSERT_TRUE(ParseTcbInfo(good.dump()).ok());
  struct Case {
    const char* name;
    std::function<void(json&)> mutate;
    const char* want;
  };
  const Case cases[] = {
      {"version 2", [](json& j) { j["version"] = 2; }, "tdx.collateral_unsupported"},
      {"unknown id", [](json& j) { j["id"] = "SEV"; }, "tdx.collateral_unsupported"},
      {"tcb type 1", [](json& j) { j["tcbType"] = 1; }, "tdx.collateral_unsupported"},
      {"unknown status", [](json& j) { j["tcbLevels"][0]["tcbStatus"] = "Great"; },
       "tdx.collateral_unsupported"},
      {"relaunch is not a level status",
       [](json& j) { j["tcbLevels"][0]["tcbStatus"] = "TDRelaunchAdvised"; },
       "tdx.collateral_unsupported"},
      {"15 sgx components", [](json& j) { j["tcbLevels"][0]["tcb"]["sgxtcbcomponents"].erase(0); },
       "tdx.collateral_malformed"},
      {"svn 256", [](json& j) { j["tcbLevels"][0]["tcb"]["sgxtcbcomponents"][0]["svn"] = 256; },
       "tdx.collateral_malformed"},
      {"negative pcesvn", [](json& j) { j["tcbLevels"][0]["tcb"]["pcesvn"] = -1; },
       "tdx.collateral_malformed"},
      {"no tdx components for TDX",
       [](json& j) { j["tcbLevels"][0]["tcb"].erase("tdxtcbcomponents"); },
       "tdx.collateral_malformed"},
      {"no tdxModule", [](json& j) { j.erase("tdxModule"); }, "tdx.collateral_malformed"},
      {"fmspc 5 bytes", [](json& j) { j["fmspc"] = "50806f0000"; }, "tdx.collateral_malformed"},
      {"bad date", [](json& j) { j["nextUpdate"] = "tomorrow"; }, "tdx.collateral_malformed"},
      {"no levels", [](json& j) { j["tcbLevels"] = json::array(); }, "tdx.collateral_malformed"},
      {"advisory not a string", [](json& j) { j["tcbLevels"][1]["advisoryIDs"][0] = 7; },
       "tdx.collateral_malformed"},
      {"level not an object", [](json& j) { j["tcbLevels"][0] = 1; }, "tdx.collateral_malformed"},
      {"version as string", [](json& j) { j["version"] = "3"; }, "tdx.collateral_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    json j = good;
    c.mutate(j);
    EXPECT_EQ(ParseTcbInfo(j.dump()).status().reason_id(), c.want);
  }
}

TEST(ParseQeIdentity, Malformed) {
  const json good = json::parse(
      *TopLevelMemberSpan(ReadVectorText("tdx/gotdx-v4-spr/qe_identity.json"), "enclaveIdentity"));
  ASSERT_TRUE(ParseQeIdentity(good.dump()).ok());
  struct Case {
    const char* name;
    std::function<void(json&)> mutate;
    const char* want;
  };
  const Case cases[] = {
      {"version 1", [](json& j) { j["version"] = 1; }, "tdx.collateral_unsupported"},
      {"QVE id", [](json& j) { j["id"] = "QVE"; }, "tdx.collateral_unsupported"},
      {"mrsigner short", [](json& j) { j["mrsigner"] = "DC9E"; }, "tdx.collateral_malformed"},
      {"isvprodid too big", [](json& j) { j["isvprodid"] = 70000; }, "tdx.collateral_malformed"},
      {"no levels", [](json& j) { j["tcbLevels"] = json::array(); }, "tdx.collateral_malformed"},
      {"level without isvsvn", [](json& j) { j["tcbLevels"][0]["tcb"] = json::object(); },
       "tdx.collateral_malformed"},
      {"empty object", [](json& j) { j = json::object(); }, "tdx.collateral_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    json j = good;
    c.mutate(j);
    EXPECT_EQ(ParseQeIdentity(j.dump()).status().reason_id(), c.want);
  }
}

}  // namespace
}  // namespace attest::tdx
