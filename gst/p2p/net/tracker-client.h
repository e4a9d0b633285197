/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A WebTorrent tracker client (PROTOCOLS.md §1) for one swarm (info_hash)
 * on one tracker URL. It announces with fresh WebRTC offers (non-trickle
 * SDPs the owner creates), re-announces at the tracker's interval without an
 * event, hands relayed offers and answers to its owner, and reconnects with
 * backoff when the tracker goes away. It runs on the Clock and
 * TrackerConnector seams, so the same client runs against a WebSocket
 * tracker and in the simulator. Engine thread only; callbacks run there.
 */
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gst/p2p/common/clock.h"
#include "gst/p2p/net/tracker-connection.h"
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

  TrackerClient (Clock &clock, TrackerConnector &connector,
                 TrackerClientConfig config, Callbacks callbacks);
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
    return open_;
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
  void on_opened ();
  void on_closed (const std::string &why);
  void handle_message (std::string_view text);
  void announce (webtorrent::AnnounceEvent event);
  void send_text (const std::string &text);
  void reconnect_later ();
  void warn (const std::string &message);

  Clock &clock_;
  TrackerConnector &connector_;
  TrackerClientConfig config_;
  Callbacks callbacks_;
  std::unique_ptr<TrackerConnection> connection_;
  bool open_ = false;
  Timer announce_timer_;
  Timer reconnect_timer_;
  guint interval_;
  guint reconnect_attempts_ = 0;
  guint announces_sent_ = 0;
  gint64 swarm_size_ = -1;
  bool started_announced_ = false;
  /* Lets offer callbacks that outlive us do nothing. */
  std::shared_ptr<bool> alive_ = std::make_shared<bool> (true);
};

} // namespace p2p::net
