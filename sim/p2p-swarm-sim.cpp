/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2p-swarm-sim: a swarm of viewers on the real engine in virtual time
 * (sim/swarm-sim.h), with the swarm bench's link mix. Prints one line of
 * figures per run and, with --json, writes them as one JSON object.
 */
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "sim/bench-scenario.h"
#include "sim/swarm-sim.h"
#include "tools/bench-json.h"
#include "tools/command-line.h"

using p2p::sim::SimConfig;
using p2p::sim::SimResult;

namespace {

/* A large swarm is a heap of about 130 kB per viewer touched all over: on
 * 4 KiB pages nearly every access misses the TLB (10,000 viewers: 1.2 GB,
 * 300,000 pages). glibc backs malloc with transparent huge pages when a
 * tunable asks for it, and reads tunables only when a program starts: so
 * the simulator sets it and starts itself again. That moves no simulated
 * figure (only where the heap lies) and takes about a fifth of the CPU
 * time away from 3,000 viewers on. Where the exec fails, or the kernel
 * gives no huge pages, the run goes on with small ones. */
void
ask_for_huge_pages (char **argv)
{
  const char *tunables = g_getenv ("GLIBC_TUNABLES");
  if (tunables && strstr (tunables, "glibc.malloc.hugetlb"))
    return; /* asked for already, or set otherwise by the caller */
  std::string value = "glibc.malloc.hugetlb=1";
  if (tunables && *tunables)
    value = std::string (tunables) + ":" + value;
  g_setenv ("GLIBC_TUNABLES", value.c_str (), TRUE);
  execv ("/proc/self/exe", argv);
}

void
add (JsonBuilder *b, const char *name, double value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

void
add (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

/* The @q quantile of @sorted (ascending), 0 when empty. */
double
quantile (const std::vector<double> &sorted, double q)
{
  if (sorted.empty ())
    return 0;
  return sorted[std::min (sorted.size () - 1, size_t (q * sorted.size ()))];
}

/* The share of @sorted at or below @value. */
double
share_within (const std::vector<double> &sorted, double value)
{
  if (sorted.empty ())
    return 0;
  return double (std::upper_bound (sorted.begin (), sorted.end (), value)
                 - sorted.begin ())
         / double (sorted.size ());
}

/* How copies of a segment spread (SimResult::whole_after_s): quantiles of
 * the time from publication to whole, and the share of copies whole every
 * half second. */
void
add_spread (JsonBuilder *b, const std::vector<double> &whole_after_s)
{
  json_builder_set_member_name (b, "spread");
  json_builder_begin_object (b);
  add (b, "copies", gint64 (whole_after_s.size ()));
  add (b, "median_s", quantile (whole_after_s, 0.5));
  add (b, "p90_s", quantile (whole_after_s, 0.9));
  add (b, "p99_s", quantile (whole_after_s, 0.99));
  add (b, "max_s", whole_after_s.empty () ? 0.0 : whole_after_s.back ());
  json_builder_set_member_name (b, "whole_by");
  json_builder_begin_array (b);
  for (int half_seconds = 1; half_seconds <= 24; half_seconds++) {
    json_builder_begin_object (b);
    add (b, "s", half_seconds / 2.0);
    add (b, "share", share_within (whole_after_s, half_seconds / 2.0));
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

std::string
to_json (const SimConfig &config, const SimResult &r, bool per_viewer)
{
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add (b, "viewers", gint64 (r.viewers));
  add (b, "sessions", gint64 (r.sessions));
  add (b, "segments", gint64 (r.segments));
  add (b, "seed", gint64 (config.seed));
  add (b, "churn", config.churn);
  add (b, "upload_off", config.upload_off);
  add (b, "pace_uplinks", config.pace_uplinks);
  add (b, "uplink_scale", config.uplink_scale);
  json_builder_set_member_name (b, "wire_costs");
  json_builder_add_boolean_value (b, config.wire_costs);
  add (b, "live_delay", gint64 (config.live_delay));
  add (b, "startup_wait_ms", gint64 (config.startup_wait / GST_MSECOND));
  add (b, "http_window_ms", gint64 (config.http_window / GST_MSECOND));
  add (b, "segment_duration_s", double (config.segment_duration) / GST_SECOND);
  add (b, "bitrate_kbps", config.bitrate_kbps);
  add (b, "rate_scale", config.rate_scale);
  add (b, "offload", r.whole.offload ());
  add (b, "http_copies_per_segment", r.whole.http_copies_per_segment ());
  add (b, "origin_copies_per_segment", r.whole.origin_copies_per_segment ());
  add (b, "stalls", gint64 (r.whole.stalls));
  add (b, "stall_seconds", r.whole.stall_seconds);
  add (b, "startup_median_s", r.startup_median_s);
  add (b, "latency_median_s", r.latency_median_s);
  add (b, "wall_seconds", r.wall_seconds);
  add (b, "virtual_seconds", r.virtual_seconds);
  add (b, "events", gint64 (r.events));
  add (b, "passes", gint64 (r.passes));
  add (b, "segment_bytes", gint64 (r.whole.segment_bytes));
  add (b, "http_segment_bytes", gint64 (r.whole.http_segment_bytes));
  add (b, "http_playlist_bytes", gint64 (r.http_playlist_bytes));
  add (b, "seeder_bytes", gint64 (r.whole.seeder_bytes));
  add (b, "received_bytes", gint64 (r.whole.received_bytes));
  add (b, "uploaded_bytes", gint64 (r.whole.uploaded_bytes));
  add (b, "uplink_supply", r.whole.uplink_supply ());
  add (b, "uplink_use", r.whole.uplink_use ());
  add (b, "other_packets_per_s", r.whole.other_packets_per_second ());
  add (b, "tracker_announces", gint64 (r.tracker_announces));
  add (b, "announces_per_viewer_per_s",
       r.sessions ? double (r.tracker_announces) / r.viewers / r.virtual_seconds
                  : 0.0);
  add (b, "peer_sessions", gint64 (r.peer_sessions));
  add (b, "peer_connections", gint64 (r.peer_connections));
  add (b, "connections_per_viewer",
       r.sessions ? double (r.peer_connections) / r.sessions : 0.0);
  add (b, "connections_per_viewer_minute",
       r.viewer_minutes > 0 ? double (r.peer_connections) / r.viewer_minutes
                            : 0.0);
  if (r.steady_from_s >= 0) {
    json_builder_set_member_name (b, "steady");
    json_builder_begin_object (b);
    add (b, "from_s", r.steady_from_s);
    add (b, "offload", r.steady.offload ());
    add (b, "http_copies_per_segment", r.steady.http_copies_per_segment ());
    add (b, "origin_copies_per_segment", r.steady.origin_copies_per_segment ());
    add (b, "stalls", gint64 (r.steady.stalls));
    add (b, "stall_seconds", r.steady.stall_seconds);
    add (b, "uplink_supply", r.steady.uplink_supply ());
    add (b, "uplink_use", r.steady.uplink_use ());
    add (b, "other_packets_per_s", r.steady.other_packets_per_second ());
    add_spread (b, r.whole_after_s);
    json_builder_end_object (b);
  }
  if (!r.windows.empty ()) {
    json_builder_set_member_name (b, "windows");
    json_builder_begin_array (b);
    for (size_t i = 0; i < r.windows.size (); i++) {
      const p2p::sim::Totals &w = r.windows[i];
      json_builder_begin_object (b);
      add (b, "from_s", double (i * config.window_s));
      add (b, "offload", w.offload ());
      add (b, "http_copies_per_segment", w.http_copies_per_segment ());
      add (b, "stalls", gint64 (w.stalls));
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
  }
  p2p::bench::add_resource_members (b);
  if (per_viewer) {
    json_builder_set_member_name (b, "per_viewer");
    json_builder_begin_array (b);
    for (const p2p::sim::ViewerRecord &v : r.per_viewer) {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, v.name.c_str ());
      add (b, "up_mbit", v.link.up_bytes_per_s * 8 / 1e6);
      add (b, "down_mbit", v.link.down_bytes_per_s * 8 / 1e6);
      add (b, "rtt_ms", 2.0 * double (v.link.delay) / GST_MSECOND + 4);
      add (b, "loss", v.link.loss);
      json_builder_set_member_name (b, "upload");
      json_builder_add_boolean_value (b, v.upload);
      add (b, "joined_s", double (v.joined) / GST_SECOND);
      add (b, "left_s", double (v.left) / GST_SECOND);
      add (b, "http_bytes", gint64 (v.http_bytes));
      add (b, "peer_bytes", gint64 (v.peer_bytes));
      add (b, "uploaded_bytes", gint64 (v.uploaded_bytes));
      add (b, "duplicate_bytes", gint64 (v.duplicate_bytes));
      add (b, "uplink_packets", gint64 (v.uplink_packets));
      add (b, "peer_sessions", gint64 (v.peer_sessions));
      add (b, "peer_connections", gint64 (v.peer_connections));
      add (b, "stalls", gint64 (v.stalls));
      add (b, "stall_seconds", v.stall_seconds);
      add (b, "startup_s", v.startup_s);
      add (b, "latency_s", v.latency_s);
      add (b, "segments_played", gint64 (v.segments_played));
      json_builder_end_object (b);
    }
    json_builder_end_array (b);
  }
  json_builder_end_object (b);
  std::string text = p2p::bench::to_json_line (b);
  g_object_unref (b);
  return text;
}

} // namespace

int
main (int argc, char **argv)
{
  ask_for_huge_pages (argv);
  gint viewers = 20, segments = G_MININT, live_delay = 5, startup_wait_ms = 0,
       http_window_ms = gint (SimConfig ().http_window / GST_MSECOND),
       seeder_peers = 4, progress = 0, window = SimConfig ().window_s,
       viewers_per_copy
       = gint (p2p::broadcaster::SeederConfig ().viewers_per_copy);
  gint64 seed = 1;
  gdouble churn = 0, upload_off = 0.2, segment_duration = 2, bitrate = 3000,
          rate_scale = 1, join_spread = 0.3, warm_up = -1, pace_uplinks = 0,
          uplink_scale = 1;
  gboolean bench_schedule = FALSE, per_viewer = FALSE, wire_costs = TRUE;
  gchar *json_path = nullptr, *scenario_path = nullptr;
  GOptionEntry entries[] = {
    { "viewers", 'n', 0, G_OPTION_ARG_INT, &viewers,
      "Viewers watching at once (default 20)", "N" },
    { "segments", 0, 0, G_OPTION_ARG_INT, &segments,
      "Segments published while they watch (default 30)", "S" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed,
      "Seed of the link draws and of every random choice (default 1)", "K" },
    { "churn", 0, 0, G_OPTION_ARG_DOUBLE, &churn,
      "Fraction of viewers per minute that leave, each replaced by a "
      "newcomer (default 0)",
      "F" },
    { "upload-off", 0, 0, G_OPTION_ARG_DOUBLE, &upload_off,
      "Fraction of viewers with upload=false (default 0.2)", "F" },
    { "pace-uplinks", 0, 0, G_OPTION_ARG_DOUBLE, &pace_uplinks,
      "Uploading viewers set max-upload-rate to this share of their uplink "
      "(default 0: unset)",
      "SHARE" },
    { "uplink-scale", 0, 0, G_OPTION_ARG_DOUBLE, &uplink_scale,
      "Multiply every viewer's uplink by this: more upload capacity than "
      "the bench's mix (default 1)",
      "X" },
    { "no-wire-costs", 0, G_OPTION_FLAG_REVERSE, G_OPTION_ARG_NONE, &wire_costs,
      "Links carry messages only, without packet headers and "
      "acknowledgements (the simulator before 2026-12-07)",
      nullptr },
    { "live-delay", 0, 0, G_OPTION_ARG_INT, &live_delay,
      "p2phlssrc live-delay, segments (default 5)", "D" },
    { "startup-wait", 0, 0, G_OPTION_ARG_INT, &startup_wait_ms,
      "p2phlssrc startup-wait, ms (default 0)", "MS" },
    { "http-window", 0, 0, G_OPTION_ARG_INT, &http_window_ms,
      "p2phlssrc http-window, ms (default 2000)", "MS" },
    { "segment-duration", 0, 0, G_OPTION_ARG_DOUBLE, &segment_duration,
      "Segment duration, seconds (default 2)", "S" },
    { "bitrate", 0, 0, G_OPTION_ARG_DOUBLE, &bitrate,
      "Stream bitrate, kbit/s (default 3000)", "KBPS" },
    { "rate-scale", 0, 0, G_OPTION_ARG_DOUBLE, &rate_scale,
      "Scale the bitrate and every link's rate by this (default 1)", "X" },
    { "join-spread", 0, 0, G_OPTION_ARG_DOUBLE, &join_spread,
      "Viewers join over this fraction of the run (default 0.3)", "F" },
    { "bench-schedule", 0, 0, G_OPTION_ARG_NONE, &bench_schedule,
      "One viewer in five leaves mid-run and comes back, as in the bench",
      nullptr },
    { "scenario", 0, 0, G_OPTION_ARG_FILENAME, &scenario_path,
      "The viewers of a real bench run (its results.json: links, upload, "
      "sessions) instead of drawn ones; --segments defaults to its length",
      "FILE" },
    { "seeder-peers", 0, 0, G_OPTION_ARG_INT, &seeder_peers,
      "Peers the broadcaster's seeder serves per copy (default 4)", "N" },
    { "viewers-per-copy", 0, 0, G_OPTION_ARG_INT, &viewers_per_copy,
      "One copy of the stream from the seeder per whole N viewers, 1 to 8 "
      "(default 60, 0 = one copy)",
      "N" },
    { "warm-up", 0, 0, G_OPTION_ARG_DOUBLE, &warm_up,
      "The steady figures count from this many seconds into the run "
      "(default: 20 s after the last first viewer joined)",
      "S" },
    { "progress", 0, 0, G_OPTION_ARG_INT, &progress,
      "Print progress every this many virtual seconds (default: none)", "S" },
    { "window", 0, 0, G_OPTION_ARG_INT, &window,
      "Offload over every window of this many virtual seconds, in the "
      "summary and the JSON (default 10, 0: none)",
      "S" },
    { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path,
      "Append the figures to FILE as one JSON object on a line of its own "
      "(- for stdout)",
      "FILE" },
    { "per-viewer", 0, 0, G_OPTION_ARG_NONE, &per_viewer,
      "Include every viewer's figures in the JSON", nullptr },
    { nullptr }
  };
  gst_init (nullptr, nullptr);
  if (!p2p::tools::parse_command_line (
          &argc, &argv, "- a swarm on the real engine in virtual time",
          entries))
    return 2;
  /* A scenario's length stands unless --segments is given. */
  const bool segments_given = segments != G_MININT;
  if (!segments_given)
    segments = 30;
  if (viewers < 1 || segments < 1 || live_delay < 1 || segment_duration <= 0
      || bitrate <= 0 || rate_scale <= 0 || churn < 0 || upload_off < 0
      || upload_off > 1 || pace_uplinks < 0 || uplink_scale <= 0
      || startup_wait_ms < 0 || window < 0) {
    g_printerr ("%s: out-of-range option\n", g_get_prgname ());
    return 2;
  }

  SimConfig config;
  config.viewers = viewers;
  config.segments = segments;
  config.seed = guint64 (seed);
  config.churn = churn;
  config.upload_off = upload_off;
  config.pace_uplinks = pace_uplinks;
  config.uplink_scale = uplink_scale;
  config.wire_costs = wire_costs;
  config.live_delay = guint (live_delay);
  config.startup_wait = GstClockTime (startup_wait_ms) * GST_MSECOND;
  config.http_window = GstClockTime (http_window_ms) * GST_MSECOND;
  config.segment_duration = GstClockTime (segment_duration * GST_SECOND);
  config.bitrate_kbps = bitrate;
  config.rate_scale = rate_scale;
  config.join_spread = join_spread;
  config.bench_schedule = bench_schedule;
  config.seeder_peers = guint (seeder_peers);
  config.viewers_per_copy = guint (std::max (viewers_per_copy, 0));
  config.progress_every_s = progress;
  config.window_s = window;
  if (warm_up >= 0)
    config.warm_up = GstClockTime (warm_up * GST_SECOND);
  if (scenario_path) {
    p2p::sim::BenchScenario scenario;
    GError *error = nullptr;
    if (!p2p::sim::load_bench_scenario (scenario_path, &scenario, &error)) {
      g_printerr ("%s: %s\n", g_get_prgname (), error->message);
      g_error_free (error);
      return 1;
    }
    config.planned = std::move (scenario.viewers);
    if (!segments_given)
      config.segments = std::max (
          1, int (std::lround (scenario.duration_s / segment_duration)));
  }

  const SimResult r = p2p::sim::run_swarm (config);
  g_print ("viewers %d (sessions %d), segments %d: offload %.1f %%, HTTP "
           "copies/segment %.2f, origin copies/segment %.2f, stalls "
           "%" G_GUINT64_FORMAT " (%.1f s), start-up %.2f s, latency %.2f s, "
           "uplinks could carry %.2f times what viewers received, %.0f %% "
           "used, %.1f s wall\n",
           r.viewers, r.sessions, r.segments, 100 * r.whole.offload (),
           r.whole.http_copies_per_segment (),
           r.whole.origin_copies_per_segment (), r.whole.stalls,
           r.whole.stall_seconds, r.startup_median_s, r.latency_median_s,
           r.whole.uplink_supply (), 100 * r.whole.uplink_use (),
           r.wall_seconds);
  if (r.steady_from_s >= 0)
    g_print ("steady from %.0f s: offload %.1f %%, HTTP copies/segment %.2f, "
             "origin copies/segment %.2f, stalls %" G_GUINT64_FORMAT
             ", uplinks could carry %.2f times what viewers received, %.0f %% "
             "used\n",
             r.steady_from_s, 100 * r.steady.offload (),
             r.steady.http_copies_per_segment (),
             r.steady.origin_copies_per_segment (), r.steady.stalls,
             r.steady.uplink_supply (), 100 * r.steady.uplink_use ());
  if (!r.windows.empty ()) {
    g_print ("offload by %d-s window:", config.window_s);
    for (const p2p::sim::Totals &w : r.windows)
      g_print (" %.1f", 100 * w.offload ());
    g_print (" %%\n");
  }
  if (!r.whole_after_s.empty ())
    g_print ("a segment was whole at half of the viewers %.1f s after its "
             "publication, at 90 %% after %.1f s, at 99 %% after %.1f s\n",
             quantile (r.whole_after_s, 0.5), quantile (r.whole_after_s, 0.9),
             quantile (r.whole_after_s, 0.99));
  if (r.viewer_minutes > 0)
    g_print ("peer connections: %.1f per viewer, %.1f per viewer-minute "
             "(%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
             " sessions set up connected)\n",
             double (r.peer_connections) / r.sessions,
             double (r.peer_connections) / r.viewer_minutes, r.peer_connections,
             r.peer_sessions);
  g_print ("uplink packets a second per viewer besides segment data: %.0f "
           "(acknowledgements, announcements, requests; %s)\n",
           r.whole.other_packets_per_second (),
           config.wire_costs ? "charged to the links with their headers"
                             : "not charged: --no-wire-costs");
  if (json_path) {
    const std::string line = to_json (config, r, per_viewer);
    if (!p2p::bench::append_line (json_path, line)) {
      g_printerr ("%s: cannot write %s\n", g_get_prgname (), json_path);
      return 1;
    }
  }
  g_free (json_path);
  return 0;
}
