/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Hands the viewer's segments to its output in media-sequence order: the
 * initialisation section (EXT-X-MAP) before the segments it applies to,
 * discontinuities after a gap or a restart, the segment playback waits for
 * streamed as it downloads, a jump over segments the server no longer has,
 * and the end of a finished playlist. It owns the playhead and the playback
 * clock: when playback started, what each segment's deadline is, and the
 * stalls a viewer would see (a segment handed out later than its
 * deadline). Engine thread only.
 */
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>

#include "gst/p2p/common/clock.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/net/http-client.h"
#include "gst/p2p/swarm/segment-store.h"
#include "gst/p2p/viewer/playlist-follower.h"
#include "gst/p2p/viewer/viewer-config.h"

namespace p2p::viewer {

/* Where a viewer's items go: the production front queues them for the
 * element's streaming thread, the simulator plays them in virtual time. */
class ViewerOutput
{
public:
  virtual ~ViewerOutput () = default;
  virtual void push (ViewerItem item) = 0;
  /* Whole segments pushed and not yet taken by playback. */
  virtual size_t pending_segments () const = 0;
};

struct PlayoutStats
{
  guint64 stalls = 0;
  GstClockTime stall_time = 0;
  guint64 segments_skipped = 0;
};

class Playout
{
public:
  Playout (Clock &clock, net::HttpClient &http,
           const PlaylistFollower &playlists, swarm::SegmentStore &store,
           ViewerOutput &output,
           std::function<void (const std::string &)> warning);
  ~Playout ();

  /* Logs name the viewer by this (its peer id). */
  void
  set_log_id (std::string id)
  {
    log_id_ = std::move (id);
  }
  /* Playback starts (or, after a restart, resumes) at @sequence. */
  void start_at (int64_t sequence);
  /* Playback starts no earlier than @at (ViewerConfig::startup_wait):
   * the first segment is due then, and handed out then if it is in. */
  void
  hold_start_until (GstClockTime at)
  {
    hold_until_ = at;
  }
  /* The server renumbered its stream: what comes next is a
   * discontinuity, from a start point chosen anew. */
  void restart ();
  /* Playback jumps to @sequence (a seek): a discontinuity, and the
   * playback clock starts anew. */
  void seek (int64_t sequence);
  /* What comes next is another stream's (another variant): a
   * discontinuity, and a segment partly handed out is handed out again
   * whole. */
  void discontinuity ();
  bool
  started () const
  {
    return next_sequence_ >= 0;
  }
  /* The next segment to hand out, -1 before start_at (). */
  int64_t
  next_sequence () const
  {
    return next_sequence_;
  }

  /* The next segment is neither held, listed nor departed: jump to the
   * oldest one still to be had, as a discontinuity. */
  void skip_unavailable ();
  /* Hands out what is ready, in order. @downloads_idle: nothing is being
   * fetched, so a finished playlist can end. */
  void deliver_ready (bool downloads_idle);
  /* Bytes of @sequence arriving over HTTP, asked for at @started: handed
   * out at once when playback waits for them and they come fast enough. */
  void stream_awaited (int64_t sequence, const net::HttpProgress &progress,
                       GstClockTime started);
  /* @sequence cannot be had: playback ends with @error when it gets there,
   * after what comes before. */
  void mark_failed (int64_t sequence, GErrorPtr error);
  /* @sequence cannot be had: playback goes on after it, as a
   * discontinuity. */
  void skip (int64_t sequence);
  /* Playback cannot go on: an ERROR item, once. */
  void fail (GErrorPtr error);

  bool
  failed () const
  {
    return failed_;
  }
  const std::map<int64_t, GErrorPtr> &
  failed_segments () const
  {
    return failed_segments_;
  }
  const std::set<int64_t> &
  skipped_segments () const
  {
    return skipped_;
  }
  /* Playback has not started and waits for hold_start_until ()'s time. */
  bool
  holding_start (GstClockTime now) const
  {
    return !GST_CLOCK_TIME_IS_VALID (playback_start_) && now < hold_until_;
  }
  /* When segment next_sequence () is due (now, or the held start, before
   * playback starts). */
  GstClockTime deadline_origin (GstClockTime now) const;
  /* Stalls so far, the one going on at @now included. */
  PlayoutStats stats (GstClockTime now) const;

private:
  bool init_section_ready (const hls::MediaSegment &segment);
  /* ViewerItem::start of @sequence. */
  GstClockTime media_start (int64_t sequence) const;
  void push (ViewerItem item);

  Clock &clock_;
  net::HttpClient &http_;
  const PlaylistFollower &playlists_;
  swarm::SegmentStore &store_;
  ViewerOutput &output_;
  std::function<void (const std::string &)> warning_;

  int64_t next_sequence_ = -1;
  bool next_discont_ = false;
  /* The bytes of segment streamed_sequence_ handed out before it was
   * complete (stream_awaited). */
  int64_t streamed_sequence_ = -1;
  gsize streamed_bytes_ = 0;
  std::string init_uri_;
  std::string log_id_;
  net::HttpFetch init_download_;
  ChunkedBytes init_data_;
  bool init_delivered_ = false;
  std::map<int64_t, GErrorPtr> failed_segments_;
  std::set<int64_t> skipped_;
  bool failed_ = false;
  bool ended_ = false;
  /* As last told by deliver_ready (). */
  bool downloads_idle_ = true;

  /* The playback clock: playback starts with the first segment handed out,
   * and segment k is due when the media before it has played. */
  GstClockTime playback_start_ = GST_CLOCK_TIME_NONE;
  /* Playback starts no earlier than this (hold_start_until). */
  GstClockTime hold_until_ = 0;
  GstClockTime media_time_pushed_ = 0;
  /* The segment whose first part was pushed last, until its end is. */
  int64_t partial_sequence_ = -1;
  PlayoutStats stats_;
};

} // namespace p2p::viewer
