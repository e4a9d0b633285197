/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One broadcaster (p2pswarmsink with its embedded tracker) and five
 * p2phlssrc viewers on loopback for 60 s, in a private network namespace
 * with ICE pinned to 127.0.0.1. Every viewer must output every segment from
 * its live start on, byte-identical and in order, without a stall, and get
 * most of its bytes from peers. The run happens once, in the fixture; each
 * test checks one of those promises. It prints the measured P2P ratio,
 * HTTP copies per segment and stalls.
 */
#include <gst/check/gstcheck.h>

#include <memory>
#include <set>
#include <vector>

#include "swarm-test-harness.h"

using namespace p2p::test;

namespace {

constexpr int kViewers = 5;
constexpr gint64 kRunMs = 60 * 1000;

struct ViewerResult
{
  std::string name;
  std::string error;
  std::string segments_problem;
  ViewerCounters counters;
  size_t segments = 0;
};

struct RunResult
{
  bool ran = false;
  std::string broadcaster_error;
  std::vector<ViewerResult> viewers;
  guint64 distinct_segments = 0;
  guint64 published = 0;
  guint64 seeder_uploaded = 0;
  guint64 seeder_sessions = 0;
  guint64 seeder_connections = 0;
  guint64 origin_segment_bytes = 0;
};

RunResult run;

void
print_figures ()
{
  guint64 peer = 0, http = 0, http_segments = 0, stalls = 0, uploaded = 0;
  g_print ("\n%-8s %9s %12s %12s %12s %7s %7s\n", "viewer", "segments",
           "http-bytes", "peer-bytes", "uploaded", "p2p", "stalls");
  for (const ViewerResult &v : run.viewers) {
    const ViewerCounters &c = v.counters;
    guint64 total = c.http_bytes + c.peer_bytes;
    g_print ("%-8s %9zu %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT
             " %12" G_GUINT64_FORMAT " %6.1f%% %7" G_GUINT64_FORMAT "\n",
             v.name.c_str (), v.segments, c.http_bytes, c.peer_bytes,
             c.uploaded_bytes, total ? 100.0 * c.peer_bytes / total : 0.0,
             c.stalls);
    peer += c.peer_bytes;
    http += c.http_bytes;
    http_segments += c.http_segments;
    stalls += c.stalls;
    uploaded += c.uploaded_bytes;
  }
  g_print ("P2P ratio %.1f%%; HTTP copies per segment %.2f (%" G_GUINT64_FORMAT
           " HTTP downloads of %" G_GUINT64_FORMAT
           " segments played); stalls %" G_GUINT64_FORMAT
           "; seeder uploaded %" G_GUINT64_FORMAT
           " bytes, viewers %" G_GUINT64_FORMAT
           "; origin served %" G_GUINT64_FORMAT " segment bytes\n\n",
           peer + http ? 100.0 * peer / (peer + http) : 0.0,
           run.distinct_segments ? (double)http_segments / run.distinct_segments
                                 : 0.0,
           http_segments, run.distinct_segments, stalls, run.seeder_uploaded,
           uploaded, run.origin_segment_bytes);
}

void
run_broadcast ()
{
  Broadcast broadcast ("tracker-port=0");
  if (!broadcast.start ()) {
    run.broadcaster_error = "could not start: " + broadcast.error ();
    return;
  }
  /* A live start needs a few segments in the playlist. */
  if (!broadcast.wait_published (3, 20000)) {
    run.broadcaster_error = "no segments: " + broadcast.error ();
    return;
  }
  std::string url = broadcast.playlist_url ();
  std::string tracker = broadcast.embedded_tracker_url ();
  std::vector<std::unique_ptr<ViewerPipeline>> viewers;
  for (int i = 0; i < kViewers; i++) {
    viewers.push_back (std::make_unique<ViewerPipeline> (
        "viewer" + std::to_string (i), url, tracker));
    viewers.back ()->start ();
    g_usleep (500 * 1000);
  }
  gint64 end = viewers.front ()->started_ms () + kRunMs;
  while (now_ms () < end)
    g_usleep (200 * 1000);

  /* What the slowest viewer may still lack: the segments it waits for, at
   * most its live delay, plus one in flight. */
  int64_t min_last = broadcast.last_sequence () - 3;
  run.seeder_uploaded = broadcast.stat ("uploaded-bytes");
  run.seeder_sessions = broadcast.stat ("peer-sessions");
  run.seeder_connections = broadcast.stat ("peer-connections");
  run.origin_segment_bytes = broadcast.stat ("http-segment-bytes");
  for (auto &v : viewers)
    v->stop ();
  run.broadcaster_error = broadcast.error ();
  auto published = broadcast.published ();
  run.published = published.size ();
  broadcast.stop ();

  std::set<int64_t> played;
  for (auto &v : viewers) {
    ViewerResult r;
    r.name = v->name ();
    r.error = v->error ();
    r.counters = v->counters ();
    r.segments_problem = check_segments (*v, published, min_last);
    for (const ReceivedSegment &s : v->received ())
      played.insert (s.sequence);
    r.segments = v->received ().size ();
    run.viewers.push_back (r);
  }
  run.distinct_segments = played.size ();
  run.ran = true;
  print_figures ();
}

void
setup_run ()
{
  run_broadcast ();
}

} // namespace

