#!/usr/bin/env bash
# fleet_sim smoke (CI, label integration): 50 hosts x 2 guests against an in-process attestd for
# 12 s. Checks the JSON summary: every host enrolled and quoted, every guest of the boot storm got
# its key, the steady phase ran each kind of operation, and no operation failed anywhere.
# Latencies are printed, never asserted.
set -euo pipefail
sim=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$sim" --self --hosts 50 --guests-per-host 2 --quote-interval 5 --duration 12 --rate 5 \
  --tenant-ops-per-second 4 --concurrency 8 --json | tee "$out"
python3 - "$out" <<'PY'
import json, sys
line = open(sys.argv[1]).read().strip().splitlines()[-1]
s = json.loads(line)
ph = s["phases"]
def count(phase, op):
    return ph[phase]["ops"].get(op, {}).get("count", 0)
problems = []
if s["errors"] != 0:
    problems.append("errors: %d" % s["errors"])
    for name, p in ph.items():
        for op, o in p["ops"].items():
            if o["errors"]:
                problems.append("  %s/%s: %s" % (name, op, o["errors_by_code"]))
if count("setup", "enroll") != 50:
    problems.append("setup enrolled %d hosts, want 50" % count("setup", "enroll"))
if count("setup", "vm_create") != 100:
    problems.append("setup created %d VMs, want 100" % count("setup", "vm_create"))
if count("boot_storm", "guest_release") != 100:
    problems.append("boot storm released to %d guests, want 100" % count("boot_storm", "guest_release"))
# 50 hosts every 5 s for 12 s: 2 or 3 quotes each.
if count("steady_open", "host_quote") < 100:
    problems.append("steady phase: %d host quotes, want >= 100" % count("steady_open", "host_quote"))
if count("steady_open", "guest_release") < 30:
    problems.append("steady phase: %d guest releases, want >= 30" % count("steady_open", "guest_release"))
if sum(o["count"] for op, o in ph["steady_open"]["ops"].items() if op.startswith("tenant_")) < 20:
    problems.append("steady phase: too few tenant operations")
if problems:
    print("fleet smoke FAILED:\n" + "\n".join(problems))
    sys.exit(1)
print("fleet smoke: ok (%d hosts, %d guests, 0 errors)" % (s["hosts"], s["guests"]))
PY
