// CheckKernelHeader over synthetic headers and the real kernel images' starts where present.
#include "service/api/kernel_header.h"

#include <gtest/gtest.h>

#include <string>

#include "service/api/testing/boot_images.h"

namespace attest::service::api {
namespace {

TEST(CheckKernelHeader, AcceptsBzImageAndPeOnly) {
  using testing::BzImageHeader;
  using testing::PeHeader;
  Bytes no_flag = BzImageHeader();
  no_flag[0x1fe] = 0;
  Bytes old_protocol = BzImageHeader();
  old_protocol[0x207] = 0x01;  // 1.xx: before the 2.00 boot protocol
  Bytes pe_outside = PeHeader();
  pe_outside[0x3c] = 0xfe;  // e_lfanew past the bytes we have
  pe_outside[0x3d] = 0xff;
  Bytes pe_into_dos = PeHeader();
  pe_into_dos[0x3c] = 0x10;  // e_lfanew inside the DOS header fields
  Bytes cut = BzImageHeader();
  cut.resize(0x206);
  Bytes not_pe = PeHeader();
  not_pe[0x81] = 'X';
  const struct {
    std::string name;
    Bytes head;
    bool ok;
  } cases[] = {
      {"bzImage", BzImageHeader(), true},
      {"PE (EFI stub)", PeHeader(), true},
      {"empty", Bytes{}, false},
      {"ELF vmlinux", Bytes{0x7f, 'E', 'L', 'F', 2, 1, 1, 0}, false},
      {"gzip", Bytes(600, 0x1f), false},
      {"bzImage without boot flag", no_flag, false},
      {"bzImage protocol 1.x", old_protocol, false},
      {"bzImage cut before its version", cut, false},
      {"PE header offset past the head", pe_outside, false},
      {"PE header offset inside the DOS header", pe_into_dos, false},
      {"MZ without PE signature", not_pe, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Status s = CheckKernelHeader(c.head);
    EXPECT_EQ(s.ok(), c.ok) << s.ToString();
    if (!c.ok) {
      EXPECT_EQ(s.reason_id(), "boot.kernel_invalid");
    }
  }
}

}  // namespace
}  // namespace attest::service::api
