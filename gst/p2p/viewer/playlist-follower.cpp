/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "playlist-follower.h"

#include <algorithm>
#include <utility>
#include <variant>

#include "gst/p2p/common/error.h"
#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/hls/playlist-reload.h"

GST_DEBUG_CATEGORY_STATIC (p2p_playlist_follower_debug);
#define GST_CAT_DEFAULT p2p_playlist_follower_debug

namespace p2p::viewer {

namespace {

GErrorPtr
with_prefix (GErrorPtr error, const std::string &prefix)
{
  GError *raw = error.release ();
  g_prefix_error (&raw, "%s", prefix.c_str ());
  return GErrorPtr (raw);
}

/* Retries of a playlist not there yet at start-up. */
constexpr GstClockTime kStartupRetryDelay = GST_SECOND;
/* No reload sooner than this, whatever the target duration says. */
constexpr GstClockTime kMinReloadDelay = 100 * GST_MSECOND;

} // namespace

PlaylistFollower::PlaylistFollower (Clock &clock, net::HttpClient &http,
                                    const ViewerConfig &config, Events events)
    : clock_ (clock), http_ (http), config_ (config),
      events_ (std::move (events)), reload_timer_ (clock)
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_playlist_follower_debug, "p2pplaylist", 0,
                             "gst-p2p viewer: playlists");
    g_once_init_leave (&debug_init, 1);
  }
}

void
PlaylistFollower::start ()
{
  fetch (config_.url);
}

void
PlaylistFollower::stop ()
{
  stopped_ = true;
  reload_timer_.cancel ();
  fetch_.cancel ();
}

void
PlaylistFollower::fetch (const std::string &url)
{
  /* One playlist request at a time: two in flight may be answered out of
   * order, and an older playlist after a newer one looks like the server
   * going back in time. A reload asked for meanwhile follows the answer. */
  if (fetch_.active ()) {
    reload_wanted_ = true;
    return;
  }
  net::HttpRequest request;
  request.url = url;
  request.max_body_size = hls::kMaxPlaylistBytes;
  fetch_ = http_.fetch (std::move (request), [this] (net::HttpResult result) {
    on_response (std::move (result));
  });
}

void
PlaylistFollower::on_response (net::HttpResult result)
{
  if (stopped_)
    return;
  if (!result.ok ()) {
    on_failure (std::move (result));
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
    events_.warning (result.final_url + ": " + w);

  if (outage_since_)
    GST_INFO ("%s loads again", result.final_url.c_str ());
  outage_since_.reset ();
  failed_variants_.clear ();
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
    select_variant (std::move (*master), result.final_url);
    return;
  }
  if (media_url_.empty ()) {
    media_url_ = result.final_url;
    events_.media_found (nullptr);
  }
  on_media_playlist (std::move (std::get<hls::MediaPlaylist> (*parsed)));
}

void
PlaylistFollower::on_failure (net::HttpResult result)
{
  const GstClockTime now = clock_.now ();
  const bool new_outage = !outage_since_;
  if (new_outage)
    outage_since_ = now;
  /* A variant that does not load is replaced by another one at once. */
  if (master_ && !media_url_.empty ()) {
    failed_variants_.insert (variant_index_);
    const size_t next = choose_variant ();
    if (!failed_variants_.count (next)) {
      events_.warning (std::string ("Variant playlist failed (")
                       + result.error->message
                       + "); switching to another variant");
      follow_variant (next);
      return;
    }
    failed_variants_.clear ();
  }
  /* Waited for while the server answers at start-up (an early
   * broadcaster's origin says 404 until its first segment), and whatever
   * the failure once a live playlist played (a broadcaster restarting),
   * until the outage lasts too long. An unreachable server at start-up is
   * an error at once. */
  const bool early = !followed_media_ && result.status != 0;
  if (!(early || followed_live_)) {
    fail (std::move (result.error));
    return;
  }
  if (now - *outage_since_ >= config_.playlist_outage_limit) {
    fail (with_prefix (
        std::move (result.error),
        "No playlist for "
            + std::to_string ((now - *outage_since_) / GST_SECOND) + " s: "));
    return;
  }
  if (new_outage)
    events_.warning (std::string ("Playlist not available (")
                     + result.error->message + "); retrying");
  const GstClockTime delay
      = playlist_ ? std::max<GstClockTime> (playlist_->target_duration / 2,
                                            kMinReloadDelay)
                  : kStartupRetryDelay;
  schedule_reload (delay);
}

