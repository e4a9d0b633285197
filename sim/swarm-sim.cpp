/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "swarm-sim.h"

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cmath>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "gst/p2p/broadcaster/broadcaster-core.h"
#include "gst/p2p/common/random.h"
#include "gst/p2p/packaging/live-publisher.h"
#include "gst/p2p/runtime/runtime.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/p2p/viewer/viewer-core.h"
#include "sim/broadcaster.h"
#include "sim/host-runtime.h"
#include "sim/memo-hasher.h"
#include "sim/origin.h"
#include "sim/tracker.h"

namespace p2p::sim {

double
Totals::other_packets_per_second () const
{
  if (watched_seconds <= 0)
    return 0;
  const double data_packets = double (uploaded_bytes) / wire::kSctpPayload;
  return std::max (0.0, double (uplink_packets) - data_packets)
         / watched_seconds;
}

namespace {

/* Segments published before the first viewer joins (the bench waits for
 * four). */
constexpr int kPrerollSegments = 4;
/* Latency is sampled once playback has settled. */
constexpr GstClockTime kLatencySettle = 2 * GST_SECOND;

double
median (std::vector<double> values)
{
  if (values.empty ())
    return 0;
  std::sort (values.begin (), values.end ());
  const size_t n = values.size ();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

/* Plays a viewer's items in real (virtual) time, as a pipeline with a
 * synchronised sink would: a segment starts playing when it is there and
 * the one before has played; playback taking a segment makes room for
 * more read-ahead, as the element's pop () does. */
class Player : public viewer::ViewerOutput
{
public:
  Player (EventLoop &loop, GstClockTime joined, GstClockTime stream_start,
          GstClockTime segment_duration)
      : loop_ (loop), joined_ (joined), stream_start_ (stream_start),
        segment_duration_ (segment_duration)
  {
  }
  ~Player () override
  {
    for (TimerId id : timers_)
      loop_.cancel (id);
  }

  void
  set_consumed (std::function<void ()> consumed)
  {
    consumed_ = std::move (consumed);
  }

  void
  push (viewer::ViewerItem item) override
  {
    if (item.kind != viewer::ViewerItem::Kind::SEGMENT)
      return;
    const GstClockTime now = loop_.now ();
    if (item.sequence != current_) {
      current_ = item.sequence;
      if (first_play_ == GST_CLOCK_TIME_NONE)
        first_play_ = next_play_ = now;
      current_start_ = std::max (now, next_play_);
      const double latency
          = (double (current_start_)
             - double (stream_start_ + item.sequence * segment_duration_))
            / GST_SECOND;
      if (current_start_ >= first_play_ + kLatencySettle)
        latencies_.push_back (latency);
    }
    if (item.partial)
      return;
    played_++;
    next_play_ = current_start_ + item.duration;
    starts_.push_back (current_start_);
    /* Playback takes the segment when it starts playing it. */
    timers_.push_back (loop_.call_later (current_start_ - now, [this] {
      timers_.pop_front ();
      if (consumed_)
        consumed_ ();
    }));
  }

  size_t
  pending_segments () const override
  {
    const GstClockTime now = loop_.now ();
    while (!starts_.empty () && starts_.front () <= now)
      starts_.pop_front ();
    return starts_.size ();
  }

  double
  startup_s () const
  {
    return first_play_ == GST_CLOCK_TIME_NONE
               ? -1
               : double (first_play_ - joined_) / GST_SECOND;
  }
  double
  latency_s () const
  {
    return latencies_.empty () ? -1 : median (latencies_);
  }
  guint64
  played () const
  {
    return played_;
  }

private:
  EventLoop &loop_;
  const GstClockTime joined_;
  const GstClockTime stream_start_;
  const GstClockTime segment_duration_;
  std::function<void ()> consumed_;
  int64_t current_ = -1;
  GstClockTime first_play_ = GST_CLOCK_TIME_NONE;
  GstClockTime current_start_ = 0;
  GstClockTime next_play_ = 0;
  mutable std::deque<GstClockTime> starts_;
  std::deque<TimerId> timers_;
  std::vector<double> latencies_;
  guint64 played_ = 0;
};

struct SimViewer
{
  SimViewer (Network &network, Host &host, Origin &origin, Tracker &tracker,
             Hasher &hasher, guint64 seed, viewer::ViewerConfig config,
             GstClockTime stream_start, GstClockTime segment_duration,
             std::function<void (int64_t sequence)> segment_whole)
      : host (host), runtime (network, host, origin, tracker, hasher, seed),
        player (network.loop (), network.loop ().now (), stream_start,
                segment_duration)
  {
    viewer::ViewerCore::Events events;
    events.segment_whole = std::move (segment_whole);
    core = std::make_unique<viewer::ViewerCore> (
        runtime.runtime, std::move (config), player, std::move (events));
    player.set_consumed ([this] { core->output_consumed (); });
    core->start ();
  }

  ~SimViewer ()
  {
    /* The core goes first: its channels and fetches use the runtime. */
    core.reset ();
  }

  Host &host;
  HostRuntime runtime;
  Player player;
  std::unique_ptr<viewer::ViewerCore> core;
  ViewerRecord record;
};

/* The bench's link mix (tests/bench/swarm-bench.py make_viewers), drawn
 * in this order. */
LinkSpec
draw_link (Random &random, double scale)
{
  static const double losses[] = { 0, 0, 0, 0.001, 0.005 };
  const double rtt_ms = 20 + 60 * random.uniform ();
  const double loss = losses[random.range (0, 5)];
  const double down_mbit = (5 + 45 * random.uniform ()) * scale;
  const double up_mbit = (1 + 9 * random.uniform ()) * scale;
  return bench_link (rtt_ms, loss, down_mbit, up_mbit);
}

} // namespace

LinkSpec
bench_link (double rtt_ms, double loss, double down_mbit, double up_mbit)
{
  LinkSpec link;
  link.delay = GstClockTime ((rtt_ms / 2 - double (kOriginDelay) / GST_MSECOND)
                             * GST_MSECOND);
  link.loss = loss;
  link.down_bytes_per_s = down_mbit * 1e6 / 8;
  link.up_bytes_per_s = up_mbit * 1e6 / 8;
  return link;
}

Totals
Totals::operator- (const Totals &earlier) const
{
  Totals d;
  d.segment_bytes = segment_bytes - earlier.segment_bytes;
  d.http_segment_bytes = http_segment_bytes - earlier.http_segment_bytes;
  d.seeder_bytes = seeder_bytes - earlier.seeder_bytes;
  d.received_bytes = received_bytes - earlier.received_bytes;
  d.peer_bytes = peer_bytes - earlier.peer_bytes;
  d.stalls = stalls - earlier.stalls;
  d.stall_seconds = stall_seconds - earlier.stall_seconds;
  d.uploaded_bytes = uploaded_bytes - earlier.uploaded_bytes;
  d.uplink_capacity_bytes
      = uplink_capacity_bytes - earlier.uplink_capacity_bytes;
  d.uplink_packets = uplink_packets - earlier.uplink_packets;
  d.watched_seconds = watched_seconds - earlier.watched_seconds;
  return d;
}

double
Totals::offload () const
{
  if (!received_bytes)
    return 0;
  return std::max (0.0, (double (peer_bytes) - double (seeder_bytes))
                            / double (received_bytes));
}

double
Totals::http_copies_per_segment () const
{
  return segment_bytes ? double (http_segment_bytes) / double (segment_bytes)
                       : 0;
}

double
Totals::origin_copies_per_segment () const
{
  return segment_bytes ? double (http_segment_bytes + seeder_bytes)
                             / double (segment_bytes)
                       : 0;
}

double
Totals::uplink_supply () const
{
  return received_bytes ? uplink_capacity_bytes / double (received_bytes) : 0;
}

double
Totals::uplink_use () const
{
  return uplink_capacity_bytes > 0
             ? double (uploaded_bytes) / uplink_capacity_bytes
             : 0;
}

namespace {

class Simulation
{
public:
  explicit Simulation (const SimConfig &config)
      : config_ (config), network_ (loop_), draws_ (config.seed), hasher_ (1024)
  {
    network_.set_wire_costs (config.wire_costs);
    LinkSpec origin_link;
    origin_link.up_bytes_per_s = origin_link.down_bytes_per_s
        = config.origin_bytes_per_s * config.rate_scale;
    origin_link.delay = kOriginDelay;
    Host &origin_host = network_.add_host (origin_link);
    Host &tracker_host = network_.add_host (origin_link);
    origin_ = std::make_unique<Origin> (network_, origin_host);
    tracker_ = std::make_unique<Tracker> (network_, tracker_host,
                                          tracker::ShardLimits (), config.seed);
    url_ = std::string (Origin::kBaseUrl) + "/playlist.m3u8";
    const std::string stream_swarm_id = swarm::stream_swarm_id (
        swarm::swarm_id_from_manifest_url (url_), swarm::StreamType::MAIN,
        swarm::stream_short_id (
            swarm::stream_attributes_for_media_playlist ()));
    SimBroadcaster::Config bc;
    bc.segment_duration = config.segment_duration;
    bc.segment_bytes = gsize (config.bitrate_kbps * config.rate_scale * 1000 / 8
                              * double (config.segment_duration) / GST_SECOND);
    bc.seed = config.seed;
    bc.stream_swarm_id = stream_swarm_id;
    bc.seeder_peers = config.seeder_peers;
    bc.viewers_per_copy = config.viewers_per_copy;
    broadcaster_ = std::make_unique<SimBroadcaster> (
        network_, origin_host, *origin_, *tracker_, hasher_, bc);
  }

