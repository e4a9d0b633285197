/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>

#include <utility>
#include <vector>

#include "gst/p2p/swarm/segment-store.h"

using p2p::GBytesPtr;
using p2p::swarm::PutResult;
using p2p::swarm::SegmentSource;
using p2p::swarm::SegmentStore;

namespace {

GBytesPtr
make_bytes (gsize size, guint8 fill)
{
  auto data = static_cast<guint8 *> (g_malloc (size));
  memset (data, fill, size);
  return GBytesPtr (g_bytes_new_take (data, size));
}

std::vector<gint64>
seqs (std::initializer_list<gint64> list)
{
  return std::vector<gint64> (list);
}

PutResult
put (SegmentStore &store, gint64 sequence, gsize size)
{
  GBytesPtr bytes = make_bytes (size, (guint8)sequence);
  return store.put (sequence, p2p::ChunkedBytes (bytes.get ()),
                    SegmentSource::HTTP);
}

} // namespace

GST_START_TEST (test_store_put_get_zero_copy)
{
  SegmentStore store (1000, 3);
  GBytesPtr bytes = make_bytes (100, 7);
  fail_unless (store.put (5, p2p::ChunkedBytes (bytes.get ()),
                          SegmentSource::PEER, "peer-a")
               == PutResult::STORED);

  p2p::ChunkedBytes got = store.get (5);
  fail_unless_equals_int (got.size (), 100);
  /* The very same bytes, not a copy. */
  fail_unless_equals_int (got.chunks ().size (), 1);
  fail_unless (got.chunks ()[0].data ()
               == g_bytes_get_data (bytes.get (), nullptr));
  const auto *segment = store.find (5);
  fail_unless (segment != nullptr);
  fail_unless (segment->source == SegmentSource::PEER);
  fail_unless_equals_string (segment->peer_id.c_str (), "peer-a");
  fail_unless_equals_int (segment->size (), 100);

  fail_unless (store.get (6).empty ());
  fail_if (store.contains (6));

  /* The first copy stays. */
  GBytesPtr other = make_bytes (50, 9);
  fail_unless (
      store.put (5, p2p::ChunkedBytes (other.get ()), SegmentSource::HTTP)
      == PutResult::ALREADY_STORED);
  fail_unless_equals_int (store.find (5)->size (), 100);

  fail_unless_equals_int (store.stats ().bytes, 100);
  fail_unless_equals_int (store.stats ().count, 1);
}

GST_END_TEST;

GST_START_TEST (test_store_evicts_oldest_by_bytes)
{
  SegmentStore store (1000, 100);
  std::vector<std::pair<gint64, int>> removed;
  store.set_removed_callback (
      [&] (gint64 sequence, SegmentStore::RemovalReason reason) {
        removed.emplace_back (sequence, (int)reason);
      });

  fail_unless (put (store, 10, 400) == PutResult::STORED);
  fail_unless (put (store, 12, 300) == PutResult::STORED);
  fail_unless (put (store, 11, 300) == PutResult::STORED);
  fail_unless_equals_int (store.stats ().bytes, 1000);
  fail_unless_equals_int (store.stats ().evictions, 0);

  /* 1100 bytes: the lowest sequence (10) goes, not the first put. */
  fail_unless (put (store, 13, 100) == PutResult::STORED);
  fail_unless (store.sequences () == seqs ({ 11, 12, 13 }));
  fail_unless_equals_int (store.stats ().bytes, 700);
  fail_unless_equals_int (store.stats ().evictions, 1);
  fail_unless_equals_int (store.stats ().evicted_bytes, 400);
  fail_unless_equals_int (removed.size (), 1);
  fail_unless_equals_int (removed[0].first, 10);
  fail_unless_equals_int (removed[0].second,
                          (int)SegmentStore::RemovalReason::EVICTED);

  /* A big one pushes out as many as needed. */
  fail_unless (put (store, 14, 900) == PutResult::STORED);
  fail_unless (store.sequences () == seqs ({ 13, 14 }));
  fail_unless_equals_int (store.stats ().bytes, 1000);
  fail_unless_equals_int (store.stats ().evictions, 3);
  fail_unless_equals_int (store.stats ().peak_bytes, 1600);

  /* A late segment older than all the rest is evicted at once. */
  fail_unless (put (store, 3, 50) == PutResult::NO_ROOM);
  fail_if (store.contains (3));
  fail_unless (store.sequences () == seqs ({ 13, 14 }));

  /* A smaller budget applies at once. */
  store.set_max_bytes (900);
  fail_unless (store.sequences () == seqs ({ 14 }));
}

