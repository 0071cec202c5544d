#!/usr/bin/env bash
# Runs every test project (tests/**/*.Tests.csproj) with a TRX logger, then prints one closing
# line, "N passed, N failed[, N skipped]", summed over all projects, and exits non-zero if
# anything failed. The .NET runners print no such line themselves.
#
# A project that fails to build, crashes, or leaves no TRX counts as one failed test, so a
# broken project can never read as "0 failed". Pass "--broken N" to add N failures found
# before this script ran (make test passes 1 when the AOT build failed).
#
# --fast (make test-fast) runs only the tests that need nothing beyond the .NET SDK and python3: a project whose
# csproj declares <TestNeeds> is skipped, and the others run with a filter that leaves out every test with a
# Needs trait (tests/Directory.Build.targets lists the values).
# Usage: tests/tools/run-tests.sh [--fast] [--broken N] [RESULTS_DIR]
set -uo pipefail

broken=0
fast=0
filter=()
while [[ ${1:-} == --* ]]; do
    case $1 in
        --broken) broken=$2; shift 2 ;;
        --fast) fast=1; shift ;;
        *) echo "run-tests: unknown option $1" >&2; exit 2 ;;
    esac
done
if (( fast )); then
    filter=(--filter "Needs!=aot&Needs!=vmmctl&Needs!=root&Needs!=libvirt&Needs!=libvirtd&Needs!=qemu&Needs!=packages")
fi
results=${1:-TestResults}
cd "$(dirname "$0")/../.."

rm -rf "$results"
mkdir -p "$results"

mapfile -t projects < <(find tests -name '*.Tests.csproj' -not -path '*/bin/*' -not -path '*/obj/*' | sort)
build=()
if (( fast )); then
    mapfile -t projects < <(grep -L '<TestNeeds>' "${projects[@]}")
    # One build of them all (a solution filter), then each runs without building again: a build per project
    # would evaluate the shared projects once each.
    slnf="$results/fast.slnf"
    python3 - "$slnf" "$(realpath --relative-to="$results" Vmm.sln)" "${projects[@]}" <<'PY'
import json, sys
path, solution, projects = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path, "w") as f:
    json.dump({"solution": {"path": solution, "projects": projects}}, f, indent=2)
PY
    if dotnet build "$slnf" --nologo -v q; then build=(--no-build)
    else echo "run-tests: building the fast test projects failed (each is built again below, to show why)" >&2; fi
fi
if (( ${#projects[@]} == 0 )); then
    echo "run-tests: no test project found (tests/**/*.Tests.csproj)" >&2
    broken=$((broken + 1))
fi

run_project() {
    local proj=$1 name
    name=$(basename "$proj" .csproj)
    # A test that runs past the hang timeout has the test host killed: that project then
    # counts as failed instead of holding CI until its own limit.
    dotnet test "$proj" "${build[@]}" "${filter[@]}" --nologo --results-directory "$results" --logger "trx;LogFileName=$name.trx" \
        --blame-hang-timeout "${TEST_HANG_TIMEOUT:-10min}" --blame-hang-dump-type none
    echo "$?" >"$results/$name.rc"
}
if (( fast )); then
    # The fast projects share no daemon, port or file: they run side by side, and their output is shown in order.
    for proj in "${projects[@]}"; do run_project "$proj" >"$results/$(basename "$proj" .csproj).log" 2>&1 & done
    wait
    for proj in "${projects[@]}"; do
        echo "=== $(basename "$proj" .csproj) ==="
        cat "$results/$(basename "$proj" .csproj).log"
    done
else
    # The others start daemons, namespaces and the AOT binaries: one project at a time.
    for proj in "${projects[@]}"; do
        echo "=== $(basename "$proj" .csproj) ==="
        run_project "$proj"
    done
fi

# Sum the <Counters> of each TRX; a project whose TRX is missing, or whose runner exited
# non-zero though its TRX shows no failure (a crash, a build error), or in which no test
# ran at all, adds one failure.
python3 - "$results" "$broken" "${projects[@]}" <<'PY'
import os, sys, xml.etree.ElementTree as ET

results, broken, projects = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
ns = "{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}"
passed = failed = skipped = 0
if broken:
    print(f"run-tests: {broken} step(s) before the tests failed (see above): counted as failed", file=sys.stderr)
failed += broken
for proj in projects:
    name = os.path.basename(proj)[: -len(".csproj")]
    trx = os.path.join(results, name + ".trx")
    with open(os.path.join(results, name + ".rc")) as f:
        rc = int(f.read())
    try:
        c = ET.parse(trx).getroot().find(f"{ns}ResultSummary/{ns}Counters").attrib
    except (OSError, ET.ParseError, AttributeError) as e:
        print(f"run-tests: {name}: no test results ({e.__class__.__name__}), exit code {rc}: counted as 1 failed",
              file=sys.stderr)
        failed += 1
        continue
    n = lambda k: int(c.get(k, 0))
    p = n("passed")
    f = n("failed") + n("error") + n("timeout") + n("aborted")
    s = n("total") - n("executed")  # xunit's skipped tests are counted in no other field
    # Name each failed test, with the first line of its message, just above the closing line: a log cut to its
    # last lines (a CI summary) still says which tests failed and why.
    for r in ET.parse(trx).getroot().iter(f"{ns}UnitTestResult"):
        if r.get("outcome") not in ("Passed", "NotExecuted"):
            message = r.find(f"{ns}Output/{ns}ErrorInfo/{ns}Message")
            first = (message.text or "").strip().splitlines()[0][:300] if message is not None and message.text else ""
            print(f"run-tests: {name}: {r.get('outcome', 'failed').lower()}: {r.get('testName')}"
                  + (f": {first}" if first else ""), file=sys.stderr)
    if rc != 0 and f == 0:
        print(f"run-tests: {name}: runner exited {rc} with no failed test: counted as 1 failed", file=sys.stderr)
        f = 1
    elif p + f == 0:
        # A test project in which nothing ran is broken plumbing (no adapter, no discovery).
        print(f"run-tests: {name}: no test ran: counted as 1 failed", file=sys.stderr)
        f = 1
    passed, failed, skipped = passed + p, failed + f, skipped + s

sys.stderr.flush()
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""), flush=True)
sys.exit(1 if failed else 0)
PY