size_t
PlaylistFollower::choose_variant () const
{
  guint64 limit = 0;
  for (guint64 l : { config_.connection_speed, config_.max_bitrate }) {
    if (l > 0 && (limit == 0 || l < limit))
      limit = l;
  }
  const auto &variants = master_->variants;
  std::optional<size_t> best, lowest;
  for (size_t i = 0; i < variants.size (); i++) {
    if (failed_variants_.count (i)
        && failed_variants_.size () < variants.size ())
      continue;
    if (!lowest || variants[i].bandwidth < variants[*lowest].bandwidth)
      lowest = i;
    if ((limit == 0 || variants[i].bandwidth <= limit)
        && (!best || variants[i].bandwidth > variants[*best].bandwidth))
      best = i;
  }
  return best ? *best : *lowest;
}

void
PlaylistFollower::select_variant (hls::MasterPlaylist master,
                                  const std::string &base_url)
{
  if (master.variants.empty ()) {
    fail (GErrorPtr (g_error_new (GST_P2P_ERROR, GST_P2P_ERROR_PLAYLIST_INVALID,
                                  "%s: master playlist lists no variant",
                                  base_url.c_str ())));
    return;
  }
  master_ = std::move (master);
  master_url_ = base_url;
  variant_index_ = choose_variant ();
  media_url_ = hls::resolve_uri (master_url_, variant ().uri);
  GST_INFO ("variant %" G_GUINT64_FORMAT " bit/s: %s", variant ().bandwidth,
            media_url_.c_str ());
  events_.media_found (&variant ());
  fetch (media_url_);
}

void
PlaylistFollower::switch_variant (size_t index)
{
  if (!master_ || index >= master_->variants.size () || index == variant_index_
      || stopped_)
    return;
  follow_variant (index);
}

void
PlaylistFollower::follow_variant (size_t index)
{
  /* The next playlist is another variant's: nothing of this one carries
   * over, but the numbering does (RFC 8216 §6.2.4 aligns variants). */
  variant_index_ = index;
  media_url_ = hls::resolve_uri (master_url_, variant ().uri);
  GST_INFO ("following variant %" G_GUINT64_FORMAT " bit/s: %s",
            variant ().bandwidth, media_url_.c_str ());
  playlist_.reset ();
  departed_.clear ();
  first_seen_.clear ();
  reload_timer_.cancel ();
  fetch_.cancel ();
  reload_wanted_ = false;
  events_.variant_changed (variant ());
  fetch (media_url_);
}

void
PlaylistFollower::on_media_playlist (hls::MediaPlaylist media)
{
  followed_media_ = true;
  followed_live_ = followed_live_ || !media.end_list;
  bool restarted = false;
  if (playlist_) {
    hls::Warnings warnings;
    GErrorOut error;
    if (!hls::check_playlist_reload (*playlist_, media, &warnings,
                                     error.out ())) {
      /* The server restarted or rewrote its stream: start over from its
       * live point rather than mixing two numberings. */
      events_.warning (media_url_ + ": " + error.get ()->message
                       + "; restarting from the new playlist");
      restarted = true;
      first_seen_.clear ();
      departed_.clear ();
      playlist_.reset ();
    }
    for (const std::string &w : warnings)
      events_.warning (media_url_ + ": " + w);
  }
  const bool changed = !playlist_
                       || playlist_->segments.size () != media.segments.size ()
                       || playlist_->media_sequence != media.media_sequence;

  if (playlist_)
    keep_departed (media);
  playlist_ = std::move (media);
  const GstClockTime now = clock_.now ();
  for (const hls::MediaSegment &s : playlist_->segments)
    first_seen_.emplace (s.sequence, now);
  const int64_t oldest = oldest_available ();
  while (!first_seen_.empty () && first_seen_.begin ()->first < oldest)
    first_seen_.erase (first_seen_.begin ());

  if (!playlist_->end_list) {
    /* RFC 8216 §6.3.4: reload after a target duration, or half of it when
     * the playlist did not change. */
    GstClockTime delay = playlist_->target_duration;
    if (!changed)
      delay /= 2;
    if (std::exchange (reload_wanted_, false))
      delay = 0;
    schedule_reload (std::max (delay, kMinReloadDelay));
  }
  events_.updated (restarted);
}

