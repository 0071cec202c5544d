#!/usr/bin/env bash
# Installs the vmm-controller and vmm-hostd .deb packages for real, with dpkg and their maintainer
# scripts, in a throwaway copy of this system, runs the installed daemons as user vmm, upgrades and
# purges, and prints what an operator would find at each step as KEY=VALUE lines (one a line, the
# value to the end of the line) for tests/Vmm.Packaging.Tests/DebInstallTests.cs to judge. Progress
# and the output of every command go to stderr.
#
# The copy: new mount, pid and network namespaces. In the mount namespace /etc, /usr and /var are
# overlayfs mounts over the real folders whose upper layers live on a tmpfs, and /run is an empty
# tmpfs; so dpkg's database, /etc/passwd and /etc/group, the units' symlinks and the cluster key all
# land in memory that vanishes with the namespace, and the machine is left as it was. The empty /run
# also means no /run/systemd/system: the maintainer scripts see a machine without systemd running
# (a container being built), so they neither start units nor apply sysctl settings to the real kernel.
# The network namespace holds only its own loopback: the daemons listen on their default ports
# without meeting anything on the machine. When this script ends (or its caller dies: the
# parent-death signal), the namespace's first process exits and the kernel kills everything in it.
#
# Usage: tests/tools/deb-install.sh CONTROLLER_DEB HOSTD_DEB     (root; unshare, setpriv, ip, overlayfs)
# Exit: 0 every step ran (the facts are the caller's to judge); 1 a step failed (a FAILED= line says
# which; its output is on stderr); 3 something this needs is missing (a MISSING= line says what).
set -euo pipefail

missing() { echo "MISSING=$*"; exit 3; }

