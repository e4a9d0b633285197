#!/usr/bin/env bash
# gst-p2p differential tracker test (meson suite "tracker"):
#   run-diff.sh [--tls] [--cluster REDIS_SERVER] P2P_TRACKER_BINARY
# Starts our p2p-tracker and the npm bittorrent-tracker server on 127.0.0.1
# ports they pick, runs diff.mjs against both, stops both by pid. With --tls
# our tracker serves wss:// with a self-signed certificate made here (with
# openssl), and the clients trust only that certificate. With --cluster our
# tracker is two nodes sharing a redis-server started here: the peers of
# each scenario take the nodes in turn, and must see one tracker.
# Exits 77 (skip) when node or the npm packages are missing, 1 under CI.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tls= redis_server=
while [ $# -gt 1 ]; do
  case "$1" in
    --tls) tls=1; shift ;;
    --cluster) redis_server=$2; shift 2 ;;
    *) break ;;
  esac
done
tracker=$1
if ! command -v node >/dev/null || [ ! -d "$here/node_modules/bittorrent-tracker" ]; then
  echo "node or tests/tracker-diff/node_modules missing (run scripts/setup.sh)"
  # In CI the set-up installs them: missing there is a failure, not a skip.
  [ -n "${CI:-}" ] && exit 1
  exit 77
fi

. "$here/../common/processes.sh"

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

nodes=1
if [ -n "$redis_server" ]; then
  # a free port for Redis: bind 0, read it, release it
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  start_background "$tmp/redis.log" "$redis_server" --port "$redis_port" \
    --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp"
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$redis_port") 2>/dev/null && break
    sleep 0.1
  done
  tracker_args+=(--redis "redis://127.0.0.1:$redis_port")
  nodes=2
fi

urls=
for n in $(seq "$nodes"); do
  start_background "$tmp/ours-$n.log" "$tracker" "${tracker_args[@]}"
  port=$(listening_port "$tmp/ours-$n.log") || { echo "p2p-tracker did not start"; exit 1; }
  urls="${urls:+$urls,}$scheme://127.0.0.1:$port"
done
start_background "$tmp/bt.log" node "$here/bt-server.mjs" 0
bt_port=$(listening_port "$tmp/bt.log") || { echo "bittorrent-tracker did not start"; exit 1; }
echo "p2p-tracker on $urls, bittorrent-tracker on ws port $bt_port"

timeout 90 node "$here/diff.mjs" "$urls" "ws://127.0.0.1:$bt_port"
