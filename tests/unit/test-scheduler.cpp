/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pure segment scheduler: single decisions on hand-made states, then a
 * small swarm simulation (N viewers sharing announcements, virtual time)
 * that measures HTTP copies per segment and missed deadlines.
 */
#include <gst/check/gstcheck.h>

#include <algorithm>
#include <deque>
#include <map>

#include "gst/p2p/swarm/scheduler.h"

using namespace p2p::swarm;

static const GstClockTime kNow = 100 * GST_SECOND;

static PlannedSegment
segment (int64_t sequence, GstClockTime deadline_in, GstClockTime seen_ago = 0)
{
  return { sequence, kNow + deadline_in, kNow - seen_ago };
}

/* A set that outlives the views pointing at it. */
static const SegmentSet *
segments (SegmentSet set)
{
  static std::deque<SegmentSet> kept;
  kept.push_back (std::move (set));
  return &kept.back ();
}

static PeerView
peer (const char *id, SegmentSet announced, double throughput = 0)
{
  PeerView p;
  p.id = id;
  p.announced = segments (std::move (announced));
  p.throughput = throughput;
  return p;
}

static Transfer
peer_transfer (int64_t sequence, const char *peer_id, GstClockTime started_ago,
               GstClockTime progress_ago, uint64_t received = 0,
               uint64_t total = 0)
{
  Transfer t;
  t.sequence = sequence;
  t.source = TransferSource::PEER;
  t.peer_id = peer_id;
  t.started = kNow - started_ago;
  t.last_progress = kNow - progress_ago;
  t.bytes_received = received;
  t.bytes_total = total;
  return t;
}

static SchedulerState
state_with (std::vector<PlannedSegment> segments, std::vector<PeerView> peers)
{
  SchedulerState s;
  s.now = kNow;
  s.self_id = "-GP0100-selfselfself";
  s.segments = std::move (segments);
  s.peers = std::move (peers);
  return s;
}

static void
expect (const Decision &d, DecisionKind kind, DecisionReason reason,
        int64_t sequence, const char *peer_id = "")
{
  fail_unless (d.kind == kind, "kind %d, not %d (seq %" G_GINT64_FORMAT ")",
               int (d.kind), int (kind), d.sequence);
  fail_unless (d.reason == reason, "reason %d, not %d", int (d.reason),
               int (reason));
  fail_unless_equals_int64 (d.sequence, sequence);
  fail_unless (d.peer_id == peer_id, "peer '%s', not '%s'", d.peer_id.c_str (),
               peer_id);
}

GST_START_TEST (test_urgent_goes_http)
{
  SchedulerConfig config;
  /* Inside the 6 s window even though a fast peer has it; overdue too. */
  auto state = state_with ({ segment (2, 8 * GST_SECOND),
                             segment (1, 2 * GST_SECOND), segment (0, 0) },
                           { peer ("A", { 0, 1, 2 }, 1e7) });
  auto d = schedule (config, state);
  /* Playback waits for 0: it gets the downlink alone, segment 1 waits.
   * Segment 2 could come from A, but not while urgent HTTP downloads run:
   * on a thin downlink the prefetch would make them late. */
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::FETCH_HTTP, DecisionReason::URGENT, 0);
  Transfer awaited;
  awaited.sequence = 0;
  state.transfers = { awaited };
  fail_unless_equals_int (schedule (config, state).size (), 0);

  /* Once 0 is held, nothing is overdue: two downloads in parallel. */
  state.held = { 0 };
  state.transfers.clear ();
  state.segments.push_back (segment (3, 3 * GST_SECOND));
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 2);
  expect (d[0], DecisionKind::FETCH_HTTP, DecisionReason::URGENT, 1);
  expect (d[1], DecisionKind::FETCH_HTTP, DecisionReason::URGENT, 3);
  state.segments.pop_back ();

  /* Held segments and running HTTP transfers are left alone, and the
   * parallel HTTP limit holds back the rest. */
  state.held = { 0 };
  Transfer http;
  http.sequence = 1;
  state.transfers = { http };
  state.segments.push_back (segment (3, 3 * GST_SECOND));
  state.segments.push_back (segment (4, 4 * GST_SECOND));
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::FETCH_HTTP, DecisionReason::URGENT, 3);

  /* Once HTTP is idle, the peer gets its turn. */
  state.held = { 0, 1, 3, 4 };
  state.transfers.clear ();
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 2,
          "A");
}

