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

void
destroy_source (GSource **source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = nullptr;
  }
}

} // namespace

TrackerClient::TrackerClient (TrackerClientConfig config, Callbacks callbacks)
    : config_ (std::move (config)), callbacks_ (std::move (callbacks)),
      interval_ (config_.default_interval)
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_tracker_client_debug, "p2ptrackerclient", 0,
                             "gst-p2p WebTorrent tracker client");
    g_once_init_leave (&debug_init, 1);
  }
  /* No proxy resolver: nothing in a test may leave the loopback by accident,
   * and trackers are reached directly, as browsers do. */
  session_.reset (soup_session_new_with_options ("proxy-resolver", nullptr,
                                                 "timeout", 15, nullptr));
  cancellable_ = g_cancellable_new ();
}

TrackerClient::~TrackerClient ()
{
  *alive_ = false;
  destroy_source (&announce_source_);
  destroy_source (&reconnect_source_);
  g_cancellable_cancel (cancellable_);
  g_object_unref (cancellable_);
  if (connection_ && started_announced_)
    announce (webtorrent::AnnounceEvent::STOPPED);
  drop_connection ();
}

void
TrackerClient::start ()
{
  if (!config_.tls_ca_file.empty ()) {
    GErrorOut error;
    GObjectPtr<GTlsDatabase> trusted (
        g_tls_file_database_new (config_.tls_ca_file.c_str (), error.out ()));
    if (!trusted) {
      /* the system's CAs would not be what the owner asked for */
      warn ("Tracker " + config_.url + ": cannot read the CA file "
            + config_.tls_ca_file + ": " + error.get ()->message);
      return;
    }
    soup_session_set_tls_database (session_.get (), trusted.get ());
  }
  if (!config_.tls_accept_certificate_file.empty ()) {
    GErrorOut error;
    accepted_certificate_.reset (g_tls_certificate_new_from_file (
        config_.tls_accept_certificate_file.c_str (), error.out ()));
    if (!accepted_certificate_) {
      warn ("Tracker " + config_.url + ": cannot read the certificate file "
            + config_.tls_accept_certificate_file + ": "
            + error.get ()->message);
      return;
    }
  }
  connect ();
}

gboolean
TrackerClient::on_accept_certificate (SoupMessage *,
                                      GTlsCertificate *certificate,
                                      GTlsCertificateFlags errors,
                                      gpointer data) noexcept
{
  /* Only certificates the trusted CAs refused come here. */
  auto accepted = static_cast<GTlsCertificate *> (data);
  bool same = g_tls_certificate_is_same (certificate, accepted);
  GST_DEBUG ("tracker certificate (errors 0x%x) %s", errors,
             same ? "is the one accepted as it is" : "refused");
  return same;
}

void
TrackerClient::connect ()
{
  SoupMessage *msg = soup_message_new (SOUP_METHOD_GET, config_.url.c_str ());
  if (!msg) {
    warn ("Invalid tracker URL " + config_.url);
    return;
  }
  GST_DEBUG ("connecting to %s", config_.url.c_str ());
  if (accepted_certificate_) {
    /* The closure owns a reference: the message may outlive us. */
    g_signal_connect_data (
        msg, "accept-certificate",
        G_CALLBACK (&TrackerClient::on_accept_certificate),
        g_object_ref (accepted_certificate_.get ()),
        [] (gpointer data, GClosure *) { g_object_unref (data); },
        static_cast<GConnectFlags> (0));
  }
  soup_session_websocket_connect_async (session_.get (), msg, nullptr, nullptr,
                                        G_PRIORITY_DEFAULT, cancellable_,
                                        &TrackerClient::on_connected, this);
  g_object_unref (msg);
}

