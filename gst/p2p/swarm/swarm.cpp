/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "swarm.h"

#include <algorithm>

#include "gst/p2p/swarm/swarm-identity.h"

GST_DEBUG_CATEGORY_STATIC (p2p_swarm_debug);
#define GST_CAT_DEFAULT p2p_swarm_debug

namespace p2p::swarm {

namespace {

webtorrent::Id20
random_id20 (Random &random)
{
  webtorrent::Id20 id;
  for (auto &b : id.bytes)
    b = static_cast<uint8_t> (random.range (0, 256));
  return id;
}

/* Offers out and unanswered at a time, as many as one browser announce;
 * twice that, what trackers relay at most (PROTOCOLS.md §6), while fewer
 * than half of max_peers are connected: the peers a newcomer finds with
 * its first announce are all it can choose parents from until the next,
 * an interval later. */
constexpr guint kMaxPendingOffers = 5;
constexpr guint kMaxPendingOffersWhenFew = 10;

/* At max_peers, a newcomer's offer takes the place of a peer connected
 * this long that we exchange nothing with: long enough for it to ask us
 * for a stripe; not so long that newcomers wait for the swarm to settle
 * (simulated N = 1,000: 93.9 % steady offload with 20 s, 94.8 % with 5 s,
 * 94.9 % with none). */
constexpr GstClockTime kReplaceableAfter = 5 * GST_SECOND;

/* Stripes a viewer offers to relay before it knows its uplink, and at most. */
constexpr guint kInitialRelaySlots = 8;
constexpr guint kMaxRelaySlots = 32;
/* Relayed bytes here and not sent yet, over all children, in seconds of
 * what they relay. Segments come in bursts, so a backlog during one is no
 * sign of a full uplink; one above the first figure at kSaturatedChecks
 * checks in a row (two segments and more) is: what the uplink sent
 * meanwhile is what it can send. Below the second figure it has room for
 * one more stripe. New relays start with room for two segments' stripes. */
constexpr double kSaturatedBacklog = 1.0;
constexpr guint kSaturatedChecks = 4;
constexpr double kIdleBacklog = 0.5;
constexpr GstClockTime kCapacityCheck = GST_SECOND;
/* After the uplink was found full, its measure holds this long; then one
 * more stripe is tried now and then. */
constexpr GstClockTime kCapacityMemory = 30 * GST_SECOND;
/* The share of a measured uplink that relays fill. */
constexpr double kUplinkUse = 0.9;

/* Seconds between a seeder's announces when its copies follow the
 * audience: one message every few seconds from one peer. */
constexpr guint kSeederCountInterval = 5;

/* A peer that turned a request down for being busy is not asked again for
 * this long: about one segment's upload to someone else. */
constexpr GstClockTime kBusyBackoff = 500 * GST_MSECOND;

/* A change of how we relay (depths, paths, free slots) is re-announced to
 * our relaying peers at most this often: every change would go to each of
 * them, and each would plan again. */
constexpr GstClockTime kReannounceGap = 100 * GST_MSECOND;

std::string
id_string (const webtorrent::Id20 &id)
{
  return std::string (id.view ());
}

/* Collects the SDPs of offers being gathered for one announce. */
struct OfferBatch
{
  guint waiting = 0;
  std::vector<webtorrent::OutgoingOffer> offers;
  net::TrackerClient::OffersReady ready;

  void
  done ()
  {
    if (--waiting == 0 && ready)
      ready (std::move (offers));
  }
};

} // namespace

Swarm::Swarm (Runtime &runtime, SwarmConfig config, SwarmCallbacks callbacks)
    : runtime_ (runtime), config_ (std::move (config)),
      callbacks_ (std::move (callbacks)), pacer_ (runtime.clock),
      announcement_ (peer::encode_announcement ({}, {})),
      collect_timer_ (runtime.clock), capacity_timer_ (runtime.clock),
      reannounce_timer_ (runtime.clock)
{
  self_relay_id_ = relay_id (config_.peer_id);
  pacer_.set_rate (double (config_.max_upload_rate));
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_swarm_debug, "p2pswarm", 0,
                             "gst-p2p swarm: peers and trackers");
    g_once_init_leave (&debug_init, 1);
  }
}

Swarm::~Swarm ()
{
  trackers_.clear ();
  peers_.clear ();
}

