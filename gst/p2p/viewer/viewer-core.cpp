/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "viewer-core.h"

#include <algorithm>
#include <cstring>

#include "gst/p2p/common/error.h"
#include "gst/p2p/common/hasher.h"
#include "gst/p2p/swarm/swarm-identity.h"

GST_DEBUG_CATEGORY_STATIC (p2p_viewer_debug);
#define GST_CAT_DEFAULT p2p_viewer_debug

namespace p2p::viewer {

namespace {

/* Segments fetched ahead of what playback has taken, so a VOD or a long
 * live window is not pulled into memory all at once. */
constexpr size_t kMaxSegmentsAhead = 6;

/* The HTTP window is at least this many whole segments' fetch time, as
 * the last one over HTTP took, up to 1.5 times the configured window: on
 * a downlink under about twice the stream's rate the configured window
 * leaves too little time to fetch what peers did not bring (stalls at
 * start-up in the simulator, 3 in 100 runs of the CI bench's scenario at
 * 2 s, none at 3 s). */
constexpr guint kWindowFetches = 3;

/* How often the bitrate is reconsidered. */
constexpr GstClockTime kAbrInterval = 500 * GST_MSECOND;

/* How often the scheduler looks at the swarm, besides reacting to events. */
constexpr GstClockTime kTickInterval = 100 * GST_MSECOND;

/* A pass a peer's announcement asks for comes at most this long after the
 * last pass: each of a viewer's 20-odd peers announces whenever what it
 * holds, or how it relays, changes (about 70 times a second in all at
 * N = 300), and each pass looks at every peer anyway. */
constexpr GstClockTime kAnnouncedPassGap = 50 * GST_MSECOND;

/* Segments kept behind the live window for peers that are behind us. */
constexpr guint kStoreTailSegments = 3;

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

} // namespace

ViewerCore::ViewerCore (Runtime &runtime, ViewerConfig config,
                        ViewerOutput &output, Events events)
    : runtime_ (runtime), config_ (std::move (config)), output_ (output),
      events_ (std::move (events)),
      peer_id_ (swarm::generate_peer_id (runtime.random)),
      holdings_ (config_.store_max_bytes, kStoreTailSegments, runtime.hasher,
                 true, [this] (int64_t seq) { on_relay_complete (seq); }),
      playlists_ (
          runtime.clock, runtime.http, config_,
          PlaylistFollower::Events{
              [this] (const hls::Variant *v) { on_media_found (v); },
              [this] (bool restarted) { on_playlist_updated (restarted); },
              [this] (GErrorPtr error) { fail (std::move (error)); },
              [this] (const std::string &m) { warn (m); },
              [this] (const hls::Variant &v) { on_variant_changed (v); } }),
      downloads_ (
          runtime.clock, runtime.http,
          Downloads::Events{
              [this] (int64_t seq, net::HttpResult result) {
                on_http_done (seq, std::move (result));
              },
              [this] (int64_t seq, const net::HttpProgress &p,
                      GstClockTime started) {
                playout_.stream_awaited (seq, p, started);
              },
              [this] (int64_t seq, const std::string &peer,
                      const ChunkedBytes &data) {
                on_peer_done (seq, peer, data);
              },
              [this] (int64_t seq, const std::string &peer,
                      const std::string &why) {
                GST_DEBUG_ID (peer_id_.c_str (),
                              "segment %" G_GINT64_FORMAT " from %s failed: %s",
                              seq, peer.c_str (), why.c_str ());
                request_tick ();
              },
              [this] (int64_t seq, guint stripe, gsize from,
                      net::HttpResult result) {
                on_range_http_done (seq, stripe, from, std::move (result));
              } }),
      playout_ (runtime.clock, runtime.http, playlists_, holdings_.store (),
                output, [this] (const std::string &m) { warn (m); }),
      abr_timer_ (runtime.clock), tick_timer_ (runtime.clock),
      tick_soon_ (runtime.clock), announced_tick_ (runtime.clock),
      stats_timer_ (runtime.clock), startup_timer_ (runtime.clock)
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_viewer_debug, "p2pviewer", 0,
                             "gst-p2p viewer engine");
    g_once_init_leave (&debug_init, 1);
  }
  scheduler_config_.http_window = config_.http_window;
  scheduler_config_.p2p_timeout = config_.p2p_timeout;
  scheduler_config_.max_parallel_http = config_.max_parallel_http;
  scheduler_config_.upload = config_.upload;
  relay_config_.http_window = config_.http_window;
  relay_config_.p2p_timeout = config_.p2p_timeout;
  /* A range is one stripe: a segment's stripes (4) at once for each
   * download allowed. */
  relay_config_.max_parallel_http = 4 * config_.max_parallel_http;
  stats_.peer_id = peer_id_;
  playout_.set_log_id (peer_id_);
  if (events_.segment_whole)
    holdings_.store ().set_stored_callback (events_.segment_whole);
}

