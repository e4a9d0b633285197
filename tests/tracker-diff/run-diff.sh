#!/usr/bin/env bash
# gst-p2p differential tracker test (meson suite "tracker"):
#   run-diff.sh P2P_TRACKER_BINARY
# Starts our p2p-tracker and the npm bittorrent-tracker server on 127.0.0.1
# ports they pick, runs diff.mjs against both, stops both by pid.
# Exits 77 (skip) when node or the npm packages are missing, 1 under CI.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tracker=$1
if ! command -v node >/dev/null || [ ! -d "$here/node_modules/bittorrent-tracker" ]; then
  echo "node or tests/tracker-diff/node_modules missing (run scripts/setup.sh)"
  # In CI the set-up installs them: missing there is a failure, not a skip.
  [ -n "${CI:-}" ] && exit 1
  exit 77
fi

tmp=$(mktemp -d)
ours_pid= bt_pid=
cleanup () {
  for pid in $ours_pid $bt_pid; do kill -TERM "$pid" 2>/dev/null; done
  for pid in $ours_pid $bt_pid; do wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

"$tracker" --address 127.0.0.1 --port 0 --log-level warning \
  >"$tmp/ours.log" 2>&1 &
ours_pid=$!
node "$here/bt-server.mjs" 0 >"$tmp/bt.log" 2>&1 &
bt_pid=$!

port_of () {
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$1")
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  cat "$1" >&2
  return 1
}
ours_port=$(port_of "$tmp/ours.log") || { echo "p2p-tracker did not start"; exit 1; }
bt_port=$(port_of "$tmp/bt.log") || { echo "bittorrent-tracker did not start"; exit 1; }
echo "p2p-tracker on port $ours_port, bittorrent-tracker on port $bt_port"

timeout 90 node "$here/diff.mjs" "$ours_port" "$bt_port"
