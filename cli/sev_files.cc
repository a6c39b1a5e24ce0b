#include "cli/sev_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "cli/input.h"

namespace attest::cli {

using flags::Args;

Result<Bytes> LoadSevFile(const std::string& path) {
  ATTEST_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(path, 1u << 20));
  // Raw certificates (2084, 832 or 1600 bytes) and session blobs are binary; text is hex or base64.
  std::string text;
  for (uint8_t c : data) {
    if (std::isspace(c)) {
      continue;
    }
    if (c < 0x20 || c > 0x7e) {
      return data;
    }
    text.push_back(static_cast<char>(c));
  }
  if (text.empty()) {
    return data;
  }
  const Bytes hex = DecodeBinaryOrHex(data);
  if (hex != data) {
    return hex;
  }
  auto b64 = Base64Decode(text);
  return b64.ok() ? std::move(b64).value() : data;
}

SevRootsOrError SevRootsFromArgs(const Args& args) {
  SevRootsOrError out;
  const auto ark = args.Get("ark");
  const auto ask = args.Get("ask");
  if (ark.has_value() != ask.has_value()) {
    out.usage_error = Status(reasons::kCliUsage, "--ark and --ask go together");
    return out;
  }
  if (!ark) {
    auto roots = sev::BuiltinAmdRoots();
    if (!roots.ok()) {
      out.usage_error = roots.status();
      return out;
    }
    out.roots = std::move(roots).value();
    return out;
  }
  auto ark_bytes = LoadSevFile(*ark);
  auto ask_bytes = LoadSevFile(*ask);
  if (!ark_bytes.ok() || !ask_bytes.ok()) {
    out.usage_error = !ark_bytes.ok() ? ark_bytes.status() : ask_bytes.status();
    return out;
  }
  auto root = sev::LoadAmdRoot("custom", *ark_bytes, *ask_bytes);
  if (!root.ok()) {
    out.root_error = root.status();
    return out;
  }
  out.roots.push_back(std::move(root).value());
  return out;
}

Status WriteSecretFile(const std::string& dir, const std::string& name, ByteSpan data) {
  const std::string path = dir + "/" + name;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(reasons::kFileUnreadable, path + ": " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      close(fd);
      return Status(reasons::kFileUnreadable, path + ": " + err);
    }
    done += static_cast<size_t>(n);
  }
  // open() applies the umask; a stricter umask is fine, a looser one cannot widen 0600.
  if (fchmod(fd, 0600) != 0 || close(fd) != 0) {
    return Status(reasons::kFileUnreadable, path + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<uint64_t> ParseUnsigned(const std::string& name, const std::string& text, uint64_t max) {
  const bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  const std::string digits = hex ? text.substr(2) : text;
  if (digits.empty() || digits.size() > 16) {
    return Status(reasons::kCliUsage, "--" + name + ": not a number: " + text);
  }
  uint64_t value = 0;
  for (char c : digits) {
    int d = -1;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    }
    if (hex && c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    }
    if (hex && c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    }
    if (d < 0) {
      return Status(reasons::kCliUsage, "--" + name + ": not a number: " + text);
    }
    const uint64_t base = hex ? 16 : 10;
    if (value > (max - static_cast<uint64_t>(d)) / base) {
      return Status(reasons::kCliUsage, "--" + name + ": larger than " + std::to_string(max));
    }
    value = value * base + static_cast<uint64_t>(d);
  }
  return value;
}

Result<Bytes> ParseHexFlag(const std::string& name, const std::string& text, size_t want_bytes) {
  auto bytes = HexDecode(text);
  if (!bytes.ok()) {
    return Status(reasons::kCliUsage, "--" + name + ": not hex");
  }
  if (want_bytes != 0 && bytes->size() != want_bytes) {
    return Status(reasons::kCliUsage, "--" + name + ": " + std::to_string(bytes->size()) +
                                          " bytes, want " + std::to_string(want_bytes));
  }
  return bytes;
}

}  // namespace attest::cli
