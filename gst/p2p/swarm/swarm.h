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
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gst/p2p/common/clock.h"
#include "gst/p2p/common/owned-list.h"
#include "gst/p2p/runtime/runtime.h"
#include "gst/p2p/net/tracker-client.h"
#include "gst/p2p/peer/peer-session.h"
#include "gst/p2p/swarm/holdings.h"
#include "gst/p2p/swarm/scheduler.h"

namespace p2p::swarm {

struct SwarmConfig
{
  std::vector<std::string> trackers; /* ws:// or wss:// URLs */
  std::string info_hash;             /* 20 bytes (swarm_info_hash) */
  std::string peer_id;               /* 20 bytes (generate_peer_id) */
  guint max_peers = 20;
  /* At most; fewer once half of max_peers are connected (swarm.cpp). */
  guint offers_per_announce = 10;
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
  /* gst-p2p 2 stripe relaying from and to these holdings; null: off. */
  Holdings *holdings = nullptr;
  /* Stripes relayed to others at most; 0: learnt from how well the uplink
   * keeps up (the seeder sets it: the origin's copies). */
  guint relay_slots = 0;
  /* A seeder hands out one copy of the stream (relay_slots children) per
   * whole this many viewers the trackers count, 1 to max_copies: each
   * copy roots more trees, so they are less deep. 0: one. */
  guint viewers_per_copy = 0;
  guint max_copies = 1;
};

struct SwarmCallbacks
{
  /* Segment @sequence for an upload, or empty. */
  std::function<ChunkedBytes (int64_t sequence)> lookup;
  std::function<void (int64_t sequence, const std::string &peer_id,
                      const ChunkedBytes &data)>
      downloaded;
  std::function<void (int64_t sequence, const std::string &peer_id,
                      const std::string &why)>
      download_failed;
  std::function<void (int64_t sequence, const std::string &peer_id,
                      guint64 received, guint64 total)>
      progress;
  /* A peer connected, left, or announced new segments. */
  std::function<void ()> changed;
  /* A peer announced it holds @loaded (before changed () runs). */
  std::function<void (const SegmentSet &loaded)> announced;
  /* After announced (): when set, runs instead of changed () for a peer's
   * announcement, so that the owner may plan again a little later rather
   * than at once (peers announce far more often than they connect). */
  std::function<void ()> peer_announced;
  /* Relayed bytes of @sequence from @offset on came from @peer_id and were
   * kept (@cut_through: the relay was still receiving them). */
  std::function<void (int64_t sequence, const std::string &peer_id,
                      gsize offset, gsize bytes, bool cut_through)>
      relayed;
  /* A range of @sequence from byte @from asked of @peer_id ended
   * (@complete: every byte came). */
  std::function<void (int64_t sequence, const std::string &peer_id, gsize from,
                      bool complete)>
      range_ended;
  /* A relayed stripe of a segment ended, or a subscription did: time to
   * look again. */
  std::function<void ()> relay_changed;
  std::function<void (const std::string &message)> warning;
};

struct SwarmStats
{
  guint peers = 0;
  guint64 uploaded_bytes = 0;
  guint64 downloaded_bytes = 0;
  guint64 peers_banned = 0;
  /* Stripe bytes peers sent that were here already (HTTP brought them
   * first): uplink spent for nothing. */
  guint64 duplicate_bytes = 0;
  /* WebRTC sessions set up (our offers, our answers), and those of them
   * that connected. Each is a webrtcbin; a connected one also runs ICE,
   * DTLS and SCTP: most of a viewer's CPU while it joins. */
  guint64 peer_sessions = 0;
  guint64 peer_connections = 0;
};

class Swarm
{
public:
  Swarm (Runtime &runtime, SwarmConfig config, SwarmCallbacks callbacks);
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

  /* gst-p2p 2 relaying. Segments are cut into @stripes stripes. */
  void set_stripes (guint stripes);
  guint
  stripes () const
  {
    return stripes_;
  }
  /* The bytes per second of one stripe: relay slots are counted in it. */
  void set_stripe_rate (double bytes_per_second);
  /* Receive @stripe from @peer_id from segment @from on. */
  bool subscribe (guint stripe, const std::string &peer_id, int64_t from);
  void unsubscribe (guint stripe);
  /* Segment @sequence of @stripe comes over HTTP: the parent skips it. */
  void skip_segment (guint stripe, int64_t sequence);
  /* Who we receive @stripe from (asked or accepted), empty if nobody. */
  const std::string &
  parent (guint stripe) const
  {
    static const std::string nobody;
    return stripe < parents_.size () ? parents_[stripe].id : nobody;
  }
  bool request_range (const std::string &peer_id, int64_t sequence, gsize from,
                      gsize to);
  void cancel_range (const std::string &peer_id, int64_t sequence, gsize from);
  /* The holdings changed (a segment listed or complete): idle relays look
   * for something to send. */
  void holdings_changed ();
  /* Stripes we relay to others, and how many we take at most. */
  guint children () const;
  /* The stripes some child gets from us, a bit each. */
  guint32 relayed_stripes () const;
  guint
  max_children () const
  {
    return max_children_;
  }

