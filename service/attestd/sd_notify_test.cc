#include "service/attestd/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace attest::service::attestd {
namespace {

// Receiver is a bound unix datagram socket standing in for systemd's notification socket.
class Receiver {
 public:
  // name starts with '@' for an abstract socket, else it is a filesystem path.
  explicit Receiver(const std::string& name) : fd_(socket(AF_UNIX, SOCK_DGRAM, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@') {
      addr.sun_path[0] = '\0';
    }
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    bound_ = fd_ >= 0 && bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) == 0;
    timeval timeout{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~Receiver() { close(fd_); }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  bool bound() const { return bound_; }
  std::string Read() {
    char buf[256];
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_;
  bool bound_ = false;
};

TEST(SdNotifyTest, SendsReadyToAPathSocket) {
  char dir[] = "/tmp/sd_notify_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/notify";
  {
    Receiver receiver(path);
    ASSERT_TRUE(receiver.bound());
    setenv("NOTIFY_SOCKET", path.c_str(), 1);
    EXPECT_TRUE(SdNotify("READY=1"));
    EXPECT_EQ(receiver.Read(), "READY=1");
    unsetenv("NOTIFY_SOCKET");
  }
  unlink(path.c_str());
  rmdir(dir);
}

TEST(SdNotifyTest, SendsToAnAbstractSocket) {
  const std::string name = "@attest-sd-notify-test-" + std::to_string(getpid());
  Receiver receiver(name);
  ASSERT_TRUE(receiver.bound());
  setenv("NOTIFY_SOCKET", name.c_str(), 1);
  EXPECT_TRUE(SdNotify("WATCHDOG=1"));
  EXPECT_EQ(receiver.Read(), "WATCHDOG=1");
  unsetenv("NOTIFY_SOCKET");
}

TEST(SdNotifyTest, WithoutNotifySocketNothingIsSent) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(SdNotify("READY=1"));
  setenv("NOTIFY_SOCKET", "relative/path", 1);
  EXPECT_FALSE(SdNotify("READY=1"));
  unsetenv("NOTIFY_SOCKET");
}

TEST(SdNotifyTest, WatchdogIntervalIsHalfTheTimeout) {
  unsetenv("WATCHDOG_PID");
  unsetenv("WATCHDOG_USEC");
  EXPECT_FALSE(WatchdogInterval().has_value());
  setenv("WATCHDOG_USEC", "30000000", 1);
  EXPECT_EQ(WatchdogInterval(), std::chrono::microseconds(15000000));
  setenv("WATCHDOG_PID", std::to_string(getpid() + 1).c_str(), 1);
  EXPECT_FALSE(WatchdogInterval().has_value());
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  EXPECT_TRUE(WatchdogInterval().has_value());
  setenv("WATCHDOG_USEC", "junk", 1);
  EXPECT_FALSE(WatchdogInterval().has_value());
  unsetenv("WATCHDOG_PID");
  unsetenv("WATCHDOG_USEC");
}

}  // namespace
}  // namespace attest::service::attestd
