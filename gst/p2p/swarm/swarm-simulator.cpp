/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "swarm-simulator.h"

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <string>

namespace p2p::swarm {

namespace {

constexpr int kHttp = -1;
constexpr int kSeeder = -2;
/* As the viewer: segments planned ahead of the playhead, and the recent
 * segments announced to peers (P2P Media Loader announces a window). */
constexpr int kPlannedAhead = 6;
constexpr int kAnnouncedWindow = 8;

struct SimTransfer
{
  Transfer transfer;
  int uploader = kHttp;
  GstClockTime first_byte_at = 0;
  double bytes = 0;
};

struct ViewerState
{
  std::string id;
  bool joined = false;
  int64_t start = -1; /* first segment played */
  GstClockTime playback_start = GST_CLOCK_TIME_NONE;
  GstClockTime poll_lag = 0;
  bool seeder_connected = false;
  bool stalling = false;
  std::set<int64_t> held;
  std::map<int64_t, GstClockTime> first_seen;
  std::vector<SimTransfer> transfers;
  std::map<int, double> throughput; /* by uploader */
  /* Uploaders that turned a request down, busy until when */
  std::map<int, GstClockTime> busy_until;
};

struct Announcement
{
  std::set<int64_t> held, loading_by_http;
};

std::string
viewer_id (int index)
{
  /* 20 bytes, like a real peer id. */
  std::string n = std::to_string (index);
  return "-GP0100-sim" + std::string (9 - n.size (), '0') + n;
}

class Simulation
{
public:
  Simulation (const SimConfig &config, const std::vector<SimViewer> &specs)
      : config_ (config), specs_ (specs), states_ (specs.size ())
  {
    std::mt19937_64 rng (config.seed);
    for (size_t i = 0; i < specs.size (); i++) {
      states_[i].id = viewer_id (int (i));
      /* Playlist reloads are not in phase with publication. */
      states_[i].poll_lag = rng () % config.segment_duration + specs[i].rtt;
    }
    /* Viewers join once the live-delay's worth of segments exists. */
    epoch_ = (config.live_delay_segments + 1) * config.segment_duration;
  }

  SimResult
  run ()
  {
    const GstClockTime end
        = epoch_ + config_.segments * config_.segment_duration;
    for (now_ = 0; now_ < end; now_ += config_.tick) {
      advance_transfers ();
      record_announcements ();
      for (size_t i = 0; i < states_.size (); i++)
        step_viewer (int (i));
    }
    result_.published = int (published_count (end));
    return result_;
  }

private:
  int64_t
  published_count (GstClockTime at) const
  {
    return int64_t (at / config_.segment_duration);
  }

  GstClockTime
  published_at (int64_t sequence) const
  {
    return GstClockTime (sequence + 1) * config_.segment_duration;
  }

  GstClockTime
  deadline (const ViewerState &v, int64_t sequence) const
  {
    if (!GST_CLOCK_TIME_IS_VALID (v.playback_start))
      return now_;
    return v.playback_start
           + GstClockTime (sequence - v.start) * config_.segment_duration;
  }

  int
  uploads_of (int uploader) const
  {
    int n = 0;
    for (const ViewerState &v : states_)
      for (const SimTransfer &t : v.transfers)
        n += t.uploader == uploader;
    return n;
  }

  void
  advance_transfers ()
  {
    std::map<int, int> uploads;
    for (const ViewerState &v : states_)
      for (const SimTransfer &t : v.transfers)
        if (now_ >= t.first_byte_at)
          uploads[t.uploader]++;

    const double dt = double (config_.tick) / GST_SECOND;
    for (size_t i = 0; i < states_.size (); i++) {
      ViewerState &v = states_[i];
      int downloads = 0;
      for (const SimTransfer &t : v.transfers)
        downloads += now_ >= t.first_byte_at;
      for (auto it = v.transfers.begin (); it != v.transfers.end ();) {
        SimTransfer &t = *it;
        if (now_ < t.first_byte_at) {
          ++it;
          continue;
        }
        double rate = specs_[i].down_bytes_per_s / downloads;
        if (t.uploader == kSeeder)
          rate = std::min (rate, config_.seeder_bytes_per_s / uploads[kSeeder]);
        else if (t.uploader >= 0)
          rate = std::min (rate, specs_[t.uploader].up_bytes_per_s
                                     / uploads[t.uploader]);
        const double before = t.bytes;
        t.bytes
            = std::min (double (config_.segment_bytes), t.bytes + rate * dt);
        account (t.uploader, guint64 (t.bytes) - guint64 (before));
        if (!t.transfer.first_bytes)
          t.transfer.first_bytes = now_;
        t.transfer.bytes_received = guint64 (t.bytes);
        t.transfer.bytes_total = config_.segment_bytes;
        t.transfer.last_progress = now_;
        if (t.bytes >= double (config_.segment_bytes)) {
          v.held.insert (t.transfer.sequence);
          if (t.uploader != kHttp)
            v.throughput[t.uploader]
                = double (config_.segment_bytes) * GST_SECOND
                  / double (now_ + config_.tick - t.transfer.first_bytes);
          it = v.transfers.erase (it);
          continue;
        }
        ++it;
      }
    }
  }

