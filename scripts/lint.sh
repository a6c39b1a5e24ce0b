#!/usr/bin/env bash
# lint.sh [BUILD_DIR]: the repository's .clang-tidy over every project .cc file (with BUILD_DIR's
# compile_commands.json, default build/, which must have been built: policy sources include the
# generated protobuf headers), and `clang-format --dry-run --Werror` (.clang-format) over every
# project .cc and .h file. Prints each finding once (a header's finding is reported by every file
# that includes it), then the number of findings per check. Exits 1 on any finding.
#   LINT_JOBS=N        clang-tidy processes at once (default: one per CPU)
#   LINT_FILES="a b"   lint only these files (default: every tracked .cc/.h file)
#   LINT_TIDY=0 / LINT_FORMAT=0   skip one of the two checks
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=$(cd "${1:-build}" && pwd) || exit 2
jobs=${LINT_JOBS:-$(nproc)}
if [ ! -f "$build/compile_commands.json" ]; then
  echo "lint: $build/compile_commands.json missing (configure and build that tree first)" >&2
  exit 2
fi

if [ -n "${LINT_FILES:-}" ]; then
  read -r -a files <<<"$LINT_FILES"
else
  # Tracked sources only: generated protobuf and embedded-data sources live in the build tree.
  mapfile -t files < <(git ls-files '*.cc' '*.h')
fi
sources=()
for f in "${files[@]}"; do
  [[ $f == *.cc ]] && sources+=("$f")
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ "${LINT_TIDY:-1}" = 1 ]; then
  # Sources not in the database (fuzz targets, built only by clang) get flags inferred from their
  # neighbours. Results are cached by what each source reads (scripts/tidy.py).
  LINT_JOBS=$jobs python3 scripts/tidy.py "$build" "${sources[@]}" >"$out/tidy.all" 2>"$out/tidy.stderr"
  cat "$out/tidy.stderr" >&2
  # Findings in the build tree (generated protobuf code) are not ours.
  cat "$out/tidy.all" |
    grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): .*\[[a-z0-9.,-]+\]$' |
    grep -v "^$build/" | sed "s|^$root/||" | sort -t: -k1,1 -k2,2n -k3,3n -u >"$out/tidy"
else
  : >"$out/tidy"
fi

: >"$out/format"
if [ "${LINT_FORMAT:-1}" = 1 ]; then
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" 2>&1 |
      grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' | sed 's/$/ [clang-format]/' >>"$out/format"
  done
fi

cat "$out/tidy" "$out/format"
echo
echo "lint: findings per check"
cat "$out/tidy" "$out/format" | sed -E 's/.*\[([a-z0-9.,-]+)\]$/\1/' | sort | uniq -c | sort -rn
tidy_n=$(wc -l <"$out/tidy")
format_n=$(wc -l <"$out/format")
format_files=$(cut -d: -f1 "$out/format" | sort -u | wc -l)
tidy_what="clang-tidy ${tidy_n} findings over ${#sources[@]} sources"
format_what="clang-format ${format_n} findings in ${format_files} of ${#files[@]} files"
[ "${LINT_TIDY:-1}" = 1 ] || tidy_what="clang-tidy skipped"
[ "${LINT_FORMAT:-1}" = 1 ] || format_what="clang-format skipped"
echo "lint: ${tidy_what}; ${format_what}"
[ "$tidy_n" -eq 0 ] && [ "$format_n" -eq 0 ]
