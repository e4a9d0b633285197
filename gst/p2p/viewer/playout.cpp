/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "playout.h"

#include <algorithm>

#include "gst/p2p/common/error.h"

GST_DEBUG_CATEGORY_STATIC (p2p_playout_debug);
#define GST_CAT_DEFAULT p2p_playout_debug

namespace p2p::viewer {

namespace {

/* How much later than its deadline a segment may arrive before it counts
 * as a stall: downstream queues hide small delays. */
constexpr GstClockTime kStallTolerance = 200 * GST_MSECOND;

} // namespace

Playout::Playout (Clock &clock, net::HttpClient &http,
                  const PlaylistFollower &playlists, swarm::SegmentStore &store,
                  ViewerOutput &output,
                  std::function<void (const std::string &)> warning)
    : clock_ (clock), http_ (http), playlists_ (playlists), store_ (store),
      output_ (output), warning_ (std::move (warning))
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_playout_debug, "p2pplayout", 0,
                             "gst-p2p viewer: in-order output");
    g_once_init_leave (&debug_init, 1);
  }
}

Playout::~Playout () { init_download_.cancel (); }

void
Playout::start_at (int64_t sequence)
{
  next_sequence_ = sequence;
}

void
Playout::restart ()
{
  discontinuity ();
  next_sequence_ = -1;
  failed_segments_.clear ();
  skipped_.clear ();
}

void
Playout::discontinuity ()
{
  streamed_sequence_ = -1;
  next_discont_ = true;
}

void
Playout::seek (int64_t sequence)
{
  discontinuity ();
  next_sequence_ = sequence;
  ended_ = false;
  /* What follows a flush starts with its initialisation section again. */
  init_delivered_ = false;
  partial_sequence_ = -1;
  playback_start_ = GST_CLOCK_TIME_NONE;
  media_time_pushed_ = 0;
}

void
Playout::skip (int64_t sequence)
{
  skipped_.insert (sequence);
}

void
Playout::skip_unavailable ()
{
  /* What we wanted next is neither held, listed nor recently departed: it
   * is gone. Jump to the oldest segment still to be had, as a
   * discontinuity. */
  const hls::MediaPlaylist *playlist = playlists_.playlist ();
  if (!playlist || playlist->segments.empty () || next_sequence_ < 0
      || store_.contains (next_sequence_) || playlists_.find (next_sequence_))
    return;
  int64_t resume = playlist->segments.front ().sequence;
  const auto &departed = playlists_.departed ();
  auto later = departed.upper_bound (next_sequence_);
  if (later != departed.end ())
    resume = std::min (resume, later->first);
  for (int64_t seq = next_sequence_ + 1; seq < resume; seq++) {
    if (store_.contains (seq)) {
      resume = seq;
      break;
    }
  }
  if (resume <= next_sequence_)
    return;
  warning_ ("Fell behind the live window: skipping segments "
            + std::to_string (next_sequence_) + " to "
            + std::to_string (resume - 1));
  stats_.segments_skipped += resume - next_sequence_;
  next_sequence_ = resume;
  next_discont_ = true;
}

bool
Playout::init_section_ready (const hls::MediaSegment &segment)
{
  std::string uri
      = hls::resolve_uri (playlists_.media_url (), segment.init_section->uri);
  if (uri != init_uri_) {
    if (!init_download_.active ()) {
      net::HttpRequest request;
      request.url = uri;
      if (segment.init_section->byte_range) {
        const hls::ByteRange &r = *segment.init_section->byte_range;
        request.range = net::HttpByteRange{ r.offset.value_or (0), r.length };
      }
      init_download_ = http_.fetch (
          std::move (request), [this, uri] (net::HttpResult result) {
            if (failed_)
              return;
            if (!result.ok ()) {
              GError *error = result.error.release ();
              g_prefix_error (&error, "Initialisation section: ");
              fail (GErrorPtr (error));
              return;
            }
            init_uri_ = uri;
            init_data_ = ChunkedBytes (result.body.get ());
            init_delivered_ = false;
            deliver_ready (downloads_idle_);
          });
    }
    return false;
  }
  if (!init_delivered_) {
    ViewerItem init;
    init.kind = ViewerItem::Kind::INIT;
    init.data = init_data_;
    push (std::move (init));
    init_delivered_ = true;
  }
  return true;
}

void
Playout::deliver_ready (bool downloads_idle)
{
  downloads_idle_ = downloads_idle;
  skip_unavailable ();
  auto failed = failed_segments_.find (next_sequence_);
  if (!failed_ && failed != failed_segments_.end ()) {
    fail (std::move (failed->second));
    return;
  }
  const hls::MediaPlaylist *playlist = playlists_.playlist ();
  for (;;) {
    if (skipped_.erase (next_sequence_)) {
      stats_.segments_skipped++;
      next_sequence_++;
      next_discont_ = true;
      continue;
    }
    if (failed_ || !playlist || !store_.contains (next_sequence_))
      break;
    if (holding_start (clock_.now ()))
      break;
    const hls::MediaSegment *segment = playlists_.find (next_sequence_);
    if (segment && segment->init_section && !init_section_ready (*segment))
      break;

    ViewerItem item;
    item.kind = ViewerItem::Kind::SEGMENT;
    item.sequence = next_sequence_;
    item.data = store_.get (next_sequence_);
    item.duration = segment ? segment->duration : 0;
    item.start = media_start (next_sequence_);
    item.discont = next_discont_ || (segment && segment->discontinuity);
    if (streamed_sequence_ == next_sequence_) {
      /* The rest of a segment streamed so far. */
      gsize sent = std::min (streamed_bytes_, item.data.size ());
      item.data = item.data.slice (sent, item.data.size () - sent);
      item.discont = false;
      item.start = GST_CLOCK_TIME_NONE;
      streamed_sequence_ = -1;
    }
    /* Delivered: the store keeps it for uploads, but may now evict it. */
    store_.unpin (next_sequence_);
    next_discont_ = false;
    next_sequence_++;
    push (std::move (item));
  }

  if (!ended_ && playlist && playlist->end_list && downloads_idle
      && (playlist->segments.empty ()
          || next_sequence_ > playlist->segments.back ().sequence)) {
    ended_ = true;
    ViewerItem end;
    end.kind = ViewerItem::Kind::END;
    push (std::move (end));
  }
}

