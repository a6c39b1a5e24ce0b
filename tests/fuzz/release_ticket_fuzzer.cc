// Fuzzes the launch ticket reader: only canonical bytes parse, and what parses re-serialises to
// exactly the input (the digest the host was given is over those bytes).
#include <cstddef>
#include <cstdint>
#include "tests/fuzz/fuzz_check.h"

#include "protocol/ticket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest;
  auto ticket = protocol::ParseTicket(ByteSpan(data, size));
  if (!ticket.ok()) {
    FUZZ_CHECK(ticket.status().reason_id() == reasons::kReleaseTicketInvalid.id);
    return 0;
  }
  auto again = protocol::SerializeTicket(*ticket);
  FUZZ_CHECK(again.ok() && *again == Bytes(data, data + size));
  return 0;
}