  /* The connected peers as the scheduler sees them; valid until the swarm
   * next runs. */
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
    GstClockTime busy_until = 0;
    /* The broadcaster's seeder, by its peer id. */
    bool seeder = false;
    /* When its data channel opened. */
    GstClockTime opened = 0;
    /* relay_id () of its peer id, set when it opens. */
    uint32_t relay_id = 0;
    /* Stripes we subscribed to since its last announcement (which did not
     * count them in its free slots yet). */
    guint subscriptions_unannounced = 0;
  };

  /* Who we receive a stripe from: its id, and its peer once found (null
   * while asked of nobody). A parent is cleared before its peer goes
   * (remove_later ()). */
  struct Parent
  {
    std::string id;
    Peer *peer = nullptr;
  };

  void create_offers (net::TrackerClient *tracker, guint count,
                      net::TrackerClient::OffersReady ready);
  void on_offer (net::TrackerClient *tracker, const webtorrent::Id20 &from,
                 const webtorrent::Id20 &offer_id, const std::string &sdp);
  void on_answer (const webtorrent::Id20 &from,
                  const webtorrent::Id20 &offer_id, const std::string &sdp);
  peer::PeerSessionCallbacks session_callbacks (Peer *peer);
  /* A session we offered or answered with: counted, logged as us, paced
   * by our uplink. */
  void session_started (Peer *peer);
  /* A peer whose place a newcomer may take at max_peers (BitTorrent
   * clients do the same at their connection limit): a swarm whose members
   * filled their lists among themselves would leave those who join later
   * a handful of peers. Null if every peer is in use. */
  Peer *replaceable_peer ();
  Peer *find_connected (const std::string &peer_id);
  const Peer *find_connected (const std::string &peer_id) const;
  /* @peer (null: nobody) is our parent for @stripe from now on. */
  void set_parent (guint stripe, Peer *peer);
  bool is_parent (const Peer *peer) const;
  /* Peers not dead whose session is in @state. */
  guint count_peers (bool (peer::PeerSession::*state) () const) const;
  guint connected_count () const;
  /* The stripes max_upload_rate carries; 0: no limit. */
  guint upload_limit_slots () const;
  /* Copies of the stream a seeder hands out now (viewers_per_copy). */
  guint copies () const;

  guint uploads_running () const;
  void remove_later (Peer *peer);
  void collect_dead ();
  void announce_to (Peer *peer);
  void notify_changed ();
  bool upload_allowed (guint64 bytes);
  /* gst-p2p 2. */
  void session_relay_callbacks (Peer *peer, peer::PeerSessionCallbacks &cb);
  bool accept_child (guint stripe, Peer *asking);
  bool push_down_child (guint stripe, Peer *asking);
  void update_relay_info ();
  void adapt_capacity ();
  void reannounce ();

  Runtime &runtime_;
  SwarmConfig config_;
  SwarmCallbacks callbacks_;
  /* Before the peers: their sessions wait in its line until they go. */
  peer::UplinkPacer pacer_;
  std::vector<std::unique_ptr<net::TrackerClient>> trackers_;
  /* In the order they came; walked several times per scheduling pass. */
  OwnedList<Peer> peers_;
  std::set<std::string> banned_;
  std::set<int64_t> loaded_;
  std::set<int64_t> loading_;
  /* What we announce, encoded once for all peers: plain, and with how we
   * relay for our own peers. */
  peer::AnnouncementRef announcement_;
  peer::AnnouncementRef relay_announcement_;
  /* gst-p2p 2 relaying. */
  guint stripes_ = 0;
  std::vector<Parent> parents_;
  /* relay_id () of our own id. */
  uint32_t self_relay_id_ = 0;
  peer::RelayInfo relay_info_;
  guint max_children_ = 0;
  double stripe_rate_ = 0;
  /* Capacity checks in a row that found the uplink behind. */
  guint saturated_checks_ = 0;
  guint64 uploaded_at_check_ = 0;
  guint64 sent_while_saturated_ = 0;
  /* Until then max_children_ is what the uplink was measured to take. */
  GstClockTime capacity_known_until_ = 0;
  SwarmStats stats_;
  double upload_tokens_ = 0;
  GstClockTime upload_tokens_time_ = 0;
  Timer collect_timer_;
  Timer capacity_timer_;
  /* When how we relay was last re-announced, and the re-announcement
   * waiting for kReannounceGap after it. */
  GstClockTime reannounced_ = GST_CLOCK_TIME_NONE;
  Timer reannounce_timer_;
};

} // namespace p2p::swarm
