/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "network.h"

#include <algorithm>
#include <cmath>

#include "gst/p2p/common/error.h"

namespace p2p::sim {

namespace {

constexpr double kPacketBytes = 1200;

/* The rate a loss-limited SCTP/TCP flow settles at (Mathis et al. 1997:
 * MSS / RTT × 1.22 / sqrt(p)). */
double
loss_limited_rate (double loss, GstClockTime rtt)
{
  if (loss <= 0 || rtt == 0)
    return 0; /* no limit */
  return kPacketBytes / (double (rtt) / GST_SECOND) * 1.22 / std::sqrt (loss);
}

guint64
parse_description (const std::string &sdp)
{
  if (sdp.compare (0, 4, "sim:") != 0)
    return 0;
  return g_ascii_strtoull (sdp.c_str () + 4, nullptr, 10);
}

} // namespace

/* One end of a simulated data channel. */
class Endpoint : public peer::PeerChannel
{
public:
  Endpoint (Network &network, Host &host, peer::ChannelEvents events)
      : network_ (network), host_ (host), events_ (std::move (events))
  {
    id_ = network_.add (this);
    up_ = host_.uplink ().open ([this] (Unit unit) { on_sent (unit); });
    down_ = host_.downlink ().open ([this] (Unit unit) { on_received (unit); });
    EventLoop &loop = network_.loop ();
    gather_timer_ = loop.call_later (network_.timing ().gather, [this] {
      gather_timer_ = 0;
      if (!closed_ && events_.local_description)
        events_.local_description ("sim:" + std::to_string (id_));
    });
    connect_timer_
        = loop.call_later (network_.timing ().connect_timeout, [this] {
            connect_timer_ = 0;
            if (!open_)
              fail (GST_P2P_ERROR_TIMEOUT, "data channel not open in time");
          });
  }

  ~Endpoint () override
  {
    close ();
    network_.forget (id_);
  }

  /* The answerer's side: the offer names the offerer. */
  void
  answer (guint64 offerer)
  {
    remote_ = offerer;
  }

  bool
  set_remote_answer (const std::string &sdp, GError **error) override
  {
    const guint64 answerer = parse_description (sdp);
    if (answerer == 0 || remote_ != 0) {
      g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                   "not a simulated answer, or not expected now");
      return false;
    }
    remote_ = answerer;
    Endpoint *remote = network_.find (answerer);
    /* A remote that is gone, or answered someone else, never opens: the
     * connect timeout ends us, as ICE would. */
    if (!remote || remote->remote_ != id_)
      return true;
    const GstClockTime rtt = 2 * network_.delay (host_, remote->host_);
    const GstClockTime handshake
        = GstClockTime (network_.timing ().handshake_round_trips * rtt);
    const guint64 remote_id = remote->id_;
    network_.loop ().call_later (
        handshake, [net = &network_, a = id_, b = remote_id] {
          Endpoint *first = net->find (a), *second = net->find (b);
          if (!first || !second)
            return;
          /* Both or neither: the one gone closes the other. */
          if (first->closed_ || second->closed_)
            return;
          first->on_open (*second);
          if ((second = net->find (b)) && !second->closed_)
            second->on_open_from (a);
        });
    return true;
  }

  bool
  send (GBytes *message) override
  {
    if (!open_ || closed_)
      return false;
    if (buffered_amount () > low_threshold_) {
      send_refused_ = true;
      return false;
    }
    const gsize size = g_bytes_get_size (message);
    held_.push_back (Unit{ BytesRef (message), size });
    held_bytes_ += size;
    release_window ();
    return true;
  }

  guint64
  buffered_amount () const override
  {
    return up_ ? up_->queued_bytes () + held_bytes_ : 0;
  }
  void
  set_buffered_low_threshold (guint64 bytes) override
  {
    low_threshold_ = bytes;
  }
  bool
  is_open () const override
  {
    return open_ && !closed_;
  }

  void
  close () override
  {
    if (closed_)
      return;
    closed_ = true;
    open_ = false;
    release ();
    if (remote_ == 0)
      return;
    Endpoint *remote = network_.find (remote_);
    if (!remote)
      return;
    network_.loop ().call_later (network_.delay (host_, remote->host_),
                                 [net = &network_, id = remote_, me = id_] {
                                   Endpoint *r = net->find (id);
                                   if (r && r->remote_ == me)
                                     r->on_remote_closed ();
                                 });
  }

private:
  friend class Network;

