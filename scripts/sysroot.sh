#!/usr/bin/env bash
# Builds a private target sysroot from Debian's own arm64 / armhf packages:
#
#   scripts/sysroot.sh arm64|armhf [DIR]      (default DIR: build-cross/sysroot-<arch>)
#
# Installs the cross compilers and qemu-user on the host (apt-get), then `apt-get download`s the
# target's -dev packages and unpacks them with `dpkg-deb -x` into DIR. It never installs
# `pkg:arm64` into the host system: XNNPACK and pthreadpool are not Multi-Arch: same and cpuinfo
# conflicts on files (Debian 12). glibc and libstdc++ come from the cross toolchain
# (/usr/aarch64-linux-gnu, /usr/arm-linux-gnueabihf). Idempotent: a stamp file records the
# package list, and nothing is downloaded when it matches.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

arch=${1:-}
case "$arch" in
  arm64) triplet=aarch64-linux-gnu; qemu_pkg=qemu-user ;;
  armhf) triplet=arm-linux-gnueabihf; qemu_pkg=qemu-user ;;
  *) echo "usage: $0 arm64|armhf [DIR]" >&2; exit 2 ;;
esac
sysroot=${2:-$root/build-cross/sysroot-$arch}

# Target packages: the libraries the runtime, converter, tests and benchmarks link against.
# Header-only packages (doctest, CLI11, nlohmann-json) are Architecture: all and come along so
# that find_package() finds everything inside the sysroot.
target_packages=(
  libflatbuffers-dev libflatbuffers2
  libfmt-dev libfmt9
  libutf8proc-dev libutf8proc2
  libbenchmark-dev libbenchmark1debian
  libxnnpack-dev libxnnpack0 libpthreadpool-dev libpthreadpool0 libcpuinfo-dev libcpuinfo0
)
arch_all_packages=(doctest-dev libcli11-dev nlohmann-json3-dev)
host_packages=("g++-$triplet" "$qemu_pkg" dpkg-dev)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

# A partial index failure is tolerated when the target packages still resolve: the armhf
# security index was seen failing for hours ("Mirror sync in progress"), and the main archive
# carries every package listed above.
apt_update() {
  for attempt in 1 2 3 4; do
    if "${sudo_cmd[@]}" apt-get update -q; then return 0; fi
    if [ -n "${1:-}" ] && apt-cache show "$1" >/dev/null 2>&1; then
      echo "sysroot: apt-get update reported errors; $1 resolves, going on" >&2
      return 0
    fi
    echo "sysroot: apt-get update failed (attempt $attempt), retrying in $((attempt * 5)) s" >&2
    sleep $((attempt * 5))
  done
  echo "sysroot: apt-get update failed 4 times" >&2
  return 1
}

updated=0
missing=()
for p in "${host_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "sysroot: installing host packages ${missing[*]}"
  apt_update "${missing[0]}"; updated=1
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

stamp="$sysroot/.edgebert-sysroot"
want="$arch ${target_packages[*]} ${arch_all_packages[*]}"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "sysroot: $sysroot is up to date"
  exit 0
fi

if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  "${sudo_cmd[@]}" dpkg --add-architecture "$arch"
  updated=0
fi
# The foreign architecture's package index must be present before `apt-get download pkg:arch`.
if [ "$updated" -eq 0 ] && ! apt-cache show "libfmt9:$arch" >/dev/null 2>&1; then
  apt_update "libfmt9:$arch"
fi

downloads="$root/build-cross/debs-$arch"
rm -rf "$sysroot" "$downloads"
mkdir -p "$sysroot" "$downloads"
echo "sysroot: downloading $((${#target_packages[@]} + ${#arch_all_packages[@]})) packages for $arch"
specs=("${arch_all_packages[@]}")
for p in "${target_packages[@]}"; do specs+=("$p:$arch"); done
for attempt in 1 2 3; do
  if (cd "$downloads" && apt-get download -q "${specs[@]}"); then break; fi
  [ "$attempt" -eq 3 ] && { echo "sysroot: apt-get download failed 3 times" >&2; exit 1; }
  sleep $((attempt * 5))
done
for deb in "$downloads"/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
rm -rf "$downloads"
echo "$want" > "$stamp"
echo "sysroot: $sysroot ready ($(du -sh "$sysroot" | cut -f1))"
