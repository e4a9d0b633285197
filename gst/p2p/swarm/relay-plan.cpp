/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "relay-plan.h"

#include <algorithm>
#include <map>

namespace p2p::swarm {

namespace {

guint64
mix (std::string_view a, std::string_view b, guint64 seed)
{
  guint64 h = 0xcbf29ce484222325ull ^ seed;
  for (std::string_view part : { a, b })
    for (char c : part) {
      h ^= guint8 (c);
      h *= 0x100000001b3ull;
    }
  h ^= h >> 31;
  h *= 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 29);
}

bool
in_path (const PeerView &peer, guint stripe, uint32_t id)
{
  if (!peer.paths || stripe >= peer.paths->size ())
    return false;
  const auto &path = (*peer.paths)[stripe];
  return std::find (path.begin (), path.end (), id) != path.end ();
}

int64_t
depth_of (const PeerView &peer, guint stripe)
{
  return peer.depths && stripe < peer.depths->size () ? (*peer.depths)[stripe]
                                                      : -1;
}

const PeerView *
find_peer (const RelayState &state, std::string_view id)
{
  for (const PeerView &p : state.peers)
    if (p.id == id)
      return &p;
  return nullptr;
}

/* The stripe flows from its parent fast enough to be whole in time: an
 * HTTP range would fetch it twice. */
bool
keeps_up (const RelayConfig &config, GstClockTime now,
          const RelaySegment &segment, const StripeState &stripe)
{
  if (stripe.rate <= 0 || now >= stripe.last_bytes + config.flow_margin
      || segment.deadline <= now + config.min_http_time)
    return false;
  const double left_s
      = double (stripe.end - stripe.begin - stripe.received) / stripe.rate;
  return now + GstClockTime (left_s * GST_SECOND) + config.flow_margin
         <= segment.deadline;
}

/* Where a new parent's stream of stripe @j starts: at the earliest segment
 * we plan that has none of the stripe yet, nor a range bringing it, and
 * is far enough from its HTTP window for the parent to bring it; else
 * where nothing older is missing. The segments before the new parent's
 * first would otherwise all come over HTTP. */
int64_t
subscription_start (const RelayConfig &config, const RelayState &state, guint j)
{
  for (const RelaySegment &segment : state.segments) {
    if (segment.sequence >= state.subscribe_from[j])
      break;
    if (j >= segment.stripes.size () || segment.stripes[j].received > 0
        || segment.deadline
               <= state.now + config.http_window + config.min_catch_up_time)
      continue;
    bool ranged = false;
    for (const Transfer &t : state.ranges)
      ranged |= t.sequence == segment.sequence && t.stripe == int (j);
    if (!ranged)
      return segment.sequence;
  }
  return state.subscribe_from[j];
}

/* How long before the HTTP window a stripe of @segment that we relay is
 * repaired: the configured lead, but no more than half the time peers
 * have for the segment (from when our playlist listed it to the window),
 * so that with a short live delay our own parent still gets its turn. */
GstClockTime
relay_lead (const RelayConfig &config, const RelaySegment &segment)
{
  if (!segment.listed)
    return config.relay_lead;
  const GstClockTime window_opens = segment.deadline > config.http_window
                                        ? segment.deadline - config.http_window
                                        : 0;
  if (window_opens <= segment.listed)
    return 0;
  return std::min (config.relay_lead, (window_opens - segment.listed) / 2);
}

} // namespace