  void
  on_open (const Endpoint &remote)
  {
    open_ = true;
    delay_ = network_.delay (host_, remote.host_);
    const GstClockTime rtt = 2 * delay_;
    const double loss = network_.loss (host_, remote.host_);
    loss_rtt_ = rtt;
    loss_ = loss;
    const double cap = loss_limited_rate (loss, rtt);
    seconds_per_byte_ = cap > 0 ? 1.0 / cap : 0;
    /* Two round trips of what the path can take at best: the loss-limited
     * rate, or the remote's downlink. */
    const double path_rate
        = cap > 0 ? cap : remote.host_.link ().down_bytes_per_s;
    window_ = std::max (network_.timing ().min_window,
                        guint64 (2 * path_rate * double (rtt) / GST_SECOND));
    network_.loop ().cancel (std::exchange (connect_timer_, 0));
    if (events_.open)
      events_.open ();
  }

  void
  on_open_from (guint64 remote_id)
  {
    if (Endpoint *remote = network_.find (remote_id))
      on_open (*remote);
  }

  /* A message left our uplink: across the core to the remote. */
  void
  on_sent (Unit &unit)
  {
    Endpoint *remote = network_.find (remote_);
    if (remote && remote->remote_ == id_) {
      /* The remote keeps it: the event carries no more than fits in a
       * std::function without an allocation. */
      remote->crossing_.push_back (std::move (unit));
      network_.loop ().call_later (delay_, [net = &network_, id = remote_] {
        if (Endpoint *r = net->find (id))
          r->on_crossed ();
      });
    }
    if (send_refused_ && buffered_amount () <= low_threshold_) {
      send_refused_ = false;
      if (events_.writable)
        events_.writable ();
    }
  }

  /* A message crossed our downlink: delivered in order, after a
   * retransmission when a packet of it was lost, and no faster than loss
   * lets the channel go. */
  void
  on_received (Unit &unit)
  {
    EventLoop &loop = network_.loop ();
    GstClockTime at = loop.now ();
    if (loss_ > 0) {
      const double packets = std::ceil (double (unit.size) / kPacketBytes);
      if (network_.draw () < 1 - std::pow (1 - loss_, packets))
        at += loss_rtt_;
    }
    at = std::max (
        at, last_delivery_
                + GstClockTime (seconds_per_byte_ * unit.size * GST_SECOND));
    last_delivery_ = at;
    if (at == loop.now ()) {
      deliver (unit);
      return;
    }
    delivering_.push_back (std::move (unit));
    loop.call_later (at - loop.now (), [net = &network_, id = id_] {
      if (Endpoint *e = net->find (id))
        e->on_delivery_due ();
    });
  }

  /* The oldest unit crossing the core to us reached our downlink. Units
   * from our one remote all take the same delay, so they arrive in the
   * order they left (events due at the same time run in the order they
   * were made). */
  void
  on_crossed ()
  {
    Unit unit = std::move (crossing_.front ());
    crossing_.pop_front ();
    if (!closed_)
      host_.downlink ().send (down_, std::move (unit));
  }

  /* The oldest message waiting for its delivery time is due: the times
   * never decrease (last_delivery_), so they come due in order. */
  void
  on_delivery_due ()
  {
    Unit unit = std::move (delivering_.front ());
    delivering_.pop_front ();
    deliver (unit);
  }

  void
  deliver (const Unit &unit)
  {
    /* The acknowledgement opens the sender's window (its trip back is
     * left out: the window's second round trip covers it). */
    Endpoint *sender = network_.find (remote_);
    if (sender && sender->remote_ == id_)
      sender->acknowledged (unit.size);
    host_.acknowledge (unit.size, wire::kSctpPayload, wire::kSctpAck);
    if (open_ && !closed_ && events_.message)
      events_.message (unit.bytes.get ());
  }

  void
  acknowledged (gsize size)
  {
    in_flight_ -= std::min<guint64> (in_flight_, size);
    release_window ();
  }

  /* What the window lets go from the sender's buffer onto the uplink. */
  void
  release_window ()
  {
    while (!held_.empty () && in_flight_ < window_ && up_) {
      Unit &unit = held_.front ();
      unit.headers = host_.packet_headers (unit.size);
      in_flight_ += unit.size;
      held_bytes_ -= unit.size;
      host_.uplink ().send (up_, std::move (unit));
      held_.pop_front ();
    }
  }

  void
  on_remote_closed ()
  {
    if (closed_)
      return;
    closed_ = true;
    open_ = false;
    release ();
    if (events_.closed)
      events_.closed (nullptr);
  }

  void
  fail (GstP2PError code, const char *why)
  {
    if (closed_)
      return;
    GError *error = g_error_new_literal (GST_P2P_ERROR, code, why);
    close ();
    if (events_.closed)
      events_.closed (error);
    g_error_free (error);
  }

