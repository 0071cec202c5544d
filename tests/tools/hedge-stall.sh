#!/usr/bin/env bash
# A connection from the controller to hostd that stalls (issue 14, item 4): run by HedgeStallTests inside a private
# network and pid namespace (unshare), so that its iptables rule and fixed ports touch nothing of the machine.
# A controller and one hostd (libvirt's test:///default, whose VM "test" runs) start on the namespace's loopback;
# a pause and a resume open the controller's connection to hostd; then every segment the controller sends on that
# connection is dropped (iptables, by its source port), and one more pause is timed through vmmctl.
# Prints "exit=N ms=T executed=E": vmmctl's exit code, its time, and how many pauses hostd carried out in all (the
# first one included).
# Usage: hedge-stall.sh BINARIES HEDGE_AFTER REQUEST_TIMEOUT
set -euo pipefail
bin=${1:?binaries}; hedge=${2:?hedge-after}; timeout=${3:?request-timeout}

iptables=$(command -v iptables-legacy || command -v iptables || true)
[[ -n $iptables ]] || { echo "hedge-stall.sh: iptables is not installed" >&2; exit 3; }
ip link set lo up
# A folder of its own, not a tmpfs over /tmp: the binaries may live under /tmp (a clone there), and would be hidden.
d=$(mktemp -d /tmp/vmm-hedge-XXXXXX)
trap 'rm -rf "$d"' EXIT
"$bin/vmmctl" key generate "$d/cluster.key" >/dev/null 2>&1
"$bin/vmmctl" key derive hv1 --key-file "$d/cluster.key" "$d/hv1.key" >/dev/null 2>&1
"$bin/vmm-controller" --key-file "$d/cluster.key" --admin-socket "$d/controller.sock" --listen 127.0.0.1:7400 \
    --heartbeat-interval 200ms --hedge-after "$hedge" --request-timeout "$timeout" >"$d/controller.log" 2>&1 &
"$bin/vmm-hostd" --key-file "$d/hv1.key" --libvirt-uri test:///default --host-name hv1 --listen 127.0.0.1:7401 \
    --controllers 127.0.0.1:7400 --heartbeat-interval 200ms --storage-path "$d/pool" --log-level info >"$d/hostd.log" 2>&1 &
export VMM_SOCKET=$d/controller.sock

for _ in $(seq 100); do
    "$bin/vmmctl" host list 2>/dev/null | grep -Eq '^hv1[[:space:]]+up' && break
    sleep 0.1
done
"$bin/vmmctl" vm pause test >/dev/null
"$bin/vmmctl" vm resume test >/dev/null

# The controller's connection to hostd, by its source port; from now on nothing it sends arrives.
port=$(ss -Htn state established '( dport = :7401 )' | awk '{ sub(/.*:/, "", $3); print $3; exit }')
[[ -n $port ]] || { echo "hedge-stall.sh: no connection from the controller to hostd" >&2; cat "$d/controller.log" >&2; exit 4; }
"$iptables" -A INPUT -i lo -p tcp --sport "$port" --dport 7401 -j DROP

start=$(date +%s%N)
rc=0
"$bin/vmmctl" vm pause test >/dev/null 2>"$d/vmmctl.err" || rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 0.5   # hostd's log line for an execution the controller no longer waited for
executed=$(grep -c ' pause from .*: success in ' "$d/hostd.log" || true)
echo "exit=$rc ms=$ms executed=$executed"
[[ $rc == 0 ]] || { echo "vmmctl: $(cat "$d/vmmctl.err")"; tail -n 5 "$d/controller.log"; }
