#!/usr/bin/env bash
# build_guest_initramfs.sh OUT_DIR AGENT_BIN SOFTWARE_TEE_BIN
# Makes what the real-boot test's TCG guest direct-boots (tests/vm/README.md):
#   OUT_DIR/vmlinuz      Debian's cloud kernel (linux-image-6.1.0-*-cloud-amd64, from the archive
#                        with `apt-get download`; the .deb is kept in OUT_DIR/cache so CI fetches
#                        it once)
#   OUT_DIR/initrd.img   a gzip'd newc cpio: busybox-static, cryptsetup and the shared libraries
#                        ldd lists, the kernel modules virtio and dm-crypt need (with their
#                        dependencies, read from each module's modinfo), attest-agent and
#                        software-tee (stripped) with their libraries and the two vectors
#                        software-tee reads at start, the initramfs hook's
#                        unlock script (agent/initramfs) and tests/vm/guest_init.sh as /init.
# Per-run settings (/etc/attest: CA certificate, evidence command) are not in it: the test
# appends a second cpio archive, which the kernel unpacks over the first.
# Rebuilds the initrd only when an input is newer than it. Needs busybox-static, cpio, cryptsetup.
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: build_guest_initramfs.sh OUT_DIR AGENT_BIN SOFTWARE_TEE_BIN" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
agent=$2
tee_bin=$3
mkdir -p "$out/cache"
out=$(cd "$out" && pwd)
busybox=/bin/busybox
for tool in "$busybox" /usr/sbin/cryptsetup cpio; do
  if ! command -v "$tool" >/dev/null; then
    echo "build_guest_initramfs: $tool missing (scripts/deps.sh test installs it)" >&2
    exit 1
  fi
done
if ! "$busybox" --list | grep -qx mke2fs || ldd "$busybox" >/dev/null 2>&1; then
  echo "build_guest_initramfs: $busybox is not busybox-static" >&2
  exit 1
fi

# --- kernel: the version Debian's cloud metapackage currently depends on -------------------
cloud_kernel() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -1
}
package=$(cloud_kernel)
if [ -z "$package" ] && ! ls "$out"/cache/linux-image-*-cloud-amd64_*.deb >/dev/null 2>&1; then
  apt-get update -q >/dev/null  # a machine whose package lists were never fetched
  package=$(cloud_kernel)
fi
deb=$(ls "$out"/cache/"${package:-none}"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$deb" ]; then
  deb=$(ls "$out"/cache/linux-image-*-cloud-amd64_*.deb 2>/dev/null | head -1 || true)
  if [ -z "$package" ] && [ -z "$deb" ]; then
    echo "build_guest_initramfs: no linux-image-cloud-amd64 in the apt lists (apt-get update?)" >&2
    exit 1
  fi
  if [ -n "$package" ]; then
    (cd "$out/cache" && apt-get download "$package" >/dev/null)
    deb=$(ls "$out"/cache/"$package"_*.deb | head -1)
    find "$out/cache" -name 'linux-image-*.deb' ! -name "$(basename "$deb")" -delete
  fi
fi
kdir=$out/cache/kernel
if [ ! -f "$kdir/stamp" ] || [ "$deb" -nt "$kdir/stamp" ]; then
  rm -rf "$kdir"
  mkdir -p "$kdir"
  dpkg-deb -x "$deb" "$kdir"
  touch "$kdir/stamp"
fi
version=$(basename "$(ls -d "$kdir"/lib/modules/*)")
cp -p "$kdir/boot/vmlinuz-$version" "$out/vmlinuz"

# software-tee builds its TDX side from two vectors at start (tests/testing/software_tee.cc):
# the guest's /init points ATTEST_VECTORS at their copies.
vectors=$root/../shared/vectors/tdx/dcap-qvl-v4
inputs=("$agent" "$tee_bin" "$deb" "$0" "$root/tests/vm/guest_init.sh"
  "$root/agent/initramfs/scripts/local-top/attest-unlock" "$root/tests/vm/install_with_libs.sh"
  "$vectors/quote.bin"
  "$vectors/collateral.json")
if [ -f "$out/initrd.img" ]; then
  fresh=1
  for f in "${inputs[@]}"; do
    [ "$f" -nt "$out/initrd.img" ] && fresh=0
  done
  if [ "$fresh" = 1 ]; then
    echo "$out/initrd.img up to date"
    exit 0
  fi
fi

stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,etc/attest,proc,sys,dev,run,mnt,tmp,lib/modules}
cp "$busybox" "$stage/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$stage/bin/$applet"
done

. "$root/tests/vm/install_with_libs.sh"
install_with_libs "$stage" /usr/sbin/cryptsetup /sbin/cryptsetup
install_with_libs "$stage" "$agent" /sbin/attest-agent
install_with_libs "$stage" "$tee_bin" /sbin/software-tee

# --- kernel modules, in load order (each after what its modinfo "depends=" names) ----------
moddir=$kdir/lib/modules/$version/kernel
declare -A module_path=() loaded=()
while IFS= read -r path; do
  name=$(basename "$path" .ko)
  module_path[${name//-/_}]=$path
done < <(find "$moddir" -name '*.ko')
order=()
add_module() {
  local name=${1//-/_} dep path
  [ -n "${loaded[$name]:-}" ] && return 0
  path=${module_path[$name]:-}
  if [ -z "$path" ]; then
    echo "build_guest_initramfs: module $name not in $version" >&2
    exit 1
  fi
  loaded[$name]=1
  for dep in $(tr '\0' '\n' <"$path" | sed -n 's/^depends=//p' | tr ',' ' '); do
    add_module "$dep"
  done
  order+=("$name")
}
# xts needs ecb(aes), a module here that no depends= names (the crypto API loads it by alias).
for m in virtio_pci virtio_blk virtio_net dm_crypt xts ecb algif_skcipher; do
  add_module "$m"
done
: >"$stage/lib/modules/load-order"
for name in "${order[@]}"; do
  cp "${module_path[$name]}" "$stage/lib/modules/$name.ko"
  echo "$name" >>"$stage/lib/modules/load-order"
done

mkdir -p "$stage/usr/share/attest-vectors/tdx/dcap-qvl-v4"
cp "$vectors/quote.bin" "$vectors/collateral.json" "$stage/usr/share/attest-vectors/tdx/dcap-qvl-v4/"
mkdir -p "$stage/scripts/local-top"
install -m 0755 "$root/agent/initramfs/scripts/local-top/attest-unlock" \
  "$stage/scripts/local-top/attest-unlock"
install -m 0755 "$root/tests/vm/guest_init.sh" "$stage/init"
printf 'hosts: files\n' >"$stage/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n' >"$stage/etc/hosts"

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
  gzip -1 >"$out/initrd.img.tmp"
# The kernel unpacks a further archive appended to this one only at a 4-byte aligned offset.
truncate -s %512 "$out/initrd.img.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
echo "$out/initrd.img ($(du -h "$out/initrd.img" | cut -f1), kernel $version)"