void
Swarm::start ()
{
  auto info_hash = webtorrent::Id20::from_bytes (config_.info_hash);
  auto peer_id = webtorrent::Id20::from_bytes (config_.peer_id);
  if (!info_hash || !peer_id) {
    if (callbacks_.warning)
      callbacks_.warning ("Invalid swarm identity: peer-to-peer is off");
    return;
  }
  for (const std::string &url : config_.trackers) {
    net::TrackerClientConfig tc;
    tc.url = url;
    tc.info_hash = *info_hash;
    tc.peer_id = *peer_id;
    tc.offers_per_announce = config_.offers_per_announce;
    tc.seeder = config_.seeder;
    /* A seeder's copies follow the audience the tracker counts: it asks
     * for the count more often than a viewer needs to announce. */
    if (config_.viewers_per_copy)
      tc.max_interval = tc.default_interval = kSeederCountInterval;
    /* Callbacks name their tracker by index: trackers_ only grows here. */
    size_t index = trackers_.size ();
    net::TrackerClient::Callbacks cb;
    cb.create_offers
        = [this, index] (guint count, net::TrackerClient::OffersReady ready) {
            create_offers (trackers_[index].get (), count, std::move (ready));
          };
    cb.offer = [this, index] (const webtorrent::Id20 &from,
                              const webtorrent::Id20 &offer_id,
                              const std::string &sdp) {
      on_offer (trackers_[index].get (), from, offer_id, sdp);
    };
    cb.answer =
        [this] (const webtorrent::Id20 &from, const webtorrent::Id20 &offer_id,
                const std::string &sdp) { on_answer (from, offer_id, sdp); };
    cb.warning = [this] (const std::string &message) {
      if (callbacks_.warning)
        callbacks_.warning (message);
    };
    auto client = std::make_unique<net::TrackerClient> (
        runtime_.clock, runtime_.trackers, tc, std::move (cb));
    trackers_.push_back (std::move (client));
  }
  for (auto &t : trackers_)
    t->start ();
  if (config_.holdings) {
    const guint limit = upload_limit_slots ();
    max_children_ = !config_.upload       ? 0
                    : config_.relay_slots ? config_.relay_slots
                    : limit               ? limit
                                          : kInitialRelaySlots;
    update_relay_info ();
    capacity_timer_.start_repeating (kCapacityCheck,
                                     [this] { adapt_capacity (); });
  }
}

void
Swarm::create_offers (net::TrackerClient *tracker, guint count,
                      net::TrackerClient::OffersReady ready)
{
  collect_dead ();
  guint pending = 0;
  for (const Peer &p : peers_)
    pending += p.pending_offer ? 1 : 0;
  guint connected = connected_count ();
  /* The last place is for a newcomer's offer, which may take an idle
   * peer's (on_offer ()): a peer that lost one that way does not look for
   * another, which would push one out elsewhere, and so on. */
  const guint wanted
      = config_.max_peers > 1 ? config_.max_peers - 1 : config_.max_peers;
  guint room = wanted > connected + pending ? wanted - connected - pending : 0;
  count = std::min (count, room);
  /* Each offer is a webrtcbin waiting up to the connect timeout: keep a
   * few out at a time, and none once we are connected to everyone the
   * tracker counts (newcomers then offer to us). */
  const guint max_pending = 2 * connected < config_.max_peers
                                ? kMaxPendingOffersWhenFew
                                : kMaxPendingOffers;
  count = std::min (count, max_pending > pending ? max_pending - pending : 0);
  if (tracker->swarm_size () >= 0
      && connected + 1 >= static_cast<guint64> (tracker->swarm_size ()))
    count = 0;
  auto batch = std::make_shared<OfferBatch> ();
  batch->ready = std::move (ready);
  batch->waiting = count + 1; /* +1 released below, after the loop */

  for (guint i = 0; i < count; i++) {
    Peer *peer = peers_.add ();
    peer->offer_id = random_id20 (runtime_.random);
    peer->tracker = tracker;
    peer->pending_offer = true;
    auto callbacks = session_callbacks (peer);
    webtorrent::Id20 offer_id = peer->offer_id;
    /* The batch learns about this offer's SDP, or its failure, once. */
    auto reported = std::make_shared<bool> (false);
    callbacks.local_description = [batch, offer_id,
                                   reported] (const std::string &sdp) {
      if (*reported)
        return;
      *reported = true;
      batch->offers.push_back (webtorrent::OutgoingOffer{ offer_id, sdp });
      batch->done ();
    };
    auto closed = callbacks.closed;
    callbacks.closed = [batch, reported, closed] (const GError *error) {
      if (!*reported) {
        *reported = true;
        batch->done ();
      }
      closed (error);
    };
    GErrorOut error;
    peer->session = peer::PeerSession::offer (
        runtime_.peers, runtime_.clock, runtime_.random, std::move (callbacks),
        error.out ());
    if (peer->session) {
      session_started (peer);
    } else {
      GST_WARNING_ID (config_.peer_id.c_str (), "cannot create an offer: %s",
                      error.get ()->message);
      peer->dead = true;
      *reported = true;
      batch->done ();
    }
  }
  batch->done ();
}

