#include "tests/testing/replay_https_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/reasons.h"
#include "attest/core/time.h"
#include "attest/core/x509.h"
#include "tests/testing/loopback.h"
#include "tests/testing/test_pki.h"
#include "tests/testing/vectors.h"

namespace attest::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  return s;
}

bool IsSplKey(const std::string& key) { return key.size() > 3 && key.ends_with("SPL"); }

// Normalise one query: the case of fmspc, the digits of SPL values, update's default.
std::map<std::string, std::string> Normalise(const std::string& path,
                                             std::map<std::string, std::string> query) {
  for (auto& [key, value] : query) {
    if (key == "fmspc") {
      value = Lower(value);
    } else if (IsSplKey(key)) {
      const size_t nz = value.find_first_not_of('0');
      value = nz == std::string::npos ? "0" : value.substr(nz);
    }
  }
  const bool has_update_param = path.ends_with("/tcb") || path.ends_with("/identity");
  if (has_update_param && query.count("tcbEvaluationDataNumber") == 0 &&
      query.count("update") == 0) {
    query["update"] = "standard";
  }
  return query;
}

std::map<std::string, std::string> ParseQuery(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const size_t amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    const size_t eq = pair.find('=');
    const std::string key(pair.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : std::string(pair.substr(eq + 1));
    out[PercentDecode(key).value_or(key)] = PercentDecode(value).value_or(value);
    if (amp == std::string_view::npos) {
      break;
    }
    text.remove_prefix(amp + 1);
  }
  return out;
}

// PathMatches compares paths exactly, but the last segment of a VCEK path (the hwID) in any case.
bool PathMatches(const std::string& route, const std::string& asked) {
  if (route.starts_with("/vcek/") || route.starts_with("/vlek/")) {
    return Lower(route) == Lower(asked);
  }
  return route == asked;
}

std::string RequestId() {
  static std::mt19937_64 rng(42);
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  Bytes id(16);
  for (uint8_t& b : id) {
    b = static_cast<uint8_t>(rng());
  }
  return HexEncode(id);
}

Result<Bytes> ReadTableFile(const std::string& ref) {
  const std::string path =
      ref.starts_with("shared:") ? VectorPath(ref.substr(7)) : VectorPath("collateral/" + ref);
  return ReadFileBytes(path);
}

bool WriteAll(SSL* ssl, std::string_view data) {
  while (!data.empty()) {
    const int n = SSL_write(ssl, data.data(), static_cast<int>(data.size()));
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

const char* StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

}  // namespace

std::unique_ptr<ReplayHttpsServer> ReplayHttpsServer::Start() {
  // A client that gives up mid-answer (a timeout test) must not kill the test with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<ReplayHttpsServer> server(new ReplayHttpsServer());
  const TimePoint now = WallClockNow();
  const TimePoint from = now - std::chrono::hours(24);
  const TimePoint until = now + std::chrono::hours(24);
  EvpPkeyPtr ca_key = GenerateKey(KeyKind::kEcP256);
  X509Ptr ca = IssueCertificate({"replay test CA", from, until, true, 1, false, {}}, ca_key.get(),
                                nullptr, ca_key.get());
  // subjectAltName: one iPAddress 127.0.0.1 ([7] 7f000001), which curl checks for an IP URL.
  const Bytes san = {0x30, 0x06, 0x87, 0x04, 0x7f, 0x00, 0x00, 0x01};
  EvpPkeyPtr key = GenerateKey(KeyKind::kEcP256);
  X509Ptr leaf = IssueCertificate({"127.0.0.1", from, until, false, 2, false, {{"2.5.29.17", san}}},
                                  key.get(), ca.get(), ca_key.get());

  char dir_template[] = "/tmp/replay-ca-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed";
    return nullptr;
  }
  server->ca_file_ = std::string(dir_template) + "/ca.pem";
  std::ofstream(server->ca_file_) << PemOf(ca.get());

  server->ctx_.reset(SSL_CTX_new(TLS_server_method()));
  if (SSL_CTX_use_certificate(server->ctx_.get(), leaf.get()) != 1 ||
      SSL_CTX_use_PrivateKey(server->ctx_.get(), key.get()) != 1) {
    ADD_FAILURE() << "server certificate not accepted";
    return nullptr;
  }
  uint16_t port = 0;
  Result<int> fd = ListenOnLoopback(&port);
  if (!fd.ok()) {
    ADD_FAILURE() << fd.status().ToString();
    return nullptr;
  }
  server->listen_fd_ = *fd;
  server->url_ = "https://127.0.0.1:" + std::to_string(port);
  server->acceptor_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

ReplayHttpsServer::~ReplayHttpsServer() {
  stop_ = true;
  if (acceptor_.joinable()) {
    acceptor_.join();
  }
  std::vector<std::thread> handlers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handlers.swap(handlers_);
  }
  for (std::thread& t : handlers) {
    t.join();
  }
  if (listen_fd_ >= 0) {
    close(listen_fd_);
  }
  if (!ca_file_.empty()) {
    std::filesystem::remove_all(std::filesystem::path(ca_file_).parent_path());
  }
}

void ReplayHttpsServer::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) {
      continue;
    }
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    handlers_.emplace_back([this, fd] { Handle(fd); });
  }
}