ViewerCore::~ViewerCore ()
{
  /* The swarm goes first: its callbacks use the downloads and the store. */
  downloads_.set_swarm (nullptr);
  swarm_.reset ();
}

void
ViewerCore::start ()
{
  if (config_.stats_interval > 0 && events_.stats)
    stats_timer_.start_repeating (config_.stats_interval * GST_MSECOND,
                                  [this] { events_.stats (stats ()); });
  playlists_.start ();
}

void
ViewerCore::output_consumed ()
{
  schedule_downloads ();
}

GstClockTime
ViewerCore::duration () const
{
  const hls::MediaPlaylist *playlist = playlists_.playlist ();
  if (!playlist || playlists_.live () || !playlist->end_list)
    return GST_CLOCK_TIME_NONE;
  return playlist->total_duration ();
}

GstClockTime
ViewerCore::seek (GstClockTime position)
{
  const hls::MediaPlaylist *playlist = playlists_.playlist ();
  if (!GST_CLOCK_TIME_IS_VALID (duration ()) || playlist->segments.empty ()
      || playout_.failed ())
    return GST_CLOCK_TIME_NONE;
  /* The segment that holds @position, the last one past the end. */
  GstClockTime start = 0;
  const hls::MediaSegment *target = &playlist->segments.back ();
  for (const hls::MediaSegment &segment : playlist->segments) {
    if (position < start + segment.duration) {
      target = &segment;
      break;
    }
    if (&segment != target)
      start += segment.duration;
  }
  GST_INFO ("seek to %" GST_TIME_FORMAT ": segment %" G_GINT64_FORMAT
            " from %" GST_TIME_FORMAT,
            GST_TIME_ARGS (position), target->sequence, GST_TIME_ARGS (start));
  forget_segments ();
  playout_.seek (target->sequence);
  schedule_downloads ();
  deliver_ready ();
  return start;
}

void
ViewerCore::on_media_found (const hls::Variant *variant)
{
  stats_.media_playlist_url = playlists_.media_url ();
  if (variant)
    stats_.bandwidth = variant->bandwidth;
  start_swarm (variant);
  /* Variants to choose from, and no fixed connection-speed. */
  const hls::MasterPlaylist *master = playlists_.master ();
  if (master && master->variants.size () > 1 && config_.connection_speed == 0) {
    std::vector<guint64> bandwidths;
    for (const hls::Variant &v : master->variants)
      bandwidths.push_back (v.bandwidth);
    abr_.emplace (std::move (bandwidths), playlists_.variant_index (),
                  config_.max_bitrate);
    abr_timer_.start_repeating (kAbrInterval, [this] { adapt_bitrate (); });
  }
}

void
ViewerCore::count_delivery (int64_t sequence, gsize bytes,
                            GstClockTime duration)
{
  /* The choice comes with the next kAbrInterval: a switch drops the swarm,
   * which may be what calls us. */
  const hls::MediaSegment *segment = playlists_.find (sequence);
  if (abr_ && segment)
    abr_->add_sample (bytes, duration, segment->duration);
}

void
ViewerCore::adapt_bitrate ()
{
  /* A segment crawling in over HTTP says the variant is too much before
   * it ends. */
  const GstClockTime now = runtime_.clock.now ();
  for (const auto &t : downloads_.transfers ()) {
    if (t.second.source == swarm::TransferSource::HTTP)
      abr_->observe_running (t.second.bytes_received, now - t.second.started);
  }
  const size_t wanted = abr_->choose (now);
  if (wanted != playlists_.variant_index ()) {
    GST_INFO ("bandwidth estimate %" G_GUINT64_FORMAT " bit/s: variant %zu",
              abr_->estimate (), wanted);
    playlists_.switch_variant (wanted);
  }
}

void
ViewerCore::on_variant_changed (const hls::Variant &variant)
{
  /* Another variant's segments under the same numbers, in another swarm
   * (P2P Media Loader keeps a swarm per variant): what is held of this one
   * goes, and playback goes on at the same point as a discontinuity. */
  stats_.media_playlist_url = playlists_.media_url ();
  stats_.bandwidth = variant.bandwidth;
  stats_.variant_switches++;
  if (abr_)
    abr_->followed (playlists_.variant_index ());
  forget_segments ();
  playout_.discontinuity ();
  if (swarm_) {
    downloads_.set_swarm (nullptr);
    swarm_.reset ();
    start_swarm (&variant);
  }
}

void
ViewerCore::forget_segments ()
{
  downloads_.cancel_all ();
  holdings_.reset ();
  stripe_progress_.clear ();
}

