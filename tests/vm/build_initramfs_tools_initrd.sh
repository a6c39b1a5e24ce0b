#!/usr/bin/env bash
# build_initramfs_tools_initrd.sh OUT_DIR AGENT_BIN SOFTWARE_TEE_BIN
# The agent's initramfs-tools hook run by Debian's own mkinitramfs (agent/initramfs): a bookworm
# root made with mmdebstrap (initramfs-tools, Debian's cloud kernel, cryptsetup-bin, busybox,
# kmod; ~100 s, kept in OUT_DIR/initramfs-tools-root), attest-agent installed into it, the hook
# and local-top script from agent/initramfs, plus two test-only pieces (tests/vm/initramfs-tools:
# the vectors software-tee reads, and a local-bottom script that prints known.txt from the
# mounted root and powers off). Writes OUT_DIR/initramfs-tools.img and
# OUT_DIR/initramfs-tools-vmlinuz. real_boot_test boots it once more when
# ATTEST_INITRAMFS_TOOLS_DIR=OUT_DIR is set; CI does not (the root costs more than the test).
set -euo pipefail
if [ $# -ne 3 ]; then
  echo "usage: build_initramfs_tools_initrd.sh OUT_DIR AGENT_BIN SOFTWARE_TEE_BIN" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
agent=$2
tee_bin=$3
target=$out/initramfs-tools-root
if [ ! -f "$target/.attest-stamp" ]; then
  rm -rf "$target"
  mmdebstrap --quiet --variant=apt \
    --include=initramfs-tools,linux-image-cloud-amd64,cryptsetup-bin,busybox,kmod \
    bookworm "$target"
  touch "$target/.attest-stamp"
fi
version=$(basename "$(ls -d "$target"/lib/modules/*)")

. "$root/tests/vm/install_with_libs.sh"
install_with_libs "$target" "$agent" /usr/bin/attest-agent
install_with_libs "$target" "$tee_bin" /usr/local/sbin/software-tee
etc=$target/etc/initramfs-tools
install -m 0755 "$root/agent/initramfs/hooks/attest-agent" "$etc/hooks/attest-agent"
install -m 0755 -D "$root/agent/initramfs/scripts/local-top/attest-unlock" \
  "$etc/scripts/local-top/attest-unlock"
install -m 0755 "$root/tests/vm/initramfs-tools/attest-test-hook" "$etc/hooks/attest-test"
install -m 0755 -D "$root/tests/vm/initramfs-tools/attest-test-report" \
  "$etc/scripts/local-bottom/attest-test-report"
mkdir -p "$target/usr/share/attest-vectors/tdx/dcap-qvl-v4" "$target/etc/attest"
cp "$root/../shared/vectors/tdx/dcap-qvl-v4/quote.bin" \
  "$root/../shared/vectors/tdx/dcap-qvl-v4/collateral.json" \
  "$target/usr/share/attest-vectors/tdx/dcap-qvl-v4/"
# The program the hook must copy; each boot appends its own /etc/attest over this one.
echo "/usr/local/sbin/software-tee snp" >"$target/etc/attest/evidence-command"

chroot "$target" mkinitramfs -o /boot/initramfs-tools-attest.img "$version"
cp "$target/boot/initramfs-tools-attest.img" "$out/initramfs-tools.img"
truncate -s %512 "$out/initramfs-tools.img"  # a cpio appended later must start 4-byte aligned
cp "$target/boot/vmlinuz-$version" "$out/initramfs-tools-vmlinuz"
echo "$out/initramfs-tools.img ($(du -h "$out/initramfs-tools.img" | cut -f1), kernel $version)"
