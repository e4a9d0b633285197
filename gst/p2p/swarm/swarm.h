/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The peer side of one swarm (one stream variant): tracker clients that
 * introduce us, WebRTC peer sessions (offers we made, answers we gave),
 * what each peer announced, and the segment requests and uploads that run
 * over them. It decides nothing about *which* segment to get from whom:
 * the viewer's scheduler does, through request() and cancel(). The
 * broadcaster's sink runs one as a pure seeder. Engine thread only.
 */
#pragma once

#include <functional>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/net/tracker-client.h"
#include "gst/p2p/peer/peer-session.h"
#include "gst/p2p/swarm/scheduler.h"

namespace p2p::swarm {

struct SwarmConfig
{
  std::vector<std::string> trackers; /* ws:// or wss:// URLs */
  /* A certificate every wss:// tracker may present as it is
   * (TrackerClientConfig::tls_accept_certificate_file): the broadcaster's
   * own embedded tracker's. */
  std::string tls_accept_certificate_file;
  std::string info_hash; /* 20 bytes (swarm_info_hash) */
  std::string peer_id;   /* 20 bytes (generate_peer_id) */
  peer::WebRtcPeerConfig webrtc;
  guint max_peers = 20;
  guint offers_per_announce = 5;
  /* Serve requests (off for metered links: we then announce nothing). */
  bool upload = true;
  /* Bytes per second for all uploads together, 0 = unlimited. */
  guint64 max_upload_rate = 0;
  /* Peers served at once (0 = any); more requests are answered
   * SegmentAbsent. A segment passed on whole to one peer after another
   * spreads faster than shared among several: each copy is complete
   * sooner and can be passed on in turn. */
  guint max_concurrent_uploads = 1;
  /* Announce "left": 0 (the broadcaster's seeder). */
  bool seeder = false;
};

struct SwarmCallbacks
{
  /* A new reference to segment @sequence for an upload, or nullptr. */
  std::function<GBytes *(int64_t sequence)> lookup;
  std::function<void (int64_t sequence, const std::string &peer_id,
                      GBytes *data)>
      downloaded;
  std::function<void (int64_t sequence, const std::string &peer_id,
                      const std::string &why)>
      download_failed;
  std::function<void (int64_t sequence, const std::string &peer_id,
                      guint64 received, guint64 total)>
      progress;
  /* A peer connected, left, or announced new segments. */
  std::function<void ()> changed;
  std::function<void (const std::string &message)> warning;
};

struct SwarmStats
{
  guint peers = 0;
  guint64 uploaded_bytes = 0;
  guint64 downloaded_bytes = 0;
  guint64 peers_banned = 0;
};

class Swarm
{
public:
  Swarm (EngineThread &engine, SwarmConfig config, SwarmCallbacks callbacks);
  ~Swarm ();

  Swarm (const Swarm &) = delete;
  Swarm &operator= (const Swarm &) = delete;

  void start ();

  /* What we hold and what we are fetching over HTTP, for announcements. */
  void set_holdings (const std::set<int64_t> &loaded,
                     const std::set<int64_t> &loading_by_http);

  /* Starts downloading @sequence from @peer_id; false if it cannot. */
  bool request (const std::string &peer_id, int64_t sequence);
  void cancel (const std::string &peer_id);
  /* Drops the peer and refuses it from now on (bad data). */
  void ban (const std::string &peer_id, const std::string &why);
  /* Counts a failure against the peer (timeouts). A SegmentAbsent for a
   * segment it announced only marks it busy for a while. */
  void note_failure (const std::string &peer_id);

  /* The connected peers as the scheduler sees them. */
  std::vector<PeerView> peer_views () const;
  SwarmStats stats () const;
  const std::string &
  peer_id () const
  {
    return config_.peer_id;
  }

private:
  struct Peer
  {
    std::unique_ptr<peer::PeerSession> session;
    webtorrent::Id20 offer_id; /* our offer, while pending */
    net::TrackerClient *tracker = nullptr;
    bool pending_offer = false; /* offer out, no answer yet */
    bool dead = false;
    guint failures = 0;
    /* It answered SegmentAbsent while announcing the segment: busy. */
    gint64 busy_until_us = 0;
  };

  void create_offers (net::TrackerClient *tracker, guint count,
                      net::TrackerClient::OffersReady ready);
  void on_offer (net::TrackerClient *tracker, const webtorrent::Id20 &from,
                 const webtorrent::Id20 &offer_id, const std::string &sdp);
  void on_answer (const webtorrent::Id20 &from,
                  const webtorrent::Id20 &offer_id, const std::string &sdp);
  peer::PeerSessionCallbacks session_callbacks (Peer *peer);
  Peer *find_connected (const std::string &peer_id);
  const Peer *find_connected (const std::string &peer_id) const;
  /* Peers not dead whose session is in @state. */
  guint count_peers (bool (peer::PeerSession::*state) () const) const;
  guint connected_count () const;
  guint uploads_running () const;
  void remove_later (Peer *peer);
  void collect_dead ();
  void announce_to (Peer *peer);
  void notify_changed ();
  bool upload_allowed (guint64 bytes);

  EngineThread &engine_;
  SwarmConfig config_;
  SwarmCallbacks callbacks_;
  std::vector<std::unique_ptr<net::TrackerClient>> trackers_;
  std::list<Peer> peers_;
  std::set<std::string> banned_;
  std::set<int64_t> loaded_;
  std::set<int64_t> loading_;
  SwarmStats stats_;
  double upload_tokens_ = 0;
  gint64 upload_tokens_time_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool> (true);
};

} // namespace p2p::swarm
