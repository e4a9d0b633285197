#!/usr/bin/python3
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
"""swarm-bench.py tells a run's stalls apart: how many p2phlssrc saw as a
segment later than its deadline, how many fell in a second the CPUs were
saturated, and how far the broadcaster fell behind real time. Checks the
overlap of stalls with saturated seconds, the broadcaster's lateness, the
text of the stalls cell, what a stalled viewer logged before its stall
(printed when --check fails), and that docs/benchmarks.md written from
saved runs shows it (and nothing for runs saved before it was recorded).

usage: test-stall-attribution.py SWARM-BENCH RESULTS-JSON
"""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile


def load_bench(path):
    spec = importlib.util.spec_from_file_location("swarm_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    bench_path, saved = sys.argv[1:3]
    bench = load_bench(bench_path)

    # A stall overlaps a saturated second when any of it falls inside.
    spans = [[10_000_000, 11_000_000], [20_000_000, 21_000_000]]
    inside = {"wall-us": 10_500_000, "seconds": 0.3}
    across = {"wall-us": 19_800_000, "seconds": 0.5}
    before = {"wall-us": 9_000_000, "seconds": 0.9}
    between = {"wall-us": 11_000_000, "seconds": 1.0}
    assert bench.stalls_in_spans([inside], spans) == 1
    assert bench.stalls_in_spans([across], spans) == 1
    assert bench.stalls_in_spans([before, between], spans) == 0
    assert bench.stalls_in_spans([inside, across, before], spans) == 2
    assert bench.stalls_in_spans([inside], []) == 0

    # Segments every 2 s of running time; the fourth published 3 s late.
    published = [{"event": "segment", "running-time": i * 2_000_000_000,
                  "wall-us": 50_000_000 + i * 2_000_000 + (3_000_000 if i == 3
                                                           else 0)}
                 for i in range(6)]
    published.insert(2, {"event": "stats", "wall-us": 53_000_000})
    behind = bench.broadcaster_behind_s(published, 0, 10**9)
    assert abs(behind - 3.0) < 1e-9, behind
    # Only the segments the mode's run saw count.
    assert bench.broadcaster_behind_s(published, 0, 55_000_000) == 0.0
    assert bench.broadcaster_behind_s(published[2:3], 0, 10**9) is None

    summary = {"stalls": 3, "stall-time-s": 1.25, "stalls-late-segment": 1,
               "stalls-cpu-saturated": 2, "broadcaster-behind-s": 0.2}
    text = bench.stalls_text(summary)
    assert text == "3 (1.2 s): 1 late segment, 2 in saturated seconds", text
    late_source = dict(summary, **{"broadcaster-behind-s": 3.0})
    assert bench.stalls_text(late_source).endswith(
        ", the broadcaster 3.0 s behind at worst"), \
        bench.stalls_text(late_source)
    unrecorded = {"stalls": 3, "stall-time-s": 1.25}
    assert bench.stalls_text(unrecorded) == "3 (1.2 s)"
    none = dict(summary, stalls=0, **{"stall-time-s": 0.0})
    assert bench.stalls_text(none) == "0 (0.0 s)", bench.stalls_text(none)

    # What a stalled viewer logged from 4 s before its stall to its end.
    with tempfile.TemporaryDirectory() as out:
        os.makedirs(os.path.join(out, "n2", "p2p"))
        with open(os.path.join(out, "n2", "p2p", "v0-s0.log"), "w") as f:
            for at in ("0:00:00.500000000", "0:00:02.000000000",
                       "0:00:05.300000000", "0:00:06.000000000"):
                f.write(f"{at} 42 0x1 DEBUG p2pviewer x.cpp:1:f:<v0> {at}\n")
            f.write("a line without a time\n")
        run = {"name": "n2", "modes": {"p2p": {"sessions": [
            {"label": "v0-s0", "start-wall-us": 100_000_000,
             "stall-events": [{"wall-us": 105_000_000, "seconds": 0.5}]},
            {"label": "v1-s0", "start-wall-us": 100_000_000,
             "stall-events": []}]}}}
        traces = bench.stall_traces(run, out)
    assert len(traces) == 3, traces
    assert traces[0].startswith("p2p v0-s0: stall of 0.50 s at 5.00 s"), \
        traces[0]
    assert "0:00:02.0" in traces[1] and "0:00:05.3" in traces[2], traces

    # Rendered: one saved run given the new figures, the others as saved.
    with open(saved) as f:
        results = json.load(f)
    runs = results["swarm"]
    marked = runs[-1]["modes"]["p2p"]["summary"]
    marked.update(summary)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "results.json")
        with open(path, "w") as f:
            json.dump(results, f)
        docs = os.path.join(tmp, "docs")
        build_dir = os.path.join(tmp, "no-build")
        subprocess.run([sys.executable, bench_path, "--from-results", path,
                        "--docs", docs, "--build-dir", build_dir],
                       check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(docs, "benchmarks.md")) as f:
            lines = f.read().splitlines()
    for run in runs:
        s = run["modes"]["p2p"]["summary"]
        row = next(l for l in lines
                   if l.startswith(f"| {s['viewers']} | p2p | "))
        want = f"| {bench.stalls_text(s)} |"
        assert want in row, f"{want!r} not in {row!r}"
    print("stalls cell:", bench.stalls_text(marked))


if __name__ == "__main__":
    main()