void
Swarm::on_offer (net::TrackerClient *tracker, const webtorrent::Id20 &from,
                 const webtorrent::Id20 &offer_id, const std::string &sdp)
{
  collect_dead ();
  std::string remote = id_string (from);
  if (banned_.count (remote) || find_connected (remote))
    return;
  if (connected_count () >= config_.max_peers) {
    Peer *idle = replaceable_peer ();
    if (!idle)
      return;
    GST_DEBUG_ID (config_.peer_id.c_str (), "dropping idle %s for newcomer %s",
                  idle->session->remote_id ().c_str (), remote.c_str ());
    idle->session->close ();
    remove_later (idle);
  }
  Peer *peer = peers_.add ();
  peer->tracker = tracker;
  auto callbacks = session_callbacks (peer);
  callbacks.local_description
      = [tracker, from, offer_id] (const std::string &answer) {
          tracker->send_answer (from, offer_id, answer);
        };
  GErrorOut error;
  peer->session = peer::PeerSession::answer (
      runtime_.peers, runtime_.clock, runtime_.random, remote, sdp,
      std::move (callbacks), error.out ());
  if (!peer->session) {
    GST_INFO_ID (config_.peer_id.c_str (), "cannot answer %s: %s",
                 remote.c_str (), error.get ()->message);
    peer->dead = true;
    collect_dead ();
    return;
  }
  session_started (peer);
}

void
Swarm::session_started (Peer *peer)
{
  stats_.peer_sessions++;
  peer->session->set_log_id (config_.peer_id);
  peer->session->set_pacer (&pacer_);
}

Swarm::Peer *
Swarm::replaceable_peer ()
{
  const GstClockTime now = runtime_.clock.now ();
  std::vector<Peer *> idle;
  for (Peer &p : peers_)
    if (!p.dead && p.session && p.session->is_open () && !p.seeder
        && now >= p.opened + kReplaceableAfter && !is_parent (&p)
        && p.session->children () == 0 && p.session->ranges_pending () == 0
        && !p.session->downloading () && !p.session->uploading ())
      idle.push_back (&p);
  if (idle.empty ())
    return nullptr;
  return idle[size_t (runtime_.random.range (0, gint64 (idle.size ())))];
}

void
Swarm::on_answer (const webtorrent::Id20 &from,
                  const webtorrent::Id20 &offer_id, const std::string &sdp)
{
  std::string remote = id_string (from);
  for (Peer &p : peers_) {
    if (!p.pending_offer || p.dead || p.offer_id != offer_id)
      continue;
    p.pending_offer = false;
    if (banned_.count (remote) || find_connected (remote)) {
      /* A second connection to a peer we already have: drop it, as the
       * browsers' client does. */
      remove_later (&p);
      return;
    }
    GErrorOut error;
    if (!p.session->set_remote_answer (remote, sdp, error.out ())) {
      GST_INFO_ID (config_.peer_id.c_str (), "bad answer from %s: %s",
                   remote.c_str (), error.get ()->message);
      remove_later (&p);
    }
    return;
  }
}

peer::PeerSessionCallbacks
Swarm::session_callbacks (Peer *peer)
{
  peer::PeerSessionCallbacks cb;
  cb.open = [this, peer] {
    const std::string &id = peer->session->remote_id ();
    GST_INFO_ID (config_.peer_id.c_str (), "peer %s connected", id.c_str ());
    stats_.peer_connections++;
    peer->seeder = is_seeder (id);
    peer->relay_id = relay_id (id);
    peer->opened = runtime_.clock.now ();
    if (config_.holdings && relays_stripes (id))
      peer->session->enable_relay (config_.holdings);
    announce_to (peer);
    notify_changed ();
  };
  cb.announcement = [this, peer] {
    peer->subscriptions_unannounced = 0;
    if (callbacks_.announced)
      callbacks_.announced (peer->session->remote_loaded ());
    /* A parent's place in the relay is part of ours. */
    if (is_parent (peer))
      update_relay_info ();
    if (callbacks_.peer_announced)
      callbacks_.peer_announced ();
    else
      notify_changed ();
  };
  cb.lookup = [this] (int64_t sequence) -> ChunkedBytes {
    if (!config_.upload || !callbacks_.lookup)
      return {};
    if (config_.max_concurrent_uploads
        && uploads_running () >= config_.max_concurrent_uploads)
      return {};
    ChunkedBytes data = callbacks_.lookup (sequence);
    if (!data.empty () && !upload_allowed (data.size ()))
      return {};
    return data;
  };
  cb.progress
      = [this, peer] (int64_t sequence, guint64 received, guint64 total) {
          if (callbacks_.progress)
            callbacks_.progress (sequence, peer->session->remote_id (),
                                 received, total);
        };
  cb.downloaded = [this, peer] (int64_t sequence, const ChunkedBytes &data) {
    stats_.downloaded_bytes += data.size ();
    if (callbacks_.downloaded)
      callbacks_.downloaded (sequence, peer->session->remote_id (), data);
  };
  cb.download_failed = [this, peer] (int64_t sequence, const std::string &why,
                                     bool absent) {
    if (absent && peer->session->remote_loaded ().count (sequence))
      peer->busy_until = runtime_.clock.now () + kBusyBackoff;
    else
      peer->failures++;
    if (callbacks_.download_failed)
      callbacks_.download_failed (sequence, peer->session->remote_id (), why);
  };
  cb.uploaded = [this] (guint64 bytes) { stats_.uploaded_bytes += bytes; };
  session_relay_callbacks (peer, cb);
  cb.closed = [this, peer] (const GError *error) {
    GST_INFO_ID (config_.peer_id.c_str (), "peer %s gone: %s",
                 peer->session->remote_id ().c_str (),
                 error ? error->message : "closed by the remote");
    remove_later (peer);
  };
  return cb;
}

