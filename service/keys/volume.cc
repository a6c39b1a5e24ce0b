#include "service/keys/volume.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace attest::service::keys {

Bytes NewVolumeKey() { return RandomBytes(kVolumeKeyBytes); }

std::string VolumeKeyAad(const std::string& volume_id) { return "volume:" + volume_id; }

Result<Bytes> WrapVolumeKey(const KeyEncryptionKey& kek, const std::string& volume_id,
                            ByteSpan key) {
  if (key.size() != kVolumeKeyBytes || volume_id.empty()) {
    return Status(reasons::kKeysConfigInvalid, "a volume key is 32 bytes for a named volume");
  }
  return kek.Wrap(key, VolumeKeyAad(volume_id));
}

Result<Bytes> UnwrapVolumeKey(const KeyEncryptionKey& kek, const std::string& volume_id,
                              ByteSpan wrapped) {
  ATTEST_ASSIGN_OR_RETURN(Bytes key, kek.Unwrap(wrapped, VolumeKeyAad(volume_id)));
  if (key.size() != kVolumeKeyBytes) {
    OPENSSL_cleanse(key.data(), key.size());
    return Status(reasons::kKeysBlobMalformed, "unwrapped volume key is not 32 bytes");
  }
  return key;
}

namespace {

Status LuksFailed(const std::string& why) {
  return Status(reasons::kKeysLuksFormatFailed, "luksFormat: " + why);
}

// CheckProgram returns why path cannot serve as the cryptsetup program, or "" when it can.
std::string CheckProgram(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return "is not an absolute path (attestd never searches PATH)";
  }
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return "does not exist";
  }
  if (!S_ISREG(st.st_mode) || access(path.c_str(), X_OK) != 0) {
    return "is not an executable file";
  }
  if ((st.st_mode & 022) != 0) {
    return "is writable by group or others";
  }
  return "";
}

// RunWithStdin runs argv (argv[0] an absolute path) with data on its stdin and stdout/stderr
// discarded; returns the exit status (or -1 when it could not run).
int RunWithStdin(const std::vector<std::string>& argv, ByteSpan data) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return -1;
  }
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) {
    args.push_back(const_cast<char*>(a.c_str()));
  }
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return -1;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    dup2(pipe_fds[0], STDIN_FILENO);
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) {
      dup2(devnull, STDOUT_FILENO);
      dup2(devnull, STDERR_FILENO);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[0]);
  // A child that exits early must not kill us with SIGPIPE.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old);
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = write(pipe_fds[1], data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    off += static_cast<size_t>(n);
  }
  close(pipe_fds[1]);
  sigaction(SIGPIPE, &old, nullptr);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return -1;
    }
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

Result<std::string> ResolveCryptsetup(const std::string& configured) {
  if (!configured.empty()) {
    const std::string why = CheckProgram(configured);
    if (!why.empty()) {
      return Status(reasons::kKeysConfigInvalid, "cryptsetup " + configured + " " + why);
    }
    return configured;
  }
  for (const char* candidate : kCryptsetupLocations) {
    if (CheckProgram(candidate).empty()) {
      return std::string(candidate);
    }
  }
  std::string looked;
  for (const char* candidate : kCryptsetupLocations) {
    looked += (looked.empty() ? "" : ", ") + std::string(candidate);
  }
  return Status(reasons::kKeysCryptsetupNotFound,
                "no usable cryptsetup at " + looked + " (install cryptsetup-bin or configure one)");
}

std::vector<std::string> LuksFormatArgs(const std::string& path, const LuksOptions& options) {
  std::vector<std::string> argv = {options.cryptsetup, "luksFormat", "--type", "luks2",
                                   "--batch-mode",     "--key-file", "-"};
  if (options.pbkdf == LuksPbkdf::kPbkdf2Minimum) {
    argv.insert(argv.end(), {"--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000"});
  }
  argv.push_back(path);
  return argv;
}

Status FormatLuksImage(const std::string& path, uint64_t size_bytes, ByteSpan key,
                       const LuksOptions& options) {
  if (size_bytes < kMinLuksImageBytes || size_bytes > kMaxLuksImageBytes) {
    return Status(reasons::kKeysConfigInvalid,
                  "LUKS image size must be between 32 MiB and 16 TiB, got " +
                      std::to_string(size_bytes) + " bytes");
  }
  if (key.size() != kVolumeKeyBytes) {
    return Status(reasons::kKeysConfigInvalid, "a volume key is 32 bytes");
  }
  LuksOptions resolved = options;
  if (resolved.cryptsetup.empty()) {
    ATTEST_ASSIGN_OR_RETURN(resolved.cryptsetup, ResolveCryptsetup(""));
  } else if (resolved.cryptsetup.front() != '/') {
    return Status(reasons::kKeysConfigInvalid,
                  "cryptsetup " + resolved.cryptsetup +
                      " is not an absolute path (attestd never searches PATH)");
  }
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status(reasons::kKeysConfigInvalid,
                  "cannot create image " + path + " (it must not exist yet)");
  }
  const bool sized = ftruncate(fd, static_cast<off_t>(size_bytes)) == 0;
  close(fd);
  if (!sized) {
    unlink(path.c_str());
    return LuksFailed("cannot size " + path);
  }
  const std::vector<std::string> argv = LuksFormatArgs(path, resolved);
  const int rc = RunWithStdin(argv, key);
  if (rc != 0) {
    unlink(path.c_str());
    return LuksFailed(resolved.cryptsetup + " exited with " + std::to_string(rc) +
                      (rc == 127 ? " (not installed?)" : ""));
  }
  return Status::Ok();
}

}  // namespace attest::service::keys
