#!/usr/bin/env bash
# make run: a local Vmm cluster in the foreground (one controller, hosts hv-a and hv-b on libvirt's test
# driver; see cluster.sh), with the daemons' logs, until Ctrl-C or SIGTERM. Prints the vmmctl commands
# to try as "try:" lines, and "pids:" and "folder:" lines, so that a script can check that the stop leaves
# nothing behind. If a daemon exits on its own, says so and stops the rest (exit code 1).
set -uo pipefail
CLUSTER_NAME=run
source "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"

on_signal() {
    echo
    cluster_say "SIG$1: stopping the cluster"
    if cluster_stop; then
        cluster_say "stopped; removed $CLUSTER_DIR"
        exit 0
    fi
    exit 1
}
trap cluster_stop EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

cluster_require || exit 1
cluster_prepare || exit 1
CLUSTER_SHOW_LOGS=1
cluster_say "starting vmm-controller, and vmm-hostd for ${CLUSTER_HOSTS[*]} on libvirt's test driver, in $CLUSTER_DIR"
cluster_start || exit 1

# The followers print the daemons' start-up lines a moment after they are written: let them, so that
# the commands below are the last thing on the screen.
sleep 0.5
ctl=$(cluster_vmmctl_path)
pids=""
for name in controller "${CLUSTER_HOSTS[@]}"; do pids+=" $name=${CLUSTER_PIDS[$name]}"; done
cat <<EOF

The cluster is up: hosts ${CLUSTER_HOSTS[*]}, controller on udp 127.0.0.1:$CLUSTER_PORT.
folder: $CLUSTER_DIR (the configuration: controller.toml, hostd-a.toml, hostd-b.toml)
pids:$pids

In another terminal (Ctrl-C here stops the cluster):
try: export VMM_SOCKET=$CLUSTER_SOCKET
try: $ctl host list
try: $ctl vm list
try: $ctl vm show web-01
try: $ctl vm create --name app-01 --vcpus 2 --memory 1G --disk 10G --nic network=default
try: $ctl vm start app-01
try: $ctl vm pause web-01
try: $ctl watch
(vmmctl --help lists every command; make demo runs them all.)

EOF

# Until a signal (its trap exits) or a daemon's end.
while :; do
    ended=""
    wait -n -p ended "${CLUSTER_PIDS[@]}"
    rc=$?
    [[ -n $ended ]] || continue
    for name in "${!CLUSTER_PIDS[@]}"; do
        [[ ${CLUSTER_PIDS[$name]} == "$ended" ]] && cluster_report_dead "$name" "$rc"
    done
    cluster_say "stopping the rest"
    cluster_stop
    exit 1
done
