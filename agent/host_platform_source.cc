#include "agent/host_platform_source.h"

#include <fcntl.h>
#include <linux/psp-sev.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "attest/core/file_io.h"
#include "attest/core/x509.h"
#include "attest/tdx/pck.h"

namespace attest::agent {
namespace {

constexpr size_t kChipIdBytes = 64;
constexpr uint32_t kMaxGetIdBytes = kChipIdBytes * protocol::kMaxSnpChips;

Status SevFailed(const std::string& why) {
  return Status(reasons::kAgentSevGetIdFailed, "sev GET_ID2: " + why);
}

// Fd closes a file descriptor on every path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// IssueGetId2 runs SEV_GET_ID2 with a buffer of *length bytes (null and 0 to ask for the size);
// the kernel writes the needed length back (linux/psp-sev.h: sev_user_data_get_id2.length is
// In/Out). Returns the ioctl's result, errno and the firmware status through *error.
int IssueGetId2(int fd, uint8_t* buffer, uint32_t* length, uint32_t* error) {
  sev_user_data_get_id2 id{};
  id.address = reinterpret_cast<uintptr_t>(buffer);
  id.length = *length;
  sev_issue_cmd cmd{};
  cmd.cmd = SEV_GET_ID2;
  cmd.data = reinterpret_cast<uintptr_t>(&id);
  const int rc = ioctl(fd, SEV_ISSUE_CMD, &cmd);
  *length = id.length;
  *error = cmd.error;
  return rc;
}

}  // namespace

Result<Bytes> ReadSevGetId2(const std::string& device) {
  Fd fd(open(device.c_str(), O_RDWR | O_CLOEXEC));
  if (fd.get() < 0) {
    return SevFailed("open " + device + ": " + std::strerror(errno));
  }
  // First with no buffer: the kernel answers with the length the firmware needs.
  uint32_t length = 0;
  uint32_t fw_error = 0;
  (void)IssueGetId2(fd.get(), nullptr, &length, &fw_error);
  if (length == 0 || length > kMaxGetIdBytes) {
    return SevFailed("the firmware asks for " + std::to_string(length) +
                     " bytes (firmware status " + std::to_string(fw_error) + ")");
  }
  Bytes out(length);
  if (IssueGetId2(fd.get(), out.data(), &length, &fw_error) != 0) {
    return SevFailed(std::string(std::strerror(errno)) + " (firmware status " +
                     std::to_string(fw_error) + ")");
  }
  out.resize(std::min<size_t>(length, out.size()));
  return out;
}

Result<std::vector<protocol::SnpChipId>> ChipIdsFromGetId(ByteSpan output) {
  if (output.empty() || output.size() % kChipIdBytes != 0 || output.size() > kMaxGetIdBytes) {
    return SevFailed("output of " + std::to_string(output.size()) +
                     " bytes is not 1..16 ids of 64 bytes");
  }
  std::vector<protocol::SnpChipId> chips;
  for (size_t at = 0; at < output.size(); at += kChipIdBytes) {
    protocol::SnpChipId chip{};
    std::copy_n(output.begin() + static_cast<std::ptrdiff_t>(at), kChipIdBytes, chip.begin());
    const bool zero = std::all_of(chip.begin(), chip.end(), [](uint8_t b) { return b == 0; });
    if (!zero && std::find(chips.begin(), chips.end(), chip) == chips.end()) {
      chips.push_back(chip);
    }
  }
  if (chips.empty()) {
    return SevFailed("no socket reports an id (CHIP_ID masked?)");
  }
  return chips;
}

Result<protocol::TdxPlatformIdentity> TdxIdentityFromPckCert(ByteSpan cert) {
  ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ParseCertificates(cert));
  ATTEST_ASSIGN_OR_RETURN(tdx::PckExtensions pck, tdx::ParsePckExtensions(certs.front().get()));
  return protocol::TdxPlatformIdentity{pck.ppid, pck.pce_id, pck.fmspc};
}

Result<protocol::HostPlatform> ReadHostPlatform(const PlatformSources& sources,
                                                const SevIdReader& read_sev) {
  if (sources.platform_file) {
    if (sources.snp || sources.pck_cert_file) {
      return Status(reasons::kHostPlatformInvalid,
                    "host platform: --platform-file replaces --snp and --pck-cert");
    }
    ATTEST_ASSIGN_OR_RETURN(Bytes text,
                            ReadFileBytes(*sources.platform_file, protocol::kMaxHostPlatformBytes));
    return protocol::ParseHostPlatform(
        std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  }
  protocol::HostPlatform platform;
  if (sources.snp) {
    ATTEST_ASSIGN_OR_RETURN(Bytes output, read_sev(sources.sev_device));
    ATTEST_ASSIGN_OR_RETURN(platform.snp_chip_ids, ChipIdsFromGetId(output));
  }
  if (sources.pck_cert_file) {
    ATTEST_ASSIGN_OR_RETURN(Bytes cert, ReadFileBytes(*sources.pck_cert_file, size_t{64} * 1024));
    ATTEST_ASSIGN_OR_RETURN(platform.tdx, TdxIdentityFromPckCert(cert));
  }
  // Through the canonical form once: what this returns is what attestd will accept.
  ATTEST_ASSIGN_OR_RETURN(std::string canonical, protocol::SerializeHostPlatform(platform));
  return protocol::ParseHostPlatform(canonical);
}

}  // namespace attest::agent
