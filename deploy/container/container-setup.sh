#!/bin/sh
# Run once while the image is built, after the packages are installed (Containerfile).
set -eu
config=/etc/attestd/attestd.json
# The package's postinst made a first state; an image must not carry a KEK or credentials that
# every container would share. Each container makes its own at first start.
find /var/lib/attestd -mindepth 1 -delete
# A container is reached through its published port, not its loopback.
sed -i 's/"listen_host": "127.0.0.1"/"listen_host": "0.0.0.0"/' "$config"
if ! grep -q '"listen_host": "0.0.0.0"' "$config"; then
  echo "container-setup: $config has no listen_host to change" >&2
  exit 1
fi