void
ViewerCore::on_playlist_updated (bool restarted)
{
  stats_.playlist_reloads++;
  if (restarted) {
    /* A new numbering: the store's window must be allowed to go back. */
    forget_segments ();
    playout_.restart ();
  }
  const hls::MediaPlaylist &media = *playlists_.playlist ();
  if (!playout_.started () && !media.segments.empty ()) {
    size_t count = media.segments.size ();
    size_t start = 0;
    if (playlists_.live () && count > config_.live_delay_segments)
      start = count - config_.live_delay_segments;
    playout_.start_at (media.segments[start].sequence);
    if (config_.startup_wait && !restarted) {
      /* The first segment is due later, so the scheduler leaves it to
       * peers until its HTTP window; the timer starts playback. A
       * broadcaster's restart goes on playing: no new wait. */
      playout_.hold_start_until (runtime_.clock.now () + config_.startup_wait);
      startup_timer_.start (config_.startup_wait, [this] {
        deliver_ready ();
        schedule_downloads ();
      });
    }
    GST_INFO_ID (peer_id_.c_str (),
                 "starting at media sequence %" G_GINT64_FORMAT " (%zu of %zu)",
                 playout_.next_sequence (), start, count);
  }
  if (playlists_.oldest_available () >= 0)
    holdings_.set_window_start (playlists_.oldest_available ());
  expect_listed_segments ();
  playout_.skip_unavailable ();
  schedule_downloads ();
  deliver_ready ();
}

void
ViewerCore::start_swarm (const hls::Variant *variant)
{
  if (config_.trackers.empty () || swarm_)
    return;
  std::string swarm_id
      = config_.swarm_id.empty ()
            ? swarm::swarm_id_from_manifest_url (playlists_.manifest_url ())
            : config_.swarm_id;
  swarm::StreamAttributes attributes
      = variant ? swarm::stream_attributes_for_variant (*variant)
                : swarm::stream_attributes_for_media_playlist ();
  std::string stream_id = swarm::stream_swarm_id (
      swarm_id, swarm::StreamType::MAIN, swarm::stream_short_id (attributes));
  stats_.swarm_id = stream_id;
  GST_INFO_ID (peer_id_.c_str (), "joining swarm %s as %s", stream_id.c_str (),
               peer_id_.c_str ());

  swarm::SwarmConfig sc;
  sc.trackers = config_.trackers;
  sc.info_hash = swarm::swarm_info_hash (stream_id);
  sc.peer_id = peer_id_;
  sc.max_peers = config_.max_peers;
  sc.upload = config_.upload;
  sc.max_upload_rate = config_.max_upload_rate;

  swarm::SwarmCallbacks cb;
  cb.lookup
      = [this] (int64_t sequence) { return holdings_.store ().get (sequence); };
  cb.downloaded = [this] (int64_t sequence, const std::string &peer_id,
                          const ChunkedBytes &data) {
    /* Peers' deliveries count for the bitrate as much as the origin's,
     * from their first byte as HTTP ones: a request waits for a free
     * upload slot. */
    if (const swarm::Transfer *t = downloads_.find (sequence))
      count_delivery (sequence, data.size (),
                      runtime_.clock.now ()
                          - (t->first_bytes ? t->first_bytes : t->started));
    downloads_.on_peer_downloaded (sequence, peer_id, data);
  };
  cb.download_failed = [this] (int64_t sequence, const std::string &peer_id,
                               const std::string &why) {
    downloads_.on_peer_failed (sequence, peer_id, why);
  };
  cb.progress = [this] (int64_t sequence, const std::string &peer_id,
                        guint64 received, guint64 total) {
    downloads_.on_peer_progress (sequence, peer_id, received, total);
  };
  cb.announced = [this] (const swarm::SegmentSet &loaded) {
    /* A peer announcing the segment after the last one listed makes us
     * reload the playlist now rather than at the next reload. */
    const int64_t next = playlists_.next_unlisted ();
    if (next >= 0 && loaded.count (next))
      playlists_.reload_for_announced (next);
  };
  cb.changed = [this] { request_tick (); };
  cb.peer_announced = [this] { request_tick_after_announcement (); };
  cb.warning = [this] (const std::string &message) { warn (message); };
  cb.relayed = [this] (int64_t sequence, const std::string &peer_id,
                       gsize offset, gsize bytes, bool cut_through) {
    stats_.peer_bytes += bytes;
    if (cut_through)
      stats_.relayed_bytes_arriving += bytes;
    /* A relay sends a segment our playlist does not list yet: list it now
     * rather than at the next reload, so we can check it and pass it on. */
    if (!holdings_.expected (sequence)) {
      GST_DEBUG_ID (peer_id_.c_str (),
                    "%s relays segment %" G_GINT64_FORMAT " before it is "
                    "listed here",
                    peer_id.c_str (), sequence);
      playlists_.reload_for_announced (sequence);
    }
    if (const ChunkLayout *layout = holdings_.layout (sequence)) {
      const guint stripe = layout->stripe_of (offset);
      StripeFlow &flow = stripe_progress_[{ sequence, stripe }];
      flow.last = runtime_.clock.now ();
      if (!flow.bytes)
        flow.first = flow.last;
      flow.bytes += bytes;
      /* When each hop's bytes came (sim/delivery-report.py reads it);
       * not looked up on every chunk unless it is logged. */
      if (!flow.whole
          && gst_debug_category_get_threshold (p2p_viewer_debug)
                 >= GST_LEVEL_DEBUG
          && holdings_.stripe_complete (sequence, stripe)) {
        flow.whole = true;
        GST_DEBUG_ID (peer_id_.c_str (),
                      "stripe %u of segment %" G_GINT64_FORMAT
                      " whole from %s: %" G_GSIZE_FORMAT
                      " bytes relayed from %.3f s to %.3f s",
                      stripe, sequence, peer_id.c_str (), flow.bytes,
                      double (flow.first) / GST_SECOND,
                      double (flow.last) / GST_SECOND);
      }
      downloads_.on_range_progress (sequence, stripe, peer_id, bytes);
    }
  };
  cb.range_ended = [this] (int64_t sequence, const std::string &peer_id,
                           gsize from, bool) {
    if (const ChunkLayout *layout = holdings_.layout (sequence))
      downloads_.on_range_ended (sequence, layout->stripe_of (from), peer_id);
  };
  cb.relay_changed = [this] { request_tick (); };
  sc.holdings = &holdings_;
  swarm_ = std::make_unique<swarm::Swarm> (runtime_, sc, cb);
  downloads_.set_swarm (swarm_.get ());
  swarm_->start ();

  tick_timer_.start_repeating (kTickInterval,
                               [this] { schedule_downloads (); });
}

