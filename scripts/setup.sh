#!/usr/bin/env bash
# setup.sh: install the Debian packages muonlab needs (only those missing)
# and configure the build directory.  Run as root on a fresh Debian 12, or
# as a user who already has the packages.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build tools and libraries, and the data sets (REFERENCE.md section 7).
packages=(gcc pkgconf meson ninja-build cmake python3
          libopenblas-dev liblapacke-dev libgsl-dev check zlib1g-dev
          libjansson-dev libdnnl-dev gnuplot-nox
          dataset-fashion-mnist fortunes wamerican)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
        || missing+=("$p")
done
if ((${#missing[@]})); then
    if [ "$(id -u)" -ne 0 ]; then
        echo "setup: missing packages: ${missing[*]}" >&2
        echo "setup: run as root, or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

builddir=${1:-build}
meson setup "$builddir" --buildtype=release \
    $( [ -f "$builddir/build.ninja" ] && echo --reconfigure ) >/dev/null
meson compile -C "$builddir" >/dev/null
echo "setup: built $builddir/src/cli/muonlab"
