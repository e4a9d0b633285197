/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "viewer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/hls/playlist-reload.h"
#include "gst/p2p/hls/playlist.h"
#include "gst/p2p/swarm/live-publisher.h"
#include "gst/p2p/swarm/scheduler.h"
#include "gst/p2p/swarm/segment-store.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/p2p/swarm/swarm.h"

GST_DEBUG_CATEGORY_STATIC (p2p_viewer_debug);
#define GST_CAT_DEFAULT p2p_viewer_debug

namespace p2p::swarm {

namespace {

/* Segments fetched ahead of what the streaming thread has taken, so a VOD
 * or a long live window is not pulled into memory all at once. */
constexpr size_t kMaxSegmentsAhead = 6;

/* How often the scheduler looks at the swarm, besides reacting to events. */
constexpr guint kTickMs = 100;

/* Segments kept behind the live window for peers that are behind us. */
constexpr guint kStoreTailSegments = 3;

/* How much later than its deadline a segment may arrive before it counts
 * as a stall: downstream queues hide small delays. */
constexpr GstClockTime kStallTolerance = 200 * GST_MSECOND;

GErrorPtr
with_prefix (GErrorPtr error, const std::string &prefix)
{
  GError *raw = error.release ();
  g_prefix_error (&raw, "%s", prefix.c_str ());
  return GErrorPtr (raw);
}

/* Servers label segments loosely (video/mp2t, video/MP2T,
 * application/octet-stream, none at all), so only what is surely not media
 * is refused: an HTML page (error or captive portal) or a playlist. */
bool
is_media_content_type (const std::string &type)
{
  for (const char *refused :
       { "text/html", "application/vnd.apple.mpegurl", "application/x-mpegurl",
         "audio/mpegurl", "audio/x-mpegurl" }) {
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
        on_stats_ (std::move (on_stats)),
        store_ (config_.store_max_bytes, kStoreTailSegments)
  {
    static gsize debug_init = 0;
    if (g_once_init_enter (&debug_init)) {
      GST_DEBUG_CATEGORY_INIT (p2p_viewer_debug, "p2pviewer", 0,
                               "gst-p2p viewer engine");
      g_once_init_leave (&debug_init, 1);
    }
    engine_ = std::make_unique<EngineThread> ("p2pviewer");
    scheduler_config_.http_window = config_.http_window;
    scheduler_config_.p2p_timeout = config_.p2p_timeout;
    scheduler_config_.max_parallel_http = config_.max_parallel_http;
    scheduler_config_.upload = config_.upload;
    GRand *rng = g_rand_new ();
    peer_id_ = generate_peer_id (rng);
    g_rand_free (rng);
    stats_.peer_id = peer_id_;
  }

  void start ();
  void shutdown ();

  bool pop (ViewerItem *item);
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
  void fetch_playlist (const std::string &url);
  void on_playlist (net::HttpResult result);
  void select_variant (const hls::MasterPlaylist &master,
                       const std::string &base_url);
  void on_media_playlist (hls::MediaPlaylist media);
  void schedule_reload (GstClockTime delay);
  void reload_on_announcement ();
  void schedule_downloads ();
  void start_swarm (const hls::Variant *variant);
  void start_http (int64_t sequence);
  void start_peer (int64_t sequence, const std::string &peer_id);
  void cancel_peer (int64_t sequence, const std::string &peer_id);
  void request_tick ();
  void update_holdings ();
  GstClockTime deadline_origin (GstClockTime now) const;
  void on_peer_segment (int64_t sequence, const std::string &peer_id,
                        GBytes *data);
  void on_segment (int64_t sequence, net::HttpResult result);
  void on_init_section (const std::string &uri, net::HttpResult result);
  void deliver_ready ();
  void stream_awaited (int64_t sequence, const net::HttpProgress &progress);
  void fail (GErrorPtr error);
  void warn (const std::string &message);
  const hls::MediaSegment *find_segment (int64_t sequence) const;
  void keep_departed (const hls::MediaPlaylist &next);
  void skip_unavailable ();
  size_t queued_count () const;

  /* Any thread. */
  void enqueue (ViewerItem item);
  template <typename F> void post (F &&fn);

  ViewerConfig config_;
  Viewer::WarningCallback on_warning_;
  Viewer::StatsCallback on_stats_;
  std::unique_ptr<EngineThread> engine_;

  std::unique_ptr<net::HttpFetcher> fetcher_;
  std::unique_ptr<Swarm> swarm_;
  SegmentStore store_;
  SchedulerConfig scheduler_config_;
  /* Transfers running, by sequence; HTTP ones keep their fetch handle. */
  std::map<int64_t, Transfer> transfers_;
  std::map<int64_t, net::HttpFetch> http_fetches_;
  std::map<int64_t, GstClockTime> first_seen_;
  /* Segments that left the playlist before we played them. RFC 8216
   * §6.2.2 keeps a removed segment on the server for the playlist's
   * duration, so a viewer at the back of the window still gets them
   * rather than skipping. */
  std::map<int64_t, hls::MediaSegment> departed_;
  /* Segments whose HTTP download failed for good: playback stops with the
   * error when it reaches them, after what comes before. */
  std::map<int64_t, GErrorPtr> failed_segments_;
  GSource *tick_source_ = nullptr;
  bool tick_pending_ = false;
  /* Media time of what was handed to the streaming thread. */
  GstClockTime media_time_delivered_ = 0;
  std::string manifest_url_;
  std::string peer_id_;
  std::string media_url_;
  std::optional<hls::MediaPlaylist> playlist_;
  int64_t next_sequence_ = -1;
  bool next_discont_ = false;
  /* The bytes of segment streamed_sequence_ handed out before it was
   * complete (stream_awaited). */
  int64_t streamed_sequence_ = -1;
  gsize streamed_bytes_ = 0;
  std::string init_uri_;
  net::HttpFetch init_download_;
  GBytesPtr init_data_;
  bool init_delivered_ = false;
  GSource *reload_source_ = nullptr;
  net::HttpFetch playlist_fetch_;
  /* A reload was asked for while one was in flight. */
  bool reload_wanted_ = false;
  /* The segment whose announcement by a peer last triggered a reload. */
  int64_t announced_reload_ = -1;
  GSource *stats_source_ = nullptr;
  bool failed_ = false;
  bool ended_ = false;

  mutable std::mutex mutex_;
  std::condition_variable cond_;
  std::deque<QueuedItem> queue_;
  bool flushing_ = false;
  GstClockTime playback_start_ = GST_CLOCK_TIME_NONE;
  GstClockTime media_time_popped_ = 0;
  /* The segment whose first part was popped last, until its end is. */
  int64_t popped_partial_sequence_ = -1;
  ViewerStats stats_;
};

template <typename F>
void
ViewerImpl::post (F &&fn)
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
  post ([] (ViewerImpl *self) {
    self->fetcher_ = std::make_unique<net::HttpFetcher> (self->config_.http);
    self->start_stats_timer ();
    self->fetch_playlist (self->config_.url);
  });
}

void
ViewerImpl::shutdown ()
{
  engine_->invoke_sync ([this] {
    for (GSource **source :
         { &reload_source_, &stats_source_, &tick_source_ }) {
      if (*source) {
        g_source_destroy (*source);
        g_source_unref (*source);
        *source = nullptr;
      }
    }
    for (auto &f : http_fetches_)
      f.second.cancel ();
    http_fetches_.clear ();
    swarm_.reset ();
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
  g_source_set_callback (
      stats_source_,
      [] (gpointer data) -> gboolean {
        auto self = static_cast<ViewerImpl *> (data);
        self->on_stats_ (self->stats ());
        return G_SOURCE_CONTINUE;
      },
      this, nullptr);
  g_source_attach (stats_source_, engine_->context ());
}

void
ViewerImpl::fetch_playlist (const std::string &url)
{
  /* One playlist request at a time: two in flight may be answered out of
   * order, and an older playlist after a newer one looks like the server
   * going back in time. A reload asked for meanwhile follows the answer. */
  if (playlist_fetch_.active ()) {
    reload_wanted_ = true;
    return;
  }
  net::HttpRequest request;
  request.url = url;
  request.max_body_size = hls::kMaxPlaylistBytes;
  std::weak_ptr<ViewerImpl> weak = weak_from_this ();
  playlist_fetch_
      = fetcher_->fetch (std::move (request), [weak] (net::HttpResult result) {
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
    if (playlist_ && !playlist_->end_list
        && result.error->code != GST_P2P_ERROR_HTTP_STATUS) {
      warn (std::string ("Playlist reload failed: ") + result.error->message);
      schedule_reload (playlist_->target_duration / 2);
      return;
    }
    fail (std::move (result.error));
    return;
  }

  gsize size = 0;
  const char *text = static_cast<const char *> (
      g_bytes_get_data (result.body.get (), &size));
  GErrorOut error;
  hls::Warnings warnings;
  auto parsed = hls::parse_playlist (std::string_view (text, size), &warnings,
                                     error.out ());
  if (!parsed) {
    fail (with_prefix (error.take (), result.final_url + ": "));
    return;
  }
  for (const std::string &w : warnings)
    warn (result.final_url + ": " + w);

  if (manifest_url_.empty ())
    manifest_url_ = result.final_url;
  if (auto master = std::get_if<hls::MasterPlaylist> (&*parsed)) {
    if (!media_url_.empty ()) {
      fail (GErrorPtr (
          g_error_new (GST_P2P_ERROR, GST_P2P_ERROR_PLAYLIST_INVALID,
                       "%s: expected a media playlist, got a master playlist",
                       result.final_url.c_str ())));
      return;
    }
    select_variant (*master, result.final_url);
    return;
  }
  if (media_url_.empty ()) {
    media_url_ = result.final_url;
    start_swarm (nullptr);
  }
  {
    std::lock_guard<std::mutex> lock (mutex_);
    stats_.playlist_reloads++;
    stats_.media_playlist_url = media_url_;
  }
  on_media_playlist (std::move (std::get<hls::MediaPlaylist> (*parsed)));
}

void
ViewerImpl::select_variant (const hls::MasterPlaylist &master,
                            const std::string &base_url)
{
  if (master.variants.empty ()) {
    fail (GErrorPtr (g_error_new (GST_P2P_ERROR, GST_P2P_ERROR_PLAYLIST_INVALID,
                                  "%s: master playlist lists no variant",
                                  base_url.c_str ())));
    return;
  }
  guint64 limit = 0;
  for (guint64 l : { config_.connection_speed, config_.max_bitrate }) {
    if (l > 0 && (limit == 0 || l < limit))
      limit = l;
  }
  const hls::Variant *best = nullptr;
  const hls::Variant *lowest = &master.variants.front ();
  for (const hls::Variant &v : master.variants) {
    if (v.bandwidth < lowest->bandwidth)
      lowest = &v;
    if ((limit == 0 || v.bandwidth <= limit)
        && (!best || v.bandwidth > best->bandwidth))
      best = &v;
  }
  if (!best)
    best = lowest;
  media_url_ = hls::resolve_uri (base_url, best->uri);
  start_swarm (best);
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
      for (auto &t : transfers_) {
        if (t.second.source == TransferSource::PEER && swarm_)
          swarm_->cancel (t.second.peer_id);
      }
      for (auto &f : http_fetches_)
        f.second.cancel ();
      http_fetches_.clear ();
      transfers_.clear ();
      /* A new numbering: the store's window must be allowed to go back. */
      store_ = SegmentStore (config_.store_max_bytes, kStoreTailSegments);
      first_seen_.clear ();
      departed_.clear ();
      streamed_sequence_ = -1;
      next_sequence_ = -1;
      next_discont_ = true;
      playlist_.reset ();
    }
    for (const std::string &w : warnings)
      warn (media_url_ + ": " + w);
  }
  bool changed = !playlist_
                 || playlist_->segments.size () != media.segments.size ()
                 || playlist_->media_sequence != media.media_sequence;

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

  if (playlist_)
    keep_departed (media);
  playlist_ = std::move (media);
  GstClockTime now = monotonic_now ();
  for (const hls::MediaSegment &s : playlist_->segments)
    first_seen_.emplace (s.sequence, now);

  if (!playlist_->segments.empty ()) {
    int64_t oldest = playlist_->segments.front ().sequence;
    if (!departed_.empty ())
      oldest = std::min (oldest, departed_.begin ()->first);
    store_.set_window_start (oldest);
    while (!first_seen_.empty () && first_seen_.begin ()->first < oldest)
      first_seen_.erase (first_seen_.begin ());
  }
  skip_unavailable ();

  schedule_downloads ();
  deliver_ready ();

  if (!playlist_->end_list) {
    /* RFC 8216 §6.3.4: reload after a target duration, or half of it when
     * the playlist did not change. */
    GstClockTime delay = playlist_->target_duration;
    if (!changed)
      delay /= 2;
    if (std::exchange (reload_wanted_, false))
      delay = 0;
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
  std::weak_ptr<ViewerImpl> *weak
      = new std::weak_ptr<ViewerImpl> (weak_from_this ());
  g_source_set_callback (
      reload_source_,
      [] (gpointer data) -> gboolean {
        auto self = static_cast<std::weak_ptr<ViewerImpl> *> (data)->lock ();
        if (self && !self->failed_)
          self->fetch_playlist (self->media_url_);
        return G_SOURCE_REMOVE;
      },
      weak,
      [] (gpointer data) {
        delete static_cast<std::weak_ptr<ViewerImpl> *> (data);
      });
  g_source_attach (reload_source_, engine_->context ());
}

void
ViewerImpl::reload_on_announcement ()
{
  /* The broadcaster's seeder announces a segment as soon as it exists, up
   * to a target duration before our next reload would list it. Learning
   * of it that late often puts it inside the HTTP window at once: a viewer
   * whose reloads happen to fall late in each segment fetched nearly every
   * segment over HTTP. Only the segment right after the last one listed
   * triggers a reload, once, so peers cannot make us reload more often than
   * segments appear. */
  if (!playlist_ || playlist_->end_list || playlist_->segments.empty ()
      || failed_)
    return;
  int64_t next = playlist_->segments.back ().sequence + 1;
  if (next <= announced_reload_)
    return;
  for (const PeerView &peer : swarm_->peer_views ()) {
    if (peer.announced.count (next)) {
      announced_reload_ = next;
      schedule_reload (0);
      return;
    }
  }
}

const hls::MediaSegment *
ViewerImpl::find_segment (int64_t sequence) const
{
  if (!playlist_)
    return nullptr;
  for (const hls::MediaSegment &s : playlist_->segments) {
    if (s.sequence == sequence)
      return &s;
  }
  auto it = departed_.find (sequence);
  return it != departed_.end () ? &it->second : nullptr;
}

void
ViewerImpl::keep_departed (const hls::MediaPlaylist &next)
{
  if (next.segments.empty ())
    return;
  int64_t first = next.segments.front ().sequence;
  for (const hls::MediaSegment &s : playlist_->segments) {
    if (s.sequence >= next_sequence_ && s.sequence < first)
      departed_.emplace (s.sequence, s);
  }
  /* Played, or older than the server keeps them: about one playlist's
   * worth of segments behind the new window. */
  int64_t kept_from = std::max<int64_t> (
      next_sequence_, first - static_cast<int64_t> (next.segments.size ()));
  while (!departed_.empty () && departed_.begin ()->first < kept_from)
    departed_.erase (departed_.begin ());
}

void
ViewerImpl::skip_unavailable ()
{
  /* What we wanted next is neither held, listed nor recently departed: it
   * is gone. Jump to the oldest segment still to be had, as a
   * discontinuity. */
  if (!playlist_ || playlist_->segments.empty () || next_sequence_ < 0
      || store_.contains (next_sequence_) || find_segment (next_sequence_))
    return;
  int64_t resume = playlist_->segments.front ().sequence;
  auto later = departed_.upper_bound (next_sequence_);
  if (later != departed_.end ())
    resume = std::min (resume, later->first);
  for (int64_t seq = next_sequence_ + 1; seq < resume; seq++) {
    if (store_.contains (seq)) {
      resume = seq;
      break;
    }
  }
  if (resume <= next_sequence_)
    return;
  warn ("Fell behind the live window: skipping segments "
        + std::to_string (next_sequence_) + " to "
        + std::to_string (resume - 1));
  {
    std::lock_guard<std::mutex> lock (mutex_);
    stats_.segments_skipped += resume - next_sequence_;
  }
  next_sequence_ = resume;
  next_discont_ = true;
}

size_t
ViewerImpl::queued_count () const
{
  /* Whole segments: the parts of one streamed while it downloads count
   * once, with its last part. */
  std::lock_guard<std::mutex> lock (mutex_);
  return std::count_if (queue_.begin (), queue_.end (),
                        [] (const QueuedItem &q) { return !q.item.partial; });
}

void
ViewerImpl::start_swarm (const hls::Variant *variant)
{
  if (config_.trackers.empty () || swarm_)
    return;
  std::string swarm_id = config_.swarm_id.empty ()
                             ? swarm_id_from_manifest_url (manifest_url_)
                             : config_.swarm_id;
  StreamAttributes attributes = variant
                                    ? stream_attributes_for_variant (*variant)
                                    : stream_attributes_for_media_playlist ();
  std::string stream_id = stream_swarm_id (swarm_id, StreamType::MAIN,
                                           stream_short_id (attributes));
  {
    std::lock_guard<std::mutex> lock (mutex_);
    stats_.swarm_id = stream_id;
  }
  GST_INFO ("joining swarm %s as %s", stream_id.c_str (), peer_id_.c_str ());

  SwarmConfig sc;
  sc.trackers = config_.trackers;
  sc.info_hash = swarm_info_hash (stream_id);
  sc.peer_id = peer_id_;
  sc.webrtc = config_.webrtc;
  sc.max_peers = config_.max_peers;
  sc.upload = config_.upload;
  sc.max_upload_rate = config_.max_upload_rate;

  std::weak_ptr<ViewerImpl> weak = weak_from_this ();
  SwarmCallbacks cb;
  cb.lookup = [this] (int64_t sequence) -> GBytes * {
    return store_.get (sequence).release ();
  };
  cb.downloaded
      = [this] (int64_t sequence, const std::string &peer_id, GBytes *data) {
          on_peer_segment (sequence, peer_id, data);
        };
  cb.download_failed = [this] (int64_t sequence, const std::string &peer_id,
                               const std::string &why) {
    GST_DEBUG ("segment %" G_GINT64_FORMAT " from %s failed: %s", sequence,
               peer_id.c_str (), why.c_str ());
    auto it = transfers_.find (sequence);
    if (it != transfers_.end () && it->second.source == TransferSource::PEER
        && it->second.peer_id == peer_id)
      transfers_.erase (it);
    request_tick ();
  };
  cb.progress = [this] (int64_t sequence, const std::string &peer_id,
                        guint64 received, guint64 total) {
    auto it = transfers_.find (sequence);
    if (it == transfers_.end () || it->second.peer_id != peer_id)
      return;
    GstClockTime now = monotonic_now ();
    if (received > 0 && it->second.first_bytes == 0)
      it->second.first_bytes = now;
    it->second.bytes_received = received;
    it->second.bytes_total = total;
    it->second.last_progress = now;
  };
  cb.changed = [this] {
    reload_on_announcement ();
    request_tick ();
  };
  cb.warning = [this] (const std::string &message) { warn (message); };
  swarm_ = std::make_unique<Swarm> (*engine_, sc, cb);
  swarm_->start ();

  tick_source_ = g_timeout_source_new (kTickMs);
  g_source_set_callback (
      tick_source_,
      [] (gpointer data) -> gboolean {
        static_cast<ViewerImpl *> (data)->schedule_downloads ();
        return G_SOURCE_CONTINUE;
      },
      this, nullptr);
  g_source_attach (tick_source_, engine_->context ());
}

void
ViewerImpl::request_tick ()
{
  if (tick_pending_)
    return;
  tick_pending_ = true;
  post ([] (ViewerImpl *self) {
    self->tick_pending_ = false;
    self->schedule_downloads ();
  });
}

GstClockTime
ViewerImpl::deadline_origin (GstClockTime now) const
{
  /* Segment next_sequence_ is due when the media handed out so far has
   * played; before playback starts, it is due @now. */
  std::lock_guard<std::mutex> lock (mutex_);
  if (!GST_CLOCK_TIME_IS_VALID (playback_start_))
    return now;
  return playback_start_ + media_time_delivered_;
}

void
ViewerImpl::schedule_downloads ()
{
  if (!playlist_ || failed_ || next_sequence_ < 0)
    return;

  SchedulerState state;
  state.now = monotonic_now ();
  state.self_id = peer_id_;
  GstClockTime due = std::max (deadline_origin (state.now), state.now);
  size_t queued = queued_count ();
  size_t budget = kMaxSegmentsAhead > queued ? kMaxSegmentsAhead - queued : 0;
  std::vector<const hls::MediaSegment *> wanted;
  for (const auto &d : departed_)
    wanted.push_back (&d.second);
  for (const hls::MediaSegment &s : playlist_->segments)
    wanted.push_back (&s);
  for (const hls::MediaSegment *s : wanted) {
    const hls::MediaSegment &segment = *s;
    if (segment.sequence < next_sequence_)
      continue;
    if (budget-- == 0)
      break;
    PlannedSegment planned;
    planned.sequence = segment.sequence;
    planned.deadline = due;
    auto seen = first_seen_.find (segment.sequence);
    planned.first_seen = seen != first_seen_.end () ? seen->second : state.now;
    state.segments.push_back (planned);
    due += segment.duration;
  }
  for (gint64 seq : store_.sequences ())
    state.held.insert (seq);
  for (const auto &f : failed_segments_)
    state.held.insert (f.first);
  for (const auto &t : transfers_)
    state.transfers.push_back (t.second);
  if (swarm_)
    state.peers = swarm_->peer_views ();

  for (const Decision &d : schedule (scheduler_config_, state)) {
    switch (d.kind) {
    case DecisionKind::FETCH_HTTP:
      GST_DEBUG ("HTTP %" G_GINT64_FORMAT " (%s)", d.sequence,
                 d.reason == DecisionReason::INJECT ? "inject" : "urgent");
      start_http (d.sequence);
      break;
    case DecisionKind::REQUEST_PEER:
      GST_DEBUG ("request %" G_GINT64_FORMAT " from %s", d.sequence,
                 d.peer_id.c_str ());
      start_peer (d.sequence, d.peer_id);
      break;
    case DecisionKind::CANCEL_PEER: {
      GST_DEBUG ("cancel %" G_GINT64_FORMAT " from %s (%s)", d.sequence,
                 d.peer_id.c_str (),
                 d.reason == DecisionReason::STALLED ? "stalled" : "deadline");
      /* A peer that went silent counts against it whether the stall
       * timeout or the deadline caught it first: with a short HTTP
       * window the deadline usually does, and a peer that stops sending
       * mid-segment would otherwise be asked again and again. */
      auto it = transfers_.find (d.sequence);
      bool silent = d.reason == DecisionReason::STALLED
                    || (it != transfers_.end ()
                        && state.now >= it->second.last_progress
                                            + config_.p2p_timeout / 2);
      cancel_peer (d.sequence, d.peer_id);
      if (silent && swarm_)
        swarm_->note_failure (d.peer_id);
      break;
    }
    }
  }
  update_holdings ();
  if (swarm_) {
    SwarmStats swarm_stats = swarm_->stats ();
    std::lock_guard<std::mutex> lock (mutex_);
    stats_.peers = swarm_stats.peers;
    stats_.uploaded_bytes = swarm_stats.uploaded_bytes;
  }
}

void
ViewerImpl::start_http (int64_t sequence)
{
  const hls::MediaSegment *segment = find_segment (sequence);
  if (!segment || transfers_.count (sequence))
    return;
  net::HttpRequest request;
  request.url = hls::resolve_uri (media_url_, segment->uri);
  if (segment->byte_range && segment->byte_range->offset) {
    request.range = net::HttpByteRange{ *segment->byte_range->offset,
                                        segment->byte_range->length };
  }
  std::weak_ptr<ViewerImpl> weak = weak_from_this ();
  request.on_progress = [weak, sequence] (const net::HttpProgress &p) {
    auto self = weak.lock ();
    if (!self)
      return;
    auto it = self->transfers_.find (sequence);
    if (it == self->transfers_.end ())
      return;
    it->second.bytes_received = p.received;
    it->second.bytes_total = p.expected > 0 ? p.expected : 0;
    it->second.last_progress = monotonic_now ();
    self->stream_awaited (sequence, p);
  };
  Transfer transfer;
  transfer.sequence = sequence;
  transfer.source = TransferSource::HTTP;
  transfer.started = transfer.last_progress = monotonic_now ();
  transfers_[sequence] = transfer;
  http_fetches_[sequence] = fetcher_->fetch (
      std::move (request), [weak, sequence] (net::HttpResult result) {
        if (auto self = weak.lock ())
          self->on_segment (sequence, std::move (result));
      });
}

void
ViewerImpl::start_peer (int64_t sequence, const std::string &peer_id)
{
  if (!swarm_ || transfers_.count (sequence))
    return;
  if (!swarm_->request (peer_id, sequence))
    return;
  Transfer transfer;
  transfer.sequence = sequence;
  transfer.source = TransferSource::PEER;
  transfer.peer_id = peer_id;
  transfer.started = transfer.last_progress = monotonic_now ();
  transfers_[sequence] = transfer;
}

void
ViewerImpl::cancel_peer (int64_t sequence, const std::string &peer_id)
{
  auto it = transfers_.find (sequence);
  if (it == transfers_.end () || it->second.source != TransferSource::PEER
      || it->second.peer_id != peer_id)
    return;
  transfers_.erase (it);
  if (swarm_)
    swarm_->cancel (peer_id);
}

void
ViewerImpl::update_holdings ()
{
  if (!swarm_)
    return;
  std::set<int64_t> loaded;
  for (gint64 seq : store_.sequences ())
    loaded.insert (seq);
  std::set<int64_t> loading;
  for (const auto &t : transfers_) {
    if (t.second.source == TransferSource::HTTP)
      loading.insert (t.first);
  }
  swarm_->set_holdings (loaded, loading);
}

void
ViewerImpl::on_peer_segment (int64_t sequence, const std::string &peer_id,
                             GBytes *data)
{
  auto it = transfers_.find (sequence);
  if (it != transfers_.end () && it->second.source == TransferSource::PEER
      && it->second.peer_id == peer_id)
    transfers_.erase (it);
  if (failed_ || sequence < next_sequence_ || store_.contains (sequence))
    return;
  const hls::MediaSegment *segment = find_segment (sequence);
  /* Only what our playlist lists can be checked and played. */
  if (!segment)
    return;
  if (!segment->sha256.empty () && sha256_hex (data) != segment->sha256) {
    /* A peer with wrong bytes is never trusted again; the scheduler gets
     * the segment elsewhere. */
    {
      std::lock_guard<std::mutex> lock (mutex_);
      stats_.hash_mismatches++;
      stats_.peers_banned++;
    }
    warn ("Segment " + std::to_string (sequence) + " from peer " + peer_id
          + " does not match its SHA-256: peer banned");
    swarm_->ban (peer_id, "segment hash mismatch");
    request_tick ();
    return;
  }
  GST_DEBUG ("segment %" G_GINT64_FORMAT " from %s: %" G_GSIZE_FORMAT " bytes",
             sequence, peer_id.c_str (), g_bytes_get_size (data));
  {
    std::lock_guard<std::mutex> lock (mutex_);
    stats_.peer_bytes += g_bytes_get_size (data);
    stats_.peer_segments++;
  }
  store_.put (sequence, data, SegmentSource::PEER, peer_id, true);
  deliver_ready ();
  schedule_downloads ();
}

void
ViewerImpl::on_segment (int64_t sequence, net::HttpResult result)
{
  http_fetches_.erase (sequence);
  transfers_.erase (sequence);
  if (failed_)
    return;
  if (!result.ok ()) {
    /* A live segment that left the window meanwhile is skipped; anything
     * else is an error after the fetcher's retries. */
    bool listed = playlist_ && !playlist_->segments.empty ()
                  && sequence >= playlist_->segments.front ().sequence;
    if (sequence < next_sequence_ || (playlist_ && !listed)) {
      warn ("Segment " + std::to_string (sequence)
            + " left the window: " + result.error->message);
      departed_.erase (sequence);
      deliver_ready ();
      schedule_downloads ();
      return;
    }
    failed_segments_[sequence]
        = with_prefix (std::move (result.error),
                       "Segment " + std::to_string (sequence) + ": ");
    deliver_ready ();
    return;
  }
  if (!is_media_content_type (result.content_type)) {
    failed_segments_[sequence] = GErrorPtr (g_error_new (
        GST_P2P_ERROR, GST_P2P_ERROR_BAD_CONTENT,
        "Segment %" G_GINT64_FORMAT ": %s "
        "answered with Content-Type %s, not media",
        sequence, result.final_url.c_str (), result.content_type.c_str ()));
    deliver_ready ();
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
  if (sequence >= next_sequence_ && !store_.contains (sequence))
    store_.put (sequence, result.body.get (), SegmentSource::HTTP, {}, true);
  deliver_ready ();
  schedule_downloads ();
}

void
ViewerImpl::on_init_section (const std::string &uri, net::HttpResult result)
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
  skip_unavailable ();
  auto failed = failed_segments_.find (next_sequence_);
  if (!failed_ && failed != failed_segments_.end ()) {
    fail (std::move (failed->second));
    return;
  }
  while (!failed_ && playlist_ && store_.contains (next_sequence_)) {
    const hls::MediaSegment *segment = find_segment (next_sequence_);

    if (segment && segment->init_section) {
      std::string uri
          = hls::resolve_uri (media_url_, segment->init_section->uri);
      if (uri != init_uri_) {
        if (!init_download_.active ()) {
          net::HttpRequest request;
          request.url = uri;
          if (segment->init_section->byte_range) {
            const hls::ByteRange &r = *segment->init_section->byte_range;
            request.range
                = net::HttpByteRange{ r.offset.value_or (0), r.length };
          }
          std::weak_ptr<ViewerImpl> weak = weak_from_this ();
          init_download_ = fetcher_->fetch (
              std::move (request), [weak, uri] (net::HttpResult result) {
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
    item.data = store_.get (next_sequence_);
    item.duration = segment ? segment->duration : 0;
    item.discont = next_discont_ || (segment && segment->discontinuity);
    if (streamed_sequence_ == next_sequence_) {
      /* The rest of a segment streamed so far. */
      gsize size = g_bytes_get_size (item.data.get ());
      gsize sent = std::min (streamed_bytes_, size);
      item.data.reset (
          g_bytes_new_from_bytes (item.data.get (), sent, size - sent));
      item.discont = false;
      streamed_sequence_ = -1;
    }
    /* Delivered: the store keeps it for uploads, but may now evict it. */
    store_.unpin (next_sequence_);
    next_discont_ = false;
    next_sequence_++;
    {
      std::lock_guard<std::mutex> lock (mutex_);
      media_time_delivered_ += item.duration;
    }
    enqueue (std::move (item));
  }

  if (!ended_ && playlist_ && playlist_->end_list && transfers_.empty ()
      && (playlist_->segments.empty ()
          || next_sequence_ > playlist_->segments.back ().sequence)) {
    ended_ = true;
    ViewerItem end;
    end.kind = ViewerItem::Kind::END;
    enqueue (std::move (end));
  }
}

void
ViewerImpl::stream_awaited (int64_t sequence, const net::HttpProgress &progress)
{
  /* Only the segment playback waits for (start-up, or a stall), only
   * plain segments (no byte range to cut, no initialisation section to
   * send first), and never its last bytes: deliver_ready () sends those
   * with the segment's duration once it is complete and stored. */
  if (sequence != next_sequence_ || failed_ || !progress.body
      || (progress.expected >= 0
          && progress.received >= static_cast<gsize> (progress.expected)))
    return;
  const hls::MediaSegment *segment = find_segment (sequence);
  GstClockTime now = monotonic_now ();
  if (!segment || segment->byte_range || segment->init_section
      || deadline_origin (now) > now)
    return;
  /* A retry starts the body again: what was sent is not sent twice. */
  gsize sent = streamed_sequence_ == sequence ? streamed_bytes_ : 0;
  if (progress.received <= sent)
    return;
  ViewerItem item;
  item.kind = ViewerItem::Kind::SEGMENT;
  item.sequence = sequence;
  item.data.reset (
      g_bytes_new (progress.body + sent, progress.received - sent));
  item.discont = sent == 0 && (next_discont_ || segment->discontinuity);
  item.partial = true;
  streamed_sequence_ = sequence;
  streamed_bytes_ = progress.received;
  enqueue (std::move (item));
}

void
ViewerImpl::fail (GErrorPtr error)
{
  if (failed_)
    return;
  failed_ = true;
  GST_WARNING ("playback failed: %s", error->message);
  for (auto &f : http_fetches_)
    f.second.cancel ();
  http_fetches_.clear ();
  transfers_.clear ();
  ViewerItem item;
  item.kind = ViewerItem::Kind::ERROR;
  item.error = std::move (error);
  enqueue (std::move (item));
}

void
ViewerImpl::warn (const std::string &message)
{
  GST_WARNING ("%s", message.c_str ());
  if (on_warning_)
    on_warning_ (message);
}

void
ViewerImpl::enqueue (ViewerItem item)
{
  std::lock_guard<std::mutex> lock (mutex_);
  queue_.push_back (QueuedItem{ std::move (item), monotonic_now () });
  cond_.notify_all ();
}

bool
ViewerImpl::pop (ViewerItem *item)
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
    bool starts_segment = queued.item.sequence != popped_partial_sequence_;
    popped_partial_sequence_ = queued.item.partial ? queued.item.sequence : -1;
    if (starts_segment && queued.arrival > deadline + kStallTolerance) {
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
  post ([] (ViewerImpl *self) { self->schedule_downloads (); });
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
    : impl_ (std::make_shared<ViewerImpl> (
        std::move (config), std::move (on_warning), std::move (on_stats)))
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
Viewer::pop (ViewerItem *item)
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
