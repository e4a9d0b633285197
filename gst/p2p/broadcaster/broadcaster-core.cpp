/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "broadcaster-core.h"

#include "gst/p2p/swarm/swarm-identity.h"

namespace p2p::broadcaster {

namespace {

/* Segments the seeder keeps behind the playlist window for late peers. */
constexpr guint kSeedTailSegments = 3;

} // namespace

BroadcasterCore::BroadcasterCore (
    Runtime &runtime, OriginSink origin, SeederConfig seeder,
    std::function<void (const std::string &)> warning)
    : runtime_ (runtime), origin_ (std::move (origin)),
      config_ (std::move (seeder)), warning_ (std::move (warning)),
      store_ (G_MAXSIZE, kSeedTailSegments)
{
}

BroadcasterCore::~BroadcasterCore () { seeder_.reset (); }

void
BroadcasterCore::start ()
{
  if (config_.trackers.empty ())
    return;
  swarm::SwarmConfig sc;
  sc.trackers = config_.trackers;
  sc.info_hash = swarm::swarm_info_hash (config_.stream_swarm_id);
  sc.peer_id
      = swarm::generate_peer_id (runtime_.random, swarm::kSeederPeerIdPrefix);
  sc.seeder = true;
  sc.max_peers = config_.max_upload_peers;
  sc.max_upload_rate = config_.max_upload_rate;
  /* max-upload-peers already bounds the seeder's uploads. */
  sc.max_concurrent_uploads = 0;
  swarm::SwarmCallbacks callbacks;
  callbacks.lookup
      = [this] (int64_t sequence) { return store_.get (sequence); };
  callbacks.warning = warning_;
  seeder_ = std::make_unique<swarm::Swarm> (runtime_, sc, callbacks);
  seeder_->start ();
}

void
BroadcasterCore::publish (const Publication &publication)
{
  for (const packaging::OriginChange &change : publication.origin_changes) {
    const std::string path = "/" + change.name;
    if (change.bytes && origin_.publish)
      origin_.publish (path, change.bytes.get ());
    else if (!change.bytes && origin_.remove)
      origin_.remove (path);
  }
  if (!seeder_ || publication.sequence < 0)
    return;
  store_.put (publication.sequence, publication.data,
              swarm::SegmentSource::LOCAL);
  store_.set_window_start (publication.window_start);
  std::set<int64_t> loaded;
  for (gint64 seq : store_.sequences ())
    loaded.insert (seq);
  seeder_->set_holdings (loaded, {});
}

swarm::SwarmStats
BroadcasterCore::seeder_stats () const
{
  return seeder_ ? seeder_->stats () : swarm::SwarmStats ();
}

std::string
BroadcasterCore::seeder_peer_id () const
{
  return seeder_ ? seeder_->peer_id () : std::string ();
}

} // namespace p2p::broadcaster