void
ViewerCore::request_tick ()
{
  if (!tick_soon_.pending ())
    tick_soon_.start (0, [this] { schedule_downloads (); });
}

void
ViewerCore::request_tick_after_announcement ()
{
  if (tick_soon_.pending () || announced_tick_.pending ())
    return;
  const GstClockTime now = runtime_.clock.now ();
  const GstClockTime at = last_pass_ + kAnnouncedPassGap;
  announced_tick_.start (at > now ? at - now : 0,
                         [this] { schedule_downloads (); });
}

void
ViewerCore::schedule_downloads ()
{
  const hls::MediaPlaylist *playlist = playlists_.playlist ();
  if (!playlist || playout_.failed () || !playout_.started ())
    return;

  swarm::SchedulerState state;
  state.now = runtime_.clock.now ();
  /* This pass sees every announcement so far. */
  last_pass_ = state.now;
  announced_tick_.cancel ();
  stats_.passes++;
  state.self_id = peer_id_;
  GstClockTime due = std::max (playout_.deadline_origin (state.now), state.now);
  size_t queued = output_.pending_segments ();
  size_t budget = kMaxSegmentsAhead > queued ? kMaxSegmentsAhead - queued : 0;
  /* Playback waits for the next segment (start-up, or a stall): nothing
   * else takes the downlink from it. */
  if (playout_.deadline_origin (state.now) <= state.now)
    budget = std::min<size_t> (budget, 1);
  std::vector<const hls::MediaSegment *> wanted;
  for (const auto &d : playlists_.departed ())
    wanted.push_back (&d.second);
  for (const hls::MediaSegment &s : playlist->segments)
    wanted.push_back (&s);
  std::vector<swarm::PlannedSegment> relayed;
  /* The peers as they are now, for both planners: nothing changes them
   * before plan_relayed () acts. */
  if (swarm_)
    state.peers = swarm_->peer_views ();
  state.awaiting_peers
      = swarm_ && state.peers.empty () && playout_.holding_start (state.now);
  const bool relay = relaying (state.peers);
  for (const hls::MediaSegment *s : wanted) {
    const hls::MediaSegment &segment = *s;
    if (segment.sequence < playout_.next_sequence ())
      continue;
    if (budget-- == 0)
      break;
    swarm::PlannedSegment planned;
    planned.sequence = segment.sequence;
    planned.deadline = due;
    planned.first_seen = playlists_.first_seen (segment.sequence, state.now);
    due += segment.duration;
    /* Segments cut in stripes come stripe by stripe, from relays, peers
     * holding them, or HTTP ranges; the others whole, as do those already
     * coming whole (asked before any relay was known). */
    if (relay && holdings_.expected (segment.sequence)
        && !downloads_.find (segment.sequence)) {
      if (!holdings_.complete (segment.sequence))
        relayed.push_back (planned);
      continue;
    }
    state.segments.push_back (planned);
  }
  for (gint64 seq : holdings_.store ().sequences ())
    state.held.insert (seq);
  for (const auto &f : playout_.failed_segments ())
    state.held.insert (f.first);
  for (int64_t skipped : playout_.skipped_segments ())
    state.held.insert (skipped);
  for (const auto &t : downloads_.transfers ())
    state.transfers.push_back (t.second);
  if (relay) {
    GstClockTime whole_http_due = GST_CLOCK_TIME_NONE;
    for (const swarm::PlannedSegment &planned : state.segments) {
      const swarm::Transfer *transfer = downloads_.find (planned.sequence);
      if (transfer && transfer->source == swarm::TransferSource::HTTP)
        whole_http_due = std::min (whole_http_due, planned.deadline);
    }
    plan_relayed (relayed, state.now, state.peers, whole_http_due);
  }

  for (const swarm::Decision &d : swarm::schedule (scheduler_config_, state)) {
    switch (d.kind) {
    case swarm::DecisionKind::FETCH_HTTP:
      GST_DEBUG_ID (
          peer_id_.c_str (), "HTTP %" G_GINT64_FORMAT " (%s)", d.sequence,
          d.reason == swarm::DecisionReason::INJECT ? "inject" : "urgent");
      start_http (d.sequence);
      break;
    case swarm::DecisionKind::REQUEST_PEER:
      GST_DEBUG_ID (peer_id_.c_str (), "request %" G_GINT64_FORMAT " from %s",
                    d.sequence, d.peer_id.c_str ());
      downloads_.start_peer (d.sequence, d.peer_id);
      break;
    case swarm::DecisionKind::CANCEL_PEER: {
      GST_DEBUG_ID (
          peer_id_.c_str (), "cancel %" G_GINT64_FORMAT " from %s (%s)",
          d.sequence, d.peer_id.c_str (),
          d.reason == swarm::DecisionReason::STALLED ? "stalled" : "deadline");
      /* A peer that went silent counts against it whether the stall
       * timeout or the deadline caught it first: with a short HTTP
       * window the deadline usually does, and a peer that stops sending
       * mid-segment would otherwise be asked again and again. */
      const swarm::Transfer *transfer = downloads_.find (d.sequence);
      bool silent = d.reason == swarm::DecisionReason::STALLED
                    || (transfer
                        && state.now >= transfer->last_progress
                                            + config_.p2p_timeout / 2);
      downloads_.cancel_peer (d.sequence, d.peer_id);
      if (silent && swarm_)
        swarm_->note_failure (d.peer_id);
      break;
    }
    }
  }
  update_holdings ();
}

