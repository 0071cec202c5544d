# A local Vmm cluster on loopback, for run.sh and demo.sh (sourced by both; not run by itself):
# one vmm-controller and two vmm-hostd (hv-a, hv-b), each hostd on libvirt's built-in test driver with
# its own node (node-a.xml, node-b.xml: no libvirtd, no QEMU), a new cluster master key (the controller's)
# and each host's own key derived from it, and every file in one temporary folder: the keys, the TOML
# configuration of each daemon, the nodes, the logs, the pids.
#
# Every process is started here and stopped by its pid: SIGTERM, then SIGKILL after CLUSTER_GRACE
# seconds. The daemons run in their own session (setsid), so that a Ctrl-C on the terminal reaches
# only the script, which then stops them in order and removes the folder.
#
# The controller's UDP port is the first free one from 7400 (vmm-controller's default) up: a fixed port
# would collide with a second cluster on the same machine. hostd listens on port 0 (any free one): the
# controller learns each host's address from its heartbeats.
#
# The daemons and vmmctl run from copies in the folder (bin/), not from VMM_BIN: `make build` replaces the files
# in out/ while a cluster runs (a second make run, or make demo beside make run), and each cluster keeps
# running the binaries it started with.
#
# Settings (environment): VMM_BIN (the folder of the binaries, default out/ of this repository),
# CLUSTER_FIRST_PORT (default 7400), CLUSTER_GRACE (default 10), CLUSTER_KEEP=1 keeps the folder.

CLUSTER_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER_BIN=${VMM_BIN:-$CLUSTER_ROOT/out}
CLUSTER_GRACE=${CLUSTER_GRACE:-10}
CLUSTER_HOSTS=(hv-a hv-b)
CLUSTER_NAME=${CLUSTER_NAME:-cluster}   # the prefix of every line this file prints
CLUSTER_DIR=""
CLUSTER_SOCKET=""
CLUSTER_PORT=""
CLUSTER_SHOW_LOGS=0                     # 1: every daemon's log lines also go to stdout, prefixed
CLUSTER_STOPPED=0
declare -A CLUSTER_PIDS=()              # daemon name -> pid, while it runs
declare -a CLUSTER_FOLLOWERS=()         # pids of the log followers (CLUSTER_SHOW_LOGS=1)
declare -a CLUSTER_EXTRA_PIDS=()        # other processes a script started (vmmctl watch): stopped too

CLUSTER_RUN_BIN=""                      # the copies of the binaries this cluster runs (cluster_prepare)
VMMCTL=$CLUSTER_BIN/vmmctl              # until cluster_prepare, then the copy in the folder

cluster_say() { printf '%s: %s\n' "$CLUSTER_NAME" "$*" >&2; }

# The binaries and tools this needs, each missing one named with what provides it.
cluster_require() {
    local missing=0 exe tool
    for exe in vmmctl vmm-controller vmm-hostd; do
        if [[ ! -x $CLUSTER_BIN/$exe ]]; then
            cluster_say "$CLUSTER_BIN/$exe is missing: run 'make build' first"
            missing=1
        fi
    done
    local -A package=([setsid]=util-linux [tail]=coreutils [sed]=sed [awk]=mawk [jq]=jq)
    for tool in setsid tail sed awk "$@"; do
        if ! command -v "$tool" >/dev/null; then
            cluster_say "'$tool' is missing: apt-get install ${package[$tool]:-$tool}"
            missing=1
        fi
    done
    if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libvirt\.so\.0 '; then
        cluster_say "libvirt.so.0 is missing (vmm-hostd loads it): apt-get install libvirt0"
        missing=1
    fi
    return "$missing"
}

# A UDP port from $1 up that no socket of this machine holds (any address: a socket on 0.0.0.0 holds
# it for 127.0.0.1 too), read from /proc/net/udp and udp6. Another program may still take it before
# the controller binds it: cluster_start then tries the next one.
cluster_free_udp_port() {
    local port=$1 used
    used=$(awk 'FNR > 1 { split($2, a, ":"); print a[2] }' /proc/net/udp /proc/net/udp6 2>/dev/null | sort -u)
    while grep -qx "$(printf '%04X' "$port")" <<<"$used"; do
        port=$((port + 1))
    done
    echo "$port"
}

