/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "holdings.h"

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC (p2p_holdings_debug);
#define GST_CAT_DEFAULT p2p_holdings_debug

namespace p2p::swarm {

Holdings::Holdings (gsize max_bytes, guint tail_segments, Hasher &hasher,
                    bool pin_new, std::function<void (int64_t)> completed)
    : hasher_ (hasher), pin_new_ (pin_new), store_ (max_bytes, tail_segments),
      completed_ (std::move (completed))
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_holdings_debug, "p2pholdings", 0,
                             "gst-p2p segments held and arriving");
    g_once_init_leave (&debug_init, 1);
  }
}

Holdings::Segment *
Holdings::find (int64_t sequence)
{
  auto it = segments_.find (sequence);
  return it == segments_.end () ? nullptr : &it->second;
}

const Holdings::Segment *
Holdings::find (int64_t sequence) const
{
  auto it = segments_.find (sequence);
  return it == segments_.end () ? nullptr : &it->second;
}

void
Holdings::expect (int64_t sequence, const ChunkLayout &layout,
                  const Digest &root)
{
  if (!layout.valid () || !store_.accepts (sequence))
    return;
  Segment &segment = segments_[sequence];
  if (segment.expected)
    return;
  segment.expected = true;
  segment.layout = layout;
  segment.root = root;
  segment.stripes.resize (layout.stripes);
  segment.whole = store_.contains (sequence);
  /* What relays sent before the playlist listed it is checked now. */
  auto hashes = std::move (segment.offered_hashes);
  auto bytes = std::move (segment.offered_bytes);
  for (auto &h : hashes)
    if (h.first < layout.size
        && !take_hashes (segment, layout.stripe_of (h.first),
                         h.second.chunk_hashes, h.second.stripe_roots))
      GST_INFO ("hashes of %" G_GINT64_FORMAT " sent early were wrong",
                sequence);
  for (auto &b : bytes)
    if (take_bytes (sequence, segment, b.first, b.second) == Append::BAD)
      GST_INFO ("bytes of %" G_GINT64_FORMAT " sent early were wrong",
                sequence);
}

bool
Holdings::take_hashes (Segment &segment, guint stripe,
                       const std::vector<Digest> &chunk_hashes,
                       const std::vector<Digest> &stripe_roots)
{
  if (stripe >= segment.stripes.size ())
    return false;
  if (!segment.stripes[stripe].hashes.empty ())
    return true; /* checked already, from someone else */
  if (!verify_stripe_hashes (segment.layout, segment.root, stripe, chunk_hashes,
                             stripe_roots))
    return false;
  segment.stripes[stripe].hashes = chunk_hashes;
  segment.stripe_roots = stripe_roots;
  return true;
}

bool
Holdings::add_hashes (int64_t sequence, gsize offset,
                      const std::vector<Digest> &chunk_hashes,
                      const std::vector<Digest> &stripe_roots)
{
  if (!store_.accepts (sequence))
    return true; /* too old to matter */
  Segment &segment = segments_[sequence];
  if (!segment.expected) {
    segment.offered_hashes[offset] = { chunk_hashes, stripe_roots };
    return true;
  }
  if (segment.whole || offset >= segment.layout.size)
    return true;
  const guint stripe = segment.layout.stripe_of (offset);
  if (!take_hashes (segment, stripe, chunk_hashes, stripe_roots))
    return false;
  return check (sequence, segment, stripe);
}

Holdings::Append
Holdings::append (int64_t sequence, gsize offset, GBytes *bytes)
{
  if (!store_.accepts (sequence) || store_.contains (sequence))
    return Append::IGNORED;
  return take_bytes (sequence, segments_[sequence], offset,
                     ChunkedBytes (bytes));
}

