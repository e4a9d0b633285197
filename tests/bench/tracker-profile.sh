#!/usr/bin/env bash
# Where p2p-tracker's CPU goes at saturation: the tracker bench's closed
# loop (500 peers in swarms of 40, from two tracker-loadgen processes) on a
# 2-worker p2p-tracker, `perf record -g` on the tracker for SECONDS
# (default 8), then the samples grouped by kind of work (kernel TCP/IP,
# io_uring, JSON codec, malloc, copies, tracker logic, WebSocket framing).
# Needs Debian's linux-perf (scripts/setup.sh) and perf_event access (root,
# or kernel.perf_event_paranoid <= 1). Usage: tracker-profile.sh [--build DIR] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build
if [ "${1:-}" = "--build" ]; then build=$2; shift 2; fi
seconds=${1:-8}
command -v perf >/dev/null || { echo "perf is missing: scripts/setup.sh installs linux-perf"; exit 1; }
ulimit -n "$(ulimit -Hn)"
work=$(mktemp -d /tmp/tracker-profile-XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
"$build/tools/p2p-tracker" --address 127.0.0.1 --port 0 --workers 2 \
  --max-connections-per-address 0 > "$work/tracker.log" 2>&1 &
tracker=$!
port=
for _ in $(seq 50); do
  port=$(grep -o 'port [0-9]*' "$work/tracker.log" | head -1 | cut -d' ' -f2 || true)
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/tracker.log"; exit 1; }
gens=()
for i in 0 1; do
  "$build/tools/tracker-loadgen" --port "$port" --connections 250 --first-peer $((i * 500)) \
    --swarms 12 --duration $((seconds + 6)) --warmup 3 > "$work/gen$i.json" 2> /dev/null &
  gens+=($!)
done
sleep 5
perf record -F 2000 -g -p "$tracker" -o "$work/perf.data" -- sleep "$seconds" > /dev/null 2>&1
wait "${gens[@]}"
kill -TERM "$tracker"
wait "$tracker" || true
echo "p2p-tracker, bench closed loop ($(python3 -c "import json;print(round(json.load(open('$work/gen0.json'))['announces_per_s']*2))") announces/s), load $(cut -d' ' -f1-3 /proc/loadavg):"
perf report -i "$work/perf.data" --stdio --no-children --sort dso,sym -g none 2>/dev/null |
  python3 -c '
import re, sys
kinds = {}
samples = 0
for line in sys.stdin:
    m = re.match(r"#\s*Samples:\s*(\S+)", line)
    if m:
        samples = m.group(1)
    m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
    if not m:
        continue
    pct, dso, kind, sym = float(m.group(1)), m.group(2), m.group(3), m.group(4)
    if kind == "k" or "kernel" in dso:
        k = "kernel: io_uring" if ("io_" in sym or "uring" in sym) else \
            "kernel: epoll" if ("epoll" in sym or sym.startswith("ep_")) else \
            "kernel: TCP/IP, copies, wake-ups, scheduling"
    elif re.search(r"malloc|free|unlink_chunk|operator new|operator delete|tcache|_int_", sym):
        k = "malloc and free"
    elif re.search(r"memmove|memcpy|memcmp|memchr|memset|strlen", sym):
        k = "memmove, memcpy, memcmp, memchr"
    elif "json::" in sym or "webtorrent::" in sym:
        k = "JSON codec (parse, write, binary ids)"
    elif "ws::" in sym or "websocket" in sym.lower():
        k = "WebSocket framing"
    elif re.search(r"SwarmShard|Worker|tracker::|Hashtable|Id20", sym):
        k = "tracker logic (swarms, relays, queues)"
    elif "std::" in sym:
        k = "std::string and std::vector"
    else:
        k = "other (" + dso + ")"
    kinds[k] = kinds.get(k, 0) + pct
print(f"{samples} samples")
for k, v in sorted(kinds.items(), key=lambda x: -x[1]):
    print(f"{v:6.1f} %  {k}")
'
