// The libvirt URI allowlist (security review, issue 17 item 7): what enrollment stores and what
// attestd connects with.
#include "service/api/libvirt_uri.h"

#include <gtest/gtest.h>

#include <string>

namespace attest::service::api {
namespace {

struct Case {
  std::string name;
  std::string uri;
  bool allow_test;
  bool want_ok;
  std::string want_in_message;  // for refusals: what the message must name
};

TEST(LibvirtUriTest, AllowlistTable) {
  const Case cases[] = {
      // Accepted.
      {"local system", "qemu:///system", false, true, ""},
      {"tls host", "qemu+tls://host-1.example/system", false, true, ""},
      {"tls host upper case", "qemu+tls://Host-1.Example/system", false, true, ""},
      {"tls host and port", "qemu+tls://host-1.example:16514/system", false, true, ""},
      {"tls ipv4", "qemu+tls://192.0.2.10/system", false, true, ""},
      {"tls ipv6", "qemu+tls://[2001:db8::10]:16514/system", false, true, ""},
      {"ssh host", "qemu+ssh://host-1.example/system", false, true, ""},
      {"ssh user host port", "qemu+ssh://virt_ops@host-1.example:2222/system", false, true, ""},
      {"ssh no_tty", "qemu+ssh://host-1.example/system?no_tty=1", false, true, ""},
      {"ssh known hosts normal",
       "qemu+ssh://root@host-1.example/system?known_hosts_verify=normal&no_tty=1", false, true, ""},
      {"test default when allowed", "test:///default", true, true, ""},
      {"test file when allowed", "test:///srv/attest/host-1.xml", true, true, ""},

      // Programs, sockets and files on attestd's machine.
      {"ext command", "qemu+ext:///system?command=/bin/sh", false, false, "qemu+ext"},
      {"ssh command", "qemu+ssh://h.example/system?command=/tmp/ssh", false, false, "command"},
      {"command percent-encoded name", "qemu+ssh://h.example/system?%63ommand=/tmp/x", false, false,
       "\"command\" (written \"%63ommand\")"},
      {"command upper case", "qemu+ssh://h.example/system?COMMAND=/tmp/x", false, false,
       "\"command\" (written \"COMMAND\")"},
      {"socket on local", "qemu:///system?socket=/tmp/fake.sock", false, false, "socket"},
      {"socket on ssh", "qemu+ssh://h.example/system?socket=/tmp/s", false, false, "socket"},
      {"netcat", "qemu+ssh://h.example/system?netcat=/tmp/nc", false, false, "netcat"},
      {"keyfile", "qemu+ssh://h.example/system?keyfile=/etc/attestd/kek", false, false, "keyfile"},
      {"pkipath", "qemu+tls://h.example/system?pkipath=/tmp/pki", false, false, "pkipath"},
      {"known_hosts file", "qemu+ssh://h.example/system?known_hosts=/tmp/kh", false, false,
       "known_hosts"},
      {"name override", "qemu+tls://h.example/system?name=test:///default", false, false,
       "\"name\""},
      {"unix transport", "qemu+unix:///system", false, false, "qemu+unix"},
      {"libssh transport", "qemu+libssh://h.example/system", false, false, "qemu+libssh"},
      {"libssh2 transport", "qemu+libssh2://h.example/system", false, false, "qemu+libssh2"},

      // Checks turned off.
      {"tls no_verify", "qemu+tls://h.example/system?no_verify=1", false, false, "no_verify"},
      {"ssh no_verify", "qemu+ssh://h.example/system?no_verify=1", false, false, "no_verify"},
      {"no_verify encoded value", "qemu+tls://h.example/system?no_verify=%31", false, false,
       "no_verify"},
      {"known hosts ignore", "qemu+ssh://h.example/system?known_hosts_verify=ignore", false, false,
       "only known_hosts_verify=normal"},
      {"known hosts auto", "qemu+ssh://h.example/system?known_hosts_verify=auto", false, false,
       "only known_hosts_verify=normal"},
      {"known hosts normal encoded", "qemu+ssh://h.example/system?known_hosts_verify=%6eormal",
       false, false, "without percent-encoding"},
      {"tls_priority", "qemu+tls://h.example/system?tls_priority=NORMAL:+VERS-SSL3.0", false, false,
       "tls_priority"},
      {"sshauth", "qemu+ssh://h.example/system?sshauth=password", false, false, "sshauth"},
      {"no_tty zero", "qemu+ssh://h.example/system?no_tty=0", false, false, "only no_tty=1"},
      {"no_tty on tls", "qemu+tls://h.example/system?no_tty=1", false, false,
       "qemu+tls takes no parameters"},
      {"mode", "qemu+ssh://h.example/system?mode=legacy", false, false, "mode"},
      {"unknown parameter", "qemu+tls://h.example/system?foo=bar", false, false, "\"foo\" refused"},
      {"plain tcp", "qemu+tcp://h.example/system", false, false, "qemu+tcp"},
      {"implicit tls", "qemu://h.example/system", false, false, "local connection"},

      // Parsing: duplicates, separators, encodings, shapes.
      {"duplicate parameter", "qemu+ssh://h.example/system?no_tty=1&no_tty=1", false, false,
       "given twice"},
      {"semicolon separator", "qemu+ssh://h.example/system?no_tty=1;command=/bin/sh", false, false,
       "\";\""},
      {"empty parameter", "qemu+ssh://h.example/system?no_tty=1&&known_hosts_verify=normal", false,
       false, "empty parameter"},
      {"trailing question mark", "qemu:///system?", false, false, "empty parameter"},
      {"parameter without value", "qemu+ssh://h.example/system?no_verify", false, false,
       "no_verify"},
      {"broken escape", "qemu+ssh://h.example/system?no_tty=%3", false, false, "percent-encoding"},
      {"percent in host", "qemu+tls://h%2eexample/system", false, false, "percent-encoding"},
      {"fragment", "qemu+tls://h.example/system#x", false, false, "fragment"},
      {"scheme upper case", "QEMU:///system", false, false, "QEMU"},
      {"transport upper case", "qemu+TLS://h.example/system", false, false, "qemu+TLS"},
      {"no scheme", "/var/run/libvirt/libvirt-sock", false, false, "DRIVER"},
      {"session daemon", "qemu:///session", false, false, "/session"},
      {"tls without host", "qemu+tls:///system", false, false, "needs a host"},
      {"tls with user", "qemu+tls://root@h.example/system", false, false, "no user"},
      {"ssh password", "qemu+ssh://root:pw@h.example/system", false, false, "user"},
      {"ssh host as option", "qemu+ssh://-oProxyCommand=sh/system", false, false, "host"},
      {"ssh user as option", "qemu+ssh://-oProxyCommand@h.example/system", false, false, "user"},
      {"host with underscore", "qemu+tls://h_1.example/system", false, false, "host"},
      {"bad ipv4", "qemu+tls://300.1.1.1/system", false, false, "IPv4"},
      {"ipv6 without brackets", "qemu+tls://2001:db8::1/system", false, false, "host"},
      {"port zero", "qemu+tls://h.example:0/system", false, false, "port"},
      {"port too large", "qemu+tls://h.example:65536/system", false, false, "port"},
      {"port empty", "qemu+tls://h.example:/system", false, false, "port"},
      {"no path", "qemu+tls://h.example", false, false, "no path"},
      {"query before path", "qemu+tls://h.example?no_verify=1/system", false, false, "no path"},
      {"other path", "qemu+tls://h.example/system/../session", false, false, "path"},
      {"space", "qemu:///sys tem", false, false, "printable"},
      {"control byte", std::string("qemu:///system\n"), false, false, "printable"},
      {"too long", "qemu+tls://" + std::string(250, 'a') + "/system", false, false, "longer"},
      {"test when not allowed", "test:///default", false, false, "allow_test_libvirt_uris"},
      {"test relative path", "test:///../etc/passwd", true, false, "test driver path"},
      {"test with host", "test://h.example/default", true, false, "local connection"},
      {"test with parameter", "test:///default?command=/bin/sh", true, false, "command"},
      {"test over tcp", "test+tcp://localhost:5000/default", true, false, "test+tcp"},
  };
  size_t accepted = 0, refused = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Status s = CheckLibvirtUri(c.uri, c.allow_test);
    if (c.want_ok) {
      ++accepted;
      EXPECT_TRUE(s.ok()) << s.ToString();
      continue;
    }
    ++refused;
    EXPECT_EQ(s.reason_id(), "api.libvirt_uri_refused") << s.ToString();
    EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(s.message().find(c.want_in_message), std::string::npos) << s.message();
  }
  EXPECT_GT(refused, 2 * accepted);
}

}  // namespace
}  // namespace attest::service::api
