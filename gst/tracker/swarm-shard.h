/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The swarms of one shard: peers per info_hash, offer relay to random other
 * peers, answer routing, expiry. Pure logic with time passed in: one server
 * worker owns each shard (info_hash picks the shard) and no lock is taken.
 * Messages leave through an Output, keyed by connection id.
 */
#pragma once

#include <cstdint>
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

  enum class Error { NONE, SWARM_FULL, UNKNOWN_OFFER };

  struct Outcome
  {
    size_t offers_relayed = 0;
    bool answer_relayed = false;
    Error error = Error::NONE;
  };

  SwarmShard (const ShardLimits &limits, uint64_t seed);

  /* An announce (any event). Replies to @conn, relays offers. */
  Outcome announce (ConnectionId conn, const webtorrent::Id20 &info_hash,
                    const webtorrent::Id20 &peer_id,
                    webtorrent::AnnounceEvent event, bool left_is_zero,
                    std::vector<PreparedOffer> &offers, int64_t now_ms,
                    Output &out);

  /* Routes an answer to the offerer if @peer_id (on @conn) still holds an
   * unexpired offer @offer_id from @to_peer_id; else replies a failure. */
  Outcome answer (ConnectionId conn, const webtorrent::Id20 &info_hash,
                  const webtorrent::Id20 &peer_id,
                  const webtorrent::Id20 &to_peer_id,
                  const webtorrent::Id20 &offer_id, std::string message,
                  int64_t now_ms, Output &out);

  /* The connection is gone: drops the peer if @conn still owns it. */
  void leave (ConnectionId conn, const webtorrent::Id20 &info_hash,
              const webtorrent::Id20 &peer_id);

  webtorrent::TrackerMessage::ScrapeFile
  scrape (const webtorrent::Id20 &info_hash) const;

  /* Drops silent peers and stale offers; returns the peers dropped. */
  size_t expire (int64_t now_ms);

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
  void remove_peer (Swarm &swarm, uint32_t at);
  void send_response (ConnectionId conn, const webtorrent::Id20 &info_hash,
                      const Swarm *swarm, Output &out) const;
  size_t relay_offers (Swarm &swarm, uint32_t from_at,
                       std::vector<PreparedOffer> &offers, int64_t now_ms,
                       Output &out);

  ShardLimits limits_;
  std::unordered_map<webtorrent::Id20, Swarm, webtorrent::Id20Hash> swarms_;
  size_t peers_ = 0;
  size_t seeders_ = 0;
  std::mt19937_64 rng_;
};

} // namespace p2p::tracker