void
ViewerCore::start_http (int64_t sequence)
{
  const hls::MediaSegment *segment = playlists_.find (sequence);
  if (!segment)
    return;
  net::HttpRequest request;
  request.url = hls::resolve_uri (playlists_.media_url (), segment->uri);
  if (segment->byte_range && segment->byte_range->offset) {
    request.range = net::HttpByteRange{ *segment->byte_range->offset,
                                        segment->byte_range->length };
  }
  downloads_.start_http (sequence, std::move (request));
}

void
ViewerCore::update_holdings ()
{
  if (!swarm_)
    return;
  /* Announced anew only when what we hold or load changed. */
  const auto generations
      = std::make_pair (holdings_.generation (), downloads_.http_generation ());
  if (generations == announced_generations_)
    return;
  announced_generations_ = generations;
  std::set<int64_t> loaded;
  for (gint64 seq : holdings_.store ().sequences ())
    loaded.insert (seq);
  swarm_->set_holdings (loaded, downloads_.http_sequences ());
}

void
ViewerCore::on_peer_done (int64_t sequence, const std::string &peer_id,
                          const ChunkedBytes &data)
{
  if (playout_.failed () || sequence < playout_.next_sequence ()
      || holdings_.complete (sequence))
    return;
  const hls::MediaSegment *segment = playlists_.find (sequence);
  /* Only what our playlist lists can be checked and played. */
  if (!segment)
    return;
  const bool checked
      = holdings_.expected (sequence)
            ? holdings_.put_whole (sequence, data, swarm::SegmentSource::PEER,
                                   peer_id)
            : segment->sha256.empty ()
                  || runtime_.hasher.sha256_hex (data) == segment->sha256;
  if (!checked) {
    /* A peer with wrong bytes is never trusted again; the scheduler gets
     * the segment elsewhere. */
    stats_.hash_mismatches++;
    warn ("Segment " + std::to_string (sequence) + " from peer " + peer_id
          + " does not match its hashes: peer banned");
    swarm_->ban (peer_id, "segment hash mismatch");
    request_tick ();
    return;
  }
  GST_DEBUG_ID (peer_id_.c_str (),
                "segment %" G_GINT64_FORMAT " from %s: %" G_GSIZE_FORMAT
                " bytes",
                sequence, peer_id.c_str (), data.size ());
  stats_.peer_bytes += data.size ();
  stats_.peer_segments++;
  holdings_.put_whole (sequence, data, swarm::SegmentSource::PEER, peer_id);
  if (swarm_)
    swarm_->holdings_changed ();
  deliver_ready ();
  schedule_downloads ();
}

void
ViewerCore::fit_http_window (GstClockTime segment_fetch)
{
  const GstClockTime window
      = std::clamp (kWindowFetches * segment_fetch, config_.http_window,
                    config_.http_window + config_.http_window / 2);
  scheduler_config_.http_window = relay_config_.http_window = window;
}

