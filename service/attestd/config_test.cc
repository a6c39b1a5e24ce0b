// attestd configuration: the key release settings (issue 9) and `attestd init`.
#include "service/attestd/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "service/attestd/serve_inputs.h"
#include "service/attestd/setup.h"
#include "service/keys/local_kek.h"
#include "service/keys/volume.h"

namespace attest::service::attestd {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("attestd-config-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  Result<Config> Load(const nlohmann::json& doc) {
    return LoadConfig(Write("attestd.json", doc.dump()));
  }
  static nlohmann::json Base() {
    return {{"listen_host", "127.0.0.1"}, {"listen_port", 8443},       {"tls_cert", "c.pem"},
            {"tls_key", "k.pem"},         {"database", "sqlite:a.db"}, {"kek_file", "kek.bin"}};
  }
  fs::path dir_;
};

TEST_F(ConfigTest, KeyReleaseSettings) {
  nlohmann::json doc = Base();
  doc["token_key"] = "token-key.pem";
  doc["volume_dir"] = "volumes";
  doc["test_roots"] = "roots.json";
  doc["max_volume_bytes"] = 1 << 30;
  doc["release_rate_per_vm_per_minute"] = 10;
  doc["release_rate_per_address_per_minute"] = 100;
  doc["token_ttl_seconds"] = 60;
  doc["max_presign_seconds"] = 120;
  doc["ephemeral_key_pool"] = 0;
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->token_key, (dir_ / "token-key.pem").string());
  EXPECT_EQ(c->api.volume_dir, (dir_ / "volumes").string());
  EXPECT_EQ(c->test_roots, (dir_ / "roots.json").string());
  EXPECT_EQ(c->api.max_volume_bytes, 1u << 30);
  EXPECT_EQ(c->api.release_rate_per_vm_per_minute, 10);
  EXPECT_EQ(c->api.release_rate_per_address_per_minute, 100);
  EXPECT_EQ(c->api.token_ttl.count(), 60);
  EXPECT_EQ(c->api.max_presign.count(), 120);
  EXPECT_EQ(c->ephemeral_key_pool, 0);
  EXPECT_EQ(Load(Base())->ephemeral_key_pool, 16);
  EXPECT_FALSE(c->kek_pkcs11.has_value());
  // ConfigJson writes what LoadConfig reads back.
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigJson(*again), ConfigJson(*c));

  // Defaults: limits on, no test roots.
  auto plain = Load(Base());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->api.release_rate_per_vm_per_minute, 30);
  EXPECT_EQ(plain->api.release_rate_per_address_per_minute, 600);
  EXPECT_EQ(plain->api.max_presign.count(), 900);
  EXPECT_TRUE(plain->test_roots.empty());
  for (int bad : {0, -1, 604801}) {
    nlohmann::json doc2 = Base();
    doc2["max_presign_seconds"] = bad;
    EXPECT_FALSE(Load(doc2).ok()) << bad;
  }
}

TEST_F(ConfigTest, Pkcs11Kek) {
  nlohmann::json doc = Base();
  doc.erase("kek_file");
  doc["kek_pkcs11_module"] = "/usr/lib/softhsm/libsofthsm2.so";
  doc["kek_pkcs11_token_label"] = "attestd";
  doc["kek_pkcs11_key_label"] = "kek";
  doc["kek_pkcs11_pin_file"] = "pin";
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->kek_pkcs11.has_value());
  EXPECT_EQ(c->kek_pkcs11->pin_source, "file:" + (dir_ / "pin").string());
  EXPECT_EQ(c->kek_pkcs11->token_label, "attestd");
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->kek_pkcs11->pin_source, c->kek_pkcs11->pin_source);
  doc.erase("kek_pkcs11_pin_file");
  doc["kek_pkcs11_pin_env"] = "ATTESTD_PIN";
  EXPECT_EQ(Load(doc)->kek_pkcs11->pin_source, "env:ATTESTD_PIN");
}

// The slow-work pool stays below server_threads: defaults shrink with it, explicit sizes are
// checked against it.
TEST_F(ConfigTest, SlowWorkSizes) {
  struct Case {
    std::string name;
    int server_threads;
    std::optional<int> threads, queue;
    size_t want_threads, want_queue;
  };
  const Case cases[] = {
      {"defaults", 8, std::nullopt, std::nullopt, 2, 2},
      {"defaults, four server threads", 4, std::nullopt, std::nullopt, 1, 2},
      {"defaults, two server threads", 2, std::nullopt, std::nullopt, 1, 0},
      {"explicit", 16, 4, 8, 4, 8},
      {"explicit threads, default queue", 8, 3, std::nullopt, 3, 2},
      {"no queue", 8, 2, 0, 2, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    nlohmann::json doc = Base();
    doc["server_threads"] = c.server_threads;
    if (c.threads) {
      doc["slow_work_threads"] = *c.threads;
    }
    if (c.queue) {
      doc["slow_work_queue"] = *c.queue;
    }
    auto loaded = Load(doc);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(loaded->api.slow_work_threads, c.want_threads);
    EXPECT_EQ(loaded->api.slow_work_queue, c.want_queue);
    auto again = LoadConfig(Write("again.json", ConfigJson(*loaded)));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->api.slow_work_threads, c.want_threads);
  }
}

