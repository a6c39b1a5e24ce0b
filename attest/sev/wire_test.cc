#include "attest/sev/wire.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testing/vectors.h"

namespace attest::sev {
namespace {

using testing::ReadVector;

const char* const kSevCerts[] = {"sev/naples/pdh.cert", "sev/naples/pek.cert",
                                 "sev/naples/oca.cert", "sev/naples/cek.cert"};
const char* const kAmdCerts[] = {"sev/naples/ark.cert", "sev/naples/ask.cert",
                                 "sev/milan/ark.cert",  "sev/milan/ask.cert",
                                 "sev/genoa/ark.cert",  "sev/genoa/ask.cert"};

void PutU32(Bytes& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[off + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

TEST(SevWire, AmdAnchorsParse) {
  struct Want {
    const char* path;
    uint32_t usage;
    uint32_t bits;
  };
  const Want wants[] = {{"sev/naples/ark.cert", 0x0, 2048}, {"sev/naples/ask.cert", 0x13, 2048},
                        {"sev/milan/ark.cert", 0x0, 4096},  {"sev/milan/ask.cert", 0x13, 4096},
                        {"sev/genoa/ark.cert", 0x0, 4096},  {"sev/genoa/ask.cert", 0x13, 4096}};
  for (const Want& w : wants) {
    SCOPED_TRACE(w.path);
    auto cert = ParseAmdCert(ReadVector(w.path));
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    EXPECT_EQ(cert->version, 1u);
    EXPECT_EQ(cert->key_usage, w.usage);
    EXPECT_EQ(cert->modulus_bits, w.bits);
    EXPECT_EQ(cert->signature_be.size(), w.bits / 8);
    EXPECT_EQ(cert->signed_bytes.size(), 64 + 2 * w.bits / 8);
    // Public exponent 65537, stored little-endian on the wire.
    ASSERT_GE(cert->pubexp_be.size(), 3u);
    EXPECT_EQ(cert->pubexp_be[cert->pubexp_be.size() - 3], 0x01);
    EXPECT_EQ(cert->pubexp_be.back(), 0x01);
  }
}

TEST(SevWire, PlatformCertsParseAndReencode) {
  const uint32_t usages[] = {0x1003, 0x1002, 0x1001, 0x1004};
  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(kSevCerts[i]);
    const Bytes raw = ReadVector(kSevCerts[i]);
    auto cert = ParseSevCert(raw);
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    EXPECT_EQ(cert->pubkey_usage, usages[i]);
    EXPECT_EQ(cert->curve, kCurveP384);
    EXPECT_EQ(SerializeSevCert(*cert), raw);
    EXPECT_EQ(cert->signed_bytes, Bytes(raw.begin(), raw.begin() + kSevCertBodySize));
  }
}

TEST(SevWire, ArkBadIsRejected) {
  // ark.cert.bad is the first 576 of the 832 bytes of the Naples ARK.
  auto cert = ParseAmdCert(ReadVector("sev/naples/ark.cert.bad"));
  ASSERT_FALSE(cert.ok());
  EXPECT_EQ(cert.status().reason_id(), "sev.cert_malformed");
}

TEST(SevWire, EveryTruncationAndAppendedByteRejected) {
  for (const char* path : kSevCerts) {
    SCOPED_TRACE(path);
    Bytes raw = ReadVector(path);
    for (size_t n = 0; n < raw.size(); ++n) {
      auto cert = ParseSevCert(ByteSpan(raw.data(), n));
      ASSERT_FALSE(cert.ok()) << n;
      ASSERT_EQ(cert.status().reason_id(), "sev.cert_malformed") << n;
    }
    raw.push_back(0);
    EXPECT_EQ(ParseSevCert(raw).status().reason_id(), "sev.cert_malformed");
  }
  for (const char* path : kAmdCerts) {
    SCOPED_TRACE(path);
    Bytes raw = ReadVector(path);
    for (size_t n = 0; n < raw.size(); ++n) {
      auto cert = ParseAmdCert(ByteSpan(raw.data(), n));
      ASSERT_FALSE(cert.ok()) << n;
      ASSERT_EQ(cert.status().reason_id(), "sev.cert_malformed") << n;
    }
    raw.push_back(0);
    EXPECT_EQ(ParseAmdCert(raw).status().reason_id(), "sev.cert_malformed");
  }
}

struct Mutation {
  std::string name;
  const char* path;
  size_t offset;
  uint32_t value;  // written as u32 LE, or as one byte when byte_only
  bool byte_only;
  std::string want;
};

TEST(SevWire, SevCertMutationsRejected) {
  const char* pdh = "sev/naples/pdh.cert";
  const char* pek = "sev/naples/pek.cert";
  const char* cek = "sev/naples/cek.cert";
  const std::vector<Mutation> cases = {
      {"version 0", pdh, 0x0, 0, false, "sev.unsupported_version"},
      {"version 2", pek, 0x0, 2, false, "sev.unsupported_version"},
      {"reserved after api version", pdh, 0x6, 1, true, "sev.cert_malformed"},
      {"usage ARK in sev format", pdh, 0x8, 0x0, false, "sev.bad_usage"},
      {"usage unknown", pek, 0x8, 0x1005, false, "sev.bad_usage"},
      {"usage empty-slot value", pek, 0x8, 0x1000, false, "sev.bad_usage"},
      {"pdh with ecdsa", pdh, 0xc, 0x2, false, "sev.unsupported_algorithm"},
      {"pek with ecdh", pek, 0xc, 0x3, false, "sev.unsupported_algorithm"},
      {"pek with rsa", pek, 0xc, 0x1, false, "sev.unsupported_algorithm"},
      {"algo unknown", cek, 0xc, 0x7, false, "sev.unsupported_algorithm"},
      {"curve p-256", pdh, 0x10, 1, false, "sev.unsupported_algorithm"},
      {"curve p-521", pdh, 0x10, 3, false, "sev.unsupported_algorithm"},
      {"qx padding", pdh, 0x14 + 48, 1, true, "sev.cert_malformed"},
      {"qy padding", pdh, 0x14 + 72 + 71, 1, true, "sev.cert_malformed"},
      {"pubkey reserved", pdh, 0x413, 1, true, "sev.cert_malformed"},
      {"slot usage not a signer", pdh, 0x414, 0x1003, false, "sev.bad_usage"},
      {"slot algo unknown", pdh, 0x418, 0x9, false, "sev.unsupported_algorithm"},
      {"ecdsa r padding", pdh, 0x41c + 48, 1, true, "sev.cert_malformed"},
      {"ecdsa s padding", pdh, 0x41c + 72 + 60, 1, true, "sev.cert_malformed"},
      {"ecdsa slot reserved", pek, 0x41c + 300, 1, true, "sev.cert_malformed"},
      {"empty slot with algo", pdh, 0x620, 0x2, false, "sev.cert_malformed"},
      {"empty slot with bytes", cek, 0x624 + 5, 1, true, "sev.cert_malformed"},
  };
  for (const Mutation& m : cases) {
    SCOPED_TRACE(m.name);
    Bytes raw = ReadVector(m.path);
    ASSERT_TRUE(ParseSevCert(raw).ok());
    if (m.byte_only) {
      raw[m.offset] = static_cast<uint8_t>(m.value);
    } else {
      PutU32(raw, m.offset, m.value);
    }
    auto cert = ParseSevCert(raw);
    ASSERT_FALSE(cert.ok());
    EXPECT_EQ(cert.status().reason_id(), m.want) << cert.status().ToString();
  }
}

TEST(SevWire, AmdCertMutationsRejected) {
  const char* ark = "sev/naples/ark.cert";
  const char* ask = "sev/milan/ask.cert";
  const std::vector<Mutation> cases = {
      {"version 0", ark, 0x0, 0, false, "sev.unsupported_version"},
      {"version 2", ask, 0x0, 2, false, "sev.unsupported_version"},
      {"usage PEK", ark, 0x24, 0x1002, false, "sev.bad_usage"},
      {"usage 0x14", ask, 0x24, 0x14, false, "sev.bad_usage"},
      {"reserved", ark, 0x30, 1, true, "sev.cert_malformed"},
      {"pubexp 1024 bits", ark, 0x38, 1024, false, "sev.unsupported_algorithm"},
      {"modulus 3072 bits", ask, 0x3c, 3072, false, "sev.unsupported_algorithm"},
      {"modulus 0 bits", ark, 0x3c, 0, false, "sev.unsupported_algorithm"},
      {"modulus 4096 on a 2048 cert", ark, 0x3c, 4096, false, "sev.cert_malformed"},
      {"modulus 2048 on a 4096 cert", ask, 0x3c, 2048, false, "sev.cert_malformed"},
  };
  for (const Mutation& m : cases) {
    SCOPED_TRACE(m.name);
    Bytes raw = ReadVector(m.path);
    ASSERT_TRUE(ParseAmdCert(raw).ok());
    if (m.byte_only) {
      raw[m.offset] = static_cast<uint8_t>(m.value);
    } else {
      PutU32(raw, m.offset, m.value);
    }
    auto cert = ParseAmdCert(raw);
    ASSERT_FALSE(cert.ok());
    EXPECT_EQ(cert.status().reason_id(), m.want) << cert.status().ToString();
  }
}

TEST(SevWire, UsageNames) {
  EXPECT_EQ(UsageName(0x1003), "PDH");
  EXPECT_EQ(UsageName(0x13), "ASK");
  EXPECT_EQ(UsageName(0x77), "unknown");
}

}  // namespace
}  // namespace attest::sev