void
ViewerCore::on_http_done (int64_t sequence, net::HttpResult result)
{
  if (playout_.failed ())
    return;
  if (!result.ok ()) {
    /* A live segment that left the window meanwhile is skipped; anything
     * else is an error after the fetcher's retries. */
    const hls::MediaPlaylist *playlist = playlists_.playlist ();
    bool listed = playlist && !playlist->segments.empty ()
                  && sequence >= playlist->segments.front ().sequence;
    if (sequence < playout_.next_sequence () || (playlist && !listed)) {
      warn ("Segment " + std::to_string (sequence)
            + " left the window: " + result.error->message);
      playlists_.forget_departed (sequence);
      deliver_ready ();
      schedule_downloads ();
      return;
    }
    /* Live, a segment the server does not give is skipped, as hlsdemux2
     * does: playback goes on after it as a discontinuity. */
    if (playlists_.live ()) {
      warn ("Segment " + std::to_string (sequence)
            + " skipped: " + result.error->message);
      playout_.skip (sequence);
      deliver_ready ();
      schedule_downloads ();
      return;
    }
    playout_.mark_failed (
        sequence, with_prefix (std::move (result.error),
                               "Segment " + std::to_string (sequence) + ": "));
    deliver_ready ();
    return;
  }
  if (!is_media_content_type (result.content_type)) {
    playout_.mark_failed (
        sequence,
        GErrorPtr (g_error_new (GST_P2P_ERROR, GST_P2P_ERROR_BAD_CONTENT,
                                "Segment %" G_GINT64_FORMAT ": %s "
                                "answered with Content-Type %s, not media",
                                sequence, result.final_url.c_str (),
                                result.content_type.c_str ())));
    deliver_ready ();
    return;
  }
  ChunkedBytes body (result.body.get ());
  const hls::MediaSegment *segment = playlists_.find (sequence);
  stats_.http_bytes += body.size ();
  stats_.http_segments++;
  /* From its first byte: the wait for the answer says little of the
   * throughput, and dominates small segments. */
  count_delivery (sequence, result.bytes, result.download_us * GST_USECOND);
  fit_http_window (result.download_us * GST_USECOND);
  if (sequence >= playout_.next_sequence () && !holdings_.complete (sequence)) {
    /* The origin is trusted: what does not match is kept, with a word. */
    const bool matches
        = holdings_.put_whole (sequence, body, swarm::SegmentSource::HTTP, {});
    if (!matches
        || (segment && !segment->sha256.empty ()
            && runtime_.hasher.sha256_hex (body) != segment->sha256)) {
      warn ("Segment " + std::to_string (sequence)
            + " from HTTP does not match the playlist's hashes");
      holdings_.store ().put (sequence, body, swarm::SegmentSource::HTTP, {},
                              true);
    }
    if (swarm_)
      swarm_->holdings_changed ();
  }
  deliver_ready ();
  schedule_downloads ();
}

void
ViewerCore::deliver_ready ()
{
  playout_.deliver_ready (downloads_.empty ());
  playlists_.set_playhead (playout_.next_sequence ());
}

void
ViewerCore::fail (GErrorPtr error)
{
  downloads_.cancel_all ();
  playout_.fail (std::move (error));
}

void
ViewerCore::warn (const std::string &message)
{
  GST_WARNING_ID (peer_id_.c_str (), "%s", message.c_str ());
  if (events_.warning)
    events_.warning (message);
}

/* ---------------------------------------- segments relayed stripe by stripe */

void
ViewerCore::expect_listed_segments ()
{
  const hls::MediaPlaylist *playlist = playlists_.playlist ();
  bool listed = false;
  for (const hls::MediaSegment &s : playlist->segments) {
    if (!s.chunks || holdings_.expected (s.sequence))
      continue;
    std::vector<Digest> stripe_roots;
    if (!digests_from_hex (s.chunks->stripe_roots, &stripe_roots))
      continue;
    const ChunkLayout layout{ gsize (s.chunks->size), s.chunks->chunk_size,
                              s.chunks->stripes };
    holdings_.expect (s.sequence, layout, stripe_roots);
    GST_DEBUG_ID (peer_id_.c_str (), "segment %" G_GINT64_FORMAT " listed",
                  s.sequence);
    if (swarm_ && swarm_->stripes () != layout.stripes) {
      swarm_->set_stripes (layout.stripes);
      parent_from_.assign (layout.stripes, 0);
      parent_since_.assign (layout.stripes, 0);
      parent_misses_.assign (layout.stripes, 0);
    }
    if (swarm_ && s.duration > 0)
      swarm_->set_stripe_rate (double (layout.size) / layout.stripes
                               / (double (s.duration) / GST_SECOND));
    listed = true;
  }
  if (listed && swarm_)
    swarm_->holdings_changed ();
}

bool
ViewerCore::relaying (const std::vector<swarm::PeerView> &peers) const
{
  /* Relays need a root: someone (the broadcaster's seeder first of all)
   * relaying some stripe; without, segments come whole as before. */
  if (!swarm_ || swarm_->stripes () == 0)
    return false;
  for (guint j = 0; j < swarm_->stripes (); j++)
    if (!swarm_->parent (j).empty ())
      return true;
  for (const swarm::PeerView &p : peers)
    if (p.relays && p.depths)
      for (int64_t d : *p.depths)
        if (d >= 0)
          return true;
  return false;
}

