/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The swarms of one shard: peers per info_hash, offer relay to random other
 * peers, answer routing, expiry. Pure logic with time passed in: one server
 * worker owns each shard (info_hash picks the shard) and no lock is taken.
 * Messages leave through an Output, keyed by connection id. In a cluster
 * (cluster.h) the worker picks receivers across nodes and uses the parts:
 * join (), deliver_offer (), deliver (); the shard only holds this node's
 * peers.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "gst/webtorrent/protocol.h"

namespace p2p::tracker {

using ConnectionId = uint64_t;

struct ShardLimits
{
  size_t max_peers_per_swarm = 100000;
  int64_t announce_interval_s = 120;
  int64_t peer_expiry_ms = 300 * 1000;
  /* How long a relayed offer can be answered (browsers give up at 50 s). */
  int64_t offer_ttl_ms = 120 * 1000;
  /* Offers a peer may have waiting for its answer; the oldest go first. */
  size_t max_pending_offers_per_peer = 50;
};

/* An offer ready to relay: the message does not depend on the receiver, so
 * the connection's worker builds it once. */
struct PreparedOffer
{
  webtorrent::Id20 offer_id;
  std::string message;
};

class SwarmShard
{
public:
  class Output
  {
  public:
    virtual ~Output () = default;
    virtual void send (ConnectionId to, std::string message) = 0;
  };

  /* Where the answer to an offer goes: 0 for an offerer on this node, else
   * a number the cluster gave another node's member (cluster.h). */
  using MemberIndex = uint16_t;

  enum class Error { NONE, SWARM_FULL, UNKNOWN_OFFER };

  struct Outcome
  {
    size_t offers_relayed = 0;
    bool answer_relayed = false;
    Error error = Error::NONE;
    /* answer (): the offerer is on that member; relay the message there */
    MemberIndex forward_to = 0;
  };

  /* What an announce did to the swarm's membership. */
  struct Joined
  {
    Error error = Error::NONE; /* SWARM_FULL: nothing changed */
    bool removed = false;      /* a stop that removed the peer */
    bool seeder = false;       /* the peer's state afterwards */
  };

  SwarmShard (const ShardLimits &limits, uint64_t seed);

  /* An announce (any event) on a tracker alone: join (), then the reply to
   * @conn with this shard's counts and the offers relayed to random other
   * peers of the shard. */
  Outcome announce (ConnectionId conn, const webtorrent::Id20 &info_hash,
                    const webtorrent::Id20 &peer_id,
                    webtorrent::AnnounceEvent event, bool left_is_zero,
                    std::vector<PreparedOffer> &offers, int64_t now_ms,
                    Output &out);

  /* The membership part of an announce: adds or refreshes the peer, or
   * removes it on a stop from its own connection. A full swarm refuses a
   * new peer with a failure sent to @conn. */
  Joined join (ConnectionId conn, const webtorrent::Id20 &info_hash,
               const webtorrent::Id20 &peer_id, webtorrent::AnnounceEvent event,
               bool left_is_zero, int64_t now_ms, Output &out);
  /* The announce response with this shard's counts. */
  void respond (ConnectionId conn, const webtorrent::Id20 &info_hash,
                Output &out) const;
  /* Relays @offers to distinct random other peers of this shard's swarm;
   * returns how many went. */
  size_t relay_offers (const webtorrent::Id20 &info_hash,
                       const webtorrent::Id20 &from_peer_id,
                       std::vector<PreparedOffer> &offers, int64_t now_ms,
                       Output &out);
  /* An offer for the peer @to_peer_id of this shard, from @from_peer_id,
   * whose answer goes to @reply_to: the offer becomes pending for @to and
   * @message is sent to it. False if @to is not here. */
  bool deliver_offer (const webtorrent::Id20 &info_hash,
                      const webtorrent::Id20 &to_peer_id,
                      const webtorrent::Id20 &from_peer_id,
                      const webtorrent::Id20 &offer_id, MemberIndex reply_to,
                      std::string message, int64_t now_ms, Output &out);
  /* Sends @message to the peer @to_peer_id of this shard, if it is here. */
  bool deliver (const webtorrent::Id20 &info_hash,
                const webtorrent::Id20 &to_peer_id, std::string message,
                Output &out);

  /* Routes an answer if @peer_id (on @conn) still holds an unexpired offer
   * @offer_id from @to_peer_id: to the offerer's connection if it is here
   * (@message is moved), else to the member in outcome.forward_to (the
   * caller relays @message). Replies a failure to @conn otherwise. */
  Outcome answer (ConnectionId conn, const webtorrent::Id20 &info_hash,
                  const webtorrent::Id20 &peer_id,
                  const webtorrent::Id20 &to_peer_id,
                  const webtorrent::Id20 &offer_id, std::string &message,
                  int64_t now_ms, Output &out);

  /* The connection is gone: drops the peer if @conn still owns it, and
   * says whether it did. */
  bool leave (ConnectionId conn, const webtorrent::Id20 &info_hash,
              const webtorrent::Id20 &peer_id);

  webtorrent::TrackerMessage::ScrapeFile
  scrape (const webtorrent::Id20 &info_hash) const;

  /* Drops silent peers and stale offers; returns the peers dropped, each
   * also added to @dropped (info_hash, peer_id) if given. */
  size_t
  expire (int64_t now_ms,
          std::vector<std::pair<webtorrent::Id20, webtorrent::Id20>> *dropped
          = nullptr);

  /* Every swarm of the shard with its peers and which of them seed. */
  void for_each_swarm (
      const std::function<void (const webtorrent::Id20 &info_hash,
                                const std::vector<webtorrent::Id20> &peers,
                                const std::vector<webtorrent::Id20> &seeders)>
          &visit) const;

  size_t
  swarm_count () const
  {
    return swarms_.size ();
  }
  size_t
  peer_count () const
  {
    return peers_;
  }
  size_t
  seeder_count () const
  {
    return seeders_;
  }

private:
  struct PendingOffer
  {
    webtorrent::Id20 offer_id;
    webtorrent::Id20 from;
    int64_t expires_ms;
    MemberIndex reply_to;
  };

  struct Peer
  {
    webtorrent::Id20 peer_id;
    ConnectionId conn;
    int64_t last_seen_ms;
    bool seeder;
    std::vector<PendingOffer> pending;
  };

  struct Swarm
  {
    std::vector<Peer> peers;
    std::unordered_map<webtorrent::Id20, uint32_t, webtorrent::Id20Hash> index;
    int64_t seeders = 0;
  };

  Peer *find_peer (Swarm &swarm, const webtorrent::Id20 &peer_id);
  Peer *find_peer (const webtorrent::Id20 &info_hash,
                   const webtorrent::Id20 &peer_id);
  void remove_peer (Swarm &swarm, uint32_t at);
  void add_pending (Peer &to, const webtorrent::Id20 &offer_id,
                    const webtorrent::Id20 &from, MemberIndex reply_to,
                    int64_t now_ms);

  ShardLimits limits_;
  std::unordered_map<webtorrent::Id20, Swarm, webtorrent::Id20Hash> swarms_;
  size_t peers_ = 0;
  size_t seeders_ = 0;
  std::mt19937_64 rng_;
};

} // namespace p2p::tracker