if [[ ${1:-} != --inside ]]; then
    (( $# == 2 )) || { echo "usage: deb-install.sh CONTROLLER_DEB HOSTD_DEB" >&2; exit 2; }
    controller_deb=$(realpath "$1")
    hostd_deb=$(realpath "$2")
    (( EUID == 0 )) || missing "root: dpkg and the namespaces need uid 0 (running as uid $EUID)"
    PATH=$PATH:/usr/sbin:/sbin
    for need in unshare:util-linux setpriv:util-linux mount:mount ip:iproute2 dpkg-deb:dpkg \
        systemd-sysusers:systemd deb-systemd-helper:init-system-helpers userdel:passwd logrotate:logrotate; do
        command -v "${need%%:*}" >/dev/null || missing "${need%%:*}: not on PATH (Debian package ${need#*:})"
    done
    err=$(unshare --mount --pid --fork --net true 2>&1) ||
        missing "unshare --mount --pid --net: ${err:-failed} (needs CAP_SYS_ADMIN: a privileged container or a VM)"
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
        missing "overlayfs: not in /proc/filesystems and 'modprobe overlay' failed"

    dir=$(mktemp -d /tmp/vmm-deb-install.XXXXXX)
    rc=0
    setpriv --pdeathsig KILL \
        unshare --mount --propagation private --pid --fork --kill-child --mount-proc --net \
        bash "$0" --inside "$dir" "$controller_deb" "$hostd_deb" || rc=$?
    rmdir "$dir"
    exit "$rc"
fi

# ---- inside the namespaces (pid 1 of the new pid namespace) ----
dir=$2 controller_deb=$3 hostd_deb=$4
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
key=/etc/vmm/cluster.key          # the controller's cluster master key
hostkey=/etc/vmm/host.key         # hostd's own host key (spec §3.3)

emit() { printf '%s=%s\n' "$1" "$2"; }
fail() { echo "FAILED=$*"; exit 1; }

# Runs a command with its output on stderr under a header; a non-zero exit fails the whole run.
step() {
    local name=$1; shift
    echo "--- $name: $*" >&2
    local rc=0
    "$@" >&2 || rc=$?
    (( rc == 0 )) || fail "$name: '$*' exited $rc (its output is on stderr)"
}

# The upper layers on a tmpfs of the namespace's own: nothing is left on disk, even if this is killed.
mount -t tmpfs -o mode=0700 vmm-deb-install "$dir"
for d in etc usr var; do
    mkdir -p "$dir/$d/upper" "$dir/$d/work"
    err=$(mount -t overlay "vmm-deb-install-$d" \
        -o "lowerdir=/$d,upperdir=$dir/$d/upper,workdir=$dir/$d/work" "/$d" 2>&1) ||
        missing "overlayfs: mounting an overlay on /$d failed: $err"
done
mount -t tmpfs -o mode=0755 vmm-deb-install-run /run
ip link set lo up
work=$dir/scratch
mkdir -p "$work"
[[ ! -e /run/systemd/system ]] || fail "setup: /run/systemd/system is visible: units would be started on the machine"
# Belt and braces: should a maintainer script think services may start, invoke-rc.d and
# deb-systemd-invoke ask this first, and 101 means "not now".
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d
# man-db's trigger rebuilds its index after every dpkg run that ships a man page: seconds each time,
# and not what is under test (the pages' files are).
rm -f /var/lib/man-db/auto-update
emit setup.overlay ok

# dpkg's view of a package: "ii", "rc" and so on, or "absent" when it is not installed and has no
# configuration left (never installed, or purged: dpkg-query then says "un", "pn" or knows nothing).
status_of() {
    local s
    s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || s=absent
    case $s in ?n*) s=absent ;; esac
    echo "${s%% *}"
}

# Start from a system without Vmm: whatever this machine has of it goes, in the copy only.
preexisting=
for pkg in vmm-controller vmm-hostd; do
    if [[ $(status_of "$pkg") != absent ]]; then preexisting+="$pkg "; fi
done
if [[ -n $preexisting ]]; then
    step "setup: purge what the machine had" dpkg --purge vmm-hostd vmm-controller
fi
rm -rf /etc/vmm /var/log/vmm
if getent passwd vmm >/dev/null; then step "setup: remove user vmm" userdel vmm; fi
if getent group vmm >/dev/null; then step "setup: remove group vmm" groupdel vmm; fi
emit setup.preexisting "${preexisting:-none}"

# ---- what an operator finds ----

# Lines to one line, separated by spaces.
joined() { paste -sd ' ' -; }

# Everything a step leaves behind, under PREFIX.
facts() {
    local p=$1 pkg
    emit "$p.passwd" "$(getent passwd vmm || echo absent)"
    emit "$p.group" "$(getent group vmm || echo absent)"
    local name file
    for name in key hostkey; do
        file=${!name}
        if [[ -e $file ]]; then
            emit "$p.$name.stat" "$(stat -c '%a %U %G' "$file")"
            emit "$p.$name.sha256" "$(sha256sum "$file" | cut -d' ' -f1)"
            emit "$p.$name.first_line" "$(head -n1 "$file")"
            emit "$p.$name.line" "$(grep -v '^#' "$file" | tr -d '\n')"
        else
            emit "$p.$name.stat" absent
        fi
    done
    if [[ -d /etc/vmm ]]; then emit "$p.etc_vmm" "$(ls -A /etc/vmm | joined)"; else emit "$p.etc_vmm" absent; fi
    if [[ -d /var/log/vmm ]]; then emit "$p.var_log_vmm" present; else emit "$p.var_log_vmm" absent; fi
    # The units' enablement: the symlinks and deb-systemd-helper's state files.
    emit "$p.systemd" "$(find /etc/systemd/system /var/lib/systemd -name '*vmm*' 2>/dev/null | sort | joined)"
    for pkg in vmm-controller vmm-hostd; do
        emit "$p.$pkg.status" "$(status_of "$pkg")"
        emit "$p.$pkg.version" "$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)"
        emit "$p.$pkg.conffiles" "$(dpkg-query -W -f='${Conffiles}' "$pkg" 2>/dev/null | awk 'NF { print $1 }' | LC_ALL=C sort | joined)"
        emit "$p.$pkg.wants" "$(readlink "/etc/systemd/system/multi-user.target.wants/$pkg.service" || echo absent)"
        emit "$p.$pkg.files" "$(dpkg-query -L "$pkg" 2>/dev/null | while read -r f; do
            if [[ ! -d $f && ( -e $f || -L $f ) ]]; then echo "$f"; fi; done | joined)"
    done
}

# ---- running the installed daemons as user vmm ----

