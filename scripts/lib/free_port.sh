# free_port: prints a TCP port on 127.0.0.1 that nothing listens on (sourced by scripts and tests).
# Ports come from below the kernel's ephemeral range (ip_local_port_range), so the local end of an
# outgoing connection (another test's client, a benchmark) can never hold the port between this
# check and the server's bind.
free_port() {
  local p lo=32768 hi
  read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
  [ "$lo" -gt 12000 ] || lo=32768
  for p in $(shuf -i 10000-$((lo - 1)) -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}
