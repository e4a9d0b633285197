#!/usr/bin/env bash
# gst-p2p tracker benchmark: p2p-tracker (one node, and two nodes sharing a
# Redis) vs the npm bittorrent-tracker server
# under the same load on this machine. Prints announces/s, relay latency,
# RSS per idle connection, CPU per message and ratios; writes
# docs/tracker-benchmark.{json,png}. Arguments go to tracker-bench.py
# (--build DIR, --baseline-build DIR, --duration S, ...). Bounded to 40 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
ulimit -n "$(ulimit -Hn)"
# Debian's python3 has python3-matplotlib (scripts/setup.sh); a python3
# earlier in PATH (pyenv, venv) may not.
python=python3
[ -x /usr/bin/python3 ] && python=/usr/bin/python3
exec timeout 2400 "$python" tests/bench/tracker-bench.py "$@"
