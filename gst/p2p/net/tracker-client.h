/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A WebTorrent tracker client over WebSocket (PROTOCOLS.md §1), for one
 * swarm (info_hash) on one tracker URL. It announces with fresh WebRTC
 * offers (non-trickle SDPs the owner creates), re-announces at the
 * tracker's interval without an event, hands relayed offers and answers to
 * its owner, and reconnects with backoff when the tracker goes away.
 * Engine thread only; callbacks run there.
 */
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <libsoup/soup.h>

#include "gst/p2p/common/gobject-ptr.h"
#include "gst/webtorrent/protocol.h"

namespace p2p::net {

struct TrackerClientConfig
{
  std::string url; /* ws:// or wss:// */
  webtorrent::Id20 info_hash;
  webtorrent::Id20 peer_id;
  /* Offers per announce; browsers' bittorrent-tracker client sends 5. */
  guint offers_per_announce = 5;
  /* Re-announce period until the tracker says otherwise (seconds). */
  guint default_interval = 30;
  /* Clamp on the tracker's interval: live swarms change fast, and a
   * tracker's 120 s would leave new viewers alone for two minutes. */
  guint max_interval = 20;
  /* Send "left": 0, so the tracker counts us as a seeder. */
  bool seeder = false;
  /* wss:// only: a PEM file of the CA certificates to trust instead of the
   * system's, e.g. a tracker's self-signed certificate. */
  std::string tls_ca_file;
  /* wss:// only: a PEM certificate accepted as the tracker's as it is,
   * whatever its issuer and the names it holds, besides any certificate the
   * trusted CAs vouch for. For a process's own embedded tracker, reached at
   * an address (127.0.0.1) its certificate need not name: the handshake
   * still proves that the tracker holds the certificate's key. */
  std::string tls_accept_certificate_file;
};

class TrackerClient
{
public:
  using OffersReady
      = std::function<void (std::vector<webtorrent::OutgoingOffer>)>;
  struct Callbacks
  {
    /* Create up to @count offers and call @ready with those that gathered
     * (possibly none). @ready may be called after the client is gone: it
     * then does nothing. */
    std::function<void (guint count, OffersReady ready)> create_offers;
    /* A remote peer's offer: answer it with send_answer(). */
    std::function<void (const webtorrent::Id20 &from_peer,
                        const webtorrent::Id20 &offer_id,
                        const std::string &sdp)>
        offer;
    /* The answer to one of our offers. */
    std::function<void (const webtorrent::Id20 &from_peer,
                        const webtorrent::Id20 &offer_id,
                        const std::string &sdp)>
        answer;
    /* Tracker trouble that does not stop the swarm (playback goes on over
     * HTTP). */
    std::function<void (const std::string &message)> warning;
  };

  TrackerClient (TrackerClientConfig config, Callbacks callbacks);
  /* Sends "stopped" if connected, then closes. */
  ~TrackerClient ();

  TrackerClient (const TrackerClient &) = delete;
  TrackerClient &operator= (const TrackerClient &) = delete;

  void start ();
  void send_answer (const webtorrent::Id20 &to_peer,
                    const webtorrent::Id20 &offer_id, const std::string &sdp);
  /* Announces now (with new offers) instead of at the next interval, e.g.
   * when we lost peers. */
  void announce_soon ();

  bool
  connected () const
  {
    return connection_ != nullptr;
  }
  /* Peers in the swarm (us included) by the tracker's last count, -1
   * before the first answer. */
  gint64
  swarm_size () const
  {
    return swarm_size_;
  }
  guint
  announces_sent () const
  {
    return announces_sent_;
  }

private:
  void connect ();
  static void on_connected (GObject *source, GAsyncResult *result,
                            gpointer data) noexcept;
  static void on_message (SoupWebsocketConnection *conn, gint type,
                          GBytes *message, gpointer data) noexcept;
  static void on_closed (SoupWebsocketConnection *conn, gpointer data) noexcept;
  static gboolean on_accept_certificate (SoupMessage *msg,
                                         GTlsCertificate *certificate,
                                         GTlsCertificateFlags errors,
                                         gpointer data) noexcept;
  void handle_message (std::string_view text);
  void announce (webtorrent::AnnounceEvent event);
  void send_text (const std::string &text);
  void schedule (GSource **source, guint delay_ms,
                 void (TrackerClient::*fn) ());
  void on_announce_timer ();
  void on_reconnect_timer ();
  void drop_connection ();
  void warn (const std::string &message);

  TrackerClientConfig config_;
  Callbacks callbacks_;
  GObjectPtr<SoupSession> session_;
  /* tls_accept_certificate_file, read at start (). */
  GObjectPtr<GTlsCertificate> accepted_certificate_;
  GCancellable *cancellable_ = nullptr;
  SoupWebsocketConnection *connection_ = nullptr;
  GSource *announce_source_ = nullptr;
  GSource *reconnect_source_ = nullptr;
  guint interval_;
  guint reconnect_attempts_ = 0;
  guint announces_sent_ = 0;
  gint64 swarm_size_ = -1;
  bool started_announced_ = false;
  /* Lets offer callbacks that outlive us do nothing. */
  std::shared_ptr<bool> alive_ = std::make_shared<bool> (true);
};

} // namespace p2p::net
