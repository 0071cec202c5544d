#!/bin/sh
# A libvirtd of the benchmark's own, that can neither see nor disturb the machine's libvirt:
#  - a private mount namespace with an empty tmpfs on /run, so its runtime files (pid file, the
#    system identity token under /run/libvirt/common) never meet a system libvirtd's;
#  - no driver modules (LIBVIRT_DRIVER_DIR points at an empty folder), so no state driver (qemu,
#    network, storage, ...) starts and nothing under /etc/libvirt, /var/lib/libvirt or /var/log is read
#    or written: the test driver it serves is built into libvirt.so;
#  - its sockets in DIR (config unix_sock_dir), a folder the caller can reach outside the namespace;
#  - logs on stderr; auth none on its sockets.
# The process keeps its pid through every exec (unshare without --fork), so the caller stops libvirtd by
# the pid it started; should the caller die first, the parent-death signal stops it.
# Usage: private-libvirtd.sh DIR      (root; libvirtd, unshare and setpriv on PATH)
set -eu
dir=${1:?usage: private-libvirtd.sh DIR}
PATH=$PATH:/usr/sbin:/sbin
mkdir -p "$dir/no-drivers"
cat > "$dir/libvirtd.conf" <<CONF
unix_sock_dir = "$dir"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:stderr"
CONF
export LIBVIRT_DRIVER_DIR="$dir/no-drivers"
exec setpriv --pdeathsig TERM unshare --mount --propagation private \
    sh -c 'mount -t tmpfs -o mode=0755 vmm-bench-run /run && exec libvirtd --config "$1/libvirtd.conf" --pid-file "$1/libvirtd.pid"' \
    private-libvirtd "$dir"
