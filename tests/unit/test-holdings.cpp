/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Holdings: stripes of a segment kept only once checked against the
 * playlist's root, chunk by chunk, as they arrive; a lying relay caught;
 * bytes sent before the playlist lists the segment checked once it does;
 * whole segments checked; cut-through readers told of new bytes.
 */
#include <vector>

#include "gst/p2p/swarm/holdings.h"

#include <gst/check/gstcheck.h>

using namespace p2p;
using namespace p2p::swarm;

namespace {

struct Fixture
{
  Fixture (gsize size = 100000)
      : holdings (1 << 24, 3, hasher, false,
                  [this] (int64_t s) { completed.push_back (s); })
  {
    auto data = static_cast<guint8 *> (g_malloc (size));
    for (gsize i = 0; i < size; i++)
      data[i] = guint8 (i * 13 + (i >> 8));
    whole.reset (g_bytes_new_take (data, size));
    tree = ChunkTree::compute (ChunkedBytes (whole.get ()),
                               default_layout (size), hasher);
  }

  std::vector<Digest>
  hashes (guint j) const
  {
    return std::vector<Digest> (
        tree.chunk_hashes.begin () + tree.layout.first_chunk (j),
        tree.chunk_hashes.begin () + tree.layout.end_chunk (j));
  }

  GBytesPtr
  bytes (gsize from, gsize length) const
  {
    return GBytesPtr (g_bytes_new_from_bytes (whole.get (), from, length));
  }

  /* Stripe @j, in pieces of @piece bytes. */
  Holdings::Append
  send_stripe (int64_t seq, guint j, gsize piece)
  {
    Holdings::Append last = Holdings::Append::KEPT;
    for (gsize at = tree.layout.stripe_begin (j);
         at < tree.layout.stripe_end (j); at += piece) {
      const gsize n = std::min (piece, tree.layout.stripe_end (j) - at);
      last = holdings.append (seq, at, bytes (at, n).get ());
      if (last != Holdings::Append::KEPT)
        break;
    }
    return last;
  }

  Sha256Hasher hasher;
  GBytesPtr whole;
  ChunkTree tree;
  std::vector<int64_t> completed;
  Holdings holdings;
};

} // namespace

GST_START_TEST (test_stripes_checked_and_completed)
{
  Fixture f;
  f.holdings.expect (7, f.tree.layout, f.tree.root);
  const guint stripes = f.tree.layout.stripes;
  fail_unless (stripes >= 2);
  guint notified = 0;
  guint64 id = f.holdings.watch (7, [&] { notified++; });

  /* A stripe's hashes, checked against the root, then its bytes. */
  fail_unless (f.holdings.add_hashes (7, f.tree.layout.stripe_begin (0),
                                      f.hashes (0), f.tree.stripe_roots));
  fail_unless (f.send_stripe (7, 0, 5000) == Holdings::Append::KEPT);
  fail_unless (f.holdings.stripe_complete (7, 0));
  fail_unless (notified > 0);
  /* Cut-through readers see checked bytes only, where they are. */
  ChunkedBytes got = f.holdings.available (7, 100, 2000);
  fail_unless_equals_int (got.size (), 1900);
  GBytesPtr expected = f.bytes (100, 1900);
  fail_unless (got.equals (expected.get ()));
  fail_unless (
      f.holdings.available (7, f.tree.layout.stripe_begin (1), 100).empty ());

  /* Bytes before their hashes wait, then are checked. */
  fail_unless (f.send_stripe (7, 1, 30000) == Holdings::Append::KEPT);
  fail_unless_equals_int (f.holdings.received (7, 1), 0);
  fail_unless (f.holdings.add_hashes (7, f.tree.layout.stripe_begin (1),
                                      f.hashes (1), f.tree.stripe_roots));
  fail_unless (f.holdings.stripe_complete (7, 1));

  for (guint j = 2; j < stripes; j++) {
    fail_unless (f.holdings.add_hashes (7, f.tree.layout.stripe_begin (j),
                                        f.hashes (j), f.tree.stripe_roots));
    fail_unless (f.send_stripe (7, j, 16384) == Holdings::Append::KEPT);
  }
  fail_unless (f.completed == std::vector<int64_t> ({ 7 }));
  fail_unless (f.holdings.complete (7));
  fail_unless (f.holdings.store ().get (7).equals (f.whole.get ()));
  /* Uploads of a whole segment still find its hashes. */
  std::vector<Digest> h, r;
  fail_unless (f.holdings.stripe_hashes (7, 1, &h, &r));
  fail_unless (h == f.hashes (1) && r == f.tree.stripe_roots);
  f.holdings.unwatch (id);
}