# The temporary folder: key, nodes, configuration.
cluster_prepare() {
    CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vmm-cluster.XXXXXX") || return 1
    CLUSTER_SOCKET=$CLUSTER_DIR/controller.sock
    : >"$CLUSTER_DIR/pids"
    CLUSTER_RUN_BIN=$CLUSTER_DIR/bin
    mkdir "$CLUSTER_RUN_BIN" || return 1
    local exe
    for exe in vmmctl vmm-controller vmm-hostd; do
        cp -p "$CLUSTER_BIN/$exe" "$CLUSTER_RUN_BIN/$exe" || { cluster_say "could not copy $CLUSTER_BIN/$exe into $CLUSTER_RUN_BIN"; return 1; }
    done
    VMMCTL=$CLUSTER_RUN_BIN/vmmctl
    "$VMMCTL" key generate "$CLUSTER_DIR/cluster.key" 2>/dev/null || { cluster_say "vmmctl key generate failed"; return 1; }
    local host
    for host in "${CLUSTER_HOSTS[@]}"; do
        # Each hostd holds only its own key (spec §3.3), as /etc/vmm/host.key on a real host.
        "$VMMCTL" key derive "$host" --key-file "$CLUSTER_DIR/cluster.key" "$CLUSTER_DIR/host-${host#hv-}.key" 2>/dev/null \
            || { cluster_say "vmmctl key derive $host failed"; return 1; }
        # A copy, so that the folder holds all the daemons read; each hostd loads its node into its own memory.
        cp "$CLUSTER_ROOT/tools/cluster/node-${host#hv-}.xml" "$CLUSTER_DIR/node-${host#hv-}.xml"
    done
    cluster_write_config "$(cluster_free_udp_port "${CLUSTER_FIRST_PORT:-7400}")"
}

# Writes controller.toml and hostd-*.toml for the controller's UDP port $1, as an operator would
# (/etc/vmm/controller.toml and /etc/vmm/hostd.toml on real machines).
cluster_write_config() {
    CLUSTER_PORT=$1
    cat >"$CLUSTER_DIR/controller.toml" <<EOF
# vmm-controller: /etc/vmm/controller.toml on a real controller; vmm-controller --help lists every setting.
# UDP: where the hosts send their state.
listen = "127.0.0.1:$CLUSTER_PORT"
# vmmctl's way in: vmmctl --socket PATH, or VMM_SOCKET.
admin-socket = "$CLUSTER_SOCKET"
# The cluster master key: each host's key is derived from it (vmmctl key derive).
key-file = "$CLUSTER_DIR/cluster.key"
# As on the hosts; a host that misses down-after heartbeats in a row is down.
heartbeat-interval = "1s"
down-after = 3
log-level = "info"
EOF
    local host
    for host in "${CLUSTER_HOSTS[@]}"; do
        cat >"$CLUSTER_DIR/hostd-${host#hv-}.toml" <<EOF
# vmm-hostd: /etc/vmm/hostd.toml on a real host; vmm-hostd --help lists every setting.
host-name = "$host"
# libvirt's test driver on a node description; leave it out on a real host (qemu:///system).
libvirt-uri = "test://$CLUSTER_DIR/node-${host#hv-}.xml"
# TCP for the controller's requests; port 0 is any free one, which the controller learns from heartbeats.
listen = "127.0.0.1:0"
controllers = ["127.0.0.1:$CLUSTER_PORT"]
# This host's own key (vmmctl key derive $host): it signs only for $host.
key-file = "$CLUSTER_DIR/host-${host#hv-}.key"
# The directory pool of the disks Vmm creates (held in memory by the test driver).
storage-path = "$CLUSTER_DIR/pool-${host#hv-}"
# The lease a controller renews (HA), kept across restarts of this hostd; on a real host, /run/vmm-hostd/lease.
lease-file = "$CLUSTER_DIR/lease-${host#hv-}"
heartbeat-interval = "1s"
log-level = "info"
EOF
    done
}

cluster_log() { echo "$CLUSTER_DIR/$1.log"; }

cluster_config() { [[ $1 == controller ]] && echo "$CLUSTER_DIR/controller.toml" || echo "$CLUSTER_DIR/hostd-${1#hv-}.toml"; }