void
Swarm::remove_later (Peer *peer)
{
  if (peer->dead)
    return;
  peer->dead = true;
  /* Stripes we received through it need another parent. */
  bool orphaned = false;
  if (peer->session)
    for (guint j = 0; j < parents_.size (); j++)
      if (parents_[j].peer == peer) {
        /* sim/delivery-report.py counts what such a departure costs. */
        GST_INFO_ID (config_.peer_id.c_str (),
                     "the parent of stripe %u went away: %s", j,
                     parents_[j].id.c_str ());
        set_parent (j, nullptr);
        orphaned = true;
      }
  if (orphaned) {
    update_relay_info ();
    if (callbacks_.relay_changed)
      callbacks_.relay_changed ();
  }
  bool was_connected = peer->session && peer->session->is_open ();
  /* Sessions call us from inside their own callbacks: drop them later. */
  collect_timer_.start (0, [this] { collect_dead (); });
  if (was_connected)
    notify_changed ();
}

void
Swarm::collect_dead ()
{
  peers_.remove_if ([] (const Peer &p) { return p.dead; });
}

Swarm::Peer *
Swarm::find_connected (const std::string &peer_id)
{
  /* Peers that opened are told apart by relay id without reaching into
   * their sessions (0: not known yet, or the id's own). */
  const uint32_t id = relay_id (peer_id);
  for (Peer &p : peers_) {
    if (!p.dead && !p.pending_offer && p.session
        && (p.relay_id == 0 || p.relay_id == id)
        && p.session->remote_id () == peer_id)
      return &p;
  }
  return nullptr;
}

const Swarm::Peer *
Swarm::find_connected (const std::string &peer_id) const
{
  return const_cast<Swarm *> (this)->find_connected (peer_id);
}

void
Swarm::set_parent (guint stripe, Peer *peer)
{
  parents_[stripe].id = peer ? peer->session->remote_id () : std::string ();
  parents_[stripe].peer = peer;
}

bool
Swarm::is_parent (const Peer *peer) const
{
  for (const Parent &p : parents_)
    if (p.peer == peer)
      return true;
  return false;
}

guint
Swarm::count_peers (bool (peer::PeerSession::*state) () const) const
{
  guint n = 0;
  for (const Peer &p : peers_)
    n += (!p.dead && p.session && (p.session.get ()->*state) ()) ? 1 : 0;
  return n;
}

guint
Swarm::connected_count () const
{
  return count_peers (&peer::PeerSession::is_open);
}

guint
Swarm::uploads_running () const
{
  return count_peers (&peer::PeerSession::uploading);
}

void
Swarm::announce_to (Peer *peer)
{
  peer->session->announce (peer->session->relays () && relay_announcement_
                               ? relay_announcement_
                               : announcement_);
}

void
Swarm::set_holdings (const std::set<int64_t> &loaded,
                     const std::set<int64_t> &loading_by_http)
{
  /* With upload off we announce nothing, so nobody asks us. */
  if (!config_.upload || (loaded == loaded_ && loading_by_http == loading_))
    return;
  loaded_ = loaded;
  loading_ = loading_by_http;
  announcement_ = peer::encode_announcement (loaded_, loading_);
  if (config_.holdings) {
    relay_announcement_
        = peer::encode_announcement (loaded_, loading_, relay_info_);
    /* It carries how we relay now: a re-announcement waiting is sent. */
    reannounce_timer_.cancel ();
  }
  for (Peer &p : peers_) {
    if (!p.dead && p.session && p.session->is_open ())
      announce_to (&p);
  }
}

bool
Swarm::request (const std::string &peer_id, int64_t sequence)
{
  Peer *p = find_connected (peer_id);
  return p && p->session->request (sequence);
}

void
Swarm::cancel (const std::string &peer_id)
{
  if (Peer *p = find_connected (peer_id))
    p->session->cancel_download ();
}

void
Swarm::note_failure (const std::string &peer_id)
{
  if (Peer *p = find_connected (peer_id))
    p->failures++;
}

void
Swarm::ban (const std::string &peer_id, const std::string &why)
{
  GST_WARNING_ID (config_.peer_id.c_str (), "banning peer %s: %s",
                  peer_id.c_str (), why.c_str ());
  banned_.insert (peer_id);
  stats_.peers_banned++;
  if (Peer *p = find_connected (peer_id)) {
    p->session->close ();
    remove_later (p);
  }
}

