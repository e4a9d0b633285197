#!/usr/bin/env bash
# gst-p2p differential tracker test (meson suite "tracker"):
#   run-diff.sh [--tls] P2P_TRACKER_BINARY
# Starts our p2p-tracker and the npm bittorrent-tracker server on 127.0.0.1
# ports they pick, runs diff.mjs against both, stops both by pid. With --tls
# our tracker serves wss:// with a self-signed certificate made here (with
# openssl), and the clients trust only that certificate.
# Exits 77 (skip) when node or the npm packages are missing, 1 under CI.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tls=
[ "${1:-}" = --tls ] && { tls=1; shift; }
tracker=$1
if ! command -v node >/dev/null || [ ! -d "$here/node_modules/bittorrent-tracker" ]; then
  echo "node or tests/tracker-diff/node_modules missing (run scripts/setup.sh)"
  # In CI the set-up installs them: missing there is a failure, not a skip.
  [ -n "${CI:-}" ] && exit 1
  exit 77
fi

tmp=$(mktemp -d)
pids=()
cleanup () {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

port_of () {
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$1")
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.1
  done
  cat "$1" >&2
  return 1
}

tracker_args=(--address 127.0.0.1 --port 0 --log-level warning)
scheme=ws
if [ -n "$tls" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=gst-p2p-test -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null \
    || { echo "openssl req failed"; exit 1; }
  tracker_args+=(--tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem")
  scheme=wss
  export TRACKER_DIFF_CA="$tmp/cert.pem"
fi

"$tracker" "${tracker_args[@]}" >"$tmp/ours.log" 2>&1 &
pids+=($!)
node "$here/bt-server.mjs" 0 >"$tmp/bt.log" 2>&1 &
pids+=($!)

ours_port=$(port_of "$tmp/ours.log") || { echo "p2p-tracker did not start"; exit 1; }
bt_port=$(port_of "$tmp/bt.log") || { echo "bittorrent-tracker did not start"; exit 1; }
echo "p2p-tracker on $scheme port $ours_port, bittorrent-tracker on ws port $bt_port"

timeout 90 node "$here/diff.mjs" "$scheme://127.0.0.1:$ours_port" "ws://127.0.0.1:$bt_port"
