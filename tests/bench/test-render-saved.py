#!/usr/bin/python3
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
"""swarm-bench.py --from-results: docs/benchmarks.md written again from the
runs saved in docs/benchmarks/results.json must describe them as they ran
(their bitrate and rate scale, from their own command line) and carry their
figures (offload, and where the viewers' CPU went where they recorded it),
whatever the rendering command's own settings.

usage: test-render-saved.py SWARM-BENCH RESULTS-JSON
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile


def main():
    bench, saved = sys.argv[1:3]
    with open(saved) as f:
        runs = json.load(f)["swarm"]
    command = shlex.split(runs[0]["command"])
    scale = float(command[command.index("--rate-scale") + 1]) \
        if "--rate-scale" in command else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        results = os.path.join(tmp, "results")
        for run in runs:
            os.makedirs(os.path.join(results, run["name"]))
            with open(os.path.join(results, run["name"], "results.json"),
                      "w") as f:
                json.dump(run, f)
        docs = os.path.join(tmp, "docs")
        # Settings of the rendering command that must not leak into the text.
        subprocess.run([sys.executable, bench, "--from-results", results,
                        "--docs", docs, "--rate-scale", "0.5",
                        "--bitrate", "1000"], check=True)
        with open(os.path.join(docs, "benchmarks.md")) as f:
            text = f.read()
    stream = re.search(r"^- Stream: (\d+) kbit/s \((\d+) kbit/s scaled by "
                       r"--rate-scale ([\d.]+),", text, re.M)
    assert stream, "no set-up line"
    assert float(stream.group(3)) == scale, stream.group(0)
    assert int(stream.group(1)) == round(int(stream.group(2)) * scale), \
        stream.group(0)
    assert runs[0]["command"] in text, "the runs' command is not shown"
    for run in runs:
        p2p = run["modes"]["p2p"]["summary"]
        row = f"| {p2p['viewers']} | p2p | "
        line = next((l for l in text.splitlines() if l.startswith(row)), None)
        assert line, f"no row for N = {p2p['viewers']}"
        assert f"| {100 * p2p['offload']:.1f} % |" in line, line
        # Runs that recorded their viewers' threads show where CPU went.
        cpu = p2p.get("cpu-ms-per-s")
        if cpu:
            row = f"| {p2p['viewers']} | {cpu['total']:.1f} | "
            line = next((l for l in text.splitlines() if l.startswith(row)),
                        None)
            assert line, f"no CPU row for N = {p2p['viewers']}"
            # And the connections its viewers set up, where it counted them.
            connections = p2p.get("peer-connections-per-minute")
            if connections is not None:
                assert line.endswith(f" {connections:.1f} |"), line
    print(stream.group(0))


if __name__ == "__main__":
    main()
