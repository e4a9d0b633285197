#!/usr/bin/env python3
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where a swarm's HTTP bytes went and how long each relay hop took.

Reads the GST_DEBUG=p2pviewer:5,p2pswarm:4 log of a p2p-swarm-sim run, or
with --bench-run the logs of every viewer of a real bench run (its mode's
directory, OUT/nN/p2p, from a run with that GST_DEBUG), merged on the wall
clock from its first viewer's start, and prints, from --from seconds on:
  - the HTTP bytes by cause: whole segments (urgent, inject) and ranges of
    a stripe, split by whether the parent had brought none of it, the rest,
    or none was expected of it (no parent, a segment before a new parent's
    first); a viewer's first --start-up seconds count apart;
  - how much of the rest came within --after-departure seconds of a relay
    above the viewer losing its parent of that stripe to a departure (the
    viewer itself, or a relay it got the stripe through), as churn costs;
  - per relay hop (a stripe's bytes at a child against the same stripe's
    at its parent): how long after the parent's first bytes the child's
    came, apart for hops where the child still got the previous segment
    from that parent then (its share of the uplink was behind);
  - how many relay hops each stripe took from where it entered the swarm
    (the seeder, or a viewer that fetched it over HTTP);
  - how viewers changed parents: subscriptions, parents left after a miss
    and how long each had been the parent, how many of the ranges where
    the parent brought none came soon after subscribing, and the parents
    left most often.

  GST_DEBUG=p2pviewer:5,p2pswarm:4 GST_DEBUG_NO_COLOR=1 build/sim/p2p-swarm-sim \\
      -n 1000 --segments 30 --churn 0.1 --seed 1 2>log
  sim/delivery-report.py log --from 1038   # log times start at 1,000 s
  GST_DEBUG=p2pviewer:5,p2pswarm:4 GST_DEBUG_NO_COLOR=1 \\
      tests/bench/swarm-bench.py --out OUT --viewers 20 --modes p2p ...
  sim/delivery-report.py --bench-run OUT/n20/p2p --from 40
"""
import argparse
import collections
import glob
import json
import os
import re
import signal


def line_of(category):
    """A log line of @category: time, level and the logging peer's id."""
    return r'^\s*([\d.]+) +(\w+) +%s +(\S+) .*?: ' % category


LINE = line_of('p2pviewer')
JOIN = re.compile(LINE + r'joining swarm')
WHOLE = re.compile(LINE + r'HTTP (\d+) \((\w+)\)$')
RANGE = re.compile(LINE + r'HTTP range of (\d+) \[(\d+), (\d+)\), (all|the rest) '
                   r'of stripe (\d+); its parent (\S*) ?since (-?\d+)')
STRIPE = re.compile(LINE + r'stripe (\d+) of segment (\d+) whole from (\S+): '
                    r'(\d+) bytes relayed from ([\d.]+) s to ([\d.]+) s')
SUBSCRIBE = re.compile(LINE + r'stripe (\d+) from (\S+), segment -?\d+ on$')
LEAVE = re.compile(LINE + r'leaving the parent of stripe (\d+) \(misses (\d+)\)')
GONE = re.compile(line_of('p2pswarm') + r'the parent of stripe (\d+) went away')
# Bytes of a whole segment: the simulator's 3 Mbit/s in 2 s.
SEGMENT_BYTES = 750000
# A range after a subscription this young counts as the new parent's.
YOUNG_S = 5
# Peer ids in messages carry the 8-character version prefix, log ids not.
PREFIX = 8


# A line of GStreamer's default log format, as each bench viewer writes it:
# running time, pid, thread, level, category, place, object and message.
GST_LINE = re.compile(r'^(\d+):(\d\d):(\d\d\.\d+) +\d+ +0x[0-9a-f]+ +(\w+) +'
                      r'(\S+) +(\S+?):<(\S+)> (.*)$')


