#!/usr/bin/env bash
# meson install into a temporary directory, then: the plugin, the engine
# library, its headers and gst-p2p-1.0.pc are there, and
# examples/embed-viewer.cpp builds with g++ against them alone (the .pc's
# prefix pointed at the staged install) and runs.
# Usage: check-install.sh BUILD_DIR SOURCE_DIR PREFIX LIBDIR
set -euo pipefail
build="$1" source="$2" prefix="$3" libdir="$4"
case "$libdir" in /*) ;; *) libdir="$prefix/$libdir" ;; esac
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

meson install -C "$build" --destdir "$stage/root" --no-rebuild --quiet
root="$stage/root"
for file in "$libdir/gstreamer-1.0/libgstp2p.so" \
    "$libdir/libgstp2pengine-1.0.so" \
    "$libdir/pkgconfig/gst-p2p-1.0.pc" \
    "$prefix/include/gst-p2p-1.0/gst/p2p/viewer/viewer.h"; do
  [ -e "$root$file" ] || { echo "not installed: $file"; exit 1; }
done

mkdir "$stage/pkgconfig"
sed "s|^prefix=.*|prefix=$root$prefix|" "$root$libdir/pkgconfig/gst-p2p-1.0.pc" \
  > "$stage/pkgconfig/gst-p2p-1.0.pc"
export PKG_CONFIG_PATH="$stage/pkgconfig"
# shellcheck disable=SC2046  # pkg-config's words are separate arguments
g++ -std=c++17 -o "$stage/embed-viewer" "$source/examples/embed-viewer.cpp" \
  $(pkg-config --cflags --libs gst-p2p-1.0)

# It runs on the installed library: without arguments it prints its usage.
set +e
output="$(LD_LIBRARY_PATH="$root$libdir" "$stage/embed-viewer" 2>&1)"
status=$?
set -e
if [ "$status" -ne 2 ] || [[ "$output" != *usage* ]]; then
  echo "embed-viewer did not run (status $status): $output"
  exit 1
fi
echo "installed and built examples/embed-viewer.cpp against gst-p2p-1.0.pc"