Holdings::Append
Holdings::take_bytes (int64_t sequence, Segment &segment, gsize offset,
                      ChunkedBytes bytes)
{
  if (!segment.expected) {
    /* Kept as a run until the playlist says what to check it against. */
    for (auto &run : segment.offered_bytes) {
      if (run.first + run.second.size () == offset) {
        run.second.append (bytes);
        return Append::KEPT;
      }
    }
    segment.offered_bytes[offset].append (bytes);
    return Append::KEPT;
  }
  if (segment.whole)
    return Append::IGNORED;
  /* Bytes may run over into the next stripes (a run sent early). */
  Append result = Append::IGNORED;
  while (!bytes.empty () && offset < segment.layout.size) {
    const guint j = segment.layout.stripe_of (offset);
    const gsize stripe_end = segment.layout.stripe_end (j);
    const gsize length = std::min (bytes.size (), stripe_end - offset);
    const Append taken = take_stripe_bytes (sequence, segment, j, offset,
                                            bytes.slice (0, length));
    if (taken == Append::BAD)
      return taken;
    if (taken == Append::KEPT)
      result = taken;
    offset += length;
    bytes = bytes.slice (length, bytes.size () - length);
    if (segment.whole)
      break;
  }
  return result;
}

Holdings::Append
Holdings::take_stripe_bytes (int64_t sequence, Segment &segment, guint j,
                             gsize offset, const ChunkedBytes &bytes)
{
  Stripe &stripe = segment.stripes[j];
  const gsize next = segment.layout.stripe_begin (j) + stripe.checked.size ()
                     + stripe.unchecked.size ();
  /* Only where the stripe goes on: bytes we have are skipped. */
  if (offset > next || offset + bytes.size () <= next)
    return Append::IGNORED;
  stripe.unchecked.append (
      bytes.slice (next - offset, offset + bytes.size () - next));
  if (stripe.hashes.empty ())
    return Append::KEPT;
  return check (sequence, segment, j) ? Append::KEPT : Append::BAD;
}

bool
Holdings::check (int64_t sequence, Segment &segment, guint j)
{
  Stripe &stripe = segment.stripes[j];
  const ChunkLayout &layout = segment.layout;
  bool grew = false;
  while (!stripe.unchecked.empty ()) {
    const gsize at = layout.stripe_begin (j) + stripe.checked.size ();
    const guint chunk = guint (at / layout.chunk_size);
    const gsize length = layout.chunk_end (chunk) - at;
    if (stripe.unchecked.size () < length)
      break;
    ChunkedBytes piece = stripe.unchecked.slice (0, length);
    if (hasher_.sha256 (piece)
        != stripe.hashes[chunk - layout.first_chunk (j)]) {
      GST_INFO ("chunk %u of %" G_GINT64_FORMAT " does not match its hash",
                chunk, sequence);
      stripe.unchecked = ChunkedBytes ();
      return false;
    }
    stripe.checked.append (piece);
    stripe.unchecked
        = stripe.unchecked.slice (length, stripe.unchecked.size () - length);
    grew = true;
  }
  if (grew) {
    complete_if_whole (sequence, segment);
    notify (sequence);
  }
  return true;
}

void
Holdings::complete_if_whole (int64_t sequence, Segment &segment)
{
  for (guint j = 0; j < segment.stripes.size (); j++)
    if (segment.stripes[j].checked.size ()
        < segment.layout.stripe_end (j) - segment.layout.stripe_begin (j))
      return;
  ChunkedBytes whole;
  for (Stripe &stripe : segment.stripes) {
    whole.append (stripe.checked);
    stripe.checked = ChunkedBytes ();
  }
  segment.whole = true;
  store_.put (sequence, whole, SegmentSource::PEER, {}, pin_new_);
  if (completed_)
    completed_ (sequence);
}

bool
Holdings::put_whole (int64_t sequence, const ChunkedBytes &data,
                     SegmentSource source, const std::string &peer_id)
{
  if (!store_.accepts (sequence) || store_.contains (sequence))
    return true;
  Segment *segment = find (sequence);
  if (segment && segment->expected && !segment->whole) {
    ChunkLayout layout = segment->layout;
    if (layout.size != data.size ())
      return false;
    ChunkTree tree = ChunkTree::compute (data, layout, hasher_);
    if (tree.root != segment->root)
      return false;
    for (guint j = 0; j < layout.stripes; j++) {
      segment->stripes[j].hashes.assign (
          tree.chunk_hashes.begin () + layout.first_chunk (j),
          tree.chunk_hashes.begin () + layout.end_chunk (j));
      segment->stripes[j].checked = ChunkedBytes ();
      segment->stripes[j].unchecked = ChunkedBytes ();
    }
    segment->stripe_roots = tree.stripe_roots;
    segment->whole = true;
  }
  store_.put (sequence, data, source, peer_id, pin_new_);
  notify (sequence);
  return true;
}