# Starts daemon $1 (controller, hv-a, hv-b) in its own session, its output appended to its log.
cluster_start_daemon() {
    local name=$1 exe=vmm-hostd
    [[ $name == controller ]] && exe=vmm-controller
    setsid "$CLUSTER_RUN_BIN/$exe" --config "$(cluster_config "$name")" >>"$(cluster_log "$name")" 2>&1 </dev/null &
    CLUSTER_PIDS[$name]=$!
    echo "$name $!" >>"$CLUSTER_DIR/pids"
    if (( CLUSTER_SHOW_LOGS )); then cluster_follow "$name"; fi
}

# Prints the log of daemon $1 as it grows, each line as "NAME  HH:MM:SS.mmm LEVEL ...". The follower
# ends by itself once the daemon has ended and been reaped (tail --pid), after its last lines.
cluster_follow() {
    local name=$1
    tail -n +1 -s 0.2 -F --pid="${CLUSTER_PIDS[$name]}" "$(cluster_log "$name")" 2>/dev/null \
        | sed -u -E "s/^[0-9]{4}-[0-9]{2}-[0-9]{2}T([0-9:.]+)Z /\1 /; s/^/$(printf '%-10s' "$name") /" &
    CLUSTER_FOLLOWERS+=("$!")
}

# True while process $1 runs (a zombie, dead but not yet reaped, does not count).
cluster_alive() {
    local stat
    [[ -n $1 ]] && read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != Z ]]
}

# The first daemon that is no longer running, if any (prints its name; false when all run).
cluster_dead_daemon() {
    local name
    for name in "${!CLUSTER_PIDS[@]}"; do
        if ! cluster_alive "${CLUSTER_PIDS[$name]}"; then echo "$name"; return 0; fi
    done
    return 1
}

# Reaps daemon $1 that has ended (unless the caller did: its exit code is then $2), says how, and
# forgets it. The end of its log follows.
cluster_report_dead() {
    local name=$1 pid=${CLUSTER_PIDS[$1]} rc=${2:-}
    if [[ -z $rc ]]; then
        wait "$pid" 2>/dev/null
        rc=$?
    fi
    unset "CLUSTER_PIDS[$name]"
    local how="exit code $rc"
    (( rc > 128 )) && how="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null)"
    cluster_say "$name (pid $pid) ended on its own, $how; the end of its log:"
    tail -n 8 "$(cluster_log "$name")" | sed 's/^/    /' >&2
}

# Polls "$@" every 0.1 s for up to $1 seconds (the first argument); true once it holds.
cluster_poll() {
    local seconds=$1
    shift
    local deadline=$((SECONDS + seconds))
    while :; do
        "$@" && return 0
        (( SECONDS >= deadline )) && return 1
        sleep 0.1
    done
}

# The state of host $1 as `vmmctl host list` says it, or nothing.
cluster_host_state() {
    "$VMMCTL" --socket "$CLUSTER_SOCKET" host list 2>/dev/null | awk -v h="$1" '$1 == h { print $2 }'
}

cluster_hosts_up() {
    local host
    for host in "$@"; do [[ $(cluster_host_state "$host") == up ]] || return 1; done
}

cluster_controller_answers() {
    [[ -S $CLUSTER_SOCKET ]] && "$VMMCTL" --socket "$CLUSTER_SOCKET" host list >/dev/null 2>&1
}

# Waits up to $2 seconds for "${@:3}" to hold ($1 says what it waits for), failing early, with the end
# of its log, if a daemon dies meanwhile.
cluster_await() {
    local what=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds)) dead
    while :; do
        "$@" && return 0
        if dead=$(cluster_dead_daemon); then
            cluster_report_dead "$dead"
            return 1
        fi
        if (( SECONDS >= deadline )); then
            cluster_say "not within $seconds s: $what"
            return 1
        fi
        sleep 0.1
    done
}

# Starts the controller and waits until its admin socket answers. When another program took the port
# between cluster_free_udp_port and the bind, the controller exits at once (Address already in use):
# then the next free port, up to 20 times.
cluster_start_controller() {
    local tries=0 pid deadline
    while :; do
        cluster_start_daemon controller
        pid=${CLUSTER_PIDS[controller]}
        deadline=$((SECONDS + 30))
        until cluster_controller_answers; do
            if ! cluster_alive "$pid"; then
                if grep -q 'Address already in use' "$(cluster_log controller)" && (( ++tries < 20 )); then
                    wait "$pid" 2>/dev/null
                    unset "CLUSTER_PIDS[controller]"
                    cluster_say "UDP port $CLUSTER_PORT was taken meanwhile; trying the next free one"
                    : >"$(cluster_log controller)"
                    cluster_write_config "$(cluster_free_udp_port $((CLUSTER_PORT + 1)))"
                    continue 2
                fi
                cluster_report_dead controller
                return 1
            fi
            if (( SECONDS >= deadline )); then
                cluster_say "not within 30 s: the controller answers on $CLUSTER_SOCKET"
                return 1
            fi
            sleep 0.1
        done
        return 0
    done
}

