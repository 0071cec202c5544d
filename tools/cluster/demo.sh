#!/usr/bin/env bash
# make demo: the cluster of make run (cluster.sh), driven through every vmmctl operation. Each step shows
# its command lines and their output, checks the exit code and the effect (through vmmctl --json, as a
# script should), and says PASS or FAIL. What libvirt's test driver cannot do (migrate, attach, detach,
# resize) is shown with what it answers, and passes only if exactly that happens. Ends with
# "demo: N steps, N passed, N failed" and exits 0 only if every step passed.
set -uo pipefail
CLUSTER_NAME=demo
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"

trap cluster_stop EXIT
trap 'echo; cluster_say "interrupted"; exit 130' INT
trap 'cluster_say "SIGTERM"; exit 143' TERM

WAIT=20   # seconds an effect has to show; they normally show in milliseconds (an event datagram)

if [[ -t 1 ]]; then
    BOLD=$'\e[1m' GREEN=$'\e[32m' RED=$'\e[31m' DIM=$'\e[2m' PLAIN=$'\e[0m'
else
    BOLD="" GREEN="" RED="" DIM="" PLAIN=""
fi

steps=0 passed=0 failed=0 step_ok=1 step_title=""
declare -a failures=()

# --- the steps -----------------------------------------------------------------------------------------

step() {
    step_end
    steps=$((steps + 1)) step_ok=1 step_title=$1
    printf '\n%s%d. %s%s\n' "$BOLD" "$steps" "$1" "$PLAIN"
}

step_end() {
    (( steps )) || return 0
    [[ -n $step_title ]] || return 0
    if (( step_ok )); then
        passed=$((passed + 1))
        printf '%sPASS%s\n' "$GREEN" "$PLAIN"
    else
        failed=$((failed + 1))
        failures+=("$steps. $step_title")
        printf '%sFAIL%s\n' "$RED" "$PLAIN"
    fi
    step_title=""
}

# Why a step is what it is (the test driver's limits, what a real host does).
say() { printf '%s# %s%s\n' "$DIM" "$*" "$PLAIN"; }

ok() { printf '  %sok%s    %s\n' "$GREEN" "$PLAIN" "$*"; }
bad() { printf '  %sNOT%s   %s\n' "$RED" "$PLAIN" "$*"; step_ok=0; }

# A command line as one would type it.
shown() {
    local a out=()
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
    done
    echo "${out[*]}"
}

# ctl EXIT ARGS...: runs vmmctl ARGS, shows it and its output (stdout and stderr, in order), and checks
# that it exits EXIT. The output is left in $OUT, the exit code in $CODE.
ctl() {
    local want=$1
    shift
    printf '$ vmmctl %s\n' "$(shown "$@")"
    OUT=$("$VMMCTL" "$@" 2>&1)
    CODE=$?
    [[ -n $OUT ]] && sed 's/^/  /' <<<"$OUT"
    if (( CODE == want )); then ok "exit $CODE"; else bad "exit $CODE, expected $want"; fi
}

# The last output of ctl contains $1.
says() {
    if [[ $OUT == *"$1"* ]]; then ok "says \"$1\""; else bad "does not say \"$1\""; fi
}

# expect WHAT CHECK...: polls CHECK for up to $WAIT seconds (the state reaches the controller over UDP,
# possibly just after the answer) and says whether WHAT came true.
expect() {
    local what=$1
    shift
    if cluster_poll "$WAIT" "$@"; then ok "$what"; else bad "$what (not within $WAIT s)"; fi
}

# --- what the controller knows, through vmmctl --json --------------------------------------------------

# vm VM FILTER: jq FILTER applied to VM's document in `vmmctl vm show VM --json` (nothing if unknown).
vm() { "$VMMCTL" --json vm show "$1" 2>/dev/null | jq -r ".vms[0] | $2" 2>/dev/null; }

# is VALUE VM FILTER: VM's FILTER is VALUE.
is() { [[ $(vm "$2" "$3") == "$1" ]]; }

# The VMs, as "name@host" sorted, one line.
vms_at() { "$VMMCTL" --json vm list "$@" 2>/dev/null | jq -r '[.vms[] | .name + "@" + .host] | sort | join(" ")'; }

