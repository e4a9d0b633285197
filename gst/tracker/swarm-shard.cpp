/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/swarm-shard.h"

#include <algorithm>

namespace p2p::tracker {

using namespace webtorrent;

SwarmShard::SwarmShard (const ShardLimits &limits, uint64_t seed)
    : limits_ (limits), rng_ (seed)
{
}

SwarmShard::Peer *
SwarmShard::find_peer (Swarm &swarm, const Id20 &peer_id)
{
  auto it = swarm.index.find (peer_id);
  return it == swarm.index.end () ? nullptr : &swarm.peers[it->second];
}

SwarmShard::Peer *
SwarmShard::find_peer (const Id20 &info_hash, const Id20 &peer_id)
{
  auto it = swarms_.find (info_hash);
  return it == swarms_.end () ? nullptr : find_peer (it->second, peer_id);
}

void
SwarmShard::remove_peer (Swarm &swarm, uint32_t at)
{
  /* swap with the last so the vector stays dense for random picks */
  Peer &peer = swarm.peers[at];
  if (peer.seeder) {
    swarm.seeders--;
    seeders_--;
  }
  swarm.index.erase (peer.peer_id);
  if (at + 1 != swarm.peers.size ()) {
    peer = std::move (swarm.peers.back ());
    swarm.index[peer.peer_id] = at;
  }
  swarm.peers.pop_back ();
  peers_--;
}

void
SwarmShard::respond (ConnectionId conn, const Id20 &info_hash,
                     Output &out) const
{
  auto it = swarms_.find (info_hash);
  const Swarm *swarm = it == swarms_.end () ? nullptr : &it->second;
  int64_t complete = swarm ? swarm->seeders : 0;
  int64_t incomplete
      = swarm ? static_cast<int64_t> (swarm->peers.size ()) - swarm->seeders
              : 0;
  out.send (conn, build_announce_response (info_hash, complete, incomplete,
                                           limits_.announce_interval_s));
}

void
SwarmShard::add_pending (Peer &to, const Id20 &offer_id, const Id20 &from,
                         MemberIndex reply_to, int64_t now_ms)
{
  if (to.pending.size () >= limits_.max_pending_offers_per_peer)
    to.pending.erase (to.pending.begin ());
  to.pending.push_back (
      { offer_id, from, now_ms + limits_.offer_ttl_ms, reply_to });
}

size_t
SwarmShard::relay_offers (const Id20 &info_hash, const Id20 &from_peer_id,
                          std::vector<PreparedOffer> &offers, int64_t now_ms,
                          Output &out)
{
  auto it = swarms_.find (info_hash);
  if (it == swarms_.end ())
    return 0;
  Swarm &swarm = it->second;
  auto from = swarm.index.find (from_peer_id);
  if (from == swarm.index.end ())
    return 0;
  const uint32_t from_at = from->second;
  size_t others = swarm.peers.size () - 1;
  size_t count = std::min (offers.size (), others);
  if (count == 0)
    return 0;

  /* Distinct random receivers other than the sender: a partial shuffle
   * when most peers are needed, rejection sampling otherwise. */
  std::vector<uint32_t> chosen;
  chosen.reserve (count);
  if (count * 2 >= others) {
    for (uint32_t i = 0; i < swarm.peers.size (); i++) {
      if (i != from_at)
        chosen.push_back (i);
    }
    for (size_t i = 0; i < count; i++) {
      std::uniform_int_distribution<size_t> pick (i, chosen.size () - 1);
      std::swap (chosen[i], chosen[pick (rng_)]);
    }
    chosen.resize (count);
  } else {
    std::uniform_int_distribution<uint32_t> pick (
        0, static_cast<uint32_t> (swarm.peers.size () - 1));
    while (chosen.size () < count) {
      uint32_t i = pick (rng_);
      if (i != from_at
          && std::find (chosen.begin (), chosen.end (), i) == chosen.end ())
        chosen.push_back (i);
    }
  }

  for (size_t i = 0; i < count; i++) {
    Peer &to = swarm.peers[chosen[i]];
    add_pending (to, offers[i].offer_id, from_peer_id, 0, now_ms);
    out.send (to.conn, std::move (offers[i].message));
  }
  return count;
}

SwarmShard::Joined
SwarmShard::join (ConnectionId conn, const Id20 &info_hash, const Id20 &peer_id,
                  AnnounceEvent event, bool left_is_zero, int64_t now_ms,
                  Output &out)
{
  Joined joined;
  auto it = swarms_.find (info_hash);

  if (event == AnnounceEvent::STOPPED) {
    if (it != swarms_.end ()) {
      auto at = it->second.index.find (peer_id);
      if (at != it->second.index.end ()
          && it->second.peers[at->second].conn == conn) {
        remove_peer (it->second, at->second);
        joined.removed = true;
      }
      if (it->second.peers.empty ())
        swarms_.erase (it);
    }
    return joined;
  }

  if (it == swarms_.end ())
    it = swarms_.emplace (info_hash, Swarm ()).first;
  Swarm &swarm = it->second;
  Peer *peer = find_peer (swarm, peer_id);
  if (!peer) {
    if (swarm.peers.size () >= limits_.max_peers_per_swarm) {
      if (swarm.peers.empty ())
        swarms_.erase (it);
      out.send (conn, build_failure ("swarm is full", "announce", &info_hash));
      joined.error = Error::SWARM_FULL;
      return joined;
    }
    /* Started, or any other event from an unknown peer, which
     * bittorrent-tracker treats as a start: seeder only if left is 0. */
    swarm.index.emplace (peer_id, static_cast<uint32_t> (swarm.peers.size ()));
    swarm.peers.push_back (Peer{ peer_id, conn, now_ms, left_is_zero, {} });
    peers_++;
    peer = &swarm.peers.back ();
    if (left_is_zero) {
      swarm.seeders++;
      seeders_++;
    }
  } else {
    /* The newest connection announcing a peer id owns it. */
    peer->conn = conn;
    peer->last_seen_ms = now_ms;
    bool becomes_seeder = event == AnnounceEvent::COMPLETED || left_is_zero;
    if (!peer->seeder && becomes_seeder) {
      peer->seeder = true;
      swarm.seeders++;
      seeders_++;
    }
  }
  joined.seeder = peer->seeder;
  return joined;
}

SwarmShard::Outcome
SwarmShard::announce (ConnectionId conn, const Id20 &info_hash,
                      const Id20 &peer_id, AnnounceEvent event,
                      bool left_is_zero, std::vector<PreparedOffer> &offers,
                      int64_t now_ms, Output &out)
{
  Outcome outcome;
  Joined joined
      = join (conn, info_hash, peer_id, event, left_is_zero, now_ms, out);
  outcome.error = joined.error;
  if (joined.error != Error::NONE)
    return outcome;
  /* bittorrent-tracker still answers a stop, with the counts after it */
  respond (conn, info_hash, out);
  if (event != AnnounceEvent::STOPPED)
    outcome.offers_relayed
        = relay_offers (info_hash, peer_id, offers, now_ms, out);
  return outcome;
}

bool
SwarmShard::deliver_offer (const Id20 &info_hash, const Id20 &to_peer_id,
                           const Id20 &from_peer_id, const Id20 &offer_id,
                           MemberIndex reply_to, std::string message,
                           int64_t now_ms, Output &out)
{
  Peer *to = find_peer (info_hash, to_peer_id);
  if (!to || to->peer_id == from_peer_id)
    return false;
  add_pending (*to, offer_id, from_peer_id, reply_to, now_ms);
  out.send (to->conn, std::move (message));
  return true;
}

bool
SwarmShard::deliver (const Id20 &info_hash, const Id20 &to_peer_id,
                     std::string message, Output &out)
{
  Peer *to = find_peer (info_hash, to_peer_id);
  if (!to)
    return false;
  out.send (to->conn, std::move (message));
  return true;
}

SwarmShard::Outcome
SwarmShard::answer (ConnectionId conn, const Id20 &info_hash,
                    const Id20 &peer_id, const Id20 &to_peer_id,
                    const Id20 &offer_id, std::string &message, int64_t now_ms,
                    Output &out)
{
  Outcome outcome;
  Peer *answerer = find_peer (info_hash, peer_id);
  bool found = false;
  MemberIndex reply_to = 0;
  if (answerer && answerer->conn == conn) {
    auto &pending = answerer->pending;
    auto match = std::find_if (
        pending.begin (), pending.end (), [&] (const PendingOffer &p) {
          return p.offer_id == offer_id && p.from == to_peer_id
                 && p.expires_ms >= now_ms;
        });
    if (match != pending.end ()) {
      reply_to = match->reply_to;
      found = reply_to || find_peer (info_hash, to_peer_id);
      if (found)
        pending.erase (match);
    }
  }
  if (!found) {
    out.send (conn, build_failure ("unknown offer (expired, or not sent to "
                                   "this peer)",
                                   "announce", &info_hash));
    outcome.error = Error::UNKNOWN_OFFER;
    return outcome;
  }
  answerer->last_seen_ms = now_ms;
  if (reply_to)
    outcome.forward_to = reply_to;
  else
    out.send (find_peer (info_hash, to_peer_id)->conn, std::move (message));
  outcome.answer_relayed = true;
  return outcome;
}

bool
SwarmShard::leave (ConnectionId conn, const Id20 &info_hash,
                   const Id20 &peer_id)
{
  auto it = swarms_.find (info_hash);
  if (it == swarms_.end ())
    return false;
  bool removed = false;
  auto at = it->second.index.find (peer_id);
  if (at != it->second.index.end ()
      && it->second.peers[at->second].conn == conn) {
    remove_peer (it->second, at->second);
    removed = true;
  }
  if (it->second.peers.empty ())
    swarms_.erase (it);
  return removed;
}

TrackerMessage::ScrapeFile
SwarmShard::scrape (const Id20 &info_hash) const
{
  TrackerMessage::ScrapeFile file;
  file.info_hash = info_hash;
  auto it = swarms_.find (info_hash);
  if (it != swarms_.end ()) {
    file.complete = it->second.seeders;
    file.incomplete
        = static_cast<int64_t> (it->second.peers.size ()) - it->second.seeders;
    /* as bittorrent-tracker: a lower bound, the current seeders */
    file.downloaded = file.complete;
  }
  return file;
}

size_t
SwarmShard::expire (int64_t now_ms,
                    std::vector<std::pair<Id20, Id20>> *dropped_peers)
{
  size_t dropped = 0;
  for (auto it = swarms_.begin (); it != swarms_.end ();) {
    Swarm &swarm = it->second;
    for (uint32_t i = 0; i < swarm.peers.size ();) {
      Peer &peer = swarm.peers[i];
      if (peer.last_seen_ms + limits_.peer_expiry_ms < now_ms) {
        if (dropped_peers)
          dropped_peers->emplace_back (it->first, peer.peer_id);
        remove_peer (swarm, i);
        dropped++;
        continue;
      }
      auto &pending = peer.pending;
      pending.erase (std::remove_if (pending.begin (), pending.end (),
                                     [now_ms] (const PendingOffer &p) {
                                       return p.expires_ms < now_ms;
                                     }),
                     pending.end ());
      if (pending.empty ())
        pending.shrink_to_fit ();
      i++;
    }
    if (swarm.peers.empty ())
      it = swarms_.erase (it);
    else
      ++it;
  }
  return dropped;
}

void
SwarmShard::for_each_swarm (
    const std::function<void (const Id20 &, const std::vector<Id20> &,
                              const std::vector<Id20> &)> &visit) const
{
  std::vector<Id20> peers, seeders;
  for (const auto &entry : swarms_) {
    peers.clear ();
    seeders.clear ();
    for (const Peer &peer : entry.second.peers) {
      peers.push_back (peer.peer_id);
      if (peer.seeder)
        seeders.push_back (peer.peer_id);
    }
    visit (entry.first, peers, seeders);
  }
}

} // namespace p2p::tracker