def bench_run_lines(directory):
    """The viewers' log lines of a bench run's mode directory in the
    simulator's format, in time order: each viewer's running time moved to
    the wall clock (its report's start) from the first viewer's start, and
    its log id without the version prefix, as the simulator logs it."""
    sessions = []
    for report in glob.glob(os.path.join(directory, '*-s*.json')):
        with open(report) as f:
            start = json.loads(f.readline())['start-wall-us'] / 1e6
        sessions.append((start, report[:-len('.json')] + '.log'))
    if not sessions:
        raise SystemExit('no viewer reports (*-s*.json) in ' + directory)
    first = min(start for start, _ in sessions)
    lines = []
    for start, log in sessions:
        if not os.path.exists(log):
            continue
        with open(log, errors='replace') as f:
            for raw in f:
                m = GST_LINE.match(raw)
                if not m:
                    continue
                h, mi, sec, level, category, where, log_id, message = \
                    m.groups()
                t = start - first + int(h) * 3600 + int(mi) * 60 + float(sec)
                lines.append((t, '%10.3f %-7s %-14s %s %s: %s\n' % (
                    t, level, category, log_id[PREFIX:], where, message)))
    lines.sort(key=lambda line: line[0])
    return [line for _, line in lines]


def log_lines(args):
    """The log's lines: the simulator's, or a bench run's merged."""
    if args.bench_run:
        yield from bench_run_lines(args.bench_run)
        return
    with open(args.log, errors='replace') as log:
        yield from log


