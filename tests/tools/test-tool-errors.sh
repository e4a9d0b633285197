#!/usr/bin/env bash
# gst-p2p: the demo and bench programs say which element is missing, and exit
# with status 1, without GLib criticals (meson suite "unit"):
#   test-tool-errors.sh P2P_DEMO P2P_BENCH_BROADCASTER P2P_BENCH_VIEWER PLUGIN_DIR
# PLUGIN_DIR holds our plugin; the system's plugins come from GStreamer's own
# directory, or from a copy of it without gst-libav (no avdec_h264).
set -u
demo=$1 broadcaster=$2 viewer=$3 plugin_dir=$4
. "$(dirname "$0")/../common/processes.sh"
failures=0
check () {  # check DESCRIPTION COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok - $what"; else echo "not ok - $what"; failures=$((failures + 1)); fi
}
no_criticals () { ! grep -q CRITICAL "$1"; }

# run NAME PLUGIN_PATH COMMAND...: output in $tmp/NAME.log, status in $status,
# with a registry of its own (nothing cached from another run).
run () {
  local name=$1 path=$2; shift 2
  env -u GST_PLUGIN_PATH GST_PLUGIN_PATH_1_0="$path" \
    GST_REGISTRY_1_0="$tmp/$name.registry" timeout 60 "$@" >"$tmp/$name.log" 2>&1
  status=$?
  sed "s/^/  $name: /" "$tmp/$name.log"
}

# Our plugin missing.
run demo-no-plugin "$tmp/empty" "$demo" -n 1 -d 10
check "p2p-demo without our plugin exits with status 1" test "$status" -eq 1
check "and names p2pswarmsink" grep -q 'no element "p2pswarmsink"' "$tmp/demo-no-plugin.log"
check "without criticals" no_criticals "$tmp/demo-no-plugin.log"
run broadcaster-no-plugin "$tmp/empty" "$broadcaster" --port 0
check "p2p-bench-broadcaster without our plugin exits with status 1" test "$status" -eq 1
check "and names p2pswarmsink" grep -q 'no element "p2pswarmsink"' "$tmp/broadcaster-no-plugin.log"
check "without criticals" no_criticals "$tmp/broadcaster-no-plugin.log"
run viewer-no-plugin "$tmp/empty" "$viewer" --mode p2p --url http://127.0.0.1:9/live.m3u8
check "p2p-bench-viewer without our plugin exits with status 1" test "$status" -eq 1
check "and names p2phlssrc" grep -q 'no element "p2phlssrc"' "$tmp/viewer-no-plugin.log"
check "without criticals" no_criticals "$tmp/viewer-no-plugin.log"

# The viewers' decoder missing: the broadcast runs, every viewer fails, and
# the table says so.
system_dir=$(pkg-config --variable=pluginsdir gstreamer-1.0)
mkdir -p "$tmp/system"
for plugin in "$system_dir"/*.so; do
  case $(basename "$plugin") in libgstlibav.so) ;; *) ln -s "$plugin" "$tmp/system/" ;; esac
done
GST_PLUGIN_SYSTEM_PATH_1_0="$tmp/system" run demo-no-decoder "$plugin_dir" "$demo" -n 2 -d 10
check "p2p-demo without avdec_h264 exits with status 1" test "$status" -eq 1
check "and names avdec_h264" grep -q 'no element "avdec_h264"' "$tmp/demo-no-decoder.log"
check "its table shows both viewers failed" test "$(grep -c FAILED "$tmp/demo-no-decoder.log")" -ge 3
check "without criticals" no_criticals "$tmp/demo-no-decoder.log"

[ "$failures" -eq 0 ]
