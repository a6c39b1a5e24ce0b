// Every module's reasons together: unique, well formed, listed in cli/reasons_golden.txt (so that
// removing, renaming or recoding one fails here), and every reason defined in a reasons.h of the
// source tree is in its module's table. Runs from the repository root.
#include "cli/reason_tables.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace attest::cli {
namespace {

namespace fs = std::filesystem;

// ReasonsByModule maps "module" to the ids of its table.
std::map<std::string, std::set<std::string>> ReasonsByModule() {
  std::map<std::string, std::set<std::string>> out;
  for (const ReasonTable& t : AllReasonTables()) {
    for (const Reason& r : t.reasons) {
      out[std::string(t.module)].insert(std::string(r.id));
    }
  }
  return out;
}

// GoldenLines reads "<id> <CODE>" lines, skipping comments and blank lines.
std::vector<std::string> GoldenLines(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') {
      out.push_back(line);
    }
  }
  return out;
}

std::string LineOf(const Reason& r) {
  return std::string(r.id) + " " + std::string(ErrorCodeName(r.code));
}

TEST(ReasonTablesTest, EveryReasonIsUnique) {
  std::map<std::string, std::string> module_of;
  for (const ReasonTable& t : AllReasonTables()) {
    for (const Reason& r : t.reasons) {
      auto [it, inserted] = module_of.emplace(std::string(r.id), std::string(t.module));
      EXPECT_TRUE(inserted) << r.id << " in " << t.module << " and in " << it->second;
    }
  }
  EXPECT_GT(module_of.size(), 200u);
}

TEST(ReasonTablesTest, EveryReasonIsAreaDotWhat) {
  const std::regex shape("[a-z0-9]+\\.[a-z0-9_]+");
  for (const ReasonTable& t : AllReasonTables()) {
    for (const Reason& r : t.reasons) {
      SCOPED_TRACE(std::string(r.id));
      if (r.id == "ok") {
        EXPECT_EQ(r.code, ErrorCode::kOk);
        continue;
      }
      EXPECT_TRUE(std::regex_match(std::string(r.id), shape));
      EXPECT_NE(r.code, ErrorCode::kOk);
      EXPECT_NE(ErrorCodeName(r.code), "UNKNOWN");
    }
  }
}

TEST(ReasonTablesTest, GoldenListMatches) {
  std::set<std::string> have;
  for (const ReasonTable& t : AllReasonTables()) {
    for (const Reason& r : t.reasons) {
      have.insert(LineOf(r));
    }
  }
  const std::vector<std::string> golden = GoldenLines("cli/reasons_golden.txt");
  const std::set<std::string> want(golden.begin(), golden.end());
  EXPECT_EQ(want.size(), golden.size()) << "a line repeats in cli/reasons_golden.txt";
  for (const std::string& line : want) {
    EXPECT_TRUE(have.count(line)) << "removed, renamed or recoded: " << line;
  }
  for (const std::string& line : have) {
    EXPECT_TRUE(want.count(line)) << "new reason, add it to cli/reasons_golden.txt: " << line;
  }
}

// Every `inline constexpr Reason kX{"id", ...}` in a reasons.h of the tree is in the table of the
// module whose directory holds that file: a reason left out of its table fails here.
TEST(ReasonTablesTest, TablesListEveryDefinition) {
  const std::map<std::string, std::set<std::string>> tables = ReasonsByModule();
  const std::regex definition("Reason\\s+k\\w+\\s*\\{\\s*\"([^\"]+)\"");
  size_t files = 0;
  for (auto it = fs::recursive_directory_iterator("."); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && (name.starts_with(".") || name.starts_with("build"))) {
      it.disable_recursion_pending();
      continue;
    }
    if (name != "reasons.h") {
      continue;
    }
    ++files;
    const std::string module = it->path().parent_path().lexically_relative(".").string();
    SCOPED_TRACE(module);
    std::ifstream in(it->path());
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    const auto found = tables.find(module);
    ASSERT_NE(found, tables.end()) << "no table gathered for " << module;
    size_t defined = 0;
    for (std::sregex_iterator m(s.begin(), s.end(), definition), end; m != end; ++m) {
      ++defined;
      EXPECT_TRUE(found->second.count((*m)[1].str())) << (*m)[1].str() << " not in the table";
    }
    EXPECT_EQ(defined, found->second.size());
  }
  EXPECT_EQ(files, tables.size());
}

TEST(ReasonTablesTest, FormatReasonListAlignsColumns) {
  constexpr Reason kShort[] = {{"a.b", ErrorCode::kExpired}};
  constexpr Reason kLong[] = {{"area.longer_name", ErrorCode::kMalformedEvidence},
                              {"area.x", ErrorCode::kOk}};
  struct Case {
    const char* name;
    std::vector<ReasonTable> tables;
    std::string want;
  } cases[] = {
      {"empty", {}, ""},
      {"one", {{"m", kShort}}, "a.b  EXPIRED  m\n"},
      {"widest entry sets each column",
       {{"one", kShort}, {"two/x", kLong}},
       "a.b               EXPIRED             one\n"
       "area.longer_name  MALFORMED_EVIDENCE  two/x\n"
       "area.x            OK                  two/x\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(FormatReasonList(c.tables), c.want);
  }
}

}  // namespace
}  // namespace attest::cli
