// File helpers shared by the legacy SEV subcommands of attestctl.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/sev/verify.h"
#include "flags/args.h"
#include "flags/reasons.h"

namespace attest::cli {

// LoadSevFile reads a certificate or blob given as binary, hex text, or base64 text (what libvirt's
// virNodeGetSEVInfo returns). Fails with core.file_unreadable.
Result<Bytes> LoadSevFile(const std::string& path);

// SevRootsFromArgs returns the AMD roots to verify against: the built-in ones, or only the pair
// given with --ark and --ask (product "custom"). Giving one without the other is a usage error
// (cli.usage); a broken pair keeps LoadAmdRoot's reason.
struct SevRootsOrError {
  std::vector<sev::AmdRoot> roots;
  std::optional<Status> usage_error;  // cli.usage or core.file_unreadable: exit 2
  std::optional<Status> root_error;   // the supplied ARK/ASK do not verify: exit 1
};
SevRootsOrError SevRootsFromArgs(const flags::Args& args);

// WriteSecretFile creates dir/name with mode 0600, refusing to replace an existing file or to
// follow a symbolic link. Fails with core.file_unreadable naming the path.
Status WriteSecretFile(const std::string& dir, const std::string& name, ByteSpan data);

// ParseUnsigned reads a decimal (or 0x-prefixed hex) number no larger than max for flag name.
// Fails with cli.usage.
Result<uint64_t> ParseUnsigned(const std::string& name, const std::string& text, uint64_t max);

// ParseHexFlag decodes --name as hex of exactly want_bytes bytes (any size when 0). Fails with
// cli.usage.
Result<Bytes> ParseHexFlag(const std::string& name, const std::string& text, size_t want_bytes);

}  // namespace attest::cli