std::vector<RelayDecision>
plan_relay (const RelayConfig &config, const RelayState &state)
{
  std::vector<RelayDecision> decisions;
  const guint stripes = guint (state.parents.size ());

  /* Parents: leave the ones that cannot bring their stripe any more. */
  std::vector<bool> has_parent (stripes);
  std::map<std::string_view, guint> parent_of;
  for (guint j = 0; j < stripes; j++) {
    const RelayParent &parent = state.parents[j];
    if (parent.peer_id.empty ())
      continue;
    const PeerView *peer = find_peer (state, parent.peer_id);
    /* A parent between parents of its own (depth -1) still brings the
     * stripe, by ranges or HTTP: only its misses count. */
    const bool lost = !peer || in_path (*peer, j, state.self_relay_id)
                      || parent.misses >= config.max_parent_misses;
    if (lost) {
      decisions.push_back ({ RelayDecisionKind::UNSUBSCRIBE, j, 0, {}, 0, 0 });
      continue;
    }
    has_parent[j] = true;
    parent_of[parent.peer_id]++;
  }

  /* Strong relays move up to the seeder: a stripe's tree is only as broad
   * as the uplinks near its root. One whose parent got the stripe from the
   * seeder and has less than half our relay slots asks the seeder, which
   * hands that relay's copy to us. */
  const PeerView *seeder = nullptr;
  for (const PeerView &p : state.peers)
    if (p.seeder && p.relays && !p.busy && p.free_slots > 0)
      seeder = &p;
  bool from_seeder = false;
  for (guint j = 0; j < stripes; j++)
    from_seeder |= seeder && state.parents[j].peer_id == seeder->id;
  for (guint j = state.self_interior;
       j == state.self_interior && seeder && !from_seeder && j < stripes; j++) {
    const PeerView *parent
        = has_parent[j] ? find_peer (state, state.parents[j].peer_id) : nullptr;
    if (!parent || depth_of (*parent, j) != 1
        || 2 * parent->relay_slots >= int64_t (state.self_relay_slots))
      continue;
    decisions.push_back ({ RelayDecisionKind::UNSUBSCRIBE, j, 0, {}, 0, 0 });
    decisions.push_back ({ RelayDecisionKind::SUBSCRIBE, j,
                           subscription_start (config, state, j),
                           std::string (seeder->id), 0, 0 });
    parent_of[parent->id]--;
    parent_of[seeder->id]++;
    has_parent[j] = true;
    break;
  }

  /* Parents for the stripes without one. Free slots are counted down as we
   * ask, so one pass does not send everyone to the same peer. */
  std::vector<int64_t> free_slots (state.peers.size ());
  for (size_t i = 0; i < state.peers.size (); i++)
    free_slots[i] = state.peers[i].free_slots;
  /* By the peer's place in state.peers (peer ids are unique there). */
  auto slots = [&] (const PeerView &p) -> int64_t & {
    return free_slots[size_t (&p - state.peers.data ())];
  };
  /* A stripe comes from the seeder or from one of the viewers that relay
   * it; the seeder's copies are for those. */
  auto usable = [&] (const PeerView &p, guint j) {
    return p.relays && !p.busy && p.failures == 0 && depth_of (p, j) >= 0
           && slots (p) > 0 && !in_path (p, j, state.self_relay_id)
           && !(p.seeder && state.self_relay_slots == 0);
  };
  /* A segment due inside the HTTP window that no flow brings in time, or
   * that comes whole over HTTP, needs the whole downlink: no new parent's
   * stream until it is in (a newcomer on a slow link fetches its backlog
   * first). */
  bool near_segment_short
      = state.whole_http_due != GST_CLOCK_TIME_NONE
        && state.whole_http_due <= state.now + config.http_window;
  for (const RelaySegment &segment : state.segments)
    for (const StripeState &stripe : segment.stripes)
      near_segment_short |= segment.deadline <= state.now + config.http_window
                            && stripe.begin + stripe.received < stripe.end
                            && !keeps_up (config, state.now, segment, stripe);
  /* Where the subscriptions decided now start. */
  std::vector<int64_t> new_parent_from (stripes, G_MAXINT64);
  for (guint j = 0; j < stripes; j++) {
    if (has_parent[j] || !state.new_parents || near_segment_short)
      continue;
    /* Near the root first; among those, peers with more free slots more
     * often, so that viewers looking at once spread over them. */
    const PeerView *best = nullptr;
    int64_t best_depth = G_MAXINT64;
    for (const PeerView &p : state.peers)
      if (usable (p, j))
        best_depth = std::min (best_depth, depth_of (p, j));
    double best_score = -1;
    for (const PeerView &p : state.peers) {
      if (!usable (p, j) || depth_of (p, j) > best_depth + 1)
        continue;
      const double draw
          = double (mix (p.id, state.self_id,
                         config.election_seed + j + state.now / GST_SECOND)
                    >> 11)
            / double (1ull << 53);
      double score = double (slots (p)) * (0.5 + draw);
      if (parent_of.count (p.id))
        score /= 4; /* one parent holding back several stripes: avoided */
      /* Each stripe's own relays first: a strong uplink then serves one
       * tree broadly rather than several deeply (SplitStream). The
       * seeder's copies go to the relays of their stripe. */
      if (!p.seeder && p.interior != int (j))
        score /= 4;
      if (p.seeder && state.self_interior != j)
        score /= 16;
      if (depth_of (p, j) > best_depth)
        score /= 2;
      if (score > best_score) {
        best_score = score;
        best = &p;
      }
    }
    /* A relay of this stripe may take the place of a leaf under a full
     * parent much nearer the root (Swarm::push_down_child): the tree
     * stays shallow rather than growing under its last free slots. */
    const bool relay_of_j
        = state.self_interior == j && state.self_relay_slots > 0;
    for (const PeerView &p : state.peers) {
      const int64_t depth = depth_of (p, j);
      if (!relay_of_j || p.seeder || !p.relays || p.busy || p.failures > 0
          || slots (p) > 0 || p.relay_slots <= 0 || p.interior != int (j)
          || depth < 0 || depth + 2 > (best ? best_depth : G_MAXINT64)
          || in_path (p, j, state.self_relay_id))
        continue;
      if (!best || depth_of (*best, j) > depth
          || (depth_of (*best, j) == depth && slots (*best) <= 0
              && mix (p.id, state.self_id, j)
                     < mix (best->id, state.self_id, j)))
        best = &p;
    }
    if (!best)
      continue;
    new_parent_from[j] = subscription_start (config, state, j);
    decisions.push_back ({ RelayDecisionKind::SUBSCRIBE, j, new_parent_from[j],
                           std::string (best->id), 0, 0 });
    slots (*best)--;
    parent_of[best->id]++;
  }

  /* Stripes of segments, earliest deadline first. */
  guint http = state.http_busy;
  guint ranges = 0;
  std::map<std::string_view, guint> ranges_per_peer;
  std::map<std::pair<int64_t, guint>, const Transfer *> running;
  for (const Transfer &t : state.ranges) {
    running[{ t.sequence, guint (t.stripe) }] = &t;
    if (t.source == TransferSource::HTTP) {
      http++;
    } else {
      ranges++;
      ranges_per_peer[t.peer_id]++;
    }
  }

  /* HTTP fetches one segment after the other, as playback needs them:
   * the next one shares the downlink only once its own deadline is near. */
  bool http_taken = state.http_busy > 0;
  for (const RelaySegment &segment : state.segments) {
    const bool segment_urgent
        = segment.deadline <= state.now + config.http_window
          && (!http_taken
              || segment.deadline <= state.now + config.min_http_time);
    bool over_http = false;
    const bool p2p_time_left = segment.deadline > state.now + config.http_window
                                                      + config.min_p2p_time;
    for (guint j = 0; j < segment.stripes.size () && j < stripes; j++) {
      const StripeState &stripe = segment.stripes[j];
      const gsize from = stripe.begin + stripe.received;
      const bool relayed
          = j < state.relayed_stripes.size () && state.relayed_stripes[j];
      const RelayParent &parent = state.parents[j];
      const bool subscribed = (has_parent[j] && segment.sequence >= parent.from)
                              || segment.sequence >= new_parent_from[j];
      auto found = running.find ({ segment.sequence, j });
      /* Nothing but HTTP will bring it: no subscription does, no range is
       * running, and it is too late to ask a peer for one. Waiting for
       * the window would only leave it less time: a newcomer's backlog,
       * fetched at the window while its first parents' streams took the
       * downlink, stalled a viewer at 3 times the stream's rate. */
      const bool orphaned = !subscribed && !p2p_time_left && !http_taken
                            && found == running.end ();
      const bool urgent
          = segment_urgent || orphaned
            || (relayed && !http_taken
                && segment.deadline <= state.now + config.http_window
                                           + relay_lead (config, segment));
      if (from >= stripe.end)
        continue;
      if (found != running.end ()) {
        const Transfer &t = *found->second;
        if (t.source == TransferSource::HTTP) {
          over_http = true;
          continue;
        }
        const bool stalled = state.now >= t.last_progress + config.p2p_timeout;
        if (!stalled && !urgent)
          continue;
        decisions.push_back ({ RelayDecisionKind::CANCEL_RANGE, j,
                               segment.sequence, t.peer_id, 0, 0 });
        ranges--;
        ranges_per_peer[t.peer_id]--;
      }
      if (urgent && !keeps_up (config, state.now, segment, stripe)) {
        over_http = true;
        if (http < config.max_parallel_http) {
          decisions.push_back ({ RelayDecisionKind::HTTP_RANGE,
                                 j,
                                 segment.sequence,
                                 {},
                                 from,
                                 stripe.end });
          http++;
        }
        continue;
      }
      if (urgent)
        continue;
      /* A subscription brings it, one decided now too (a range would
       * bring the same bytes twice); a parent that stalls is stood in
       * for by HTTP inside the window (and left, see above). */
      if (subscribed)
        continue;
      /* An earlier segment coming over HTTP needs the whole downlink: a
       * range of a later one would hold it back on a slow link. */
      if (!p2p_time_left || ranges >= config.max_parallel_ranges || http_taken)
        continue;
      const PeerView *holder = nullptr;
      for (const PeerView &p : state.peers) {
        /* Not the broadcaster's seeder: its uplink is for its stripes. */
        if (!p.relays || p.seeder || p.busy || p.failures > 0
            || !p.announced->count (segment.sequence)
            || ranges_per_peer[p.id] > 0 || p.pushing_to_us)
          continue;
        if (!holder || p.free_slots > holder->free_slots
            || (p.free_slots == holder->free_slots
                && mix (p.id, state.self_id, segment.sequence + j)
                       < mix (holder->id, state.self_id, segment.sequence + j)))
          holder = &p;
      }
      if (!holder)
        continue;
      decisions.push_back ({ RelayDecisionKind::PULL_RANGE, j, segment.sequence,
                             std::string (holder->id), from, stripe.end });
      ranges++;
      ranges_per_peer[holder->id]++;
    }
    http_taken |= over_http;
  }
  return decisions;
}

} // namespace p2p::swarm