void
ViewerCore::plan_relayed (const std::vector<swarm::PlannedSegment> &segments,
                          GstClockTime now, std::vector<swarm::PeerView> &peers,
                          GstClockTime whole_http_due)
{
  swarm::RelayState state;
  state.now = now;
  state.self_id = peer_id_;
  state.self_relay_id = swarm::relay_id (peer_id_);
  state.self_relay_slots = swarm_->max_children ();
  /* Progress of segments played or gone is forgotten. */
  while (!stripe_progress_.empty ()
         && stripe_progress_.begin ()->first.first < playout_.next_sequence ())
    stripe_progress_.erase (stripe_progress_.begin ());
  state.self_interior = swarm::interior_stripe (peer_id_, swarm_->stripes ());
  state.new_parents = playout_.deadline_origin (now) > now;
  const guint stripes = swarm_->stripes ();
  const int64_t newest = playlists_.next_unlisted () - 1;
  for (guint j = 0; j < stripes; j++)
    state.subscribe_from.push_back (holdings_.received (newest, j) > 0
                                            || holdings_.complete (newest)
                                        ? newest + 1
                                        : newest);
  for (const swarm::PlannedSegment &planned : segments) {
    const ChunkLayout *layout = holdings_.layout (planned.sequence);
    swarm::RelaySegment segment;
    segment.stripes.reserve (layout->stripes);
    segment.sequence = planned.sequence;
    segment.deadline = planned.deadline;
    segment.listed = planned.first_seen;
    for (guint j = 0; j < layout->stripes && j < stripes; j++) {
      auto progress = stripe_progress_.find ({ planned.sequence, j });
      swarm::StripeState stripe{ layout->stripe_begin (j),
                                 layout->stripe_end (j),
                                 holdings_.received (planned.sequence, j) };
      if (progress != stripe_progress_.end ()) {
        const StripeFlow &flow = progress->second;
        stripe.last_bytes = flow.last;
        stripe.rate = double (flow.bytes) * GST_SECOND
                      / double (std::max<GstClockTime> (flow.last - flow.first,
                                                        100 * GST_MSECOND));
      }
      segment.stripes.push_back (stripe);
    }
    GST_LOG_ID (peer_id_.c_str (),
                "relayed %" G_GINT64_FORMAT " due in %.2f s: %" G_GSIZE_FORMAT
                " %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT " %" G_GSIZE_FORMAT,
                planned.sequence,
                (double (planned.deadline) - double (now)) / GST_SECOND,
                holdings_.received (planned.sequence, 0),
                holdings_.received (planned.sequence, 1),
                holdings_.received (planned.sequence, 2),
                holdings_.received (planned.sequence, 3));
    state.segments.push_back (std::move (segment));
  }
  const guint32 relayed = swarm_->relayed_stripes ();
  for (guint j = 0; j < stripes; j++)
    state.relayed_stripes.push_back (relayed >> j & 1);
  for (guint j = 0; j < stripes; j++)
    state.parents.push_back (
        { swarm_->parent (j), parent_from_[j], parent_misses_[j] });
  for (const auto &r : downloads_.ranges ())
    state.ranges.push_back (r.second);
  for (const auto &t : downloads_.transfers ())
    state.http_busy += t.second.source == swarm::TransferSource::HTTP;
  state.whole_http_due = whole_http_due;
  state.peers = std::move (peers);
  GST_LOG_ID (peer_id_.c_str (), "%u HTTP downloads, %zu ranges",
              state.http_busy, state.ranges.size ());
  for (const swarm::Transfer &t : state.ranges)
    GST_LOG_ID (peer_id_.c_str (), "range %" G_GINT64_FORMAT "/%d %s",
                t.sequence, t.stripe, t.peer_id.c_str ());

  for (const swarm::RelayDecision &d :
       swarm::plan_relay (relay_config_, state)) {
    switch (d.kind) {
    case swarm::RelayDecisionKind::SUBSCRIBE:
      GST_DEBUG_ID (peer_id_.c_str (),
                    "stripe %u from %s, segment %" G_GINT64_FORMAT " on",
                    d.stripe, d.peer_id.c_str (), d.sequence);
      if (swarm_->subscribe (d.stripe, d.peer_id, d.sequence)) {
        parent_from_[d.stripe] = d.sequence;
        parent_since_[d.stripe] = now;
        parent_misses_[d.stripe] = 0;
      }
      break;
    case swarm::RelayDecisionKind::UNSUBSCRIBE:
      GST_DEBUG_ID (peer_id_.c_str (),
                    "leaving the parent of stripe %u (misses %u)", d.stripe,
                    parent_misses_[d.stripe]);
      swarm_->unsubscribe (d.stripe);
      break;
    case swarm::RelayDecisionKind::PULL_RANGE:
      GST_DEBUG_ID (peer_id_.c_str (),
                    "range of %" G_GINT64_FORMAT " [%" G_GSIZE_FORMAT
                    ", %" G_GSIZE_FORMAT ") from %s",
                    d.sequence, d.from, d.to, d.peer_id.c_str ());
      downloads_.start_peer_range (d.sequence, d.stripe, d.peer_id, d.from,
                                   d.to);
      break;
    case swarm::RelayDecisionKind::HTTP_RANGE: {
      const bool none_relayed
          = d.from == holdings_.layout (d.sequence)->stripe_begin (d.stripe);
      GST_DEBUG_ID (peer_id_.c_str (),
                    "HTTP range of %" G_GINT64_FORMAT " [%" G_GSIZE_FORMAT
                    ", %" G_GSIZE_FORMAT
                    "), %s of stripe %u; its parent %s since %" G_GINT64_FORMAT,
                    d.sequence, d.from, d.to, none_relayed ? "all" : "the rest",
                    d.stripe, swarm_->parent (d.stripe).c_str (),
                    parent_from_[d.stripe]);
      if (d.sequence >= parent_from_[d.stripe]) {
        /* A miss of the parent's if it had the segment's whole life to
         * bring it and brought none of it (a slow parent that brings most
         * is better than a new one). */
        if (!swarm_->parent (d.stripe).empty () && none_relayed
            && playlists_.first_seen (d.sequence, 0) >= parent_since_[d.stripe])
          parent_misses_[d.stripe]++;
        /* Its uplink goes to its other children instead. */
        swarm_->skip_segment (d.stripe, d.sequence);
      }
      start_http_range (d.sequence, d.stripe, d.from, d.to);
      break;
    }
    case swarm::RelayDecisionKind::CANCEL_RANGE: {
      const auto &ranges = downloads_.ranges ();
      auto it = ranges.find ({ d.sequence, d.stripe });
      if (it != ranges.end ()
          && it->second.source == swarm::TransferSource::PEER)
        swarm_->note_failure (it->second.peer_id);
      downloads_.cancel_range (d.sequence, d.stripe);
      break;
    }
    }
  }
  peers = std::move (state.peers);
}