// max_concurrent_verifications: half the server threads unless set; an explicit value must be
// an integer below server_threads (a bound at or above it never binds), refused naming the key.
TEST_F(ConfigTest, VerificationBound) {
  struct Case {
    std::string name;
    std::optional<int> server_threads;
    nlohmann::json max;  // null: unset
    size_t want;         // 0: refused
  };
  const Case cases[] = {
      {"default", std::nullopt, nullptr, 4},
      {"default, two server threads", 2, nullptr, 1},
      {"default, three server threads", 3, nullptr, 1},
      {"default, 64 server threads", 64, nullptr, 32},
      {"explicit", 16, 12, 12},
      {"one", std::nullopt, 1, 1},
      {"one below the server threads", 8, 7, 7},
      {"zero", std::nullopt, 0, 0},
      {"negative", std::nullopt, -1, 0},
      {"equal to the server threads", 8, 8, 0},
      {"above the server threads", 8, 16, 0},
      {"above the range", 256, 256, 0},
      {"a string", std::nullopt, "4", 0},
      {"a fraction", std::nullopt, 2.5, 0},
      {"a boolean", std::nullopt, true, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    nlohmann::json doc = Base();
    if (c.server_threads) {
      doc["server_threads"] = *c.server_threads;
    }
    if (!c.max.is_null()) {
      doc["max_concurrent_verifications"] = c.max;
    }
    auto loaded = Load(doc);
    if (c.want == 0) {
      EXPECT_EQ(loaded.status().reason_id(), "api.config_invalid");
      EXPECT_NE(loaded.status().message().find("max_concurrent_verifications"), std::string::npos)
          << loaded.status().ToString();
      continue;
    }
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(loaded->api.max_concurrent_verifications, c.want);
    // Written back explicitly, and read back the same.
    auto again = LoadConfig(Write("again.json", ConfigJson(*loaded)));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(again->api.max_concurrent_verifications, c.want);
  }
}

TEST_F(ConfigTest, LaunchSettings) {
  nlohmann::json doc = Base();
  doc["launch_domain_type"] = "qemu";
  doc["launch_snp_firmware"] = "/usr/share/ovmf/OVMF.amdsev.fd";
  doc["launch_tdx_firmware"] = "/usr/share/ovmf/OVMF.tdx.fd";
  doc["launch_allow_dac_only"] = true;
  doc["launch_user_network"] = true;
  doc["launch_max_quote_age_seconds"] = 900;
  doc["server_threads"] = 4;
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->launch.domain_type, "qemu");
  EXPECT_EQ(c->launch.snp_firmware, "/usr/share/ovmf/OVMF.amdsev.fd");
  EXPECT_EQ(c->launch.tdx_firmware, "/usr/share/ovmf/OVMF.tdx.fd");
  EXPECT_TRUE(c->launch.allow_dac_only);
  EXPECT_TRUE(c->launch.user_network);
  EXPECT_EQ(c->launch.max_quote_age.count(), 900);
  EXPECT_EQ(c->server_threads, 4);
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigJson(*again), ConfigJson(*c));
  // Defaults: KVM, no firmware (so no launches), no DAC-only hosts.
  auto plain = Load(Base());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->launch.domain_type, "kvm");
  EXPECT_TRUE(plain->launch.snp_firmware.empty());
  EXPECT_FALSE(plain->launch.allow_dac_only);
  EXPECT_FALSE(plain->launch.user_network);
}

TEST_F(ConfigTest, WebhookSettings) {
  nlohmann::json doc = Base();
  doc["webhooks_allow_loopback_http"] = true;
  doc["webhooks_ca_file"] = "hooks-ca.pem";
  doc["webhooks_poll_ms"] = 200;
  doc["webhooks_lease_seconds"] = 30;
  doc["webhooks_batch"] = 4;
  doc["webhooks_max_attempts"] = 5;
  doc["webhooks_backoff_base_seconds"] = 2;
  doc["webhooks_backoff_cap_seconds"] = 600;
  doc["webhooks_connect_timeout_ms"] = 1000;
  doc["webhooks_timeout_ms"] = 3000;
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->webhooks.allow_loopback_http);
  EXPECT_TRUE(c->api.webhooks_allow_loopback_http) << "the API checks URLs with the same rule";
  EXPECT_EQ(c->webhooks.ca_file, (dir_ / "hooks-ca.pem").string());
  EXPECT_EQ(c->webhooks.poll_interval.count(), 200);
  EXPECT_EQ(c->webhooks.lease.count(), 30);
  EXPECT_EQ(c->webhooks.batch, 4);
  EXPECT_EQ(c->webhooks.retry.max_attempts, 5);
  EXPECT_EQ(c->webhooks.retry.base.count(), 2);
  EXPECT_EQ(c->webhooks.retry.cap.count(), 600);
  EXPECT_EQ(c->webhooks.connect_timeout.count(), 1000);
  EXPECT_EQ(c->webhooks.total_timeout.count(), 3000);
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigJson(*again), ConfigJson(*c));
  auto plain = Load(Base());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->webhooks.allow_loopback_http) << "https only by default";
  EXPECT_FALSE(plain->api.webhooks_allow_loopback_http);

  const struct {
    std::string name;
    std::string key;
    nlohmann::json value;
  } bad[] = {
      {"loopback flag not a bool", "webhooks_allow_loopback_http", "yes"},
      {"ca file not a string", "webhooks_ca_file", 1},
      {"poll too fast", "webhooks_poll_ms", 1},
      {"lease shorter than the timeout", "webhooks_lease_seconds", 10},
      {"batch zero", "webhooks_batch", 0},
      {"attempts zero", "webhooks_max_attempts", 0},
      {"cap below base", "webhooks_backoff_cap_seconds", 1},
      {"timeout not a number", "webhooks_timeout_ms", "15s"},
      {"unknown webhooks setting", "webhooks_color", "blue"},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.name);
    nlohmann::json d = Base();
    d[b.key] = b.value;
    if (b.key == "webhooks_backoff_cap_seconds") {
      d["webhooks_backoff_base_seconds"] = 5;
    }
    EXPECT_EQ(Load(d).status().reason_id(), "api.config_invalid");
  }
}

