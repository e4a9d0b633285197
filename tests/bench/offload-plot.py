#!/usr/bin/python3
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Offload against the number of viewers, simulated and real, for two
delivery designs in one plot (docs/benchmarks/offload-vs-n.png).

Simulated figures are p2p-swarm-sim --json files (one per run; runs of the
same N are averaged, and the spread drawn); real ones are swarm-bench.py
results.json files. Each input is given as DESIGN=PATH[,PATH...]. With
--table, it also prints each --sim design's runs as the Markdown tables of
docs/swarm-simulator.md's "Figures" and "How a segment spreads" (without
--out, only those).

  tests/bench/offload-plot.py --out docs/benchmarks/offload-vs-n.png \\
      --sim "stripes=/tmp/figs/n*.json" \\
      --sim "whole segments=/tmp/figs-old/n*.json" \\
      --sim-steady "stripes=/tmp/figs/n*.json" \\
      --real "stripes=docs/benchmarks/results.json" \\
      --real "whole segments=docs/benchmarks/results-whole-segments.json"
"""

import argparse
import collections
import glob
import json
import statistics


def parse_inputs(values):
    out = {}
    for value in values:
        design, _, paths = value.partition("=")
        files = []
        for pattern in paths.split(","):
            files += sorted(glob.glob(pattern))
        if not files:
            raise SystemExit(f"no file matches {paths!r}")
        out[design] = files
    return out


def runs_by_n(files):
    """The p2p-swarm-sim runs in @files by N, each N's in seed order; a
    seed's run counts once, however often it is given."""
    by_n = {}
    for path in files:
        with open(path) as f:
            run = json.load(f)
        by_n.setdefault(run["viewers"], {})[run["seed"]] = run
    return {n: [seeds[seed] for seed in sorted(seeds)]
            for n, seeds in sorted(by_n.items())}


def sim_points(files, steady=False):
    """Mean, min and max offload per N; @steady: the runs' steady figures
    (p2p-swarm-sim --warm-up), for the runs that have them."""
    points = []
    for n, runs in runs_by_n(files).items():
        offloads = [100 * (r["steady"] if steady else r)["offload"]
                    for r in runs if not steady or "steady" in r]
        if offloads:
            points.append((n, statistics.mean(offloads), min(offloads),
                           max(offloads)))
    return points


def number(value, digits):
    return f"{value:,.{digits}f}"


