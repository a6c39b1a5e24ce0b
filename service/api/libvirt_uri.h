// Which libvirt connection URIs attestd opens (security review, issue 17 item 7).
//
// libvirt accepts URIs that run a local program (qemu+ext://...?command=), skip certificate or
// host key checks (no_verify=1, known_hosts_verify=ignore), or read files and sockets the URI
// names (keyfile=, pkipath=, socket=). attestd holds the KEK, so a host's libvirt_uri is held to
// a short allowlist instead: enrollment refuses anything else, and the launch path checks the
// stored URI again before every connection (a URI stored before this check existed is not used).
#pragma once

#include <string_view>

#include "attest/core/status.h"

namespace attest::service::api {

// CheckLibvirtUri returns ok for exactly these forms:
//   qemu:///system                                 the local libvirtd
//   qemu+tls://HOST[:PORT]/system                  TLS, certificates verified (no parameters)
//   qemu+ssh://[USER@]HOST[:PORT]/system[?PARAMS]  ssh with host key checking on; PARAMS only
//                                                  no_tty=1 and known_hosts_verify=normal
//   test:///default, test:///ABSOLUTE/FILE.xml     libvirt's test driver, only when
//                                                  allow_test_uris (tests)
// HOST is a DNS name, an IPv4 address or a bracketed IPv6 address; USER is 1..32 of
// A-Z a-z 0-9 . _ - not starting with "-". Anything else fails with api.libvirt_uri_refused and a
// message naming what was refused. The check is on the text only: it resolves nothing.
Status CheckLibvirtUri(std::string_view uri, bool allow_test_uris);

}  // namespace attest::service::api
