#include "flags/args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attest::flags {
namespace {

// ParseLine runs Args::Parse over words as if they followed "prog cmd" (first = 2).
Result<Args> ParseLine(std::vector<std::string> words, const FlagSpec& spec) {
  std::vector<std::string> storage = {"prog", "cmd"};
  storage.insert(storage.end(), words.begin(), words.end());
  std::vector<char*> argv;
  argv.reserve(storage.size());
  for (std::string& w : storage) {
    argv.push_back(w.data());
  }
  return Args::Parse(static_cast<int>(argv.size()), argv.data(), 2, spec);
}

const FlagSpec kSpec{{"report", "at"}, {"json"}};

TEST(Args, RefusesWhatTheSpecDoesNotAllow) {
  const struct {
    const char* name;
    std::vector<std::string> words;
    const char* want_message;  // "" = accepted
  } cases[] = {
      {"empty", {}, ""},
      {"value after a space", {"--report", "r.bin"}, ""},
      {"value after '='", {"--report=r.bin"}, ""},
      {"empty value after '='", {"--report="}, ""},
      {"boolean", {"--json"}, ""},
      {"boolean given twice", {"--json", "--json"}, ""},
      {"unknown flag", {"--reprot", "r.bin"}, "unknown flag --reprot"},
      {"unknown boolean with '='", {"--verbose=1"}, "unknown flag --verbose"},
      {"boolean with a value", {"--json=yes"}, "--json takes no value"},
      {"value flag twice", {"--report", "a", "--report=b"}, "--report given twice"},
      {"value missing at the end", {"--report"}, "--report needs a value"},
      {"single dash is positional", {"-x"}, ""},
      {"double dash is positional", {"--"}, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Result<Args> args = ParseLine(c.words, kSpec);
    if (std::string(c.want_message).empty()) {
      EXPECT_TRUE(args.ok()) << args.status().ToString();
    } else {
      EXPECT_EQ(args.status().reason_id(), "cli.usage");
      EXPECT_EQ(args.status().message(), c.want_message);
    }
  }
}

TEST(Args, ReadsValuesFlagsAndPositionals) {
  Result<Args> args = ParseLine(
      {"in.bin", "--report", "--json", "--at=2026-01-01T00:00:00Z", "--json", "--", "--report"},
      FlagSpec{{"report", "at"}, {"json"}});
  // "--report --json" takes "--json" as the value: a value flag consumes the next word.
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(args.status().message(), "--report given twice");

  args = ParseLine({"in.bin", "--report", "r.bin", "--json", "--at=2026-01-01T00:00:00Z", "--"},
                   kSpec);
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  EXPECT_EQ(args->Get("report"), "r.bin");
  EXPECT_EQ(args->Get("at"), "2026-01-01T00:00:00Z");
  EXPECT_TRUE(args->Has("json"));
  EXPECT_FALSE(args->Get("json").has_value());
  EXPECT_EQ(args->positional(), (std::vector<std::string>{"in.bin", "--"}));
}

TEST(Args, RequireNamesTheMissingFlag) {
  Result<Args> args = ParseLine({"--at", "x"}, kSpec);
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(*args->Require("at"), "x");
  Result<std::string> missing = args->Require("report");
  EXPECT_EQ(missing.status().reason_id(), "cli.usage");
  EXPECT_EQ(missing.status().message(), "missing required flag --report");
  EXPECT_FALSE(args->Has("json"));
}

}  // namespace
}  // namespace attest::flags
