/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The scheduler in the simulated swarm with the bench's link mix: the
 * figures the real bench (tests/bench/swarm-bench.py) measures, here in
 * virtual time, so that a policy change that hurts them fails a test.
 */
#include <gst/check/gstcheck.h>

#include "gst/p2p/swarm/swarm-simulator.h"

using namespace p2p::swarm;

static SimConfig
bench_config ()
{
  SimConfig config;
  config.scheduler.http_window = 3 * GST_SECOND; /* p2phlssrc's default */
  config.seeder_bytes_per_s = 100e6 / 8;
  config.segment_bytes = 750000; /* 3 Mbit/s, 2 s */
  config.segments = 60;
  return config;
}

static SimResult
run (const SimConfig &config, int viewers)
{
  const GstClockTime run = config.segments * config.segment_duration;
  SimResult r = simulate_swarm (
      config, bench_viewer_mix (viewers, run, 1000 + viewers));
  g_print ("simulated swarm of %d (max uploads %d): offload %.1f %%, HTTP "
           "%.2f, origin %.2f copies per segment, %d stalls\n",
           viewers, config.max_uploads, 100 * r.offload (),
           r.http_copies_per_segment (config.segment_bytes),
           r.origin_copies_per_segment (config.segment_bytes), r.stalls);
  return r;
}

GST_START_TEST (test_every_viewer_gets_every_segment)
{
  SimConfig config = bench_config ();
  std::vector<SimViewer> viewers (3);
  SimResult r = simulate_swarm (config, viewers);
  fail_unless_equals_int (r.stalls, 0);
  fail_unless_equals_int (
      r.published, config.segments + int (config.live_delay_segments) + 1);
  /* Each viewer gets every segment from where it starts (live-delay back
   * from the live edge when it joins) once, plus what it fetched ahead of
   * the end: between the run's segments and all published, per viewer. */
  const guint64 received = r.http_bytes + r.seeder_bytes + r.viewer_bytes;
  const guint64 size = config.segment_bytes;
  fail_unless (received >= 3 * guint64 (config.segments) * size
                   && received <= 3 * guint64 (r.published) * size,
               "%" G_GUINT64_FORMAT " bytes for %d segments published",
               received, r.published);
  /* Three viewers on good links: the seeder's two first copies and no
   * HTTP beyond the start, the third copy passed on. */
  fail_unless (r.origin_copies_per_segment (config.segment_bytes) <= 2.1,
               "%.2f", r.origin_copies_per_segment (config.segment_bytes));
  fail_unless (r.http_copies_per_segment (config.segment_bytes) < 0.2, "%.2f",
               r.http_copies_per_segment (config.segment_bytes));
  fail_unless (r.offload () > 0.25, "%.2f", r.offload ());
}

GST_END_TEST;

GST_START_TEST (test_bench_mix)
{
  SimConfig config = bench_config ();
  for (int viewers : { 5, 20 }) {
    SimResult r = run (config, viewers);
    fail_unless_equals_int (r.stalls, 0);
    fail_unless (r.offload () >= 0.45, "N=%d: offload %.3f", viewers,
                 r.offload ());
    fail_unless (r.origin_copies_per_segment (config.segment_bytes)
                     <= (viewers == 5 ? 2.0 : 9.0),
                 "N=%d: %.2f origin copies per segment", viewers,
                 r.origin_copies_per_segment (config.segment_bytes));
  }
}

GST_END_TEST;

/* Control: viewers that serve every request at once share their uplink
 * among them, so copies complete later and the swarm falls back to HTTP
 * more often. */
GST_START_TEST (test_one_upload_at_a_time_helps)
{
  SimConfig config = bench_config ();
  const double one_at_a_time = run (config, 20).offload ();
  config.max_uploads = 0;
  const double all_at_once = run (config, 20).offload ();
  fail_unless (one_at_a_time > all_at_once + 0.05, "%.3f vs %.3f",
               one_at_a_time, all_at_once);
}

GST_END_TEST;

static Suite *
swarm_simulator_suite (void)
{
  Suite *s = suite_create ("swarm-simulator");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_every_viewer_gets_every_segment);
  tcase_add_test (tc, test_bench_mix);
  tcase_add_test (tc, test_one_upload_at_a_time_helps);
  return s;
}

GST_CHECK_MAIN (swarm_simulator);
