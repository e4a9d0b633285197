/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The viewer's adaptive bitrate in virtual time: the throughput estimate,
 * going down within a few segments when throughput drops (at once when a
 * running download is too slow), back up when it recovers, and no
 * flapping around a threshold.
 */
#include <gst/check/gstcheck.h>

#include <vector>

#include "gst/p2p/viewer/adaptive-bitrate.h"

using p2p::viewer::AdaptiveBitrate;
using p2p::viewer::ThroughputEstimator;

namespace {

constexpr GstClockTime kSegment = 2 * GST_SECOND;
/* BANDWIDTH of a master playlist's variants, not in order. */
const std::vector<guint64> kVariants = { 1500000, 500000, 4000000 };
constexpr size_t kMid = 0, kLow = 1, kHigh = 2;

/* A viewer fetching one segment per segment duration over a link of a
 * given rate, telling the ABR what each took, and following its choice. */
struct Playback
{
  explicit Playback (size_t start, guint64 max_bitrate = 0)
      : abr (kVariants, start, max_bitrate)
  {
  }

  /* @count segments over a link of @link_bps; the variant followed after
   * each. */
  std::vector<size_t>
  play (int count, double link_bps)
  {
    std::vector<size_t> followed;
    for (int i = 0; i < count; i++) {
      const guint64 bytes = kVariants[abr.current ()] * 2 / 8;
      abr.add_sample (bytes, GstClockTime (8.0 * bytes / link_bps * GST_SECOND),
                      kSegment);
      now += kSegment;
      followed.push_back (abr.choose (now));
    }
    return followed;
  }

  AdaptiveBitrate abr;
  GstClockTime now = 1000 * GST_SECOND;
};

/* The index in @followed where @variant is first followed, -1 if never. */
int
first_index (const std::vector<size_t> &followed, size_t variant)
{
  for (size_t i = 0; i < followed.size (); i++) {
    if (followed[i] == variant)
      return int (i);
  }
  return -1;
}

} // namespace

GST_START_TEST (test_estimate_falls_fast_and_rises_slower)
{
  ThroughputEstimator estimator;
  fail_unless_equals_uint64 (estimator.estimate (), 0);
  /* Segments of 2 s of media. */
  for (int i = 0; i < 10; i++)
    estimator.add_sample (1000000, GST_SECOND, kSegment); /* 8 Mbit/s */
  fail_unless (estimator.estimate () > 7900000
                   && estimator.estimate () < 8100000,
               "%" G_GUINT64_FORMAT, estimator.estimate ());
  /* Two segments at 1 Mbit/s pull it down below half. */
  estimator.add_sample (250000, 2 * GST_SECOND, kSegment);
  estimator.add_sample (250000, 2 * GST_SECOND, kSegment);
  fail_unless (estimator.estimate () < 4000000, "%" G_GUINT64_FORMAT,
               estimator.estimate ());
  /* Back to 8 Mbit/s: it rises, but the slow average keeps it from
   * believing it at once. */
  const guint64 low = estimator.estimate ();
  estimator.add_sample (2000000, 2 * GST_SECOND, kSegment);
  estimator.add_sample (2000000, 2 * GST_SECOND, kSegment);
  fail_unless (estimator.estimate () > low && estimator.estimate () < 7000000,
               "%" G_GUINT64_FORMAT, estimator.estimate ());
}
GST_END_TEST;

GST_START_TEST (test_down_on_a_drop_and_up_on_recovery)
{
  Playback p (kHigh);
  /* 12 Mbit/s: the 4 Mbit/s variant all along. */
  for (size_t v : p.play (10, 12e6))
    fail_unless_equals_int (v, kHigh);
  /* 2 Mbit/s: down to 1.5 Mbit/s within a couple of segments, no lower. */
  std::vector<size_t> drop = p.play (10, 2e6);
  fail_unless (first_index (drop, kMid) >= 0 && first_index (drop, kMid) <= 2,
               "down after %d segments", first_index (drop, kMid));
  fail_unless_equals_int (first_index (drop, kLow), -1);
  fail_unless_equals_int (drop.back (), kMid);
  /* Recovered: back up within a few segments, and stays. */
  std::vector<size_t> recovery = p.play (10, 12e6);
  fail_unless (first_index (recovery, kHigh) >= 0
                   && first_index (recovery, kHigh) <= 6,
               "up after %d segments", first_index (recovery, kHigh));
  fail_unless_equals_int (recovery.back (), kHigh);
  fail_unless_equals_uint64 (p.abr.switches (), 2);
}
GST_END_TEST;

GST_START_TEST (test_running_download_goes_down_at_once)
{
  Playback p (kHigh);
  p.play (5, 12e6);
  /* The next download is crawling: 100 kB in 2 s is 0.4 Mbit/s. */
  p.abr.observe_running (100000, 2 * GST_SECOND);
  fail_unless_equals_int (p.abr.choose (p.now), kLow);
  /* A download that just began tells nothing yet. */
  Playback q (kHigh);
  q.play (5, 12e6);
  q.abr.observe_running (1000, 100 * GST_MSECOND);
  fail_unless_equals_int (q.abr.choose (q.now), kHigh);
}
GST_END_TEST;

GST_START_TEST (test_no_flapping_near_a_threshold)
{
  /* Around what the 1.5 Mbit/s variant needs with margin. */
  Playback p (kMid);
  for (int i = 0; i < 20; i++)
    p.play (1, i % 2 ? 2.3e6 : 2.7e6);
  fail_unless (p.abr.switches () <= 1, "%" G_GUINT64_FORMAT " switches",
               p.abr.switches ());
}
GST_END_TEST;

/* Only the high variant is slow (a path to the origin that cannot carry
 * it): low segments come fast, so going up is tried again, but less and
 * less often. */
GST_START_TEST (test_failed_ups_back_off)
{
  Playback p (kLow);
  std::vector<GstClockTime> ups;
  for (int i = 0; i < 120; i++) {
    const size_t before = p.abr.current ();
    /* High segments crawl: the running download says so at once. */
    if (before == kHigh)
      p.abr.observe_running (50000, GST_SECOND);
    p.play (1, before == kHigh ? 0.4e6 : 50e6);
    if (p.abr.current () == kHigh && before != kHigh)
      ups.push_back (p.now);
  }
  fail_unless (ups.size () >= 3 && ups.size () <= 6, "%zu tries", ups.size ());
  for (size_t i = 2; i < ups.size (); i++)
    fail_unless (ups[i] - ups[i - 1] >= ups[i - 1] - ups[i - 2],
                 "try %zu came sooner after the one before", i);
  fail_unless (ups.back () - ups[ups.size () - 2] >= 3 * (ups[1] - ups[0]));
}
GST_END_TEST;

GST_START_TEST (test_max_bitrate_caps_the_choice)
{
  Playback p (kMid, 2000000);
  for (size_t v : p.play (15, 50e6))
    fail_unless (v != kHigh);
}
GST_END_TEST;

static Suite *
adaptive_bitrate_suite (void)
{
  Suite *s = suite_create ("adaptive-bitrate");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_estimate_falls_fast_and_rises_slower);
  tcase_add_test (tc, test_down_on_a_drop_and_up_on_recovery);
  tcase_add_test (tc, test_running_download_goes_down_at_once);
  tcase_add_test (tc, test_no_flapping_near_a_threshold);
  tcase_add_test (tc, test_failed_ups_back_off);
  tcase_add_test (tc, test_max_bitrate_caps_the_choice);
  return s;
}

GST_CHECK_MAIN (adaptive_bitrate);
