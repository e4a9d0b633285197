/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2p-swarm-sim: the scheduler in a simulated swarm with the swarm bench's
 * link mix, in virtual time. Prints offload, HTTP and origin copies per
 * segment and stalls for each swarm size, to tune the scheduler before a
 * real bench run (tests/bench/swarm-bench.py) confirms it.
 */
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <glib.h>

#include "gst/p2p/swarm/swarm-simulator.h"
#include "command-line.h"

using namespace p2p::swarm;

/* The offload the viewers' uplinks allow at most: every viewer but one
 * gets each segment from a viewer, as far as their summed uplink carries
 * it in a segment's duration. */
static double
uplink_bound (const SimConfig &config, const std::vector<SimViewer> &viewers)
{
  double uplink = 0;
  for (const SimViewer &v : viewers)
    uplink += v.upload ? v.up_bytes_per_s : 0;
  const double copies = uplink * double (config.segment_duration) / GST_SECOND
                        / double (config.segment_bytes);
  const double n = double (viewers.size ());
  return std::min (n - 1, copies) / n;
}

int
main (int argc, char **argv)
{
  gchar *sizes = nullptr;
  gint segments = 60, live_delay = 5, fanout = -1, seeds = 3;
  gint http_window_ms = 3000, min_p2p_ms = -1, max_uploads = 1,
       seeder_uploads = 0, seeder_peers = 4;
  gdouble bitrate_kbps = 3000, seeder_mbps = 100;
  GOptionEntry entries[] = {
    { "viewers", 'n', 0, G_OPTION_ARG_STRING, &sizes,
      "Swarm sizes, comma-separated (default 5,10,20)", "N,N" },
    { "segments", 0, 0, G_OPTION_ARG_INT, &segments,
      "Segments published in a run (default 60)", "N" },
    { "live-delay", 0, 0, G_OPTION_ARG_INT, &live_delay,
      "Segments behind the live edge (default 5)", "N" },
    { "http-window", 0, 0, G_OPTION_ARG_INT, &http_window_ms,
      "HTTP window, ms (default 3000)", "MS" },
    { "min-p2p-time", 0, 0, G_OPTION_ARG_INT, &min_p2p_ms,
      "Scheduler min_p2p_time, ms (default: the scheduler's)", "MS" },
    { "fanout", 0, 0, G_OPTION_ARG_INT, &fanout,
      "Scheduler p2p_fanout (default: the scheduler's)", "N" },
    { "max-uploads", 0, 0, G_OPTION_ARG_INT, &max_uploads,
      "Uploads a viewer serves at once, 0 = any (default 1, as the engine)",
      "N" },
    { "seeder-uploads", 0, 0, G_OPTION_ARG_INT, &seeder_uploads,
      "Uploads the seeder serves at once, 0 = any (default 0)", "N" },
    { "seeder-peers", 0, 0, G_OPTION_ARG_INT, &seeder_peers,
      "Viewers connected to the seeder, 0 = all (default 4, as the sink)",
      "N" },
    { "bitrate", 0, 0, G_OPTION_ARG_DOUBLE, &bitrate_kbps,
      "Stream bitrate, kbit/s (default 3000)", "KBPS" },
    { "seeder", 0, 0, G_OPTION_ARG_DOUBLE, &seeder_mbps,
      "Seeder uplink, Mbit/s, 0 = no seeder (default 100)", "MBPS" },
    { "seeds", 0, 0, G_OPTION_ARG_INT, &seeds,
      "Runs per size with different link draws (default 3)", "N" },
    { nullptr }
  };
  if (!p2p::tools::parse_command_line (&argc, &argv, "- simulated swarm",
                                       entries))
    return 2;

  SimConfig config;
  config.segments = segments;
  config.live_delay_segments = guint (live_delay);
  config.scheduler.http_window = GstClockTime (http_window_ms) * GST_MSECOND;
  if (min_p2p_ms >= 0)
    config.scheduler.min_p2p_time = GstClockTime (min_p2p_ms) * GST_MSECOND;
  if (fanout >= 0)
    config.scheduler.p2p_fanout = guint (fanout);
  config.max_uploads = max_uploads;
  config.seeder_max_uploads = seeder_uploads;
  config.seeder_peers = seeder_peers;
  config.segment_bytes = guint64 (bitrate_kbps * 1000 / 8 * 2);
  config.seeder_bytes_per_s = seeder_mbps * 1e6 / 8;

  g_print ("%4s %4s %9s %10s %12s %7s %9s\n", "N", "seed", "offload",
           "HTTP/seg", "origin/seg", "stalls", "bound");
  gchar **list = g_strsplit (sizes ? sizes : "5,10,20", ",", -1);
  for (gchar **n = list; *n; n++) {
    const int count = atoi (*n);
    for (int seed = 1; seed <= seeds; seed++) {
      config.seed = guint64 (seed);
      const GstClockTime run = GstClockTime (segments) * 2 * GST_SECOND;
      const std::vector<SimViewer> mix
          = bench_viewer_mix (count, run, guint64 (seed) * 1000 + count);
      SimResult r = simulate_swarm (config, mix);
      g_print ("%4d %4d %8.1f%% %10.2f %12.2f %7d %8.1f%%\n", count, seed,
               100 * r.offload (),
               r.http_copies_per_segment (config.segment_bytes),
               r.origin_copies_per_segment (config.segment_bytes), r.stalls,
               100 * uplink_bound (config, mix));
    }
  }
  g_strfreev (list);
  g_free (sizes);
  return 0;
}
