# Sourced by build-deb.sh and build-rpm.sh: what the two do alike once the files are staged.

# pack SCRIPT LOG COMMAND...: runs the packer with its chatter in LOG, shown only when it fails.
pack() {
    local script=$1 log=$2
    shift 2
    "$@" >"$log" 2>&1 || {
        cat "$log" >&2
        echo "$script: $1 failed" >&2
        exit 1
    }
}

# deliver OUTDIR FILE...: copies the packages built to OUTDIR and prints where each went.
deliver() {
    local outdir=$1 file
    shift
    mkdir -p "$outdir"
    for file in "$@"; do
        cp "$file" "$outdir/"
        echo "$outdir/$(basename "$file")"
    done
}
