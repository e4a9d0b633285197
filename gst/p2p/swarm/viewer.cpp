/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "viewer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <variant>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/hls/playlist-reload.h"
#include "gst/p2p/hls/playlist.h"
#include "gst/p2p/swarm/live-publisher.h"

GST_DEBUG_CATEGORY_STATIC (p2p_viewer_debug);
#define GST_CAT_DEFAULT p2p_viewer_debug

namespace p2p::swarm {

namespace {

/* Segments fetched ahead of what the streaming thread has taken, so a VOD
 * or a long live window is not pulled into memory all at once. */
constexpr size_t kMaxSegmentsAhead = 6;

/* How much later than its deadline a segment may arrive before it counts
 * as a stall: downstream queues hide small delays. */
constexpr GstClockTime kStallTolerance = 200 * GST_MSECOND;

GErrorPtr
with_prefix (GErrorPtr error, const std::string & prefix)
{
  GError *raw = error.release ();
  g_prefix_error (&raw, "%s", prefix.c_str ());
  return GErrorPtr (raw);
}

/* Servers label segments loosely (video/mp2t, video/MP2T,
 * application/octet-stream, none at all), so only what is surely not media
 * is refused: an HTML page (error or captive portal) or a playlist. */
bool
is_media_content_type (const std::string & type)
{
  for (const char *refused : {"text/html", "application/vnd.apple.mpegurl",
          "application/x-mpegurl", "audio/mpegurl", "audio/x-mpegurl"}) {
    if (g_ascii_strncasecmp (type.c_str (), refused, strlen (refused)) == 0)
      return false;
  }
  return true;
}

GstClockTime
monotonic_now ()
{
  return g_get_monotonic_time () * GST_USECOND;
}

} // namespace

class ViewerImpl : public std::enable_shared_from_this<ViewerImpl>
{
public:
  ViewerImpl (ViewerConfig config, Viewer::WarningCallback on_warning,
      Viewer::StatsCallback on_stats)
      : config_ (std::move (config)), on_warning_ (std::move (on_warning)),
        on_stats_ (std::move (on_stats))
  {
    static gsize debug_init = 0;
    if (g_once_init_enter (&debug_init)) {
      GST_DEBUG_CATEGORY_INIT (p2p_viewer_debug, "p2pviewer", 0,
          "gst-p2p viewer engine");
      g_once_init_leave (&debug_init, 1);
    }
    engine_ = std::make_unique<EngineThread> ("p2pviewer");
  }

  void start ();
  void shutdown ();

  bool pop (ViewerItem * item);
  void unlock ();
  void unlock_stop ();
  ViewerStats stats () const;

private:
  struct QueuedItem
  {
    ViewerItem item;
    GstClockTime arrival = 0;
  };

  /* Engine thread only. */
  void start_stats_timer ();
  void fetch_playlist (const std::string & url);
  void on_playlist (net::HttpResult result);
  void select_variant (const hls::MasterPlaylist & master,
      const std::string & base_url);
  void on_media_playlist (hls::MediaPlaylist media);
  void schedule_reload (GstClockTime delay);
  void schedule_downloads ();
  void on_segment (int64_t sequence, net::HttpResult result);
  void on_init_section (const std::string & uri, net::HttpResult result);
  void deliver_ready ();
  void fail (GErrorPtr error);
  void warn (const std::string & message);
  const hls::MediaSegment *find_segment (int64_t sequence) const;
  size_t queued_count () const;

  /* Any thread. */
  void enqueue (ViewerItem item);
  template <typename F> void post (F && fn);

  ViewerConfig config_;
  Viewer::WarningCallback on_warning_;
  Viewer::StatsCallback on_stats_;
  std::unique_ptr<EngineThread> engine_;

  std::unique_ptr<net::HttpFetcher> fetcher_;
  std::string media_url_;
  std::optional<hls::MediaPlaylist> playlist_;
  int64_t next_sequence_ = -1;
  bool next_discont_ = false;
  std::map<int64_t, net::HttpFetch> downloads_;
  std::map<int64_t, GBytesPtr> ready_;
  std::string init_uri_;
  net::HttpFetch init_download_;
  GBytesPtr init_data_;
  bool init_delivered_ = false;
  GSource *reload_source_ = nullptr;
  GSource *stats_source_ = nullptr;
  bool failed_ = false;
  bool ended_ = false;

