#!/usr/bin/env bash
# Runs a command with loopback losing UDP datagrams at random, in the network namespace this script is started in
# (the caller runs it under `unshare -n`, so the machine's own loopback is never touched). This kernel has no netem:
# the loss is iptables' statistic match, on INPUT (a DROP on OUTPUT would fail the sender's sendto with EPERM, which
# a lossy network never does). A first rule without a target counts every UDP datagram, so the caller can read the
# loss that was really applied (`iptables -L INPUT -v -x -n`).
#
# Usage: unshare -n -- lossy-netns.sh PROBABILITY -- COMMAND [ARGS...]
set -euo pipefail

probability=${1:?usage: lossy-netns.sh PROBABILITY -- COMMAND [ARGS...]}
shift
[[ ${1:-} == -- ]] && shift
(( $# > 0 )) || { echo "lossy-netns.sh: no command given" >&2; exit 2; }

iptables=$(command -v iptables-legacy || command -v iptables || true)
[[ -n $iptables ]] || { echo "lossy-netns.sh: iptables is not installed (apt-get install iptables)" >&2; exit 3; }

ip link set lo up
"$iptables" -A INPUT -i lo -p udp
"$iptables" -A INPUT -i lo -p udp -m statistic --mode random --probability "$probability" -j DROP
export VMM_LOSS_IPTABLES=$iptables
exec "$@"
