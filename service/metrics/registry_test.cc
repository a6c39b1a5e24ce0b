#include "service/metrics/registry.h"

#include <gtest/gtest.h>

namespace attest::service::metrics {
namespace {

TEST(RegistryTest, RendersPrometheusText) {
  Registry r;
  r.DefineCounter("req_total", "Requests.");
  r.DefineGauge("hosts", "Hosts.");
  r.DefineHistogram("lat_seconds", "Latency.", {0.1, 1});
  r.Add("req_total", {{"route", "/v1/x"}, {"status", "200"}});
  r.Add("req_total", {{"route", "/v1/x"}, {"status", "200"}}, 2);
  r.Add("req_total", {{"route", "a\"b\\c\nd"}});
  r.Set("hosts", {}, 3);
  r.Observe("lat_seconds", {{"type", "tpm"}}, 0.05);
  r.Observe("lat_seconds", {{"type", "tpm"}}, 0.5);
  r.Observe("lat_seconds", {{"type", "tpm"}}, 5);
  // Undeclared families and wrong types are ignored, never a crash.
  r.Add("nope", {});
  r.Observe("hosts", {}, 1);
  r.Add("req_total", {}, -1);

  const std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE req_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("req_total{route=\"/v1/x\",status=\"200\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("req_total{route=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("hosts 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{type=\"tpm\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{type=\"tpm\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{type=\"tpm\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count{type=\"tpm\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum{type=\"tpm\"} 5.55\n"), std::string::npos);
  EXPECT_EQ(text.find("nope"), std::string::npos);
}

}  // namespace
}  // namespace attest::service::metrics
