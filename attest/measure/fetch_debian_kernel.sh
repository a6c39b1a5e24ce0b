#!/usr/bin/env bash
# fetch_debian_kernel.sh [DIR]: downloads Debian's signed linux-image-6.1.0-57-cloud-amd64 package
# (the kernel three RTMR vectors use; ../shared/vectors/measure/MANIFEST.md: "not copied") with
# apt-get download and extracts /boot/vmlinuz-6.1.0-57-cloud-amd64 into DIR (default
# build/measure-inputs), where attest_measure_tdx_test looks for it (or set ATTEST_DEBIAN_KERNEL).
# Fails unless the file's SHA-256 is the vectors' one.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=${1:-$root/build/measure-inputs}
want=1a7ac0c40b10b98353b6f85fa9a0d4f2703287979567e19629d35ad2d777d124
package=linux-image-6.1.0-57-cloud-amd64
out=$dir/vmlinuz-6.1.0-57-cloud-amd64
mkdir -p "$dir"
if [ -f "$out" ] && [ "$(sha256sum "$out" | cut -d' ' -f1)" = "$want" ]; then
  echo "$out already present"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "$package" >/dev/null)
dpkg-deb --fsys-tarfile "$work"/"$package"_*.deb |
  tar -xO ./boot/vmlinuz-6.1.0-57-cloud-amd64 >"$work/vmlinuz"
got=$(sha256sum "$work/vmlinuz" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "fetch_debian_kernel: sha256 $got, want $want" >&2
  exit 1
fi
mv "$work/vmlinuz" "$out"
echo "$out"
