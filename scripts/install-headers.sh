#!/usr/bin/env bash
# meson install script: copies the C/C++ headers of each source directory
# given (relative to the source root) into INCLUDEDIR, keeping their paths,
# so that `#include "gst/p2p/viewer/viewer.h"` works against an install.
# Usage: install-headers.sh INCLUDEDIR DIR...
set -euo pipefail
includedir="$1"
shift
case "$includedir" in
  /*) ;;
  *) includedir="$MESON_INSTALL_PREFIX/$includedir" ;;
esac
dest="${DESTDIR:-}$includedir"
cd "$MESON_SOURCE_ROOT"
find "$@" -name '*.h' | while read -r header; do
  install -D -m 644 "$header" "$dest/$header"
done
