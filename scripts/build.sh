#!/usr/bin/env bash
# build.sh DIR [cmake options...]: configure (once) and build with Ninja and ccache.
# ATTEST_BUILD_TARGETS="t1 t2" builds only those targets (default: all).
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
# shellcheck disable=SC2086
ninja -C "$dir" ${ATTEST_BUILD_TARGETS:-} | grep -vE '^\[[0-9]+/[0-9]+\] '
rc=${PIPESTATUS[0]}
exit "$rc"
