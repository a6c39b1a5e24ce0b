#!/usr/bin/env bash
# Installs the Debian packages a profile needs, idempotently: apt-get runs only when something is
# missing, and then `apt-get update` once followed by one install.
#   scripts/deps.sh build   # compile and run attestd/attestctl
#   scripts/deps.sh test    # + test tools (sanitizer runtime, fuzzing, swtpm, node for peers)
#   scripts/deps.sh package # + Debian packaging, lintian, mmdebstrap, systemd-analyze
#   scripts/deps.sh test package   # several profiles, still one apt-get run
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
profiles=("$@")
[ "${#profiles[@]}" -gt 0 ] || profiles=(build)

mapfile -t wanted < <(grep -v '^#' "$here/packages-build.txt" | tr -s ' \n' '\n' | sed '/^$/d')
for profile in "${profiles[@]}"; do
  [ "$profile" = build ] && continue
  [ -f "$here/packages-$profile.txt" ] || { echo "deps: no profile $profile" >&2; exit 2; }
  mapfile -t -O "${#wanted[@]}" wanted < <(grep -v '^#' "$here/packages-$profile.txt" | tr -s ' \n' '\n' | sed '/^$/d')
done

missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
# node: any installed nodejs with npm is fine (Debian's, or one the machine image ships).
if [[ " ${profiles[*]} " == *" test "* ]] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
