/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "tracker-websocket.h"

#include <utility>

namespace p2p::net {

namespace {

class WebSocketConnection : public TrackerConnection
{
public:
  WebSocketConnection (SoupSession *session, const std::string &url,
                       GTlsCertificate *accepted,
                       TrackerConnector::Events events)
      : events_ (std::move (events)), cancellable_ (g_cancellable_new ())
  {
    SoupMessage *msg = soup_message_new (SOUP_METHOD_GET, url.c_str ());
    if (!msg) {
      /* Reported from the loop, not from within connect (). */
      fail_source_ = g_idle_source_new ();
      g_source_set_callback (
          fail_source_,
          [] (gpointer data) -> gboolean {
            auto self = static_cast<WebSocketConnection *> (data);
            g_source_unref (std::exchange (self->fail_source_, nullptr));
            self->events_.closed ("invalid tracker URL");
            return G_SOURCE_REMOVE;
          },
          this, nullptr);
      g_source_attach (fail_source_, g_main_context_get_thread_default ());
      return;
    }
    if (accepted) {
      /* The closure owns a reference: the message may outlive us. */
      g_signal_connect_data (
          msg, "accept-certificate", G_CALLBACK (&on_accept_certificate),
          g_object_ref (accepted),
          [] (gpointer data, GClosure *) { g_object_unref (data); },
          static_cast<GConnectFlags> (0));
    }
    soup_session_websocket_connect_async (
        session, msg, nullptr, nullptr, G_PRIORITY_DEFAULT, cancellable_.get (),
        &WebSocketConnection::on_connected, this);
    g_object_unref (msg);
  }

  ~WebSocketConnection () override
  {
    if (fail_source_) {
      g_source_destroy (fail_source_);
      g_source_unref (fail_source_);
    }
    g_cancellable_cancel (cancellable_.get ());
    if (connection_) {
      g_signal_handlers_disconnect_by_data (connection_.get (), this);
      if (soup_websocket_connection_get_state (connection_.get ())
          == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (connection_.get (),
                                         SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
    }
  }

  bool
  send_text (const std::string &text) override
  {
    if (!connection_
        || soup_websocket_connection_get_state (connection_.get ())
               != SOUP_WEBSOCKET_STATE_OPEN)
      return false;
    /* The encoder escapes NUL as \u0000, so the text is a C string. */
    soup_websocket_connection_send_text (connection_.get (), text.c_str ());
    return true;
  }

private:
  /* Only certificates the trusted CAs refused come here. */
  static gboolean
  on_accept_certificate (SoupMessage *, GTlsCertificate *certificate,
                         GTlsCertificateFlags, gpointer accepted) noexcept
  {
    return g_tls_certificate_is_same (
        certificate, static_cast<GTlsCertificate *> (accepted));
  }

  static void
  on_connected (GObject *source, GAsyncResult *result, gpointer data) noexcept
  {
    GError *error = nullptr;
    SoupWebsocketConnection *conn = soup_session_websocket_connect_finish (
        SOUP_SESSION (source), result, &error);
    if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      g_error_free (error);
      return;
    }
    auto self = static_cast<WebSocketConnection *> (data);
    if (!conn) {
      std::string why = error->message;
      g_error_free (error);
      self->events_.closed (why);
      return;
    }
    self->connection_.reset (conn);
    soup_websocket_connection_set_max_incoming_payload_size (conn, 256 * 1024);
    soup_websocket_connection_set_keepalive_interval (conn, 30);
    g_signal_connect (conn, "message",
                      G_CALLBACK (&WebSocketConnection::on_message), self);
    g_signal_connect (conn, "closed",
                      G_CALLBACK (&WebSocketConnection::on_closed), self);
    self->events_.opened ();
  }

  static void
  on_message (SoupWebsocketConnection *, gint, GBytes *message,
              gpointer data) noexcept
  {
    auto self = static_cast<WebSocketConnection *> (data);
    gsize size = 0;
    const char *text
        = static_cast<const char *> (g_bytes_get_data (message, &size));
    try {
      self->events_.message (std::string_view (text, size));
    } catch (const std::exception &e) {
      g_warning ("tracker message handler threw: %s", e.what ());
    }
  }

  static void
  on_closed (SoupWebsocketConnection *conn, gpointer data) noexcept
  {
    auto self = static_cast<WebSocketConnection *> (data);
    g_signal_handlers_disconnect_by_data (conn, self);
    self->events_.closed ("the tracker closed the connection");
  }

  TrackerConnector::Events events_;
  GObjectPtr<GCancellable> cancellable_;
  GObjectPtr<SoupWebsocketConnection> connection_;
  GSource *fail_source_ = nullptr;
};

} // namespace

WebSocketTrackerConnector::WebSocketTrackerConnector (
    std::shared_ptr<GTlsDatabase> tls_database)
{
  /* No proxy resolver: nothing in a test may leave the loopback by accident,
   * and trackers are reached directly, as browsers do. */
  session_.reset (soup_session_new_with_options ("proxy-resolver", nullptr,
                                                 "timeout", 15, nullptr));
  if (tls_database)
    soup_session_set_tls_database (session_.get (), tls_database.get ());
}

std::unique_ptr<TrackerConnection>
WebSocketTrackerConnector::connect (const std::string &url, Events events)
{
  return std::make_unique<WebSocketConnection> (
      session_.get (), url, accepted_.get (), std::move (events));
}

void
WebSocketTrackerConnector::accept_certificate (GTlsCertificate *certificate)
{
  accepted_.reset (certificate ? G_TLS_CERTIFICATE (g_object_ref (certificate))
                               : nullptr);
}

} // namespace p2p::net
