#include "service/api/kernel_header.h"

#include "service/api/reasons.h"

namespace attest::service::api {
namespace {

constexpr size_t kBootFlagOffset = 0x1fe;
constexpr size_t kSetupMagicOffset = 0x202;
constexpr size_t kProtocolVersionOffset = 0x206;
constexpr size_t kPeOffsetField = 0x3c;

uint16_t Le16(ByteSpan b, size_t at) { return static_cast<uint16_t>(b[at] | (b[at + 1] << 8)); }

uint32_t Le32(ByteSpan b, size_t at) {
  return static_cast<uint32_t>(b[at]) | (static_cast<uint32_t>(b[at + 1]) << 8) |
         (static_cast<uint32_t>(b[at + 2]) << 16) | (static_cast<uint32_t>(b[at + 3]) << 24);
}

bool IsBzImage(ByteSpan head) {
  if (head.size() < kProtocolVersionOffset + 2) {
    return false;
  }
  return Le16(head, kBootFlagOffset) == 0xaa55 && head[kSetupMagicOffset] == 'H' &&
         head[kSetupMagicOffset + 1] == 'd' && head[kSetupMagicOffset + 2] == 'r' &&
         head[kSetupMagicOffset + 3] == 'S' && Le16(head, kProtocolVersionOffset) >= 0x0200;
}

bool IsPeImage(ByteSpan head) {
  if (head.size() < kPeOffsetField + 4 || head[0] != 'M' || head[1] != 'Z') {
    return false;
  }
  const uint32_t pe = Le32(head, kPeOffsetField);
  if (pe < kPeOffsetField + 4 || pe > head.size() - 4) {
    return false;
  }
  return head[pe] == 'P' && head[pe + 1] == 'E' && head[pe + 2] == 0 && head[pe + 3] == 0;
}

}  // namespace

Status CheckKernelHeader(ByteSpan head) {
  if (IsBzImage(head) || IsPeImage(head)) {
    return Status::Ok();
  }
  return Status(reasons::kBootKernelInvalid,
                "kernel is neither a bzImage (no \"HdrS\" setup header at 0x202) nor a PE/COFF "
                "EFI-stub image (no \"MZ\" ... \"PE\\0\\0\")");
}

}  // namespace attest::service::api
