/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A swarm in virtual time, driven by the real scheduler: one origin (HTTP
 * plus the broadcaster's seeder), viewers with their own down- and uplinks,
 * segments published live. Rates are shared fairly: an uploader's uplink
 * among its uploads, a viewer's downlink among its downloads. It answers
 * "what would this policy do with this many viewers on these links" in
 * milliseconds and deterministically, which the real bench on a 2-core
 * machine cannot; the real bench then checks the answer.
 */
#pragma once

#include <cstdint>
#include <vector>

#include <gst/gst.h>

#include "gst/p2p/swarm/scheduler.h"

namespace p2p::swarm {

struct SimViewer
{
  double down_bytes_per_s = 2.5e6;
  double up_bytes_per_s = 0.6e6;
  bool upload = true;
  GstClockTime rtt = 50 * GST_MSECOND;
  GstClockTime join = 0;
};

struct SimConfig
{
  SchedulerConfig scheduler;
  guint64 segment_bytes = 750000;
  GstClockTime segment_duration = 2 * GST_SECOND;
  int segments = 60;
  /* Playback starts this many segments behind the live edge. */
  guint live_delay_segments = 5;
  /* The seeder's uplink; 0 = no seeder. */
  double seeder_bytes_per_s = 0;
  /* Viewers the seeder connects to, the first to join (p2pswarmsink's
   * max-upload-peers); 0 = all. */
  int seeder_peers = 4;
  /* From a peer's change of holdings to every other peer knowing it. */
  GstClockTime announce_delay = 200 * GST_MSECOND;
  GstClockTime tick = 20 * GST_MSECOND;
  /* Uploads a viewer (the seeder) serves at once, 0 = any; more requests
   * are turned down, as SwarmConfig::max_concurrent_uploads does. */
  int max_uploads = 1;
  int seeder_max_uploads = 0;
  /* A viewer turned down asks that uploader again after this (Swarm's
   * busy back-off). */
  GstClockTime refusal_cooldown = 500 * GST_MSECOND;
  guint64 seed = 1;
};

struct SimResult
{
  guint64 http_bytes = 0;
  guint64 seeder_bytes = 0;
  guint64 viewer_bytes = 0; /* from other viewers */
  /* Segments that were not held when playback reached them. */
  int stalls = 0;
  int published = 0;

  double offload () const;
  double http_copies_per_segment (guint64 segment_bytes) const;
  double origin_copies_per_segment (guint64 segment_bytes) const;
};

SimResult simulate_swarm (const SimConfig &config,
                          const std::vector<SimViewer> &viewers);

/* @count viewers with the swarm bench's mix (tests/bench/swarm-bench.py):
 * RTT 20-80 ms, 5-50 Mbit/s down, 1-10 Mbit/s up, one in five with upload
 * off, joining over the first 30 % of @run. Deterministic for @seed. */
std::vector<SimViewer> bench_viewer_mix (int count, GstClockTime run,
                                         guint64 seed);

} // namespace p2p::swarm
