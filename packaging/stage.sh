#!/usr/bin/env bash
# Assembles what both packages are made of into one folder, for build-deb.sh and build-rpm.sh:
#   bin/          the Native AOT binaries of `make build` (not their .dbg symbol files)
#   man/          vmmctl.1, vmm-hostd.8, vmm-controller.8, rendered from the binaries (man/render-man.sh)
#   etc/          hostd.toml and controller.toml, the shipped configuration
#   completions/  vmmctl (bash)
#   sysctl/       30-vmm-controller.conf
#   sysusers/     vmm.conf
#   systemd/      vmm-hostd.service, vmm-controller.service
#   doc/          copyright (debian/copyright, machine-readable, which the rpm ships as its license file)
# It also checks that the shipped configuration still matches the binaries (etc/render-config.sh).
#
# Usage: packaging/stage.sh BINDIR STAGEDIR     (STAGEDIR is emptied first)
set -euo pipefail

bindir=${1:?usage: stage.sh BINDIR STAGEDIR}
stage=${2:?usage: stage.sh BINDIR STAGEDIR}
here=$(cd "$(dirname "$0")" && pwd)

for name in vmmctl vmm-hostd vmm-controller; do
    [[ -x $bindir/$name ]] || { echo "stage: no $bindir/$name; run 'make build' first" >&2; exit 1; }
done
for unit in vmm-hostd.service vmm-controller.service; do
    [[ -f $here/systemd/$unit ]] || { echo "stage: no packaging/systemd/$unit" >&2; exit 1; }
done
# A shipped file that no longer matches the binary would mislead whoever reads it.
for daemon in hostd controller; do
    if ! "$here/etc/render-config.sh" "$bindir/vmm-$daemon" | cmp -s - "$here/etc/$daemon.toml"; then
        echo "stage: packaging/etc/$daemon.toml does not match $bindir/vmm-$daemon (its settings changed);" \
            "run: packaging/etc/render-config.sh $bindir/vmm-$daemon > packaging/etc/$daemon.toml" >&2
        exit 1
    fi
done

rm -rf "$stage"
mkdir -p "$stage"/{bin,etc,completions,sysctl,sysusers,systemd,logrotate,doc}
cp -p "$bindir"/{vmmctl,vmm-hostd,vmm-controller} "$stage/bin/"
"$here/man/render-man.sh" "$stage/bin" "$stage/man"
cp "$here"/etc/{hostd,controller}.toml "$stage/etc/"
cp "$here/completion/vmmctl.bash" "$stage/completions/vmmctl"
cp "$here/sysctl/30-vmm-controller.conf" "$stage/sysctl/"
cp "$here/sysusers/vmm.conf" "$stage/sysusers/"
cp "$here"/systemd/{vmm-hostd,vmm-controller}.service "$stage/systemd/"
cp "$here"/logrotate/{vmm-hostd,vmm-controller} "$stage/logrotate/"
cp "$here/debian/copyright" "$stage/doc/copyright"