GST_END_TEST;

GST_START_TEST (test_lies_caught)
{
  Fixture f;
  f.holdings.expect (3, f.tree.layout, f.tree.root);
  /* Hashes that do not lead to the root. */
  std::vector<Digest> bad = f.hashes (0);
  bad[0][0] ^= 1;
  fail_if (f.holdings.add_hashes (3, 0, bad, f.tree.stripe_roots));
  /* Good hashes, then a chunk with one byte flipped. */
  fail_unless (f.holdings.add_hashes (3, 0, f.hashes (0), f.tree.stripe_roots));
  const gsize chunk = f.tree.layout.chunk_size;
  auto data = static_cast<guint8 *> (
      g_memdup2 (g_bytes_get_data (f.whole.get (), nullptr), chunk));
  data[chunk / 2] ^= 0x40;
  GBytesPtr corrupt (g_bytes_new_take (data, chunk));
  fail_unless (f.holdings.append (3, 0, corrupt.get ())
               == Holdings::Append::BAD);
  fail_unless_equals_int (f.holdings.received (3, 0), 0);
  /* The true bytes are then taken. */
  fail_unless (f.send_stripe (3, 0, 7000) == Holdings::Append::KEPT);
  fail_unless (f.holdings.stripe_complete (3, 0));
  /* Bytes where the stripe does not go on are ignored. */
  fail_unless (f.holdings.append (3, f.tree.layout.stripe_begin (1) + 100,
                                  f.bytes (100, 10).get ())
               == Holdings::Append::IGNORED);

  /* A whole segment that is not the published one is refused. */
  Fixture other (100000);
  auto changed = static_cast<guint8 *> (
      g_memdup2 (g_bytes_get_data (f.whole.get (), nullptr), 100000));
  changed[99999] ^= 1;
  GBytesPtr wrong (g_bytes_new_take (changed, 100000));
  other.holdings.expect (1, other.tree.layout, other.tree.root);
  fail_if (other.holdings.put_whole (1, ChunkedBytes (wrong.get ()),
                                     SegmentSource::HTTP, {}));
  fail_unless (other.holdings.put_whole (1, ChunkedBytes (other.whole.get ()),
                                         SegmentSource::HTTP, {}));
  fail_unless (other.holdings.complete (1));
}

GST_END_TEST;

GST_START_TEST (test_sent_before_listed)
{
  Fixture f;
  /* A relay may be faster than our playlist reload. */
  for (guint j = 0; j < f.tree.layout.stripes; j++) {
    fail_unless (f.holdings.add_hashes (9, f.tree.layout.stripe_begin (j),
                                        f.hashes (j), f.tree.stripe_roots));
    fail_unless (f.send_stripe (9, j, 9000) == Holdings::Append::KEPT);
  }
  fail_unless (f.completed.empty ());
  f.holdings.expect (9, f.tree.layout, f.tree.root);
  fail_unless (f.completed == std::vector<int64_t> ({ 9 }));

  /* Old segments go with the window. */
  f.holdings.set_window_start (20);
  fail_if (f.holdings.expected (9));
  fail_unless (f.holdings.append (9, 0, f.bytes (0, 10).get ())
               == Holdings::Append::IGNORED);
}

GST_END_TEST;

static Suite *
holdings_suite (void)
{
  Suite *s = suite_create ("holdings");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_stripes_checked_and_completed);
  tcase_add_test (tc, test_lies_caught);
  tcase_add_test (tc, test_sent_before_listed);
  return s;
}

GST_CHECK_MAIN (holdings);
