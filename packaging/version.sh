#!/usr/bin/env bash
# Prints the version the packages carry: <Version> of Directory.Build.props, the one the binaries carry.
set -euo pipefail
props=$(dirname "$0")/../Directory.Build.props
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$props")
[[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "version: no usable <Version> in $props" >&2; exit 1; }
echo "$version"
