// The CFV variable-store reader: the Debian OVMF's (no keys enrolled), a store written here with
// every measured variable, and the malformed stores it refuses.
#include "attest/measure/tdx_efi_vars.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "attest/measure/tdx_le.h"
#include "attest/sev/measurement.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

constexpr size_t kFvHeader = 0x48;

void PutGuid(Bytes& b, size_t at, std::string_view text) {
  const auto g = sev::ParseGuid(text);
  std::copy(g->begin(), g->end(), b.begin() + static_cast<ptrdiff_t>(at));
}

Bytes DebianCfv() {
  const Bytes fw = testing::ReadVector("measure/tdx/inputs/debian12_OVMF.fd");
  return Bytes(fw.begin(), fw.begin() + 0x20000);
}

// StoreWith writes an authenticated store after the Debian FV header, one record per variable.
struct Var {
  std::string name;
  std::string_view vendor;
  Bytes data;
  uint8_t state = 0x3f;
};
Bytes StoreWith(const std::vector<Var>& vars) {
  Bytes cfv = DebianCfv();
  std::fill(cfv.begin() + kFvHeader + 28, cfv.end(), 0xff);
  size_t at = kFvHeader + 28;
  for (const Var& v : vars) {
    const size_t name_bytes = (v.name.size() + 1) * 2;
    std::fill_n(cfv.begin() + static_cast<ptrdiff_t>(at), 60, 0);
    PutLe16(cfv, at, 0x55aa);
    cfv[at + 2] = v.state;
    PutLe32(cfv, at + 36, static_cast<uint32_t>(name_bytes));
    PutLe32(cfv, at + 40, static_cast<uint32_t>(v.data.size()));
    PutGuid(cfv, at + 44, v.vendor);
    for (size_t i = 0; i <= v.name.size(); ++i) {
      PutLe16(cfv, at + 60 + 2 * i, i < v.name.size() ? v.name[i] : 0);
    }
    std::copy(v.data.begin(), v.data.end(),
              cfv.begin() + static_cast<ptrdiff_t>(at + 60 + name_bytes));
    at = (at + 60 + name_bytes + v.data.size() + 3) & ~size_t{3};
  }
  return cfv;
}

TEST(EfiVars, DebianHasNoKeys) {
  auto vars = ReadSecureBootVariables(DebianCfv());
  ASSERT_TRUE(vars.ok()) << vars.status().ToString();
  EXPECT_FALSE(vars->pk || vars->kek || vars->db || vars->dbx || vars->secure_boot_enable);
}

TEST(EfiVars, ReadsEnrolledKeys) {
  const Bytes cfv = StoreWith({
      {"PK", kEfiGlobalVariableGuid, {1, 2, 3}},
      {"KEK", kEfiGlobalVariableGuid, {4}},
      {"db", kEfiImageSecurityDatabaseGuid, {5, 6}},
      {"dbx", kEfiImageSecurityDatabaseGuid, {7}, 0x3c},  // deleted: ignored
      {"dbx", kEfiGlobalVariableGuid, {8}},               // wrong vendor: ignored
      {"SecureBootEnable", "f0a30bc7-af08-4556-99c4-001009c93a44", {1}},
  });
  auto vars = ReadSecureBootVariables(cfv);
  ASSERT_TRUE(vars.ok()) << vars.status().ToString();
  EXPECT_EQ(vars->pk, (Bytes{1, 2, 3}));
  EXPECT_EQ(vars->kek, (Bytes{4}));
  EXPECT_EQ(vars->db, (Bytes{5, 6}));
  EXPECT_FALSE(vars->dbx.has_value());
  EXPECT_EQ(vars->secure_boot_enable, (Bytes{1}));
}

TEST(EfiVars, VariableDriverConfigLayout) {
  const Bytes data = {9, 8};
  const Bytes got = VariableDriverConfigData(kEfiGlobalVariableGuid, "PK", data);
  ASSERT_EQ(got.size(), 16u + 8 + 8 + 4 + 2);
  EXPECT_EQ(LoadLe<uint64_t>(got, 16), 2u);
  EXPECT_EQ(LoadLe<uint64_t>(got, 24), 2u);
  EXPECT_EQ(got[32], 'P');
  EXPECT_EQ(got[34], 'K');
  EXPECT_EQ(got[36], 9);
  EXPECT_EQ(got[0], 0x61);  // 8be4df61 in memory order
}

TEST(EfiVars, Mutations) {
  const Bytes good = StoreWith({{"PK", kEfiGlobalVariableGuid, {1}}});
  const size_t store = kFvHeader;
  const size_t record = kFvHeader + 28;
  const struct {
    const char* name;
    std::function<void(Bytes&)> mutate;
  } cases[] = {
      {"no _FVH", [](Bytes& b) { b[40] = 0; }},
      {"FV header length past the CFV", [](Bytes& b) { PutLe16(b, 48, 0xfff0); }},
      {"not an authenticated store", [&](Bytes& b) { b[store] ^= 1; }},
      {"not formatted", [&](Bytes& b) { b[store + 20] = 0; }},
      {"not healthy", [&](Bytes& b) { b[store + 21] = 0; }},
      {"store larger than the CFV", [&](Bytes& b) { PutLe32(b, store + 16, 0x7fffffff); }},
      {"store smaller than its header", [&](Bytes& b) { PutLe32(b, store + 16, 4); }},
      {"record data past the store", [&](Bytes& b) { PutLe32(b, record + 40, 0x7fffffff); }},
      {"record name past the store", [&](Bytes& b) { PutLe32(b, record + 36, 0xfffffff0); }},
      {"CFV truncated", [](Bytes& b) { b.resize(40); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes cfv = good;
    c.mutate(cfv);
    auto vars = ReadSecureBootVariables(cfv);
    ASSERT_FALSE(vars.ok());
    EXPECT_EQ(vars.status().reason_id(), reasons::kMeasureEfiVarsMalformed.id)
        << vars.status().ToString();
  }
}

}  // namespace
}  // namespace attest::measure