TEST_F(ConfigTest, CollateralSettings) {
  auto plain = Load(Base());
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->collateral.fetch);
  EXPECT_EQ(plain->collateral.kds_url, "https://kdsintf.amd.com");
  EXPECT_EQ(plain->collateral.pcs.base_url, "https://api.trustedservices.intel.com");
  EXPECT_EQ(plain->collateral.pcs.root_crl_url,
            "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der");
  EXPECT_EQ(plain->collateral.max_age.count(), 7 * 86400);

  nlohmann::json doc = Base();
  doc["kds_url"] = "https://kds.example/";
  doc["pcs_url"] = "https://pccs.example:8081";
  doc["pcs_root_crl_url"] = "https://pccs.example:8081/sgx/certification/v4/rootcacrl";
  doc["pcs_update"] = "early";
  doc["collateral_ca_bundle"] = "vendors.pem";
  doc["collateral_proxy"] = "http://proxy.example:3128";
  doc["collateral_timeout_seconds"] = 20;
  doc["collateral_max_attempts"] = 3;
  doc["collateral_refresh_interval_seconds"] = 600;
  doc["collateral_refresh_ahead_seconds"] = 172800;
  doc["max_collateral_age_seconds"] = 86400;
  doc["collateral_fetch"] = false;
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->collateral.fetch);
  EXPECT_EQ(c->collateral.kds_url, "https://kds.example");
  EXPECT_EQ(c->collateral.pcs.base_url, "https://pccs.example:8081");
  EXPECT_EQ(c->collateral.pcs.update, "early");
  EXPECT_EQ(c->collateral.http.ca_bundle, (dir_ / "vendors.pem").string());
  EXPECT_EQ(c->collateral.http.proxy, "http://proxy.example:3128");
  EXPECT_EQ(c->collateral.http.timeout.count(), 20000);
  EXPECT_EQ(c->collateral.http.max_attempts, 3);
  EXPECT_EQ(c->collateral.refresh_interval.count(), 600);
  EXPECT_EQ(c->collateral.refresh_ahead.count(), 172800);
  EXPECT_EQ(c->collateral.max_age.count(), 86400);
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigJson(*again), ConfigJson(*c));

  const struct {
    std::string name;
    std::string key;
    nlohmann::json value;
  } bad[] = {
      {"KDS URL not http(s)", "kds_url", "ftp://kds.example"},
      {"PCS URL not a string", "pcs_url", 1},
      {"root CRL URL a file", "pcs_root_crl_url", "file:///etc/crl.der"},
      {"unknown update", "pcs_update", "late"},
      {"CA bundle not a string", "collateral_ca_bundle", true},
      {"timeout zero", "collateral_timeout_seconds", 0},
      {"attempts too many", "collateral_max_attempts", 100},
      {"interval too short", "collateral_refresh_interval_seconds", 1},
      {"age negative", "max_collateral_age_seconds", -1},
      {"fetch not a bool", "collateral_fetch", "no"},
      {"unknown collateral setting", "collateral_color", "blue"},
  };
  for (const auto& b : bad) {
    SCOPED_TRACE(b.name);
    nlohmann::json d = Base();
    d[b.key] = b.value;
    EXPECT_EQ(Load(d).status().reason_id(), "api.config_invalid");
  }
}

TEST_F(ConfigTest, EkCertificatesAreRequiredUnlessExplicitlyAllowed) {
  auto plain = Load(Base());
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->api.allow_hosts_without_ek_cert);
  nlohmann::json doc = Base();
  doc["allow_hosts_without_ek_cert"] = true;
  doc["ek_ca_bundle"] = "ek-cas";
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->api.allow_hosts_without_ek_cert);
  EXPECT_EQ(c->api.ek_ca_bundle, (dir_ / "ek-cas").string());  // relative to the file
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->api.allow_hosts_without_ek_cert);
}

TEST_F(ConfigTest, PreviousKeks) {
  nlohmann::json doc = Base();
  doc["kek_id"] = "file:00112233aabbccdd";
  doc["previous_keks"] = {{{"id", "file:0123456789abcdef"}, {"kek_file", "old.bin"}},
                          {{"id", "pkcs11:t/k"},
                           {"kek_pkcs11_module", "/m.so"},
                           {"kek_pkcs11_token_label", "t"},
                           {"kek_pkcs11_key_label", "k"},
                           {"kek_pkcs11_pin_env", "PIN"}}};
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->kek_id, "file:00112233aabbccdd");
  ASSERT_EQ(c->previous_keks.size(), 2u);
  EXPECT_EQ(c->previous_keks[0].id, "file:0123456789abcdef");
  EXPECT_EQ(c->previous_keks[0].file, (dir_ / "old.bin").string());  // relative to the file
  EXPECT_FALSE(c->previous_keks[0].pkcs11.has_value());
  ASSERT_TRUE(c->previous_keks[1].pkcs11.has_value());
  EXPECT_EQ(c->previous_keks[1].pkcs11->pin_source, "env:PIN");
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigJson(*again), ConfigJson(*c));

  using Edit = std::function<void(nlohmann::json&)>;
  const std::vector<std::pair<std::string, Edit>> bad = {
      {"not a list", [](nlohmann::json& d) { d["previous_keks"] = "old.bin"; }},
      {"entry not an object", [](nlohmann::json& d) { d["previous_keks"] = {"old.bin"}; }},
      {"no id",
       [](nlohmann::json& d) {
         d["previous_keks"] = {{{"kek_file", "old.bin"}}};
       }},
      {"empty id",
       [](nlohmann::json& d) {
         d["previous_keks"] = {{{"id", ""}, {"kek_file", "old.bin"}}};
       }},
      {"id a number",
       [](nlohmann::json& d) {
         d["previous_keks"] = {{{"id", 1}, {"kek_file", "old.bin"}}};
       }},
      {"no kek",
       [](nlohmann::json& d) {
         d["previous_keks"] = {{{"id", "file:1"}}};
       }},
      {"two keks",
       [](nlohmann::json& d) {
         d["previous_keks"] = {
             {{"id", "file:1"}, {"kek_file", "old.bin"}, {"kek_pkcs11_module", "/m.so"}}};
       }},
      {"pkcs11 without a pin",
       [](nlohmann::json& d) {
         d["previous_keks"] = {{{"id", "pkcs11:t/k"},
                                {"kek_pkcs11_module", "/m.so"},
                                {"kek_pkcs11_token_label", "t"},
                                {"kek_pkcs11_key_label", "k"}}};
       }},
      {"unknown setting in an entry",
       [](nlohmann::json& d) {
         d["previous_keks"] = {{{"id", "file:1"}, {"kek_file", "old.bin"}, {"database", "x"}}};
       }},
      {"kek_file a number",
       [](nlohmann::json& d) {
         d["previous_keks"] = {{{"id", "file:1"}, {"kek_file", 1}}};
       }},
      {"too many",
       [](nlohmann::json& d) {
         d["previous_keks"] = nlohmann::json::array();
         for (int i = 0; i < 9; ++i) {
           d["previous_keks"].push_back({{"id", "file:" + std::to_string(i)}, {"kek_file", "k"}});
         }
       }},
      {"kek_id a number", [](nlohmann::json& d) { d["kek_id"] = 7; }},
      {"unknown kek_ setting", [](nlohmann::json& d) { d["kek_files"] = "x"; }},
  };
  for (const auto& [name, edit] : bad) {
    SCOPED_TRACE(name);
    nlohmann::json d = Base();
    edit(d);
    EXPECT_EQ(Load(d).status().reason_id(), "api.config_invalid");
  }
}

