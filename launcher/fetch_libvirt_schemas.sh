#!/usr/bin/env bash
# fetch_libvirt_schemas.sh [DIR]: puts the RelaxNG domain schemas of a libvirt that knows TDX
# (11.6 or newer) into DIR (default build/libvirt-schemas), where attest_launcher_libvirt_test
# validates the TDX domain document (or set ATTEST_LIBVIRT_SCHEMAS). The installed libvirt (11.3
# from bookworm-backports) predates TDX, so the schemas come from the libvirt-common package of
# Debian's newest suite (sid), fetched with apt from the same archive as the machine's bookworm
# source into a private apt state: nothing is installed, and apt checks the archive's signature.
# DIR/VERSION names the package version the schemas are from.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/build/libvirt-schemas}
want_min=11.6.0
if [ -f "$dir/domain.rng" ] && [ -f "$dir/VERSION" ] &&
  dpkg --compare-versions "$(cat "$dir/VERSION")" ge "$want_min"; then
  echo "$dir already holds libvirt $(cat "$dir/VERSION") schemas"
  exit 0
fi
# archive: the URI of the machine's enabled bookworm source (deb822 first, then one-line lists).
archive=$(grep -hs -A3 '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '/^URIs:/ {uri=$2} /^Suites:.*bookworm( |$)/ {print uri; exit}')
if [ -z "$archive" ]; then
  archive=$(grep -hsE '^deb +(\[[^]]*\] +)?[a-z]+://[^ ]+ +bookworm +' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list 2>/dev/null | sed -E 's/^deb +(\[[^]]*\] +)?//' |
    awk '{print $1; exit}')
fi
archive=${archive:-http://deb.debian.org/debian}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $archive sid main" \
  >"$work/sources.list"
apt_opts=(-q -o "Dir::Etc::sourcelist=$work/sources.list" -o Dir::Etc::sourceparts=-
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache")
apt-get "${apt_opts[@]}" update >/dev/null
version=$(apt-cache "${apt_opts[@]}" show libvirt-common | sed -n 's/^Version: //p' | sort -V |
  tail -1)
if ! dpkg --compare-versions "$version" ge "$want_min"; then
  echo "fetch_libvirt_schemas: sid has libvirt-common $version, older than $want_min" >&2
  exit 1
fi
(cd "$work" && apt-get "${apt_opts[@]}" download "libvirt-common=$version" >/dev/null)
mkdir -p "$work/x"
dpkg-deb -x "$work"/libvirt-common_*.deb "$work/x"
[ -f "$work/x/usr/share/libvirt/schemas/domain.rng" ] || {
  echo "fetch_libvirt_schemas: no domain.rng in libvirt-common $version" >&2
  exit 1
}
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
cp -r "$work/x/usr/share/libvirt/schemas" "$dir"
echo "$version" >"$dir/VERSION"
echo "$dir: libvirt $version schemas"
