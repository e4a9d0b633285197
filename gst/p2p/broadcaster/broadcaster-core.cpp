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
      holdings_ (G_MAXSIZE, kSeedTailSegments, runtime.hasher, false, {})
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
  /* Relays are the seeder's copies (a stripe each); more connections than
   * that, so that a relay that leaves is replaced at once. Connections for
   * every copy it may hand out are taken from the start: copies added
   * later, as the audience grows, find relays at hand (in the simulator,
   * 1,000 viewers got 3 points more offload than with connections added
   * with the copies). */
  const guint max_copies = config_.viewers_per_copy ? kMaxSeedCopies : 1;
  sc.relay_slots = config_.max_upload_peers;
  sc.max_peers = 2 * config_.max_upload_peers * max_copies;
  sc.viewers_per_copy = config_.viewers_per_copy;
  sc.max_copies = max_copies;
  sc.max_upload_rate = config_.max_upload_rate;
  sc.holdings = &holdings_;
  /* Whole segments (browsers, older peers): max-upload-peers bounds them. */
  sc.max_concurrent_uploads = config_.max_upload_peers;
  swarm::SwarmCallbacks callbacks;
  callbacks.lookup
      = [this] (int64_t sequence) { return holdings_.store ().get (sequence); };
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
  holdings_.set_window_start (publication.window_start);
  const ChunkLayout &layout = publication.chunk_tree.layout;
  if (layout.size > 0) {
    holdings_.expect (publication.sequence, layout,
                      publication.chunk_tree.stripe_roots);
    seeder_->set_stripes (layout.stripes);
  }
  holdings_.put_whole (publication.sequence, publication.data,
                       swarm::SegmentSource::LOCAL, {});
  std::set<int64_t> loaded;
  for (gint64 seq : holdings_.store ().sequences ())
    loaded.insert (seq);
  seeder_->set_holdings (loaded, {});
  seeder_->holdings_changed ();
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
