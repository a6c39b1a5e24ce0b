#include "agent/guest_evidence.h"

#include <fcntl.h>
#include <linux/sev-guest.h>
#include <openssl/rand.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"

namespace attest::agent {
namespace {

constexpr size_t kReportDataBytes = 64;
constexpr size_t kMaxBlobBytes = 1 << 20;

Status TsmFailed(const std::string& why) {
  return Status(reasons::kGuestTsmFailed, "configfs-tsm: " + why);
}

Bytes Padded(ByteSpan report_data) {
  Bytes out(kReportDataBytes, 0);
  std::copy(report_data.begin(), report_data.end(), out.begin());
  return out;
}

// ReadAttr reads a configfs attribute. The kernel produces outblob on the first read; a read may
// briefly find nothing only under a userspace stand-in, so wait up to 2 s for it to appear.
Result<Bytes> ReadAttr(const std::string& path, bool may_be_absent) {
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      Bytes out;
      uint8_t buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) {
        out.insert(out.end(), buf, buf + n);
        if (out.size() > kMaxBlobBytes) {
          close(fd);
          return TsmFailed(path + " is larger than 1 MiB");
        }
      }
      const int err = n < 0 ? errno : 0;
      close(fd);
      if (err != 0) {
        return TsmFailed("read " + path + ": " + std::strerror(err));
      }
      return out;
    }
    if (errno != ENOENT) {
      return TsmFailed("open " + path + ": " + std::strerror(errno));
    }
    if (may_be_absent) {
      return Bytes{};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return TsmFailed(path + " did not appear");
}

std::string Trimmed(const Bytes& b) {
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

Result<GuestEvidence> GetTsmReport(const std::string& root, ByteSpan report_data) {
  if (report_data.size() > kReportDataBytes) {
    return TsmFailed("REPORT_DATA over 64 bytes");
  }
  struct stat st {};
  if (stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return TsmFailed(root + " is not a directory (configfs not mounted or no TSM provider)");
  }
  // A fresh entry per request: nothing another process wrote can be mistaken for ours.
  uint8_t name[8];
  if (RAND_bytes(name, sizeof(name)) != 1) {
    return TsmFailed("no randomness for an entry name");
  }
  const std::string entry = root + "/attest-" + HexEncode(ByteSpan(name, sizeof(name)));
  if (mkdir(entry.c_str(), 0700) != 0) {
    return TsmFailed("mkdir " + entry + ": " + std::strerror(errno));
  }
  struct Cleanup {
    std::string path;
    ~Cleanup() { rmdir(path.c_str()); }
  } cleanup{entry};

  const Bytes inblob = Padded(report_data);
  const int fd = open((entry + "/inblob").c_str(), O_WRONLY | O_CLOEXEC | O_CREAT, 0600);
  if (fd < 0) {
    return TsmFailed("open inblob: " + std::string(std::strerror(errno)));
  }
  const bool wrote = write(fd, inblob.data(), inblob.size()) == static_cast<ssize_t>(inblob.size());
  close(fd);
  if (!wrote) {
    return TsmFailed("write inblob failed");
  }

  GuestEvidence ev;
  ev.source = "configfs-tsm";
  ATTEST_ASSIGN_OR_RETURN(ev.outblob, ReadAttr(entry + "/outblob", false));
  if (ev.outblob.empty()) {
    return TsmFailed("outblob is empty");
  }
  ATTEST_ASSIGN_OR_RETURN(ev.auxblob, ReadAttr(entry + "/auxblob", true));
  ATTEST_ASSIGN_OR_RETURN(const Bytes provider, ReadAttr(entry + "/provider", false));
  ev.provider = Trimmed(provider);
  ATTEST_ASSIGN_OR_RETURN(const Bytes generation, ReadAttr(entry + "/generation", false));
  if (Trimmed(generation) != "1") {
    return Status(reasons::kGuestTsmConflict,
                  "configfs-tsm: generation is " + Trimmed(generation).substr(0, 20) +
                      ", want 1: another writer changed the entry; retry");
  }
  return ev;
}

Result<GuestEvidence> GetSevGuestReport(const std::string& device, ByteSpan report_data) {
  if (report_data.size() > kReportDataBytes) {
    return Status(reasons::kGuestDeviceFailed, "REPORT_DATA over 64 bytes");
  }
  const int fd = open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return Status(reasons::kGuestDeviceFailed,
                  "open " + device + ": " + std::string(std::strerror(errno)));
  }
  snp_report_req req{};
  std::copy(report_data.begin(), report_data.end(), req.user_data);
  req.vmpl = 0;
  snp_report_resp resp{};
  snp_guest_request_ioctl io{};
  io.msg_version = 1;
  io.req_data = reinterpret_cast<uintptr_t>(&req);
  io.resp_data = reinterpret_cast<uintptr_t>(&resp);
  const int rc = ioctl(fd, SNP_GET_REPORT, &io);
  const int err = errno;
  close(fd);
  if (rc != 0) {
    return Status(reasons::kGuestDeviceFailed,
                  "SNP_GET_REPORT: " + std::string(std::strerror(err)) + ", firmware error " +
                      std::to_string(io.exitinfo2));
  }
  // MSG_REPORT_RSP: status (u32 LE), report_size (u32 LE), 24 reserved bytes, report.
  auto u32 = [&](size_t at) {
    return static_cast<uint32_t>(resp.data[at]) | static_cast<uint32_t>(resp.data[at + 1]) << 8 |
           static_cast<uint32_t>(resp.data[at + 2]) << 16 |
           static_cast<uint32_t>(resp.data[at + 3]) << 24;
  };
  const uint32_t status = u32(0);
  const uint32_t size = u32(4);
  if (status != 0 || size == 0 || size > sizeof(resp.data) - 32) {
    return Status(reasons::kGuestDeviceFailed, "MSG_REPORT_RSP status " + std::to_string(status) +
                                                   ", size " + std::to_string(size));
  }
  GuestEvidence ev;
  ev.source = "sev-guest-device";
  ev.provider = "sev_guest";
  ev.outblob.assign(resp.data + 32, resp.data + 32 + size);
  return ev;
}

Result<GuestEvidence> GetGuestEvidence(ByteSpan report_data, const std::string& tsm_root,
                                       const std::string& sev_device) {
  struct stat st {};
  if (stat(tsm_root.c_str(), &st) == 0) {
    return GetTsmReport(tsm_root, report_data);
  }
  if (stat(sev_device.c_str(), &st) == 0) {
    return GetSevGuestReport(sev_device, report_data);
  }
  return Status(reasons::kGuestNoEvidenceSource,
                "neither " + tsm_root + " (configfs-tsm) nor " + sev_device + " exists");
}

}  // namespace attest::agent
