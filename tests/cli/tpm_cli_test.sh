#!/usr/bin/env bash
# tpm_cli_test.sh ATTESTCTL: exit codes and output shape of `attestctl eventlog replay` and
# `attestctl verify tpm` on the shared vectors and the swtpm fixtures. Run from the repo root.
set -u
bin=$1
V=${ATTEST_VECTORS:-../shared/vectors}/tpm
F=attest/tpm/testdata/swtpm
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() {  # expect NAME WANT_RC CMD...
  local name=$1 want=$2
  shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"
  local rc=$?
  if [ "$rc" != "$want" ]; then
    echo "FAIL $name: exit $rc, want $want"; cat "$tmp/out" "$tmp/err"; fail=1
  fi
}
contains() {  # contains NAME STRING (in the last command's stdout+stderr)
  if ! grep -qF -- "$2" "$tmp/out" "$tmp/err"; then
    echo "FAIL $1: output lacks $2"; cat "$tmp/out" "$tmp/err"; fail=1
  fi
}

expect replay-json 0 "$bin" eventlog replay "$V/tpm2-tools/event-uefi-sha1-log.bin" --json
contains replay-json '{"banks":{"sha1":{"0":"3dcaea25dc86554d94b94aa5bc8f735a49212af8","1":'
expect replay-agile 0 "$bin" eventlog replay "$V/eventlogs/rhel8-uefi.bin" --json
contains replay-agile '"14":"d8f57ebcc1a23cc46832696e1a657f720e1be8f5b405bb7204682114e363b455"'
expect replay-missing 2 "$bin" eventlog replay "$tmp/does-not-exist"
expect replay-usage 2 "$bin" eventlog replay
head -c 1000 "$V/tpm2-tools/event-postcode.bin" >"$tmp/trunc.bin"
expect replay-truncated 1 "$bin" eventlog replay "$tmp/trunc.bin" --json
contains replay-truncated 'eventlog.malformed'
contains replay-truncated 'offset'

G=$V/quote-windows-gcp
expect gcp-accepted 0 "$bin" verify tpm --quote "$G/quote.attest" --sig "$G/quote.sig" \
  --ak "$G/ak_public.tpmt" --pcrs "$G/pcrs.json" --eventlog "$G/eventlog.bin" --nonce "" --json
contains gcp-accepted '"verdict":"accepted"'
contains gcp-accepted '"secure_boot":true'
expect gcp-wrong-nonce 1 "$bin" verify tpm --quote "$G/quote.attest" --sig "$G/quote.sig" \
  --ak "$G/ak_public.tpmt" --pcrs "$G/pcrs.json" --nonce 00 --json
contains gcp-wrong-nonce '"code":"tpm.nonce_mismatch"'
# A log whose PCR 7 data differs: flip one bit of the last byte of the log (the last event's data).
cp "$G/eventlog.bin" "$tmp/log.bin"
size=$(stat -c %s "$tmp/log.bin")
last=$(od -An -tu1 -j $((size - 1)) -N1 "$tmp/log.bin" | tr -d ' ')
printf "$(printf '\\%03o' $((last ^ 1)))" | dd of="$tmp/log.bin" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
expect gcp-log-tampered 0 "$bin" eventlog replay "$tmp/log.bin"
for s in ecc256-ecdsa ecc384-ecdsa rsa-rsassa rsa-rsapss; do
  expect "swtpm-$s" 0 "$bin" verify tpm --quote "$F/$s/quote.msg" --sig "$F/$s/quote.sig" \
    --ak "$F/$s/ak.tpm2b" --pcrs "$F/$s/pcrs.bin" --nonce 0011223344556677 --json
  contains "swtpm-$s" '"ak_attributes_checked":true'
done
expect swtpm-no-pcrs 1 "$bin" verify tpm --quote "$F/rsa-rsassa/quote.msg" \
  --sig "$F/rsa-rsassa/quote.sig" --ak "$F/rsa-rsassa/ak.pem" --nonce 0011223344556677 --json
contains swtpm-no-pcrs '"code":"tpm.pcr_missing"'
expect verify-usage 2 "$bin" verify tpm --quote "$F/rsa-rsassa/quote.msg"
expect verify-bad-flag 2 "$bin" verify tpm --quote x --sig y --ak z --bogus
expect verify-unreadable 2 "$bin" verify tpm --quote "$tmp/none" --sig "$tmp/none" --ak "$tmp/none"
expect verify-bad-nonce 2 "$bin" verify tpm --quote "$F/rsa-rsassa/quote.msg" \
  --sig "$F/rsa-rsassa/quote.sig" --ak "$F/rsa-rsassa/ak.pem" --nonce zz
exit $fail
