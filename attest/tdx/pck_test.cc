#include "attest/tdx/pck.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/tdx/wire.h"
#include "tests/testing/vectors.h"

namespace attest::tdx {
namespace {

Bytes ExtensionOf(const char* quote_file, X509Ptr* leaf_out = nullptr) {
  const Quote q = ParseQuote(attest::testing::ReadVector(quote_file)).value();
  auto chain = ParseCertificates(q.pck_chain_pem).value();
  bool found = false;
  Bytes v = ExtensionValue(chain[0].get(), "1.2.840.113741.1.13.1", &found).value();
  if (leaf_out != nullptr) {
    *leaf_out = std::move(chain[0]);
  }
  return v;
}

TEST(ParsePckExtensions, Vectors) {
  struct Case {
    const char* file;
    const char* fmspc;
    uint16_t pce_svn;
    const char* components;
  };
  const Case cases[] = {
      {"tdx/dcap-qvl-v4/quote.bin", "b0c06f000000", 11, "03030202040100050000000000000000"},
      {"tdx/dcap-qvl-sgx-v3/quote.bin", "00a067110000", 0, nullptr},
      {"tdx/gotdx-v5/quote.bin", "90c06f000000", 0, nullptr},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    X509Ptr leaf;
    ExtensionOf(c.file, &leaf);
    auto ext = ParsePckExtensions(leaf.get());
    ASSERT_TRUE(ext.ok()) << ext.status().ToString();
    EXPECT_EQ(HexEncode(ext->fmspc), c.fmspc);
    EXPECT_EQ(HexEncode(ext->pce_id), "0000");
    if (c.components != nullptr) {
      EXPECT_EQ(ext->pce_svn, c.pce_svn);
      EXPECT_EQ(HexEncode(ext->tcb_components), c.components);
    }
  }
}

TEST(ParseSgxExtensionValue, EveryTruncationAndFlipIsSafe) {
  const Bytes good = ExtensionOf("tdx/dcap-qvl-v4/quote.bin");
  ASSERT_TRUE(ParseSgxExtensionValue(good).ok());
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = ParseSgxExtensionValue(ByteSpan(good).subspan(0, n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().reason_id(), "tdx.pck_extension_invalid");
  }
  // Flipping bytes must never crash; it either still parses (a value changed) or is rejected.
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes b = good;
    b[i] ^= 0xff;
    auto r = ParseSgxExtensionValue(b);
    if (!r.ok()) {
      EXPECT_EQ(r.status().reason_id(), "tdx.pck_extension_invalid");
    }
  }
  Bytes trailing = good;
  trailing.push_back(0);
  EXPECT_EQ(ParseSgxExtensionValue(trailing).status().reason_id(), "tdx.pck_extension_invalid");
}

TEST(ParseSgxExtensionValue, StructuralErrors) {
  struct Case {
    const char* name;
    Bytes der;
  };
  const Case cases[] = {
      {"empty", {}},
      {"empty sequence", {0x30, 0x00}},
      {"not a sequence", {0x04, 0x00}},
      {"indefinite length", {0x30, 0x80, 0x00, 0x00}},
      {"non-minimal length", {0x30, 0x81, 0x00}},
      {"entry without value",
       {0x30, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ParseSgxExtensionValue(c.der).status().reason_id(), "tdx.pck_extension_invalid");
  }
}

}  // namespace
}  // namespace attest::tdx
