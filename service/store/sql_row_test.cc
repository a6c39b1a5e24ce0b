// ColumnList and Row: columns found by name at compile time, cells read and checked.
#include "service/store/sql_row.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace attest::service::store {
namespace {

constexpr ColumnList kThree("id, created_at, flag");

// A misspelt name would not compile; a reordered list moves the positions with it.
static_assert(kThree.size() == 3);
static_assert(kThree["id"] == 0);
static_assert(kThree["created_at"] == 1);
static_assert(kThree["flag"] == 2);
static_assert(ColumnList("b, a")["a"] == 1);
static_assert(ColumnList("only").size() == 1);

TEST(ColumnListTest, SqlIsTheListAsWritten) { EXPECT_STREQ(kThree.sql(), "id, created_at, flag"); }

TEST(RowsTest, ARowOfAnotherWidthIsCorrupt) {
  const struct {
    std::string name;
    std::vector<SqlRow> rows;
    std::string want;  // reason id, "" = ok
  } cases[] = {
      {"no rows", {}, ""},
      {"as named", {{"a", "1", "t"}}, ""},
      {"one column short", {{"a", "1"}}, "store.database_error"},
      {"one column more", {{"a", "1", "t", "x"}}, "store.database_error"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto rows = Rows::Of(c.rows, kThree);
    EXPECT_EQ(rows.ok() ? "" : std::string(rows.status().reason_id()), c.want);
  }
}

TEST(RowTest, ReadsEachCellKind) {
  const std::vector<SqlRow> result = {{"vm-1", "1764057600", "t"},
                                      {std::nullopt, std::nullopt, "0"}};
  auto rows = Rows::Of(result, kThree);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  const Row first = (*rows)[0];
  EXPECT_EQ(first.Text(kThree["id"]), "vm-1");
  EXPECT_EQ(first.Blob(kThree["id"]), (Bytes{'v', 'm', '-', '1'}));
  EXPECT_EQ(first.Int(kThree["created_at"]).value(), 1764057600);
  EXPECT_EQ(first.Time(kThree["created_at"]).value(), FromUnixSeconds(1764057600));
  EXPECT_EQ(first.OptionalTime(kThree["created_at"]).value(), FromUnixSeconds(1764057600));
  EXPECT_TRUE(first.Bool(kThree["flag"]).value());

  const Row second = (*rows)[1];
  EXPECT_EQ(second.Text(kThree["id"]), "");  // NULL reads as empty text and bytes
  EXPECT_TRUE(second.Blob(kThree["id"]).empty());
  EXPECT_EQ(second.OptionalTime(kThree["created_at"]).value(), std::nullopt);
  EXPECT_EQ(second.Time(kThree["created_at"]).status().reason_id(), "store.database_error");
  EXPECT_EQ(second.Int(kThree["created_at"]).status().reason_id(), "store.database_error");
  EXPECT_FALSE(second.Bool(kThree["flag"]).value());
}

TEST(RowTest, MalformedCellsAreCorrupt) {
  const struct {
    std::string name;
    std::optional<std::string> integer;
    std::optional<std::string> boolean;
    bool int_ok, bool_ok;
  } cases[] = {
      {"well formed", "-12", "f", true, true},
      {"sqlite booleans", "0", "1", true, true},
      {"postgres spelled out", "7", "true", true, true},
      {"trailing text", "12x", "false", false, true},
      {"empty", "", "", false, false},
      {"too large", "99999999999999999999", "yes", false, false},
      {"NULL", std::nullopt, std::nullopt, false, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<SqlRow> result = {{"id", c.integer, c.boolean}};
    auto rows = Rows::Of(result, kThree);
    ASSERT_TRUE(rows.ok());
    const Row r = (*rows)[0];
    auto i = r.Int(kThree["created_at"]);
    auto b = r.Bool(kThree["flag"]);
    EXPECT_EQ(i.ok() ? "" : std::string(i.status().reason_id()),
              c.int_ok ? "" : "store.database_error");
    EXPECT_EQ(b.ok() ? "" : std::string(b.status().reason_id()),
              c.bool_ok ? "" : "store.database_error");
  }
}

TEST(RowsTest, MapStopsAtTheFirstBadRow) {
  const std::vector<SqlRow> result = {{"a", "1", "t"}, {"b", "x", "t"}, {"c", "3", "t"}};
  auto rows = Rows::Of(result, kThree);
  ASSERT_TRUE(rows.ok());
  auto ids = rows->Map<int64_t>([](const Row& r) { return r.Int(kThree["created_at"]); });
  EXPECT_EQ(ids.status().reason_id(), "store.database_error");
  const std::vector<SqlRow> good = {{"a", "1", "t"}, {"c", "3", "t"}};
  auto all = Rows::Of(good, kThree)->Map<int64_t>([](const Row& r) {
    return r.Int(kThree["created_at"]);
  });
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(*all, (std::vector<int64_t>{1, 3}));
}

TEST(SqlRowTest, SplitCommaList) {
  struct Case {
    std::string joined;
    std::vector<std::string> want;
  } cases[] = {
      {"", {}},
      {"snp", {"snp"}},
      {"snp,tdx", {"snp", "tdx"}},
      {"host.revoked,vm.deleted,host.platform_changed",
       {"host.revoked", "vm.deleted", "host.platform_changed"}},
      {"snp,", {"snp"}},
      {",snp", {"", "snp"}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(SplitCommaList(c.joined), c.want) << c.joined;
  }
}

}  // namespace
}  // namespace attest::service::store