GST_END_TEST;

GST_START_TEST (test_far_goes_to_fastest_holder)
{
  SchedulerConfig config;
  auto state = state_with (
      { segment (10, 20 * GST_SECOND) },
      { peer ("slow", { 10 }, 1e6), peer ("fast", { 10 }, 5e6),
        peer ("fastest", { 11 }, 9e6), peer ("unknown", { 10 }) });
  /* A peer not measured yet counts as fast as the best measured holder:
   * it is tried rather than queued behind the known ones. */
  auto d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  fail_unless (d[0].peer_id == "fast" || d[0].peer_id == "unknown", "%s",
               d[0].peer_id.c_str ());

  state.peers.pop_back ();
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 10,
          "fast");

  /* A busy peer is not asked for now. */
  state.peers[1].busy = true;
  d = schedule (config, state);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 10,
          "slow");

  /* Peers that failed too often are skipped. */
  state.peers[1].busy = false;
  state.peers[1].failures = config.max_peer_failures;
  d = schedule (config, state);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 10,
          "slow");
}

GST_END_TEST;

/* The seeder is the origin's uplink: asked while no viewer announces the
 * segment, even a busy one; then we wait for viewers. */
GST_START_TEST (test_seeder_only_before_viewers)
{
  SchedulerConfig config;
  PeerView seeder = peer ("-GS0100-seederseeder", { 10 }, 50e6);
  seeder.seeder = true;
  auto state = state_with ({ segment (10, 20 * GST_SECOND) }, { seeder });
  auto d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 10,
          "-GS0100-seederseeder");

  state.peers.push_back (peer ("viewer", { 10 }, 1e6));
  state.peers.back ().busy = true;
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 0);

  state.peers.back ().busy = false;
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 10,
          "viewer");
}

GST_END_TEST;

/* Turns go first to members that pass segments on: a peer announcing
 * nothing (upload off) never takes the first turn from us. */
GST_START_TEST (test_turns_skip_non_uploaders)
{
  SchedulerConfig config;
  config.p2p_fanout = 1;
  std::vector<PeerView> peers = { peer ("holder", { 10 }, 1e6) };
  /* Peers that rank before us by hash alone, some holding older segments
   * (uploaders), some nothing at all. Their ids outlive the views. */
  std::vector<std::string> ids;
  for (int i = 0; i < 40; i++)
    ids.push_back ("leech" + std::to_string (i));
  for (const std::string &id : ids)
    peers.push_back (peer (id.c_str (), {}));
  auto state = state_with ({ segment (10, 20 * GST_SECOND) }, peers);
  state.held = { 9 };
  auto d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 10,
          "holder");

  /* The same members, each announcing an older segment: now some of them
   * rank before us and take the single turn. */
  for (size_t i = 1; i < state.peers.size (); i++)
    state.peers[i].announced = segments ({ 9 });
  fail_unless_equals_int (schedule (config, state).size (), 0);

  /* With upload off we are the one that waits. */
  for (size_t i = 1; i < state.peers.size (); i++)
    state.peers[i].announced = &no_segments ();
  config.upload = FALSE;
  state.peers.push_back (peer ("uploader", { 9 }));
  fail_unless_equals_int (schedule (config, state).size (), 0);
}

GST_END_TEST;