void
TrackerClient::on_connected (GObject *source, GAsyncResult *result,
                             gpointer data) noexcept
{
  GError *error = nullptr;
  SoupWebsocketConnection *conn = soup_session_websocket_connect_finish (
      SOUP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
    g_error_free (error);
    return;
  }
  auto self = static_cast<TrackerClient *> (data);
  if (!conn) {
    self->warn (std::string ("Tracker ") + self->config_.url + ": "
                + error->message);
    g_error_free (error);
    guint delay
        = std::min (kMaxReconnectDelayMs,
                    1000u << std::min (self->reconnect_attempts_++, 5u));
    self->schedule (&self->reconnect_source_, delay,
                    &TrackerClient::on_reconnect_timer);
    return;
  }
  GST_INFO ("connected to %s", self->config_.url.c_str ());
  self->connection_ = conn;
  self->reconnect_attempts_ = 0;
  soup_websocket_connection_set_max_incoming_payload_size (conn, 256 * 1024);
  soup_websocket_connection_set_keepalive_interval (conn, 30);
  g_signal_connect (conn, "message", G_CALLBACK (&TrackerClient::on_message),
                    self);
  g_signal_connect (conn, "closed", G_CALLBACK (&TrackerClient::on_closed),
                    self);
  self->started_announced_ = false;
  self->announce (webtorrent::AnnounceEvent::STARTED);
}

void
TrackerClient::on_message (SoupWebsocketConnection *conn, gint type,
                           GBytes *message, gpointer data) noexcept
{
  auto self = static_cast<TrackerClient *> (data);
  gsize size = 0;
  const char *text
      = static_cast<const char *> (g_bytes_get_data (message, &size));
  try {
    self->handle_message (std::string_view (text, size));
  } catch (const std::exception &e) {
    self->warn (std::string ("Tracker message: ") + e.what ());
  }
}

void
TrackerClient::on_closed (SoupWebsocketConnection *conn, gpointer data) noexcept
{
  auto self = static_cast<TrackerClient *> (data);
  self->warn ("Tracker " + self->config_.url + " closed the connection");
  self->drop_connection ();
  destroy_source (&self->announce_source_);
  self->schedule (
      &self->reconnect_source_,
      std::min (kMaxReconnectDelayMs,
                1000u << std::min (self->reconnect_attempts_++, 5u)),
      &TrackerClient::on_reconnect_timer);
}

void
TrackerClient::drop_connection ()
{
  if (!connection_)
    return;
  g_signal_handlers_disconnect_by_data (connection_, this);
  if (soup_websocket_connection_get_state (connection_)
      == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (connection_, SOUP_WEBSOCKET_CLOSE_NORMAL,
                                     nullptr);
  g_object_unref (connection_);
  connection_ = nullptr;
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
        schedule (&announce_source_, interval_ * 1000,
                  &TrackerClient::on_announce_timer);
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
  if (!connection_)
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
    schedule (&announce_source_, interval_ * 1000,
              &TrackerClient::on_announce_timer);
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
  if (connection_)
    schedule (&announce_source_, 0, &TrackerClient::on_announce_timer);
}

void
TrackerClient::send_text (const std::string &text)
{
  if (!connection_
      || soup_websocket_connection_get_state (connection_)
             != SOUP_WEBSOCKET_STATE_OPEN)
    return;
  /* The encoder escapes NUL as \u0000, so the text is a C string. */
  soup_websocket_connection_send_text (connection_, text.c_str ());
  announces_sent_++;
}

void
TrackerClient::schedule (GSource **source, guint delay_ms,
                         void (TrackerClient::*fn) ())
{
  destroy_source (source);
  *source = delay_ms ? g_timeout_source_new (delay_ms) : g_idle_source_new ();
  struct Call
  {
    TrackerClient *self;
    void (TrackerClient::*fn) ();
  };
  g_source_set_callback (
      *source,
      [] (gpointer data) -> gboolean {
        auto call = static_cast<Call *> (data);
        (call->self->*call->fn) ();
        return G_SOURCE_REMOVE;
      },
      new Call{ this, fn },
      [] (gpointer data) { delete static_cast<Call *> (data); });
  g_source_attach (*source, g_main_context_get_thread_default ());
}

void
TrackerClient::on_announce_timer ()
{
  g_source_unref (announce_source_);
  announce_source_ = nullptr;
  announce (webtorrent::AnnounceEvent::NONE);
}

void
TrackerClient::on_reconnect_timer ()
{
  g_source_unref (reconnect_source_);
  reconnect_source_ = nullptr;
  connect ();
}

void
TrackerClient::warn (const std::string &message)
{
  GST_WARNING ("%s", message.c_str ());
  if (callbacks_.warning)
    callbacks_.warning (message);
}

} // namespace p2p::net
