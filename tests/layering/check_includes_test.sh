#!/usr/bin/env bash
# check_includes_test.sh CHECKER: the layering check refuses each kind of include it exists for
# and accepts the allowed ones, on a scratch tree.
set -uo pipefail
checker=${1:?usage: check_includes_test.sh CHECKER}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failures=0

# expect NAME WANT_RC FILE INCLUDE: a tree holding only FILE with #include "INCLUDE".
expect() {
  local name=$1 want=$2 file=$3 include=$4
  rm -rf "${scratch:?}"/*
  mkdir -p "$scratch/$(dirname "$file")"
  printf '#include <string>\n#include "%s"\n' "$include" >"$scratch/$file"
  bash "$checker" "$scratch" >"$scratch.out" 2>&1
  local rc=$?
  if [[ $rc != "$want" ]]; then
    echo "FAIL $name: exit $rc, want $want"; cat "$scratch.out"; failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
  rm -f "$scratch.out"
}

expect "agent includes service" 1 agent/main.cc service/release/release.h
expect "agent includes cli" 1 agent/main.cc cli/args.h
expect "agent test includes service" 1 agent/x_test.cc service/keys/volume.h
expect "attestd includes cli" 1 service/attestd/main.cc cli/input.h
expect "flags includes cli" 1 flags/args.cc cli/commands.h
expect "protocol includes service" 1 protocol/jwe.cc service/keys/kek.h
expect "client includes service" 1 client/api_client.cc service/http/response.h
expect "sigv4 includes client" 1 sigv4/signer.cc client/api_client.h
expect "attest/core includes attest/snp" 1 attest/core/x509.cc attest/snp/wire.h
expect "attest/snp includes policy" 1 attest/snp/verify.cc policy/rules.h
expect "policy includes service" 1 policy/loader.cc service/http/json_parse.h
expect "library code includes tests" 1 agent/guest_unlock.cc tests/testing/vectors.h
expect "agent includes protocol" 0 agent/main.cc protocol/jwe.h
expect "agent includes flags" 0 agent/main.cc flags/args.h
expect "attestd includes flags" 0 service/attestd/main.cc flags/args.h
expect "service includes client" 0 service/server/https_server.cc client/endpoint.h
expect "cli includes the store" 0 cli/audit_verify.cc service/store/store.h
expect "policy includes generated protos" 0 policy/loader.h attest/policy/v1/policy.pb.h
expect "tests may include tests" 0 attest/tdx/collateral_test.cc tests/testing/vectors.h
expect "system and third-party headers" 0 agent/main.cc nlohmann/json.hpp
exit $((failures > 0))