void ReplayHttpsServer::Handle(int fd) {
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  SSL* ssl = SSL_new(ctx_.get());
  SSL_set_fd(ssl, fd);
  if (SSL_accept(ssl) == 1) {
    std::string request;
    char buf[4096];
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < 16384) {
      const int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) {
        break;
      }
      request.append(buf, static_cast<size_t>(n));
    }
    const size_t sp1 = request.find(' ');
    const size_t sp2 = sp1 == std::string::npos ? sp1 : request.find(' ', sp1 + 1);
    if (sp2 != std::string::npos) {
      const ReplayResponse r = Answer(request.substr(sp1 + 1, sp2 - sp1 - 1));
      const int active = ++active_;
      int seen = max_concurrent_.load();
      while (active > seen && !max_concurrent_.compare_exchange_weak(seen, active)) {
      }
      std::this_thread::sleep_for(r.delay);
      std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + StatusText(r.status) +
                         "\r\nContent-Length: " + std::to_string(r.body.size()) +
                         "\r\nConnection: close\r\n";
      for (const auto& [name, value] : r.headers) {
        head += name + ": " + value + "\r\n";
      }
      head += "\r\n";
      const size_t send = r.truncate ? r.body.size() / 2 : r.body.size();
      if (WriteAll(ssl, head)) {
        WriteAll(ssl, std::string_view(reinterpret_cast<const char*>(r.body.data()), send));
      }
      SSL_shutdown(ssl);  // a clean close, so a short body is seen as short, not as an error
      --active_;
    }
  }
  SSL_free(ssl);
  close(fd);
}

const ReplayResponse* ReplayHttpsServer::Match(
    const std::string& path, const std::map<std::string, std::string>& query) const {
  auto without_encoding = [](std::map<std::string, std::string> q) {
    q.erase("encoding");
    return q;
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (auto it = routes_.rbegin(); it != routes_.rend(); ++it) {
      if (!PathMatches(it->path, path)) {
        continue;
      }
      const bool same =
          pass == 0 ? it->query == query : without_encoding(it->query) == without_encoding(query);
      if (same) {
        return &it->response;
      }
    }
  }
  return nullptr;
}

const ReplayResponse* ReplayHttpsServer::Find(const std::string& path,
                                              const std::string& query) const {
  std::lock_guard<std::mutex> lock(mu_);
  return Match(path, Normalise(path, ParseQuery(query)));
}

ReplayResponse ReplayHttpsServer::Answer(const std::string& target) {
  const size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  const std::map<std::string, std::string> query =
      Normalise(path, ParseQuery(q == std::string::npos ? "" : target.substr(q + 1)));
  std::lock_guard<std::mutex> lock(mu_);
  ++hits_[path];
  ++total_hits_;
  auto fault = faults_.find(path);
  if (fault != faults_.end() && !fault->second.empty()) {
    ReplayResponse r = std::move(fault->second.front());
    fault->second.pop_front();
    return r;
  }
  if (const ReplayResponse* r = Match(path, query)) {
    ReplayResponse out = *r;
    for (auto& [name, value] : out.headers) {
      if (name == "Request-ID" && value.empty()) {
        value = RequestId();
      }
    }
    return out;
  }
  ReplayResponse missing;
  missing.status = 404;
  return missing;
}

Status ReplayHttpsServer::LoadScenario(const std::string& name) {
  ATTEST_ASSIGN_OR_RETURN(Bytes table, ReadFileBytes(VectorPath("collateral/routes.json")));
  const nlohmann::json doc = nlohmann::json::parse(table.begin(), table.end());
  for (const nlohmann::json& scenario : doc.at("scenarios")) {
    if (scenario.at("name") != name) {
      continue;
    }
    for (const nlohmann::json& route : scenario.at("routes")) {
      RouteEntry entry;
      entry.path = route.at("path");
      std::map<std::string, std::string> query;
      for (const auto& [key, value] : route.at("query").items()) {
        query[key] = value.get<std::string>();
      }
      entry.query = Normalise(entry.path, std::move(query));
      entry.response.status = route.at("status");
      if (route.contains("body") && route.at("body").is_string()) {
        ATTEST_ASSIGN_OR_RETURN(entry.response.body, ReadTableFile(route.at("body")));
        if (route.value("body_transform", "") == "pem-to-der") {
          ATTEST_ASSIGN_OR_RETURN(auto certs, ParseCertificates(entry.response.body));
          entry.response.body = CertificateDer(certs.at(0).get());
        }
      }
      for (const auto& [header, spec] : route.at("headers").items()) {
        if (spec.contains("value")) {
          entry.response.headers.emplace_back(header, spec.at("value").get<std::string>());
        } else if (spec.contains("file")) {
          ATTEST_ASSIGN_OR_RETURN(Bytes value, ReadTableFile(spec.at("file")));
          entry.response.headers.emplace_back(header, std::string(value.begin(), value.end()));
        } else {
          entry.response.headers.emplace_back(header, "");  // generated per answer
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      routes_.push_back(std::move(entry));
    }
    return Status::Ok();
  }
  return Status(reasons::kFileUnreadable, "routes.json has no scenario " + name);
}

void ReplayHttpsServer::Route(const std::string& path, const std::string& query,
                              ReplayResponse response) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_.push_back({path, Normalise(path, ParseQuery(query)), std::move(response)});
}

void ReplayHttpsServer::Fault(const std::string& path, std::vector<ReplayResponse> responses) {
  std::lock_guard<std::mutex> lock(mu_);
  for (ReplayResponse& r : responses) {
    faults_[path].push_back(std::move(r));
  }
}

int ReplayHttpsServer::hits(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = hits_.find(path);
  return it == hits_.end() ? 0 : it->second;
}

int ReplayHttpsServer::total_hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_hits_;
}

}  // namespace attest::testing