TEST_F(ConfigTest, OpenKeyRingChecksIdsAndRefusesTheSameKekTwice) {
  InitOptions options;
  options.data_dir = (dir_ / "data").string();
  auto r = InitDataDir(options, FromUnixSeconds(1764000000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto c = LoadConfig(r->config_path);
  ASSERT_TRUE(c.ok());
  const std::string first = OpenKeyRing(*c).value()->key_id();
  const std::string second_file = (dir_ / "kek-2.bin").string();
  ASSERT_TRUE(keys::LocalKeyFileKek::CreateKeyFile(second_file).ok());
  Config rotated = *c;
  rotated.kek_file = second_file;
  rotated.previous_keks = {{first, c->kek_file, std::nullopt}};
  auto ring = OpenKeyRing(rotated);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_NE((*ring)->key_id(), first);
  EXPECT_EQ((*ring)->previous_ids(), std::vector<std::string>{first});

  struct Case {
    std::string name;
    std::function<void(Config&)> edit;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"same KEK as current and previous",
       [&](Config& k) {
         k.previous_keks = {{first, c->kek_file, std::nullopt}};
       },
       "keys.config_invalid"},
      {"same previous twice", [&](Config& k) { k.previous_keks.push_back(k.previous_keks[0]); },
       "keys.config_invalid"},
      {"current is not its kek_id", [&](Config& k) { k.kek_id = first; }, "keys.wrong_key"},
      {"previous is not its id",
       [&](Config& k) { k.previous_keks[0].id = "file:0000000000000000"; }, "keys.wrong_key"},
      {"previous file missing",
       [&](Config& k) { k.previous_keks[0].file = (dir_ / "gone.bin").string(); },
       "store.kek_invalid"},
  };
  for (const Case& t : cases) {
    SCOPED_TRACE(t.name);
    Config k = t.name == "same KEK as current and previous" ? *c : rotated;
    t.edit(k);
    EXPECT_EQ(OpenKeyRing(k).status().reason_id(), t.want);
  }
}

TEST_F(ConfigTest, RefusesBadSettings) {
  using Edit = std::function<void(nlohmann::json&)>;
  const std::vector<std::pair<std::string, Edit>> cases = {
      {"unknown setting", [](nlohmann::json& d) { d["kek"] = "file"; }},
      {"no kek", [](nlohmann::json& d) { d.erase("kek_file"); }},
      {"both keks", [](nlohmann::json& d) { d["kek_pkcs11_module"] = "/m.so"; }},
      {"pkcs11 without labels",
       [](nlohmann::json& d) {
         d.erase("kek_file");
         d["kek_pkcs11_module"] = "/m.so";
         d["kek_pkcs11_pin_env"] = "PIN";
       }},
      {"pkcs11 without a pin",
       [](nlohmann::json& d) {
         d.erase("kek_file");
         d["kek_pkcs11_module"] = "/m.so";
         d["kek_pkcs11_token_label"] = "t";
         d["kek_pkcs11_key_label"] = "k";
       }},
      {"pkcs11 with two pins",
       [](nlohmann::json& d) {
         d.erase("kek_file");
         d["kek_pkcs11_module"] = "/m.so";
         d["kek_pkcs11_token_label"] = "t";
         d["kek_pkcs11_key_label"] = "k";
         d["kek_pkcs11_pin_env"] = "PIN";
         d["kek_pkcs11_pin_file"] = "pin";
       }},
      {"rate zero", [](nlohmann::json& d) { d["release_rate_per_vm_per_minute"] = 0; }},
      {"rate as string", [](nlohmann::json& d) { d["release_rate_per_address_per_minute"] = "9"; }},
      {"volumes too small", [](nlohmann::json& d) { d["max_volume_bytes"] = 1024; }},
      {"token_key a number", [](nlohmann::json& d) { d["token_key"] = 1; }},
      {"test_roots a list", [](nlohmann::json& d) { d["test_roots"] = {"a.pem"}; }},
      {"launch domain type xen", [](nlohmann::json& d) { d["launch_domain_type"] = "xen"; }},
      {"launch firmware relative",
       [](nlohmann::json& d) { d["launch_snp_firmware"] = "OVMF.amdsev.fd"; }},
      {"launch firmware a number", [](nlohmann::json& d) { d["launch_tdx_firmware"] = 1; }},
      {"launch dac-only a string", [](nlohmann::json& d) { d["launch_allow_dac_only"] = "yes"; }},
      {"launch user network a number", [](nlohmann::json& d) { d["launch_user_network"] = 1; }},
      {"allow hosts without ek cert a string",
       [](nlohmann::json& d) { d["allow_hosts_without_ek_cert"] = "true"; }},
      {"allow hosts without ek cert a number",
       [](nlohmann::json& d) { d["allow_hosts_without_ek_cert"] = 1; }},
      {"no server thread", [](nlohmann::json& d) { d["server_threads"] = 0; }},
      {"ephemeral key pool negative", [](nlohmann::json& d) { d["ephemeral_key_pool"] = -1; }},
      {"ephemeral key pool huge", [](nlohmann::json& d) { d["ephemeral_key_pool"] = 1025; }},
      {"ephemeral key pool a string", [](nlohmann::json& d) { d["ephemeral_key_pool"] = "16"; }},
      {"one server thread", [](nlohmann::json& d) { d["server_threads"] = 1; }},
      {"no slow work thread", [](nlohmann::json& d) { d["slow_work_threads"] = 0; }},
      {"slow work threads a string", [](nlohmann::json& d) { d["slow_work_threads"] = "2"; }},
      {"slow work queue negative", [](nlohmann::json& d) { d["slow_work_queue"] = -1; }},
      {"slow work queue huge", [](nlohmann::json& d) { d["slow_work_queue"] = 1025; }},
      {"slow work takes every server thread",
       [](nlohmann::json& d) {
         d["server_threads"] = 8;
         d["slow_work_threads"] = 4;
         d["slow_work_queue"] = 4;
       }},
      {"slow work threads alone take every server thread",
       [](nlohmann::json& d) {
         d["server_threads"] = 4;
         d["slow_work_threads"] = 4;
       }},
      {"launch quote age too short",
       [](nlohmann::json& d) { d["launch_max_quote_age_seconds"] = 10; }},
      {"cryptsetup a bare name", [](nlohmann::json& d) { d["cryptsetup_path"] = "cryptsetup"; }},
      {"cryptsetup relative", [](nlohmann::json& d) { d["cryptsetup_path"] = "sbin/cryptsetup"; }},
      {"cryptsetup empty", [](nlohmann::json& d) { d["cryptsetup_path"] = ""; }},
      {"cryptsetup a number", [](nlohmann::json& d) { d["cryptsetup_path"] = 1; }},
  };
  for (const auto& [name, edit] : cases) {
    SCOPED_TRACE(name);
    nlohmann::json doc = Base();
    edit(doc);
    EXPECT_EQ(Load(doc).status().reason_id(), "api.config_invalid");
  }
}

TEST_F(ConfigTest, NetworkFrontSettings) {
  nlohmann::json doc = Base();
  doc["listen_host"] = "0.0.0.0";
  doc["trusted_proxies"] = {"10.0.0.0/8", "2001:db8::/32", "192.0.2.7"};
  doc["metrics_allowed_cidrs"] = {"192.0.2.0/24", "::1"};
  doc["tls_min_version"] = "1.3";
  doc["tls_ciphers"] = "ECDHE-ECDSA-AES256-GCM-SHA384";
  doc["proxy_protocol"] = true;
  doc["max_connections"] = 5000;
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->server.host, "0.0.0.0");
  EXPECT_TRUE(c->server.proxy_protocol);
  EXPECT_EQ(c->server.max_connections, 5000u);
  // The server reads PROXY headers from the same proxies whose forwarding headers are trusted.
  ASSERT_EQ(c->server.trusted_proxies.size(), 3u);
  EXPECT_EQ(c->server.trusted_proxies[0].ToString(), "10.0.0.0/8");
  EXPECT_EQ(c->server.threads, static_cast<size_t>(c->server_threads));
  ASSERT_EQ(c->api.trusted_proxies.size(), 3u);
  EXPECT_EQ(c->api.trusted_proxies[1].ToString(), "2001:db8::/32");
  EXPECT_EQ(c->api.trusted_proxies[2].ToString(), "192.0.2.7/32");
  ASSERT_EQ(c->api.metrics_allowed_cidrs.size(), 2u);
  EXPECT_EQ(c->api.metrics_allowed_cidrs[0].ToString(), "192.0.2.0/24");
  EXPECT_EQ(c->api.metrics_allowed_cidrs[1].ToString(), "::1/128");
  EXPECT_EQ(c->server.tls_settings.min_version, "1.3");
  EXPECT_EQ(c->server.tls_settings.ciphers, "ECDHE-ECDSA-AES256-GCM-SHA384");
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigJson(*again), ConfigJson(*c));
  // Defaults: no proxy trusted, TLS 1.2 with the AEAD suites.
  auto plain = Load(Base());
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->api.trusted_proxies.empty());
  EXPECT_TRUE(plain->api.metrics_allowed_cidrs.empty());  // every client may scrape
  EXPECT_EQ(plain->server.tls_settings.min_version, "1.2");
  EXPECT_EQ(plain->server.tls_settings.ciphers, server::kDefaultTlsCiphers);
  EXPECT_FALSE(plain->server.proxy_protocol);
  // Any address, IPv6 included.
  for (const char* host : {"::", "::1", "2001:db8::7", "10.1.2.3"}) {
    nlohmann::json v6 = Base();
    v6["listen_host"] = host;
    auto loaded = Load(v6);
    ASSERT_TRUE(loaded.ok()) << host << ": " << loaded.status().ToString();
    EXPECT_EQ(loaded->server.host, host);
  }
}

