/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The simulated broadcaster: synthetic segments (random bytes at the
 * stream's rate) through the real LivePublisher and BroadcasterCore, on the
 * origin's host: the playlist and segments go to the simulated origin, and
 * the seeder offers every segment to the swarm.
 */
#pragma once

#include <map>
#include <memory>
#include <string>

#include "gst/p2p/broadcaster/broadcaster-core.h"
#include "gst/p2p/packaging/live-publisher.h"
#include "sim/host-runtime.h"

namespace p2p::sim {

class SimBroadcaster
{
public:
  struct Config
  {
    GstClockTime segment_duration = 2 * GST_SECOND;
    gsize segment_bytes = 750000;
    guint64 seed = 1;
    /* Empty: no seeder. */
    std::string stream_swarm_id;
    guint seeder_peers = 4;
    guint viewers_per_copy = broadcaster::SeederConfig ().viewers_per_copy;
    guint playlist_length = 6; /* p2pswarmsink's default */
  };

  SimBroadcaster (Network &network, Host &host, Origin &origin,
                  Tracker &tracker, Hasher &hasher, const Config &config);
  ~SimBroadcaster ();

  /* Publishes a segment now and every segment duration from now on. */
  void start ();
  /* Publishes no more segments; with @end_list the playlist ends. */
  void stop (bool end_list);

  /* When the media of segment 0 began (its first frame's capture time). */
  GstClockTime
  stream_start () const
  {
    return start_;
  }
  int
  published () const
  {
    return published_;
  }
  guint64
  published_bytes () const
  {
    return published_bytes_;
  }
  /* The published segment @sequence, empty if unknown. All are kept: a
   * run publishes tens of them, and checks compare what viewers got. */
  ChunkedBytes segment (int64_t sequence) const;
  /* When segment @sequence was published, GST_CLOCK_TIME_NONE if it was
   * not. */
  GstClockTime published_at (int64_t sequence) const;
  guint64 seeder_bytes () const;

private:
  void publish ();

  EventLoop &loop_;
  const Config config_;
  HostRuntime runtime_;
  packaging::LivePublisher publisher_;
  Random content_;
  std::unique_ptr<broadcaster::BroadcasterCore> core_;
  std::map<int64_t, ChunkedBytes> published_segments_;
  std::map<int64_t, GstClockTime> publication_times_;
  TimerId timer_ = 0;
  GstClockTime start_ = 0;
  int published_ = 0;
  guint64 published_bytes_ = 0;
};

} // namespace p2p::sim