GST_END_TEST;

GST_START_TEST (test_store_pinning)
{
  SegmentStore store (1000, 100);
  put (store, 1, 500);
  put (store, 2, 500);
  fail_unless (store.pin (1));
  fail_unless (store.pin (1));
  fail_if (store.pin (42));

  /* 1 is pinned: 2 goes instead, although it is newer. */
  put (store, 3, 500);
  fail_unless (store.sequences () == seqs ({ 1, 3 }));

  /* Everything pinned: over budget until unpinned. */
  fail_unless (store.pin (3));
  put (store, 4, 500);
  fail_unless (store.sequences () == seqs ({ 1, 3 }));
  fail_unless (put (store, 5, 500) == PutResult::NO_ROOM);
  /* Unless it comes pinned (the broadcaster's segment not yet pushed). */
  GBytesPtr six = make_bytes (500, 6);
  fail_unless (store.put (6, p2p::ChunkedBytes (six.get ()),
                          SegmentSource::LOCAL, {}, true)
               == PutResult::STORED);
  fail_unless_equals_int (store.find (6)->pins, 1);
  fail_unless (store.sequences () == seqs ({ 1, 3, 6 }));
  fail_unless_equals_int (store.stats ().bytes, 1500);

  /* Pins are counted. */
  store.unpin (1);
  fail_unless (store.sequences () == seqs ({ 1, 3, 6 }));
  store.unpin (1);
  fail_unless (store.sequences () == seqs ({ 3, 6 }));
  fail_unless_equals_int (store.stats ().bytes, 1000);

  /* remove () ignores pins (a segment that failed its hash). */
  fail_unless (store.remove (6));
  fail_if (store.remove (6));
  fail_unless (store.sequences () == seqs ({ 3 }));
  fail_unless_equals_int (store.stats ().count, 1);
}

GST_END_TEST;

GST_START_TEST (test_store_window_and_tail)
{
  SegmentStore store (1000000, 2);
  int expired = 0;
  store.set_removed_callback ([&] (gint64, SegmentStore::RemovalReason r) {
    if (r == SegmentStore::RemovalReason::EXPIRED)
      expired++;
  });
  for (gint64 s = 100; s < 110; s++)
    put (store, s, 10);
  fail_unless (store.pin (103));

  /* The playlist now starts at 105: keep 103 and 104 as the tail. */
  store.set_window_start (105);
  fail_unless (store.sequences ()
               == seqs ({ 103, 104, 105, 106, 107, 108, 109 }));
  fail_unless_equals_int (store.stats ().expirations, 3);
  fail_unless_equals_int (expired, 3);
  fail_unless (put (store, 102, 10) == PutResult::TOO_OLD);
  fail_unless (put (store, 103, 10) == PutResult::ALREADY_STORED);

  /* A window that moves back changes nothing. */
  store.set_window_start (101);
  fail_unless (put (store, 101, 10) == PutResult::TOO_OLD);

  /* A pinned segment behind the tail goes when unpinned. */
  store.set_window_start (107);
  fail_unless (store.sequences () == seqs ({ 103, 105, 106, 107, 108, 109 }));
  store.unpin (103);
  fail_unless (store.sequences () == seqs ({ 105, 106, 107, 108, 109 }));
  fail_unless_equals_int (store.stats ().expirations, 5);
  fail_unless_equals_int (store.stats ().evictions, 0);
  fail_unless_equals_int (store.stats ().bytes, 50);
}

GST_END_TEST;

GST_START_TEST (test_store_releases_bytes)
{
  GBytesPtr bytes = make_bytes (100, 1);
  p2p::ChunkedBytes held;
  {
    SegmentStore store (150, 0);
    store.put (1, p2p::ChunkedBytes (bytes.get ()), SegmentSource::HTTP);
    held = store.get (1);
    put (store, 2, 100);
    /* 1 was evicted, but our own reference still works. */
    fail_if (store.contains (1));
  }
  fail_unless_equals_int (held.size (), 100);
  fail_unless (held.chunks ()[0].get () == bytes.get ());
}

GST_END_TEST;

static Suite *
segment_store_suite (void)
{
  Suite *s = suite_create ("segment-store");
  TCase *tc = tcase_create ("general");
  tcase_add_test (tc, test_store_put_get_zero_copy);
  tcase_add_test (tc, test_store_evicts_oldest_by_bytes);
  tcase_add_test (tc, test_store_pinning);
  tcase_add_test (tc, test_store_window_and_tail);
  tcase_add_test (tc, test_store_releases_bytes);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (segment_store);
