// OpenPostgres against a server that accepts the TCP connection and then never answers (as a
// database behind a firewall that drops packets looks): the connect fails within a bounded
// time instead of holding the caller for as long as TCP retransmits (issue 21). No PostgreSQL
// server is needed: a listening socket that never accepts stands in for the silent one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "service/store/reasons.h"
#include "service/store/sql.h"
#include "tests/testing/loopback.h"

namespace attest::service::store {
namespace {

using Clock = std::chrono::steady_clock;

TEST(PostgresConnectTest, ASilentServerTimesOut) {
  uint16_t port = 0;
  auto listener = testing::ListenOnLoopback(&port);
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  const std::string base = "host=127.0.0.1 port=" + std::to_string(port) +
                           " user=nobody dbname=none sslmode=disable gssencmode=disable";
  const struct {
    std::string name, conninfo;
    double max_seconds;
  } cases[] = {
      {"the default bound", base, 9},
      {"the connection string's own bound wins", base + " connect_timeout=2", 4},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto start = Clock::now();
    auto db = OpenPostgres(c.conninfo);
    const double took = std::chrono::duration<double>(Clock::now() - start).count();
    ASSERT_FALSE(db.ok());
    EXPECT_EQ(db.status().reason_id(), reasons::kStoreDatabase.id);
    EXPECT_LT(took, c.max_seconds);
  }
  close(*listener);
}

// Nothing listening: refused at once, the same error.
TEST(PostgresConnectTest, ARefusedConnectionIsADatabaseError) {
  uint16_t port = 0;
  auto listener = testing::ListenOnLoopback(&port);
  ASSERT_TRUE(listener.ok());
  close(*listener);
  auto db = OpenPostgres("host=127.0.0.1 port=" + std::to_string(port) +
                         " user=nobody dbname=none sslmode=disable gssencmode=disable");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().reason_id(), reasons::kStoreDatabase.id);
}

// An option the server side would never see is still checked: a typo is an error, not ignored.
TEST(PostgresConnectTest, AnUnknownOptionIsRefused) {
  auto db = OpenPostgres("host=127.0.0.1 conect_timeout=2");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().reason_id(), reasons::kStoreDatabase.id);
}

}  // namespace
}  // namespace attest::service::store
