/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The segment scheduler (DESIGN.md §3): pure logic, state in, decisions
 * out. No clock, no socket, no randomness of its own: the caller passes
 * `now` and everything it knows, and applies the decisions. The same code
 * runs in the engine, in unit tests and in swarm simulations.
 *
 * For each segment not held yet, earliest deadline first:
 *  - inside the HTTP window (deadline - now <= http_window, or overdue):
 *    fetch over HTTP, unless a peer transfer already running will surely
 *    finish in time;
 *  - beyond it: request it from the fastest peer that announced it (a peer
 *    not measured yet counts as fast as the best measured one), skipping
 *    peers busy serving others, within per-peer and total limits. The
 *    broadcaster's seeder is asked only while no viewer announces the
 *    segment: its uploads are origin egress. So that a new segment fans
 *    out through the swarm instead of every viewer asking its first holder
 *    at once, viewers take turns: ranked among the members that do not
 *    hold it yet (same hash as below, but members that announce nothing,
 *    which pass nothing on, last), a viewer asks only while its rank is
 *    below the holders' turns (p2p_fanout each, seeder_turns for the
 *    seeder);
 *  - a running peer transfer is cancelled when no byte came for
 *    p2p_timeout (then the segment goes to another peer, or to HTTP when
 *    urgent), or when it enters the HTTP window and will not surely finish
 *    in time (then HTTP, if a slot is free);
 *  - a segment nobody announced (held or loading over HTTP) is injected into
 *    the swarm over HTTP by one viewer only: all our peers rank the swarm's
 *    members by a hash of (peer id, sequence) and the first one fetches at
 *    once; rank r waits r × injector_backoff after first seeing the segment,
 *    in case the ones before it are gone. Everyone else waits for an
 *    announcement, or for the HTTP window. Viewers with upload off never
 *    inject, nor does a viewer while its own HTTP download runs (the two
 *    would share its downlink). Browsers follow their own rules and are not
 *    coordinated.
 */
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gst/gst.h>

namespace p2p::swarm {

struct SchedulerConfig
{
  GstClockTime http_window = 6 * GST_SECOND;
  GstClockTime p2p_timeout = 2 * GST_SECOND;
  /* A peer is asked for a segment only while at least this much time is
   * left before the HTTP window: a request made at its edge is cancelled
   * before the first bytes arrive, wasting the peer's uplink. */
  GstClockTime min_p2p_time = 1 * GST_SECOND;
  GstClockTime injector_backoff = 1 * GST_SECOND;
  /* P2P Media Loader runs one download per peer at a time, and 3 at most
   * (simultaneousP2PDownloads); 2 parallel HTTP downloads likewise. */
  guint max_requests_per_peer = 1;
  guint max_parallel_p2p = 3;
  guint max_parallel_http = 2;
  /* New downloaders per holder of a segment admitted at once (see above). */
  guint p2p_fanout = 2;
  /* Downloaders the seeder admits per segment while no viewer holds it:
   * its uploads are origin egress, but two first copies spread much
   * sooner than one (tools/p2p-swarm-sim, and the bench). */
  guint seeder_turns = 2;
  /* Peers that failed this often (timeouts, bad data) get no requests. */
  guint max_peer_failures = 3;
  /* A running peer transfer counts as surely in time when its projected
   * finish, stretched by this factor, is before the deadline. */
  double p2p_safety_factor = 1.5;
  /* ... and before the deadline less this, so that a transfer that slows
   * down later (its uploader took on someone else) still leaves HTTP the
   * time to fetch the segment. */
  GstClockTime http_reserve = 1 * GST_SECOND;
  gboolean upload = TRUE;
  /* Mixed into the injector election; the same on every peer of a swarm. */
  guint64 election_seed = 0;
};

/* A segment between the playhead and the live edge. */
struct PlannedSegment
{
  int64_t sequence = 0;
  /* When it must be pushed downstream, on the caller's clock. */
  GstClockTime deadline = 0;
  /* When it first appeared in our copy of the playlist. */
  GstClockTime first_seen = 0;
};

enum class TransferSource {
  HTTP,
  PEER,
};

struct Transfer
{
  int64_t sequence = 0;
  TransferSource source = TransferSource::HTTP;
  std::string peer_id; /* PEER only */
  GstClockTime started = 0;
  GstClockTime last_progress = 0; /* last bytes, or `started` */
  /* When the first payload bytes came, 0 before: the rate is measured from
   * there, so that the request's round trip and the data channel's slow
   * start do not make a good peer look too slow to finish. */
  GstClockTime first_bytes = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_total = 0; /* 0 until SegmentData told us */
  /* A range of one stripe (gst-p2p 2 relaying), -1: the whole segment. */
  int stripe = -1;
  gsize from = 0;
};

/* What a peer lists. Views point at the sets their peer's session keeps:
 * they are rebuilt on every scheduling pass, and copying the sets cost most
 * of a large simulation's time. */
using SegmentSet = std::set<int64_t>;
const SegmentSet &no_segments ();

struct PeerView
{
  /* Valid while the view is: the peer session's own copy. */
  std::string_view id;
  const SegmentSet *announced = &no_segments ();       /* announcement `l` */
  const SegmentSet *loading_by_http = &no_segments (); /* announcement `p` */
  double throughput = 0; /* bytes/s measured from it, 0 unknown */
  guint failures = 0;
  /* The broadcaster's seeder: asked only when no viewer holds it. */
  bool seeder = false;
  /* It turned a request down for serving others: not asked for now, but
   * what it holds still counts. */
  bool busy = false;

