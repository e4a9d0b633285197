/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The simulated network: hosts on access links (uplink and downlink rates
 * shared among their flows, a one-way delay to the core, packet loss), and
 * the peer transport over it (PeerTransport/PeerChannel, as webrtcbin data
 * channels are in production). A message is served by the sender's
 * uplink, crosses the core (both hosts' delays), then the receiver's
 * downlink. Loss costs a retransmission (one round trip, and ordered
 * delivery waits for it) and caps a channel's rate as SCTP's congestion
 * control does (Mathis et al.). Like SCTP's congestion window, a channel
 * has at most about two round trips of its rate between the sender's
 * uplink and the receiver's delivery: the rest waits at the sender, where
 * it counts in the buffered amount, so a slow path pushes back on the
 * sender instead of queueing for seconds inside the network.
 */
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gst/p2p/peer/peer-transport.h"
#include "sim/event-loop.h"
#include "sim/shared-link.h"

namespace p2p::sim {

struct LinkSpec
{
  double up_bytes_per_s = 1.25e6;
  double down_bytes_per_s = 6.25e6;
  /* Host to core, one way: a round trip between hosts A and B takes
   * 2 × (delay A + delay B). */
  GstClockTime delay = 10 * GST_MSECOND;
  /* Probability that a packet is lost. */
  double loss = 0;
};

/* What the wire carries besides the messages' bytes, per packet (charged
 * when Network::wire_costs () is on). */
namespace wire {
/* webrtcbin's SCTP packets are 1,200 bytes: the payload of a DATA chunk is
 * that less SCTP's common header (12) and the chunk's (16). */
inline constexpr gsize kSctpPayload = 1172;
/* On top of those 28: DTLS's record header (13) and AES-GCM's nonce and
 * tag (24), UDP (8), IPv4 (20). */
inline constexpr gsize kSctpHeaders = 28 + 13 + 24 + 8 + 20;
/* A SACK on its own: common header and SACK chunk (12 + 16), then the
 * same DTLS, UDP and IP. SCTP acknowledges every second packet. */
inline constexpr gsize kSctpAck = 12 + 16 + 13 + 24 + 8 + 20;
/* HTTP over TCP: a full segment's payload, and the headers of each
 * segment and of the ACK of every second one (IPv4, TCP and its
 * timestamps). */
inline constexpr gsize kTcpSegment = 1448;
inline constexpr gsize kTcpHeaders = 20 + 20 + 12;

/* Packets that carry @bytes, @payload bytes each at most (an empty
 * message still takes one). */
inline constexpr gsize
packets (gsize bytes, gsize payload)
{
  return bytes ? (bytes + payload - 1) / payload : 1;
}
} // namespace wire

class Network;

class Host
{
public:
  Host (Network &network, guint32 id, const LinkSpec &link);
  ~Host ();

  guint32
  id () const
  {
    return id_;
  }
  const LinkSpec &
  link () const
  {
    return spec_;
  }
  SharedLink &
  uplink ()
  {
    return uplink_;
  }
  SharedLink &
  downlink ()
  {
    return downlink_;
  }
  Network &
  network ()
  {
    return network_;
  }

  /* A message of @size bytes goes onto the uplink: the headers of its
   * packets, 0 when the network does not charge them. */
  gsize packet_headers (gsize size);
  /* A message of @bytes arrived in packets of at most @payload bytes: the
   * uplink sends an acknowledgement of @ack_bytes for every second packet,
   * and one for a lone packet (the delayed acknowledgement's timer). */
  void acknowledge (gsize bytes, gsize payload, gsize ack_bytes);
  /* Packets the uplink sent: messages' and acknowledgements'. */
  guint64
  uplink_packets () const
  {
    return uplink_packets_;
  }

private:
  Network &network_;
  const guint32 id_;
  const LinkSpec spec_;
  SharedLink uplink_;
  SharedLink downlink_;
  /* Acknowledgements owed, sent together once they fill a packet (their
   * timing does not matter: only the uplink's time they take). */
  Flow *acks_ = nullptr;
  gsize acks_owed_ = 0;
  guint64 uplink_packets_ = 0;
};

class Endpoint;

class Network
{
public:
  struct Timing
  {
    /* From creating a channel to its description (ICE gathering). */
    GstClockTime gather = 20 * GST_MSECOND;
    /* From the answer to the open channel, in round trips (ICE checks,
     * DTLS, SCTP). */
    double handshake_round_trips = 3;
    /* WebRtcPeerConfig::connect_timeout_ms. */
    GstClockTime connect_timeout = 50 * GST_SECOND;
    /* send () refuses beyond this (WebRtcPeerConfig's low threshold). */
    guint64 buffered_low_threshold = 256 * 1024;
    /* The smallest congestion window, bytes (SCTP's initial one is about
     * 4 packets; this also covers slow start). */
    guint64 min_window = 64 * 1024;
  };

  explicit Network (EventLoop &loop) : loop_ (loop) {}
  ~Network ();

  Host &add_host (const LinkSpec &link);
  /* The host leaves: nothing may use it afterwards. Its channels must be
   * gone already (their owners dropped them). */
  void remove_host (Host &host);

  EventLoop &
  loop ()
  {
    return loop_;
  }
  Timing &
  timing ()
  {
    return timing_;
  }
  /* Whether links carry packet headers and acknowledgements (wire::) as
   * well as messages. Packets are counted either way. */
  bool
  wire_costs () const
  {
    return wire_costs_;
  }
  void
  set_wire_costs (bool on)
  {
    wire_costs_ = on;
  }

  /* One way from @from to @to. */
  GstClockTime
  delay (const Host &from, const Host &to) const
  {
    return from.link ().delay + to.link ().delay;
  }
  double
  loss (const Host &a, const Host &b) const
  {
    return 1 - (1 - a.link ().loss) * (1 - b.link ().loss);
  }
  /* A random draw in [0, 1), the network's own: the engine's draws stay
   * what they would be without loss. */
  double draw ();

  /* The peer transport of @host. */
  std::unique_ptr<peer::PeerTransport> transport (Host &host);

  /* Channels, by id, for the messages in flight to find their end. */
  Endpoint *find (guint64 id) const;
  guint64 add (Endpoint *endpoint);
  void forget (guint64 id);

private:
  EventLoop &loop_;
  Timing timing_;
  bool wire_costs_ = false;
  guint32 next_host_ = 0;
  std::unordered_map<guint32, std::unique_ptr<Host>> hosts_;
  /* By id - 1: ids are handed out in order and never reused. */
  std::vector<Endpoint *> endpoints_;
  guint64 draw_state_ = 0x853c49e6748fea9bull;
};

} // namespace p2p::sim
