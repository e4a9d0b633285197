#!/usr/bin/env python3
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tracker benchmark: p2p-tracker against the npm bittorrent-tracker server,
same machine, same load, one run. Not a test: it prints figures.

Deployments, on 127.0.0.1: bittorrent-tracker; p2p-tracker as built before
(--baseline-build, optional: CPU per message before and after in one run);
p2p-tracker; and two p2p-tracker nodes sharing a Redis (redis-server
started here), the generators' peers spread over both nodes so that every
swarm spans them. For each deployment:
  1. Throughput: closed-loop P2P Media Loader mix (announce with 5 offers,
     answers to half the offers received, 2 % stops), the number of peers
     raised step by step until announces/s stop growing; the best step is
     the sustained maximum. CPU of the tracker and of the generators over
     each window shows who was the limit.
  2. Offer-relay latency at a fixed announce rate both trackers sustain:
     p50/p99 from the offerer's send to the receiver's read.
  3. RSS per idle connection: N WebSocket connections (50,000 by default,
     from 4 generator processes on 127.0.0.1-4) that announced once (no
     offers) and stay open; (RSS with them - RSS before) / N. p2p-tracker
     runs 4 workers there, each with its own descriptor table;
     bittorrent-tracker, one table, gets as many as its limit allows.
For the cluster, also Redis's CPU over each window and its memory per peer,
and the relay latency of offers that crossed from one node to the other.
The machine's load average is printed beside the figures: other work on
the machine moves them.

Writes docs/tracker-benchmark.json and docs/tracker-benchmark.png.
"""
import argparse
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLK_TCK = os.sysconf('SC_CLK_TCK')


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def proc_cpu_seconds(pid):
    """(user, system) CPU seconds of a process so far."""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK


def proc_rss_kib(pid):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


def slab_kib():
    """The kernel's slab memory, machine-wide: sockets live there."""
    with open('/proc/meminfo') as f:
        for line in f:
            if line.startswith('Slab:'):
                return int(line.split()[1])
    return 0