  void
  account (int uploader, guint64 bytes)
  {
    if (uploader == kHttp)
      result_.http_bytes += bytes;
    else if (uploader == kSeeder)
      result_.seeder_bytes += bytes;
    else
      result_.viewer_bytes += bytes;
  }

  void
  record_announcements ()
  {
    const int64_t oldest = published_count (now_) - kAnnouncedWindow;
    std::vector<Announcement> current (states_.size () + 1);
    for (size_t i = 0; i < states_.size (); i++) {
      if (!states_[i].joined || !specs_[i].upload)
        continue;
      const std::set<int64_t> &held = states_[i].held;
      current[i].held.insert (held.lower_bound (oldest), held.end ());
      for (const SimTransfer &t : states_[i].transfers)
        if (t.uploader == kHttp)
          current[i].loading_by_http.insert (t.transfer.sequence);
    }
    for (int64_t s = std::max<int64_t> (0, oldest); s < published_count (now_);
         s++)
      current.back ().held.insert (s);
    history_.push_back (std::move (current));
    if (history_.size () > config_.announce_delay / config_.tick + 1)
      history_.pop_front ();
  }

  void
  join (int i)
  {
    ViewerState &v = states_[i];
    v.joined = true;
    int with_seeder = 0;
    for (const ViewerState &other : states_)
      with_seeder += other.seeder_connected;
    v.seeder_connected
        = config_.seeder_bytes_per_s > 0
          && (config_.seeder_peers == 0 || with_seeder < config_.seeder_peers);
    const int64_t count = published_count (now_ - v.poll_lag);
    v.start = std::max<int64_t> (0, count - config_.live_delay_segments);
  }

  /* Playback: a segment not held when its time comes is a stall, and
   * playback waits for it, moving every later deadline. */
  void
  play (int i)
  {
    ViewerState &v = states_[i];
    if (!GST_CLOCK_TIME_IS_VALID (v.playback_start)) {
      if (v.held.count (v.start))
        v.playback_start = now_;
      return;
    }
    const int64_t playing
        = v.start
          + int64_t ((now_ - v.playback_start) / config_.segment_duration);
    if (v.held.count (playing) || playing >= published_count (now_)) {
      v.stalling = false;
      return;
    }
    if (!v.stalling)
      result_.stalls++;
    v.stalling = true;
    v.playback_start += config_.tick;
  }

  int64_t
  playhead (const ViewerState &v) const
  {
    if (!GST_CLOCK_TIME_IS_VALID (v.playback_start))
      return v.start;
    return v.start
           + int64_t ((now_ - v.playback_start) / config_.segment_duration);
  }

  void
  step_viewer (int i)
  {
    ViewerState &v = states_[i];
    if (!v.joined) {
      if (now_ < epoch_ + specs_[i].join)
        return;
      join (i);
    }
    play (i);

    SchedulerState state;
    state.now = now_;
    state.self_id = v.id;
    /* The viewer reloads its playlist on schedule, and at once when a
     * peer (the seeder first) announces a segment beyond it. */
    const std::vector<Announcement> &seen = history_.front ();
    int64_t visible = published_count (now_ - std::min (now_, v.poll_lag));
    for (size_t j = 0; j < seen.size (); j++) {
      const bool connected = j < states_.size ()
                                 ? int (j) != i && states_[j].joined
                                 : v.seeder_connected;
      if (connected && !seen[j].held.empty ())
        visible = std::max (visible, *seen[j].held.rbegin () + 1);
    }
    const int64_t from = playhead (v);
    for (int64_t s = from; s < visible && s < from + kPlannedAhead; s++) {
      auto seen = v.first_seen.emplace (s, now_).first;
      state.segments.push_back ({ s, deadline (v, s), seen->second });
    }
    state.held = v.held;
    for (const SimTransfer &t : v.transfers)
      state.transfers.push_back (t.transfer);
    for (size_t j = 0; j < states_.size (); j++) {
      if (int (j) == i || !states_[j].joined)
        continue;
      state.peers.push_back (peer_view (v, states_[j].id, seen[j], int (j)));
    }
    if (v.seeder_connected) {
      PeerView seeder
          = peer_view (v, "-GS0100-simseeder00", seen.back (), kSeeder);
      seeder.seeder = true;
      state.peers.push_back (seeder);
    }

    SchedulerConfig sc = config_.scheduler;
    sc.upload = specs_[i].upload;
    for (const Decision &d : schedule (sc, state))
      apply (i, d);
  }