std::vector<PeerView>
Swarm::peer_views () const
{
  const GstClockTime now = runtime_.clock.now ();
  std::vector<PeerView> views;
  views.reserve (peers_.size ());
  for (const Peer &p : peers_) {
    if (p.dead || !p.session || !p.session->is_open ())
      continue;
    PeerView v;
    v.id = p.session->remote_id ();
    v.announced = &p.session->remote_loaded ();
    v.loading_by_http = &p.session->remote_loading ();
    v.throughput = p.session->throughput ();
    v.failures = p.failures;
    v.seeder = p.seeder;
    v.busy = now < p.busy_until;
    if (p.session->relays ()) {
      v.relays = true;
      v.depths = &p.session->remote_depths ();
      v.paths = &p.session->remote_ancestors ();
      /* Less what we asked since it last told us. */
      v.free_slots = p.session->remote_free_slots ()
                     - int64_t (p.subscriptions_unannounced);
      v.relay_slots = p.session->remote_relay_slots ();
      v.interior = p.seeder ? -1 : int (interior_stripe (p.relay_id, stripes_));
      v.ranges_pending = p.session->ranges_pending ();
      for (guint j = 0; j < parents_.size () && j < 32; j++)
        if (parents_[j].peer == &p)
          v.pushing_to_us |= 1u << j;
    }
    views.push_back (std::move (v));
  }
  return views;
}

SwarmStats
Swarm::stats () const
{
  SwarmStats s = stats_;
  s.peers = connected_count ();
  return s;
}

void
Swarm::notify_changed ()
{
  if (callbacks_.changed)
    callbacks_.changed ();
}

bool
Swarm::upload_allowed (guint64 bytes)
{
  if (config_.max_upload_rate == 0)
    return true;
  /* A token bucket of one second: a segment is served when the rate allows
   * it as a whole; otherwise the requester is told it is absent and asks
   * another peer or HTTP, which is better than trickling it out late. */
  const GstClockTime now = runtime_.clock.now ();
  double elapsed = double (now - upload_tokens_time_) / GST_SECOND;
  upload_tokens_time_ = now;
  double capacity
      = std::max<double> (config_.max_upload_rate, static_cast<double> (bytes));
  upload_tokens_
      = std::min (capacity, upload_tokens_ + elapsed * config_.max_upload_rate);
  if (upload_tokens_ < bytes)
    return false;
  upload_tokens_ -= bytes;
  return true;
}

/* ---------------------------------------------------- gst-p2p 2 relaying */

void
Swarm::session_relay_callbacks (Peer *peer, peer::PeerSessionCallbacks &cb)
{
  if (!config_.holdings)
    return;
  Holdings *holdings = config_.holdings;
  cb.subscribe_request = [this, peer] (guint stripe) {
    /* Not to our own parent: that would be a loop. */
    const bool accepted = parent (stripe) != peer->session->remote_id ()
                          && accept_child (stripe, peer);
    GST_DEBUG_ID (
        config_.peer_id.c_str (),
        "%s subscribes to stripe %u: %s (%u of %u, depth %" G_GINT64_FORMAT ")",
        peer->session->remote_id ().c_str (), stripe,
        accepted ? "accepted" : "refused", children (), max_children_,
        stripe < relay_info_.depths.size () ? relay_info_.depths[stripe] : -9);
    /* Counted once the session took it: the timer announces it. */
    return accepted;
  };
  cb.stripe_hashes = [holdings] (int64_t sequence, gsize offset,
                                 const std::vector<Digest> &hashes) {
    return holdings->add_hashes (sequence, offset, hashes);
  };
  cb.stripe_bytes = [this, peer, holdings] (int64_t sequence, gsize offset,
                                            GBytes *bytes, bool cut_through) {
    switch (holdings->append (sequence, offset, bytes)) {
    case Holdings::Append::BAD:
      return false;
    case Holdings::Append::KEPT:
      stats_.downloaded_bytes += g_bytes_get_size (bytes);
      if (callbacks_.relayed)
        callbacks_.relayed (sequence, peer->session->remote_id (), offset,
                            g_bytes_get_size (bytes), cut_through);
      return true;
    case Holdings::Append::IGNORED:
      stats_.duplicate_bytes += g_bytes_get_size (bytes);
      return true;
    }
    return true;
  };
  cb.stripe_ended
      = [this, peer] (int64_t sequence, gsize from, bool range, bool complete) {
          if (range && callbacks_.range_ended)
            callbacks_.range_ended (sequence, peer->session->remote_id (), from,
                                    complete);
          if (callbacks_.relay_changed)
            callbacks_.relay_changed ();
        };
  cb.unsubscribed = [this, peer] (guint stripe) {
    GST_DEBUG_ID (config_.peer_id.c_str (), "%s ended our stripe %u",
                  peer->session->remote_id ().c_str (), stripe);
    /* Refused (full) or dropped: not asked again for a while. */
    peer->busy_until = runtime_.clock.now () + kBusyBackoff;
    if (parent (stripe) == peer->session->remote_id ()) {
      set_parent (stripe, nullptr);
      update_relay_info ();
    }
    if (callbacks_.relay_changed)
      callbacks_.relay_changed ();
  };
  cb.lied = [this, peer] (const std::string &why) {
    ban (peer->session->remote_id (), why);
  };
}