as_vmm=(setpriv --reuid vmm --regid vmm --init-groups)
# The daemon's pid (it keeps setpriv's: setpriv execs it) is left in $started.
start() {
    local log=$1; shift
    echo "--- start: $* (log $log)" >&2
    "$@" >"$log" 2>&1 &
    started=$!
}
# Runs CMD every 0.1 s until it succeeds; fails if the daemon PID exits first or 20 s pass.
await() {
    local what=$1 pid=$2 log=$3; shift 3
    local deadline=$((SECONDS + 20))
    until "$@" >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "--- $log" >&2; cat "$log" >&2
            fail "$what: the daemon (pid $pid) exited before $* succeeded; its log is on stderr"
        fi
        if (( SECONDS >= deadline )); then
            echo "--- $log" >&2; cat "$log" >&2
            fail "$what: '$*' did not succeed within 20 s; the daemon's log is on stderr"
        fi
        sleep 0.1
    done
}
# SIGTERM, then emits KEY=its exit status once it has exited (SIGKILL after 20 s). Not in a $(...):
# only this shell can wait for its children.
stop() {
    local what=$1 pid=$2 i rc=0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    emit "$what" "$rc"
}
uid_of() { awk '/^Uid:/ { print $2 }' "/proc/$1/status"; }
# The runtime folder the unit's RuntimeDirectory=vmm would make, for the admin socket.
runtime_dir() { install -d -o vmm -g vmm -m 0755 /run/vmm; }
host_list() { vmmctl --json host list; }
host_listed() { vmmctl --json host list | grep -q "\"$1\""; }
hostd_args=(--libvirt-uri test:///default --host-name vmm-deb-install --controllers 127.0.0.1:7400)

# logrotate_reads PREFIX FILE: the shipped logrotate file as logrotate reads it (-d: a dry run, nothing
# rotated), once user vmm exists.
logrotate_reads() {
    local rc=0 out
    out=$(logrotate -d "$2" 2>&1) || rc=$?
    emit "$1.logrotate.exit" "$rc"
    emit "$1.logrotate.errors" "$(grep -i 'error' <<<"$out" | head -n1 || true)"
}

# run_both PREFIX N [HOSTD_OPTION...]: the installed controller and hostd as vmm, hostd on libvirt's test
# driver, reporting to the controller: the host appears only if hostd read its key and the controller accepts
# what it signs with it. hostd's key is derived from the installed master with the installed vmmctl, as an
# operator does (README: vmmctl key derive), into a folder of this run's (the package's host.key is left as it
# is, for the facts that follow). Logs go to controller-N.log and hostd-N.log.
run_both() {
    local prefix=$1 n=$2 controller hostd derived=/run/vmm-test/host.key
    shift 2
    install -d -o root -g vmm -m 0750 /run/vmm-test
    step "$prefix: derive the host key" vmmctl key derive vmm-deb-install --key-file "$key" --force "$derived"
    chgrp vmm "$derived"
    start "$work/controller-$n.log" "${as_vmm[@]}" /usr/bin/vmm-controller
    controller=$started
    await "$prefix: the controller runs" "$controller" "$work/controller-$n.log" host_list
    start "$work/hostd-$n.log" "${as_vmm[@]}" /usr/bin/vmm-hostd "$@" "${hostd_args[@]}" --key-file "$derived"
    hostd=$started
    await "$prefix: hostd reaches the controller" "$hostd" "$work/hostd-$n.log" host_listed vmm-deb-install
    emit "$prefix.run.uid" "$(uid_of "$hostd")"
    emit "$prefix.run.host_list" "$(host_list | tr -d '\n')"
    stop "$prefix.run.exit" "$hostd"
    stop "$prefix.run.controller_exit" "$controller"
    rm -rf /run/vmm-test
}

# ---- 1. vmm-controller, first install ----
step "controller: install" dpkg -i "$controller_deb"
facts controller
logrotate_reads controller /etc/logrotate.d/vmm-controller
emit controller.run_dir_systemd "$([[ -e /run/systemd/system ]] && echo present || echo absent)"

# The installed daemon as the unit runs it (ExecStart=/usr/bin/vmm-controller, User=vmm, Group=vmm):
# no option, so its defaults and /etc/vmm/controller.toml, the key included.
runtime_dir
start "$work/controller-1.log" "${as_vmm[@]}" /usr/bin/vmm-controller
controller=$started
await "controller: run as vmm" "$controller" "$work/controller-1.log" host_list
emit controller.run.uid "$(uid_of "$controller")"
emit controller.run.host_list "$(host_list | tr -d '\n')"
stop controller.run.exit "$controller"
# The same as a user outside group vmm: the key must be out of its reach.
rc=0
out=$(setpriv --reuid nobody --regid nogroup --clear-groups /usr/bin/vmm-controller 2>&1) || rc=$?
emit controller.nobody.exit "$rc"
emit controller.nobody.output "$(echo "$out" | head -n1)"

# ---- 2. reinstall, then upgrade, over an operator's edit ----
sed -i 's/^#down-after = 3$/down-after = 5/' /etc/vmm/controller.toml
grep -q '^down-after = 5$' /etc/vmm/controller.toml || fail "upgrade: cannot edit /etc/vmm/controller.toml (no '#down-after = 3' line)"
emit edited.conf.sha256 "$(sha256sum /etc/vmm/controller.toml | cut -d' ' -f1)"
step "controller: reinstall" dpkg -i --force-confold "$controller_deb"
facts reinstalled
emit reinstalled.conf.sha256 "$(sha256sum /etc/vmm/controller.toml | cut -d' ' -f1)"

# The next version, whose shipped controller.toml changed: the case where dpkg asks (--force-confold:
# keep the operator's file; the new one is set beside it as .dpkg-dist).
version=$(dpkg-deb -f "$controller_deb" Version)
step "upgrade: unpack" dpkg-deb -R "$controller_deb" "$work/upgrade"
sed -i "s/^Version: .*/Version: $version+upgrade1/" "$work/upgrade/DEBIAN/control"
echo "# A line the next version added." >>"$work/upgrade/etc/vmm/controller.toml"
step "upgrade: pack" dpkg-deb -Zgzip -z1 --root-owner-group -b "$work/upgrade" "$work/upgrade.deb"
step "controller: upgrade" dpkg -i --force-confold "$work/upgrade.deb"
facts upgraded
emit upgraded.conf.sha256 "$(sha256sum /etc/vmm/controller.toml | cut -d' ' -f1)"
if [[ -f /etc/vmm/controller.toml.dpkg-dist ]]; then
    emit upgraded.dist_new_lines "$(grep -c '^# A line the next version added.$' /etc/vmm/controller.toml.dpkg-dist || true)"
else
    emit upgraded.dist_new_lines absent
fi
emit upgraded.check_config.down_after "$("${as_vmm[@]}" /usr/bin/vmm-controller --check-config 2>&1 | grep '^down-after' | tr -s ' ')"

# ---- 3. vmm-hostd beside it ----
# --force-depends: vmm-hostd depends on libvirt-daemon-system, which this machine need not have (it has
# libvirt0, all hostd links). 'apt-get install libvirt-daemon-system' in this copy was measured: 20 s
# and 7 MB from the mirror for 19 packages, systemd among them (upgraded in the copy, so no longer the
# machine's), and libvirt's own maintainer scripts run; none of that is under test, and it would make
# this test depend on the mirror. What it would add for hostd is group libvirt, which only the unit
# uses (SupplementaryGroups=libvirt); hostd here talks to libvirt's in-process test driver.
step "hostd: install" dpkg -i --force-depends "$hostd_deb"
facts hostd
logrotate_reads hostd /etc/logrotate.d/vmm-hostd
rc=0
out=$("${as_vmm[@]}" /usr/bin/vmm-hostd --config /etc/vmm/hostd.toml --check-config 2>&1) || rc=$?
emit hostd.check_config.exit "$rc"
echo "$out" >&2

# Both installed daemons as vmm, hostd on its shipped configuration (but for the test driver).
run_both hostd 2 --config /etc/vmm/hostd.toml

# ---- 4. purge, vmm-hostd first ----
# The log folder the units' LogsDirectory=vmm would have made, with a log, for the purge to find.
install -d -o vmm -g vmm -m 0750 /var/log/vmm
echo "a line of the controller's log" >/var/log/vmm/controller.log
step "hostd: purge" dpkg --purge vmm-hostd
facts purged_hostd
step "controller: purge" dpkg --purge vmm-controller
facts purged_both

# ---- 5. vmm-hostd first: its placeholder host key, kept beside the controller's master ----
step "hostd first: install" dpkg -i --force-depends "$hostd_deb"
facts hostd_first
step "hostd first: controller install" dpkg -i "$controller_deb"
facts hostd_first_controller
runtime_dir
run_both hostd_first 3

# Removed, not purged: vmm-hostd keeps its configuration, so its host key stays when the controller goes,
# and is there again, the same, when vmm-hostd comes back.
step "hostd first: remove hostd" dpkg --remove vmm-hostd
facts removed_hostd
step "hostd first: purge controller" dpkg --purge vmm-controller
facts removed_hostd_purged_controller
step "hostd first: install hostd again" dpkg -i --force-depends "$hostd_deb"
facts reinstalled_hostd

# Both purged in one dpkg run, as 'apt purge vmm-controller vmm-hostd' does.
step "hostd first: controller install again" dpkg -i "$controller_deb"
step "purge both at once" dpkg --purge vmm-controller vmm-hostd
facts purged_together

emit done yes