gsize
Holdings::received (int64_t sequence, guint stripe) const
{
  const Segment *segment = find (sequence);
  if (!segment || !segment->expected || stripe >= segment->stripes.size ())
    return 0;
  if (segment->whole)
    return segment->layout.stripe_end (stripe)
           - segment->layout.stripe_begin (stripe);
  return segment->stripes[stripe].checked.size ();
}

bool
Holdings::stripe_complete (int64_t sequence, guint stripe) const
{
  const Segment *segment = find (sequence);
  return segment && segment->expected
         && received (sequence, stripe)
                == segment->layout.stripe_end (stripe)
                       - segment->layout.stripe_begin (stripe);
}

bool
Holdings::complete (int64_t sequence) const
{
  return store_.contains (sequence);
}

std::vector<int64_t>
Holdings::arriving () const
{
  std::vector<int64_t> sequences;
  for (const auto &s : segments_)
    if (s.second.expected && !s.second.whole)
      sequences.push_back (s.first);
  return sequences;
}

void
Holdings::set_window_start (int64_t first_sequence)
{
  store_.set_window_start (first_sequence);
  while (!segments_.empty () && !store_.accepts (segments_.begin ()->first)) {
    const int64_t sequence = segments_.begin ()->first;
    segments_.erase (segments_.begin ());
    notify (sequence);
  }
}

const ChunkLayout *
Holdings::layout (int64_t sequence) const
{
  const Segment *segment = find (sequence);
  return segment && segment->expected ? &segment->layout : nullptr;
}

ChunkedBytes
Holdings::available (int64_t sequence, gsize from, gsize to) const
{
  if (const StoredSegment *stored = store_.find (sequence)) {
    const gsize end = std::min (to, stored->data.size ());
    return from < end ? stored->data.slice (from, end - from) : ChunkedBytes ();
  }
  const Segment *segment = find (sequence);
  if (!segment || !segment->expected || from >= segment->layout.size)
    return ChunkedBytes ();
  const guint j = segment->layout.stripe_of (from);
  const gsize begin = segment->layout.stripe_begin (j);
  const gsize end = std::min (to, begin + segment->stripes[j].checked.size ());
  return from < end
             ? segment->stripes[j].checked.slice (from - begin, end - from)
             : ChunkedBytes ();
}

bool
Holdings::stripe_hashes (int64_t sequence, guint stripe,
                         std::vector<Digest> *chunk_hashes,
                         std::vector<Digest> *stripe_roots)
{
  Segment *segment = find (sequence);
  if (!segment || !segment->expected || stripe >= segment->stripes.size ())
    return false;
  if (segment->stripes[stripe].hashes.empty () && segment->whole) {
    /* Whole from somewhere that sent no hashes: work them out once. */
    const StoredSegment *stored = store_.find (sequence);
    if (!stored)
      return false;
    ChunkTree tree
        = ChunkTree::compute (stored->data, segment->layout, hasher_);
    for (guint j = 0; j < segment->layout.stripes; j++)
      segment->stripes[j].hashes.assign (
          tree.chunk_hashes.begin () + segment->layout.first_chunk (j),
          tree.chunk_hashes.begin () + segment->layout.end_chunk (j));
    segment->stripe_roots = tree.stripe_roots;
  }
  if (segment->stripes[stripe].hashes.empty ()
      || segment->stripe_roots.empty ())
    return false;
  *chunk_hashes = segment->stripes[stripe].hashes;
  *stripe_roots = segment->stripe_roots;
  return true;
}

guint64
Holdings::watch (int64_t sequence, std::function<void ()> more)
{
  const guint64 id = ++next_watch_;
  watches_.emplace (id, Watch{ sequence, std::move (more) });
  return id;
}

void
Holdings::unwatch (guint64 id)
{
  watches_.erase (id);
}

void
Holdings::notify (int64_t sequence)
{
  std::vector<guint64> ids;
  for (const auto &w : watches_)
    if (w.second.sequence == sequence)
      ids.push_back (w.first);
  /* A watcher may unwatch itself or others while we call them. */
  for (guint64 id : ids) {
    auto it = watches_.find (id);
    if (it != watches_.end ()) {
      auto more = it->second.more;
      more ();
    }
  }
}

} // namespace p2p::swarm