void
Swarm::set_stripes (guint stripes)
{
  if (stripes == stripes_ || stripes > 32)
    return;
  for (guint j = 0; j < parents_.size (); j++)
    unsubscribe (j);
  stripes_ = stripes;
  parents_.assign (stripes, Parent ());
  update_relay_info ();
}

bool
Swarm::subscribe (guint stripe, const std::string &peer_id, int64_t from)
{
  if (stripe >= stripes_ || !parents_[stripe].id.empty ())
    return false;
  Peer *p = find_connected (peer_id);
  if (!p || !p->session->relays () || !p->session->subscribe (stripe, from))
    return false;
  p->subscriptions_unannounced++;
  set_parent (stripe, p);
  update_relay_info ();
  return true;
}

void
Swarm::unsubscribe (guint stripe)
{
  if (stripe >= parents_.size () || parents_[stripe].id.empty ())
    return;
  if (Peer *p = parents_[stripe].peer)
    p->session->unsubscribe (stripe);
  set_parent (stripe, nullptr);
  update_relay_info ();
}

void
Swarm::skip_segment (guint stripe, int64_t sequence)
{
  if (stripe < parents_.size ())
    if (Peer *p = parents_[stripe].peer)
      p->session->skip_segment (stripe, sequence);
}

bool
Swarm::request_range (const std::string &peer_id, int64_t sequence, gsize from,
                      gsize to)
{
  Peer *p = find_connected (peer_id);
  return p && p->session->relays ()
         && p->session->request_range (sequence, from, to);
}

void
Swarm::cancel_range (const std::string &peer_id, int64_t sequence, gsize from)
{
  if (Peer *p = find_connected (peer_id))
    p->session->cancel_range (sequence, from);
}

void
Swarm::holdings_changed ()
{
  for (Peer &p : peers_)
    if (!p.dead && p.session && p.session->relays ())
      p.session->source_changed ();
}

guint
Swarm::children () const
{
  guint n = 0;
  for (const Peer &p : peers_)
    if (!p.dead && p.session)
      n += guint (p.session->children ());
  return n;
}

guint32
Swarm::relayed_stripes () const
{
  guint32 stripes = 0;
  for (const Peer &p : peers_)
    if (!p.dead && p.session)
      stripes |= p.session->child_stripes ();
  return stripes;
}

bool
Swarm::accept_child (guint stripe, Peer *asking)
{
  if (stripe >= stripes_)
    return false;
  /* A viewer relays its interior stripe first (children look for those
   * relays first), others when it has room. Between parents of its own it
   * still gets the stripe (ranges, HTTP): it takes children all the
   * same. */
  if (!config_.seeder)
    return children () < max_children_ || push_down_child (stripe, asking);
  /* The seeder's copies go to relays (a viewer that relays nothing would
   * end that stripe's tree), spread over the stripes and over as many
   * relays as it can, the strongest first: each relays what it gets from
   * the seeder to the others. When a stripe's copies are taken, a relay
   * with several of the seeder's stripes, or a much weaker one, gives its
   * stripe up to the one asking. */
  const int64_t strength = asking->session->remote_relay_slots ();
  if (strength <= 0)
    return false;
  auto interior = [this, stripe] (Peer &p) {
    return interior_stripe (p.session->remote_id (), stripes_) == stripe;
  };
  Peer *taken_by = nullptr;
  guint relaying = 0;
  for (Peer &p : peers_)
    if (!p.dead && p.session && p.session->relays_stripe_to (stripe)) {
      relaying++;
      const bool yields
          = p.session->children () > 1 || (interior (*asking) && !interior (p))
            || (interior (*asking) == interior (p)
                && 2 * p.session->remote_relay_slots () < strength);
      if (yields
          && (!taken_by
              || p.session->remote_relay_slots ()
                     < taken_by->session->remote_relay_slots ()))
        taken_by = &p;
    }
  if (relaying < std::max (1u, max_children_ / stripes_))
    return true;
  if (!taken_by || asking->session->children () > 0)
    return false;
  GST_DEBUG_ID (config_.peer_id.c_str (), "stripe %u moves from %s to %s",
                stripe, taken_by->session->remote_id ().c_str (),
                asking->session->remote_id ().c_str ());
  taken_by->session->drop_child (stripe);
  return true;
}

