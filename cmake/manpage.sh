#!/bin/sh
# manpage.sh OUT NAME SECTION SUMMARY VERSION PROGRAM: writes OUT, a gzipped man page made from
# the usage text PROGRAM prints when run without arguments (the packages' only copy of it).
set -eu
out=$1 name=$2 section=$3 summary=$4 version=$5 program=$6
usage=$("$program" 2>&1 || true)
if [ -z "$usage" ]; then
  echo "manpage.sh: $program printed no usage" >&2
  exit 1
fi
title=$(printf '%s' "$name" | tr '[:lower:]' '[:upper:]')
{
  printf '.TH %s %s "" "attest %s" "attest"\n' "$title" "$section" "$version"
  printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
  printf '.SH SYNOPSIS\n.nf\n'
  # Roff: backslashes escaped, minus signs as such, no line taken for a request, tabs as spaces.
  printf '%s\n' "$usage" | sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" \
    -e 's/\t/    /g'
  printf '.fi\n.SH SEE ALSO\n'
  printf 'attestd(8), attestctl(1), attest\\-agent(1)\n'
} | gzip -9n >"$out"
