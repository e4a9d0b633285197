/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The swarm with fragmented MP4: p2pswarmsink fed by mp4mux (init.mp4 and
 * .m4s segments, seeded as MPEG-TS ones are) and three p2phlssrc viewers
 * with its embedded tracker, on loopback in a private network namespace.
 * Every viewer outputs every segment from its live start on, intact and in
 * order, and peers carry part of the bytes.
 */
#include <gst/check/gstcheck.h>

#include <memory>
#include <vector>

#include "swarm-test-harness.h"

using namespace p2p::test;

GST_START_TEST (test_fragmented_mp4_is_shared)
{
  Broadcast broadcast ("tracker-port=0", "mp4mux fragment-duration=1000");
  fail_unless (broadcast.start (), "%s", broadcast.error ().c_str ());
  fail_unless (broadcast.wait_published (3, 20000), "no segments: %s",
               broadcast.error ().c_str ());
  std::vector<std::unique_ptr<ViewerPipeline>> viewers;
  for (int i = 0; i < 3; i++) {
    viewers.push_back (std::make_unique<ViewerPipeline> (
        "viewer" + std::to_string (i), broadcast.playlist_url (),
        broadcast.embedded_tracker_url ()));
    viewers.back ()->start ();
    g_usleep (500 * 1000);
  }
  g_usleep (40 * G_USEC_PER_SEC);
  const int64_t min_last = broadcast.last_sequence () - 3;
  for (auto &v : viewers)
    v->stop ();
  const auto published = broadcast.published ();
  broadcast.stop ();

  guint64 peer_bytes = 0;
  for (auto &v : viewers) {
    fail_unless (v->error ().empty (), "%s: %s", v->name ().c_str (),
                 v->error ().c_str ());
    const std::string problem = check_segments (*v, published, min_last);
    fail_unless (problem.empty (), "%s", problem.c_str ());
    peer_bytes += v->counters ().peer_bytes;
  }
  fail_unless (peer_bytes > 0, "no segment came from a peer");
}
GST_END_TEST;

static Suite *
swarm_fmp4_suite (void)
{
  Suite *s = suite_create ("swarm-fmp4");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fragmented_mp4_is_shared);
  return s;
}

GST_CHECK_MAIN (swarm_fmp4);
