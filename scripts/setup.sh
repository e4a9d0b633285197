#!/usr/bin/env bash
# Installs what gst-p2p needs on Debian 12 (as root) and builds it into
# ./build with meson + ninja. Idempotent: a second run only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  meson ninja-build pkg-config g++ clang libclang-rt-14-dev
  clang-format  # tests/style: one code style, checked
  libglib2.0-dev libsoup-3.0-dev libjson-glib-dev libnice-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-nice
  libssl-dev openssl  # the tracker's TLS (wss://); tests make certificates
  glib-networking  # TLS for libsoup: the HTTP origin's https, wss:// clients
  libhiredis-dev redis-server  # tracker nodes sharing swarms; tests run Redis
  liburing-dev  # the tracker's socket reads and writes batched through io_uring
  iproute2 procps python3
  chromium  # browser interop tests (tests/interop)
  python3-matplotlib  # plots of the tracker and swarm benchmarks (tests/bench)
  linux-perf  # tests/bench/tracker-profile.sh: where the tracker's CPU goes
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" \
    || missing+=("$pkg")
done
# Node.js may come from outside Debian (with its own npm): only install
# Debian's when there is no node or npm at all.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
fi

# npm packages for the tracker differential test (bittorrent-tracker server
# and the ws client); node_modules is not committed.
if [ ! -d tests/tracker-diff/node_modules/bittorrent-tracker ]; then
  (cd tests/tracker-diff && npm install --ignore-scripts --no-audit --no-fund)
fi

# npm packages of the player page and the browser interop tests (web/).
if [ ! -f web/node_modules/.package-lock.json ] \
    || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  (cd web && npm ci --ignore-scripts --no-audit --no-fund)
fi

if [ ! -f build/build.ninja ]; then
  meson setup build
fi
ninja -C build
