#!/usr/bin/env bash
# Installs the Debian packages named as arguments, but only those not installed yet,
# so that on a machine that has them all this is a quiet no-op (no apt-get at all).
# Usage: tests/tools/ensure-packages.sh PKG...
set -euo pipefail

missing=()
for pkg in "$@"; do
    # dpkg-query prints "install ok installed" only for a fully installed package.
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ $status == "install ok installed" ]] || missing+=("$pkg")
done
(( ${#missing[@]} == 0 )) && exit 0

sudo=()
if (( EUID != 0 )); then
    command -v sudo >/dev/null || { echo "ensure-packages: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo -n)
fi

# env inside sudo: sudo would drop an exported DEBIAN_FRONTEND. The lock timeout rides out
# a concurrent apt (unattended-upgrades on a fresh machine) instead of failing at once.
apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
echo "ensure-packages: installing ${missing[*]}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# apt's chatter (debconf notices included) is shown only if it fails.
if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure-packages: could not install ${missing[*]}" >&2
    exit 1
fi
