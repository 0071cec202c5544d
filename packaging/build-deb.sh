#!/usr/bin/env bash
# Builds the vmm-controller and vmm-hostd .deb packages from the binaries of `make build`: stages them
# (stage.sh) beside a copy of packaging/debian/, then runs dpkg-buildpackage, which builds nothing
# (see debian/rules) and packs. The package version is Directory.Build.props' <Version>, and
# debian/changelog must have an entry for it.
#
# Usage: packaging/build-deb.sh [BINDIR [OUTDIR]]     (default: out/ and out/packages/)
# Needs: debhelper, dpkg-dev, help2man (make deb installs them).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bindir=$(realpath "${1:-$root/out}")
outdir=${2:-$root/out/packages}
version=$("$root/packaging/version.sh")

changelog_version=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Version)
if [[ $changelog_version != "$version" ]]; then
    echo "build-deb: packaging/debian/changelog is at $changelog_version but Directory.Build.props at $version:" \
        "add an entry for $version (dch -c packaging/debian/changelog -v $version)" >&2
    exit 1
fi
# The man pages' date: the changelog's, as dpkg-buildpackage gives the rest of the build.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$root/packaging/debian/changelog" -S Timestamp)
export SOURCE_DATE_EPOCH

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$work/vmm-$version
"$root/packaging/stage.sh" "$bindir" "$src"
cp -r "$root/packaging/debian" "$src/debian"
# The units, the sysusers file and the logrotate files are shared with the rpm: debhelper finds them under
# its own names (dh_installlogrotate makes /etc/logrotate.d/PACKAGE a conffile).
for package in vmm-hostd vmm-controller; do
    cp "$src/systemd/$package.service" "$src/debian/$package.service"
    cp "$src/sysusers/vmm.conf" "$src/debian/$package.sysusers"
    cp "$src/logrotate/$package" "$src/debian/$package.logrotate"
done

source "$root/packaging/pack.sh"
pack build-deb "$work/build.log" env --chdir="$src" dpkg-buildpackage -b -us -uc --no-sign
deliver "$outdir" "$work/vmm-controller_${version}_"*.deb "$work/vmm-hostd_${version}_"*.deb