bool
Swarm::push_down_child (guint stripe, Peer *asking)
{
  /* Full: a relay of this stripe (SplitStream's interior node) takes the
   * place of a child that relays nothing, or gets from us a stripe it is
   * not a relay of; that child finds another parent, the newcomer's free
   * slots among them. Trees stay shallow: a leaf never holds back a
   * relay. A child pushed down is never interior where it was, so it
   * pushes no one back. */
  const std::string &asker = asking->session->remote_id ();
  if (asking->session->remote_relay_slots () <= 0
      || interior_stripe (asker, stripes_) != stripe)
    return false;
  Peer *victim = nullptr;
  guint victim_stripe = 0;
  bool victim_relays = true;
  for (Peer &p : peers_) {
    if (p.dead || !p.session || p.session->children () == 0)
      continue;
    const bool relays = p.session->remote_relay_slots () > 0;
    const guint interior = interior_stripe (p.session->remote_id (), stripes_);
    for (guint k = 0; k < stripes_; k++)
      if (p.session->relays_stripe_to (k) && (!relays || k != interior)
          && (!victim || (victim_relays && !relays))) {
        victim = &p;
        victim_stripe = k;
        victim_relays = relays;
      }
  }
  if (!victim)
    return false;
  GST_DEBUG_ID (config_.peer_id.c_str (), "stripe %u of %s pushed down for %s",
                victim_stripe, victim->session->remote_id ().c_str (),
                asker.c_str ());
  victim->session->drop_child (victim_stripe);
  return true;
}

void
Swarm::update_relay_info ()
{
  if (!config_.holdings)
    return;
  /* Updated in place: most calls (a parent's announcement) change nothing,
   * and building it anew to compare was a good part of the time spent on
   * announcements. */
  const uint32_t self = self_relay_id_;
  bool changed = relay_info_.depths.size () != stripes_;
  relay_info_.depths.resize (stripes_, -1);
  relay_info_.ancestors.resize (stripes_);
  for (guint j = 0; j < stripes_; j++) {
    int64_t depth = -1;
    /* The path down to our parent: ours is it and us. */
    const std::vector<uint32_t> *above = nullptr;
    if (config_.seeder) {
      depth = 0;
    } else if (const Peer *p = parents_[j].peer) {
      const auto &depths = p->session->remote_depths ();
      const auto &paths = p->session->remote_ancestors ();
      if (j < depths.size () && depths[j] >= 0
          && depths[j] < peer::wire::kMaxDepth
          && std::find (paths[j].begin (), paths[j].end (), self)
                 == paths[j].end ()) {
        depth = depths[j] + 1;
        above = &paths[j];
      }
    }
    std::vector<uint32_t> &path = relay_info_.ancestors[j];
    const size_t above_size = above ? above->size () : 0;
    const bool same_path
        = depth < 0 ? path.empty ()
                    : path.size () == above_size + 1 && path.back () == self
                          && (!above
                              || std::equal (above->begin (), above->end (),
                                             path.begin ()));
    if (relay_info_.depths[j] == depth && same_path)
      continue;
    changed = true;
    relay_info_.depths[j] = depth;
    path.clear ();
    if (depth >= 0) {
      if (above)
        path = *above;
      path.push_back (self);
    }
  }
  const guint relaying = children ();
  /* The seeder's copies move to stronger relays: it takes asks for any
   * stripe it could hand over. */
  const int64_t free_slots = config_.seeder ? stripes_
                             : max_children_ > relaying
                                 ? max_children_ - relaying
                                 : 0;
  changed |= free_slots != relay_info_.free_slots
             || max_children_ != relay_info_.relay_slots;
  relay_info_.free_slots = free_slots;
  relay_info_.relay_slots = max_children_;
  if (changed)
    reannounce ();
}

void
Swarm::reannounce ()
{
  const GstClockTime now = runtime_.clock.now ();
  if (reannounced_ != GST_CLOCK_TIME_NONE
      && now < reannounced_ + kReannounceGap) {
    /* The one pending then carries every change until it goes. */
    if (!reannounce_timer_.pending ())
      reannounce_timer_.start (reannounced_ + kReannounceGap - now,
                               [this] { reannounce (); });
    return;
  }
  reannounce_timer_.cancel ();
  reannounced_ = now;
  relay_announcement_
      = peer::encode_announcement (loaded_, loading_, relay_info_);
  for (Peer &p : peers_)
    if (!p.dead && p.session && p.session->is_open () && p.session->relays ())
      announce_to (&p);
}

void
Swarm::set_stripe_rate (double bytes_per_second)
{
  const bool first = stripe_rate_ <= 0;
  stripe_rate_ = bytes_per_second;
  /* An upload limit says what the uplink may carry: a relay starts there
   * rather than find it by overloading its uplink while the audience
   * arrives (in the simulator, 1,000 viewers that set it to their uplink
   * got 80 % offload over the run instead of 76 %). */
  const guint limit = upload_limit_slots ();
  if (first && config_.upload && !config_.relay_slots && limit)
    max_children_ = limit;
}

