#!/usr/bin/env python3
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
"""tests/bench/offload-plot.py --table against the simulator's own JSON: one
row per audience size, each figure the mean over the seeds, the offload also
per seed in seed order, stalls summed; and the table of how copies spread,
from each run's steady.spread.

usage: test-offload-table.py P2P-SWARM-SIM OFFLOAD-PLOT
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile


def tables_of(plot, files):
    """The tables `offload-plot.py --table` prints for @files, each a list
    of its lines."""
    out = subprocess.run([sys.executable, plot, '--table',
                          '--sim', 'design=' + ','.join(files)],
                         check=True, capture_output=True, text=True).stdout
    tables = []
    for line in out.splitlines():
        if not line.startswith('|'):
            continue
        if line.startswith('| N |'):
            tables.append([])
        tables[-1].append(line)
    return tables


def cells(row):
    return [c.strip() for c in row.strip().strip('|').split('|')]


def main():
    sim, plot = sys.argv[1:3]
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        # Seeds given out of order: the table lists them in order.
        for viewers, seed in ((6, 2), (6, 1), (4, 1)):
            path = os.path.join(tmp, f'n{viewers}-s{seed}.json')
            subprocess.run([sim, '-n', str(viewers), '--segments', '12',
                            '--churn', '0.1', '--seed', str(seed),
                            '--warm-up', '6', '--json', path],
                           check=True, stdout=subprocess.DEVNULL)
            with open(path) as f:
                runs.setdefault(viewers, {})[seed] = json.load(f)
            if viewers == 6 and seed == 2:
                again = path
        files = sorted(os.path.join(tmp, n) for n in os.listdir(tmp))
        tables = tables_of(plot, files)
        # A file given twice is one run: the same seed is not averaged twice.
        assert tables_of(plot, files + [again]) == tables, \
            'a run given twice was counted twice'

    assert len(tables) == 2, tables
    table, spread = tables
    assert len(table) == 4, table
    header = cells(table[0])
    by_n = {int(cells(r)[0].split()[0]): dict(zip(header, cells(r)))
            for r in table[2:]}
    assert sorted(by_n) == [4, 6], by_n
    for viewers, seeds in runs.items():
        row = by_n[viewers]
        ordered = [seeds[s] for s in sorted(seeds)]
        assert row['seeds'] == str(len(seeds)), row
        whole = statistics.mean(100 * r['offload'] for r in ordered)
        expected = f"**{whole:.1f} %**"
        if len(ordered) > 1:
            expected += ' (' + ' / '.join(
                f"{100 * r['offload']:.1f}" for r in ordered) + ')'
        assert row['offload, whole run (per seed)'] == expected, \
            (row['offload, whole run (per seed)'], expected)
        steady = statistics.mean(100 * r['steady']['offload']
                                 for r in ordered)
        assert row['steady offload (per seed)'].startswith(
            f"**{steady:.1f} %**"), (row, steady)
        http = statistics.mean(r['http_copies_per_segment'] for r in ordered)
        http_steady = statistics.mean(r['steady']['http_copies_per_segment']
                                      for r in ordered)
        assert row['HTTP copies/segment whole / steady'] == \
            f'{http:,.2f} / {http_steady:,.2f}', (row, http, http_steady)
        stalls = sum(r['stalls'] for r in ordered)
        assert row['stalls (s)'].split()[0] == str(stalls), row
    check_spread(spread, runs)
    print('\n'.join(table + [''] + spread))


def check_spread(table, runs):
    header = cells(table[0])
    by_n = {int(cells(r)[0]): dict(zip(header, cells(r))) for r in table[2:]}
    assert sorted(by_n) == sorted(runs), by_n
    for viewers, seeds in runs.items():
        row = by_n[viewers]
        spreads = [seeds[s]['steady']['spread'] for s in sorted(seeds)]
        copies = sum(s['copies'] for s in spreads)
        assert copies > 0, spreads
        assert row['copies'] == f'{copies:,}', (row, copies)
        median = statistics.mean(s['median_s'] for s in spreads)
        assert row['whole at half of the viewers s'] == f'{median:.1f}', \
            (row, median)
        at_6 = statistics.mean(next(p['share'] for p in s['whole_by']
                                    if p['s'] == 6) for s in spreads)
        assert row['whole 6 s after'] == f'{100 * at_6:.0f} %', (row, at_6)


if __name__ == '__main__':
    main()
