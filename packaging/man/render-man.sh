#!/usr/bin/env bash
# Writes the manual pages vmmctl.1, vmm-hostd.8 and vmm-controller.8 from the binaries' own --help
# (through help2man) and the hand-written parts beside this script (NAME.h2m: description, files,
# signals, see also), so that a page never describes options its binary does not have. vmmctl's
# COMMANDS section is every command's own --help, found by walking the usage lines of each group.
#
# Usage: packaging/man/render-man.sh BINDIR OUTDIR
# The pages carry the date of SOURCE_DATE_EPOCH when it is set (reproducible builds), else today.
set -euo pipefail

bindir=$(cd "${1:?usage: render-man.sh BINDIR OUTDIR}" && pwd)
outdir=${2:?usage: render-man.sh BINDIR OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$outdir"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# help2man runs the program it is given with --help and --version; it is given a wrapper that runs
# the real binary without VMM_* variables (they would show as defaults) and reshapes its --help:
#   - "Settings: text" becomes a SETTINGS section ("*Settings*" is help2man's mark for one) over its text;
#   - the one-line "Exit status:" goes: the page has an EXIT STATUS section;
#   - each setting's explanation and "default:" line move to column 22, where help2man reads them as
#     the description of the option above them, and read as sentences;
#   - a default that depends on the machine ("vm (this machine's host name)") is shown by how it is
#     derived, not by the value on the machine that builds the package.
daemon_wrapper() {
    local binary=$1 wrapper=$scratch/wrappers/$(basename "$1")
    mkdir -p "$scratch/wrappers"
    cat >"$wrapper" <<WRAPPER
#!/usr/bin/env bash
set -o pipefail
if [[ \${1:-} != --help ]]; then exec env -i "$binary" "\$@"; fi
env -i "$binary" --help | awk '
/^Settings: / { print "*Settings*"; sub(/^Settings: /, ""); settings = 1 }
/^Exit status: / { next }
settings && /^      default: / {
    line = \$0; sub(/^ +default: /, "", line)
    sub(/^[^ ;]+ \\(/, "(", line); sub(/^\\(/, "", line); sub(/\\);/, ";", line); sub(/\\)\$/, "", line)
    sub(/; env: /, "; environment: ", line)
    printf "%22sDefault: %s.\\n", "", line; next
}
settings && /^      [^ ]/ { line = \$0; sub(/^ +/, "", line); printf "%22s%s.\\n", "", line; next }
{ print }'
WRAPPER
    chmod +x "$wrapper"
    echo "$wrapper"
}

# roff text from plain text: backslashes escaped, a leading . or ' neutralised, hyphens as \-, and the
# one non-ASCII character the help texts use (§) by its roff name.
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/" -e 's/-/\\-/g' -e 's/§/\\(sc/g'; }

# vmmctl's COMMANDS section: for each command of each group (vm, host, watch), its usage line in bold
# and its own --help between that line and the options every controller command shares; then pdu
# and key, whose --help is the whole story.
vmmctl_commands() {
    local vmmctl=$bindir/vmmctl usage words
    printf '[COMMANDS]\n'
    printf 'Every command below takes \\fB\\-\\-socket\\fR \\fIPATH\\fR (the controller'"'"'s admin socket; default \\fB$VMM_SOCKET\\fR, else \\fI/run/vmm/controller.sock\\fR) and \\fB\\-\\-json\\fR (a JSON document on stdout instead of a table or a line), before or after the command.\n'
    for group in host vm watch; do
        env -i "$vmmctl" "$group" --help | awk '/^Usage: vmmctl /{sub(/^Usage: /, ""); print; exit} /^  vmmctl /{sub(/^  /, ""); print} /^$/ && NR > 1 {exit}' \
        | while IFS= read -r usage; do
            # The command's words: those after "vmmctl" up to the first operand or option.
            words=$(awk '{for (i = 2; i <= NF && $i ~ /^[a-z]+$/; i++) printf "%s ", $i}' <<<"$usage")
            printf '.TP\n.B %s\n' "$(roff <<<"$usage")"
            # shellcheck disable=SC2086 # the words are split on purpose
            env -i "$vmmctl" $words --help \
                | awk 'NR <= 2 {next} /^Options of every controller command:/ {exit} {print}' \
                | sed -e '/^$/d' | roff \
                | awk '/^  / && !pre {print ".nf"; pre = 1} !/^  / && pre {print ".fi"; pre = 0} {print} END {if (pre) print ".fi"}'
        done
    done
    for group in pdu key; do
        printf '.SS "vmmctl %s"\n.nf\n' "$group"
        env -i "$vmmctl" "$group" --help | roff
        printf '.fi\n'
    done
}

render() {
    local name=$1 section=$2 summary=$3 program=$4
    shift 4
    help2man --no-info --no-discard-stderr --section="$section" --name="$summary" \
        --include="$here/$name.h2m" "$@" --output="$outdir/$name.$section" "$program"
}

render vmm-hostd 8 "Vmm host agent: runs VMs through libvirt and reports their state" \
    "$(daemon_wrapper "$bindir/vmm-hostd")"
render vmm-controller 8 "Vmm controller: fleet inventory from host heartbeats, and request dispatch" \
    "$(daemon_wrapper "$bindir/vmm-controller")"
vmmctl_commands >"$scratch/vmmctl-commands.h2m"
mkdir -p "$scratch/plain"
# vmmctl's --help ends in a two-column table of exit codes: one code a line, in order, under an
# EXIT STATUS heading, reads better in a page (and help2man would pair the columns up as tag and text).
cat >"$scratch/plain/vmmctl" <<WRAPPER
#!/usr/bin/env bash
set -o pipefail
if [[ \${1:-} != --help ]]; then exec env -i "$bindir/vmmctl" "\$@"; fi
env -i "$bindir/vmmctl" --help | awk '
/^Exit status:/ { exit_codes = 1; next }
exit_codes && /^  [0-9]/ {
    line = \$0; sub(/^  /, "", line)
    n = split(line, columns, /   +/)
    for (i = 1; i <= n; i++) { code = columns[i]; sub(/ .*/, "", code); text = columns[i]; sub(/^[0-9]+ /, "", text); meaning[code + 0] = text }
    next
}
exit_codes { next }
{ print }
END {
    print "*Exit status*"
    for (code = 0; code in meaning; code++) printf "  %-4s%s\n", code, meaning[code]
}'
WRAPPER
chmod +x "$scratch/plain/vmmctl"
render vmmctl 1 "drive a Vmm cluster: hosts, VMs, a live watch, protocol tools" "$scratch/plain/vmmctl" \
    --include="$scratch/vmmctl-commands.h2m"

# Left-aligned, not justified: a command line padded to the margin ("vmmctl  vm  nic  add") cannot be
# copied or searched for as typed.
for page in "$outdir"/vmmctl.1 "$outdir"/vmm-hostd.8 "$outdir"/vmm-controller.8; do
    sed -i '0,/^\.TH /{/^\.TH /a\
.ad l
}' "$page"
done