guint
Swarm::upload_limit_slots () const
{
  if (!config_.max_upload_rate || stripe_rate_ <= 0)
    return 0;
  return std::clamp (
      guint (kUplinkUse * double (config_.max_upload_rate) / stripe_rate_), 1u,
      kMaxRelaySlots);
}

guint
Swarm::copies () const
{
  if (!config_.seeder || !config_.viewers_per_copy)
    return 1;
  gint64 members = 0;
  for (const auto &t : trackers_)
    members = std::max (members, t->swarm_size ());
  /* The seeder counts itself among the members. A copy costs the origin
   * what one viewer in N costs, so it comes only with a whole count of
   * viewers: at N = 100 one copy did best (simulated, seeds 1-8: 96.1 %
   * steady offload against 95.7 % with two and 95.3 % with three). */
  const gint64 viewers = std::max<gint64> (members - 1, 0);
  const guint wanted = guint (viewers / config_.viewers_per_copy);
  return std::clamp (wanted, 1u, std::max (config_.max_copies, 1u));
}

void
Swarm::adapt_capacity ()
{
  const guint64 sent = stats_.uploaded_bytes - uploaded_at_check_;
  uploaded_at_check_ = stats_.uploaded_bytes;
  if (config_.seeder && config_.relay_slots)
    max_children_ = config_.relay_slots * copies ();
  if (config_.upload && !config_.relay_slots) {
    const guint limit = upload_limit_slots ();
    guint64 backlog = 0, worst = 0;
    peer::PeerSession *slowest = nullptr;
    for (Peer &p : peers_) {
      if (p.dead || !p.session || p.session->children () == 0)
        continue;
      const guint64 waiting = p.session->relay_backlog ();
      backlog += waiting;
      if (!slowest || waiting > worst) {
        worst = waiting;
        slowest = p.session.get ();
      }
    }
    const guint relaying = children ();
    const double behind = relaying && stripe_rate_ > 0
                              ? double (backlog) / (relaying * stripe_rate_)
                              : 0;
    saturated_checks_ = behind > kSaturatedBacklog ? saturated_checks_ + 1 : 0;
    sent_while_saturated_
        = saturated_checks_ ? sent_while_saturated_ + sent : 0;
    if (saturated_checks_ >= kSaturatedChecks && slowest) {
      /* One child far behind the others: its path is slow, not our
       * uplink; it finds a parent elsewhere. */
      guint fit = relaying > 0 ? relaying - 1 : 0;
      if (worst * 3 < backlog * 2 && stripe_rate_ > 0)
        fit = std::min (
            fit, guint (double (sent_while_saturated_) / saturated_checks_
                        / (double (kCapacityCheck) / GST_SECOND) * kUplinkUse
                        / stripe_rate_));
      if (worst * 3 < backlog * 2) {
        max_children_ = fit;
        /* What the uplink can take, learnt: probed again only slowly. */
        capacity_known_until_ = runtime_.clock.now () + kCapacityMemory;
      }
      saturated_checks_ = 0;
      sent_while_saturated_ = 0;
      GST_DEBUG_ID (config_.peer_id.c_str (),
                    "uplink behind by %" G_GUINT64_FORMAT
                    " bytes (sent %" G_GUINT64_FORMAT
                    "): %u relayed stripes, room for %u",
                    backlog, sent, relaying, max_children_);
      for (guint dropped = 0; relaying - dropped > fit && slowest;) {
        guint stripe = 0;
        while (!slowest->relays_stripe_to (stripe))
          stripe++;
        slowest->drop_child (stripe);
        dropped++;
        /* The next from the child most behind. */
        slowest = nullptr;
        worst = 0;
        for (Peer &p : peers_)
          if (!p.dead && p.session && p.session->children () > 0
              && (!slowest || p.session->relay_backlog () > worst)) {
            slowest = p.session.get ();
            worst = p.session->relay_backlog ();
          }
      }
    } else if (behind < kIdleBacklog && relaying >= max_children_
               && max_children_ < (limit ? limit : kMaxRelaySlots)
               && runtime_.clock.now () >= capacity_known_until_) {
      max_children_++;
      if (capacity_known_until_)
        capacity_known_until_ = runtime_.clock.now () + kCapacityMemory / 3;
    }
  }
  guint with_parent = 0;
  for (const Parent &p : parents_)
    with_parent += p.id.empty () ? 0 : 1;
  guint64 backlog_now = 0;
  for (Peer &p : peers_)
    if (!p.dead && p.session && p.session->children ())
      backlog_now += p.session->relay_backlog ();
  std::string depths;
  for (int64_t d : relay_info_.depths)
    depths += " " + std::to_string (d);
  GST_LOG_ID (config_.peer_id.c_str (),
              "relaying %u of %u, %u of %u stripes from parents, sent "
              "%" G_GUINT64_FORMAT " backlog %" G_GUINT64_FORMAT " depths%s",
              children (), max_children_, with_parent, stripes_, sent,
              backlog_now, depths.c_str ());
  update_relay_info ();
}

} // namespace p2p::swarm
