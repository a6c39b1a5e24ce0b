#!/usr/bin/env bash
# build.sh DIR [cmake options...]: configure (once) and build with Ninja and ccache.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S "$root" -B "$dir" -G Ninja "$@" >/dev/null
else
  cmake "$dir" "$@" >/dev/null
fi
set +e
ninja -C "$dir" | grep -vE '^\[[0-9]+/[0-9]+\] '
rc=${PIPESTATUS[0]}
exit "$rc"
