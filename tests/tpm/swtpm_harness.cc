#include "tests/tpm/swtpm_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace attest::testing {
namespace {

Status Fail(const std::string& message) {
  return Status(reasons::kInternalError, "swtpm harness: " + message);
}

// Bindable is true when port (0: any) can be bound on loopback; *bound receives the port.
bool Bindable(int port, int* bound) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return false;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t len = sizeof(addr);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
  if (ok && bound != nullptr) {
    *bound = ntohs(addr.sin_port);
  }
  close(fd);
  return ok;
}

// FreePortPair finds P with P and P+1 free: the swtpm TCTI talks to the control channel on the
// command port + 1.
Result<int> FreePortPair() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    int port = 0;
    if (Bindable(0, &port) && port < 65535 && Bindable(port + 1, nullptr)) {
      return port;
    }
  }
  return Fail("no free port pair");
}

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Alive is true while pid runs; a zombie (PID 1 here does not reap orphans) counts as gone.
bool Alive(pid_t pid) {
  if (kill(pid, 0) != 0) {
    return false;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  stat >> pid_field >> comm >> state;
  return state != "Z";
}

Status Run(const std::string& command) {
  const int rc = std::system((command + " >>/dev/null 2>&1").c_str());
  if (rc != 0) {
    return Fail("`" + command + "` exited with " + std::to_string(rc));
  }
  return Status::Ok();
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return out ? Status::Ok() : Fail("cannot write " + path);
}

}  // namespace

Result<std::unique_ptr<Swtpm>> Swtpm::Start(const SwtpmOptions& options) {
  std::unique_ptr<Swtpm> tpm(new Swtpm());
  char tmpl[] = "/tmp/attest-swtpm-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    return Fail("mkdtemp");
  }
  tpm->dir_ = tmpl;
  tpm->ek_certificate_ = options.ek_certificate;
  const std::string& d = tpm->dir_;
  std::filesystem::create_directories(d + "/state");
  if (options.ek_certificate) {
    std::filesystem::create_directories(d + "/ca");
    std::filesystem::create_directories(d + "/cas");
    ATTEST_RETURN_IF_ERROR(WriteText(
        d + "/localca.conf", "statedir = " + d + "/ca\nsigningkey = " + d +
                                 "/ca/signkey.pem\nissuercert = " + d +
                                 "/ca/issuercert.pem\ncertserial = " + d + "/ca/certserial\n"));
    ATTEST_RETURN_IF_ERROR(WriteText(d + "/setup.conf",
                                     "create_certs_tool = /usr/bin/swtpm_localca\n"
                                     "create_certs_tool_config = " +
                                         d +
                                         "/localca.conf\n"
                                         "create_certs_tool_options = /etc/swtpm-localca.options\n"
                                         "active_pcr_banks = sha1,sha256\n"));
    ATTEST_RETURN_IF_ERROR(Run("swtpm_setup --tpm2 --tpmstate " + d + "/state --config " + d +
                               "/setup.conf --create-ek-cert --lock-nvram --overwrite"));
    for (const char* cert : {"issuercert.pem", "swtpm-localca-rootca-cert.pem"}) {
      std::filesystem::copy_file(d + "/ca/" + cert, d + "/cas/" + cert);
    }
  }
  // The kernel may hand the same free port out twice between our probe and swtpm's bind; retry.
  for (int attempt = 0; attempt < 5; ++attempt) {
    ATTEST_ASSIGN_OR_RETURN(tpm->port_, FreePortPair());
    tpm->ctrl_port_ = tpm->port_ + 1;
    const std::string pid_file = d + "/swtpm.pid";
    std::filesystem::remove(pid_file);
    const Status started =
        Run("swtpm socket --tpm2 --server type=tcp,port=" + std::to_string(tpm->port_) +
            ",bindaddr=127.0.0.1 --ctrl type=tcp,port=" + std::to_string(tpm->ctrl_port_) +
            ",bindaddr=127.0.0.1 --flags not-need-init,startup-clear --tpmstate dir=" + d +
            "/state --daemon --pid file=" + pid_file + " --log file=" + d + "/swtpm.log");
    if (!started.ok()) {
      continue;
    }
    std::ifstream in(pid_file);
    in >> tpm->pid_;
    for (int i = 0; i < 100 && !Accepts(tpm->port_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (tpm->pid_ > 0 && Accepts(tpm->port_)) {
      if (options.ek_certificate && options.ek_chain_in_nv) {
        const std::string der = d + "/issuer.der";
        std::string convert = "openssl x509 -outform der -in " + d;
        convert += "/ca/issuercert.pem -out " + der;
        ATTEST_RETURN_IF_ERROR(Run(convert));
        std::string define = "TPM2TOOLS_TCTI=" + tpm->Tcti();
        define +=
            " tpm2_nvdefine 0x01c00100 -C p -s " + std::to_string(std::filesystem::file_size(der));
        define += " -a 'ppwrite|ppread|ownerread|authread|no_da|platformcreate'";
        ATTEST_RETURN_IF_ERROR(Run(define));
        std::string write = "TPM2TOOLS_TCTI=" + tpm->Tcti();
        write += " tpm2_nvwrite 0x01c00100 -C p -i " + der;
        ATTEST_RETURN_IF_ERROR(Run(write));
      }
      return tpm;
    }
  }
  return Fail("swtpm did not start");
}

Swtpm::~Swtpm() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && Alive(pid_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (Alive(pid_)) {
      kill(pid_, SIGKILL);
    }
  }
  std::error_code ec;
  if (!dir_.empty()) {
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string Swtpm::Tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }

Status Swtpm::DynamicLaunch(ByteSpan data) {
  const std::string path = dir_ + "/hash-data.bin";
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  out.close();
  return Run("swtpm_ioctl --tcp 127.0.0.1:" + std::to_string(ctrl_port_) + " -h - < " + path);
}

}  // namespace attest::testing