GST_START_TEST (test_broadcast_ran)
{
  fail_unless (run.ran, "the broadcast did not run");
  fail_unless (run.broadcaster_error.empty (), "broadcaster: %s",
               run.broadcaster_error.c_str ());
  /* 2 s segments for 60 s and more. */
  fail_unless (run.published >= 30, "%" G_GUINT64_FORMAT " segments published",
               run.published);
}

GST_END_TEST;

GST_START_TEST (test_every_viewer_got_every_segment)
{
  fail_unless (run.ran);
  fail_unless_equals_int (run.viewers.size (), kViewers);
  for (const ViewerResult &v : run.viewers) {
    fail_unless (v.error.empty (), "%s: %s", v.name.c_str (), v.error.c_str ());
    fail_unless (v.segments_problem.empty (), "%s",
                 v.segments_problem.c_str ());
    fail_unless (v.counters.segments_skipped == 0, "%s skipped segments",
                 v.name.c_str ());
  }
}

GST_END_TEST;

GST_START_TEST (test_most_bytes_from_peers)
{
  fail_unless (run.ran);
  guint64 peer = 0, total = 0, arriving = 0;
  for (const ViewerResult &v : run.viewers) {
    peer += v.counters.peer_bytes;
    total += v.counters.peer_bytes + v.counters.http_bytes;
    arriving += v.counters.relayed_bytes_arriving;
  }
  fail_unless (total > 0);
  /* Relays pass segments on while they still receive them. */
  fail_unless (arriving > 0, "no bytes relayed cut-through");
  fail_unless (2 * peer > total,
               "only %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
               " bytes came from peers",
               peer, total);
}

GST_END_TEST;

GST_START_TEST (test_no_stalls)
{
  fail_unless (run.ran);
  for (const ViewerResult &v : run.viewers)
    fail_unless (v.counters.stalls == 0,
                 "%s stalled %" G_GUINT64_FORMAT " times (%" GST_TIME_FORMAT
                 ")",
                 v.name.c_str (), v.counters.stalls,
                 GST_TIME_ARGS (v.counters.stall_time));
}

GST_END_TEST;

/* Every peer a viewer has is a connection it set up (an offer it made or
 * answered), and it set up no connection without a session. The seeder,
 * which seeded, connected too. */
GST_START_TEST (test_connections_are_counted)
{
  fail_unless (run.ran);
  fail_unless (run.seeder_connections > 0
                   && run.seeder_sessions >= run.seeder_connections,
               "seeder: %" G_GUINT64_FORMAT " sessions, %" G_GUINT64_FORMAT
               " connections",
               run.seeder_sessions, run.seeder_connections);
  for (const ViewerResult &v : run.viewers) {
    const ViewerCounters &c = v.counters;
    fail_unless (c.peers > 0, "%s has no peers", v.name.c_str ());
    fail_unless (c.peer_connections >= c.peers,
                 "%s: %u peers, %" G_GUINT64_FORMAT " connections",
                 v.name.c_str (), c.peers, c.peer_connections);
    fail_unless (c.peer_sessions >= c.peer_connections,
                 "%s: %" G_GUINT64_FORMAT " sessions, %" G_GUINT64_FORMAT
                 " connections",
                 v.name.c_str (), c.peer_sessions, c.peer_connections);
  }
}

GST_END_TEST;

static Suite *
swarm_broadcast_suite (void)
{
  Suite *s = suite_create ("swarm-broadcast");
  TCase *tc = tcase_create ("broadcast");
  /* The broadcast runs once, in the parent process; the tests look at its
   * results. */
  tcase_add_unchecked_fixture (tc, setup_run, nullptr);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_broadcast_ran);
  tcase_add_test (tc, test_every_viewer_got_every_segment);
  tcase_add_test (tc, test_most_bytes_from_peers);
  tcase_add_test (tc, test_connections_are_counted);
  tcase_add_test (tc, test_no_stalls);
  return s;
}

P2P_SWARM_CHECK_MAIN (swarm_broadcast);