listed() { [[ " $(vms_at) " == *" $1@$2 "* ]]; }
unlisted() { local all; all=$(vms_at) && [[ " $all " != *" $1@"* ]]; }

host_is() { [[ $("$VMMCTL" --json host list 2>/dev/null | jq -r --arg h "$2" '.hosts[] | select(.name == $h) | .state') == "$1" ]]; }

snapshots_are() { [[ $("$VMMCTL" --json vm snapshot list "$1" 2>/dev/null | jq -r '.snapshots | sort | join(" ")') == "$2" ]]; }

# --- the cluster ---------------------------------------------------------------------------------------

cluster_require jq || exit 1
cluster_prepare || exit 1
started=$SECONDS
printf '%sdemo: starting vmm-controller and vmm-hostd %s on libvirt'"'"'s test driver, in %s%s\n' \
    "$BOLD" "${CLUSTER_HOSTS[*]}" "$CLUSTER_DIR" "$PLAIN"
cluster_start || { echo "demo: 0 steps, 0 passed, 1 failed (the cluster did not start)"; exit 1; }
printf 'up in %d s, controller on udp 127.0.0.1:%s: pids' $((SECONDS - started)) "$CLUSTER_PORT"
for name in controller "${CLUSTER_HOSTS[@]}"; do printf ' %s=%s' "$name" "${CLUSTER_PIDS[$name]}"; done
echo

cat <<EOF

Each daemon reads a TOML file (--config FILE; on a real machine /etc/vmm/controller.toml and
/etc/vmm/hostd.toml). These are the ones of this cluster; hostd-b.toml differs from hostd-a.toml only in
its names. Each hostd runs libvirt's test driver on a private node of a few VMs (tools/cluster/node-*.xml):
no libvirtd, no QEMU, every VM simulated in the hostd process.
EOF
for f in controller.toml hostd-a.toml; do
    printf '\n%s--- %s%s\n' "$DIM" "$f" "$PLAIN"
    cat "$CLUSTER_DIR/$f"
done
export VMM_SOCKET=$CLUSTER_SOCKET
printf '\n$ export VMM_SOCKET=%s   # or --socket PATH on every command\n' "$VMM_SOCKET"

# --- the tour ------------------------------------------------------------------------------------------

step "host list: both hosts report to the controller"
ctl 0 host list
expect "hv-a is up" host_is up hv-a
expect "hv-b is up" host_is up hv-b

step "vm list: the VMs of both nodes, with their hosts"
ctl 0 vm list
expect "the six VMs of node-a.xml and node-b.xml, on their hosts" \
    eval '[[ $(vms_at) == "cache-01@hv-b ci-runner@hv-b db-01@hv-a mail-01@hv-b web-01@hv-a web-02@hv-a" ]]'

step "vm list --host hv-a: one host's VMs"
ctl 0 vm list --host hv-a
expect "only hv-a's three VMs" eval '[[ $(vms_at --host hv-a) == "db-01@hv-a web-01@hv-a web-02@hv-a" ]]'

step "vm show web-01: one VM in detail"
ctl 0 vm show web-01
expect "web-01 is running on hv-a" eval 'is running web-01 .power && is hv-a web-01 .host'

