/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "scheduler.h"

#include <algorithm>
#include <map>

namespace p2p::swarm {

namespace {

/* FNV-1a over the seed, the id and the sequence, then a splitmix64
 * finaliser so that ids differing in one character spread well. */
guint64
election_hash (std::string_view id, std::string_view id_suffix,
               int64_t sequence, guint64 seed)
{
  guint64 h = 0xcbf29ce484222325ull;
  auto mix = [&h] (guint8 byte) {
    h ^= byte;
    h *= 0x100000001b3ull;
  };
  for (int i = 0; i < 8; i++)
    mix (guint8 (seed >> (8 * i)));
  for (char c : id)
    mix (guint8 (c));
  for (char c : id_suffix)
    mix (guint8 (c));
  for (int i = 0; i < 8; i++)
    mix (guint8 (guint64 (sequence) >> (8 * i)));
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

/* Whether @a (followed by @suffix) comes before @b (followed by @suffix)
 * in the election for @sequence. */
bool
election_before (std::string_view a, std::string_view b, int64_t sequence,
                 guint64 seed, std::string_view suffix = {})
{
  const guint64 ha = election_hash (a, suffix, sequence, seed);
  const guint64 hb = election_hash (b, suffix, sequence, seed);
  return ha != hb ? ha < hb : a < b;
}

/* A rate measured over less than this is noise. */
constexpr GstClockTime kMinRateWindow = 200 * GST_MSECOND;

bool
surely_in_time (const SchedulerConfig &config, const Transfer &transfer,
                GstClockTime now, GstClockTime deadline)
{
  const GstClockTime since
      = transfer.first_bytes && now >= transfer.first_bytes + kMinRateWindow
            ? transfer.first_bytes
            : transfer.started;
  if (transfer.bytes_total == 0 || transfer.bytes_received == 0 || now <= since)
    return false;
  const double elapsed = double (now - since);
  const double rate = double (transfer.bytes_received) / elapsed;
  const double remaining
      = double (transfer.bytes_total
                - std::min (transfer.bytes_total, transfer.bytes_received));
  const double finish
      = double (now) + config.p2p_safety_factor * remaining / rate;
  return finish <= double (deadline);
}

/* Running counts while decisions are made. */
struct Load
{
  guint http = 0;
  guint p2p = 0;
  std::map<std::string_view, guint> per_peer;
};

/* A peer that failed us too often is as good as gone: it gets no requests,
 * and what it announces neither holds back the injector nor counts as a
 * copy in the swarm. Otherwise one peer that announces everything and
 * delivers nothing would stop every segment from being injected early. */
bool
usable (const SchedulerConfig &config, const PeerView &peer)
{
  return peer.failures < config.max_peer_failures;
}

/* What we expect from @peer: its measured throughput, or for a peer not
 * measured yet the best we measured among the holders, so that unknown
 * peers get tried (ties spread by hash) instead of queueing behind a
 * known slow one. */
double
expected_throughput (const PeerView &peer, double best_known)
{
  return peer.throughput > 0 ? peer.throughput : best_known;
}

const PeerView *
fastest_holder (const SchedulerConfig &config, const SchedulerState &state,
                const Load &load, int64_t sequence, std::string_view excluded)
{
  std::vector<const PeerView *> holders;
  double best_known = 0;
  bool viewer_holds = false;
  for (const PeerView &peer : state.peers) {
    if (!peer.announced->count (sequence) || !usable (config, peer))
      continue;
    viewer_holds |= !peer.seeder;
    if (peer.id == excluded || peer.busy)
      continue;
    auto it = load.per_peer.find (peer.id);
    if (it != load.per_peer.end ()
        && it->second >= config.max_requests_per_peer)
      continue;
    holders.push_back (&peer);
    best_known = std::max (best_known, peer.throughput);
  }
  const PeerView *best = nullptr;
  for (const PeerView *peer : holders) {
    /* The broadcaster's seeder is the origin's own uplink: once a viewer
     * holds the segment, we wait for viewers (or the HTTP window), so that
     * the origin serves each segment to few peers. Ties go by a hash of
     * holder and downloader, so that viewers spread over equal uploaders
     * rather than all picking the same one. */
    if (peer->seeder && viewer_holds)
      continue;
    const double mine = expected_throughput (*peer, best_known);
    const double theirs = best ? expected_throughput (*best, best_known) : 0;
    if (!best || mine > theirs
        || (mine == theirs
            && election_before (peer->id, best->id, sequence,
                                config.election_seed, state.self_id)))
      best = peer;
  }
  return best;
}

/* A peer that announces nothing uploads nothing (upload off, or just
 * joined): it waits for its turn behind the ones that pass segments on. */
bool
uploads (const PeerView &peer)
{
  return !peer.announced->empty () || !peer.loading_by_http->empty ();
}

/* Whether it is our turn to fetch @sequence from peers: our rank among the
 * members not announcing it, against the turns the holders give. Members
 * that pass segments on come first, so that early copies multiply. */
bool
p2p_turn (const SchedulerConfig &config, const SchedulerState &state,
          int64_t sequence)
{
  /* By the same test as for the others: what we would announce. */
  const bool self_uploads = config.upload && !state.held.empty ();
  guint turns = 0, rank = 0;
  for (const PeerView &peer : state.peers) {
    if (!usable (config, peer))
      continue;
    if (peer.announced->count (sequence)) {
      turns += peer.seeder ? config.seeder_turns : config.p2p_fanout;
      continue;
    }
    const bool ahead = uploads (peer) == self_uploads
                           ? election_before (peer.id, state.self_id, sequence,
                                              config.election_seed)
                           : uploads (peer);
    rank += ahead;
  }
  return rank < turns;
}

bool
announced_by_anyone (const SchedulerConfig &config, const SchedulerState &state,
                     int64_t sequence)
{
  return std::any_of (state.peers.begin (), state.peers.end (),
                      [&config, sequence] (const PeerView &peer) {
                        return usable (config, peer)
                               && (peer.announced->count (sequence)
                                   || peer.loading_by_http->count (sequence));
                      });
}

} // namespace

const SegmentSet &
no_segments ()
{
  static const SegmentSet none;
  return none;
}

guint
injector_rank (std::string_view self_id, const std::vector<PeerView> &peers,
               int64_t sequence, guint64 seed)
{
  guint rank = 0;
  for (const PeerView &peer : peers)
    if (election_before (peer.id, self_id, sequence, seed))
      rank++;
  return rank;
}

std::vector<Decision>
schedule (const SchedulerConfig &config, const SchedulerState &state)
{
  const GstClockTime now = state.now;
  std::vector<Decision> decisions;

  Load load;
  std::map<int64_t, const Transfer *> transfer_of;
  for (const Transfer &transfer : state.transfers) {
    transfer_of[transfer.sequence] = &transfer;
    if (transfer.source == TransferSource::HTTP) {
      load.http++;
    } else {
      load.p2p++;
      load.per_peer[transfer.peer_id]++;
    }
  }

  std::vector<PlannedSegment> segments = state.segments;
  std::stable_sort (segments.begin (), segments.end (),
                    [] (const PlannedSegment &a, const PlannedSegment &b) {
                      return a.deadline < b.deadline;
                    });

  /* While playback waits for an HTTP download (start-up, or a stall),
   * nothing else goes over HTTP: a second download would share the
   * downlink and make the awaited one later. */
  bool waiting_on_http = false;
  for (const PlannedSegment &segment : segments) {
    auto found = transfer_of.find (segment.sequence);
    if (segment.deadline <= now && found != transfer_of.end ()
        && found->second->source == TransferSource::HTTP)
      waiting_on_http = true;
  }
  auto http_free = [&] {
    return load.http < (waiting_on_http ? 1 : config.max_parallel_http);
  };

  for (const PlannedSegment &segment : segments) {
    if (state.held.count (segment.sequence))
      continue;
    const bool urgent = segment.deadline <= now + config.http_window;
    std::string_view excluded_peer;

    auto found = transfer_of.find (segment.sequence);
    if (found != transfer_of.end ()) {
      const Transfer &transfer = *found->second;
      if (transfer.source == TransferSource::HTTP)
        continue;
      const bool stalled = now >= transfer.last_progress + config.p2p_timeout;
      const bool late
          = urgent && http_free ()
            && !surely_in_time (config, transfer, now,
                                segment.deadline - config.http_reserve);
      if (!stalled && !late)
        continue;
      decisions.push_back (
          { DecisionKind::CANCEL_PEER,
            stalled ? DecisionReason::STALLED : DecisionReason::DEADLINE,
            segment.sequence, transfer.peer_id });
      load.p2p--;
      load.per_peer[transfer.peer_id]--;
      excluded_peer = transfer.peer_id;
    }

    if (urgent) {
      if (http_free ()) {
        decisions.push_back ({ DecisionKind::FETCH_HTTP,
                               DecisionReason::URGENT,
                               segment.sequence,
                               {} });
        load.http++;
        waiting_on_http |= segment.deadline <= now;
      }
      continue;
    }

    const bool p2p_time_left
        = segment.deadline > now + config.http_window + config.min_p2p_time;
    const PeerView *holder
        = fastest_holder (config, state, load, segment.sequence, excluded_peer);
    if (holder) {
      /* Prefetching from peers yields to a running HTTP download: on a
       * thin downlink the two would share it and make the urgent one late. */
      if (!p2p_time_left || load.http > 0)
        continue;
      if (load.p2p < config.max_parallel_p2p
          && p2p_turn (config, state, segment.sequence)) {
        decisions.push_back ({ DecisionKind::REQUEST_PEER,
                               DecisionReason::FASTEST_PEER, segment.sequence,
                               std::string (holder->id) });
        load.p2p++;
        load.per_peer[holder->id]++;
      }
      continue;
    }
    /* Injecting serves the others, not our playback: it waits for our own
     * HTTP download, which it would otherwise slow on a thin downlink. */
    if (!config.upload || state.awaiting_peers
        || announced_by_anyone (config, state, segment.sequence)
        || load.http > 0)
      continue;

    const guint rank = injector_rank (state.self_id, state.peers,
                                      segment.sequence, config.election_seed);
    if (now >= segment.first_seen + rank * config.injector_backoff) {
      decisions.push_back ({ DecisionKind::FETCH_HTTP,
                             DecisionReason::INJECT,
                             segment.sequence,
                             {} });
      load.http++;
    }
  }
  return decisions;
}

} // namespace p2p::swarm
