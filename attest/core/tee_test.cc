#include "attest/core/tee.h"

#include <gtest/gtest.h>

#include <string>

namespace attest {
namespace {

TEST(TeeTypeTest, OneSpellingEach) {
  struct Case {
    TeeType tee;
    const char* name;
  } cases[] = {
      {TeeType::kSev, "sev"},
      {TeeType::kSevEs, "sev-es"},
      {TeeType::kSevSnp, "snp"},
      {TeeType::kTdx, "tdx"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(TeeTypeName(c.tee), c.name);
    EXPECT_EQ(ParseTeeType(c.name), c.tee);
  }
  EXPECT_EQ(TeeTypeName(TeeType::kNone), "none");
}

TEST(TeeTypeTest, RejectsOtherSpellings) {
  for (const char* name :
       {"none", "sev-snp", "SNP", "Tdx", "sev_es", "sevsnp", " snp", "snp ", "", "sgx", "tpm"}) {
    SCOPED_TRACE(std::string("\"") + name + "\"");
    EXPECT_EQ(ParseTeeType(name), std::nullopt);
  }
}

}  // namespace
}  // namespace attest