TEST_F(ConfigTest, OperationsSettings) {
  nlohmann::json doc = Base();
  doc["log_format"] = "json";
  doc["access_log"] = false;
  doc["shutdown_grace_seconds"] = 5;
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->log_format, log::Format::kJson);
  EXPECT_FALSE(c->api.access_log);
  EXPECT_EQ(c->shutdown_grace, std::chrono::seconds(5));
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigJson(*again), ConfigJson(*c));
  // Defaults: text lines, one per request, 30 s to drain.
  auto plain = Load(Base());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->log_format, log::Format::kText);
  EXPECT_TRUE(plain->api.access_log);
  EXPECT_EQ(plain->shutdown_grace, std::chrono::seconds(30));

  struct Case {
    const char* name;
    const char* key;
    nlohmann::json value;
  } bad[] = {
      {"format unknown", "log_format", "syslog"},
      {"format upper case", "log_format", "JSON"},
      {"format a bool", "log_format", true},
      {"access log a string", "access_log", "true"},
      {"access log a number", "access_log", 1},
      {"grace negative", "shutdown_grace_seconds", -1},
      {"grace over an hour", "shutdown_grace_seconds", 3601},
      {"grace a string", "shutdown_grace_seconds", "30"},
  };
  for (const Case& b : bad) {
    SCOPED_TRACE(b.name);
    nlohmann::json d = Base();
    d[b.key] = b.value;
    EXPECT_EQ(Load(d).status().reason_id(), "api.config_invalid");
  }
}

std::vector<std::string> Texts(const std::vector<http::IpNetwork>& networks) {
  std::vector<std::string> out;
  out.reserve(networks.size());
  for (const http::IpNetwork& n : networks) {
    out.push_back(n.ToString());
  }
  return out;
}

