// PE reader and Authenticode digest: the synthetic bzImages, every truncation, one mutation per
// check (../shared/vectors/measure/tdx/inputs).
#include "attest/measure/tdx_pe.h"

#include <gtest/gtest.h>

#include <functional>

#include "attest/measure/tdx_le.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

using testing::ReadVector;

Bytes Kernel() { return ReadVector("measure/tdx/inputs/synthetic_bzimage.efi"); }

size_t PeAt(const Bytes& b) { return LoadLe<uint32_t>(b, 0x3c); }
size_t OptionalAt(const Bytes& b) { return PeAt(b) + 24; }

TEST(PeImage, ParsesSyntheticKernels) {
  for (const char* name : {"synthetic_bzimage.efi", "synthetic_bzimage_aligned.efi"}) {
    SCOPED_TRACE(name);
    const Bytes k = ReadVector(std::string("measure/tdx/inputs/") + name);
    auto pe = ParsePeImage(k);
    ASSERT_TRUE(pe.ok()) << pe.status().ToString();
    EXPECT_FALSE(pe->sections.empty());
    EXPECT_LE(pe->size_of_headers, k.size());
    EXPECT_TRUE(PeAuthenticodeSha384(k).ok());
  }
}

// CheckSum and the certificate-table entry are outside the digest; section bytes and trailing
// bytes are inside.
TEST(PeImage, DigestCoversWhatAuthenticodeCovers) {
  const Bytes k = Kernel();
  auto pe = ParsePeImage(k);
  ASSERT_TRUE(pe.ok());
  const Sha384Digest base = *PeAuthenticodeSha384(k);

  Bytes checksum = k;
  checksum[pe->checksum_offset] ^= 0xff;
  EXPECT_EQ(*PeAuthenticodeSha384(checksum), base);

  Bytes section = k;
  section[pe->sections[0].pointer_to_raw_data] ^= 1;
  EXPECT_NE(*PeAuthenticodeSha384(section), base);

  Bytes trailing = k;
  trailing.back() ^= 1;  // the odd-sized tail is hashed, unpadded
  EXPECT_NE(*PeAuthenticodeSha384(trailing), base);
  Bytes padded = k;
  padded.resize((k.size() + 7) / 8 * 8, 0);
  if (padded.size() != k.size()) {
    EXPECT_NE(*PeAuthenticodeSha384(padded), base);
  }
}

TEST(PeImage, EveryTruncationIsSafe) {
  const Bytes k = Kernel();
  size_t accepted = 0;
  for (size_t n = 0; n <= k.size(); ++n) {
    auto digest = PeAuthenticodeSha384(ByteSpan(k).first(n));
    accepted += digest.ok() ? 1 : 0;
  }
  EXPECT_GE(accepted, 1u);        // the whole file
  EXPECT_LT(accepted, k.size());  // most prefixes cut a section
}

TEST(PeImage, Mutations) {
  const Bytes good = Kernel();
  const size_t pe = PeAt(good);
  const size_t opt = OptionalAt(good);
  const uint16_t opt_bytes = LoadLe<uint16_t>(good, pe + 20);
  const size_t sections = opt + opt_bytes;
  const bool plus = LoadLe<uint16_t>(good, opt) == 0x20b;
  const size_t rva_count = opt + (plus ? 108 : 92);
  const struct {
    const char* name;
    std::function<void(Bytes&)> mutate;
    Reason want;
  } cases[] = {
      {"no MZ", [](Bytes& b) { b[1] = 'X'; }, reasons::kMeasurePeNotPe},
      {"e_lfanew past the end", [](Bytes& b) { PutLe32(b, 0x3c, 0xfffffff0); },
       reasons::kMeasurePeNotPe},
      {"no PE signature", [&](Bytes& b) { b[pe + 1] = 'X'; }, reasons::kMeasurePeNotPe},
      {"optional magic", [&](Bytes& b) { PutLe16(b, opt, 0x30b); }, reasons::kMeasurePeNotPe},
      {"optional header too short", [&](Bytes& b) { PutLe16(b, pe + 20, 64); },
       reasons::kMeasurePeMalformed},
      {"optional header past the end", [&](Bytes& b) { PutLe16(b, pe + 20, 0xffff); },
       reasons::kMeasurePeMalformed},
      {"too many sections", [&](Bytes& b) { PutLe16(b, pe + 6, 97); },
       reasons::kMeasurePeMalformed},
      {"section table past SizeOfHeaders", [&](Bytes& b) { PutLe32(b, opt + 60, 0x80); },
       reasons::kMeasurePeMalformed},
      {"SizeOfHeaders past the end", [&](Bytes& b) { PutLe32(b, opt + 60, 0x7fffffff); },
       reasons::kMeasurePeMalformed},
      {"NumberOfRvaAndSizes too large", [&](Bytes& b) { PutLe32(b, rva_count, 1000); },
       reasons::kMeasurePeMalformed},
      {"section raw data past the end", [&](Bytes& b) { PutLe32(b, sections + 20, 0x7ffffff0); },
       reasons::kMeasurePeMalformed},
      {"section size past the end", [&](Bytes& b) { PutLe32(b, sections + 16, 0x7ffffff0); },
       reasons::kMeasurePeMalformed},
      {"certificate table larger than the tail",
       [&](Bytes& b) { PutLe32(b, rva_count + 40, 0x100000); }, reasons::kMeasurePeMalformed},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes k = good;
    c.mutate(k);
    auto digest = PeAuthenticodeSha384(k);
    ASSERT_FALSE(digest.ok());
    EXPECT_EQ(digest.status().reason_id(), c.want.id) << digest.status().ToString();
  }
}

}  // namespace
}  // namespace attest::measure
