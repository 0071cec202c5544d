#!/bin/sh
# The end-to-end cluster's own network namespace: loopback up and one bridge (vmm-e2e0, 192.0.2.1/24) that VM NICs can be
# attached to, so that nothing the tests do (libvirtd's TCP listeners, migration streams, tap devices, the
# controller's UDP and TCP) ever meets the machine's network. Other processes join it with
# `nsenter --net=/proc/PID/ns/net`. Prints "ready" once set up, then holds the namespace (sleep keeps the
# pid) until killed by pid, or until its parent dies (parent-death signal).
# Usage: e2e-netns.sh      (root; unshare, setpriv from util-linux, ip from iproute2)
set -eu
PATH=$PATH:/usr/sbin:/sbin
exec setpriv --pdeathsig KILL unshare --net sh -c '
    set -e
    ip link set lo up
    ip link add vmm-e2e0 type bridge
    ip link set vmm-e2e0 up
    # An IPv4 address besides loopback: getaddrinfo with AI_ADDRCONFIG (libvirtd resolving its listen_addr)
    # finds no IPv4 at all in a namespace that has only loopback. A documentation range (RFC 5737), never routed.
    ip addr add 192.0.2.1/24 dev vmm-e2e0
    echo ready
    exec sleep infinity'
