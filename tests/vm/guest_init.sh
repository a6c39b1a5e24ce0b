#!/bin/sh
# /init of the real-boot test's guest (tests/vm/README.md): modules, the user-mode NIC (QEMU's
# slirp: guest 10.0.2.15, gateway 10.0.2.2 = the host's loopback), then the initramfs hook's
# unlock script (agent/initramfs) exactly as initramfs-tools would run it, then the test's own
# step on the opened volume, each outcome on a line starting "ATTEST-" on the serial console:
#   attest_test.provision=TOKEN  the tenant's first boot: ext2 on the opened volume, TOKEN
#                                written to known.txt (ATTEST-PROVISIONED)
#   (otherwise)                  known.txt printed (ATTEST-FILE: TOKEN)
# A refused release prints ATTEST-REFUSED and whether a dm device exists (ATTEST-VOLUME-CLOSED
# or ATTEST-VOLUME-OPEN). Always powers off.
export PATH=/sbin:/bin
# For software-tee, the evidence command's program (build_guest_initramfs.sh).
export ATTEST_VECTORS=/usr/share/attest-vectors
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs tmpfs /tmp
echo 0 >/proc/sys/kernel/printk
for module in $(cat /lib/modules/load-order); do
  insmod "/lib/modules/$module.ko" || echo "ATTEST-ERROR: insmod $module"
done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
echo "ATTEST-GUEST-UP"

name=attest_root provision=""
read -r cmdline </proc/cmdline
for arg in $cmdline; do
  case "$arg" in
  attest.name=*) name=${arg#attest.name=} ;;
  attest_test.provision=*) provision=${arg#attest_test.provision=} ;;
  esac
done

volume_state() {
  for dm in /sys/block/dm-*; do
    [ -e "$dm" ] && echo "ATTEST-VOLUME-OPEN" && return
  done
  echo "ATTEST-VOLUME-CLOSED"
}

if /scripts/local-top/attest-unlock; then
  if [ -n "$provision" ]; then
    # 4 KiB blocks: cryptsetup gives the mapping 4 KiB sectors on an image file.
    if mke2fs -q -b 4096 "/dev/mapper/$name" >/dev/null && mount "/dev/mapper/$name" /mnt &&
      echo "$provision" >/mnt/known.txt && umount /mnt; then
      echo "ATTEST-PROVISIONED"
    else
      echo "ATTEST-ERROR: provisioning failed"
    fi
  elif mount -o ro "/dev/mapper/$name" /mnt; then
    echo "ATTEST-FILE: $(cat /mnt/known.txt)"
    umount /mnt
  else
    echo "ATTEST-ERROR: mount failed"
  fi
  cryptsetup close "$name"
else
  echo "ATTEST-REFUSED"
  volume_state
fi
sync
poweroff -f
