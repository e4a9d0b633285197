/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A CI-sized swarm on the real engine in virtual time (p2p-swarm-sim's
 * run_swarm): 50 viewers with the bench's link mix and churn, 20 segments.
 * It guards the delivery figures the design reaches and that a run is the
 * same for the same seed.
 */
#include "sim/swarm-sim.h"

#include <algorithm>
#include <fstream>

#include <gst/check/gstcheck.h>

#include "sim/bench-scenario.h"
#include "tests/common/test-utils.h"

using namespace p2p::sim;

namespace {

SimConfig
ci_config ()
{
  SimConfig config;
  config.viewers = 50;
  config.segments = 20;
  config.churn = 0.1;
  config.seed = 1;
  return config;
}

} // namespace

GST_START_TEST (test_ci_sized_swarm)
{
  const SimResult r = run_swarm (ci_config ());
  GST_INFO ("offload %.3f, HTTP copies %.2f, origin copies %.2f, stalls "
            "%" G_GUINT64_FORMAT,
            r.whole.offload (), r.whole.http_copies_per_segment (),
            r.whole.origin_copies_per_segment (), r.whole.stalls);
  fail_unless (r.sessions > r.viewers, "churn brought no newcomer");
  /* Relays carry half of this short run, start-ups included. A newcomer
   * whose first segment shares its downlink with the stripes it already
   * relays can still stall once (issue #13 is open on that): the bound
   * keeps it from getting worse. */
  fail_unless (r.whole.stalls <= 1, "%" G_GUINT64_FORMAT " stalls",
               r.whole.stalls);
  fail_unless (r.whole.offload () >= 0.45, "offload %.3f", r.whole.offload ());
  fail_unless (r.whole.http_copies_per_segment () <= 21, "HTTP copies %.2f",
               r.whole.http_copies_per_segment ());
  fail_unless (r.startup_median_s < 1, "start-up %.2f s", r.startup_median_s);
  /* Whatever came from peers was sent by a viewer or the seeder, and no
   * uplink sent more than its rate: the bound P2P works within. The
   * bench's mix has about 1.1-1.2 times the stream's rate in uplinks. */
  fail_unless (
      r.whole.uploaded_bytes + r.whole.seeder_bytes >= r.whole.peer_bytes,
      "uploaded %" G_GUINT64_FORMAT ", seeder %" G_GUINT64_FORMAT
      ", received from peers %" G_GUINT64_FORMAT,
      r.whole.uploaded_bytes, r.whole.seeder_bytes, r.whole.peer_bytes);
  fail_unless (r.whole.uplink_use () > 0.3 && r.whole.uplink_use () <= 1,
               "uplinks %.2f used", r.whole.uplink_use ());
  fail_unless (r.whole.uplink_supply () > 0.9 && r.whole.uplink_supply () < 1.5,
               "uplinks carry %.2f times what viewers received",
               r.whole.uplink_supply ());
  /* Besides data, an uplink sends at least a SACK for every second packet
   * its viewer received from peers. */
  const double sacks_per_second = double (r.whole.peer_bytes)
                                  / p2p::sim::wire::kSctpPayload / 2
                                  / r.whole.watched_seconds;
  fail_unless (r.whole.other_packets_per_second () >= sacks_per_second,
               "%.0f packets/s besides data, %.0f SACKs/s",
               r.whole.other_packets_per_second (), sacks_per_second);
  for (const ViewerRecord &v : r.per_viewer) {
    fail_unless (v.segments_played > 0 || v.left - v.joined < 4 * GST_SECOND,
                 "%s played nothing", v.name.c_str ());
    /* Each connection is a session it set up; a viewer that watched for
     * a while connected to someone. */
    fail_unless (v.peer_connections <= v.peer_sessions,
                 "%s: %" G_GUINT64_FORMAT " connections of %" G_GUINT64_FORMAT
                 " sessions",
                 v.name.c_str (), v.peer_connections, v.peer_sessions);
    fail_unless (v.peer_connections > 0 || v.left - v.joined < 4 * GST_SECOND,
                 "%s connected to no one", v.name.c_str ());
  }
  fail_unless (r.viewer_minutes > 0);
}