void
ViewerCore::start_http_range (int64_t sequence, guint stripe, gsize from,
                              gsize to)
{
  const hls::MediaSegment *segment = playlists_.find (sequence);
  if (!segment)
    return;
  net::HttpRequest request;
  request.url = hls::resolve_uri (playlists_.media_url (), segment->uri);
  const guint64 base = segment->byte_range && segment->byte_range->offset
                           ? *segment->byte_range->offset
                           : 0;
  request.range = net::HttpByteRange{ base + from, to - from };
  downloads_.start_http_range (sequence, stripe, from, std::move (request));
}

void
ViewerCore::on_range_http_done (int64_t sequence, guint, gsize from,
                                net::HttpResult result)
{
  if (playout_.failed ())
    return;
  if (!result.ok ()) {
    GST_INFO_ID (peer_id_.c_str (), "range of segment %" G_GINT64_FORMAT ": %s",
                 sequence, result.error->message);
    request_tick ();
    return;
  }
  stats_.http_bytes += g_bytes_get_size (result.body.get ());
  if (holdings_.append (sequence, from, result.body.get (), true)
      == swarm::Holdings::Append::BAD)
    warn ("Bytes of segment " + std::to_string (sequence)
          + " from HTTP do not match the playlist's hashes");
  request_tick ();
}

void
ViewerCore::on_relay_complete (int64_t sequence)
{
  GST_DEBUG_ID (
      peer_id_.c_str (),
      "segment %" G_GINT64_FORMAT " whole, %.2f s after listed", sequence,
      (double (runtime_.clock.now ())
       - double (playlists_.first_seen (sequence, runtime_.clock.now ())))
          / GST_SECOND);
  stats_.peer_segments++;
  /* Uploads and the announcement follow at the next pass. */
  if (swarm_)
    swarm_->holdings_changed ();
  request_tick ();
  deliver_ready ();
}

ViewerStats
ViewerCore::stats () const
{
  ViewerStats stats = stats_;
  if (abr_)
    stats.bandwidth_estimate = abr_->estimate ();
  const PlayoutStats playout = playout_.stats (runtime_.clock.now ());
  stats.stalls = playout.stalls;
  stats.stall_time = playout.stall_time;
  stats.segments_skipped = playout.segments_skipped;
  if (swarm_) {
    swarm::SwarmStats swarm_stats = swarm_->stats ();
    stats.peers = swarm_stats.peers;
    stats.uploaded_bytes = swarm_stats.uploaded_bytes;
    stats.peers_banned = swarm_stats.peers_banned;
    stats.duplicate_bytes = swarm_stats.duplicate_bytes;
    stats.peer_sessions = swarm_stats.peer_sessions;
    stats.peer_connections = swarm_stats.peer_connections;
  }
  return stats;
}

} // namespace p2p::viewer