  PeerView
  peer_view (const ViewerState &v, const std::string &id, const Announcement &a,
             int index) const
  {
    PeerView p;
    p.id = id;
    p.announced = a.held;
    p.loading_by_http = a.loading_by_http;
    auto busy = v.busy_until.find (index);
    p.busy = busy != v.busy_until.end () && busy->second > now_;
    auto measured = v.throughput.find (index);
    p.throughput = measured == v.throughput.end () ? 0 : measured->second;
    return p;
  }

  int
  uploader_index (const std::string &id) const
  {
    for (size_t j = 0; j < states_.size (); j++)
      if (states_[j].id == id)
        return int (j);
    return kSeeder;
  }

  void
  apply (int i, const Decision &d)
  {
    ViewerState &v = states_[i];
    if (d.kind == DecisionKind::CANCEL_PEER) {
      v.transfers.erase (
          std::remove_if (v.transfers.begin (), v.transfers.end (),
                          [&d] (const SimTransfer &t) {
                            return t.transfer.sequence == d.sequence;
                          }),
          v.transfers.end ());
      return;
    }
    SimTransfer t;
    t.transfer.sequence = d.sequence;
    t.transfer.started = now_;
    t.transfer.last_progress = now_;
    t.first_byte_at = now_ + specs_[i].rtt;
    if (d.kind == DecisionKind::REQUEST_PEER) {
      t.uploader = uploader_index (d.peer_id);
      t.transfer.source = TransferSource::PEER;
      t.transfer.peer_id = d.peer_id;
      /* A request and the first chunk cross both peers' paths. */
      if (t.uploader >= 0)
        t.first_byte_at += specs_[t.uploader].rtt / 2;
      const int limit = t.uploader == kSeeder ? config_.seeder_max_uploads
                                              : config_.max_uploads;
      if (limit && uploads_of (t.uploader) >= limit) {
        v.busy_until[t.uploader]
            = now_ + specs_[i].rtt + config_.refusal_cooldown;
        return;
      }
    }
    v.transfers.push_back (t);
  }

  const SimConfig &config_;
  const std::vector<SimViewer> &specs_;
  std::vector<ViewerState> states_;
  /* Announcements per tick, oldest first; the last entry is the seeder. */
  std::deque<std::vector<Announcement>> history_;
  GstClockTime epoch_ = 0;
  GstClockTime now_ = 0;
  SimResult result_;
};

} // namespace

double
SimResult::offload () const
{
  const guint64 all = http_bytes + seeder_bytes + viewer_bytes;
  return all ? double (viewer_bytes) / double (all) : 0;
}

double
SimResult::http_copies_per_segment (guint64 segment_bytes) const
{
  return published ? double (http_bytes) / double (segment_bytes) / published
                   : 0;
}

double
SimResult::origin_copies_per_segment (guint64 segment_bytes) const
{
  return published ? double (http_bytes + seeder_bytes) / double (segment_bytes)
                         / published
                   : 0;
}

SimResult
simulate_swarm (const SimConfig &config, const std::vector<SimViewer> &viewers)
{
  return Simulation (config, viewers).run ();
}

std::vector<SimViewer>
bench_viewer_mix (int count, GstClockTime run, guint64 seed)
{
  std::mt19937_64 rng (seed);
  auto uniform = [&rng] (double lo, double hi) {
    return lo + (hi - lo) * double (rng () >> 11) / double (1ull << 53);
  };
  std::vector<SimViewer> viewers (count);
  for (int i = 0; i < count; i++) {
    SimViewer &v = viewers[i];
    v.rtt = GstClockTime (uniform (20, 80) * GST_MSECOND);
    v.down_bytes_per_s = uniform (5, 50) * 1e6 / 8;
    v.up_bytes_per_s = uniform (1, 10) * 1e6 / 8;
    v.upload = i % 5 != 4;
    v.join = GstClockTime (uniform (0, 0.3) * double (run));
  }
  return viewers;
}

} // namespace p2p::swarm
