/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Chunk hashes of partial segments: the cut into chunks and stripes, the
 * tree of hashes, what a relay sends with a stripe checked against the
 * root, and the hex wire form.
 */
#include <gst/check/gstcheck.h>

#include "gst/p2p/common/chunk-tree.h"

using namespace p2p;

namespace {

ChunkedBytes
segment_of (gsize size, guint8 seed)
{
  auto data = static_cast<guint8 *> (g_malloc (size));
  for (gsize i = 0; i < size; i++)
    data[i] = guint8 (seed + i * 31 + (i >> 7));
  GBytesPtr bytes (g_bytes_new_take (data, size));
  return ChunkedBytes (bytes.get ());
}

std::vector<Digest>
stripe_hashes (const ChunkTree &tree, guint stripe)
{
  return std::vector<Digest> (
      tree.chunk_hashes.begin () + tree.layout.first_chunk (stripe),
      tree.chunk_hashes.begin () + tree.layout.end_chunk (stripe));
}

} // namespace

GST_START_TEST (test_layout)
{
  ChunkLayout layout = default_layout (750000);
  fail_unless_equals_int (layout.chunk_size, 16384);
  fail_unless_equals_int (layout.stripes, 4);
  fail_unless_equals_int (layout.chunk_count (), 46);
  fail_unless (layout.valid ());
  /* Stripes cover the segment, in order, on chunk boundaries. */
  gsize at = 0;
  for (guint j = 0; j < layout.stripes; j++) {
    fail_unless_equals_uint64 (layout.stripe_begin (j), at);
    fail_unless (layout.stripe_end (j) > at);
    fail_unless_equals_uint64 (layout.stripe_begin (j) % 16384, 0);
    fail_unless_equals_int (layout.stripe_of (at), j);
    fail_unless_equals_int (layout.stripe_of (layout.stripe_end (j) - 1), j);
    at = layout.stripe_end (j);
  }
  fail_unless_equals_uint64 (at, 750000);
  fail_unless_equals_uint64 (layout.chunk_end (45), 750000);

  /* Big segments get bigger chunks, tiny ones fewer stripes. */
  layout = default_layout (20 * 1024 * 1024);
  fail_unless (layout.chunk_size > 16384);
  fail_unless (layout.valid ());
  layout = default_layout (20000);
  fail_unless_equals_int (layout.stripes, 2);
  fail_unless (layout.valid ());
  const ChunkLayout empty{ 0, 16384, 4 };
  const ChunkLayout too_many_chunks{ 100000000, 16384, 4 };
  fail_if (empty.valid ());
  fail_if (too_many_chunks.valid ());
}

GST_END_TEST;

GST_START_TEST (test_tree_and_stripe_check)
{
  Sha256Hasher hasher;
  ChunkedBytes segment = segment_of (750000, 3);
  ChunkTree tree
      = ChunkTree::compute (segment, default_layout (750000), hasher);
  fail_unless_equals_int (tree.chunk_hashes.size (), 46);
  fail_unless_equals_int (tree.stripe_roots.size (), 4);
  /* The first chunk's hash is the SHA-256 of its bytes. */
  fail_unless (tree.chunk_hashes[0]
               == hasher.sha256 (segment.slice (0, 16384)));
  /* The same bytes in other chunks give the same tree. */
  ChunkedBytes pieces;
  for (gsize at = 0; at < 750000; at += 1000)
    pieces.append (segment.slice (at, 1000));
  fail_unless (ChunkTree::compute (pieces, tree.layout, hasher).root
               == tree.root);

  for (guint j = 0; j < 4; j++)
    fail_unless (verify_stripe_hashes (
        tree.layout, tree.root, j, stripe_hashes (tree, j), tree.stripe_roots));
  /* One wrong hash, root or count is caught. */
  std::vector<Digest> bad = stripe_hashes (tree, 1);
  bad[2][0] ^= 1;
  fail_if (
      verify_stripe_hashes (tree.layout, tree.root, 1, bad, tree.stripe_roots));
  std::vector<Digest> roots = tree.stripe_roots;
  roots[3][31] ^= 1;
  fail_if (verify_stripe_hashes (tree.layout, tree.root, 1,
                                 stripe_hashes (tree, 1), roots));
  fail_if (verify_stripe_hashes (tree.layout, tree.root, 2,
                                 stripe_hashes (tree, 1), tree.stripe_roots));
  Digest other_root = tree.root;
  other_root[5] ^= 0x80;
  fail_if (verify_stripe_hashes (tree.layout, other_root, 0,
                                 stripe_hashes (tree, 0), tree.stripe_roots));
  /* Another segment's tree differs. */
  fail_if (ChunkTree::compute (segment_of (750000, 4), tree.layout, hasher).root
           == tree.root);
}

GST_END_TEST;

GST_START_TEST (test_hex_form)
{
  Sha256Hasher hasher;
  ChunkTree tree = ChunkTree::compute (segment_of (100000, 1),
                                       default_layout (100000), hasher);
  const std::string hex = digests_to_hex (tree.stripe_roots);
  fail_unless_equals_int (hex.size (), 64 * tree.stripe_roots.size ());
  std::vector<Digest> back;
  fail_unless (digests_from_hex (hex, &back));
  fail_unless (back == tree.stripe_roots);
  fail_if (digests_from_hex (hex.substr (1), &back));
  std::string bad = hex;
  bad[10] = 'x';
  fail_if (digests_from_hex (bad, &back));
  Digest d;
  fail_unless (digest_from_hex (digest_hex (tree.root), &d) && d == tree.root);
}

GST_END_TEST;

static Suite *
chunk_tree_suite (void)
{
  Suite *s = suite_create ("chunk-tree");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_layout);
  tcase_add_test (tc, test_tree_and_stripe_check);
  tcase_add_test (tc, test_hex_form);
  return s;
}

GST_CHECK_MAIN (chunk_tree);
