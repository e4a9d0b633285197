/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A whole swarm in virtual time on the real engine: a broadcaster (the
 * BroadcasterCore seeding what a LivePublisher publishes, synthetic
 * segments at the stream's bitrate), a tracker (the real tracker core),
 * an HTTP origin, and viewers (ViewerCore) on access links drawn like the
 * swarm bench's (tests/bench/swarm-bench.py), joining, playing in real
 * time, leaving and being replaced. Everything runs on one EventLoop, so a
 * run is the same for the same seed.
 */
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gst/gst.h>

#include "gst/p2p/broadcaster/broadcaster-core.h"
#include "gst/p2p/viewer/viewer-config.h"
#include "sim/network.h"

namespace p2p::sim {

/* The bench's origin: a nearby CDN edge (ORIGIN_DELAY_MS), one way to the
 * core. */
inline constexpr GstClockTime kOriginDelay = 2 * GST_MSECOND;

/* A viewer's link as the bench sets one up (tests/bench/swarm-bench.py):
 * @rtt_ms to the origin (more than 2 × kOriginDelay), @loss a probability,
 * rates in Mbit/s. */
LinkSpec bench_link (double rtt_ms, double loss, double down_mbit,
                     double up_mbit);

/* A viewer given rather than drawn: its link (rates as given, not scaled
 * again), whether it uploads, and when it watches, from the run's start.
 * The real bench writes its viewers so in results.json, and
 * load_bench_scenario () reads them: the simulator then runs the scenario a
 * real run had. */
struct PlannedViewer
{
  LinkSpec link;
  bool upload = true;
  std::vector<std::pair<GstClockTime, GstClockTime>> sessions;
};

struct SimConfig
{
  int viewers = 20;
  /* Segments published while viewers watch (after a pre-roll of four). */
  int segments = 30;
  guint64 seed = 1;
  /* Viewers per minute, as a fraction of `viewers`, that leave and are
   * replaced by a newcomer. */
  double churn = 0;
  /* Fraction of viewers with upload=false. */
  double upload_off = 0.2;
  /* Uploading viewers set max-upload-rate to this share of their uplink,
   * as an application that knows it would (0: unset, learnt). */
  double pace_uplinks = 0;
  /* Every viewer's drawn uplink is multiplied by this: how the design does
   * with more upload capacity than the bench's mix has. */
  double uplink_scale = 1;
  /* Links carry packet headers and acknowledgements as well as messages
   * (Network::wire_costs), as real ones do: at 3 Mbit/s a viewer's SACKs
   * alone take about 120 kbit/s of its uplink. */
  bool wire_costs = true;
  guint live_delay = 5;
  /* p2phlssrc startup-wait (ViewerConfig::startup_wait). */
  GstClockTime startup_wait = 0;
  GstClockTime http_window = viewer::ViewerConfig ().http_window;
  GstClockTime segment_duration = 2 * GST_SECOND;
  double bitrate_kbps = 3000;
  /* Joins spread over this fraction of the run (the bench's 30 %). */
  double join_spread = 0.3;
  /* The bench's schedule: one viewer in five leaves near the middle of the
   * run and comes back (tests/bench/swarm-bench.py make_schedule). */
  bool bench_schedule = false;
  /* Viewers as a real run had them; when set, they are the audience in
   * place of `viewers` drawn ones (newcomers of `churn` are still drawn). */
  std::vector<PlannedViewer> planned;
  /* Every link's rate scaled by this (with the bitrate: same transfer
   * times), as the real bench does on a machine short of CPU. */
  double rate_scale = 1;
  /* Seeder: peers it serves (p2pswarmsink max-upload-peers). */
  guint seeder_peers = 4;
  /* One more copy from the seeder per this many viewers (0: one). */
  guint viewers_per_copy = broadcaster::SeederConfig ().viewers_per_copy;
  /* The origin's uplink: a CDN, which the bench does not cap either. */
  double origin_bytes_per_s = 1e12;
  /* Viewers watching at once: the planned ones, or `viewers`. */
  int
  audience () const
  {
    return planned.empty () ? viewers : int (planned.size ());
  }

  /* Progress lines to stderr every this many virtual seconds (0: none). */
  int progress_every_s = 0;
  /* The figures are also kept for every window of this many virtual
   * seconds (0: none): whether the swarm still settles at the run's end. */
  int window_s = 10;
  /* The steady figures count from this long after the first viewers may
   * join; GST_CLOCK_TIME_NONE: 20 s after the last of them joined. */
  GstClockTime warm_up = GST_CLOCK_TIME_NONE;
};

struct ViewerRecord
{
  std::string name;
  LinkSpec link;
  bool upload = true;
  GstClockTime joined = 0;
  GstClockTime left = 0;
  guint64 http_bytes = 0;
  guint64 peer_bytes = 0;
  guint64 uploaded_bytes = 0;
  guint64 duplicate_bytes = 0;
  guint64 uplink_packets = 0;
  guint64 passes = 0;
  /* WebRTC sessions it set up, and of those the ones that connected. */
  guint64 peer_sessions = 0;
  guint64 peer_connections = 0;
  guint64 stalls = 0;
  double stall_seconds = 0;
  double startup_s = -1; /* -1: never started */
  double latency_s = -1; /* median once settled, -1: none */
  guint64 segments_played = 0;
};

/* What the viewers received, and the origin and the seeder served, from
 * the start of the run to some moment. */
struct Totals
{
  guint64 segment_bytes = 0; /* published */
  guint64 http_segment_bytes = 0;
  guint64 seeder_bytes = 0;
  guint64 received_bytes = 0;
  guint64 peer_bytes = 0;
  guint64 stalls = 0;
  double stall_seconds = 0;
  /* Uploading viewers: what they sent, and what their uplinks could have
   * sent while they watched. */
  guint64 uploaded_bytes = 0;
  double uplink_capacity_bytes = 0;
  /* Every viewer's: the packets its uplink sent, and how long it watched. */
  guint64 uplink_packets = 0;
  double watched_seconds = 0;

  Totals operator- (const Totals &earlier) const;
  /* Offload as the bench counts it: what viewers got from peers, less what
   * the broadcaster's seeder uploaded, of all they received. */
  double offload () const;
  double http_copies_per_segment () const;
  /* HTTP and seeder. */
  double origin_copies_per_segment () const;
  /* What the viewers' uplinks could carry, per byte viewers received: P2P
   * cannot deliver more than this share, whatever the design. */
  double uplink_supply () const;
  /* The share of that capacity used. */
  double uplink_use () const;
  /* Packets a viewer's uplink sent a second besides those of the segment
   * data it uploaded: acknowledgements, announcements, requests. Counted
   * as the bench counts them on real uplinks (wire::kSctpPayload a data
   * packet). */
  double other_packets_per_second () const;
};

struct SimResult
{
  int viewers = 0;  /* at once */
  int sessions = 0; /* every viewer that joined, newcomers included */
  int segments = 0;
  /* The whole run, from the first viewer's join. */
  Totals whole;
  guint64 http_playlist_bytes = 0;
  double startup_median_s = 0;
  double latency_median_s = 0;
  double wall_seconds = 0;
  double virtual_seconds = 0;
  guint64 events = 0;
  /* Scheduling passes of every viewer (ViewerStats::passes). */
  guint64 passes = 0;
  guint64 tracker_announces = 0;
  /* Every viewer's WebRTC sessions (ViewerRecord), and the minutes they
   * watched in all: what joining and churn cost each viewer in set-ups. */
  guint64 peer_sessions = 0;
  guint64 peer_connections = 0;
  double viewer_minutes = 0;
  /* The run after its warm-up (SimConfig::warm_up): an audience watching,
   * not arriving. steady_from_s is -1 when the run ends before. */
  double steady_from_s = -1;
  Totals steady;
  /* The run in consecutive windows of SimConfig::window_s from the first
   * viewer's join (the last one may be shorter): they add up to whole. */
  std::vector<Totals> windows;
  /* How copies spread: for each segment published in the steady part and
   * each viewer there when it was published, the seconds until the
   * segment was whole at that viewer (however it came), ascending. */
  std::vector<double> whole_after_s;
  std::vector<ViewerRecord> per_viewer;
};

SimResult run_swarm (const SimConfig &config);

} // namespace p2p::sim