def sim_table(files):
    """Markdown rows, one per N: each figure averaged over the seeds, the
    offload also per seed; steady figures where the runs have them."""
    by_n = runs_by_n(files)
    counts = collections.Counter(run["segments"] for runs in by_n.values()
                                 for run in runs)
    usual = counts.most_common(1)[0][0] if counts else None
    rows = ["| N | seeds | offload, whole run (per seed) | steady offload "
            "(per seed) | HTTP copies/segment whole / steady | origin "
            "copies/segment whole / steady | stalls (s) | start-up s | "
            "latency s | announces/s per viewer | wall s |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for n, runs in by_n.items():
        steady = [r["steady"] for r in runs if "steady" in r]

        def mean(key, of=runs):
            return statistics.mean(r[key] for r in of)

        def offloads(of):
            cell = f"**{100 * mean('offload', of):.1f} %**"
            if len(of) > 1:
                cell += " (" + " / ".join(f"{100 * r['offload']:.1f}"
                                          for r in of) + ")"
            return cell

        def pair(key, digits=2):
            cell = number(mean(key), digits)
            return cell + (f" / {number(mean(key, steady), digits)}"
                           if len(steady) == len(runs) else "")

        # Runs of an unusual length say so (the simulator counts the
        # segments listed before the audience came too).
        segments = sorted({r["segments"] for r in runs})
        label = f"{n:,}" + (f" ({'/'.join(map(str, segments))} segments)"
                            if segments != [usual] else "")
        rows.append(
            f"| {label} | {len(runs)} | {offloads(runs)} | "
            f"{offloads(steady) if len(steady) == len(runs) else ''} | "
            f"{pair('http_copies_per_segment')} | "
            f"{pair('origin_copies_per_segment')} | "
            f"{sum(r['stalls'] for r in runs)} "
            f"({sum(r['stall_seconds'] for r in runs):.1f}) | "
            f"{mean('startup_median_s'):.2f} | {mean('latency_median_s'):.1f} | "
            f"{mean('announces_per_viewer_per_s'):.3f} | "
            f"{number(mean('wall_seconds'), 0)} |")
    return "\n".join(rows)


SPREAD_AT_S = (3, 4, 5, 6, 7, 8)


def spread_table(files):
    """Markdown rows, one per N whose runs have the steady part's spread
    (p2p-swarm-sim's steady.spread): how long after its publication a
    segment was whole at half, 90 % and 99 % of the viewers, and the share
    of copies whole at SPREAD_AT_S; each the mean over the seeds."""
    rows = ["| N | seeds | copies | whole at half of the viewers s | at 90 % "
            "s | at 99 % s | " + " | ".join(f"whole {t} s after"
                                             for t in SPREAD_AT_S) + " |",
            "|---|---|---|---|---|---|" + "---|" * len(SPREAD_AT_S)]
    for n, runs in runs_by_n(files).items():
        spreads = [r["steady"]["spread"] for r in runs
                   if "spread" in r.get("steady", {})]
        if not spreads or len(spreads) < len(runs):
            continue

        def mean(key):
            return statistics.mean(s[key] for s in spreads)

        def share_at(t):
            return statistics.mean(
                next(p["share"] for p in s["whole_by"] if p["s"] == t)
                for s in spreads)

        rows.append(
            f"| {n:,} | {len(spreads)} | "
            f"{number(sum(s['copies'] for s in spreads), 0)} | "
            f"{mean('median_s'):.1f} | {mean('p90_s'):.1f} | "
            f"{mean('p99_s'):.1f} | "
            + " | ".join(f"{100 * share_at(t):.0f} %" for t in SPREAD_AT_S)
            + " |")
    return "\n".join(rows) if len(rows) > 2 else ""


def real_points(files):
    points = []
    for path in files:
        with open(path) as f:
            results = json.load(f)
        for r in results["swarm"]:
            p2p = r["modes"].get("p2p")
            if p2p:
                s = p2p["summary"]
                points.append((s["viewers"], 100 * s["offload"]))
    return sorted(points)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="the plot (PNG); without it, only "
                        "--table's tables")
    parser.add_argument("--title", default="Offload vs audience")
    parser.add_argument("--sim", action="append", default=[],
                        help="DESIGN=p2p-swarm-sim JSON files (globs)")
    parser.add_argument("--sim-steady", action="append", default=[],
                        help="DESIGN=p2p-swarm-sim JSON files (globs): their "
                        "steady offload, after the audience arrived")
    parser.add_argument("--real", action="append", default=[],
                        help="DESIGN=swarm-bench results.json files")
    parser.add_argument("--table", action="store_true",
                        help="print each --sim design's runs as a Markdown "
                        "table")
    args = parser.parse_args()

    if args.table:
        for design, files in parse_inputs(args.sim).items():
            print(f"{design}:\n\n{sim_table(files)}\n")
            spread = spread_table(files)
            if spread:
                print(f"{design}, how copies spread:\n\n{spread}\n")
    if not args.out:
        if not args.table:
            parser.error("--out or --table is needed")
        return

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    colours = {}
    for design, files in parse_inputs(args.sim).items():
        pts = sim_points(files)
        line, = ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-",
                        label=f"{design}: simulated (mean of seeds)")
        colours[design] = line.get_color()
        ax.fill_between([p[0] for p in pts], [p[2] for p in pts],
                        [p[3] for p in pts], color=line.get_color(),
                        alpha=0.15)
        for n, mean, _, _ in pts:
            print(f"sim  {design:16} N={n:6} offload {mean:5.1f} %")
    for design, files in parse_inputs(args.sim_steady).items():
        pts = sim_points(files, steady=True)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "^:",
                color=colours.get(design),
                label=f"{design}: simulated, steady (audience arrived)")
        for n, mean, _, _ in pts:
            print(f"sim  {design:16} N={n:6} steady  {mean:5.1f} %")
    for design, files in parse_inputs(args.real).items():
        pts = real_points(files)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "s--",
                color=colours.get(design), label=f"{design}: real (netns bench)")
        for n, offload in pts:
            print(f"real {design:16} N={n:6} offload {offload:5.1f} %")
    ax.set_xscale("log")
    ax.set_xlabel("viewers (N)")
    ax.set_ylabel("offload %")
    ax.set_ylim(0, 100)
    for target in (90, 99):
        ax.axhline(target, color="grey", lw=0.8, ls=":")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title(args.title)
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)


if __name__ == "__main__":
    main()