void
Playout::stream_awaited (int64_t sequence, const net::HttpProgress &progress,
                         GstClockTime started)
{
  /* Only the segment playback waits for (start-up, or a stall), only
   * plain segments (no byte range to cut, no initialisation section to
   * send first), and never its last bytes: deliver_ready () sends those
   * with the segment's duration once it is complete and stored. */
  if (sequence != next_sequence_ || failed_ || !progress.body
      || (progress.expected >= 0
          && progress.received >= static_cast<gsize> (progress.expected)))
    return;
  const hls::MediaSegment *segment = playlists_.find (sequence);
  const GstClockTime now = clock_.now ();
  if (!segment || segment->byte_range || segment->init_section
      || deadline_origin (now) > now)
    return;
  /* Played from its first bytes, a segment that takes more than half its
   * duration to come leaves the next one, fetched after it, less time
   * than it takes: playback starts once it is whole instead (a slow link
   * then stalls never rather than at once). */
  if (progress.expected > 0
      && double (now - started) * double (progress.expected)
             > double (progress.received) * double (segment->duration / 2))
    return;
  /* A retry starts the body again: what was sent is not sent twice. */
  gsize sent = streamed_sequence_ == sequence ? streamed_bytes_ : 0;
  if (progress.received <= sent)
    return;
  ViewerItem item;
  item.kind = ViewerItem::Kind::SEGMENT;
  item.sequence = sequence;
  GBytesPtr part (g_bytes_new (progress.body + sent, progress.received - sent));
  item.data = ChunkedBytes (part.get ());
  item.discont = sent == 0 && (next_discont_ || segment->discontinuity);
  item.start = sent == 0 ? media_start (sequence) : GST_CLOCK_TIME_NONE;
  item.partial = true;
  streamed_sequence_ = sequence;
  streamed_bytes_ = progress.received;
  push (std::move (item));
}

void
Playout::mark_failed (int64_t sequence, GErrorPtr error)
{
  failed_segments_[sequence] = std::move (error);
}

void
Playout::fail (GErrorPtr error)
{
  if (failed_)
    return;
  failed_ = true;
  GST_WARNING ("playback failed: %s", error->message);
  init_download_.cancel ();
  ViewerItem item;
  item.kind = ViewerItem::Kind::ERROR;
  item.error = std::move (error);
  push (std::move (item));
}

GstClockTime
Playout::media_start (int64_t sequence) const
{
  const hls::MediaPlaylist *playlist = playlists_.playlist ();
  if (!playlist || playlists_.live () || !playlist->end_list)
    return GST_CLOCK_TIME_NONE;
  GstClockTime start = 0;
  for (const hls::MediaSegment &segment : playlist->segments) {
    if (segment.sequence == sequence)
      return start;
    start += segment.duration;
  }
  return GST_CLOCK_TIME_NONE;
}

PlayoutStats
Playout::stats (GstClockTime now) const
{
  /* Waiting for the next segment past its deadline is a stall already:
   * a viewer whose server went away must not report none. */
  PlayoutStats stats = stats_;
  const GstClockTime deadline = deadline_origin (now);
  if (GST_CLOCK_TIME_IS_VALID (playback_start_) && !ended_ && !failed_
      && partial_sequence_ < 0 && now > deadline + kStallTolerance) {
    stats.stalls++;
    stats.stall_time += now - deadline;
  }
  return stats;
}

GstClockTime
Playout::deadline_origin (GstClockTime now) const
{
  if (!GST_CLOCK_TIME_IS_VALID (playback_start_))
    return std::max (now, hold_until_);
  return playback_start_ + media_time_pushed_;
}

void
Playout::push (ViewerItem item)
{
  if (item.kind == ViewerItem::Kind::SEGMENT) {
    /* Arriving later than its deadline is a stall the viewer would see;
     * playback resumes from there, and later deadlines move with it. */
    const GstClockTime now = clock_.now ();
    if (!GST_CLOCK_TIME_IS_VALID (playback_start_))
      playback_start_ = now;
    const GstClockTime deadline = playback_start_ + media_time_pushed_;
    const bool starts_segment = item.sequence != partial_sequence_;
    partial_sequence_ = item.partial ? item.sequence : -1;
    if (starts_segment && now > deadline + kStallTolerance) {
      GST_INFO_ID (log_id_.c_str (),
                   "stall: segment %" G_GINT64_FORMAT " %.2f s late",
                   item.sequence, double (now - deadline) / GST_SECOND);
      stats_.stalls++;
      stats_.stall_time += now - deadline;
      playback_start_ += now - deadline;
    }
    media_time_pushed_ += item.duration;
  }
  output_.push (std::move (item));
}

} // namespace p2p::viewer
