// Boot image upload throughput (issue 20), beside the hashing it cannot avoid.
//
//   upload: a 64 MiB body PUT over loopback (plain HTTP: TLS is not the streaming path's cost)
//           to an HttpsServer streamed route whose sink is the boot image routes' UploadFile:
//           parsed, hashed with SHA-256 and SHA-384, written to a 0600 temporary file, fsynced
//           and linked into place, then the 201 read back
//   floor:  SHA-256 + SHA-384 of the same 64 MiB in the same 16 KiB pieces (DigestStream)
// Authentication and the database work of a real upload are per request, not per byte, and are
// left out: this is the byte path.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "attest/core/encoding.h"
#include "bench/ratio_reporter.h"
#include "service/api/upload_file.h"
#include "service/server/https_server.h"
#include "service/store/secret_sealer.h"

namespace attest::bench {
namespace {

namespace fs = std::filesystem;

constexpr size_t kBodyBytes = size_t{64} << 20;
constexpr size_t kPiece = size_t{16} * 1024;

const std::string& Body() {
  static const std::string* body = [] {
    auto* b = new std::string(kBodyBytes, '\0');
    for (size_t i = 0; i < b->size(); ++i) {
      (*b)[i] = static_cast<char>(i * 2654435761u >> 13);
    }
    return b;
  }();
  return *body;
}

// FileSink stores the body as a boot image part is stored (UploadFile), minus the database.
class FileSink final : public service::http::BodySink {
 public:
  explicit FileSink(std::unique_ptr<service::api::UploadFile> file) : file_(std::move(file)) {}
  Status Write(std::string_view bytes) override { return file_->Write(bytes); }
  service::http::HttpResponse Finish() override {
    const service::api::FileDigests d = file_->Digests();
    const Status committed = file_->Commit();
    std::error_code ignored;
    fs::remove(file_->final_path(), ignored);  // the next iteration stores again
    return service::http::ErrorResponse(committed.ok() ? 201 : 500, "stored", d.sha384);
  }

 private:
  std::unique_ptr<service::api::UploadFile> file_;
};

void BM_Upload64MiB(benchmark::State& state) {
  const fs::path dir =
      fs::temp_directory_path() / ("upload-bench-" + HexEncode(service::store::RandomBytes(6)));
  fs::create_directories(dir);
  service::http::StreamRoutes routes;
  routes.plan = [](const HttpRequest& head) -> uint64_t {
    return head.path == "/upload" ? kBodyBytes : 0;
  };
  routes.begin = [&dir](const HttpRequest&) {
    service::http::StreamStart start;
    auto file = service::api::UploadFile::Create(dir.string(), (dir / "part").string());
    if (file.ok()) {
      start.sink = std::make_unique<FileSink>(std::move(file).value());
    }
    return start;
  };
  std::unique_ptr<service::server::HttpsServer> server;
  int port = 0;
  for (int p = 41000; p < 42000 && !server; ++p) {
    service::server::ServerConfig config;
    config.port = p;
    config.tls = false;
    config.threads = 2;
    auto started = service::server::HttpsServer::Start(
        config, [](const HttpRequest&) { return service::http::HttpResponse{}; }, routes);
    if (started.ok()) {
      server = std::move(started).value();
      port = p;
    }
  }
  if (!server) {
    state.SkipWithError("no free port");
    return;
  }
  const std::string head =
      "PUT /upload HTTP/1.1\r\nHost: b\r\nContent-Length: " + std::to_string(kBodyBytes) +
      "\r\nConnection: close\r\n\r\n";
  const std::string& body = Body();
  for (auto _ : state) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      state.SkipWithError("connect");
      close(fd);
      break;
    }
    std::string wire = head;
    (void)send(fd, wire.data(), wire.size(), MSG_NOSIGNAL);
    for (size_t at = 0; at < body.size();) {
      const ssize_t n =
          send(fd, body.data() + at, std::min(body.size() - at, size_t{1} << 20), MSG_NOSIGNAL);
      if (n <= 0) {
        break;
      }
      at += static_cast<size_t>(n);
    }
    char answer[512];
    const ssize_t n = recv(fd, answer, sizeof(answer), 0);
    close(fd);
    if (n <= 0 || std::string_view(answer, static_cast<size_t>(n)).rfind("HTTP/1.1 201", 0) != 0) {
      state.SkipWithError("upload not stored");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBodyBytes));
  server.reset();
  fs::remove_all(dir);
}
BENCHMARK(BM_Upload64MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Sha256AndSha384Of64MiB(benchmark::State& state) {
  const std::string& body = Body();
  for (auto _ : state) {
    service::api::DigestStream digests;
    for (size_t at = 0; at < body.size(); at += kPiece) {
      digests.Update(ByteSpan(reinterpret_cast<const uint8_t*>(body.data()) + at, kPiece));
    }
    benchmark::DoNotOptimize(digests.Finish());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kBodyBytes));
}
BENCHMARK(BM_Sha256AndSha384Of64MiB)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  attest::bench::RatioReporter reporter;
  reporter.AddRatio("boot image upload (64 MiB, loopback) vs SHA-256+SHA-384",
                    "BM_Upload64MiB/real_time", "BM_Sha256AndSha384Of64MiB/real_time");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