GST_START_TEST (test_per_peer_and_total_limits)
{
  SchedulerConfig config;
  auto state = state_with (
      { segment (10, 20 * GST_SECOND), segment (11, 22 * GST_SECOND),
        segment (12, 24 * GST_SECOND) },
      { peer ("B", { 10, 11, 12 }, 5e6), peer ("A", { 11 }, 1e6) });
  /* One request per peer: 10 from B, 11 from A (B is busy), 12 waits. */
  auto d = schedule (config, state);
  fail_unless_equals_int (d.size (), 2);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 10,
          "B");
  expect (d[1], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 11,
          "A");

  /* Two per peer: B takes 10 and 11; only B has 12, so 12 waits. */
  config.max_requests_per_peer = 2;
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 2);
  expect (d[1], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 11,
          "B");

  /* A running request counts against the peer's limit. */
  state.transfers = { peer_transfer (10, "B", GST_SECOND, 0) };
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 11,
          "B");

  /* And the total P2P limit. */
  config.max_parallel_p2p = 1;
  fail_unless (schedule (config, state).empty ());
}

GST_END_TEST;

GST_START_TEST (test_stall_cancels)
{
  SchedulerConfig config;
  /* Far segment stalled at A: cancel, then ask B. */
  auto state
      = state_with ({ segment (10, 20 * GST_SECOND) },
                    { peer ("A", { 10 }, 9e6), peer ("B", { 10 }, 1e6) });
  state.transfers = { peer_transfer (10, "A", 3 * GST_SECOND,
                                     config.p2p_timeout, 1000, 2000000) };
  auto d = schedule (config, state);
  fail_unless_equals_int (d.size (), 2);
  expect (d[0], DecisionKind::CANCEL_PEER, DecisionReason::STALLED, 10, "A");
  expect (d[1], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 10,
          "B");

  /* Bytes a moment ago: no stall, nothing to do. */
  state.transfers[0].last_progress = kNow - config.p2p_timeout + 1;
  fail_unless (schedule (config, state).empty ());

  /* Urgent segment stalled: cancel and HTTP. */
  state.segments = { segment (10, 5 * GST_SECOND) };
  state.transfers[0].last_progress = kNow - 5 * GST_SECOND;
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 2);
  expect (d[0], DecisionKind::CANCEL_PEER, DecisionReason::STALLED, 10, "A");
  expect (d[1], DecisionKind::FETCH_HTTP, DecisionReason::URGENT, 10);
}

GST_END_TEST;

GST_START_TEST (test_deadline_approaching)
{
  SchedulerConfig config;
  auto state = state_with ({ segment (10, 5 * GST_SECOND) },
                           { peer ("A", { 10 }, 1e6) });
  /* 1 MB of 2 MB in 2 s: needs 2 s more, ×1.5 = 3 s < 5 s: keep it. */
  state.transfers
      = { peer_transfer (10, "A", 2 * GST_SECOND, 0, 1000000, 2000000) };
  fail_unless (schedule (config, state).empty ());

  /* Only 100 kB in 2 s: 38 s more; cancel for HTTP. */
  state.transfers[0].bytes_received = 100000;
  auto d = schedule (config, state);
  fail_unless_equals_int (d.size (), 2);
  expect (d[0], DecisionKind::CANCEL_PEER, DecisionReason::DEADLINE, 10, "A");
  expect (d[1], DecisionKind::FETCH_HTTP, DecisionReason::URGENT, 10);

  /* Size still unknown inside the window: not sure, cancel. */
  state.transfers[0].bytes_total = 0;
  d = schedule (config, state);
  expect (d[0], DecisionKind::CANCEL_PEER, DecisionReason::DEADLINE, 10, "A");

  /* Without a free HTTP slot the slow peer transfer is better than none. */
  Transfer busy_a, busy_b;
  busy_a.sequence = 1;
  busy_b.sequence = 2;
  state.transfers.push_back (busy_a);
  state.transfers.push_back (busy_b);
  fail_unless (schedule (config, state).empty ());
}

