#!/usr/bin/env bash
# Prints the configuration file the packages ship for a daemon: every setting commented out at its
# default, under a one-line explanation, in the order --help lists them. The names, explanations and
# ranges come from the daemon's --help, the values from its --check-config (which renders them as TOML),
# so the file cannot disagree with the binary it ships with; Vmm.Packaging.Tests compares the committed
# packaging/etc/*.toml with this script's output.
#
# Usage: packaging/etc/render-config.sh BINARY > packaging/etc/NAME.toml
#   e.g. packaging/etc/render-config.sh out/vmm-hostd > packaging/etc/hostd.toml
set -euo pipefail

binary=${1:?usage: render-config.sh BINARY (out/vmm-hostd or out/vmm-controller)}
name=$(basename "$binary")
file=/etc/vmm/${name#vmm-}.toml

# Settings whose default depends on the machine (--help shows it as "default: VALUE (how it is
# derived)"): the file shows an example instead, and says so. A new one must be added here.
declare -A examples=([host-name]='"hv1"' [controller-id]='"controller1"')
# Lists that are empty by default: what entries look like in TOML (--help shows the flag's form).
declare -A list_examples=(
    [controllers]='["10.0.0.10", "10.0.0.11:7400"]'
    [hosts]='["hv1=10.0.0.21", "hv2=10.0.0.22:7401"]'
)

# An empty file of our own, and no VMM_* variables: the defaults, whatever this machine has in /etc/vmm.
# --check-config also checks the key file (present, well-formed and of the right kind, as at start), which this
# machine need not have: a scratch key is given as a flag (hostd's: a host key for a scratch host name, which
# --host-name sets; host-name's default is shown by the example below anyway), and key-file's default is then
# taken from --help (from_help below).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
: >"$scratch/empty.toml"
hex=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
flags=(--key-file "$scratch/daemon.key")
if [[ $name == vmm-hostd ]]; then
    (umask 077 && echo "host vmm-render $hex" >"$scratch/daemon.key")
    flags+=(--host-name vmm-render)
else
    (umask 077 && echo "master $hex" >"$scratch/daemon.key")
fi
help=$(env -i "$binary" --help)
values=$(env -i "$binary" --config "$scratch/empty.toml" "${flags[@]}" --check-config)

# A map as "key<TAB>value" lines, for awk.
pairs() {
    local -n map=$1
    local k
    for k in "${!map[@]}"; do printf '%s\t%s\n' "$k" "${map[$k]}"; done
}

cat <<HEADER
# $file: the settings of $name (TOML).
#
# Every setting is shown commented out at its default. Change one here by uncommenting it, or
# leave this file alone and put changes in $file.d/*.toml (or *.ini): files there
# are read after this one, in name order, and package upgrades never ask about them.
# VMM_* environment variables and --flags override files.
# '$name --check-config' prints the settings in effect and where each comes from;
# '$name --help' and $name(8) describe them.
HEADER

# --help lists each setting as three lines:
#   --heartbeat-interval DURATION
#       time between heartbeats
#       default: 1s; 100ms..1m; env: VMM_HEARTBEAT_INTERVAL
# --check-config prints "key  = value  # source" for each.
awk -v values="$values" -v examples="$(pairs examples)" -v list_examples="$(pairs list_examples)" '
function load(text, into,    n, i, kv, lines) {
    n = split(text, lines, "\n")
    for (i = 1; i <= n; i++) if (split(lines[i], kv, "\t") == 2) into[kv[1]] = kv[2]
}
function fail(message) { print "render-config: " message > "/dev/stderr"; failed = 1 }
BEGIN {
    n = split(values, lines, "\n")
    for (i = 1; i <= n; i++) {
        line = lines[i]
        if (line ~ /^#/ || line !~ /=/) continue
        key = line; sub(/[ ]*=.*/, "", key)
        value = line; sub(/^[^=]*=[ ]*/, "", value); sub(/[ ]+# default$/, "", value)
        value_of[key] = value
    }
    from_help["key-file"] = 1
    load(examples, example_of)
    load(list_examples, list_example_of)
}
/^Settings:/ { settings = 1; next }
settings && /^  --[a-z]/ { key = substr($1, 3); state = 1; next }
settings && state == 1 { help = $0; sub(/^ +/, "", help); state = 2; next }
settings && state == 2 {
    state = 0
    info = $0; sub(/^ +default: /, "", info); sub(/; env: .*/, "", info)
    # What follows the default value: a range, the allowed words, a default port.
    extra = info; sub(/^[^;]*;? ?/, "", extra)
    if (extra != "") help = help ~ /\)$/ ? substr(help, 1, length(help) - 1) "; " extra ")" : help " (" extra ")"
    if (!(key in value_of)) { fail("--check-config does not show " key); next }
    seen[key] = 1
    printf "\n# %s\n", help
    if (info ~ /^[^;]*\(/) {
        if (!(key in example_of)) { fail("the default of " key " depends on the machine: give it an example in render-config.sh"); next }
        why = info; sub(/^[^(]*\(/, "", why); sub(/\).*/, "", why)
        printf "# default: %s; for example:\n#%s = %s\n", why, key, example_of[key]
        next
    }
    if (key in from_help) { default = info; sub(/;.*/, "", default); value_of[key] = "\"" default "\"" }
    if (value_of[key] == "[]" && key in list_example_of) printf "# for example: %s = %s\n", key, list_example_of[key]
    printf "#%s = %s\n", key, value_of[key]
}
END {
    for (key in value_of) if (!(key in seen)) fail("--help does not describe " key)
    exit failed
}' <<<"$help"