GST_END_TEST;

/* The timeline of a segment's copies: every viewer there when a segment was
 * published has it whole, after its publication and before playback needs
 * it (no stall). */
GST_START_TEST (test_copies_spread_after_publication)
{
  SimConfig config;
  config.viewers = 20;
  config.segments = 30;
  config.warm_up = 10 * GST_SECOND;
  const SimResult r = run_swarm (config);
  const std::vector<double> &t = r.whole_after_s;
  fail_unless_equals_int (r.whole.stalls, 0);
  /* Published from 10 s to 14 s before the end (segments later than that
   * are not counted): 18 segments; all 20 viewers are in by 18 s (joins
   * over 30 % of the 60 s), so at least 14 segments count for all. */
  fail_unless (t.size () >= 14 * 20 && t.size () <= 18 * 20, "%zu copies",
               t.size ());
  fail_unless (std::is_sorted (t.begin (), t.end ()));
  fail_unless (t.front () > 0, "a copy %.3f s after publication", t.front ());
  /* The latency counts from the segment's first frame, one segment
   * duration before its publication. */
  fail_unless (t.back () < r.latency_median_s - 1,
               "a copy %.2f s after "
               "publication, latency %.2f s",
               t.back (), r.latency_median_s);
}

GST_END_TEST;

GST_START_TEST (test_same_seed_same_run)
{
  SimConfig config = ci_config ();
  config.viewers = 20;
  config.segments = 10;
  const SimResult a = run_swarm (config);
  const SimResult b = run_swarm (config);
  fail_unless_equals_uint64 (a.events, b.events);
  fail_unless_equals_uint64 (a.whole.received_bytes, b.whole.received_bytes);
  fail_unless_equals_uint64 (a.whole.peer_bytes, b.whole.peer_bytes);
  fail_unless_equals_uint64 (a.whole.http_segment_bytes,
                             b.whole.http_segment_bytes);
  fail_unless_equals_int (a.sessions, b.sessions);
  config.seed = 2;
  const SimResult c = run_swarm (config);
  fail_if (c.events == a.events && c.whole.peer_bytes == a.whole.peer_bytes);
}

GST_END_TEST;

/* The run's figures window by window: they add up to the whole run, and
 * stopping to take them changes nothing in the run. */
GST_START_TEST (test_windows_add_up_to_the_run)
{
  SimConfig config = ci_config ();
  config.viewers = 20;
  config.segments = 20; /* 40 s: windows of 15, 15 and 10 s */
  config.window_s = 15;
  config.progress_every_s = 7;
  const SimResult r = run_swarm (config);
  fail_unless_equals_int (r.windows.size (), 3);
  Totals sum;
  for (const Totals &w : r.windows) {
    fail_unless (w.received_bytes > 0 && w.segment_bytes > 0);
    sum.received_bytes += w.received_bytes;
    sum.peer_bytes += w.peer_bytes;
    sum.http_segment_bytes += w.http_segment_bytes;
    sum.seeder_bytes += w.seeder_bytes;
    sum.segment_bytes += w.segment_bytes;
  }
  fail_unless_equals_uint64 (sum.received_bytes, r.whole.received_bytes);
  fail_unless_equals_uint64 (sum.peer_bytes, r.whole.peer_bytes);
  fail_unless_equals_uint64 (sum.http_segment_bytes,
                             r.whole.http_segment_bytes);
  fail_unless_equals_uint64 (sum.seeder_bytes, r.whole.seeder_bytes);
  fail_unless_equals_uint64 (sum.segment_bytes, r.whole.segment_bytes);
  /* The swarm forms in the first window: peers carry more after it. */
  fail_unless (r.windows.back ().offload () > r.windows.front ().offload (),
               "offload %.3f in the first window, %.3f in the last",
               r.windows.front ().offload (), r.windows.back ().offload ());

  config.window_s = 0;
  config.progress_every_s = 0;
  const SimResult plain = run_swarm (config);
  fail_unless (plain.windows.empty ());
  fail_unless_equals_uint64 (plain.events, r.events);
  fail_unless_equals_uint64 (plain.whole.peer_bytes, r.whole.peer_bytes);
}

