/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "segment-store.h"

#include <algorithm>
#include <iterator>

#include <gst/gst.h>

GST_DEBUG_CATEGORY_STATIC (p2p_segment_store_debug);
#define GST_CAT_DEFAULT p2p_segment_store_debug

namespace p2p::swarm {

SegmentStore::SegmentStore (gsize max_bytes, guint tail_segments)
    : max_bytes_ (max_bytes), tail_segments_ (tail_segments)
{
  static gsize initialized = 0;
  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (p2p_segment_store_debug, "p2psegmentstore", 0,
                             "gst-p2p segment store");
    g_once_init_leave (&initialized, 1);
  }
}

PutResult
SegmentStore::put (gint64 sequence, const ChunkedBytes &data,
                   SegmentSource source, const std::string &peer_id,
                   bool pinned)
{
  if (sequence < keep_from_)
    return PutResult::TOO_OLD;
  if (segments_.count (sequence))
    return PutResult::ALREADY_STORED;

  StoredSegment segment;
  segment.sequence = sequence;
  segment.data = data;
  segment.source = source;
  segment.peer_id = peer_id;
  segment.pins = pinned ? 1 : 0;
  stats_.bytes += segment.size ();
  stats_.count++;
  generation_++;
  stats_.peak_bytes = std::max (stats_.peak_bytes, stats_.bytes);
  segments_.emplace (sequence, std::move (segment));
  GST_LOG ("stored %" G_GINT64_FORMAT ": %" G_GSIZE_FORMAT " bytes held",
           sequence, stats_.bytes);

  evict ();
  if (!contains (sequence))
    return PutResult::NO_ROOM;
  if (on_stored_)
    on_stored_ (sequence);
  return PutResult::STORED;
}

const StoredSegment *
SegmentStore::find (gint64 sequence) const
{
  auto it = segments_.find (sequence);
  return it == segments_.end () ? nullptr : &it->second;
}

ChunkedBytes
SegmentStore::get (gint64 sequence) const
{
  const StoredSegment *segment = find (sequence);
  return segment ? segment->data : ChunkedBytes ();
}

std::vector<gint64>
SegmentStore::sequences () const
{
  std::vector<gint64> result;
  result.reserve (segments_.size ());
  for (const auto &entry : segments_)
    result.push_back (entry.first);
  return result;
}

bool
SegmentStore::pin (gint64 sequence)
{
  auto it = segments_.find (sequence);
  if (it == segments_.end ())
    return false;
  it->second.pins++;
  return true;
}

void
SegmentStore::unpin (gint64 sequence)
{
  auto it = segments_.find (sequence);
  g_return_if_fail (it != segments_.end () && it->second.pins > 0);
  if (--it->second.pins > 0)
    return;
  expire ();
  evict ();
}

void
SegmentStore::set_window_start (gint64 first_sequence)
{
  gint64 keep_from = first_sequence - (gint64)tail_segments_;
  if (keep_from <= keep_from_)
    return;
  keep_from_ = keep_from;
  expire ();
}

bool
SegmentStore::remove (gint64 sequence)
{
  auto it = segments_.find (sequence);
  if (it == segments_.end ())
    return false;
  erase (it, RemovalReason::REMOVED);
  return true;
}

void
SegmentStore::set_max_bytes (gsize max_bytes)
{
  max_bytes_ = max_bytes;
  evict ();
}

void
SegmentStore::set_removed_callback (RemovedCallback callback)
{
  on_removed_ = std::move (callback);
}

void
SegmentStore::set_stored_callback (StoredCallback callback)
{
  on_stored_ = std::move (callback);
}

void
SegmentStore::erase (std::map<gint64, StoredSegment>::iterator it,
                     RemovalReason reason)
{
  gint64 sequence = it->first;
  gsize size = it->second.size ();
  stats_.bytes -= size;
  stats_.count--;
  generation_++;
  if (reason == RemovalReason::EVICTED) {
    stats_.evictions++;
    stats_.evicted_bytes += size;
  } else if (reason == RemovalReason::EXPIRED) {
    stats_.expirations++;
  }
  segments_.erase (it);
  GST_LOG ("dropped %" G_GINT64_FORMAT " (%d): %" G_GSIZE_FORMAT " bytes held",
           sequence, (int)reason, stats_.bytes);
  if (on_removed_)
    on_removed_ (sequence, reason);
}

void
SegmentStore::expire ()
{
  auto it = segments_.begin ();
  while (it != segments_.end () && it->first < keep_from_) {
    auto next = std::next (it);
    if (it->second.pins == 0)
      erase (it, RemovalReason::EXPIRED);
    it = next;
  }
}

void
SegmentStore::evict ()
{
  auto it = segments_.begin ();
  while (stats_.bytes > max_bytes_ && it != segments_.end ()) {
    auto next = std::next (it);
    if (it->second.pins == 0)
      erase (it, RemovalReason::EVICTED);
    it = next;
  }
  if (stats_.bytes > max_bytes_)
    GST_DEBUG ("%" G_GSIZE_FORMAT " bytes held, over the %" G_GSIZE_FORMAT
               " byte budget: the rest is pinned",
               stats_.bytes, max_bytes_);
}

} // namespace p2p::swarm
