/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Integrity of partial segments (DELIVERY.md §4): a segment is cut into
 * chunks (16 KiB by default) and its chunks into `stripes` contiguous runs,
 * each relayed down its own tree of peers as it arrives. The broadcaster
 * publishes one root per segment in the playlist (#EXT-X-P2P-CHUNKS):
 *
 *   chunk hash  h[c] = SHA-256 (chunk c)
 *   stripe root R[j] = SHA-256 (h[first] || ... || h[last] of stripe j)
 *   segment root     = SHA-256 (R[0] || ... || R[stripes - 1])
 *
 * A relay sends a stripe's chunk hashes and the stripe roots before the
 * stripe's bytes; the receiver checks them against the root, then each
 * chunk against its hash as it arrives, before it plays or forwards it.
 */
#pragma once

#include <string>
#include <vector>

#include "gst/p2p/common/chunked-bytes.h"
#include "gst/p2p/common/hasher.h"

namespace p2p {

/* How a segment of @size bytes is cut. */
struct ChunkLayout
{
  gsize size = 0;
  guint chunk_size = 16384;
  guint stripes = 4;

  guint chunk_count () const;
  /* Chunks [first_chunk (j), end_chunk (j)) form stripe j. */
  guint first_chunk (guint stripe) const;
  guint end_chunk (guint stripe) const;
  /* Bytes [stripe_begin (j), stripe_end (j)) form stripe j. */
  gsize stripe_begin (guint stripe) const;
  gsize stripe_end (guint stripe) const;
  gsize chunk_begin (guint chunk) const;
  gsize chunk_end (guint chunk) const;
  /* The stripe holding byte @offset. */
  guint stripe_of (gsize offset) const;
  bool valid () const;

  bool
  operator== (const ChunkLayout &other) const
  {
    return size == other.size && chunk_size == other.chunk_size
           && stripes == other.stripes;
  }
};

/* The default cut of a @size-byte segment: @stripes stripes of 16 KiB
 * chunks, larger chunks when a stripe would have more than
 * kMaxChunksPerStripe of them (so its hashes fit one wire field). */
ChunkLayout default_layout (gsize size, guint stripes = 4);
inline constexpr guint kMaxChunksPerStripe = 63;

struct ChunkTree
{
  ChunkLayout layout;
  std::vector<Digest> chunk_hashes;
  std::vector<Digest> stripe_roots;
  Digest root{};

  /* The tree of a whole segment. */
  static ChunkTree compute (const ChunkedBytes &segment, ChunkLayout layout,
                            Hasher &hasher);
};

/* What a relay sends with a stripe, checked against the playlist's root:
 * the stripe roots must hash to @root, and @stripe_hashes to the stripe's
 * root. False when they do not or do not fit @layout. */
bool verify_stripe_hashes (const ChunkLayout &layout, const Digest &root,
                           guint stripe,
                           const std::vector<Digest> &stripe_hashes,
                           const std::vector<Digest> &stripe_roots);

/* Hashes as a wire field: the digests' hex, concatenated. */
std::string digests_to_hex (const std::vector<Digest> &digests);
bool digests_from_hex (std::string_view hex, std::vector<Digest> *digests);

} // namespace p2p
