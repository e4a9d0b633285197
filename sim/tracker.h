/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The simulated tracker: the real tracker core (the WebTorrent protocol
 * codec and SwarmShard: random peers of the swarm for each announce's
 * offers, answers routed back, expiry) behind TrackerConnector connections
 * that carry the real JSON messages with the hosts' delays. So no simulated
 * peer sees the whole swarm, as none does with the real tracker.
 */
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "gst/p2p/net/tracker-connection.h"
#include "gst/tracker/swarm-shard.h"
#include "sim/network.h"

namespace p2p::sim {

class TrackerConnectionImpl;

class Tracker : private tracker::SwarmShard::Output
{
public:
  Tracker (Network &network, Host &host, const tracker::ShardLimits &limits,
           guint64 seed);
  ~Tracker () override;

  static constexpr const char *kUrl = "ws://tracker.sim";

  /* The connector of viewers on @host. */
  std::unique_ptr<net::TrackerConnector> connector (Host &host);

  guint64
  messages_received () const
  {
    return messages_received_;
  }
  guint64
  announces () const
  {
    return announces_;
  }

private:
  friend class TrackerConnectionImpl;

  void send (tracker::ConnectionId to, std::string message) override;
  void receive (tracker::ConnectionId from, const std::string &text);
  void expire ();

  Network &network_;
  Host &host_;
  tracker::SwarmShard shard_;
  tracker::ConnectionId next_id_ = 0;
  std::unordered_map<tracker::ConnectionId, TrackerConnectionImpl *>
      connections_;
  TimerId expire_timer_ = 0;
  guint64 messages_received_ = 0;
  guint64 announces_ = 0;
};

} // namespace p2p::sim