GST_END_TEST;

/* --uplink-scale: the same viewers with twice the uplink each (nothing
 * else drawn differently), and with it more of the stream from peers. */
GST_START_TEST (test_uplink_scale_adds_upload_capacity)
{
  const SimConfig config = ci_config ();
  SimConfig doubled = config;
  doubled.uplink_scale = 2;
  const SimResult a = run_swarm (config);
  const SimResult b = run_swarm (doubled);
  fail_unless_equals_int (a.sessions, b.sessions);
  for (size_t i = 0; i < a.per_viewer.size (); i++) {
    const LinkSpec &la = a.per_viewer[i].link, &lb = b.per_viewer[i].link;
    fail_unless (lb.up_bytes_per_s == 2 * la.up_bytes_per_s, "%s up %.0f",
                 b.per_viewer[i].name.c_str (), lb.up_bytes_per_s);
    fail_unless (lb.down_bytes_per_s == la.down_bytes_per_s);
    fail_unless (a.per_viewer[i].joined == b.per_viewer[i].joined);
  }
  fail_unless (b.whole.uplink_capacity_bytes
                   > 1.999 * a.whole.uplink_capacity_bytes,
               "capacity %.0f against %.0f", b.whole.uplink_capacity_bytes,
               a.whole.uplink_capacity_bytes);
  fail_unless (b.whole.offload () > a.whole.offload () + 0.02,
               "offload %.3f with twice the uplinks, %.3f without",
               b.whole.offload (), a.whole.offload ());
  fail_unless_equals_uint64 (b.whole.stalls, 0);
}

GST_END_TEST;

/* The seeder hands out a copy of the stream per whole viewers_per_copy
 * viewers the tracker counts (it learns the count at its next announce,
 * within 5 s): its uploads grow with the audience. */
GST_START_TEST (test_seeder_copies_grow_with_the_audience)
{
  SimConfig config = ci_config ();
  config.viewers = 20;
  config.segments = 24;
  config.churn = 0;
  config.warm_up = 30 * GST_SECOND;
  config.viewers_per_copy = 0;
  const SimResult one = run_swarm (config);
  config.viewers_per_copy = 6; /* 20 viewers: 3 copies */
  const SimResult three = run_swarm (config);
  fail_unless (one.steady_from_s > 0 && three.steady_from_s > 0);
  const double one_copy = one.steady.origin_copies_per_segment ()
                          - one.steady.http_copies_per_segment ();
  const double three_copies = three.steady.origin_copies_per_segment ()
                              - three.steady.http_copies_per_segment ();
  GST_INFO ("seeder copies per segment: %.2f, then %.2f", one_copy,
            three_copies);
  /* A copy is a little less than whole where its relay skipped a segment
   * that HTTP brought first. */
  fail_unless (one_copy > 0.5 && one_copy < 1.5, "%.2f copies", one_copy);
  fail_unless (three_copies > 2 && three_copies < 3.5, "%.2f copies",
               three_copies);
  fail_unless (three_copies > 2 * one_copy, "%.2f copies, then %.2f", one_copy,
               three_copies);
  fail_unless_equals_uint64 (three.whole.stalls, 0);
}

GST_END_TEST;