GST_END_TEST;

GST_START_TEST (test_no_peers_all_http_in_time)
{
  /* No swarm: every segment comes over HTTP, two at a time, earliest first,
   * and all arrive before their deadlines with 1 s HTTP fetches. */
  SchedulerConfig config;
  SchedulerState state = state_with ({}, {});
  for (int64_t s = 0; s < 8; s++)
    state.segments.push_back (segment (s, (3 + 2 * s) * GST_SECOND));
  const GstClockTime fetch_time = GST_SECOND;
  std::map<int64_t, GstClockTime> done_at;

  for (GstClockTime t = kNow; t < kNow + 30 * GST_SECOND;
       t += 100 * GST_MSECOND) {
    state.now = t;
    for (auto it = state.transfers.begin (); it != state.transfers.end ();) {
      if (t >= it->started + fetch_time) {
        state.held.insert (it->sequence);
        done_at[it->sequence] = t;
        it = state.transfers.erase (it);
      } else {
        ++it;
      }
    }
    for (const Decision &d : schedule (config, state)) {
      fail_unless (d.kind == DecisionKind::FETCH_HTTP);
      fail_unless (state.transfers.size () < config.max_parallel_http);
      Transfer transfer;
      transfer.sequence = d.sequence;
      transfer.started = t;
      state.transfers.push_back (transfer);
    }
  }
  fail_unless_equals_int (done_at.size (), 8);
  for (const PlannedSegment &s : state.segments)
    fail_unless (done_at[s.sequence] <= s.deadline,
                 "segment %" G_GINT64_FORMAT " late", s.sequence);
}

GST_END_TEST;

GST_START_TEST (test_injector_election)
{
  SchedulerConfig config;
  std::vector<std::string> ids;
  for (int i = 0; i < 8; i++)
    ids.push_back ("-GP0100-viewer" + std::to_string (100000 + i));

  /* Exactly one rank-0 viewer per segment in a full mesh, and over many
   * segments each viewer is elected about as often as the others. */
  std::map<std::string, int> elected;
  for (int64_t seq = 0; seq < 800; seq++) {
    int injectors = 0;
    for (const std::string &self : ids) {
      std::vector<PeerView> others;
      for (const std::string &id : ids)
        if (id != self)
          others.push_back (peer (id.c_str (), {}));
      if (injector_rank (self, others, seq, config.election_seed) == 0) {
        injectors++;
        elected[self]++;
      }
    }
    fail_unless_equals_int (injectors, 1);
  }
  for (auto &e : elected)
    fail_unless (e.second > 50 && e.second < 150, "%s elected %d times",
                 e.first.c_str (), e.second);

  /* A far, unannounced segment: the injector fetches at once, rank r only
   * after r × injector_backoff, and nobody with upload off. */
  std::vector<PeerView> peers;
  for (size_t i = 1; i < ids.size (); i++)
    peers.push_back (peer (ids[i].c_str (), {}));
  auto state = state_with ({ segment (42, 20 * GST_SECOND) }, peers);
  state.self_id = ids[0];
  const guint rank = injector_rank (ids[0], peers, 42, config.election_seed);
  for (guint waited = 0; waited <= ids.size (); waited++) {
    state.segments[0].first_seen = kNow - waited * config.injector_backoff;
    auto d = schedule (config, state);
    if (waited < rank) {
      fail_unless (d.empty (), "rank %u fetched after %u", rank, waited);
    } else {
      fail_unless_equals_int (d.size (), 1);
      expect (d[0], DecisionKind::FETCH_HTTP, DecisionReason::INJECT, 42);
    }
  }
  /* Our own HTTP download of an earlier segment goes first: an injection
   * sharing a thin downlink with it would make it late. */
  Transfer own;
  own.sequence = 41;
  state.transfers = { own };
  state.segments.push_back (segment (41, 3 * GST_SECOND));
  fail_unless (schedule (config, state).empty ());
  state.transfers.clear ();
  state.held = { 41 };
  auto after = schedule (config, state);
  fail_unless_equals_int (after.size (), 1);
  expect (after[0], DecisionKind::FETCH_HTTP, DecisionReason::INJECT, 42);
  state.segments.pop_back ();
  state.held.clear ();

  config.upload = FALSE;
  fail_unless (schedule (config, state).empty ());
  config.upload = TRUE;

  /* A newcomer holding its start for peers it does not know yet: it
   * elects itself among no one, and would fetch what they hold. */
  auto newcomer = state_with ({ segment (42, 20 * GST_SECOND) }, {});
  newcomer.self_id = ids[0];
  fail_unless_equals_int (schedule (config, newcomer).size (), 1);
  newcomer.awaiting_peers = true;
  fail_unless (schedule (config, newcomer).empty ());

  /* Someone loading it over HTTP: wait for the announcement. */
  config.upload = TRUE;
  state.peers[0].loading_by_http = segments ({ 42 });
  fail_unless (schedule (config, state).empty ());
}