def quantiles(values):
    if not values:
        return 'none'
    v = sorted(values)
    n = len(v)
    return 'p10 %.2f  p50 %.2f  p90 %.2f  mean %.2f s  (%d)' % (
        v[n // 10], v[n // 2], v[9 * n // 10], sum(v) / n, n)


def after_departure(relayed_by, orphaned, viewer, stripe, t, window):
    """Whether the viewer, or a relay it got the stripe through, lost its
    parent of the stripe to a departure less than window seconds before t."""
    seen = set()
    while viewer and viewer not in seen:
        seen.add(viewer)
        if t - orphaned.get((viewer, stripe), -window) < window:
            return True
        viewer = relayed_by.get((viewer, stripe))
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument('log', nargs='?')
    source.add_argument('--bench-run', metavar='DIR',
                        help="a real bench run's mode directory "
                        '(OUT/nN/p2p): its viewers\' logs')
    ap.add_argument('--from', dest='since', type=float, default=0,
                    help='count from this log time, s (the steady start)')
    ap.add_argument('--start-up', type=float, default=12,
                    help="a viewer's first seconds, counted apart (12)")
    ap.add_argument('--segment-bytes', type=int,
                    help='bytes of a whole segment (default: what the '
                    "log's stripes add up to, else %d)" % SEGMENT_BYTES)
    ap.add_argument('--after-departure', type=float, default=8,
                    help='seconds after a departure above a viewer during '
                    'which its HTTP ranges of that stripe count as its cost '
                    '(8)')
    args = ap.parse_args()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quietly into head

    joined = {}
    http = collections.Counter()
    requests = collections.Counter()
    stripes = {}  # (viewer, sequence, stripe) -> (parent, first, last, bytes)
    parent_since = {}  # (viewer, stripe) -> (parent, when subscribed)
    subscriptions = 0
    kept = []  # how long each parent left after a miss had been the parent
    left = collections.Counter()  # parent -> times left after a miss
    none_brought = young_none = 0
    # (viewer, stripe) -> the relay that last brought the stripe whole, and
    # when the viewer last lost its parent of the stripe to a departure.
    relayed_by, orphaned = {}, {}
    steady_bytes = departure_bytes = 0
    # Whole segments are counted, and their bytes added once the log has
    # told their size (stripe and range lines carry it; whole ones do not).
    wholes = collections.Counter()
    furthest_range_end = 0
    for line in log_lines(args):
        m = JOIN.match(line)
        if m:
            joined[m.group(3)] = float(m.group(1))
            continue
        m = SUBSCRIBE.match(line)
        if m:
            t = float(m.group(1))
            parent_since[(m.group(3), m.group(4))] = (
                m.group(5)[PREFIX:], t)
            subscriptions += t >= args.since
            continue
        m = LEAVE.match(line)
        if m:
            parent = parent_since.get((m.group(3), m.group(4)))
            if float(m.group(1)) >= args.since and m.group(5) != '0' \
                    and parent:
                kept.append(float(m.group(1)) - parent[1])
                left[parent[0]] += 1
            continue
        m = STRIPE.match(line)
        if m:
            stripes[(m.group(3), int(m.group(5)), int(m.group(4)))] = (
                m.group(6)[PREFIX:], float(m.group(8)),
                float(m.group(9)), int(m.group(7)))
            relayed_by[(m.group(3), m.group(4))] = m.group(6)[PREFIX:]
            continue
        m = GONE.match(line)
        if m:
            orphaned[(m.group(3), m.group(4))] = float(m.group(1))
            continue
        m = WHOLE.match(line) or RANGE.match(line)
        if m and m.re is RANGE:
            furthest_range_end = max(furthest_range_end, int(m.group(6)))
        if not m or float(m.group(1)) < args.since:
            continue
        t, viewer = float(m.group(1)), m.group(3)
        phase = ('start-up' if t - joined.get(viewer, t) < args.start_up
                 else 'steady')
        if m.re is WHOLE:
            wholes[(phase, 'whole segment, ' + m.group(5))] += 1
            continue
        sequence, parent, since = (int(m.group(4)), m.group(9),
                                   int(m.group(10)))
        size = int(m.group(6)) - int(m.group(5))
        if not parent:
            cause = 'range, no parent'
        elif sequence < since:
            cause = "range, before the new parent's first"
        elif m.group(7) == 'all':
            cause = 'range, the parent brought none'
            subscribed = parent_since.get((viewer, m.group(8)))
            none_brought += 1
            young_none += bool(subscribed and t - subscribed[1] < YOUNG_S)
        else:
            cause = 'range, the rest of what the parent brought'
        if phase == 'steady':
            steady_bytes += size
            departure_bytes += size * after_departure(
                relayed_by, orphaned, viewer, m.group(8), t,
                args.after_departure)
        http[(phase, cause)] += size
        requests[(phase, cause)] += 1

    stripe_sizes = collections.defaultdict(dict)  # sequence -> stripe -> bytes
    for (viewer, sequence, stripe), (_, _, _, size) in stripes.items():
        stripe_sizes[sequence][stripe] = size
    segment_bytes = args.segment_bytes or max(
        [furthest_range_end]
        + [sum(sizes.values()) for sizes in stripe_sizes.values()]) \
        or SEGMENT_BYTES
    for key, count in wholes.items():
        http[key] += count * segment_bytes
        requests[key] += count
        if key[0] == 'steady':
            steady_bytes += count * segment_bytes
    total = sum(http.values())
    print('HTTP bytes from %.0f s: %.1f MB, %.1f segments of %d bytes' %
          (args.since, total / 1e6, total / segment_bytes, segment_bytes))
    for key, size in sorted(http.items(), key=lambda kv: -kv[1]):
        print('  %-9s %-45s %8.1f MB %5.1f %% (%d requests)' %
              (key[0], key[1], size / 1e6, 100 * size / total, requests[key]))

    print('  steady, within %g s of a departure above the viewer: %.1f MB, '
          '%.1f %% of the steady part' %
          (args.after_departure, departure_bytes / 1e6,
           100 * departure_bytes / max(steady_bytes, 1)))

    behind, free = [], []
    hops = collections.Counter()
    for (viewer, sequence, stripe), (parent, first, last, size) in \
            stripes.items():
        if first < args.since:
            continue
        depth, at = 0, (viewer, sequence, stripe)
        while at in stripes and depth < 64:
            depth += 1
            at = (stripes[at][0], sequence, stripe)
        hops[depth] += 1
        upstream = stripes.get((parent, sequence, stripe))
        if not upstream:
            continue
        previous = stripes.get((viewer, sequence - 1, stripe))
        lag = first - upstream[1]
        if previous and previous[0] == parent and previous[2] > upstream[1]:
            behind.append(lag)
        else:
            free.append(lag)
    print('first bytes at a child after its parent\'s:')
    print('  previous segment still coming  ' + quantiles(behind))
    print('  nothing ahead of it            ' + quantiles(free))
    print('relay hops from where a stripe entered the swarm: ' +
          ' '.join('%d: %d' % kv for kv in sorted(hops.items())))
    print('parents: %d subscriptions, %d left after a miss' %
          (subscriptions, len(kept)))
    print('  how long a parent left after a miss had been it  ' +
          quantiles(kept))
    print('  ranges where the parent brought none: %d, %d of them within '
          '%d s of subscribing' % (none_brought, young_none, YOUNG_S))
    print('  left most often: ' + (', '.join(
        '%s %d times' % kv for kv in left.most_common(3)) or 'none'))


if __name__ == '__main__':
    main()
