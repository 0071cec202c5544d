#!/bin/sh
# One QEMU "host" of the end-to-end cluster: a libvirtd with the qemu and storage drivers, kept apart from the
# machine's libvirt by namespaces. Two commands:
#
#   e2e-qemu-host.sh namespace DIR NETNS_PID TCP_PORT HOST_UUID POOL_PATH
#     Writes the host's configuration under DIR and holds its namespaces: the network namespace of
#     NETNS_PID (e2e-netns.sh), a private mount namespace (a tmpfs on /run, /var/lib, /var/log and /var/cache;
#     DIR/etc, DIR/lib, DIR/log and DIR/cache bound on /etc/libvirt and /var/{lib,log,cache}/libvirt; DIR/pool on
#     POOL_PATH, so that every host has its storage pool at the same path, as migration of non-shared disks
#     needs) and a private pid namespace. Its pid 1 (python3) reaps the QEMU processes libvirtd daemonizes:
#     a zombie QEMU would look alive to libvirt, which then cannot destroy it. Prints "ready", then runs
#     until killed; every process of the host (libvirtd, QEMU) dies with it, and it dies with its parent.
#
#   e2e-qemu-host.sh libvirtd DIR HOLDER_PID
#     Runs libvirtd inside the namespaces of HOLDER_PID (the pid 1 of the host's pid namespace, seen from
#     outside). nsenter forks it: libvirtd is nsenter's child, and dies with it (parent-death signal).
#     Its sockets are in DIR/sock (unix_sock_dir), reachable from outside the namespace; it listens on
#     127.0.0.1:TCP_PORT (auth none) in the cluster's network namespace, for peer-to-peer migration.
#
# The user libvirt-qemu: libvirt 9.0 looks up its built-in default QEMU user (libvirt-qemu, group libvirt-qemu)
# when its QEMU driver starts, before it reads qemu.conf, and fails without it ("Failed to parse user
# 'libvirt-qemu'"). Only libvirt-daemon-system makes that user, and the machine need not have it: the
# namespace sees copies of /etc/passwd and /etc/group (DIR/passwd, DIR/group) that add the user and its groups
# where the machine lacks them, bound over the originals in the private mount namespace. The machine's own files
# are never written.
# No virtlogd: QEMU's output goes to a file (stdio_handler = "file"). QEMU runs as root with no security
# driver (user, group and security_driver in qemu.conf), so the libvirt-qemu user owns nothing, and without a
# mount namespace per VM (namespaces = []) nor cgroups (cgroup_controllers = []: libvirt would make them in the
# machine's cgroup tree, which no namespace here hides). Migration streams go to 192.0.2.1, the address e2e-netns.sh gives
# the cluster's namespace (migration_host; libvirt refuses 127.0.0.1 there, and would otherwise use the
# machine's host name, which may resolve to an address outside the namespace).
# Needs root, libvirtd, qemu-system-x86_64, python3, and unshare, nsenter, setpriv (util-linux).
set -eu
PATH=$PATH:/usr/sbin:/sbin

case ${1:-} in
namespace)
    dir=$2 netns=$3 port=$4 uuid=$5 pool=$6
    for d in /etc/libvirt "$pool"; do
        [ -d "$d" ] || { echo "e2e-qemu-host: $d does not exist (is libvirt-daemon installed?)" >&2; exit 1; }
    done
    mkdir -p "$dir/etc/qemu" "$dir/etc/storage" "$dir/lib" "$dir/log" "$dir/cache" "$dir/pool" "$dir/sock" "$dir/drivers"
    # Only the drivers a Vmm host uses: no network, nodedev, nwfilter, interface or secret driver probing
    # the machine at start.
    for so in libvirt_driver_qemu.so libvirt_driver_storage.so; do
        found=$(ls /usr/lib/*/libvirt/connection-driver/$so 2>/dev/null | head -n 1)
        [ -n "$found" ] || { echo "e2e-qemu-host: no $so (is libvirt-daemon-driver-qemu installed?)" >&2; exit 1; }
        ln -sf "$found" "$dir/drivers/$so"
    done
    # The user and groups libvirt looks up (see above), added to private copies only where missing. The ids are
    # free ones below 1000 (system range); nothing runs as them.
    cp /etc/passwd "$dir/passwd"
    cp /etc/group "$dir/group"
    free_id() { # FILE: the highest free id from 999 down, in the third field of FILE
        awk -F: '{ used[$3] = 1 } END { for (i = 999; i > 100; i--) if (!(i in used)) { print i; exit } }' "$1"
    }
    for g in kvm libvirt-qemu; do
        grep -q "^$g:" "$dir/group" || echo "$g:x:$(free_id "$dir/group"):" >> "$dir/group"
    done
    if ! grep -q '^libvirt-qemu:' "$dir/passwd"; then
        gid=$(awk -F: '$1 == "libvirt-qemu" { print $3 }' "$dir/group")
        echo "libvirt-qemu:x:$(free_id "$dir/passwd"):$gid:Libvirt Qemu (Vmm e2e namespace):/nonexistent:/usr/sbin/nologin" >> "$dir/passwd"
    fi
    cat > "$dir/etc/libvirtd.conf" <<CONF
unix_sock_dir = "$dir/sock"
auth_unix_rw = "none"
auth_unix_ro = "none"
listen_tls = 0
listen_tcp = 1
listen_addr = "127.0.0.1"
tcp_port = "$port"
auth_tcp = "none"
host_uuid = "$uuid"
log_outputs = "3:stderr"
CONF
    cat > "$dir/etc/qemu.conf" <<CONF
user = "root"
group = "root"
security_driver = "none"
stdio_handler = "file"
namespaces = []
cgroup_controllers = []
migration_address = "192.0.2.1"
migration_host = "192.0.2.1"
CONF
    exec setpriv --pdeathsig KILL nsenter --net="/proc/$netns/ns/net" \
        unshare --mount --propagation private --pid --fork --kill-child=KILL \
        sh -c '
            set -e
            dir=$1 pool=$2
            mount -t tmpfs -o mode=0755 vmm-e2e-run /run
            mount -t proc proc /proc
            mount --bind "$dir/etc" /etc/libvirt
            mount --bind "$dir/passwd" /etc/passwd
            mount --bind "$dir/group" /etc/group
            # /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt exist only once some libvirtd has run (no
            # package ships them): a tmpfs over their parents gives mount points without writing to the machine.
            for d in lib log cache; do
                mount -t tmpfs -o mode=0755 vmm-e2e-var "/var/$d"
                mkdir "/var/$d/libvirt"
                mount --bind "$dir/$d" "/var/$d/libvirt"
            done
            mount --bind "$dir/pool" "$pool"
            echo ready
            exec python3 -c "
import os, time
while True:
    try:
        os.waitpid(-1, 0)
    except ChildProcessError:
        time.sleep(0.05)
"' e2e-qemu-host "$dir" "$pool"
    ;;
libvirtd)
    dir=$2 holder=$3
    export LIBVIRT_DRIVER_DIR="$dir/drivers"
    exec setpriv --pdeathsig TERM nsenter --target "$holder" --mount --pid --net -- \
        setpriv --pdeathsig TERM libvirtd --listen
    ;;
*)
    echo "usage: e2e-qemu-host.sh namespace DIR NETNS_PID TCP_PORT HOST_UUID POOL_PATH | libvirtd DIR HOLDER_PID" >&2
    exit 2
    ;;
esac