  /* Stops timers and traffic. */
  void
  release ()
  {
    EventLoop &loop = network_.loop ();
    loop.cancel (std::exchange (gather_timer_, 0));
    loop.cancel (std::exchange (connect_timer_, 0));
    if (up_)
      host_.uplink ().close (std::exchange (up_, nullptr));
    if (down_)
      host_.downlink ().close (std::exchange (down_, nullptr));
    held_.clear ();
    held_bytes_ = 0;
  }

  Network &network_;
  Host &host_;
  peer::ChannelEvents events_;
  guint64 id_ = 0;
  guint64 remote_ = 0;
  Flow *up_ = nullptr;
  Flow *down_ = nullptr;
  TimerId gather_timer_ = 0;
  TimerId connect_timer_ = 0;
  bool open_ = false;
  bool closed_ = false;
  bool send_refused_ = false;
  guint64 low_threshold_ = network_.timing ().buffered_low_threshold;
  /* One way to the remote, known once open (hosts are cold in the cache). */
  GstClockTime delay_ = 0;
  double loss_ = 0;
  GstClockTime loss_rtt_ = 0;
  double seconds_per_byte_ = 0;
  GstClockTime last_delivery_ = 0;
  /* Units between the remote's uplink and our downlink, and messages past
   * our downlink not yet delivered, oldest first. */
  Fifo<Unit> crossing_;
  Fifo<Unit> delivering_;
  /* Sent, waiting for the congestion window. */
  Fifo<Unit> held_;
  guint64 held_bytes_ = 0;
  /* Bytes between our uplink and the remote's delivery. */
  guint64 in_flight_ = 0;
  guint64 window_ = 0;
};

namespace {

class Transport : public peer::PeerTransport
{
public:
  Transport (Network &network, Host &host) : network_ (network), host_ (host) {}

  std::unique_ptr<peer::PeerChannel>
  offer (peer::ChannelEvents events, GError **) override
  {
    return std::make_unique<Endpoint> (network_, host_, std::move (events));
  }

  std::unique_ptr<peer::PeerChannel>
  answer (const std::string &remote_offer, peer::ChannelEvents events,
          GError **error) override
  {
    const guint64 offerer = parse_description (remote_offer);
    if (offerer == 0) {
      g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                   "not a simulated offer");
      return nullptr;
    }
    auto endpoint
        = std::make_unique<Endpoint> (network_, host_, std::move (events));
    endpoint->answer (offerer);
    return endpoint;
  }

private:
  Network &network_;
  Host &host_;
};

} // namespace

Host::Host (Network &network, guint32 id, const LinkSpec &link)
    : network_ (network), id_ (id), spec_ (link),
      uplink_ (network.loop (), link.up_bytes_per_s),
      downlink_ (network.loop (), link.down_bytes_per_s)
{
}

Host::~Host ()
{
  if (acks_)
    uplink_.close (acks_);
}

gsize
Host::packet_headers (gsize size)
{
  const gsize packets = wire::packets (size, wire::kSctpPayload);
  uplink_packets_ += packets;
  return network_.wire_costs () ? packets * wire::kSctpHeaders : 0;
}

void
Host::acknowledge (gsize bytes, gsize payload, gsize ack_bytes)
{
  const gsize acks = (wire::packets (bytes, payload) + 1) / 2;
  uplink_packets_ += acks;
  if (!network_.wire_costs ())
    return;
  acks_owed_ += acks * ack_bytes;
  if (acks_owed_ < wire::kSctpPayload)
    return;
  if (!acks_)
    acks_ = uplink_.open ([] (Unit) {});
  uplink_.send (acks_, Unit{ BytesRef (), 0, std::exchange (acks_owed_, 0) });
}

Network::~Network () = default;

Host &
Network::add_host (const LinkSpec &link)
{
  const guint32 id = next_host_++;
  auto host = std::make_unique<Host> (*this, id, link);
  Host &ref = *host;
  hosts_.emplace (id, std::move (host));
  return ref;
}

void
Network::remove_host (Host &host)
{
  hosts_.erase (host.id ());
}

double
Network::draw ()
{
  /* splitmix64 */
  guint64 z = (draw_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return double (z >> 11) * (1.0 / 9007199254740992.0);
}

std::unique_ptr<peer::PeerTransport>
Network::transport (Host &host)
{
  return std::make_unique<Transport> (*this, host);
}

Endpoint *
Network::find (guint64 id) const
{
  return id > 0 && id <= endpoints_.size () ? endpoints_[id - 1] : nullptr;
}

guint64
Network::add (Endpoint *endpoint)
{
  endpoints_.push_back (endpoint);
  return endpoints_.size ();
}

void
Network::forget (guint64 id)
{
  if (id > 0 && id <= endpoints_.size ())
    endpoints_[id - 1] = nullptr;
}

} // namespace p2p::sim