step "vm create without --host: the controller places it on a host with room"
ctl 0 vm create --name app-01 --vcpus 1 --max-vcpus 4 --memory 512M --max-memory 2G --disk 2G --nic network=default
placed=${OUT##* on }
placed=${placed%% (request *}   # "created app-01 (UUID) on hv-b (request 5a17c0de:1)"
says "created app-01"
expect "app-01 is listed on the host it was placed on ($placed), off" eval 'listed app-01 "$placed" && is off app-01 .power'
expect "1 vCPU of at most 4, 512 MiB of at most 2 GiB" \
    eval 'is "1 4 536870912 2147483648" app-01 '"'"'"\(.vcpus) \(."max-vcpus") \(.memory) \(."max-memory")"'"'"
expect "a 2 GiB disk vda that Vmm created (owned), and a NIC on network default" \
    eval 'is "vda 2147483648 owned" app-01 '"'"'.disks[0] | "\(.target) \(.size) \(.flags | join(","))"'"'"' && is "network default" app-01 '"'"'.nics[0] | "\(.kind) \(.source)"'"'"
uuid=$(vm app-01 .uuid)

step "vm create --host hv-a: on a chosen host"
ctl 0 vm create --name app-02 --memory 256M --disk 1G --host hv-a
expect "app-02 is listed on hv-a with one disk" eval 'listed app-02 hv-a && is 1 app-02 ".disks | length"'

step "vm show app-01: what the host last did for it"
ctl 0 vm show app-01
expect "its last request is the add, acknowledged success" eval 'is "add success" app-01 '"'"'"\(."last-code") \(."last-ack")"'"'"

step "vm start app-01"
ctl 0 vm start app-01
expect "app-01 is running" is running app-01 .power

step "vm start app-01 again: it runs already, so nothing to do (exit 0, \"changed\": false in --json)"
ctl 0 vm start app-01
says "app-01 is already running (nothing to do)"

step "vm pause app-01"
ctl 0 vm pause app-01
expect "app-01 is paused" is paused app-01 .power

step "vm resume, naming the VM by its uuid"
ctl 0 vm resume "$uuid"
expect "app-01 is running again" is running app-01 .power

step "vm restart app-01"
ctl 0 vm restart app-01
expect "the host acknowledged the restart, and app-01 runs" \
    eval 'is "restart success running" app-01 '"'"'"\(."last-code") \(."last-ack") \(.power)"'"'"

mac=$(vm app-01 '.nics[0].mac')
step "vm nic add: unsupported by the test driver"
say "The test driver cannot attach devices: vmmctl exits 3, unsupported. On QEMU hosts this plugs a NIC into"
say "the running VM and adds it to its definition."
ctl 3 vm nic add app-01 --network default --model virtio
says "unsupported"
expect "app-01 still has its one NIC" is "$mac" app-01 '[.nics[].mac] | join(" ")'

step "vm nic remove: unsupported by the test driver"
say "The test driver cannot detach devices: vmmctl exits 3, unsupported. On QEMU hosts this unplugs the NIC."
ctl 3 vm nic remove app-01 --mac "$mac"
says "unsupported"
expect "app-01 still has NIC $mac" is "$mac" app-01 '[.nics[].mac] | join(" ")'

step "vm memory set app-01 1G: live, up to its max-memory"
ctl 0 vm memory set app-01 1G
expect "app-01 has 1 GiB" is 1073741824 app-01 .memory

step "vm cpu add app-01: one more vCPU online"
ctl 0 vm cpu add app-01
expect "app-01 has 2 vCPUs" is 2 app-01 .vcpus

step "vm cpu remove app-01: one vCPU offline"
ctl 0 vm cpu remove app-01
expect "app-01 has 1 vCPU" is 1 app-01 .vcpus

step "vm cpu set app-01 4: to a count, up to its max-vcpus"
ctl 0 vm cpu set app-01 4
expect "app-01 has 4 vCPUs" is 4 app-01 .vcpus

step "vm cpu set app-01 9: more than its max-vcpus is refused"
ctl 1 vm cpu set app-01 9
says "at most 4"
expect "app-01 still has 4 vCPUs" is 4 app-01 .vcpus

step "vm disk add: unsupported by the test driver"
say "The test driver cannot attach disks: vmmctl exits 3, unsupported (the volume hostd created for it is"
say "deleted again). On QEMU hosts this creates a volume in the pool and plugs it in as the next virtio disk."
ctl 3 vm disk add app-01 1G
says "unsupported"
expect "app-01 still has one disk" is 1 app-01 '.disks | length'

step "vm disk resize: unsupported by the test driver"
size=$(vm app-01 '.disks[0].size')
say "The test driver cannot resize disks: vmmctl exits 3, unsupported. On QEMU hosts this grows the disk live."
say "The test driver also gives every disk of a running VM a fixed size of 1 TiB (its virDomainGetBlockInfo):"
say "vm show reports that, and hostd checks against it that disks only grow; hence 2T here."
ctl 3 vm disk resize app-01 vda 2T
says "unsupported"
expect "vda's size is unchanged ($size bytes)" is "$size" app-01 '.disks[0].size'

step "vm disk remove: unsupported by the test driver"
say "The test driver cannot detach disks: vmmctl exits 3, unsupported. On QEMU hosts this unplugs the disk."
ctl 3 vm disk remove app-01 vda
says "unsupported"
expect "app-01 still has vda" is vda app-01 '[.disks[].target] | join(" ")'

step "vm snapshot create: two snapshots of the running VM"
ctl 0 vm snapshot create app-01 before-upgrade
ctl 0 vm snapshot create app-01 second
expect "app-01 has 2 snapshots" is 2 app-01 .snapshots

step "vm snapshot list app-01"
ctl 0 vm snapshot list app-01
expect "they are before-upgrade and second" snapshots_are app-01 "before-upgrade second"

step "vm snapshot revert: back to the state of before-upgrade (running), from paused"
ctl 0 vm pause app-01
expect "app-01 is paused" is paused app-01 .power
ctl 0 vm snapshot revert app-01 before-upgrade
expect "app-01 runs again, from the snapshot" eval 'is "running from-snapshot" app-01 '"'"'"\(.power) \(.reason)"'"'"

step "vm snapshot delete app-01 second"
ctl 0 vm snapshot delete app-01 second
expect "only before-upgrade is left" snapshots_are app-01 "before-upgrade"

other=hv-a
[[ $placed == hv-a ]] && other=hv-b
step "vm migrate of a VM with snapshots: refused, saying why"
say "Internal snapshots live in the VM's disks on this host; live migration cannot take them along."
ctl 1 vm migrate app-01 --to "$other"
says "delete them first"
expect "app-01 is still on $placed, running" eval 'listed app-01 "$placed" && is running app-01 .power'

step "vm snapshot delete app-01 before-upgrade: the last one"
ctl 0 vm snapshot delete app-01 before-upgrade
expect "app-01 has no snapshot left" snapshots_are app-01 ""

step "vm migrate: unsupported by the test driver"
say "The test driver cannot migrate: vmmctl exits 3, unsupported. On QEMU hosts this migrates the VM live,"
say "peer to peer, to the libvirt URI $other reports."
ctl 3 vm migrate app-01 --to "$other"
says "unsupported"
expect "app-01 is still on $placed, running" eval 'listed app-01 "$placed" && is running app-01 .power'

step "vm stop app-01 --timeout 20s: graceful (ACPI), waiting up to 20 s"
say "A test-driver guest shuts down at once; a real guest that does not is left running (exit 1) unless --force."
ctl 0 vm stop app-01 --timeout 20s
expect "app-01 is off, shut down" eval 'is "off shutdown" app-01 '"'"'"\(.power) \(.reason)"'"'"

step "vm stop --force --timeout 0: destroyed at once"
ctl 0 vm start app-01
expect "app-01 is running" is running app-01 .power
ctl 0 vm stop app-01 --force --timeout 0
expect "app-01 is off, destroyed" eval 'is "off destroyed" app-01 '"'"'"\(.power) \(.reason)"'"'"

step "watch: every change as it happens (here in the background while web-01 is paused and resumed)"
watch_out=$CLUSTER_DIR/watch.out
printf '$ vmmctl watch &\n'
"$VMMCTL" watch >"$watch_out" 2>&1 &
watch_pid=$!
CLUSTER_EXTRA_PIDS+=("$watch_pid")
# The watch is subscribed once the controller has logged it; until then a change would not reach it.
expect "the controller has the watch" grep -q -- "-> watching" "$(cluster_log controller)"
ctl 0 vm pause web-01
expect "web-01 is paused" is paused web-01 .power
ctl 0 vm resume web-01
expect "web-01 is running" is running web-01 .power
expect "watch printed web-01 paused" grep -qE 'vm web-01 .*: paused' "$watch_out"
expect "then web-01 running" eval 'grep -E "vm web-01 .*: (paused|running)" "$watch_out" | tail -n 1 | grep -q running'
printf '$ kill -TERM %%1   # or Ctrl-C\n'
kill -TERM "$watch_pid" 2>/dev/null
expect "watch ended" eval '! cluster_alive "$watch_pid"'
wait "$watch_pid" 2>/dev/null
watch_rc=$?
sed 's/^/  /' "$watch_out"
if (( watch_rc == 0 || watch_rc == 143 )); then ok "watch exited $watch_rc"; else bad "watch exited $watch_rc"; fi

step "vm remove web-01 while it runs: refused without --force (which would power it off first)"
ctl 1 vm remove web-01
says "remove needs force"
expect "web-01 still runs" is running web-01 .power

step "vm remove app-02: forgotten by its host (its disks stay)"
say "The disks stay in the host's pool; on the test driver that pool lives in hostd's memory, so only the"
say "VM's absence is checked here."
ctl 0 vm remove app-02
expect "app-02 is no longer listed" unlisted app-02

step "vm delete app-01: forgotten, and the disks Vmm created for it deleted"
ctl 0 vm delete app-01
expect "app-01 is no longer listed" unlisted app-01

# --- what an operator meets when something is wrong -------------------------------------------------------

step "an unknown VM: exit 7, not found"
ctl 7 vm show app-01
says "not-found"

step "a bad VM name: exit 2, usage error, before anything is sent"
ctl 2 vm create --name 'bad name!'
says "may hold only letters, digits"

step "a size without a known unit: exit 2"
ctl 2 vm create --name big --memory 12Q
says "unknown unit"

step "an unknown command: exit 2"
ctl 2 vm frobnicate web-01
says "unknown vm command"

step "no host has room: exit 8, unavailable"
ctl 8 vm create --name huge --memory 64G
says "no host has room"
expect "huge was not created" unlisted huge

step "a name already taken (VM names are the fleet's): exit 1, failure"
ctl 1 vm create --name web-02 --memory 256M --host hv-a
says "exists already"

step "an unknown host: exit 7"
ctl 7 vm migrate web-01 --to hv-c
says "no host named hv-c"

step "memory above the VM's max-memory: exit 1, failure, nothing changed"
ctl 1 vm memory set web-01 8G
says "max-memory"
expect "web-01 still has 2 GiB" is 2147483648 web-01 .memory

step "an unknown snapshot: exit 7, not found"
ctl 7 vm snapshot revert web-01 nope
says "has no snapshot named nope"

step "a network the host does not have: exit 7, not found, named with the host's networks"
ctl 7 vm create --name app-09 --nic network=nowhere --host hv-a
says "network nowhere not found on this host (it has default)"
ctl 7 vm show app-09
says "no VM named or with uuid 'app-09'"

step "no controller at the socket: exit 9, unreachable"
ctl 9 --socket "$CLUSTER_DIR/no-such.sock" host list
says "controller unreachable"

step "a host stops: it is listed stopped, its VMs unknown, and requests to it exit 8, unavailable"
printf '$ kill -TERM %s   # vmm-hostd of hv-b\n' "${CLUSTER_PIDS[hv-b]}"
cluster_stop_daemon hv-b || bad "hostd hv-b needed SIGKILL"
expect "hv-b is stopped" host_is stopped hv-b
ctl 0 vm list --host hv-b
expect "cache-01 is unknown (it was running)" eval 'is "unknown running" cache-01 '"'"'"\(.power) \(."last-power")"'"'"
ctl 8 vm start mail-01
says "unavailable"

step "the host starts again: up, its VMs known again"
say "The test driver starts from node-b.xml again: the node's VMs as they were at the start."
printf '$ vmm-hostd --config hostd-b.toml &\n'
cluster_start_host hv-b || bad "hostd hv-b did not come back"
ctl 0 host list
expect "hv-b is up" host_is up hv-b
expect "cache-01 is running" is running cache-01 .power

# --- key rotation while requests flow (README: "Rotating the keys") ------------------------------------------

# set_keys DAEMON KEY [SECOND]: points DAEMON's key-file (and second-key-file) at these files, as an operator
# edits /etc/vmm/*.toml, then SIGHUP; waits for the daemon to say it holds the new key ids.
set_keys() {
    local name=$1 key=$2 second=${3:-} config log before
    config=$(cluster_config "$name") log=$(cluster_log "$name")
    sed -i '/^key-file = /d; /^second-key-file = /d' "$config"
    printf 'key-file = "%s"\nsecond-key-file = "%s"\n' "$key" "$second" >>"$config"
    printf '$ kill -HUP %s   # %s: key-file = %s, second-key-file = %s\n' "${CLUSTER_PIDS[$name]}" "$name" \
        "${key##*/}" "${second:+${second##*/}}"
    before=$(grep -c 'key id now' "$log")
    kill -HUP "${CLUSTER_PIDS[$name]}"
    if cluster_poll "$WAIT" eval '(( $(grep -c "key id now" "'"$log"'") > before ))'; then
        ok "$name: $(grep 'key id now' "$log" | tail -n 1 | sed -E 's/.*(key id now .*)/\1/')"
    else
        bad "$name did not reload its keys"
    fi
}

# Requests to both hosts, one after another, for as long as the rotation runs: each must succeed.
rotation_load() {
    local n=0
    while [[ ! -e $CLUSTER_DIR/rotation.stop ]]; do
        for args in "vm pause web-01" "vm resume web-01" "vm pause cache-01" "vm resume cache-01"; do
            # shellcheck disable=SC2086
            if out=$("$VMMCTL" $args 2>&1); then echo ok; else echo "FAIL $args: $out"; fi
            n=$((n + 1))
        done
    done >>"$CLUSTER_DIR/rotation.log"
}

step "key rotation 1/4: a new master key on the controller, as its second key; requests keep flowing"
say "Each hostd holds only its own key, derived from the master; every receiver accepts two keys and picks"
say "by key id, and SIGHUP reads the key files again, so the keys rotate with no request refused."
: >"$CLUSTER_DIR/rotation.log"
rotation_from=$(wc -l <"$(cluster_log controller)")
rotation_load &
CLUSTER_EXTRA_PIDS+=("$!")
rotation_pid=$!
ctl 0 key generate "$CLUSTER_DIR/cluster-2.key"
set_keys controller "$CLUSTER_DIR/cluster.key" "$CLUSTER_DIR/cluster-2.key"

step "key rotation 2/4: each host gets its new host key (derived from the new master) as its second key"
for host in "${CLUSTER_HOSTS[@]}"; do
    ctl 0 key derive "$host" --key-file "$CLUSTER_DIR/cluster-2.key" "$CLUSTER_DIR/host-${host#hv-}-2.key"
    set_keys "$host" "$CLUSTER_DIR/host-${host#hv-}.key" "$CLUSTER_DIR/host-${host#hv-}-2.key"
done

step "key rotation 3/4: switch: every daemon signs with the new key and still accepts the old one"
set_keys controller "$CLUSTER_DIR/cluster-2.key" "$CLUSTER_DIR/cluster.key"
for host in "${CLUSTER_HOSTS[@]}"; do
    set_keys "$host" "$CLUSTER_DIR/host-${host#hv-}-2.key" "$CLUSTER_DIR/host-${host#hv-}.key"
done

step "key rotation 4/4: the old keys removed; no request was refused and no host went down"
set_keys controller "$CLUSTER_DIR/cluster-2.key"
for host in "${CLUSTER_HOSTS[@]}"; do set_keys "$host" "$CLUSTER_DIR/host-${host#hv-}-2.key"; done
# A few more requests under the new keys alone, then the load stops.
cluster_poll "$WAIT" eval '(( $(grep -c . "$CLUSTER_DIR/rotation.log") >= 8 ))'
touch "$CLUSTER_DIR/rotation.stop"
wait "$rotation_pid" 2>/dev/null
total=$(grep -c . "$CLUSTER_DIR/rotation.log") failures=$(grep -c '^FAIL' "$CLUSTER_DIR/rotation.log")
if (( total > 0 && failures == 0 )); then ok "$total requests during the rotation, all succeeded"
else bad "$failures of $total requests failed: $(grep -m1 '^FAIL' "$CLUSTER_DIR/rotation.log")"; fi
if tail -n +$((rotation_from + 1)) "$(cluster_log controller)" | grep -Eq 'is down|wrong-key|bad-tag|lost the connection'; then
    bad "the controller logged: $(tail -n +$((rotation_from + 1)) "$(cluster_log controller)" | grep -Em1 'is down|wrong-key|bad-tag|lost the connection')"
else
    ok "the controller logged no host down and no datagram with a wrong key"
fi
ctl 0 host list
expect "hv-a is up" host_is up hv-a
expect "hv-b is up" host_is up hv-b

step_end

# --- the summary ---------------------------------------------------------------------------------------

echo
if (( failed )); then
    printf '%sfailed steps:%s\n' "$RED" "$PLAIN"
    printf '  %s\n' "${failures[@]}"
    for name in controller "${CLUSTER_HOSTS[@]}"; do
        printf -- '--- the end of %s.log\n' "$name"
        tail -n 15 "$(cluster_log "$name")" | sed 's/^/  /'
    done
fi
echo "demo: $steps steps, $passed passed, $failed failed"
(( failed == 0 ))
