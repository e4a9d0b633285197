/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "chunk-tree.h"

#include <algorithm>

namespace p2p {

namespace {

Digest
hash_of_digests (const Digest *first, size_t count)
{
  return sha256_of (reinterpret_cast<const guint8 *> (first),
                    count * sizeof (Digest));
}

} // namespace

guint
ChunkLayout::chunk_count () const
{
  return guint ((size + chunk_size - 1) / chunk_size);
}

guint
ChunkLayout::first_chunk (guint stripe) const
{
  return guint (guint64 (chunk_count ()) * stripe / stripes);
}

guint
ChunkLayout::end_chunk (guint stripe) const
{
  return first_chunk (stripe + 1);
}

gsize
ChunkLayout::chunk_begin (guint chunk) const
{
  return std::min<gsize> (size, gsize (chunk) * chunk_size);
}

gsize
ChunkLayout::chunk_end (guint chunk) const
{
  return chunk_begin (chunk + 1);
}

gsize
ChunkLayout::stripe_begin (guint stripe) const
{
  return chunk_begin (first_chunk (stripe));
}

gsize
ChunkLayout::stripe_end (guint stripe) const
{
  return chunk_begin (end_chunk (stripe));
}

guint
ChunkLayout::stripe_of (gsize offset) const
{
  guint stripe = 0;
  while (stripe + 1 < stripes && offset >= stripe_end (stripe))
    stripe++;
  return stripe;
}

bool
ChunkLayout::valid () const
{
  if (size == 0 || chunk_size < 1024 || stripes < 1 || stripes > 16
      || chunk_count () < stripes)
    return false;
  for (guint j = 0; j < stripes; j++)
    if (end_chunk (j) - first_chunk (j) > kMaxChunksPerStripe)
      return false;
  return true;
}

ChunkLayout
default_layout (gsize size, guint stripes)
{
  ChunkLayout layout;
  layout.size = size;
  layout.stripes = stripes;
  while (layout.chunk_count () > stripes * kMaxChunksPerStripe)
    layout.chunk_size *= 2;
  /* Tiny segments: fewer stripes rather than empty ones. */
  while (layout.stripes > 1 && layout.chunk_count () < layout.stripes)
    layout.stripes--;
  return layout;
}

ChunkTree
ChunkTree::compute (const ChunkedBytes &segment, ChunkLayout layout,
                    Hasher &hasher)
{
  ChunkTree tree;
  tree.layout = layout;
  const guint chunks = layout.chunk_count ();
  tree.chunk_hashes.reserve (chunks);
  for (guint c = 0; c < chunks; c++)
    tree.chunk_hashes.push_back (hasher.sha256 (
        segment.slice (layout.chunk_begin (c),
                       layout.chunk_end (c) - layout.chunk_begin (c))));
  for (guint j = 0; j < layout.stripes; j++)
    tree.stripe_roots.push_back (
        hash_of_digests (tree.chunk_hashes.data () + layout.first_chunk (j),
                         layout.end_chunk (j) - layout.first_chunk (j)));
  tree.root = hash_of_digests (tree.stripe_roots.data (), layout.stripes);
  return tree;
}

bool
verify_stripe_hashes (const ChunkLayout &layout, const Digest &root,
                      guint stripe, const std::vector<Digest> &stripe_hashes,
                      const std::vector<Digest> &stripe_roots)
{
  if (!layout.valid () || stripe >= layout.stripes
      || stripe_roots.size () != layout.stripes
      || stripe_hashes.size ()
             != layout.end_chunk (stripe) - layout.first_chunk (stripe))
    return false;
  return hash_of_digests (stripe_roots.data (), stripe_roots.size ()) == root
         && hash_of_digests (stripe_hashes.data (), stripe_hashes.size ())
                == stripe_roots[stripe];
}

std::string
digests_to_hex (const std::vector<Digest> &digests)
{
  std::string hex;
  hex.reserve (64 * digests.size ());
  for (const Digest &d : digests)
    hex += digest_hex (d);
  return hex;
}

bool
digests_from_hex (std::string_view hex, std::vector<Digest> *digests)
{
  if (hex.size () % 64 != 0)
    return false;
  digests->resize (hex.size () / 64);
  for (size_t i = 0; i < digests->size (); i++)
    if (!digest_from_hex (hex.substr (64 * i, 64), &(*digests)[i]))
      return false;
  return true;
}

} // namespace p2p
