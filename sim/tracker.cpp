/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "tracker.h"

#include <algorithm>

namespace p2p::sim {

namespace {

constexpr GstClockTime kExpiryInterval = 10 * GST_SECOND;

} // namespace

/* A client's connection: messages both ways take the hosts' delays. */
class TrackerConnectionImpl : public net::TrackerConnection
{
public:
  TrackerConnectionImpl (Tracker &tracker, Host &host,
                         net::TrackerConnector::Events events)
      : tracker_ (tracker), host_ (host), events_ (std::move (events)),
        id_ (++tracker.next_id_)
  {
    tracker_.connections_.emplace (id_, this);
    /* The WebSocket handshake: one round trip. */
    const GstClockTime rtt
        = 2 * tracker_.network_.delay (host_, tracker_.host_);
    open_timer_ = tracker_.network_.loop ().call_later (rtt, [this] {
      open_timer_ = 0;
      open_ = true;
      if (events_.opened)
        events_.opened ();
    });
  }

  ~TrackerConnectionImpl () override
  {
    tracker_.network_.loop ().cancel (open_timer_);
    tracker_.connections_.erase (id_);
    /* The tracker sees the socket close a moment later, and drops the
     * peers it announced. */
    Tracker *tracker = &tracker_;
    tracker_.network_.loop ().call_later (
        tracker_.network_.delay (host_, tracker_.host_),
        [tracker, id = id_, members = std::move (memberships)] {
          for (const auto &m : members)
            tracker->shard_.leave (id, m.first, m.second);
        });
  }

  bool
  send_text (const std::string &text) override
  {
    if (!open_)
      return false;
    Tracker *tracker = &tracker_;
    tracker_.network_.loop ().call_later (
        tracker_.network_.delay (host_, tracker_.host_),
        [tracker, id = id_, text] { tracker->receive (id, text); });
    return true;
  }

  void
  deliver (std::string message)
  {
    Network &network = tracker_.network_;
    Tracker *tracker = &tracker_;
    network.loop ().call_later (
        network.delay (tracker_.host_, host_),
        [tracker, id = id_, message = std::move (message)] {
          auto it = tracker->connections_.find (id);
          if (it != tracker->connections_.end () && it->second->open_
              && it->second->events_.message)
            it->second->events_.message (message);
        });
  }

  /* Swarms this connection joined, to leave them when it closes. */
  std::vector<std::pair<webtorrent::Id20, webtorrent::Id20>> memberships;

private:
  Tracker &tracker_;
  Host &host_;
  net::TrackerConnector::Events events_;
  const tracker::ConnectionId id_;
  TimerId open_timer_ = 0;
  bool open_ = false;
};

namespace {

class Connector : public net::TrackerConnector
{
public:
  Connector (Tracker &tracker, Host &host) : tracker_ (tracker), host_ (host) {}

  std::unique_ptr<net::TrackerConnection>
  connect (const std::string &, Events events) override
  {
    return std::make_unique<TrackerConnectionImpl> (tracker_, host_,
                                                    std::move (events));
  }

private:
  Tracker &tracker_;
  Host &host_;
};

} // namespace

Tracker::Tracker (Network &network, Host &host,
                  const tracker::ShardLimits &limits, guint64 seed)
    : network_ (network), host_ (host), shard_ (limits, seed)
{
  expire ();
}

Tracker::~Tracker () { network_.loop ().cancel (expire_timer_); }

std::unique_ptr<net::TrackerConnector>
Tracker::connector (Host &host)
{
  return std::make_unique<Connector> (*this, host);
}

void
Tracker::expire ()
{
  shard_.expire (int64_t (network_.loop ().now () / GST_MSECOND));
  expire_timer_
      = network_.loop ().call_later (kExpiryInterval, [this] { expire (); });
}

void
Tracker::send (tracker::ConnectionId to, std::string message)
{
  auto it = connections_.find (to);
  if (it != connections_.end ())
    it->second->deliver (std::move (message));
}

void
Tracker::receive (tracker::ConnectionId from, const std::string &text)
{
  auto conn = connections_.find (from);
  if (conn == connections_.end ())
    return;
  messages_received_++;
  webtorrent::ClientParseLimits limits;
  webtorrent::ClientMessage msg;
  webtorrent::ClientParseError error;
  if (!webtorrent::parse_client_message (text, limits, msg, error)) {
    send (from, webtorrent::build_failure (error.reason, error.action,
                                           error.info_hash ? &*error.info_hash
                                                           : nullptr));
    return;
  }
  const int64_t now = int64_t (network_.loop ().now () / GST_MSECOND);
  auto &members = conn->second->memberships;
  const auto membership = std::make_pair (msg.info_hash, msg.peer_id);
  switch (msg.kind) {
  case webtorrent::ClientMessage::Kind::ANNOUNCE: {
    announces_++;
    auto it = std::find (members.begin (), members.end (), membership);
    if (msg.event == webtorrent::AnnounceEvent::STOPPED) {
      if (it != members.end ())
        members.erase (it);
    } else if (it == members.end ()) {
      members.push_back (membership);
    }
    std::vector<tracker::PreparedOffer> offers;
    if (msg.event != webtorrent::AnnounceEvent::STOPPED) {
      for (const webtorrent::ReceivedOffer &o : msg.offers)
        offers.push_back ({ o.offer_id, webtorrent::build_relayed_offer (
                                            msg.info_hash, msg.peer_id,
                                            o.offer_id, o.offer) });
    }
    shard_.announce (from, msg.info_hash, msg.peer_id, msg.event,
                     msg.left_is_zero, offers, now, *this);
    break;
  }
  case webtorrent::ClientMessage::Kind::ANSWER: {
    std::string relayed = webtorrent::build_relayed_answer (
        msg.info_hash, msg.peer_id, msg.offer_id, msg.answer);
    shard_.answer (from, msg.info_hash, msg.peer_id, msg.to_peer_id,
                   msg.offer_id, relayed, now, *this);
    break;
  }
  case webtorrent::ClientMessage::Kind::SCRAPE:
    break;
  }
}

} // namespace p2p::sim
