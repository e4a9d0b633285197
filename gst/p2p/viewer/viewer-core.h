/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The viewer engine: one swarm member playing a live (or VOD) HLS stream.
 * It follows the playlists (PlaylistFollower), keeps what it holds
 * (SegmentStore), runs downloads over HTTP and from peers (Downloads) as the
 * scheduler decides, checks what peers send against the playlist's hashes,
 * and hands segments out in order (Playout). It runs on a Runtime, so the
 * same code plays in p2phlssrc (viewer.h) and in the simulator, and it is
 * single-threaded: everything, events included, runs on the runtime's
 * thread.
 */
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gst/p2p/runtime/runtime.h"
#include "gst/p2p/swarm/holdings.h"
#include "gst/p2p/swarm/relay-plan.h"
#include "gst/p2p/swarm/scheduler.h"
#include "gst/p2p/swarm/swarm.h"
#include "gst/p2p/viewer/adaptive-bitrate.h"
#include "gst/p2p/viewer/downloads.h"
#include "gst/p2p/viewer/playlist-follower.h"
#include "gst/p2p/viewer/playout.h"
#include "gst/p2p/viewer/viewer-config.h"

namespace p2p::viewer {

class ViewerCore
{
public:
  struct Events
  {
    /* Problems that do not stop playback (bad playlist details, a segment
     * skipped, a peer banned). */
    std::function<void (const std::string &message)> warning;
    /* Every config.stats_interval. */
    std::function<void (const ViewerStats &stats)> stats;
    /* Segment @sequence is whole here, however it came (stripes, ranges,
     * HTTP, a peer): how soon copies spread (the simulator's timeline). */
    std::function<void (int64_t sequence)> segment_whole;
  };

  ViewerCore (Runtime &runtime, ViewerConfig config, ViewerOutput &output,
              Events events);
  ~ViewerCore ();

  ViewerCore (const ViewerCore &) = delete;
  ViewerCore &operator= (const ViewerCore &) = delete;

  void start ();
  /* Playback took an item: there is room to read further ahead. */
  void output_consumed ();

  /* The stream's duration when it has an end (VOD, or a live playlist that
   * ended), GST_CLOCK_TIME_NONE when live or not loaded yet. */
  GstClockTime duration () const;
  /* Playback goes on from the segment that holds @position (of a stream
   * with a duration), as a discontinuity; returns where that segment
   * starts, GST_CLOCK_TIME_NONE when the stream cannot seek. */
  GstClockTime seek (GstClockTime position);

  ViewerStats stats () const;
  const std::string &
  peer_id () const
  {
    return peer_id_;
  }

private:
  void on_media_found (const hls::Variant *variant);
  void on_playlist_updated (bool restarted);
  void on_variant_changed (const hls::Variant &variant);
  /* A segment arrived (@bytes in @duration): a sample of throughput. */
  void count_delivery (int64_t sequence, gsize bytes, GstClockTime duration);
  /* The HTTP window after a whole segment came over HTTP in
   * @segment_fetch (kWindowFetches). */
  void fit_http_window (GstClockTime segment_fetch);
  /* Follows the variant the throughput affords. */
  void adapt_bitrate ();
  /* Drops what is held and downloading (another stream's now, or of a
   * position left by a seek). */
  void forget_segments ();
  void on_http_done (int64_t sequence, net::HttpResult result);
  void on_peer_done (int64_t sequence, const std::string &peer_id,
                     const ChunkedBytes &data);
  void start_swarm (const hls::Variant *variant);
  void schedule_downloads ();
  void request_tick ();
  /* A pass after a peer's announcement: at once, or kAnnouncedPassGap after
   * the last pass when that was more recent. */
  void request_tick_after_announcement ();
  void start_http (int64_t sequence);
  /* gst-p2p 2: segments relayed stripe by stripe. */
  void expect_listed_segments ();
  /* @peers: the swarm's peer_views () now (built once a pass; lent to
   * the relay planner, and back as they were). @whole_http_due: the
   * earliest deadline of the segments coming whole over HTTP. */
  bool relaying (const std::vector<swarm::PeerView> &peers) const;
  void plan_relayed (const std::vector<swarm::PlannedSegment> &segments,
                     GstClockTime now, std::vector<swarm::PeerView> &peers,
                     GstClockTime whole_http_due);
  void start_http_range (int64_t sequence, guint stripe, gsize from, gsize to);
  void on_range_http_done (int64_t sequence, guint stripe, gsize from,
                           net::HttpResult result);
  void on_relay_complete (int64_t sequence);
  void update_holdings ();
  void deliver_ready ();
  void fail (GErrorPtr error);
  void warn (const std::string &message);

  Runtime &runtime_;
  const ViewerConfig config_;
  ViewerOutput &output_;
  Events events_;
  std::string peer_id_;
  swarm::SchedulerConfig scheduler_config_;
  swarm::RelayConfig relay_config_;
  swarm::Holdings holdings_;
  /* Per stripe: the first segment its parent was asked for, when, and how
   * often HTTP stood in for it since. */
  std::vector<int64_t> parent_from_;
  std::vector<GstClockTime> parent_since_;
  std::vector<guint> parent_misses_;
  /* When bytes of a stripe of a segment last came, by (sequence, stripe). */
  struct StripeFlow
  {
    GstClockTime first = 0, last = 0;
    gsize bytes = 0;
    bool whole = false; /* and logged */
  };
  std::map<std::pair<int64_t, guint>, StripeFlow> stripe_progress_;
  PlaylistFollower playlists_;
  Downloads downloads_;
  Playout playout_;
  std::unique_ptr<swarm::Swarm> swarm_;
  /* With a master playlist of several variants. */
  std::optional<AdaptiveBitrate> abr_;
  Timer abr_timer_;
  Timer tick_timer_;
  Timer tick_soon_;
  /* The pass peers' announcements asked for, and when the last pass ran. */
  Timer announced_tick_;
  GstClockTime last_pass_ = 0;
  Timer stats_timer_;
  Timer startup_timer_;
  /* Store and HTTP download generations last announced. */
  std::pair<guint64, guint64> announced_generations_{ G_MAXUINT64, 0 };
  ViewerStats stats_;
};

} // namespace p2p::viewer