/* Viewers on downlinks about 1.7 times the stream's rate: with the
 * configured 2 s window, the last stripes of a segment over HTTP shared
 * such a downlink with new parents' streams and ranges of later segments
 * and came late (the CI bench's scenario stalled with these seeds); the
 * window measured from the first segment's fetch leaves time for them. */
GST_START_TEST (test_slow_downlinks_do_not_stall)
{
  for (guint64 seed : { 22, 45, 47 }) {
    SimConfig config;
    config.viewers = 6;
    config.segments = 30;
    config.bench_schedule = true;
    config.seed = seed;
    const SimResult r = run_swarm (config);
    fail_unless_equals_uint64 (r.whole.stalls, 0);
  }
}

GST_END_TEST;

namespace {

/* A results.json as tests/bench/swarm-bench.py writes it, in a fresh
 * directory that goes with it. */
class ResultsFile
{
public:
  explicit ResultsFile (const std::string &json)
  {
    std::ofstream (path ()) << json;
  }
  std::string
  path () const
  {
    return dir_.file ("results.json");
  }

private:
  p2p::test::TempDir dir_{ "swarm-sim-XXXXXX" };
};

const char *kRun = R"({"name": "n3", "duration-s": 40, "viewers": [
 {"name": "v0", "rtt-ms": 24.0, "loss-pct": 0, "down-mbit": 20.0,
  "up-mbit": 4.0, "upload": true, "sessions": [[0.0, 40]]},
 {"name": "v1", "rtt-ms": 64.0, "loss-pct": 0.5, "down-mbit": 9.5,
  "up-mbit": 1.5, "upload": false, "sessions": [[3.5, 40]]},
 {"name": "v2", "rtt-ms": 44.0, "loss-pct": 0, "down-mbit": 30.0,
  "up-mbit": 8.0, "upload": true, "sessions": [[1.0, 18.0], [22.0, 40]]}],
 "modes": {}})";

} // namespace

/* p2p-swarm-sim --scenario: the viewers of a real bench run, with its
 * links, upload settings and sessions, none drawn; the run's length sets
 * the segments. */
GST_START_TEST (test_bench_scenario_sets_the_viewers)
{
  BenchScenario scenario;
  GError *error = nullptr;
  fail_unless (
      load_bench_scenario (ResultsFile (kRun).path (), &scenario, &error), "%s",
      error ? error->message : "");
  fail_unless_equals_int (scenario.viewers.size (), 3);
  fail_unless (scenario.duration_s == 40);
  SimConfig config;
  config.segments = 20;
  config.planned = scenario.viewers;
  const SimResult r = run_swarm (config);

  fail_unless_equals_int (r.sessions, 4);
  std::vector<ViewerRecord> records = r.per_viewer;
  std::sort (records.begin (), records.end (),
             [] (const ViewerRecord &a, const ViewerRecord &b) {
               return a.joined < b.joined;
             });
  const GstClockTime start = records[0].joined;
  const struct
  {
    double up_mbit, down_mbit, delay_ms, loss;
    bool upload;
    double joined_s, watched_s;
  } expected[] = { { 4.0, 20.0, 10, 0, true, 0, 40 },
                   { 8.0, 30.0, 20, 0, true, 1, 17 },
                   { 1.5, 9.5, 30, 0.005, false, 3.5, 36.5 },
                   { 8.0, 30.0, 20, 0, true, 22, 18 } };
  for (size_t i = 0; i < 4; i++) {
    const ViewerRecord &v = records[i];
    const auto &e = expected[i];
    GST_INFO ("%s joined %.2f s, watched %.2f s", v.name.c_str (),
              double (v.joined - start) / GST_SECOND,
              double (v.left - v.joined) / GST_SECOND);
    fail_unless (std::abs (v.link.up_bytes_per_s - e.up_mbit * 1e6 / 8) < 1,
                 "%s up %.0f", v.name.c_str (), v.link.up_bytes_per_s);
    fail_unless (std::abs (v.link.down_bytes_per_s - e.down_mbit * 1e6 / 8)
                 < 1);
    fail_unless (v.link.delay == GstClockTime (e.delay_ms * GST_MSECOND),
                 "%s delay %" GST_TIME_FORMAT, v.name.c_str (),
                 GST_TIME_ARGS (v.link.delay));
    fail_unless (v.link.loss == e.loss);
    fail_unless (v.upload == e.upload);
    fail_unless (v.joined - start == GstClockTime (e.joined_s * GST_SECOND),
                 "%s joined at %" GST_TIME_FORMAT, v.name.c_str (),
                 GST_TIME_ARGS (v.joined - start));
    fail_unless (
        std::abs (double (v.left - v.joined) / GST_SECOND - e.watched_s) < 0.01,
        "%s watched %.2f s", v.name.c_str (),
        double (v.left - v.joined) / GST_SECOND);
  }
  fail_unless (records[1].name == records[3].name,
               "the viewer that came back is %s, not %s",
               records[3].name.c_str (), records[1].name.c_str ());
  fail_unless (r.whole.offload () > 0.3, "offload %.3f", r.whole.offload ());
}

