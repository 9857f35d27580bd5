#!/usr/bin/env bash
# The project's test command: installs what the tests need (idempotent), fetches MNIST, builds
# and runs every test project, and ends with the line "N passed, N failed[, N skipped]".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/install-test-deps.sh
scripts/fetch-mnist.sh "$root/data/mnist"

results="$root/artifacts/test-results"
rm -rf "$results"
status=0
dotnet test Mnist.ML.sln -c Release --logger "trx" --results-directory "$results" "$@" || status=$?

# Sum the counters of every TRX file (one per test project).
read -r passed failed skipped < <(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    c = ET.parse(path).getroot().find(".//{*}Counters")
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    s += int(c.get("total", 0)) - int(c.get("executed", 0))
print(p, f, s)
PY
)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
