#!/usr/bin/python3
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
"""swarm-bench.py --from-results: docs/benchmarks.md written again from the
runs saved in docs/benchmarks/results.json must describe them as they ran
(their bitrate and rate scale, from their own command line) and carry their
figures (offload, and where the viewers' CPU went where they recorded it),
whatever the rendering command's own settings; and each run beside the
simulator on that run's own viewers (p2p-swarm-sim --scenario): the figure
the simulator gives now for runs saved without one, the saved figure
(the engine's at the time of the run) for the others; and the packets each
viewer's uplink sent a second besides segment data, real (the caps'
counters less uploaded bytes over 1,172-byte packets, per watched second)
beside simulated.

usage: test-render-saved.py SWARM-BENCH RESULTS-JSON P2P-SWARM-SIM
"""
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile


def simulate(sim, run, command, tmp):
    """The simulator's figures on @run's viewers, with its stream."""
    def setting(name, default):
        return command[command.index(name) + 1] if name in command \
            else default
    scenario = os.path.join(tmp, run["name"] + "-scenario.json")
    with open(scenario, "w") as f:
        json.dump({"duration-s": run["duration-s"],
                   "viewers": run["viewers"]}, f)
    out = os.path.join(tmp, run["name"] + "-sim.json")
    subprocess.run([sim, "--scenario", scenario,
                    "--bitrate", setting("--bitrate", "3000"),
                    "--rate-scale", setting("--rate-scale", "1"),
                    "--segment-duration", setting("--segment-duration", "2"),
                    "--seed", setting("--seed", "1"), "--json", out],
                   check=True, stdout=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


def real_other_packets(run):
    """Uplink packets a second per watched viewer besides data packets."""
    p2p = run["modes"]["p2p"]
    uploaded = sum(v["uploaded-bytes"] for v in p2p["viewers"])
    packets = sum(c["packets"] for c in p2p["uplinks"]["viewers"].values())
    watched = sum(end - start for v in run["viewers"]
                  for start, end in v["sessions"])
    return (packets - uploaded / 1172) / watched


def main():
    bench, saved, sim = sys.argv[1:4]
    build_dir = os.path.dirname(os.path.dirname(os.path.abspath(sim)))
    with open(saved) as f:
        runs = json.load(f)["swarm"]
    command = shlex.split(runs[0]["command"])
    scale = float(command[command.index("--rate-scale") + 1]) \
        if "--rate-scale" in command else 1.0
    with tempfile.TemporaryDirectory() as tmp:
        results = os.path.join(tmp, "results")
        for run in runs:
            os.makedirs(os.path.join(results, run["name"]))
            # As saved before runs were replayed: the rendering replays them.
            unreplayed = json.loads(json.dumps(run))
            unreplayed["modes"]["p2p"].pop("simulated", None)
            with open(os.path.join(results, run["name"], "results.json"),
                      "w") as f:
                json.dump(unreplayed, f)
        docs = os.path.join(tmp, "docs")
        # Settings of the rendering command that must not leak into the text.
        subprocess.run([sys.executable, bench, "--from-results", results,
                        "--docs", docs, "--rate-scale", "0.5",
                        "--bitrate", "1000", "--build-dir", build_dir],
                       check=True)
        with open(os.path.join(docs, "benchmarks.md")) as f:
            text = f.read()
        simulated = {run["name"]: simulate(sim, run, command, tmp)
                     for run in runs}
        # Rendered from the saved file itself, the saved figures and the
        # client cost stay.
        subprocess.run([sys.executable, bench, "--from-results", saved,
                        "--docs", docs, "--build-dir", build_dir],
                       check=True)
        with open(os.path.join(docs, "benchmarks.md")) as f:
            again = f.read()
        with open(saved) as f:
            has_cost = json.load(f).get("client-cost") is not None
        assert ("## Client cost" in again) == has_cost, \
            "the saved client cost was not rendered"
        for run in runs:
            saved_figure = run["modes"]["p2p"].get("simulated")
            if saved_figure:
                row = (f"| {run['modes']['p2p']['summary']['viewers']} | "
                       f"{100 * run['modes']['p2p']['summary']['offload']:.1f}"
                       f" % | {100 * saved_figure['offload']:.1f} % | ")
                assert any(l.startswith(row) for l in again.splitlines()), \
                    f"the saved simulated figure is not shown: {row!r}"
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
        # The simulator's figure now for the same viewers, and the gap.
        figures = simulated[run["name"]]
        offload = figures["offload"]
        row = (f"| {p2p['viewers']} | {100 * p2p['offload']:.1f} % | "
               f"{100 * offload:.1f} % | "
               f"{100 * (p2p['offload'] - offload):+.1f} points | ")
        line = next((l for l in text.splitlines() if l.startswith(row)), None)
        assert line, f"no simulated row {row!r}"
        # Beside it, what the uplinks sent besides data, real / simulated.
        packets = (f"| {real_other_packets(run):.0f} / "
                   f"{figures['other_packets_per_s']:.0f} |")
        assert packets in line, f"{packets!r} not in {line!r}"
    print(stream.group(0))


if __name__ == "__main__":
    main()