def load_average():
    with open('/proc/loadavg') as f:
        return [float(x) for x in f.read().split()[:3]]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Server:
    """One server process that prints "listening on 127.0.0.1 port N"."""
    def __init__(self, name, argv):
        self.name = name
        self.log_path = f'/tmp/tracker-bench-{name}-{os.getpid()}.log'
        self.log = open(self.log_path, 'w')
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = None
        for _ in range(100):
            m = re.search(r'listening on 127\.0\.0\.1 port (\d+)', open(self.log_path).read())
            if m:
                self.port = int(m.group(1))
                break
            time.sleep(0.1)
        if not self.port:
            self.stop()
            raise RuntimeError(f'{name} did not start: {open(self.log_path).read()}')
        self.pid = self.proc.pid  # the server itself, not a wrapper

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Redis:
    """A redis-server of the bench's own, without persistence."""
    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix='tracker-bench-redis-')
        self.port = free_port()
        self.proc = subprocess.Popen(
            [binary, '--port', str(self.port), '--bind', '127.0.0.1', '--save', '',
             '--appendonly', 'no', '--dir', self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        self.pid = self.proc.pid
        self.url = f'redis://127.0.0.1:{self.port}'

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=20)
        for name in os.listdir(self.dir):
            os.remove(os.path.join(self.dir, name))
        os.rmdir(self.dir)


class Deployment:
    """A tracker as deployed: one process, or nodes sharing a Redis. Load
    goes to every node's port (the generators' peers take them in turn);
    CPU and memory are the nodes' together, Redis's apart."""
    def __init__(self, name, node_argvs, redis_server=None):
        self.redis = Redis(redis_server) if redis_server else None
        extra = ['--redis', self.redis.url] if self.redis else []
        self.nodes = []
        try:
            for i, argv in enumerate(node_argvs):
                self.nodes.append(Server(f'{name}-{i}', argv + extra))
        except Exception:
            self.stop()
            raise
        self.ports = ','.join(str(n.port) for n in self.nodes)
        self.pids = [n.pid for n in self.nodes]

    def cpu_seconds(self):
        times = [proc_cpu_seconds(pid) for pid in self.pids]
        return sum(t[0] for t in times), sum(t[1] for t in times)

    def redis_cpu_seconds(self):
        return sum(proc_cpu_seconds(self.redis.pid)) if self.redis else 0.0

    def rss_kib(self):
        return sum(proc_rss_kib(pid) for pid in self.pids)

    def redis_rss_kib(self):
        return proc_rss_kib(self.redis.pid) if self.redis else 0

    def stop(self):
        for node in self.nodes:
            node.stop()
        if self.redis:
            self.redis.stop()


def loadgen(tracker, args, timeout):
    argv = [LOADGEN, '--port', tracker.ports] + args
    out = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f'loadgen failed: {out.stderr}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def idle_rss(tracker, connections, timeout, sources=1):
    """RSS per idle connection, in bytes. The connections come from
    @sources generator processes, each from its own loopback address
    (127.0.0.1, 127.0.0.2, ...): one process holds fewer descriptors than
    the limit, one address has fewer ports than 50,000."""
    time.sleep(0.5)
    before, redis_before, slab_before = tracker.rss_kib(), tracker.redis_rss_kib(), slab_kib()
    gens = []
    for i in range(sources):
        share = connections // sources + (1 if i < connections % sources else 0)
        argv = [LOADGEN, '--port', tracker.ports, '--idle', '--connections', str(share),
                '--swarms', '100', '--bind', f'127.0.0.{i + 1}', '--first-peer', str(i * 1000000)]
        gens.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        opened = 0
        for gen in gens:
            line = gen.stdout.readline()  # printed once connected
            opened += json.loads(line)['open'] if line.startswith('{') else 0
        time.sleep(3)  # let announces land and the tracker settle
        after, redis_after, slab_after = tracker.rss_kib(), tracker.redis_rss_kib(), slab_kib()
    finally:
        for gen in gens:
            gen.send_signal(signal.SIGTERM)
        for gen in gens:
            gen.wait(timeout=30)
    per_conn = (after - before) * 1024 / opened if opened else float('nan')
    result = {'connections_tried': connections, 'connections': opened, 'rss_before_kib': before,
              'rss_after_kib': after, 'bytes_per_connection': round(per_conn),
              # both ends of each loopback connection, and whatever else
              # the machine did meanwhile: an upper bound for the kernel's
              # memory per connection on the tracker's side
              'kernel_slab_bytes_per_connection_pair':
                  round((slab_after - slab_before) * 1024 / opened) if opened else None}
    if tracker.redis:
        result['redis_bytes_per_peer'] = round((redis_after - redis_before) * 1024 / opened) \
            if opened else None
    return result


def idle_rss_wss(binary, connections, workers):
    """RSS per idle wss:// connection of p2p-tracker with a certificate
    made here: what TLS adds to a connection (wss-idle.mjs opens them)."""
    tmp = tempfile.mkdtemp(prefix='tracker-bench-tls-')
    cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256',
                    '-nodes', '-days', '1', '-subj', '/CN=gst-p2p-bench',
                    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
                   check=True, capture_output=True)
    tracker = Deployment('p2p-tracker-tls', [[binary, '--address', '127.0.0.1', '--port', '0',
                                              '--workers', str(workers),
                                              '--max-connections-per-address', '0',
                                              '--tls-cert', cert, '--tls-key', key]])
    try:
        time.sleep(0.5)
        before = tracker.rss_kib()
        gen = subprocess.Popen(['node', os.path.join(ROOT, 'tests', 'bench', 'wss-idle.mjs'),
                                f'wss://127.0.0.1:{tracker.ports}', str(connections), cert],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            opened = json.loads(gen.stdout.readline())['open']
            time.sleep(3)
            after = tracker.rss_kib()
        finally:
            gen.send_signal(signal.SIGTERM)
            gen.wait(timeout=60)
    finally:
        tracker.stop()
        for name in os.listdir(tmp):
            os.remove(os.path.join(tmp, name))
        os.rmdir(tmp)
    return {'connections': opened, 'rss_before_kib': before, 'rss_after_kib': after,
            'bytes_per_connection': round((after - before) * 1024 / opened) if opened else None}


def closed_loop(tracker, args, connections):
    """Closed loop from several generator processes (one cannot keep a
    multi-threaded tracker busy); CPU of the tracker and of the generators
    sampled over the measured window."""
    warmup, duration = args.warmup, args.duration
    k = args.loadgen_processes
    gens = []
    for i in range(k):
        argv = [LOADGEN, '--port', tracker.ports, '--connections', str(connections // k),
                '--first-peer', str(i * connections),
                '--swarms', str(max(1, connections // args.peers_per_swarm)),
                '--duration', str(duration), '--warmup', str(warmup)]
        gens.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    # each prints a line once connected; the window opens after the warmup
    connected = [g.stderr.readline().strip() for g in gens]
    time.sleep(warmup)
    cpu0, redis0, t0 = tracker.cpu_seconds(), tracker.redis_cpu_seconds(), time.time()
    gen0 = [proc_cpu_seconds(g.pid) for g in gens]
    time.sleep(duration)
    cpu1, redis1, t1 = tracker.cpu_seconds(), tracker.redis_cpu_seconds(), time.time()
    gen1 = [proc_cpu_seconds(g.pid) for g in gens]
    gen_user = sum(b[0] - a[0] for a, b in zip(gen0, gen1))
    gen_system = sum(b[1] - a[1] for a, b in zip(gen0, gen1))
    results = []
    for g in gens:
        out, err = g.communicate(timeout=duration + 120)
        results.append(json.loads(out.strip().splitlines()[-1]))
    result = {key: sum(r[key] for r in results) for key in
              ('connections', 'open', 'announces_per_s', 'responses_per_s', 'offers_received_per_s',
               'answers_sent', 'answers_received', 'stops_sent', 'messages_sent', 'failures', 'closed')}
    result['loadgen_processes'] = k
    incoming = result['messages_sent']
    user, system = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
    result['tracker_cpu_s'] = round(user + system, 3)
    window = t1 - t0
    result['tracker_cpu_share'] = round((user + system) / window, 3)
    result['tracker_system_share'] = round(system / window, 3)
    result['loadgen_cpu_share'] = round((gen_user + gen_system) / window, 3)
    result['loadgen_system_share'] = round(gen_system / window, 3)
    per = (lambda x: round(x * 1e6 / incoming, 2)) if incoming else (lambda x: None)
    result['cpu_us_per_message'] = per(user + system)
    result['user_cpu_us_per_message'] = per(user)
    result['system_cpu_us_per_message'] = per(system)
    result['loadgen_cpu_us_per_message'] = per(gen_user + gen_system)
    if tracker.redis:
        redis_cpu = redis1 - redis0
        result['redis_cpu_share'] = round(redis_cpu / window, 3)
        result['redis_cpu_us_per_message'] = per(redis_cpu)
        announces = result['announces_per_s'] * duration
        result['redis_cpu_us_per_announce'] = round(redis_cpu * 1e6 / announces, 2) \
            if announces else None
    log(f'  {connected}')
    return result


def throughput(tracker, args):
    """Raises the offered load (closed-loop peers) until the tracker's
    announces/s stop growing by 5 %; the best step is the sustained
    maximum. Every step is in the result."""
    steps = []
    for connections in args.ramp:
        r = closed_loop(tracker, args, connections)
        log(f"  {connections} peers: {r['announces_per_s']:,.0f} announces/s, tracker "
            f"{r['tracker_cpu_share']:.2f} cores, generators {r['loadgen_cpu_share']:.2f} cores")
        steps.append(r)
        best = max(s['announces_per_s'] for s in steps[:-1]) if len(steps) > 1 else 0
        if len(steps) > 1 and r['announces_per_s'] < 1.05 * best:
            break
    result = dict(max(steps, key=lambda s: s['announces_per_s']))
    result['ramp'] = [{key: s[key] for key in ('connections', 'announces_per_s', 'tracker_cpu_share',
                                                'loadgen_cpu_share', 'cpu_us_per_message')}
                      for s in steps]
    return result


def kernel_bound(best, cpus, baseline_announces_per_s):
    """How fast any tracker could go under this load on this machine, from
    the best step's CPU split: the kernel's TCP work for the tracker's
    sockets and the generators' is needed whatever the tracker's code
    costs. Without the tracker's user-space CPU, and then without the
    generators' too, the same work fits the cores this many times."""
    rate = best['announces_per_s']
    tracker_kernel = best['tracker_system_share']
    generators = best['loadgen_cpu_share']
    generators_kernel = best['loadgen_system_share']
    free_tracker = cpus * rate / (tracker_kernel + generators)
    kernel_only = cpus * rate / (tracker_kernel + generators_kernel)
    return {
        'cpus': cpus,
        'kernel_us_per_announce': round((tracker_kernel + generators_kernel) * 1e6 / rate, 1),
        'announces_per_s_free_tracker': round(free_tracker),
        'ratio_free_tracker': round(free_tracker / baseline_announces_per_s, 2),
        'announces_per_s_kernel_only': round(kernel_only),
        'ratio_kernel_only': round(kernel_only / baseline_announces_per_s, 2),
    }


def latency(tracker, args):
    return loadgen(tracker, ['--connections', str(args.latency_connections), '--swarms',
                             str(args.swarms), '--rate', str(args.latency_rate),
                             '--duration', str(args.duration), '--warmup', str(args.warmup)],
                   timeout=args.duration + args.warmup + 180)


LABELS = {
    'bittorrent-tracker': 'bittorrent-tracker\n(npm)',
    'p2p-tracker-before': 'p2p-tracker\nbefore',
    'p2p-tracker': 'p2p-tracker',
    'p2p-tracker-cluster': 'p2p-tracker\n2 nodes + Redis',
}
COLORS = {'bittorrent-tracker': '#c0504d', 'p2p-tracker-before': '#9bbbd9',
          'p2p-tracker': '#2b7bb9', 'p2p-tracker-cluster': '#4f9a5b'}


def plot(results, path, bound=None):
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        log('matplotlib missing: no plot (scripts/setup.sh installs python3-matplotlib)')
        return False
    names = list(results)
    panels = [
        ('Announces/s sustained\n(5 offers each, closed loop)', lambda r: r['throughput']['announces_per_s'], '{:,.0f}'),
        ('Tracker CPU per incoming message (µs)\n(nodes together; Redis apart)',
         lambda r: r['throughput']['cpu_us_per_message'], '{:.1f}'),
        (f"Offer relay latency p99 (ms)\nat {results[names[0]]['latency']['target_rate']} announces/s",
         lambda r: r['latency']['relay_p99_ms'], '{:.2f}'),
        ('RSS per idle connection (bytes)', lambda r: r['idle']['bytes_per_connection'], '{:,.0f}'),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(17, 4.6))
    for ax, (title, get, fmt) in zip(axes, panels):
        values = [get(results[n]) or 0 for n in names]
        bars = ax.bar([LABELS.get(n, n) for n in names], values, color=[COLORS.get(n) for n in names])
        ax.set_title(title, fontsize=10)
        ax.tick_params(axis='x', labelsize=7)
        for b, v in zip(bars, values):
            ax.annotate(fmt.format(v), (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha='center', va='bottom', fontsize=8)
    ax = axes[1]
    target = results['bittorrent-tracker']['throughput']['cpu_us_per_message'] / 10
    ax.axhline(target, color='#555555', linestyle=':', linewidth=1)
    ax.annotate('10× less than bittorrent-tracker', (0.5, target), ha='center', va='bottom', fontsize=7)
    if bound:
        # the throughput target, against what the kernel leaves room for
        ax = axes[0]
        target = 10 * results['bittorrent-tracker']['throughput']['announces_per_s']
        ax.axhline(target, color='#555555', linestyle=':', linewidth=1)
        ax.annotate('10× target', (0.5, target), ha='center', va='bottom', fontsize=8)
        free = bound['announces_per_s_free_tracker']
        ax.axhline(free, color='#2b7bb9', linestyle='--', linewidth=1)
        ax.annotate('bound: tracker code free', (0.5, free), ha='center', va='bottom', fontsize=8)
        ax.set_ylim(0, max(target, free) * 1.12)
    fig.suptitle('WebTorrent tracker benchmark, 2-core machine, trackers and load generators together', fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main():
    global LOADGEN
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--build', default=os.path.join(ROOT, 'build'))
    p.add_argument('--baseline-build',
                   help="a build dir of an earlier p2p-tracker, run beside this one (its tools/p2p-tracker)")
    p.add_argument('--redis-server', default='/usr/bin/redis-server',
                   help='for the cluster run (2 nodes sharing a Redis); missing: no cluster run')
    p.add_argument('--cluster-workers', type=int, default=1,
                   help='workers per node in the cluster throughput runs (1 x 2 nodes = the cores)')
    p.add_argument('--ramp', type=lambda v: [int(x) for x in v.split(',')], default=[500, 1000, 2000, 4000],
                   help='closed-loop peer counts tried in turn, until announces/s stop growing')
    p.add_argument('--swarms', type=int, default=50, help='swarms of the latency run')
    p.add_argument('--peers-per-swarm', type=int, default=40,
                   help='closed loop: swarms = peers / this, so every announce relays all its offers')
    p.add_argument('--duration', type=float, default=8)
    p.add_argument('--warmup', type=float, default=3)
    p.add_argument('--latency-rate', type=float, default=500, help='announces/s for the latency run')
    p.add_argument('--latency-connections', type=int, default=2000)
    p.add_argument('--idle-connections', type=int, default=50000)
    p.add_argument('--idle-sources', type=int, default=4,
                   help='generator processes (and loopback source addresses) for the idle connections')
    p.add_argument('--idle-workers', type=int, default=4,
                   help='p2p-tracker workers for the idle run (per node): each has its own descriptor table')
    p.add_argument('--workers', type=int, default=0)
    p.add_argument('--loadgen-processes', type=int, default=2)
    p.add_argument('--soup-connections', type=int, default=5000,
                   help='idle connections for the libsoup baseline')
    p.add_argument('--tls-connections', type=int, default=5000,
                   help='idle wss:// connections to p2p-tracker with TLS (0: none)')
    p.add_argument('--out', default=os.path.join(ROOT, 'docs'))
    p.add_argument('--plot-only', action='store_true',
                   help='redraw the plot from OUT/tracker-benchmark.json')
    args = p.parse_args()
    if args.plot_only:
        with open(os.path.join(args.out, 'tracker-benchmark.json')) as f:
            summary = json.load(f)
        plot(summary['results'], os.path.join(args.out, 'tracker-benchmark.png'), summary.get('kernel_bound'))
        return

    LOADGEN = os.path.join(args.build, 'tools', 'tracker-loadgen')
    tracker_bin = os.path.join(args.build, 'tools', 'p2p-tracker')
    bt_server = os.path.join(ROOT, 'tests', 'tracker-diff', 'bt-server.mjs')
    binaries = [LOADGEN, tracker_bin]
    baseline_bin = None
    if args.baseline_build:
        baseline_bin = os.path.join(args.baseline_build, 'tools', 'p2p-tracker')
        binaries.append(baseline_bin)
    for path in binaries:
        if not os.access(path, os.X_OK):
            sys.exit(f'missing {path}: build first')
    if not os.path.isdir(os.path.join(ROOT, 'tests', 'tracker-diff', 'node_modules', 'bittorrent-tracker')):
        sys.exit('missing tests/tracker-diff/node_modules: run scripts/setup.sh')
    redis_server = args.redis_server if os.access(args.redis_server, os.X_OK) else None
    if not redis_server:
        log(f'{args.redis_server} missing: no cluster run (scripts/setup.sh installs redis-server)')

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # bittorrent-tracker is one process with one descriptor table
    node_idle_n = min(args.idle_connections, hard - 1000)

    def ours(binary, workers):
        return [binary, '--address', '127.0.0.1', '--port', '0',
                '--workers', str(workers), '--max-connections-per-address', '0']
    # name: (load run, idle run), each (node command lines, redis or None, connections)
    deployments = {
        'bittorrent-tracker': (([['node', bt_server, '0']], None),
                               ([['node', bt_server, '0']], None, node_idle_n)),
    }
    if baseline_bin:
        deployments['p2p-tracker-before'] = (([ours(baseline_bin, args.workers)], None),
                                             ([ours(baseline_bin, args.idle_workers)], None,
                                              args.idle_connections))
    deployments['p2p-tracker'] = (([ours(tracker_bin, args.workers)], None),
                                  ([ours(tracker_bin, args.idle_workers)], None, args.idle_connections))
    if redis_server:
        deployments['p2p-tracker-cluster'] = (
            ([ours(tracker_bin, args.cluster_workers)] * 2, redis_server),
            ([ours(tracker_bin, args.idle_workers)] * 2, redis_server, args.idle_connections))

    results = {}
    for name, ((nodes, redis), (idle_nodes, idle_redis, idle_n)) in deployments.items():
        log(f'{name}: machine load {load_average()}')
        r = {'load_average_at_start': load_average()}
        tracker = Deployment(name, nodes, redis)
        try:
            r['throughput'] = throughput(tracker, args)
            log(f"  throughput: {r['throughput']}")
            r['latency'] = latency(tracker, args)
            r['latency']['target_rate'] = args.latency_rate
            log(f"  latency: {r['latency']}")
        finally:
            tracker.stop()
        # a fresh process: after load the heap has room to spare, which
        # would hide what connections cost
        tracker = Deployment(name, idle_nodes, idle_redis)
        try:
            r['idle'] = idle_rss(tracker, idle_n, timeout=300, sources=args.idle_sources)
            log(f"  idle: {r['idle']}")
        finally:
            tracker.stop()
        r['load_average_at_end'] = load_average()
        results[name] = r

    # what a libsoup-based tracker would start from (docs/tracker.md)
    soup_bin = os.path.join(args.build, 'tests', 'bench', 'soup-ws-baseline')
    soup = None
    if os.access(soup_bin, os.X_OK):
        log('libsoup 3 WebSocket server (idle connections only):')
        tracker = Deployment('soup-ws-baseline', [[soup_bin]])
        try:
            soup = idle_rss(tracker, args.soup_connections, timeout=300, sources=1)
            log(f'  idle: {soup}')
        finally:
            tracker.stop()

    tls_idle = None
    if args.tls_connections:
        log('p2p-tracker over TLS (idle wss:// connections only):')
        tls_idle = idle_rss_wss(tracker_bin, args.tls_connections, args.idle_workers)
        log(f'  idle: {tls_idle}')

    ours_r, theirs = results['p2p-tracker'], results['bittorrent-tracker']
    ratio = ours_r['throughput']['announces_per_s'] / max(1e-9, theirs['throughput']['announces_per_s'])
    bound = kernel_bound(ours_r['throughput'], os.cpu_count(), theirs['throughput']['announces_per_s'])
    summary = {
        'machine': {'cpus': os.cpu_count(), 'nofile_limit': hard, 'kernel': os.uname().release},
        'load': {'ramp': args.ramp, 'peers_per_swarm': args.peers_per_swarm, 'loadgen_processes': args.loadgen_processes, 'swarms': args.swarms,
                 'offers_per_announce': 5, 'idle_connections': args.idle_connections,
                 'idle_workers': args.idle_workers, 'cluster_workers': args.cluster_workers,
                 'duration_s': args.duration, 'latency_rate': args.latency_rate},
        'results': results,
        'soup_ws_baseline_idle': soup,
        'tls_idle': tls_idle,
        'throughput_ratio': round(ratio, 2),
        'kernel_bound': bound,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'tracker-benchmark.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    plotted = plot(results, os.path.join(args.out, 'tracker-benchmark.png'), bound)
    report(results, args, bound, soup, tls_idle, hard, plotted)


def report(results, args, bound, soup, tls_idle, hard, plotted):
    names = list(results)
    heads = {'bittorrent-tracker': 'bittorrent-tracker', 'p2p-tracker-before': 'ours before',
             'p2p-tracker': 'p2p-tracker', 'p2p-tracker-cluster': '2 nodes+Redis'}
    print(f"{'':30}" + ''.join(f'{heads[n]:>18}' for n in names))
    rows = [
        ('machine load (1 min) at start', lambda r: r['load_average_at_start'][0], '{:.2f}'),
        ('announces/s sustained', lambda r: r['throughput']['announces_per_s'], '{:,.0f}'),
        ('offers relayed/s', lambda r: r['throughput']['offers_received_per_s'], '{:,.0f}'),
        ('  at closed-loop peers', lambda r: r['throughput']['connections'], '{:,}'),
        ('tracker CPU (cores)', lambda r: r['throughput']['tracker_cpu_share'], '{:.2f}'),
        ('load generators CPU (cores)', lambda r: r['throughput']['loadgen_cpu_share'], '{:.2f}'),
        ('Redis CPU (cores)', lambda r: r['throughput'].get('redis_cpu_share'), '{:.2f}'),
        ('CPU µs per message', lambda r: r['throughput']['cpu_us_per_message'], '{:.1f}'),
        ('  of which user space', lambda r: r['throughput']['user_cpu_us_per_message'], '{:.1f}'),
        ('  of which kernel', lambda r: r['throughput']['system_cpu_us_per_message'], '{:.1f}'),
        ('Redis CPU µs per announce', lambda r: r['throughput'].get('redis_cpu_us_per_announce'), '{:.1f}'),
        (f'relay p50 ms @{args.latency_rate:g}/s', lambda r: r['latency']['relay_p50_ms'], '{:.3f}'),
        (f'relay p99 ms @{args.latency_rate:g}/s', lambda r: r['latency']['relay_p99_ms'], '{:.3f}'),
        ('  across nodes p50 ms', lambda r: r['latency'].get('cross_node_p50_ms') or None, '{:.3f}'),
        ('  across nodes p99 ms', lambda r: r['latency'].get('cross_node_p99_ms') or None, '{:.3f}'),
        ('idle connections held', lambda r: r['idle']['connections'], '{:,}'),
        ('RSS bytes per idle conn', lambda r: r['idle']['bytes_per_connection'], '{:,}'),
        ('Redis bytes per idle peer', lambda r: r['idle'].get('redis_bytes_per_peer'), '{:,}'),
        ('kernel slab per conn (both ends)', lambda r: r['idle'].get('kernel_slab_bytes_per_connection_pair'), '{:,}'),
        ('machine load (1 min) at end', lambda r: r['load_average_at_end'][0], '{:.2f}'),
    ]
    for label, get, fmt in rows:
        cells = []
        for n in names:
            v = get(results[n])
            cells.append(fmt.format(v) if v is not None else '-')
        print(f'{label:30}' + ''.join(f'{c:>18}' for c in cells))
    bt = results['bittorrent-tracker']['throughput']
    for n in names[1:]:
        t = results[n]['throughput']
        print(f"{LABELS[n].replace(chr(10), ' ')}: {t['announces_per_s'] / bt['announces_per_s']:.1f}x "
              f"bittorrent-tracker's announces/s, {bt['cpu_us_per_message'] / t['cpu_us_per_message']:.1f}x less "
              f"CPU per message ({t['cpu_us_per_message']:.1f} vs {bt['cpu_us_per_message']:.1f} µs; "
              f"target 10x: {bt['cpu_us_per_message'] / 10:.1f} µs)")
    if 'p2p-tracker-before' in results:
        before = results['p2p-tracker-before']['throughput']['cpu_us_per_message']
        after = results['p2p-tracker']['throughput']['cpu_us_per_message']
        print(f'p2p-tracker CPU per message, this run: {before:.1f} µs before, {after:.1f} µs after '
              f'({before / after:.2f}x less)')
    if soup:
        print(f"libsoup 3 SoupServer baseline: {soup['bytes_per_connection']:,} bytes per idle WebSocket "
              f"connection ({soup['connections']:,} connections)")
    if tls_idle:
        print(f"p2p-tracker over TLS: {tls_idle['bytes_per_connection']:,} bytes per idle wss:// "
              f"connection ({tls_idle['connections']:,} connections)")
    print(f"loopback TCP bound (p2p-tracker): the kernel's work (system CPU of tracker and generators) is "
          f"{bound['kernel_us_per_announce']:.1f} µs per announce; {bound['cpus']} cores carry at most "
          f"{bound['announces_per_s_free_tracker']:,.0f} announces/s with a tracker whose own code costs "
          f"nothing ({bound['ratio_free_tracker']:.1f}x bittorrent-tracker), "
          f"{bound['announces_per_s_kernel_only']:,.0f} if the generators' code cost nothing too "
          f"({bound['ratio_kernel_only']:.1f}x)")
    ours = results['p2p-tracker']['idle']
    print(f"idle memory target (50,000 connections at <= 8 KiB each): "
          f"{'met' if ours['bytes_per_connection'] <= 8192 and ours['connections'] >= 50000 else 'NOT met'} "
          f"({ours['bytes_per_connection']} bytes at {ours['connections']:,} connections; "
          f"descriptor hard limit {hard} per table)")
    for name, r in results.items():
        print(f"{name} ramp: " + ', '.join(f"{s['connections']} peers {s['announces_per_s']:,.0f}/s "
                                           f"(tracker {s['tracker_cpu_share']:.2f}, generators "
                                           f"{s['loadgen_cpu_share']:.2f} cores)" for s in r['throughput']['ramp']))
    print(f"results in {os.path.join(args.out, 'tracker-benchmark.json')}" + (' and .png' if plotted else ''))


if __name__ == '__main__':
    main()