GST_END_TEST;

/* A peer that failed too often announces a segment nobody else has: it is
 * ignored, so the injector still brings the segment in over HTTP at once
 * instead of everyone waiting for the HTTP window. */
GST_START_TEST (test_failed_peer_does_not_block_injection)
{
  SchedulerConfig config;
  auto state = state_with ({ segment (42, 20 * GST_SECOND) },
                           { peer ("-GP0100-stallerstall", { 42 }) });
  state.self_id = "-GP0100-selfselfself";
  /* Make us the injector whatever the hash says. */
  state.segments[0].first_seen = kNow - 2 * config.injector_backoff;

  auto d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::REQUEST_PEER, DecisionReason::FASTEST_PEER, 42,
          "-GP0100-stallerstall");

  state.peers[0].failures = config.max_peer_failures;
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::FETCH_HTTP, DecisionReason::INJECT, 42);

  /* Its "loading over HTTP" is not believed either. */
  state.peers[0].announced = &no_segments ();
  state.peers[0].loading_by_http = segments ({ 42 });
  d = schedule (config, state);
  fail_unless_equals_int (d.size (), 1);
  expect (d[0], DecisionKind::FETCH_HTTP, DecisionReason::INJECT, 42);
}

GST_END_TEST;

/* ---- swarm simulation ------------------------------------------------ */

