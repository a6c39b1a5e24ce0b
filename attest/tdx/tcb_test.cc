#include "attest/tdx/tcb.h"

#include <gtest/gtest.h>

#include "tests/testing/vectors.h"

namespace attest::tdx {
namespace {

TEST(TcbStatus, NamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(TcbStatus::kTdRelaunchAdvisedConfigurationNeeded); ++i) {
    const auto s = static_cast<TcbStatus>(i);
    SCOPED_TRACE(TcbStatusName(s));
    EXPECT_EQ(ParseTcbStatus(TcbStatusName(s)), s);
  }
  EXPECT_FALSE(ParseTcbStatus("uptodate").has_value());
  EXPECT_FALSE(ParseTcbStatus("").has_value());
}

TEST(TcbStatus, DefaultPolicy) {
  struct Case {
    TcbStatus status;
    bool rejected;
  };
  const Case cases[] = {
      {TcbStatus::kUpToDate, false},
      {TcbStatus::kSwHardeningNeeded, false},
      {TcbStatus::kConfigurationNeeded, false},
      {TcbStatus::kConfigurationAndSwHardeningNeeded, false},
      {TcbStatus::kOutOfDate, true},
      {TcbStatus::kOutOfDateConfigurationNeeded, true},
      {TcbStatus::kRevoked, true},
      {TcbStatus::kTdRelaunchAdvised, true},
      {TcbStatus::kTdRelaunchAdvisedConfigurationNeeded, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(TcbStatusName(c.status));
    EXPECT_EQ(IsRejectedByDefault(c.status), c.rejected);
  }
}

TEST(CheckQeIdentity, AgainstRealQeReport) {
  const Quote q = ParseQuote(attest::testing::ReadVector("tdx/dcap-qvl-v4/quote.bin")).value();
  const std::string body = R"({"id":"TD_QE","version":2,"issueDate":"2025-06-19T10:32:27Z",
    "nextUpdate":"2025-07-19T10:32:27Z","tcbEvaluationDataNumber":17,"miscselect":"00000000",
    "miscselectMask":"FFFFFFFF","attributes":"11000000000000000000000000000000",
    "attributesMask":"FBFFFFFFFFFFFFFF0000000000000000",
    "mrsigner":"DC9E2A7C6F948F17474E34A7FC43ED030F7C1563F1BABDDF6340C82E0E54A8C5","isvprodid":2,
    "tcbLevels":[{"tcb":{"isvsvn":4},"tcbDate":"2024-03-13T00:00:00Z","tcbStatus":"UpToDate"}]})";
  const QeIdentity good = ParseQeIdentity(body).value();
  auto level = CheckQeIdentity(q.qe_report, good);
  ASSERT_TRUE(level.ok()) << level.status().ToString();
  EXPECT_EQ(level->isv_svn, 4);

  struct Case {
    const char* name;
    void (*mutate)(QeIdentity&);
    const char* want;
  };
  const Case cases[] = {
      {"mrsigner", [](QeIdentity& i) { i.mr_signer[31] ^= 1; }, "tdx.qe_identity_mismatch"},
      {"isvprodid", [](QeIdentity& i) { i.isv_prod_id = 1; }, "tdx.qe_identity_mismatch"},
      {"miscselect", [](QeIdentity& i) { i.misc_select = 1; }, "tdx.qe_identity_mismatch"},
      {"miscselect outside mask", [](QeIdentity& i) { i.misc_select = 1, i.misc_select_mask = 0; },
       "ok"},
      {"attributes", [](QeIdentity& i) { i.attributes[8] = 1, i.attributes_mask[8] = 0xff; },
       "tdx.qe_identity_mismatch"},
      {"isvsvn above the qe", [](QeIdentity& i) { i.tcb_levels[0].isv_svn = 100; },
       "tdx.qe_tcb_level_not_found"},
      {"no levels", [](QeIdentity& i) { i.tcb_levels.clear(); }, "tdx.qe_tcb_level_not_found"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    QeIdentity id = good;
    c.mutate(id);
    EXPECT_EQ(CheckQeIdentity(q.qe_report, id).status().reason_id(), c.want);
  }
}

}  // namespace
}  // namespace attest::tdx
