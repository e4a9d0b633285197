/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "memo-hasher.h"

namespace p2p::sim {

Digest
MemoHasher::sha256 (const ChunkedBytes &bytes)
{
  lookups_++;
  const auto &chunks = bytes.chunks ();
  /* Remembered only when the chunks are one run of memory (slices of one
   * published buffer, as they are unless a peer made new bytes). */
  bool contiguous = !chunks.empty ();
  for (size_t i = 1; contiguous && i < chunks.size (); i++)
    contiguous
        = chunks[i].data () == chunks[i - 1].data () + chunks[i - 1].size ();
  if (!contiguous) {
    hashed_bytes_ += bytes.size ();
    return hasher_.sha256 (bytes);
  }
  const Key key (chunks.front ().data (), bytes.size ());
  auto it = memo_.find (key);
  if (it != memo_.end ())
    return it->second.digest;
  hashed_bytes_ += bytes.size ();
  const Digest digest = hasher_.sha256 (bytes);
  memo_.emplace (key, Entry{ digest, chunks.front () });
  order_.push_back (key);
  if (order_.size () > capacity_) {
    memo_.erase (order_.front ());
    order_.pop_front ();
  }
  return digest;
}

} // namespace p2p::sim