namespace {

struct SimTransfer
{
  Transfer transfer;
  GstClockTime finish;
  int uploader = -1; /* viewer index for peer transfers */
};

struct Viewer
{
  std::string id;
  GstClockTime poll_offset;
  GstClockTime playout_offset;
  std::set<int64_t> held;
  std::vector<SimTransfer> transfers;
  std::map<int, double> throughput; /* by uploader */
};

struct SimResult
{
  std::map<int64_t, int> http_copies;
  int missed = 0;
  int p2p_segments = 0;
};

/* Virtual time, 50 ms ticks. Segments of 2 s appear at the origin every
 * 2 s; viewers see them up to 1 s later (playlist polling) and play them
 * live_delay (+ up to 1.5 s) after publication. HTTP takes 400 ms; a peer
 * upload takes 300 ms times the uploader's uploads in progress. Bytes flow
 * evenly; announcements reach the other viewers after @announce_delay. */
SimResult
simulate (int viewer_count, int segment_count, const SchedulerConfig &config,
          GstClockTime announce_delay)
{
  const GstClockTime tick = 50 * GST_MSECOND;
  const GstClockTime duration = 2 * GST_SECOND;
  const GstClockTime live_delay = 10 * GST_SECOND;
  const GstClockTime http_time = 400 * GST_MSECOND;
  const GstClockTime p2p_time = 300 * GST_MSECOND;
  const uint64_t size = 1000000;

  std::vector<Viewer> viewers (viewer_count);
  for (int i = 0; i < viewer_count; i++) {
    viewers[i].id = "-GP0100-sim" + std::to_string (100000000 + i);
    viewers[i].poll_offset = (i * 173 % 1000) * GST_MSECOND;
    viewers[i].playout_offset = (i * 311 % 1500) * GST_MSECOND;
  }
  auto uploads_of = [&] (int uploader) {
    int n = 0;
    for (const Viewer &v : viewers)
      for (const SimTransfer &t : v.transfers)
        n += t.uploader == uploader;
    return n;
  };

  /* What each viewer announced, one entry per tick, newest last. */
  struct Announcement
  {
    std::set<int64_t> held, loading_by_http;
  };
  std::deque<std::vector<Announcement>> announced;

  SimResult result;
  std::set<std::pair<int, int64_t>> missed;
  const GstClockTime end
      = segment_count * duration + live_delay + 3 * GST_SECOND;
  for (GstClockTime now = 0; now < end; now += tick) {
    /* Finish transfers and advance byte counts. */
    for (Viewer &v : viewers) {
      for (auto it = v.transfers.begin (); it != v.transfers.end ();) {
        Transfer &t = it->transfer;
        if (now >= it->finish) {
          v.held.insert (t.sequence);
          if (it->uploader >= 0) {
            v.throughput[it->uploader]
                = double (size) * GST_SECOND / double (it->finish - t.started);
            result.p2p_segments++;
          }
          it = v.transfers.erase (it);
          continue;
        }
        t.bytes_received = size * (now - t.started) / (it->finish - t.started);
        t.bytes_total = size;
        t.last_progress = now;
        ++it;
      }
    }

    /* Like P2P Media Loader, announce only the recent segments. */
    const int64_t oldest = int64_t (now / duration) - 8;
    std::vector<Announcement> current (viewer_count);
    for (int i = 0; i < viewer_count; i++) {
      current[i].held.insert (viewers[i].held.lower_bound (oldest),
                              viewers[i].held.end ());
      for (const SimTransfer &t : viewers[i].transfers)
        if (t.transfer.source == TransferSource::HTTP)
          current[i].loading_by_http.insert (t.transfer.sequence);
    }
    announced.push_back (current);
    if (announced.size () > announce_delay / tick + 1)
      announced.pop_front ();
    const std::vector<Announcement> &seen = announced.front ();

    /* Every viewer decides on the same, delayed view of the swarm. */
    std::vector<std::vector<Decision>> all (viewer_count);
    for (int i = 0; i < viewer_count; i++) {
      Viewer &v = viewers[i];
      SchedulerState state;
      state.now = now;
      state.self_id = v.id;
      state.held.insert (v.held.lower_bound (oldest), v.held.end ());
      for (int64_t s = 0; s < segment_count; s++) {
        const GstClockTime seen = s * duration + v.poll_offset;
        const GstClockTime deadline
            = s * duration + live_delay + v.playout_offset;
        if (seen > now)
          break;
        if (deadline < now) {
          if (!v.held.count (s))
            missed.insert ({ i, s });
          continue;
        }
        state.segments.push_back ({ s, deadline, seen });
      }
      for (const SimTransfer &t : v.transfers)
        state.transfers.push_back (t.transfer);
      for (int j = 0; j < viewer_count; j++) {
        if (j == i)
          continue;
        PeerView p;
        p.id = viewers[j].id;
        p.announced = &seen[j].held;
        p.loading_by_http = &seen[j].loading_by_http;
        auto measured = v.throughput.find (j);
        p.throughput = measured == v.throughput.end () ? 0 : measured->second;
        state.peers.push_back (p);
      }
      all[i] = schedule (config, state);
    }

    for (int i = 0; i < viewer_count; i++) {
      Viewer &v = viewers[i];
      for (const Decision &d : all[i]) {
        if (d.kind == DecisionKind::CANCEL_PEER) {
          v.transfers.erase (
              std::remove_if (v.transfers.begin (), v.transfers.end (),
                              [&] (const SimTransfer &t) {
                                return t.transfer.sequence == d.sequence;
                              }),
              v.transfers.end ());
          continue;
        }
        SimTransfer t;
        t.transfer.sequence = d.sequence;
        t.transfer.started = now;
        t.transfer.last_progress = now;
        if (d.kind == DecisionKind::FETCH_HTTP) {
          result.http_copies[d.sequence]++;
          t.finish = now + http_time;
        } else {
          int uploader = 0;
          while (viewers[uploader].id != d.peer_id)
            uploader++;
          fail_unless (viewers[uploader].held.count (d.sequence));
          fail_if (v.held.count (d.sequence));
          t.transfer.source = TransferSource::PEER;
          t.transfer.peer_id = d.peer_id;
          t.uploader = uploader;
          t.finish = now + p2p_time * (1 + uploads_of (uploader));
        }
        v.transfers.push_back (t);
      }
    }
  }
  result.missed = int (missed.size ());
  return result;
}

} // namespace

