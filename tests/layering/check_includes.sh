#!/usr/bin/env bash
# check_includes.sh ROOT: every #include "..." of the project's own headers must point at a folder
# the including folder may depend on (DESIGN.md, "Layout"): data and calls go one way,
#   attest/core <- attest/* <- policy <- {render, flags, protocol, sigv4, client} <- service, cli,
#   agent
# and attestd / attest-agent never include cli/, the agent never includes service/.
# Test code (*_test.cc and testing/ folders) may also include tests/ and render/. Prints each violation as
# "file:line: folder may not include path" and exits 1 when there is any.
set -euo pipefail
root=${1:?usage: check_includes.sh ROOT}
cd "$root"

# folder (longest prefix wins) -> allowed include prefixes besides the folder itself.
# "attest/" covers attest/core, the four evidence types and the generated attest/policy/v1 protos.
declare -A allowed=(
  [attest/core/]=""
  [attest/snp/]="attest/core/"
  [attest/tdx/]="attest/core/"
  [attest/tpm/]="attest/core/"
  [attest/sev/]="attest/core/"
  # The launch-measurement calculators reuse the OVMF footer table (sev) and RTMR extend (tdx).
  [attest/measure/]="attest/core/ attest/sev/ attest/tdx/"
  [policy/]="attest/"
  [flags/]="attest/core/"
  [protocol/]="attest/ policy/"
  [sigv4/]="attest/core/"
  [client/]="attest/core/ sigv4/"
  [render/]="attest/ policy/"
  [launcher/]="attest/"
  [service/]="attest/ policy/ render/ flags/ protocol/ sigv4/ client/ launcher/"
  # attestctl audit verify opens the service's database read-only (service/store), and verify tdx
  # --collateral-dir reads an offline bundle through attestd's CollateralSource (service/collateral).
  [cli/]="attest/ policy/ render/ flags/ protocol/ sigv4/ client/ service/store/ service/collateral/"
  [agent/]="attest/ policy/ flags/ protocol/ sigv4/ client/"
)
# Only includes of these top-level folders are the project's own.
own='^(attest|policy|render|flags|protocol|sigv4|client|launcher|service|cli|agent|tests|bench|proto)/'

violations=0
for folder in "${!allowed[@]}"; do
  [[ -d $folder ]] || continue
  while IFS= read -r file; do
    # A file belongs to the longest folder prefix of the table (attest/core/ before attest/).
    owner=""
    for f in "${!allowed[@]}"; do
      if [[ $file == "$f"* && ${#f} -gt ${#owner} ]]; then owner=$f; fi
    done
    [[ $owner == "$folder" ]] || continue
    is_test=0
    if [[ $file == *_test.cc || $file == */testing/* ]]; then is_test=1; fi
    lineno=0
    while IFS= read -r line; do
      lineno=$((lineno + 1))
      [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]] || continue
      path=${BASH_REMATCH[1]}
      [[ $path =~ $own ]] || continue
      [[ $path == "$folder"* ]] && continue
      ok=0
      for prefix in ${allowed[$folder]}; do
        if [[ $path == "$prefix"* ]]; then ok=1; fi
      done
      # Tests may use the test helpers, and compare claims with a vector's JSON through render/.
      if [[ $is_test == 1 && ($path == tests/* || $path == render/*) ]]; then ok=1; fi
      # `attestctl reasons` lists every module's reason table: the one file that reads them all.
      if [[ $file == cli/reason_tables.cc && $path == */reasons.h ]]; then ok=1; fi
      if [[ $ok == 0 ]]; then
        echo "$file:$lineno: ${folder%/} may not include $path"
        violations=$((violations + 1))
      fi
    done <"$file"
  done < <(find "$folder" -type f \( -name '*.cc' -o -name '*.h' \) | sort)
done
if [[ $violations -gt 0 ]]; then
  echo "$violations include(s) against the layering (tests/layering/check_includes.sh)"
  exit 1
fi
