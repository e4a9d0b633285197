/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "tracker-client.h"

#include <algorithm>

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (p2p_tracker_client_debug);
#define GST_CAT_DEFAULT p2p_tracker_client_debug

namespace p2p::net {

namespace {

constexpr guint kMaxReconnectDelayMs = 30000;

} // namespace

TrackerClient::TrackerClient (Clock &clock, TrackerConnector &connector,
                              TrackerClientConfig config, Callbacks callbacks)
    : clock_ (clock), connector_ (connector), config_ (std::move (config)),
      callbacks_ (std::move (callbacks)), announce_timer_ (clock),
      reconnect_timer_ (clock), interval_ (config_.default_interval)
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_tracker_client_debug, "p2ptrackerclient", 0,
                             "gst-p2p WebTorrent tracker client");
    g_once_init_leave (&debug_init, 1);
  }
}

TrackerClient::~TrackerClient ()
{
  *alive_ = false;
  if (open_ && started_announced_)
    announce (webtorrent::AnnounceEvent::STOPPED);
}

void
TrackerClient::start ()
{
  connect ();
}

void
TrackerClient::connect ()
{
  GST_DEBUG ("connecting to %s", config_.url.c_str ());
  TrackerConnector::Events events;
  events.opened = [this] { on_opened (); };
  events.message = [this] (std::string_view text) { handle_message (text); };
  events.closed = [this] (const std::string &why) { on_closed (why); };
  open_ = false;
  connection_ = connector_.connect (config_.url, std::move (events));
}

void
TrackerClient::on_opened ()
{
  GST_INFO ("connected to %s", config_.url.c_str ());
  open_ = true;
  reconnect_attempts_ = 0;
  started_announced_ = false;
  announce (webtorrent::AnnounceEvent::STARTED);
}

void
TrackerClient::on_closed (const std::string &why)
{
  warn ("Tracker " + config_.url + ": " + why);
  open_ = false;
  announce_timer_.cancel ();
  /* Dropped later: we run inside one of its events. */
  clock_.call_later (0, [conn = std::shared_ptr<TrackerConnection> (
                             std::move (connection_))] {});
  reconnect_later ();
}

void
TrackerClient::reconnect_later ()
{
  guint delay = std::min (kMaxReconnectDelayMs,
                          1000u << std::min (reconnect_attempts_++, 5u));
  reconnect_timer_.start (delay * GST_MSECOND, [this] { connect (); });
}

void
TrackerClient::handle_message (std::string_view text)
{
  webtorrent::TrackerMessage msg;
  std::string error;
  if (!webtorrent::parse_tracker_message (text, msg, &error)) {
    warn ("Unparsable tracker message: " + error);
    return;
  }
  /* As the browsers' client: ignore other swarms and our own echoes. */
  if (msg.info_hash && *msg.info_hash != config_.info_hash)
    return;
  switch (msg.kind) {
  case webtorrent::TrackerMessage::Kind::ANNOUNCE_RESPONSE:
    if (msg.complete || msg.incomplete)
      swarm_size_ = msg.complete.value_or (0) + msg.incomplete.value_or (0);
    if (msg.interval && *msg.interval > 0) {
      guint interval = static_cast<guint> (
          std::min<int64_t> (*msg.interval, config_.max_interval));
      if (interval != interval_) {
        interval_ = std::max (interval, 1u);
        announce_timer_.start (interval_ * GST_SECOND, [this] {
          announce (webtorrent::AnnounceEvent::NONE);
        });
      }
    }
    break;
  case webtorrent::TrackerMessage::Kind::OFFER:
    if (msg.peer_id != config_.peer_id && callbacks_.offer)
      callbacks_.offer (msg.peer_id, msg.offer_id, msg.sdp);
    break;
  case webtorrent::TrackerMessage::Kind::ANSWER:
    if (msg.peer_id != config_.peer_id && callbacks_.answer)
      callbacks_.answer (msg.peer_id, msg.offer_id, msg.sdp);
    break;
  case webtorrent::TrackerMessage::Kind::FAILURE:
    warn ("Tracker " + config_.url + " refused: " + msg.failure_reason);
    break;
  case webtorrent::TrackerMessage::Kind::SCRAPE_RESPONSE:
    break;
  }
}

void
TrackerClient::announce (webtorrent::AnnounceEvent event)
{
  if (!open_)
    return;
  webtorrent::AnnounceRequest request;
  request.info_hash = config_.info_hash;
  request.peer_id = config_.peer_id;
  request.event = event;
  if (config_.seeder)
    request.left = 0;

  bool wants_offers = event != webtorrent::AnnounceEvent::STOPPED
                      && event != webtorrent::AnnounceEvent::COMPLETED
                      && config_.offers_per_announce > 0
                      && callbacks_.create_offers;
  if (event == webtorrent::AnnounceEvent::STARTED)
    started_announced_ = true;
  if (event != webtorrent::AnnounceEvent::STOPPED)
    announce_timer_.start (interval_ * GST_SECOND, [this] {
      announce (webtorrent::AnnounceEvent::NONE);
    });
  if (!wants_offers) {
    send_text (webtorrent::build_announce (request));
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  callbacks_.create_offers (
      config_.offers_per_announce,
      [this, alive,
       request] (std::vector<webtorrent::OutgoingOffer> offers) mutable {
        if (alive.expired ())
          return;
        request.offers = std::move (offers);
        send_text (webtorrent::build_announce (request));
      });
}

void
TrackerClient::send_answer (const webtorrent::Id20 &to_peer,
                            const webtorrent::Id20 &offer_id,
                            const std::string &sdp)
{
  send_text (webtorrent::build_answer (config_.info_hash, config_.peer_id,
                                       to_peer, offer_id, sdp));
}

void
TrackerClient::announce_soon ()
{
  if (open_)
    announce_timer_.start (
        0, [this] { announce (webtorrent::AnnounceEvent::NONE); });
}

void
TrackerClient::send_text (const std::string &text)
{
  if (open_ && connection_ && connection_->send_text (text))
    announces_sent_++;
}

void
TrackerClient::warn (const std::string &message)
{
  GST_WARNING ("%s", message.c_str ());
  if (callbacks_.warning)
    callbacks_.warning (message);
}

} // namespace p2p::net
