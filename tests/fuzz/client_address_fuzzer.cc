// Fuzzes the client address resolution behind trusted proxies. Input: a network on the first
// line (a trusted proxy CIDR), the peer on the second, then "name:value" header lines. Whatever
// the headers say, the answer is the peer's canonical address or another canonical IP address,
// and a network that parses prints back to itself.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include "tests/fuzz/fuzz_check.h"

#include "service/http/client_address.h"

namespace {

std::string_view NextLine(std::string_view& text) {
  const size_t nl = text.find('\n');
  const std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest;
  using namespace attest::service::http;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<IpNetwork> trusted;
  auto network = ParseCidr(NextLine(text));
  if (network.ok()) {
    auto again = ParseCidr(network->ToString());
    FUZZ_CHECK(again.ok() && again->ToString() == network->ToString());
    trusted.push_back(*network);
  }
  HttpRequest request;
  request.remote_address = std::string(NextLine(text));
  while (!text.empty()) {
    const std::string_view line = NextLine(text);
    const size_t colon = line.find(':');
    request.headers.push_back(
        {std::string(line.substr(0, colon)),
         colon == std::string_view::npos ? "" : std::string(line.substr(colon + 1))});
  }
  const std::string client = ResolveClientAddress(request, trusted);
  const auto peer = ParseIpAddress(request.remote_address);
  if (!peer) {
    FUZZ_CHECK(client == request.remote_address);
    return 0;
  }
  const auto address = ParseIpAddress(client);
  FUZZ_CHECK(address.has_value() && address->ToString() == client);
  if (!InAnyNetwork(*peer, trusted)) {
    FUZZ_CHECK(client == peer->ToString());
  }
  return 0;
}