  mutable std::mutex mutex_;
  std::condition_variable cond_;
  std::deque<QueuedItem> queue_;
  bool flushing_ = false;
  GstClockTime playback_start_ = GST_CLOCK_TIME_NONE;
  GstClockTime media_time_popped_ = 0;
  ViewerStats stats_;
};

template <typename F>
void
ViewerImpl::post (F && fn)
{
  std::weak_ptr<ViewerImpl> weak = weak_from_this ();
  engine_->post ([weak, fn = std::forward<F> (fn)] () mutable {
        if (auto self = weak.lock ())
          fn (self.get ());
      });
}

void
ViewerImpl::start ()
{
  post ([] (ViewerImpl * self) {
        self->fetcher_ = std::make_unique<net::HttpFetcher> (self->config_.http);
        self->start_stats_timer ();
        self->fetch_playlist (self->config_.url);
      });
}

void
ViewerImpl::shutdown ()
{
  engine_->invoke_sync ([this] {
        for (GSource ** source : {&reload_source_, &stats_source_}) {
          if (*source) {
            g_source_destroy (*source);
            g_source_unref (*source);
            *source = nullptr;
          }
        }
        downloads_.clear ();
        fetcher_.reset ();
      });
  engine_->stop ();
}

void
ViewerImpl::start_stats_timer ()
{
  if (config_.stats_interval == 0 || !on_stats_)
    return;
  stats_source_ = g_timeout_source_new (config_.stats_interval);
  g_source_set_callback (stats_source_, [] (gpointer data) -> gboolean {
        auto self = static_cast<ViewerImpl *> (data);
        self->on_stats_ (self->stats ());
        return G_SOURCE_CONTINUE;
      }, this, nullptr);
  g_source_attach (stats_source_, engine_->context ());
}

void
ViewerImpl::fetch_playlist (const std::string & url)
{
  net::HttpRequest request;
  request.url = url;
  request.max_body_size = hls::kMaxPlaylistBytes;
  std::weak_ptr<ViewerImpl> weak = weak_from_this ();
  fetcher_->fetch (std::move (request), [weak] (net::HttpResult result) {
        if (auto self = weak.lock ())
          self->on_playlist (std::move (result));
      });
}

void
ViewerImpl::on_playlist (net::HttpResult result)
{
  if (failed_)
    return;
  if (!result.ok ()) {
    /* A live playlist that fails once after playback began is retried at
     * the next reload; the first one, or a persistent failure, is fatal. */
    if (playlist_ && !playlist_->end_list && result.error->code !=
        GST_P2P_ERROR_HTTP_STATUS) {
      warn (std::string ("Playlist reload failed: ") + result.error->message);
      schedule_reload (playlist_->target_duration / 2);
      return;
    }
    fail (std::move (result.error));
    return;
  }

  gsize size = 0;
  const char *text =
      static_cast<const char *> (g_bytes_get_data (result.body.get (), &size));
  GErrorOut error;
  hls::Warnings warnings;
  auto parsed = hls::parse_playlist (std::string_view (text, size), &warnings,
      error.out ());
  if (!parsed) {
    fail (with_prefix (error.take (), result.final_url + ": "));
    return;
  }
  for (const std::string & w : warnings)
    warn (result.final_url + ": " + w);

  if (auto master = std::get_if<hls::MasterPlaylist> (&*parsed)) {
    if (!media_url_.empty ()) {
      fail (GErrorPtr (g_error_new (GST_P2P_ERROR,
                  GST_P2P_ERROR_PLAYLIST_INVALID,
                  "%s: expected a media playlist, got a master playlist",
                  result.final_url.c_str ())));
      return;
    }
    select_variant (*master, result.final_url);
    return;
  }
  if (media_url_.empty ())
    media_url_ = result.final_url;
  {
    std::lock_guard<std::mutex> lock (mutex_);
    stats_.playlist_reloads++;
    stats_.media_playlist_url = media_url_;
  }
  on_media_playlist (std::move (std::get<hls::MediaPlaylist> (*parsed)));
}

void
ViewerImpl::select_variant (const hls::MasterPlaylist & master,
    const std::string & base_url)
{
  if (master.variants.empty ()) {
    fail (GErrorPtr (g_error_new (GST_P2P_ERROR,
                GST_P2P_ERROR_PLAYLIST_INVALID,
                "%s: master playlist lists no variant", base_url.c_str ())));
    return;
  }
  guint64 limit = 0;
  for (guint64 l : {config_.connection_speed, config_.max_bitrate}) {
    if (l > 0 && (limit == 0 || l < limit))
      limit = l;
  }
  const hls::Variant *best = nullptr;
  const hls::Variant *lowest = &master.variants.front ();
  for (const hls::Variant & v : master.variants) {
    if (v.bandwidth < lowest->bandwidth)
      lowest = &v;
    if ((limit == 0 || v.bandwidth <= limit)
        && (!best || v.bandwidth > best->bandwidth))
      best = &v;
  }
  if (!best)
    best = lowest;
  media_url_ = hls::resolve_uri (base_url, best->uri);
  GST_INFO ("variant %" G_GUINT64_FORMAT " bit/s: %s", best->bandwidth,
      media_url_.c_str ());
  {
    std::lock_guard<std::mutex> lock (mutex_);
    stats_.bandwidth = best->bandwidth;
  }
  fetch_playlist (media_url_);
}

void
ViewerImpl::on_media_playlist (hls::MediaPlaylist media)
{
  if (playlist_) {
    hls::Warnings warnings;
    GErrorOut error;
    if (!hls::check_playlist_reload (*playlist_, media, &warnings,
            error.out ())) {
      /* The server restarted or rewrote its stream: start over from its
       * live point rather than mixing two numberings. */
      warn (media_url_ + ": " + error.get ()->message
          + "; restarting from the new playlist");
      for (auto & d : downloads_)
        d.second.cancel ();
      downloads_.clear ();
      ready_.clear ();
      next_sequence_ = -1;
      next_discont_ = true;
      playlist_.reset ();
    }
    for (const std::string & w : warnings)
      warn (media_url_ + ": " + w);
  }
  bool changed = !playlist_ || playlist_->segments.size () !=
      media.segments.size () || playlist_->media_sequence !=
      media.media_sequence;

  if (media.segments.empty () && media.end_list) {
    playlist_ = std::move (media);
    deliver_ready ();
    return;
  }

  if (next_sequence_ < 0 && !media.segments.empty ()) {
    size_t count = media.segments.size ();
    size_t start = 0;
    bool live = !media.end_list && media.type != hls::PlaylistType::VOD;
    if (live && count > config_.live_delay_segments)
      start = count - config_.live_delay_segments;
    next_sequence_ = media.segments[start].sequence;
    GST_INFO ("starting at media sequence %" G_GINT64_FORMAT " (%zu of %zu)",
        next_sequence_, start, count);
  }

  playlist_ = std::move (media);

  /* Behind the window: what we wanted is gone. Jump to the oldest
   * segment still listed, as a discontinuity. */
  if (!playlist_->segments.empty () && next_sequence_ <
      playlist_->segments.front ().sequence && ready_.count (next_sequence_) == 0
      && downloads_.count (next_sequence_) == 0) {
    int64_t first = playlist_->segments.front ().sequence;
    warn ("Fell behind the live window: skipping segments "
        + std::to_string (next_sequence_) + " to " + std::to_string (first - 1));
    {
      std::lock_guard<std::mutex> lock (mutex_);
      stats_.segments_skipped += first - next_sequence_;
    }
    next_sequence_ = first;
    next_discont_ = true;
  }

  schedule_downloads ();
  deliver_ready ();

  if (!playlist_->end_list) {
    /* RFC 8216 §6.3.4: reload after a target duration, or half of it when
     * the playlist did not change. */
    GstClockTime delay = playlist_->target_duration;
    if (!changed)
      delay /= 2;
    schedule_reload (std::max<GstClockTime> (delay, 100 * GST_MSECOND));
  }
}

void
ViewerImpl::schedule_reload (GstClockTime delay)
{
  if (reload_source_) {
    g_source_destroy (reload_source_);
    g_source_unref (reload_source_);
  }
  reload_source_ = g_timeout_source_new (delay / GST_MSECOND);
  std::weak_ptr<ViewerImpl> *weak =
      new std::weak_ptr<ViewerImpl> (weak_from_this ());
  g_source_set_callback (reload_source_, [] (gpointer data) -> gboolean {
        auto self = static_cast<std::weak_ptr<ViewerImpl> *> (data)->lock ();
        if (self && !self->failed_)
          self->fetch_playlist (self->media_url_);
        return G_SOURCE_REMOVE;
      }, weak, [] (gpointer data) {
        delete static_cast<std::weak_ptr<ViewerImpl> *> (data);
      });
  g_source_attach (reload_source_, engine_->context ());
}

const hls::MediaSegment *
ViewerImpl::find_segment (int64_t sequence) const
{
  if (!playlist_)
    return nullptr;
  for (const hls::MediaSegment & s : playlist_->segments) {
    if (s.sequence == sequence)
      return &s;
  }
  return nullptr;
}

size_t
ViewerImpl::queued_count () const
{
  std::lock_guard<std::mutex> lock (mutex_);
  return queue_.size ();
}

void
ViewerImpl::schedule_downloads ()
{
  if (!playlist_ || failed_ || next_sequence_ < 0)
    return;
  size_t ahead = queued_count () + ready_.size () + downloads_.size ();
  for (const hls::MediaSegment & segment : playlist_->segments) {
    if (downloads_.size () >= config_.max_parallel_http
        || ahead >= kMaxSegmentsAhead)
      break;
    int64_t seq = segment.sequence;
    if (seq < next_sequence_ || ready_.count (seq) || downloads_.count (seq))
      continue;

    net::HttpRequest request;
    request.url = hls::resolve_uri (media_url_, segment.uri);
    if (segment.byte_range && segment.byte_range->offset) {
      request.range = net::HttpByteRange { *segment.byte_range->offset,
        segment.byte_range->length };
    }
    std::weak_ptr<ViewerImpl> weak = weak_from_this ();
    downloads_[seq] = fetcher_->fetch (std::move (request),
        [weak, seq] (net::HttpResult result) {
          if (auto self = weak.lock ())
            self->on_segment (seq, std::move (result));
        });
    ahead++;
  }
}

void
ViewerImpl::on_segment (int64_t sequence, net::HttpResult result)
{
  downloads_.erase (sequence);
  if (failed_)
    return;
  if (!result.ok ()) {
    /* A live segment that left the window meanwhile is skipped; anything
     * else is an error after the fetcher's retries. */
    if (sequence < next_sequence_ || (playlist_ && !find_segment (sequence)
            && !playlist_->segments.empty ()
            && sequence < playlist_->segments.front ().sequence)) {
      warn ("Segment " + std::to_string (sequence) + " left the window: "
          + result.error->message);
      return;
    }
    fail (with_prefix (std::move (result.error),
            "Segment " + std::to_string (sequence) + ": "));
    return;
  }
  if (!is_media_content_type (result.content_type)) {
    fail (GErrorPtr (g_error_new (GST_P2P_ERROR, GST_P2P_ERROR_BAD_CONTENT,
                "Segment %" G_GINT64_FORMAT ": %s answered with Content-Type "
                "%s, not media", sequence, result.final_url.c_str (),
                result.content_type.c_str ())));
    return;
  }
  const hls::MediaSegment *segment = find_segment (sequence);
  if (segment && !segment->sha256.empty ()
      && sha256_hex (result.body.get ()) != segment->sha256) {
    warn ("Segment " + std::to_string (sequence)
        + " from HTTP does not match the playlist's SHA-256");
  }
  {
    std::lock_guard<std::mutex> lock (mutex_);
    stats_.http_bytes += g_bytes_get_size (result.body.get ());
    stats_.http_segments++;
  }
  ready_[sequence] = std::move (result.body);
  deliver_ready ();
  schedule_downloads ();
}

void
ViewerImpl::on_init_section (const std::string & uri, net::HttpResult result)
{
  if (failed_)
    return;
  if (!result.ok ()) {
    fail (with_prefix (std::move (result.error), "Initialisation section: "));
    return;
  }
  init_uri_ = uri;
  init_data_ = std::move (result.body);
  init_delivered_ = false;
  deliver_ready ();
}

void
ViewerImpl::deliver_ready ()
{
  while (!failed_ && playlist_) {
    auto it = ready_.find (next_sequence_);
    if (it == ready_.end ())
      break;
    const hls::MediaSegment *segment = find_segment (next_sequence_);

    if (segment && segment->init_section) {
      std::string uri = hls::resolve_uri (media_url_,
          segment->init_section->uri);
      if (uri != init_uri_) {
        if (!init_download_.active ()) {
          net::HttpRequest request;
          request.url = uri;
          if (segment->init_section->byte_range) {
            const hls::ByteRange & r = *segment->init_section->byte_range;
            request.range = net::HttpByteRange { r.offset.value_or (0),
              r.length };
          }
          std::weak_ptr<ViewerImpl> weak = weak_from_this ();
          init_download_ = fetcher_->fetch (std::move (request),
              [weak, uri] (net::HttpResult result) {
                if (auto self = weak.lock ())
                  self->on_init_section (uri, std::move (result));
              });
        }
        break;
      }
      if (!init_delivered_) {
        ViewerItem init;
        init.kind = ViewerItem::Kind::INIT;
        init.data.reset (g_bytes_ref (init_data_.get ()));
        enqueue (std::move (init));
        init_delivered_ = true;
      }
    }

    ViewerItem item;
    item.kind = ViewerItem::Kind::SEGMENT;
    item.sequence = next_sequence_;
    item.data = std::move (it->second);
    item.duration = segment ? segment->duration : 0;
    item.discont = next_discont_ || (segment && segment->discontinuity);
    ready_.erase (it);
    next_discont_ = false;
    next_sequence_++;
    enqueue (std::move (item));
  }

  if (!ended_ && playlist_ && playlist_->end_list && downloads_.empty ()
      && ready_.empty () && (playlist_->segments.empty ()
          || next_sequence_ > playlist_->segments.back ().sequence)) {
    ended_ = true;
    ViewerItem end;
    end.kind = ViewerItem::Kind::END;
    enqueue (std::move (end));
  }
}

void
ViewerImpl::fail (GErrorPtr error)
{
  if (failed_)
    return;
  failed_ = true;
  GST_WARNING ("playback failed: %s", error->message);
  for (auto & d : downloads_)
    d.second.cancel ();
  downloads_.clear ();
  ViewerItem item;
  item.kind = ViewerItem::Kind::ERROR;
  item.error = std::move (error);
  enqueue (std::move (item));
}

void
ViewerImpl::warn (const std::string & message)
{
  GST_WARNING ("%s", message.c_str ());
  if (on_warning_)
    on_warning_ (message);
}

void
ViewerImpl::enqueue (ViewerItem item)
{
  std::lock_guard<std::mutex> lock (mutex_);
  queue_.push_back (QueuedItem { std::move (item), monotonic_now () });
  cond_.notify_all ();
}

bool
ViewerImpl::pop (ViewerItem * item)
{
  std::unique_lock<std::mutex> lock (mutex_);
  cond_.wait (lock, [this] { return flushing_ || !queue_.empty (); });
  if (flushing_)
    return false;
  QueuedItem queued = std::move (queue_.front ());
  queue_.pop_front ();

  if (queued.item.kind == ViewerItem::Kind::SEGMENT) {
    /* Playback time starts with the first segment; segment k is due when
     * the media before it has played. Arriving later than that is a stall
     * the viewer would see. */
    GstClockTime now = monotonic_now ();
    if (!GST_CLOCK_TIME_IS_VALID (playback_start_))
      playback_start_ = now;
    GstClockTime deadline = playback_start_ + media_time_popped_;
    if (queued.arrival > deadline + kStallTolerance) {
      stats_.stalls++;
      stats_.stall_time += queued.arrival - deadline;
      /* Playback resumes from here: later deadlines move with it. */
      playback_start_ += queued.arrival - deadline;
    }
    media_time_popped_ += queued.item.duration;
  }
  *item = std::move (queued.item);
  lock.unlock ();

  /* Room for more read-ahead. */
  post ([] (ViewerImpl * self) { self->schedule_downloads (); });
  return true;
}

void
ViewerImpl::unlock ()
{
  std::lock_guard<std::mutex> lock (mutex_);
  flushing_ = true;
  cond_.notify_all ();
}

void
ViewerImpl::unlock_stop ()
{
  std::lock_guard<std::mutex> lock (mutex_);
  flushing_ = false;
}

ViewerStats
ViewerImpl::stats () const
{
  std::lock_guard<std::mutex> lock (mutex_);
  return stats_;
}

Viewer::Viewer (ViewerConfig config, WarningCallback on_warning,
    StatsCallback on_stats)
    : impl_ (std::make_shared<ViewerImpl> (std::move (config),
            std::move (on_warning), std::move (on_stats)))
{
}

Viewer::~Viewer ()
{
  impl_->unlock ();
  impl_->shutdown ();
}

void
Viewer::start ()
{
  impl_->start ();
}

bool
Viewer::pop (ViewerItem * item)
{
  return impl_->pop (item);
}

void
Viewer::unlock ()
{
  impl_->unlock ();
}

void
Viewer::unlock_stop ()
{
  impl_->unlock_stop ();
}

ViewerStats
Viewer::stats () const
{
  return impl_->stats ();
}

} // namespace p2p::swarm
