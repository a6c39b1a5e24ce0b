#!/usr/bin/env bash
# Installs the Debian packages a profile needs, idempotently: apt-get runs only when something is
# missing, and then `apt-get update` once followed by one install.
#   scripts/deps.sh build   # compile and run attestd/attestctl
#   scripts/deps.sh test    # + test tools (sanitizer runtime, fuzzing, swtpm, node for peers)
#   scripts/deps.sh package # + Debian packaging, lintian, mmdebstrap, systemd-analyze
#   scripts/deps.sh test package   # several profiles, still one apt-get run
# A list entry NAME/bookworm-backports comes from Debian's backports suite (libvirt and QEMU: the
# bookworm releases know no SEV-SNP or TDX). The suite is added from the same archive as the
# machine's bookworm suite only when such a package is missing; everything else stays bookworm.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
profiles=("$@")
[ "${#profiles[@]}" -gt 0 ] || profiles=(build)
backports=bookworm-backports
backports_list=/etc/apt/sources.list.d/attest-$backports.sources

mapfile -t wanted < <(grep -v '^#' "$here/packages-build.txt" | tr -s ' \n' '\n' | sed '/^$/d')
for profile in "${profiles[@]}"; do
  [ "$profile" = build ] && continue
  [ -f "$here/packages-$profile.txt" ] || { echo "deps: no profile $profile" >&2; exit 2; }
  mapfile -t -O "${#wanted[@]}" wanted < <(grep -v '^#' "$here/packages-$profile.txt" | tr -s ' \n' '\n' | sed '/^$/d')
done

# installed NAME [SUITE]: NAME is installed, and from the backports suite when SUITE names it
# (Debian's backports versions carry "~bpoNN").
installed() {
  local status version
  status=$(dpkg-query -W -f='${Status}|${Version}' "$1" 2>/dev/null) || return 1
  version=${status#*|}
  [[ $status == 'install ok installed|'* ]] || return 1
  [ -z "${2:-}" ] || [[ $version == *'~bpo'* ]]
}

missing=()
missing_backports=()
for entry in "${wanted[@]}"; do
  pkg=${entry%%/*}
  suite=
  [ "$pkg" = "$entry" ] || suite=${entry#*/}
  if [ -n "$suite" ] && [ "$suite" != "$backports" ]; then
    echo "deps: unknown suite in $entry" >&2
    exit 2
  fi
  installed "$pkg" "$suite" && continue
  if [ -n "$suite" ]; then
    missing_backports+=("$pkg")
  else
    missing+=("$pkg")
  fi
done
# node: any installed nodejs with npm is fine (Debian's, or one the machine image ships).
if [[ " ${profiles[*]} " == *" test "* ]] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -eq 0 ] && [ "${#missing_backports[@]}" -eq 0 ]; then
  exit 0
fi

# archive_uri: the URI of the enabled source that serves the bookworm suite of the debian archive
# (deb822 files first, then one-line sources), so backports come from the same mirror.
archive_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && [ "$f" != "$backports_list" ] || continue
    awk -v RS= '/(^|\n)Suites:[^\n]*[[:space:]]bookworm([[:space:]]|$)/ && !/(^|\n)Enabled: *no/ {
      if (match($0, /(^|\n)URIs: *[^ \n]+/)) { s = substr($0, RSTART, RLENGTH); sub(/.*URIs: */, "", s); print s; exit }
    }' "$f"
  done
  if [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++;
      if ($(i + 1) == "bookworm") { print $i; exit } }' /etc/apt/sources.list
  fi
}

export DEBIAN_FRONTEND=noninteractive
if [ "${#missing_backports[@]}" -gt 0 ]; then
  uri=$(archive_uri | head -1)
  if [ -z "$uri" ]; then
    echo "deps: no enabled source serves Debian bookworm: cannot add $backports" >&2
    exit 1
  fi
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  want="Types: deb
URIs: $uri
Suites: $backports
Components: main
Signed-By: $keyring"
  if [ "$(cat "$backports_list" 2>/dev/null)" != "$want" ]; then
    echo "deps: adding $backports from $uri ($backports_list)" >&2
    printf '%s\n' "$want" >"$backports_list"
  fi
fi
apt-get update -q >&2
if [ "${#missing[@]}" -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
# -t: these packages and the dependencies they need in a newer version come from backports
# (libvirt's split daemons pin each other to one version); dependencies that bookworm satisfies
# stay bookworm's.
if [ "${#missing_backports[@]}" -gt 0 ]; then
  echo "deps: installing from $backports: ${missing_backports[*]}" >&2
  apt-get install -y -q --no-install-recommends -t "$backports" "${missing_backports[@]}" >&2
fi