TEST_F(ConfigTest, TenantNetRangesAndTestLibvirtUris) {
  nlohmann::json doc = Base();
  doc["tenant_net_pools"] = {"10.64.0.0/10", "100.64.0.0/10"};
  doc["reserved_cidrs"] = {"10.64.0.0/16", "10.65.1.7"};
  doc["allow_test_libvirt_uris"] = true;
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(Texts(c->api.tenant_net_pools),
            (std::vector<std::string>{"10.64.0.0/10", "100.64.0.0/10"}));
  EXPECT_EQ(Texts(c->api.reserved_cidrs),
            (std::vector<std::string>{"10.64.0.0/16", "10.65.1.7/32"}));
  EXPECT_TRUE(c->api.allow_test_libvirt_uris);
  auto again = LoadConfig(Write("again.json", ConfigJson(*c)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(ConfigJson(*again), ConfigJson(*c));
  // An empty pool list is allowed: tenants then make no nets.
  doc["tenant_net_pools"] = nlohmann::json::array();
  auto none = Load(doc);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->api.tenant_net_pools.empty());
  // Defaults: the RFC 1918 ranges, nothing reserved, no test driver; all written out.
  auto plain = Load(Base());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(Texts(plain->api.tenant_net_pools),
            (std::vector<std::string>{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"}));
  EXPECT_TRUE(plain->api.reserved_cidrs.empty());
  EXPECT_FALSE(plain->api.allow_test_libvirt_uris);
  const nlohmann::json written = nlohmann::json::parse(ConfigJson(*plain));
  EXPECT_EQ(written["tenant_net_pools"].size(), 3u);
  EXPECT_TRUE(written["reserved_cidrs"].empty());
  EXPECT_EQ(written["allow_test_libvirt_uris"], false);

  struct Case {
    const char* name;
    const char* key;
    nlohmann::json value;
  } bad[] = {
      {"pools a string", "tenant_net_pools", "10.0.0.0/8"},
      {"pools a name", "tenant_net_pools", {"10.0.0.0/8", "lan.example"}},
      {"pools host bits", "tenant_net_pools", {"10.0.0.1/8"}},
      {"pools prefix too long", "tenant_net_pools", {"10.0.0.0/33"}},
      {"pools smaller than a net", "tenant_net_pools", {"10.0.0.0/30"}},
      {"pools a host", "tenant_net_pools", {"10.0.0.1"}},
      {"pools ipv6", "tenant_net_pools", {"fd00::/8"}},
      {"pools empty entry", "tenant_net_pools", {""}},
      {"pools a number", "tenant_net_pools", {10}},
      {"pools too many", "tenant_net_pools", std::vector<std::string>(257, "10.0.0.0/8")},
      {"reserved an object", "reserved_cidrs", {{"cidr", "10.0.0.0/8"}}},
      {"reserved host bits", "reserved_cidrs", {"192.168.1.1/24"}},
      {"reserved ipv6", "reserved_cidrs", {"2001:db8::/32"}},
      {"reserved a number", "reserved_cidrs", {1}},
      {"reserved a string", "reserved_cidrs", "10.0.0.0/8"},
      {"test uris a string", "allow_test_libvirt_uris", "true"},
      {"test uris a number", "allow_test_libvirt_uris", 1},
  };
  for (const Case& b : bad) {
    SCOPED_TRACE(b.name);
    nlohmann::json d = Base();
    d[b.key] = b.value;
    const Status s = Load(d).status();
    EXPECT_EQ(s.reason_id(), "api.config_invalid");
    EXPECT_NE(s.message().find(b.key), std::string::npos) << s.message();
  }
}

TEST_F(ConfigTest, RefusesBadNetworkFrontSettings) {
  struct Case {
    const char* name;
    const char* key;
    nlohmann::json value;
  } cases[] = {
      {"listen host a name", "listen_host", "localhost"},
      {"listen host with port", "listen_host", "127.0.0.1:8443"},
      {"listen host three parts", "listen_host", "127.0.1"},
      {"listen host empty", "listen_host", ""},
      {"listen host cidr", "listen_host", "0.0.0.0/0"},
      {"listen host ipv6 with zone", "listen_host", "fe80::1%eth0"},
      {"listen host bracketed", "listen_host", "[::1]"},
      {"listen host a number", "listen_host", 127},
      {"proxies a string", "trusted_proxies", "10.0.0.0/8"},
      {"proxies with a name", "trusted_proxies", {"10.0.0.0/8", "lb.example"}},
      {"proxies host bits", "trusted_proxies", {"10.0.0.1/8"}},
      {"proxies prefix too long", "trusted_proxies", {"10.0.0.0/33"}},
      {"proxies ipv6 prefix too long", "trusted_proxies", {"2001:db8::/129"}},
      {"proxies empty entry", "trusted_proxies", {""}},
      {"proxies a number", "trusted_proxies", {10}},
      {"proxies too many", "trusted_proxies", std::vector<std::string>(257, "10.0.0.0/8")},
      {"metrics cidrs a string", "metrics_allowed_cidrs", "10.0.0.0/8"},
      {"metrics cidrs with a name", "metrics_allowed_cidrs", {"prometheus.example"}},
      {"metrics cidrs host bits", "metrics_allowed_cidrs", {"10.0.0.1/8"}},
      {"metrics cidrs prefix too long", "metrics_allowed_cidrs", {"10.0.0.0/33"}},
      {"metrics cidrs empty entry", "metrics_allowed_cidrs", {""}},
      {"metrics cidrs a number", "metrics_allowed_cidrs", {10}},
      {"metrics cidrs too many", "metrics_allowed_cidrs",
       std::vector<std::string>(257, "10.0.0.0/8")},
      {"tls 1.1", "tls_min_version", "1.1"},
      {"tls version number", "tls_min_version", 1.2},
      {"tls openssl spelling", "tls_min_version", "TLSv1.3"},
      {"ciphers unknown", "tls_ciphers", "NOPE"},
      {"ciphers empty", "tls_ciphers", ""},
      {"ciphers a list", "tls_ciphers", {"ECDHE-ECDSA-AES128-GCM-SHA256"}},
      {"proxy protocol without trusted proxies", "proxy_protocol", true},
      {"proxy protocol a string", "proxy_protocol", "yes"},
      {"max connections too few", "max_connections", 1},
      {"max connections a string", "max_connections", "100"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    nlohmann::json doc = Base();
    doc[c.key] = c.value;
    EXPECT_EQ(Load(doc).status().reason_id(), "api.config_invalid");
  }
}

TEST_F(ConfigTest, TestRootsFile) {
  Write("ark.pem", "-----BEGIN CERTIFICATE-----\n");
  auto roots = LoadTestRoots(Write("roots.json", R"({"snp_root_chains": ["ark.pem"],
                                                     "tdx_roots": ["ark.pem"]})"));
  ASSERT_TRUE(roots.ok()) << roots.status().ToString();
  EXPECT_EQ(roots->snp_test_root_chains_pem.size(), 1u);
  EXPECT_EQ(roots->tdx_test_roots_pem.size(), 1u);
  EXPECT_TRUE(LoadTestRoots("")->snp_test_root_chains_pem.empty());  // the shipped roots
  for (const std::string bad :
       {R"({"snp_roots": ["ark.pem"]})", R"({"tdx_roots": "ark.pem"})", R"({"tdx_roots": [1]})",
        R"({"tdx_roots": ["missing.pem"]})", R"({"tdx_roots": []})", "[]", "{"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(LoadTestRoots(Write("bad.json", bad)).status().reason_id(), "api.config_invalid");
  }
  // The strict reader (attest/core/json.h): a repeated setting, bytes after a NUL.
  const std::string strict_cases[] = {
      R"({"tdx_roots": ["ark.pem"], "tdx_roots": []})",
      std::string(R"({"tdx_roots": ["ark.pem"]})") + std::string("\0x", 2),
  };
  for (const std::string& bad : strict_cases) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(LoadTestRoots(Write("bad.json", bad)).status().reason_id(), "api.config_invalid");
  }
  EXPECT_EQ(LoadTestRoots((dir_ / "none.json").string()).status().reason_id(),
            "api.config_invalid");
}

TEST_F(ConfigTest, InitMakesTheTokenKeyAndVolumeDirAndUndoesAFailure) {
  InitOptions options;
  options.data_dir = (dir_ / "data").string();
  auto r = InitDataDir(options, FromUnixSeconds(1764000000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto c = LoadConfig(r->config_path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  struct stat st {};
  ASSERT_EQ(stat(c->token_key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(c->api.volume_dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(LoadTokenKey(c->token_key).ok());
  EXPECT_TRUE(OpenKek(*c).ok());
  // The written configuration requires EK certificates, and says so.
  EXPECT_FALSE(c->api.allow_hosts_without_ek_cert);
  // Loopback, no trusted proxy, TLS 1.2+ with the AEAD suites.
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_TRUE(c->api.trusted_proxies.empty());
  EXPECT_EQ(c->server.tls_settings.min_version, "1.2");
  EXPECT_EQ(c->server.tls_settings.ciphers, server::kDefaultTlsCiphers);
  auto written = ReadFileBytes(r->config_path);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(nlohmann::json::parse(written->begin(), written->end())["allow_hosts_without_ek_cert"],
            false);
  chmod(c->token_key.c_str(), 0644);
  EXPECT_EQ(LoadTokenKey(c->token_key).status().reason_id(), "api.config_invalid");
  EXPECT_EQ(LoadTokenKey(c->kek_file).status().reason_id(), "api.config_invalid");

  // A failed init (the volume directory exists already) removes every file it made.
  InitOptions other;
  other.data_dir = (dir_ / "other").string();
  fs::create_directories(dir_ / "other" / "volumes");
  EXPECT_EQ(InitDataDir(other, FromUnixSeconds(1764000000)).status().reason_id(),
            "api.config_invalid");
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir_ / "other")) {
    left.push_back(e.path().filename());
  }
  EXPECT_EQ(left, std::vector<std::string>{"volumes"});
}

// LoadServeInputs (serve and check-config) checks the KEK file and the PKCS#11 PIN file with the
// rules that open them, and resolves cryptsetup once, never through PATH.
TEST_F(ConfigTest, ServeInputsCheckKeyFilesAndCryptsetup) {
  InitOptions options;
  options.data_dir = (dir_ / "data").string();
  auto r = InitDataDir(options, FromUnixSeconds(1764000000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config good = LoadConfig(r->config_path).value();
  auto in = LoadServeInputs(good);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  if (keys::ResolveCryptsetup("").ok()) {
    EXPECT_EQ(in->cryptsetup, keys::ResolveCryptsetup("").value());
  } else {
    EXPECT_EQ(in->cryptsetup, "");
  }

  Write("cryptsetup", "#!/bin/sh\nexit 0\n");
  chmod((dir_ / "cryptsetup").c_str(), 0755);
  Write("cryptsetup-open", "#!/bin/sh\nexit 0\n");
  chmod((dir_ / "cryptsetup-open").c_str(), 0777);
  Write("pin", "1234\n");
  chmod((dir_ / "pin").c_str(), 0600);
  Write("pin-open", "1234\n");
  chmod((dir_ / "pin-open").c_str(), 0644);
  fs::create_symlink(dir_ / "pin-open", dir_ / "pin-link");
  auto pkcs11 = [&](const std::string& pin_file) {
    return [this, pin_file](Config& c) {
      c.kek_file.clear();
      c.kek_pkcs11 = keys::Pkcs11Config{"/nonexistent/module.so", "t",
                                        "file:" + (dir_ / pin_file).string(), "k", true};
    };
  };
  struct Case {
    std::string name;
    std::function<void(Config&)> edit;
    std::string want;  // reason, "ok"
  };
  const std::vector<Case> cases = {
      {"as init made it", [](Config&) {}, "ok"},
      {"kek file opened up", [](Config& c) { chmod(c.kek_file.c_str(), 0640); },
       "keys.key_file_invalid"},
      {"kek file missing", [](Config& c) { c.kek_file += ".gone"; }, "keys.key_file_invalid"},
      {"kek file a directory", [this](Config& c) { c.kek_file = dir_.string(); },
       "keys.key_file_invalid"},
      {"pin file 0600 (token not logged in to)", pkcs11("pin"), "ok"},
      {"pin file 0644", pkcs11("pin-open"), "keys.pkcs11_pin_file_invalid"},
      {"pin file a symlink to a 0644 file", pkcs11("pin-link"), "keys.pkcs11_pin_file_invalid"},
      {"pin file missing", pkcs11("none"), "keys.pkcs11_pin_unavailable"},
      {"cryptsetup configured",
       [this](Config& c) { c.api.luks.cryptsetup = (dir_ / "cryptsetup").string(); }, "ok"},
      {"cryptsetup writable by others",
       [this](Config& c) { c.api.luks.cryptsetup = (dir_ / "cryptsetup-open").string(); },
       "keys.config_invalid"},
      {"cryptsetup missing",
       [this](Config& c) { c.api.luks.cryptsetup = (dir_ / "none").string(); },
       "keys.config_invalid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Config config = good;
    c.edit(config);
    auto got = LoadServeInputs(config);
    EXPECT_EQ(got.ok() ? "ok" : std::string(got.status().reason_id()), c.want)
        << got.status().ToString();
    if (got.ok() && !config.api.luks.cryptsetup.empty()) {
      EXPECT_EQ(got->cryptsetup, config.api.luks.cryptsetup);
    }
    chmod(good.kek_file.c_str(), 0600);
  }

  // cryptsetup_path round-trips through the file.
  Config with_tool = good;
  with_tool.api.luks.cryptsetup = (dir_ / "cryptsetup").string();
  auto again = LoadConfig(Write("again.json", ConfigJson(with_tool)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->api.luks.cryptsetup, with_tool.api.luks.cryptsetup);
}

// The measurement firmware (issue 18): both settings or neither; the file is read at start and
// must have the configured SHA-256, so POST /v1/measurements answers for exactly that image.
TEST_F(ConfigTest, MeasurementFirmwareIsCheckedAgainstItsDigest) {
  InitOptions options;
  options.data_dir = (dir_ / "data").string();
  auto r = InitDataDir(options, FromUnixSeconds(1764000000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Write("ovmf.fd", "firmware bytes");
  const std::string digest = HexEncode(Sha256(AsBytes(std::string("firmware bytes"))));
  nlohmann::json doc = nlohmann::json::parse(std::ifstream(r->config_path));
  doc["snp_firmware_image"] = (dir_ / "ovmf.fd").string();
  doc["snp_firmware_sha256"] = digest;
  doc["tdx_firmware_image"] = "ovmf.fd";  // relative to the configuration's directory
  doc["tdx_firmware_sha256"] = digest;
  Write("data/fw.json", doc.dump());
  auto config = LoadConfig((dir_ / "data/fw.json").string());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->tdx_firmware_image.path, (dir_ / "data/ovmf.fd").string());
  std::filesystem::copy_file(dir_ / "ovmf.fd", dir_ / "data/ovmf.fd");
  auto in = LoadServeInputs(*config);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  ASSERT_NE(in->measurement_firmware.amd, nullptr);
  EXPECT_EQ(std::string(in->measurement_firmware.amd->begin(), in->measurement_firmware.amd->end()),
            "firmware bytes");
  auto again = LoadConfig(Write("data/again.json", ConfigJson(*config)));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->snp_firmware_image.sha256, digest);

  // The image changed after it was pinned: attestd refuses to start.
  Write("data/ovmf.fd", "other firmware");
  auto changed = LoadServeInputs(*config);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(changed.status().reason_id(), "api.config_invalid");
  EXPECT_NE(changed.status().message().find(digest), std::string::npos);
  // Missing file, and the settings' own shape.
  std::filesystem::remove(dir_ / "data/ovmf.fd");
  EXPECT_FALSE(LoadServeInputs(*config).ok());
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"snp_firmware_sha256", "abcd"}, {"snp_firmware_sha256", std::string(64, 'g')}}) {
    nlohmann::json bad = doc;
    bad[key] = value;
    EXPECT_EQ(Load(bad).status().reason_id(), "api.config_invalid") << key << "=" << value;
  }
  nlohmann::json half = doc;
  half.erase("tdx_firmware_sha256");
  EXPECT_EQ(Load(half).status().reason_id(), "api.config_invalid");
}

// init --config: the state a packaged configuration names, the config file itself untouched;
// a second run refuses and leaves the first run's state alone.
TEST_F(ConfigTest, InitFromConfigMakesTheNamedStateOnce) {
  const fs::path state = dir_ / "state";
  const nlohmann::json doc = {{"listen_host", "127.0.0.1"},
                              {"listen_port", 8443},
                              {"tls_cert", (state / "tls-cert.pem").string()},
                              {"tls_key", (state / "tls-key.pem").string()},
                              {"database", "sqlite:" + (state / "attestd.db").string()},
                              {"kek_file", (state / "kek.bin").string()},
                              {"token_key", (state / "token-key.pem").string()},
                              {"volume_dir", (state / "volumes").string()}};
  const std::string config = Write("attestd.json", doc.dump());
  InitOptions options;
  options.data_dir = state.string();
  auto r = InitFromConfig(config, options, FromUnixSeconds(1764000000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->config_path, config);
  EXPECT_EQ(r->credentials_path, (state / "operator-credentials").string());
  EXPECT_FALSE(fs::exists(state / "attestd.json"));
  auto c = LoadConfig(config);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(OpenStore(*c).ok());
  EXPECT_TRUE(LoadTokenKey(c->token_key).ok());
  EXPECT_TRUE(fs::is_directory(c->api.volume_dir));

  auto kek_before = ReadFileBytes(c->kek_file);
  EXPECT_EQ(InitFromConfig(config, options, FromUnixSeconds(1764000000)).status().reason_id(),
            "store.kek_invalid");
  EXPECT_EQ(ReadFileBytes(c->kek_file).value(), kek_before.value());
  EXPECT_TRUE(fs::exists(state / "attestd.db"));
}

// A PKCS#11 KEK (a SoftHSM2 token made here; no daemon) seals credentials, and a KEK opened
// again (a new session on the same token key, as after a restart) still opens them. (A wrong PIN
// cannot be shown in this process: the module stays logged in; pkcs11_kek_test covers it.)
TEST_F(ConfigTest, Pkcs11KekSealsTheStoreAcrossRestarts) {
  const char* module = "/usr/lib/softhsm/libsofthsm2.so";
  if (!fs::exists(module) || std::system("command -v softhsm2-util >/dev/null") != 0) {
    GTEST_SKIP() << "softhsm2 not installed";
  }
  fs::create_directories(dir_ / "tokens");
  const std::string conf =
      Write("softhsm2.conf", "directories.tokendir = " + (dir_ / "tokens").string() +
                                 "\nobjectstore.backend = file\n");
  setenv("SOFTHSM2_CONF", conf.c_str(), 1);
  ASSERT_EQ(std::system("softhsm2-util --init-token --free --label attestd --so-pin 12345678 "
                        "--pin 1234 >/dev/null"),
            0);
  Write("pin", "1234\n");
  chmod((dir_ / "pin").c_str(), 0600);
  nlohmann::json doc = Base();
  doc.erase("kek_file");
  doc["kek_pkcs11_module"] = module;
  doc["kek_pkcs11_token_label"] = "attestd";
  doc["kek_pkcs11_key_label"] = "kek";
  doc["kek_pkcs11_pin_file"] = "pin";
  auto c = Load(doc);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::string access_key;
  {
    auto kek = OpenKek(*c);
    ASSERT_TRUE(kek.ok()) << kek.status().ToString();
    EXPECT_EQ((*kek)->key_id(), "pkcs11:attestd/kek");
    auto db = OpenStore(*c, *kek);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto t = (*db)->CreateTenant("acme", store::Role::kTenant, FromUnixSeconds(1764000000));
    ASSERT_TRUE(t.ok());
    access_key = (*db)->CreateCredential(t->id, FromUnixSeconds(1764000000))->access_key_id;
  }
  auto db = OpenStore(*c);  // the KEK is opened again
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE((*db)->LookupCredential(access_key).ok());
}

}  // namespace
}  // namespace attest::service::attestd