  ~Simulation ()
  {
    viewers_.clear ();
    broadcaster_.reset ();
    tracker_.reset ();
    origin_.reset ();
  }

  SimResult run ();
  const EventLoop &
  loop () const
  {
    return loop_;
  }

private:
  void join (int index);
  void leave (int index);
  void schedule_churn ();
  void finish_record (SimViewer &viewer);
  /* Segment @sequence is whole at a viewer that joined at @joined. */
  void count_whole (GstClockTime joined, int64_t sequence);
  /* @since_last: the figures since the last progress line. */
  void report_progress (std::chrono::steady_clock::time_point wall_start,
                        const Totals &since_last);
  /* From the start of the run to now. */
  Totals totals () const;

  const SimConfig config_;
  EventLoop loop_;
  Network network_;
  Random draws_;
  MemoHasher hasher_;
  std::unique_ptr<Origin> origin_;
  std::unique_ptr<Tracker> tracker_;
  std::unique_ptr<SimBroadcaster> broadcaster_;
  std::string url_;
  std::map<int, std::unique_ptr<SimViewer>> viewers_;
  std::vector<ViewerRecord> records_;
  int next_index_ = 0;
  GstClockTime end_ = 0;
  /* The steady part starts then; segments published from then on count in
   * whole_after_s_. */
  GstClockTime steady_from_ = GST_CLOCK_TIME_NONE;
  std::vector<double> whole_after_s_;
};

void
Simulation::join (int index)
{
  const PlannedViewer *plan = size_t (index) < config_.planned.size ()
                                  ? &config_.planned[size_t (index)]
                                  : nullptr;
  LinkSpec link = plan ? plan->link : draw_link (draws_, config_.rate_scale);
  link.up_bytes_per_s *= config_.uplink_scale;
  /* One viewer in 1/upload_off has upload off, as the bench's i % 5 == 4. */
  const bool upload = plan ? plan->upload
                           : std::floor ((index + 1) * config_.upload_off)
                                 == std::floor (index * config_.upload_off);
  Host &host = network_.add_host (link);
  viewer::ViewerConfig vc;
  vc.url = url_;
  vc.trackers = { Tracker::kUrl };
  vc.live_delay_segments = config_.live_delay;
  vc.startup_wait = config_.startup_wait;
  vc.http_window = config_.http_window;
  vc.upload = upload;
  vc.max_upload_rate = guint64 (config_.pace_uplinks * link.up_bytes_per_s);
  vc.stats_interval = 0;
  const GstClockTime joined = loop_.now ();
  auto viewer = std::make_unique<SimViewer> (
      network_, host, *origin_, *tracker_, hasher_,
      config_.seed * 1000003 + guint64 (index), vc,
      broadcaster_->stream_start (), config_.segment_duration,
      [this, joined] (int64_t sequence) { count_whole (joined, sequence); });
  viewer->record.name = "v" + std::to_string (index);
  viewer->record.link = link;
  viewer->record.upload = upload;
  viewer->record.joined = joined;
  viewers_[index] = std::move (viewer);
}

void
Simulation::count_whole (GstClockTime joined, int64_t sequence)
{
  /* Segments every viewer has had time to play by the end: the copies of
   * later ones are not all in. */
  const GstClockTime horizon
      = (config_.live_delay + 2) * config_.segment_duration;
  const GstClockTime published = broadcaster_->published_at (sequence);
  if (published == GST_CLOCK_TIME_NONE || published < steady_from_
      || published + horizon > end_ || joined > published)
    return;
  whole_after_s_.push_back (double (loop_.now () - published) / GST_SECOND);
}

void
Simulation::finish_record (SimViewer &viewer)
{
  ViewerRecord &r = viewer.record;
  const viewer::ViewerStats s = viewer.core->stats ();
  r.left = loop_.now ();
  r.http_bytes = s.http_bytes;
  r.peer_bytes = s.peer_bytes;
  r.uploaded_bytes = s.uploaded_bytes;
  r.duplicate_bytes = s.duplicate_bytes;
  r.uplink_packets = viewer.host.uplink_packets ();
  r.passes = s.passes;
  r.peer_sessions = s.peer_sessions;
  r.peer_connections = s.peer_connections;
  r.stalls = s.stalls;
  r.stall_seconds = double (s.stall_time) / GST_SECOND;
  r.startup_s = viewer.player.startup_s ();
  r.latency_s = viewer.player.latency_s ();
  r.segments_played = viewer.player.played ();
  records_.push_back (r);
}

void
Simulation::leave (int index)
{
  auto it = viewers_.find (index);
  if (it == viewers_.end ())
    return;
  finish_record (*it->second);
  Host &host = it->second->host;
  viewers_.erase (it);
  network_.remove_host (host);
}

void
Simulation::schedule_churn ()
{
  if (config_.churn <= 0 || config_.audience () <= 0)
    return;
  /* Departures form a Poisson process; each is replaced at once. */
  const double per_second = config_.churn * config_.audience () / 60.0;
  const double wait = -std::log (1 - draws_.uniform ()) / per_second;
  loop_.call_later (GstClockTime (wait * GST_SECOND), [this] {
    if (loop_.now () >= end_)
      return;
    if (!viewers_.empty ()) {
      auto it = viewers_.begin ();
      std::advance (it, draws_.range (0, gint64 (viewers_.size ())));
      leave (it->first);
      join (next_index_++);
    }
    schedule_churn ();
  });
}

Totals
Simulation::totals () const
{
  Totals t;
  t.segment_bytes = broadcaster_->published_bytes ();
  t.http_segment_bytes = origin_->stats ().segment_bytes;
  t.seeder_bytes = broadcaster_->seeder_bytes ();
  auto add
      = [&t] (const ViewerRecord &session, GstClockTime until, guint64 http,
              guint64 peer, guint64 uploaded, guint64 uplink_packets,
              guint64 stalls, double stall_seconds) {
          const double watched = double (until - session.joined) / GST_SECOND;
          t.uplink_packets += uplink_packets;
          t.watched_seconds += watched;
          t.received_bytes += http + peer;
          t.peer_bytes += peer;
          t.stalls += stalls;
          t.stall_seconds += stall_seconds;
          if (session.upload) {
            t.uploaded_bytes += uploaded;
            t.uplink_capacity_bytes += session.link.up_bytes_per_s * watched;
          }
        };
  for (const ViewerRecord &r : records_)
    add (r, r.left, r.http_bytes, r.peer_bytes, r.uploaded_bytes,
         r.uplink_packets, r.stalls, r.stall_seconds);
  for (const auto &v : viewers_) {
    const viewer::ViewerStats s = v.second->core->stats ();
    add (v.second->record, loop_.now (), s.http_bytes, s.peer_bytes,
         s.uploaded_bytes, v.second->host.uplink_packets (), s.stalls,
         double (s.stall_time) / GST_SECOND);
  }
  return t;
}

void
Simulation::report_progress (std::chrono::steady_clock::time_point wall_start,
                             const Totals &since_last)
{
  const double wall = std::chrono::duration<double> (
                          std::chrono::steady_clock::now () - wall_start)
                          .count ();
  g_printerr (
      "sim: %.0f s virtual, %.1f s wall, %" G_GUINT64_FORMAT
      " events (%zu queued), %zu viewers, offload since the last line "
      "%.1f %%\n",
      double (
          loop_.now ()
          - (end_ - GstClockTime (config_.segments) * config_.segment_duration))
          / GST_SECOND,
      wall, loop_.events_run (), loop_.pending (), viewers_.size (),
      100 * since_last.offload ());
}

SimResult
Simulation::run ()
{
  const auto wall_start = std::chrono::steady_clock::now ();
  const GstClockTime duration
      = GstClockTime (config_.segments) * config_.segment_duration;

  broadcaster_->start ();
  loop_.run_until (loop_.now ()
                   + (kPrerollSegments - 1) * config_.segment_duration
                   + GST_MSECOND);
  const GstClockTime begin = loop_.now ();
  end_ = begin + duration;

  GstClockTime joins_end
      = GstClockTime (config_.join_spread * double (duration));
  if (!config_.planned.empty ()) {
    joins_end = 0;
    for (const PlannedViewer &plan : config_.planned)
      if (!plan.sessions.empty ())
        joins_end = std::max (joins_end, plan.sessions.front ().first);
  }
  const GstClockTime warm_up = config_.warm_up != GST_CLOCK_TIME_NONE
                                   ? config_.warm_up
                                   : joins_end + 20 * GST_SECOND;

  /* A real run's viewers join, leave and come back when they did. */
  for (const PlannedViewer &plan : config_.planned) {
    const int index = next_index_++;
    for (const auto &[start, stop] : plan.sessions) {
      loop_.call_later (start, [this, index] { join (index); });
      if (stop < duration)
        loop_.call_later (stop, [this, index] { leave (index); });
    }
  }
  /* Otherwise joins spread over the first part of the run, in a drawn
   * order. */
  const int drawn = config_.planned.empty () ? config_.viewers : 0;
  for (int i = 0; i < drawn; i++) {
    const GstClockTime at = GstClockTime (
        draws_.uniform () * config_.join_spread * double (duration));
    const int index = next_index_++;
    loop_.call_later (at, [this, index] { join (index); });
    if (config_.bench_schedule && index % 5 == 2
        && duration >= 30 * GST_SECOND) {
      const double away = 0.45 + 0.1 * draws_.uniform ();
      const double back = away + 0.08 + 0.04 * draws_.uniform ();
      loop_.call_later (GstClockTime (away * double (duration)),
                        [this, index] { leave (index); });
      loop_.call_later (GstClockTime (back * double (duration)),
                        [this, index] { join (index); });
    }
  }
  schedule_churn ();

  steady_from_ = begin + warm_up;
  std::optional<Totals> before_steady;
  SimResult result;
  /* The loop stops at each of these to take the figures; the events run
   * the same whether it stops or not. */
  auto first_after = [this, begin] (int every_s) {
    return every_s > 0 ? begin + GstClockTime (every_s) * GST_SECOND : end_;
  };
  GstClockTime next_progress = first_after (config_.progress_every_s);
  GstClockTime next_window = first_after (config_.window_s);
  /* The first window also counts the segments published before the
   * first join, as the whole run does. */
  Totals window_start, progress_start;
  for (GstClockTime t = begin; t < end_;) {
    t = std::min ({ end_, next_progress, next_window });
    if (!before_steady && steady_from_ < t) {
      loop_.run_until (steady_from_);
      before_steady = totals ();
    }
    loop_.run_until (t);
    const bool window_ends
        = config_.window_s > 0 && (t == next_window || t == end_);
    const bool progress_due = t == next_progress && t < end_;
    if (!window_ends && !progress_due)
      continue;
    const Totals now = totals ();
    if (window_ends) {
      result.windows.push_back (now - window_start);
      window_start = now;
      next_window += GstClockTime (config_.window_s) * GST_SECOND;
    }
    if (progress_due) {
      report_progress (wall_start, now - progress_start);
      progress_start = now;
      next_progress += GstClockTime (config_.progress_every_s) * GST_SECOND;
    }
  }

  const Totals whole = totals ();
  if (before_steady) {
    result.steady_from_s = double (warm_up) / GST_SECOND;
    result.steady = whole - *before_steady;
  }
  result.whole_after_s = std::move (whole_after_s_);
  std::sort (result.whole_after_s.begin (), result.whole_after_s.end ());
  for (auto &v : viewers_)
    finish_record (*v.second);

  result.viewers = config_.audience ();
  result.sessions = int (records_.size ());
  result.segments = broadcaster_->published ();
  result.whole = whole;
  result.http_playlist_bytes = origin_->stats ().playlist_bytes;
  std::vector<double> startups, latencies;
  for (const ViewerRecord &r : records_) {
    result.passes += r.passes;
    result.peer_sessions += r.peer_sessions;
    result.peer_connections += r.peer_connections;
    result.viewer_minutes += double (r.left - r.joined) / GST_SECOND / 60;
    if (r.startup_s >= 0)
      startups.push_back (r.startup_s);
    if (r.latency_s >= 0)
      latencies.push_back (r.latency_s);
  }
  result.startup_median_s = median (startups);
  result.latency_median_s = median (latencies);
  result.events = loop_.events_run ();
  result.tracker_announces = tracker_->announces ();
  result.virtual_seconds = double (duration) / GST_SECOND;
  result.per_viewer = records_;
  viewers_.clear ();
  result.wall_seconds = std::chrono::duration<double> (
                            std::chrono::steady_clock::now () - wall_start)
                            .count ();
  return result;
}

/* With GST_DEBUG set, engine logs carry the virtual time, not the wall
 * clock's. */
const EventLoop *logging_loop = nullptr;

void
log_in_virtual_time (GstDebugCategory *category, GstDebugLevel level,
                     const gchar *file, const gchar *function, gint line,
                     GObject *, GstDebugMessage *message, gpointer) noexcept
{
  if (!logging_loop || level > gst_debug_category_get_threshold (category))
    return;
  /* Engine objects log with their peer id, whose last 12 characters are
   * its random part. */
  const gchar *id = gst_debug_message_get_id (message);
  const size_t id_length = id ? strlen (id) : 0;
  g_printerr ("%10.3f %-7s %-14s %s %s:%d:%s: %s\n",
              double (logging_loop->now ()) / GST_SECOND,
              gst_debug_level_get_name (level),
              gst_debug_category_get_name (category),
              id_length > 12 ? id + id_length - 12 : (id ? id : "-"), file,
              line, function, gst_debug_message_get (message));
}

} // namespace

SimResult
run_swarm (const SimConfig &config)
{
  Simulation simulation (config);
  const bool logging = g_getenv ("GST_DEBUG") != nullptr;
  if (logging) {
    logging_loop = &simulation.loop ();
    gst_debug_remove_log_function (gst_debug_log_default);
    gst_debug_add_log_function (log_in_virtual_time, nullptr, nullptr);
  }
  SimResult result = simulation.run ();
  if (logging) {
    gst_debug_remove_log_function (log_in_virtual_time);
    gst_debug_add_log_function (gst_debug_log_default, nullptr, nullptr);
    logging_loop = nullptr;
  }
  return result;
}

} // namespace p2p::sim
