/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "broadcaster.h"

#include <cstring>

namespace p2p::sim {

namespace {

packaging::PublisherConfig
publisher_config (const SimBroadcaster::Config &config)
{
  packaging::PublisherConfig c;
  c.target_duration = config.segment_duration;
  c.playlist_length = config.playlist_length;
  return c;
}

} // namespace

SimBroadcaster::SimBroadcaster (Network &network, Host &host, Origin &origin,
                                Tracker &tracker, Hasher &hasher,
                                const Config &config)
    : loop_ (network.loop ()), config_ (config),
      runtime_ (network, host, origin, tracker, hasher, config.seed * 7919),
      publisher_ (publisher_config (config)), content_ (config.seed)
{
  broadcaster::SeederConfig seeder;
  if (!config.stream_swarm_id.empty ())
    seeder.trackers = { Tracker::kUrl };
  seeder.stream_swarm_id = config.stream_swarm_id;
  seeder.max_upload_peers = config.seeder_peers;
  seeder.viewers_per_copy = config.viewers_per_copy;
  core_ = std::make_unique<broadcaster::BroadcasterCore> (
      runtime_.runtime, origin.sink (), seeder, [] (const std::string &) {});
  core_->start ();
}

SimBroadcaster::~SimBroadcaster ()
{
  loop_.cancel (timer_);
  core_.reset ();
}

void
SimBroadcaster::start ()
{
  start_ = loop_.now () - config_.segment_duration;
  publish ();
}

void
SimBroadcaster::stop (bool end_list)
{
  loop_.cancel (std::exchange (timer_, 0));
  if (!end_list)
    return;
  broadcaster::Publication publication;
  publisher_.finish (&publication.origin_changes, nullptr);
  core_->publish (publication);
}

void
SimBroadcaster::publish ()
{
  const gsize size = config_.segment_bytes;
  guint8 *data = static_cast<guint8 *> (g_malloc (size));
  for (gsize i = 0; i < size; i += 8) {
    const guint64 word = content_.next ();
    memcpy (data + i, &word, std::min<gsize> (8, size - i));
  }
  packaging::CutSegment cut;
  cut.data.reset (g_bytes_new_take (data, size));
  cut.start = GstClockTime (published_) * config_.segment_duration;
  cut.duration = config_.segment_duration;
  broadcaster::Publication publication;
  packaging::PublishedSegment segment;
  publisher_.publish (std::move (cut), &segment, &publication.origin_changes,
                      nullptr);
  publication.sequence = segment.sequence;
  publication.data = ChunkedBytes (segment.data.get ());
  publication.chunk_tree = segment.chunk_tree;
  publication.window_start = publisher_.playlist ().media_sequence;
  core_->publish (publication);
  published_segments_[segment.sequence] = publication.data;
  publication_times_[segment.sequence] = loop_.now ();
  published_++;
  published_bytes_ += segment.size;
  timer_ = loop_.call_later (config_.segment_duration, [this] {
    timer_ = 0;
    publish ();
  });
}

ChunkedBytes
SimBroadcaster::segment (int64_t sequence) const
{
  auto it = published_segments_.find (sequence);
  return it == published_segments_.end () ? ChunkedBytes () : it->second;
}

GstClockTime
SimBroadcaster::published_at (int64_t sequence) const
{
  auto it = publication_times_.find (sequence);
  return it == publication_times_.end () ? GST_CLOCK_TIME_NONE : it->second;
}

guint64
SimBroadcaster::seeder_bytes () const
{
  return core_->seeder_stats ().uploaded_bytes;
}

} // namespace p2p::sim
