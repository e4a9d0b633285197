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
random_id20 ()
{
  webtorrent::Id20 id;
  for (auto &b : id.bytes)
    b = static_cast<uint8_t> (g_random_int_range (0, 256));
  return id;
}

/* Offers out and unanswered at a time, as many as one browser announce. */
constexpr guint kMaxPendingOffers = 5;

/* A peer that turned a request down for being busy is not asked again for
 * this long: about one segment's upload to someone else. */
constexpr gint64 kBusyBackoffUs = 500 * G_TIME_SPAN_MILLISECOND;

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

Swarm::Swarm (EngineThread &engine, SwarmConfig config,
              SwarmCallbacks callbacks)
    : engine_ (engine), config_ (std::move (config)),
      callbacks_ (std::move (callbacks))
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_swarm_debug, "p2pswarm", 0,
                             "gst-p2p swarm: peers and trackers");
    g_once_init_leave (&debug_init, 1);
  }
}

Swarm::~Swarm ()
{
  *alive_ = false;
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
    tc.tls_accept_certificate_file = config_.tls_accept_certificate_file;
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
    auto client = std::make_unique<net::TrackerClient> (tc, std::move (cb));
    trackers_.push_back (std::move (client));
  }
  for (auto &t : trackers_)
    t->start ();
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
  guint room = config_.max_peers > connected + pending
                   ? config_.max_peers - connected - pending
                   : 0;
  count = std::min (count, room);
  /* Each offer is a webrtcbin waiting up to the connect timeout: keep a
   * few out at a time, and none once we are connected to everyone the
   * tracker counts (newcomers then offer to us). */
  count = std::min (
      count, kMaxPendingOffers > pending ? kMaxPendingOffers - pending : 0);
  if (tracker->swarm_size () >= 0
      && connected + 1 >= static_cast<guint64> (tracker->swarm_size ()))
    count = 0;
  auto batch = std::make_shared<OfferBatch> ();
  batch->ready = std::move (ready);
  batch->waiting = count + 1; /* +1 released below, after the loop */

  for (guint i = 0; i < count; i++) {
    peers_.emplace_back ();
    Peer *peer = &peers_.back ();
    peer->offer_id = random_id20 ();
    peer->tracker = tracker;
    peer->pending_offer = true;
    auto callbacks = session_callbacks (peer);
    webtorrent::Id20 offer_id = peer->offer_id;
    std::weak_ptr<bool> alive = alive_;
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
        engine_, config_.webrtc, std::move (callbacks), error.out ());
    if (!peer->session) {
      GST_WARNING ("cannot create an offer: %s", error.get ()->message);
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
  if (banned_.count (remote) || find_connected (remote)
      || connected_count () >= config_.max_peers)
    return;
  peers_.emplace_back ();
  Peer *peer = &peers_.back ();
  peer->tracker = tracker;
  auto callbacks = session_callbacks (peer);
  callbacks.local_description
      = [tracker, from, offer_id] (const std::string &answer) {
          tracker->send_answer (from, offer_id, answer);
        };
  GErrorOut error;
  peer->session
      = peer::PeerSession::answer (engine_, config_.webrtc, remote, sdp,
                                   std::move (callbacks), error.out ());
  if (!peer->session) {
    GST_INFO ("cannot answer %s: %s", remote.c_str (), error.get ()->message);
    peer->dead = true;
    collect_dead ();
  }
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
      GST_INFO ("bad answer from %s: %s", remote.c_str (),
                error.get ()->message);
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
    GST_INFO ("peer %s connected", peer->session->remote_id ().c_str ());
    announce_to (peer);
    notify_changed ();
  };
  cb.announcement = [this] { notify_changed (); };
  cb.lookup = [this] (int64_t sequence) -> GBytes * {
    if (!config_.upload || !callbacks_.lookup)
      return nullptr;
    if (config_.max_concurrent_uploads
        && uploads_running () >= config_.max_concurrent_uploads)
      return nullptr;
    GBytes *data = callbacks_.lookup (sequence);
    if (data && !upload_allowed (g_bytes_get_size (data))) {
      g_bytes_unref (data);
      return nullptr;
    }
    return data;
  };
  cb.progress
      = [this, peer] (int64_t sequence, guint64 received, guint64 total) {
          if (callbacks_.progress)
            callbacks_.progress (sequence, peer->session->remote_id (),
                                 received, total);
        };
  cb.downloaded = [this, peer] (int64_t sequence, GBytes *data) {
    stats_.downloaded_bytes += g_bytes_get_size (data);
    if (callbacks_.downloaded)
      callbacks_.downloaded (sequence, peer->session->remote_id (), data);
  };
  cb.download_failed = [this, peer] (int64_t sequence, const std::string &why,
                                     bool absent) {
    if (absent && peer->session->remote_loaded ().count (sequence))
      peer->busy_until_us = g_get_monotonic_time () + kBusyBackoffUs;
    else
      peer->failures++;
    if (callbacks_.download_failed)
      callbacks_.download_failed (sequence, peer->session->remote_id (), why);
  };
  cb.uploaded = [this] (guint64 bytes) { stats_.uploaded_bytes += bytes; };
  cb.closed = [this, peer] (const GError *error) {
    GST_INFO ("peer %s gone: %s", peer->session->remote_id ().c_str (),
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
  bool was_connected = peer->session && peer->session->is_open ();
  std::weak_ptr<bool> alive = alive_;
  /* Sessions call us from inside their own callbacks: drop them later. */
  engine_.post ([this, alive] {
    if (!alive.expired ())
      collect_dead ();
  });
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
  for (Peer &p : peers_) {
    if (!p.dead && !p.pending_offer && p.session
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
  /* With upload off we announce nothing, so nobody asks us. */
  if (config_.upload)
    peer->session->announce (loaded_, loading_);
  else
    peer->session->announce ({}, {});
}

void
Swarm::set_holdings (const std::set<int64_t> &loaded,
                     const std::set<int64_t> &loading_by_http)
{
  if (loaded == loaded_ && loading_by_http == loading_)
    return;
  loaded_ = loaded;
  loading_ = loading_by_http;
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
  GST_WARNING ("banning peer %s: %s", peer_id.c_str (), why.c_str ());
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
  std::vector<PeerView> views;
  for (const Peer &p : peers_) {
    if (p.dead || !p.session || !p.session->is_open ())
      continue;
    PeerView v;
    v.id = p.session->remote_id ();
    v.announced = p.session->remote_loaded ();
    v.loading_by_http = p.session->remote_loading ();
    v.throughput = p.session->throughput ();
    v.failures = p.failures;
    v.seeder = g_str_has_prefix (v.id.c_str (), kSeederPeerIdPrefix);
    v.busy = g_get_monotonic_time () < p.busy_until_us;
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
  gint64 now = g_get_monotonic_time ();
  double elapsed = (now - upload_tokens_time_) / 1e6;
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

} // namespace p2p::swarm