void
PlaylistFollower::keep_departed (const hls::MediaPlaylist &next)
{
  if (next.segments.empty ())
    return;
  int64_t first = next.segments.front ().sequence;
  for (const hls::MediaSegment &s : playlist_->segments) {
    if (s.sequence >= playhead_ && s.sequence < first)
      departed_.emplace (s.sequence, s);
  }
  /* Played, or older than the server keeps them: about one playlist's
   * worth of segments behind the new window. */
  int64_t kept_from = std::max<int64_t> (
      playhead_, first - static_cast<int64_t> (next.segments.size ()));
  while (!departed_.empty () && departed_.begin ()->first < kept_from)
    departed_.erase (departed_.begin ());
}

void
PlaylistFollower::set_playhead (int64_t sequence)
{
  playhead_ = sequence;
}

void
PlaylistFollower::forget_departed (int64_t sequence)
{
  departed_.erase (sequence);
}

void
PlaylistFollower::schedule_reload (GstClockTime delay)
{
  reload_timer_.start (delay, [this] {
    /* Before any media playlist, the URL we were given is retried. */
    if (!stopped_)
      fetch (media_url_.empty () ? config_.url : media_url_);
  });
}

void
PlaylistFollower::reload_for_announced (int64_t sequence)
{
  /* The broadcaster's seeder announces a segment as soon as it exists, up
   * to a target duration before our next reload would list it. Learning
   * of it that late often puts it inside the HTTP window at once: a viewer
   * whose reloads happen to fall late in each segment fetched nearly every
   * segment over HTTP. */
  if (!playlist_ || playlist_->end_list || playlist_->segments.empty ()
      || stopped_)
    return;
  int64_t next = playlist_->segments.back ().sequence + 1;
  if (sequence != next || next <= announced_reload_)
    return;
  announced_reload_ = next;
  schedule_reload (0);
}

const hls::MediaSegment *
PlaylistFollower::find (int64_t sequence) const
{
  if (!playlist_)
    return nullptr;
  const auto &segments = playlist_->segments;
  if (!segments.empty () && sequence >= segments.front ().sequence
      && sequence <= segments.back ().sequence) {
    const hls::MediaSegment &s
        = segments[size_t (sequence - segments.front ().sequence)];
    if (s.sequence == sequence)
      return &s;
  }
  auto it = departed_.find (sequence);
  return it != departed_.end () ? &it->second : nullptr;
}

GstClockTime
PlaylistFollower::first_seen (int64_t sequence, GstClockTime fallback) const
{
  auto it = first_seen_.find (sequence);
  return it != first_seen_.end () ? it->second : fallback;
}

int64_t
PlaylistFollower::next_unlisted () const
{
  if (!playlist_ || playlist_->segments.empty ())
    return -1;
  return playlist_->segments.back ().sequence + 1;
}

int64_t
PlaylistFollower::oldest_available () const
{
  if (!playlist_ || playlist_->segments.empty ())
    return -1;
  int64_t oldest = playlist_->segments.front ().sequence;
  if (!departed_.empty ())
    oldest = std::min (oldest, departed_.begin ()->first);
  return oldest;
}

bool
PlaylistFollower::live () const
{
  return playlist_ && !playlist_->end_list
         && playlist_->type != hls::PlaylistType::VOD;
}

void
PlaylistFollower::fail (GErrorPtr error)
{
  stop ();
  events_.failed (std::move (error));
}

} // namespace p2p::viewer
