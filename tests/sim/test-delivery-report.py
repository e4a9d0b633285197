#!/usr/bin/env python3
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
"""sim/delivery-report.py against the simulator's own count, and on a
bench run's viewers' logs merged on the wall clock (--bench-run).

usage: test-delivery-report.py P2P-SWARM-SIM DELIVERY-REPORT
"""
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile


def load_report(path):
    """The report as a module: its own patterns for the log's lines."""
    spec = importlib.util.spec_from_file_location('delivery_report', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bytes_asked_at_the_end(report, log, seconds, segment_bytes):
    """Bytes of the HTTP requests logged in the last @seconds of @log."""
    asked = []
    end = 0.0
    with open(log, errors='replace') as f:
        for line in f:
            time = re.match(r'^\s*([\d.]+) ', line)
            if time:
                end = max(end, float(time.group(1)))
            m = report.RANGE.match(line)
            if m:
                asked.append((float(m.group(1)),
                              int(m.group(6)) - int(m.group(5))))
            elif report.WHOLE.match(line):
                asked.append((float(time.group(1)), segment_bytes))
    return sum(size for t, size in asked if t > end - seconds)


def report_of_a_run(sim, report, *options):
    """The report on a short simulated swarm's log, once its HTTP total is
    checked against what the simulator counted."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, 'log')
        figures = os.path.join(tmp, 'figures.json')
        env = dict(os.environ, GST_DEBUG='p2pviewer:5,p2pswarm:4',
                   GST_DEBUG_NO_COLOR='1')
        # The simulator logs in virtual time, to stderr.
        with open(log, 'w') as stderr:
            subprocess.run([sim, '-n', '20', '--segments', '12', '--churn',
                            '0.1', '--seed', '1', '--json=' + figures]
                           + list(options),
                           env=env, check=True, stdout=subprocess.DEVNULL,
                           stderr=stderr)
        with open(figures) as f:
            run = json.loads(f.readline())
        counted = run['http_segment_bytes']
        segment_bytes = run['segment_bytes'] // run['segments']
        in_flight = bytes_asked_at_the_end(load_report(report), log,
                                           seconds=1,
                                           segment_bytes=segment_bytes)
        out = subprocess.run([sys.executable, report, log], check=True,
                             capture_output=True, text=True).stdout
    print(out)
    total = re.search(r'HTTP bytes from 0 s: ([\d.]+) MB, [\d.]+ segments '
                      r'of (\d+) bytes', out)
    assert total, 'no HTTP total'
    # Whole segments' size comes from the log, whatever the bitrate.
    assert int(total.group(2)) == segment_bytes, (
        'segments of %s bytes, the simulator published %d' %
        (total.group(2), segment_bytes))
    # The report counts what was asked, the simulator what was served: a
    # request of the run's last second may still be under way at its end.
    requested = float(total.group(1)) * 1e6
    assert counted - 0.05e6 <= requested <= counted + in_flight + 0.05e6, (
        'report %s MB, simulator %d bytes, %d bytes asked at the end' %
        (total.group(1), counted, in_flight))
    return out, total


def gst_line(running_s, level, log_id, message):
    """A line of GStreamer's default log format, as a bench viewer writes."""
    minutes, seconds = divmod(running_s, 60)
    return ('0:%02d:%012.9f 4242 0x55d0c0ffee00 %-7s p2pviewer '
            'viewer-core.cpp:1:f:<-GP0200-%s> %s\n'
            % (minutes, seconds, level, log_id, message))


def bench_run_report(report):
    """--bench-run: two viewers' logs merged on the wall clock, the second
    viewer's lines moved by how much later it started."""
    first, second = 'AAAAAAAAAAAA', 'BBBBBBBBBBBB'
    with tempfile.TemporaryDirectory() as run:
        for label, start_s, lines in (
                ('v0-s0', 1000.0, [
                    gst_line(0.1, 'INFO', first, 'joining swarm s as x'),
                    gst_line(0.2, 'DEBUG', first, 'HTTP 5 (urgent)')]),
                ('v1-s0', 1002.0, [
                    gst_line(0.1, 'INFO', second, 'joining swarm s as y'),
                    gst_line(3.0, 'DEBUG', second,
                             'HTTP range of 6 [0, 100000), all of stripe 0; '
                             'its parent -GP0200-%s since 2' % first)])):
            with open(os.path.join(run, label + '.json'), 'w') as f:
                json.dump({'label': label, 'start-wall-us': start_s * 1e6}, f)
            with open(os.path.join(run, label + '.log'), 'w') as f:
                f.writelines(lines)
        def report_from(since):
            return subprocess.run(
                [sys.executable, report, '--bench-run', run, '--from',
                 str(since), '--start-up', '1', '--segment-bytes', '400000'],
                check=True, capture_output=True, text=True).stdout
        whole_run, late = report_from(0), report_from(4)
    assert re.search(r'^HTTP bytes from 0 s: 0\.5 MB', whole_run, re.M), \
        whole_run
    assert re.search(r'start-up +whole segment, urgent +0\.4 MB', whole_run), \
        whole_run
    assert re.search(r'steady +range, the parent brought none +0\.1 MB',
                     whole_run), whole_run
    # The second viewer's range is at 2 + 3 s on the merged clock.
    assert re.search(r'^HTTP bytes from 4 s: 0\.1 MB', late, re.M), late


def main():
    sim, report = sys.argv[1], sys.argv[2]
    bench_run_report(report)
    report_of_a_run(sim, report, '--bitrate', '1500')
    out, total = report_of_a_run(sim, report)
    causes = re.findall(r'^  (start-up|steady) .* ([\d.]+) MB', out, re.M)
    assert causes, 'no cause of HTTP bytes'
    assert abs(sum(float(c[1]) for c in causes) - float(total.group(1))) \
        <= 0.05 * len(causes) + 0.05, 'the causes do not add up'
    departure = re.search(r'within [\d.]+ s of a departure above the viewer: '
                          r'([\d.]+) MB', out)
    assert departure, 'no count of HTTP bytes after departures'
    # Seed 1 has a relay leave mid-run: some of the steady part's ranges
    # follow it, not all.
    steady = sum(float(c[1]) for c in causes if c[0] == 'steady')
    assert 0 < float(departure.group(1)) < steady, (
        'HTTP bytes after departures: %s MB of %.1f MB' %
        (departure.group(1), steady))
    hops = re.search(r'entered the swarm: (.*)$', out, re.M)
    counts = [int(c) for c in re.findall(r'\d+: (\d+)', hops.group(1))]
    assert sum(counts) > 0, 'no relayed stripe found'
    assert re.search(r'nothing ahead of it +p10 [\d.]+', out), 'no hop lag'
    parents = re.search(r'^parents: (\d+) subscriptions, (\d+) left after a '
                        r'miss$', out, re.M)
    assert parents and int(parents.group(1)) > 0, 'no subscription found'
    none = re.search(r'parent brought none: (\d+), (\d+) of them', out)
    assert none, 'no count of ranges where the parent brought none'
    # A parent is left after a miss only when HTTP fetched all of a stripe
    # it should have brought.
    assert int(parents.group(2)) <= int(none.group(1)), (
        'more parents left after a miss than ranges that made one')
    assert int(none.group(2)) <= int(none.group(1))


if __name__ == '__main__':
    main()