cluster_start_host() {
    cluster_start_daemon "$1"
    cluster_await "$1 reports to the controller (vmmctl host list: up)" 30 cluster_hosts_up "$1"
}

# The whole cluster, up: the controller answers and every host is listed up.
cluster_start() {
    cluster_start_controller || return 1
    local host
    for host in "${CLUSTER_HOSTS[@]}"; do cluster_start_daemon "$host"; done
    cluster_await "every host reports to the controller (vmmctl host list: up)" 30 cluster_hosts_up "${CLUSTER_HOSTS[@]}"
}

# Stops the processes $@ (pids): SIGTERM, then SIGKILL to any still running after CLUSTER_GRACE
# seconds; reaps them. Prints each one that had to be killed and returns false then.
cluster_kill() {
    local pid clean=0 deadline
    for pid in "$@"; do cluster_alive "$pid" && kill -TERM "$pid" 2>/dev/null; done
    deadline=$((SECONDS + CLUSTER_GRACE))
    for pid in "$@"; do
        while cluster_alive "$pid" && (( SECONDS < deadline )); do sleep 0.1; done
        if cluster_alive "$pid"; then
            cluster_say "pid $pid still runs ${CLUSTER_GRACE}s after SIGTERM: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
            clean=1
        fi
        wait "$pid" 2>/dev/null
    done
    return "$clean"
}

# Stops daemon $1 (SIGTERM, then SIGKILL) and forgets it.
cluster_stop_daemon() {
    local name=$1 pid=${CLUSTER_PIDS[$1]:-}
    [[ -n $pid ]] || return 0
    cluster_kill "$pid"
    local rc=$?
    unset "CLUSTER_PIDS[$name]"
    return "$rc"
}

# Stops everything this file started and removes the folder; safe to call more than once (the EXIT
# trap calls it after a signal's trap did). False when a process had to be killed.
cluster_stop() {
    (( CLUSTER_STOPPED )) && return 0
    CLUSTER_STOPPED=1
    # A second Ctrl-C does not cut the stop short: it ends within CLUSTER_GRACE seconds anyway.
    trap '' INT TERM
    local rc=0 pids=("${CLUSTER_EXTRA_PIDS[@]}")
    # The hosts first, then the controller: the controller sees each host stop, as in a real shutdown.
    local name
    for name in "${CLUSTER_HOSTS[@]}"; do [[ -n ${CLUSTER_PIDS[$name]:-} ]] && pids+=("${CLUSTER_PIDS[$name]}"); done
    (( ${#pids[@]} )) && { cluster_kill "${pids[@]}" || rc=1; }
    if [[ -n ${CLUSTER_PIDS[controller]:-} ]]; then cluster_kill "${CLUSTER_PIDS[controller]}" || rc=1; fi
    CLUSTER_PIDS=()
    # The followers end once their daemon is reaped; wait, so that the last lines come before ours.
    local pid
    for pid in "${CLUSTER_FOLLOWERS[@]}"; do wait "$pid" 2>/dev/null; done
    CLUSTER_FOLLOWERS=()
    if [[ -n $CLUSTER_DIR && -d $CLUSTER_DIR ]]; then
        if [[ ${CLUSTER_KEEP:-0} == 1 ]]; then
            cluster_say "kept $CLUSTER_DIR"
        else
            rm -rf "$CLUSTER_DIR"
        fi
    fi
    return "$rc"
}

# vmmctl as this repository's README writes it: out/vmmctl from the repository root, else the full path.
cluster_vmmctl_path() {
    if [[ $PWD == "$CLUSTER_ROOT" && $CLUSTER_BIN == "$CLUSTER_ROOT/out" ]]; then echo out/vmmctl; else echo "$VMMCTL"; fi
}
