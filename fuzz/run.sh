#!/usr/bin/env bash
# Coverage-guided fuzzing of the codec: afl-fuzz drives each target of fuzz/Vmm.Fuzz.Targets through the
# SharpFuzz harness (fuzz/Vmm.Fuzz) for SECONDS, one target after the other (no -M/-S: a 2-core box has no
# core to spare for a second instance).
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]      SECONDS defaults to 60; TARGETs to all: stream datagram text admin
#
# In: fuzz/corpus/TARGET/ (the committed seeds), fuzz/dict/. Out: fuzz/out/TARGET/ (afl-fuzz's working folder,
# not committed), and any crash input copied to fuzz/findings/TARGET/crash-SHA (hangs to .../hangs/), which
# `make test` replays (tests/Vmm.Fuzz.Tests). Prints, per target, execs, exec/s, corpus size, crashes and hangs.
# Exits 1 if any target crashed, 2 if fuzzing could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(stream datagram text admin)
seconds=${1:-60}
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: SECONDS must be a positive whole number, not '$seconds'" >&2; exit 2; }
shift || true
targets=("$@")
(( ${#targets[@]} )) || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t' (targets: ${all_targets[*]})" >&2; exit 2; }
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 MSBUILDDISABLENODEREUSE=1

# afl++ from Debian, only when afl-fuzz is missing.
if ! command -v afl-fuzz >/dev/null; then
    sudo=()
    if (( EUID != 0 )); then
        command -v sudo >/dev/null || { echo "fuzz: afl-fuzz is missing and installing afl++ needs root or sudo" >&2; exit 2; }
        sudo=(sudo -n)
    fi
    echo "fuzz: installing afl++"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300 update >/dev/null
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300 install -y --no-install-recommends afl++ >/dev/null
fi

# The harness runs under the JIT: SharpFuzz instruments Vmm.Protocol.dll's IL in place, so the publish folder is
# made afresh each time and instrumented exactly once (instrumenting twice fails).
bin=fuzz/out/bin
echo "fuzz: publishing the harness into $bin"
dotnet tool restore >/dev/null
rm -rf "$bin"
mkdir -p fuzz/out
dotnet publish fuzz/Vmm.Fuzz/Vmm.Fuzz.csproj -c Release -o "$bin" --nologo -v quiet >fuzz/out/publish.log 2>&1 \
    || { cat fuzz/out/publish.log >&2; echo "fuzz: publishing the harness failed" >&2; exit 2; }
dotnet sharpfuzz "$bin/Vmm.Protocol.dll" >/dev/null \
    || { echo "fuzz: sharpfuzz could not instrument $bin/Vmm.Protocol.dll" >&2; exit 2; }

# Reads one field of afl-fuzz's fuzzer_stats; afl++ 4 renamed some (paths_total -> corpus_count, ...), so
# several names may be given and the first present wins.
stat() {
    local file=$1; shift
    for key in "$@"; do
        local v
        v=$(sed -n "s/^$key *: *//p" "$file" | head -n1)
        [[ -n $v ]] && { echo "$v"; return; }
    done
    echo "?"
}

crashed=0
failed=0
summary=()
for t in "${targets[@]}"; do
    corpus=fuzz/corpus/$t
    out=fuzz/out/$t
    [[ -n $(ls -A "$corpus" 2>/dev/null) ]] || { echo "fuzz: $corpus is empty (run: dotnet run --project fuzz/Vmm.Fuzz -- --make-seeds)" >&2; exit 2; }
    dict=fuzz/dict/binary.dict
    [[ $t == text ]] && dict=fuzz/dict/text.dict
    rm -rf "$out"
    echo "fuzz: $t for ${seconds}s (log: $out.log)"
    # SKIP_BIN_CHECK: the target is `dotnet`, not an afl-instrumented binary. NO_AFFINITY: another process may
    # hold the free core. -t 5000: the JIT's first calls are slow. -m none: the runtime reserves much address space.
    rc=0
    AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
        timeout -k 30 $((seconds + 300)) \
        afl-fuzz -i "$corpus" -o "$out" -x "$dict" -t 5000 -m none -V "$seconds" -- dotnet "$bin/Vmm.Fuzz.dll" "$t" \
        >"$out.log" 2>&1 </dev/null || rc=$?
    stats=$out/default/fuzzer_stats
    if [[ ! -f $stats ]]; then
        tail -n 30 "$out.log" >&2
        echo "fuzz: $t: afl-fuzz exited $rc without fuzzer_stats" >&2
        failed=$((failed + 1))
        summary+=("$(printf '%-9s did not run (afl-fuzz exit %s, see %s)' "$t" "$rc" "$out.log")")
        continue
    fi
    crashes=$(stat "$stats" saved_crashes unique_crashes)
    hangs=$(stat "$stats" saved_hangs unique_hangs)
    summary+=("$(printf '%-9s %12s %9s %9s %8s %6s' "$t" "$(stat "$stats" execs_done)" "$(stat "$stats" execs_per_sec)" \
        "$(stat "$stats" corpus_count paths_total)" "$crashes" "$hangs")")

    # Findings are named by content, so a crash found again in a later run is not copied twice.
    for kind in crashes hangs; do
        for f in "$out"/default/"$kind"/id:*; do
            [[ -f $f ]] || continue
            if [[ $kind == crashes ]]; then dest=fuzz/findings/$t; name=crash; else dest=fuzz/findings/$t/hangs; name=hang; fi
            mkdir -p "$dest"
            cp "$f" "$dest/$name-$(sha1sum "$f" | cut -c1-16)"
        done
    done
    [[ $crashes == 0 ]] || crashed=$((crashed + 1))
done

echo
printf '%-9s %12s %9s %9s %8s %6s\n' target execs exec/s corpus crashes hangs
printf '%s\n' "${summary[@]}"
if (( crashed )); then
    echo "fuzz: crashes found: inputs are in fuzz/findings/ (triage: dotnet run --project fuzz/Vmm.Fuzz -c Release -- --replay TARGET FILE...)" >&2
    exit 1
fi
(( failed == 0 )) || exit 2