static double
http_copies_per_segment (const SimResult &r, int segments, int *most)
{
  int copies = 0;
  *most = 0;
  for (int64_t s = 0; s < segments; s++) {
    auto it = r.http_copies.find (s);
    fail_unless (it != r.http_copies.end (), "segment %d never over HTTP",
                 int (s));
    copies += it->second;
    *most = MAX (*most, it->second);
  }
  return double (copies) / segments;
}

GST_START_TEST (test_swarm_simulation)
{
  SchedulerConfig config;
  config.http_window = 3 * GST_SECOND;
  const int segments = 40;
  const GstClockTime announce_delay = 300 * GST_MSECOND;

  for (int viewers : { 1, 4, 12, 24, 48 }) {
    SimResult r = simulate (viewers, segments, config, announce_delay);
    int most;
    const double per_segment = http_copies_per_segment (r, segments, &most);
    g_print ("simulation: %d viewers, %d segments: %.2f HTTP copies per "
             "segment (max %d), %d P2P transfers, %d missed deadlines\n",
             viewers, segments, per_segment, most, r.p2p_segments, r.missed);
    fail_unless_equals_int (r.missed, 0);
    fail_unless (per_segment <= 1.5, "%.2f HTTP copies per segment",
                 per_segment);
    /* Every viewer got every segment once, over HTTP or from a peer. */
    fail_unless_equals_int (r.p2p_segments + int (per_segment * segments + 0.5),
                            viewers * segments);
  }

  /* Control: without the election's back-off every viewer that sees a new
   * segment before an announcement reaches it fetches it too. */
  config.injector_backoff = 0;
  SimResult r = simulate (12, segments, config, announce_delay);
  int most;
  const double uncoordinated = http_copies_per_segment (r, segments, &most);
  g_print ("simulation without election: 12 viewers: %.2f HTTP copies per "
           "segment (max %d)\n",
           uncoordinated, most);
  fail_unless (uncoordinated > 1.5, "%.2f", uncoordinated);
}

GST_END_TEST;

static Suite *
scheduler_suite (void)
{
  Suite *s = suite_create ("scheduler");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_urgent_goes_http);
  tcase_add_test (tc, test_far_goes_to_fastest_holder);
  tcase_add_test (tc, test_seeder_only_before_viewers);
  tcase_add_test (tc, test_turns_skip_non_uploaders);
  tcase_add_test (tc, test_per_peer_and_total_limits);
  tcase_add_test (tc, test_stall_cancels);
  tcase_add_test (tc, test_deadline_approaching);
  tcase_add_test (tc, test_no_peers_all_http_in_time);
  tcase_add_test (tc, test_injector_election);
  tcase_add_test (tc, test_failed_peer_does_not_block_injection);
  tcase_add_test (tc, test_swarm_simulation);
  return s;
}

GST_CHECK_MAIN (scheduler);
