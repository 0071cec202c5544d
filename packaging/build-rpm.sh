#!/usr/bin/env bash
# Builds the vmm-controller and vmm-hostd .rpm packages from the binaries of `make build`: stages them
# (stage.sh), then runs rpmbuild on packaging/rpm/vmm.spec, which builds nothing and packs. The
# version is Directory.Build.props' <Version>, and the spec's %changelog must have an entry for it.
#
# Usage: packaging/build-rpm.sh [BINDIR [OUTDIR]]     (default: out/ and out/packages/)
# Needs: rpm (rpmbuild), help2man (make rpm installs them).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bindir=$(realpath "${1:-$root/out}")
outdir=${2:-$root/out/packages}
spec=$root/packaging/rpm/vmm.spec
version=$("$root/packaging/version.sh")

# The newest %changelog entry: "* Mon Nov 24 2025 Name <mail> - 0.1.0-1".
entry=$(sed -n '/^%changelog/,$ { /^\* /{p;q} }' "$spec")
if [[ $entry != *" - $version-"* ]]; then
    echo "build-rpm: the newest %changelog entry of packaging/rpm/vmm.spec is not for $version" \
        "(Directory.Build.props): add one" >&2
    exit 1
fi
# The man pages' date: the changelog's (rpm's own SOURCE_DATE_EPOCH rule).
SOURCE_DATE_EPOCH=$(date -u -d "$(awk '{print $2, $3, $4, $5}' <<<"$entry")" +%s)
export SOURCE_DATE_EPOCH

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$root/packaging/stage.sh" "$bindir" "$work/stage"
source "$root/packaging/pack.sh"
pack build-rpm "$work/build.log" rpmbuild -bb --target x86_64 --quiet \
    --define "_topdir $work/rpmbuild" \
    --define "stagedir $work/stage" \
    --define "vmm_version $version" \
    "$spec"
deliver "$outdir" "$work/rpmbuild/RPMS/x86_64/vmm-controller-$version-"*.rpm "$work/rpmbuild/RPMS/x86_64/vmm-hostd-$version-"*.rpm