  /* gst-p2p 2: it relays stripes (and what it announced about that). */
  bool relays = false;
  /* Per stripe: hops from the broadcaster, -1 if it receives none. */
  const std::vector<int64_t> *depths = nullptr;
  /* Per stripe: the ids of the relays from the broadcaster down to it. */
  const std::vector<std::vector<uint32_t>> *paths = nullptr;
  int64_t free_slots = 0;
  /* The stripe it relays (interior_stripe ()), -1: every one (the
   * seeder). */
  int interior = -1;
  /* Stripes it relays at most: how strong its uplink is. */
  int64_t relay_slots = 0;
  /* Stripes we subscribed to from it (a bit per stripe). */
  guint32 pushing_to_us = 0;
  /* Ranges we asked of it and that have not ended. */
  size_t ranges_pending = 0;
};

struct SchedulerState
{
  GstClockTime now = 0;
  std::string self_id;
  std::vector<PlannedSegment> segments;
  std::set<int64_t> held;
  std::vector<Transfer> transfers;
  std::vector<PeerView> peers;
  /* Playback holds its start for the swarm (ViewerConfig::startup_wait)
   * and no peer is known yet: nothing is injected, since the peers about
   * to connect may hold it. */
  bool awaiting_peers = false;
};

enum class DecisionKind {
  FETCH_HTTP,
  REQUEST_PEER,
  CANCEL_PEER,
};

enum class DecisionReason {
  URGENT,       /* FETCH_HTTP: inside the HTTP window */
  INJECT,       /* FETCH_HTTP: elected to bring a new segment in */
  FASTEST_PEER, /* REQUEST_PEER */
  STALLED,      /* CANCEL_PEER: no bytes for p2p_timeout */
  DEADLINE,     /* CANCEL_PEER: will not surely finish in time */
};

struct Decision
{
  DecisionKind kind;
  DecisionReason reason;
  int64_t sequence;
  std::string peer_id; /* REQUEST_PEER and CANCEL_PEER */
};

/* The decisions for @state, in the order to apply them: a CANCEL_PEER comes
 * before whatever replaces the transfer. Deterministic. */
std::vector<Decision> schedule (const SchedulerConfig &config,
                                const SchedulerState &state);

/* The position of @self_id among itself and @peers in the injector order
 * for @sequence: 0 is the injector. */
guint injector_rank (std::string_view self_id,
                     const std::vector<PeerView> &peers, int64_t sequence,
                     guint64 seed);

} // namespace p2p::swarm
