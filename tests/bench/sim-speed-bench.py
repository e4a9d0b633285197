#!/usr/bin/env python3
# gst-p2p: how fast the swarm simulator runs (issue #12: 10,000 viewers,
# 30 segments in 8 minutes and 8 GiB on a 2-core machine).
#
# Runs build/sim/p2p-swarm-sim for each --run N:SEGMENTS and, with
# --baseline BIN (the simulator built from an older commit), the baseline
# with the same arguments right before it, and prints wall time, CPU time,
# peak RSS, events per CPU second, the load average at the start, and the
# ratios baseline / now. The simulated figures (offload, stalls, bytes) of
# the two must be the same for the same seed: the script says when they
# are not. Runs over a minute should hold the machine's heavy-run lock:
#
#   flock /tmp/gst-p2p-heavy.lock tests/bench/sim-speed-bench.py \
#     --baseline /tmp/p2p-swarm-sim.old --run 1000:10 --run 10000:30
#
# Results: docs/swarm-simulator.md ("Speed").
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

SAME = ("offload", "stalls", "stall_seconds", "received_bytes",
        "http_segment_bytes", "seeder_bytes", "events")


def run_one(binary, viewers, segments, seed, churn, progress):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        args = [binary, "-n", str(viewers), "--segments", str(segments),
                "--seed", str(seed), "--churn", str(churn),
                "--json=" + out.name]
        if progress:
            args.append("--progress=%d" % progress)
        load = os.getloadavg()[0]
        start = time.monotonic()
        proc = subprocess.Popen(args, stdout=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
        line = proc.stdout.read().decode().strip()
        proc.stdout.close()
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit("%s failed (status %d)" % (binary, status))
        with open(out.name) as f:
            figures = json.load(f)
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "binary": binary, "viewers": viewers, "segments": segments,
        "seed": seed, "churn": churn, "wall_s": wall, "cpu_s": cpu,
        "max_rss_mib": usage.ru_maxrss / 1024.0, "load_at_start": load,
        "events_per_cpu_s": figures["events"] / cpu if cpu else 0,
        "figures": figures, "line": line,
    }


def show(tag, r):
    print("  %-8s wall %7.1f s  cpu %7.1f s  rss %6.0f MiB  %8.0f events/cpu s"
          "  load %.1f" % (tag, r["wall_s"], r["cpu_s"], r["max_rss_mib"],
                           r["events_per_cpu_s"], r["load_at_start"]))
    print("           " + r["line"])
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sim", default="build/sim/p2p-swarm-sim")
    parser.add_argument("--baseline", help="an older p2p-swarm-sim to compare")
    parser.add_argument("--run", action="append", metavar="N:SEGMENTS",
                        help="viewers:segments (default 1000:10)")
    parser.add_argument("--baseline-max-viewers", type=int, default=2000,
                        help="runs above this many viewers skip the baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--churn", type=float, default=0.1)
    parser.add_argument("--progress", type=int, default=0,
                        help="the simulator's --progress, virtual seconds")
    parser.add_argument("--json", help="write every result here")
    opts = parser.parse_args()
    runs = opts.run or ["1000:10"]
    results = []
    for spec in runs:
        viewers, segments = (int(x) for x in spec.split(":"))
        print("N = %d, %d segments, seed %d, churn %g:" %
              (viewers, segments, opts.seed, opts.churn))
        entry = {"viewers": viewers, "segments": segments}
        if opts.baseline and viewers <= opts.baseline_max_viewers:
            entry["baseline"] = run_one(opts.baseline, viewers, segments,
                                        opts.seed, opts.churn, opts.progress)
            show("baseline", entry["baseline"])
        entry["now"] = run_one(opts.sim, viewers, segments, opts.seed,
                               opts.churn, opts.progress)
        show("now", entry["now"])
        if "baseline" in entry:
            b, n = entry["baseline"], entry["now"]
            print("  ratios   wall %.2fx  cpu %.2fx  rss %.2fx" %
                  (b["wall_s"] / n["wall_s"], b["cpu_s"] / n["cpu_s"],
                   b["max_rss_mib"] / n["max_rss_mib"]))
            diff = [k for k in SAME
                    if b["figures"].get(k) != n["figures"].get(k)]
            print("  figures  " + ("the same" if not diff else
                                   "DIFFER: " + ", ".join(diff)))
        results.append(entry)
    if opts.json:
        with open(opts.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
