/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The segments a swarm member holds (DESIGN.md §3 "Segment store"), keyed by
 * media sequence number. Memory is bounded in bytes, not in segments: when a
 * put goes over the budget the lowest sequence numbers go first, except
 * pinned ones (being uploaded, or not yet pushed downstream). The live window
 * plus `tail_segments` behind it stay, so that peers behind us can still
 * fetch; older segments are dropped when the window moves.
 *
 * Bodies are GBytes shared without copies between the output, uploads and the
 * store. Not thread-safe: engine thread only, like the rest of the swarm.
 */
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <glib.h>

#include "gst/p2p/common/chunked-bytes.h"

namespace p2p::swarm {

enum class SegmentSource {
  HTTP,  /* fetched from the origin/CDN */
  PEER,  /* received from a peer */
  LOCAL, /* produced here (the broadcaster) */
};

struct StoredSegment
{
  gint64 sequence = 0;
  ChunkedBytes data;
  SegmentSource source = SegmentSource::HTTP;
  /* The peer it came from, for PEER. */
  std::string peer_id;
  guint pins = 0;

  gsize
  size () const
  {
    return data.size ();
  }
};

struct SegmentStoreStats
{
  gsize bytes = 0;
  gsize count = 0;
  /* Removed to stay within the byte budget. */
  guint64 evictions = 0;
  guint64 evicted_bytes = 0;
  /* Removed because they fell behind the live window and its tail. */
  guint64 expirations = 0;
  /* Highest `bytes` seen. */
  gsize peak_bytes = 0;
};

enum class PutResult {
  STORED,
  /* The sequence is already held; the first copy stays. */
  ALREADY_STORED,
  /* Behind the live window and its tail. */
  TOO_OLD,
  /* Evicted at once to stay within the budget: everything older is pinned
   * or it is the oldest segment. */
  NO_ROOM,
};

class SegmentStore
{
public:
  /* Why a segment left the store. */
  enum class RemovalReason {
    EVICTED,
    EXPIRED,
    REMOVED,
  };
  using RemovedCallback
      = std::function<void (gint64 sequence, RemovalReason reason)>;
  using StoredCallback = std::function<void (gint64 sequence)>;

  SegmentStore (gsize max_bytes, guint tail_segments);

  /* Stores @data (sharing its memory), then evicts until within budget. With
   * @pinned, the segment holds one pin from the start (to be unpin()ned later),
   * so that it cannot be evicted by its own put. */
  PutResult put (gint64 sequence, const ChunkedBytes &data,
                 SegmentSource source, const std::string &peer_id = {},
                 bool pinned = false);

  const StoredSegment *find (gint64 sequence) const;
  /* Not behind the live window and its tail: put () would take it. */
  bool
  accepts (gint64 sequence) const
  {
    return sequence >= keep_from_;
  }
  bool
  contains (gint64 sequence) const
  {
    return find (sequence) != nullptr;
  }
  /* The body, empty when absent. */
  ChunkedBytes get (gint64 sequence) const;
  /* Held sequence numbers, ascending. */
  std::vector<gint64> sequences () const;

  /* Pins are counted: each pin() that returned true needs one unpin().
   * A pinned segment is never evicted or expired; the budget may then be
   * exceeded until the last unpin(), which evicts again. */
  bool pin (gint64 sequence);
  void unpin (gint64 sequence);

  /* The live window now starts at @first_sequence: segments below
   * first_sequence - tail_segments go, pinned ones when unpinned. */
  void set_window_start (gint64 first_sequence);

  /* Removes @sequence even if it is pinned (a segment that failed its
   * integrity check). Returns whether it was held. */
  bool remove (gint64 sequence);

  void set_max_bytes (gsize max_bytes);
  gsize
  max_bytes () const
  {
    return max_bytes_;
  }
  guint
  tail_segments () const
  {
    return tail_segments_;
  }

  /* Called after a segment left the store, for every reason. It must not
   * modify the store. */
  void set_removed_callback (RemovedCallback callback);
  /* Called when a segment entered the store whole (from any source). It
   * must not modify the store. */
  void set_stored_callback (StoredCallback callback);

  const SegmentStoreStats &
  stats () const
  {
    return stats_;
  }
  /* Changes whenever a segment enters or leaves. */
  guint64
  generation () const
  {
    return generation_;
  }

private:
  void erase (std::map<gint64, StoredSegment>::iterator it,
              RemovalReason reason);
  void expire ();
  void evict ();

  gsize max_bytes_;
  guint tail_segments_;
  /* Lowest sequence kept: window start - tail; nothing below it enters. */
  gint64 keep_from_ = G_MININT64;
  std::map<gint64, StoredSegment> segments_;
  SegmentStoreStats stats_;
  guint64 generation_ = 0;
  RemovedCallback on_removed_;
  StoredCallback on_stored_;
};

} // namespace p2p::swarm
