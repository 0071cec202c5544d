#!/usr/bin/env bash
# Read-your-writes without UDP (spec §7.2, §7.4: a success ACK carries the event datagram that showed it): run by
# CarriedStateTests inside a private network and pid namespace (unshare), so that its iptables rule and fixed ports
# touch nothing of the machine. A controller and one hostd (libvirt's test:///default, whose VM "test" runs) start on
# the namespace's loopback with 10 s heartbeats and a host-down threshold of a minute; once the controller shows the
# host up, every datagram hostd sends to the controller is dropped (iptables). Then a pause, a show, a resume and a
# show through vmmctl: only the state the ACKs carried can tell the controller what each request did.
# Prints "pause=N show=POWER resume=N show=POWER ms=T dropped=D": vmmctl's exit codes, the power `vm show` gave after
# each, the time of both requests, and how many datagrams iptables dropped.
# Usage: udp-lost.sh BINARIES
set -euo pipefail
bin=${1:?binaries}

iptables=$(command -v iptables-legacy || command -v iptables || true)
[[ -n $iptables ]] || { echo "udp-lost.sh: iptables is not installed" >&2; exit 3; }
ip link set lo up
d=$(mktemp -d /tmp/vmm-udp-lost-XXXXXX)
trap 'rm -rf "$d"' EXIT
"$bin/vmmctl" key generate "$d/cluster.key" >/dev/null 2>&1
"$bin/vmmctl" key derive hv1 --key-file "$d/cluster.key" "$d/hv1.key" >/dev/null 2>&1
"$bin/vmm-controller" --key-file "$d/cluster.key" --admin-socket "$d/controller.sock" --listen 127.0.0.1:7400 \
    --heartbeat-interval 10s --down-after 6 >"$d/controller.log" 2>&1 &
"$bin/vmm-hostd" --key-file "$d/hv1.key" --libvirt-uri test:///default --host-name hv1 --listen 127.0.0.1:7401 \
    --controllers 127.0.0.1:7400 --heartbeat-interval 10s --storage-path "$d/pool" --log-level info >"$d/hostd.log" 2>&1 &
export VMM_SOCKET=$d/controller.sock

for _ in $(seq 100); do
    "$bin/vmmctl" host list 2>/dev/null | grep -Eq '^hv1[[:space:]]+up' && break
    sleep 0.1
done
"$bin/vmmctl" vm show test --json | grep -q '"power": *"running"' || { echo "udp-lost.sh: test is not shown running" >&2; exit 4; }
"$iptables" -A OUTPUT -o lo -p udp --dport 7400 -j DROP

power() { "$bin/vmmctl" vm show test --json | sed -n 's/.*"power": *"\([a-z]*\)".*/\1/p' | head -n 1; }
start=$(date +%s%N)
paused=0; "$bin/vmmctl" vm pause test >/dev/null 2>"$d/vmmctl.err" || paused=$?
shown1=$(power)
resumed=0; "$bin/vmmctl" vm resume test >/dev/null 2>>"$d/vmmctl.err" || resumed=$?
shown2=$(power)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
dropped=$("$iptables" -L OUTPUT -v -x -n | awk '/udp/ && /7400/ { print $1; exit }')
echo "pause=$paused show=$shown1 resume=$resumed show=$shown2 ms=$ms dropped=$dropped"
[[ $paused == 0 && $resumed == 0 ]] || { echo "vmmctl: $(cat "$d/vmmctl.err")"; tail -n 5 "$d/controller.log"; }