GST_END_TEST;

/* A file that is not a bench run's results is refused with a reason. */
GST_START_TEST (test_bench_scenario_refuses_bad_files)
{
  const struct
  {
    const char *json, *reason;
  } bad[] = {
    { "[1, 2]", "no JSON object" },
    { R"({"viewers": []})", "no positive duration-s" },
    { R"({"duration-s": 40, "viewers": []})", "no viewers" },
    { R"({"duration-s": 40, "viewers": [{"rtt-ms": 20, "loss-pct": 0,
         "up-mbit": 1, "sessions": [[0, 40]]}]})",
      "viewer 0: no link" },
    { R"({"duration-s": 40, "viewers": [{"rtt-ms": 20, "loss-pct": 0,
         "down-mbit": 5, "up-mbit": 1, "sessions": [[0, 10], [5, 40]]}]})",
      "viewer 0: sessions out of order" },
    { R"({"duration-s": 40, "viewers": [{"rtt-ms": 20, "loss-pct": 0,
         "down-mbit": 5, "up-mbit": 1, "sessions": [[0, 41]]}]})",
      "outside the run" },
    { R"({"duration-s": 40, "viewers": [{"rtt-ms": 20, "loss-pct": 0,
         "down-mbit": 5, "up-mbit": 1, "sessions": []}]})",
      "viewer 0: no sessions" },
  };
  for (const auto &b : bad) {
    BenchScenario scenario;
    GError *error = nullptr;
    fail_if (
        load_bench_scenario (ResultsFile (b.json).path (), &scenario, &error),
        "accepted %s", b.json);
    fail_unless (error && strstr (error->message, b.reason), "%s: %s", b.reason,
                 error ? error->message : "no error");
    g_error_free (error);
  }
  GError *error = nullptr;
  BenchScenario scenario;
  fail_if (
      load_bench_scenario ("/nonexistent/results.json", &scenario, &error));
  fail_unless (error != nullptr);
  g_error_free (error);
}

GST_END_TEST;

static Suite *
swarm_sim_suite (void)
{
  Suite *s = suite_create ("swarm-sim");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_ci_sized_swarm);
  tcase_add_test (tc, test_copies_spread_after_publication);
  tcase_add_test (tc, test_same_seed_same_run);
  tcase_add_test (tc, test_windows_add_up_to_the_run);
  tcase_add_test (tc, test_uplink_scale_adds_upload_capacity);
  tcase_add_test (tc, test_seeder_copies_grow_with_the_audience);
  tcase_add_test (tc, test_slow_downlinks_do_not_stall);
  tcase_add_test (tc, test_bench_scenario_sets_the_viewers);
  tcase_add_test (tc, test_bench_scenario_refuses_bad_files);
  return s;
}

GST_CHECK_MAIN (swarm_sim);
