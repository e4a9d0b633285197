/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "chunked-bytes.h"

#include <algorithm>
#include <cstring>

namespace p2p {

void
ChunkedBytes::append (GBytes *chunk)
{
  gsize size = g_bytes_get_size (chunk);
  if (size == 0)
    return;
  chunks_.emplace_back (chunk);
  size_ += size;
}

void
ChunkedBytes::append (const ChunkedBytes &other)
{
  for (const BytesRef &chunk : other.chunks_)
    append (chunk.get ());
}

ChunkedBytes
ChunkedBytes::slice (gsize offset, gsize length) const
{
  ChunkedBytes out;
  gsize at = 0;
  const gsize end
      = offset + std::min (length, size_ - std::min (offset, size_));
  for (const BytesRef &chunk : chunks_) {
    const gsize chunk_end = at + chunk.size ();
    if (chunk_end > offset && at < end) {
      const gsize from = std::max (offset, at) - at;
      const gsize to = std::min (end, chunk_end) - at;
      if (from == 0 && to == chunk.size ()) {
        out.append (chunk.get ());
      } else {
        out.chunks_.push_back (BytesRef::adopt (
            g_bytes_new_from_bytes (chunk.get (), from, to - from)));
        out.size_ += to - from;
      }
    }
    if (chunk_end >= end)
      break;
    at = chunk_end;
  }
  return out;
}

GBytesPtr
ChunkedBytes::flatten () const
{
  if (chunks_.size () == 1)
    return GBytesPtr (g_bytes_ref (chunks_.front ().get ()));
  guint8 *data = static_cast<guint8 *> (g_malloc (size_));
  gsize at = 0;
  for (const BytesRef &chunk : chunks_) {
    memcpy (data + at, chunk.data (), chunk.size ());
    at += chunk.size ();
  }
  return GBytesPtr (g_bytes_new_take (data, size_));
}

bool
ChunkedBytes::equals (GBytes *other) const
{
  gsize other_size = 0;
  auto other_data
      = static_cast<const guint8 *> (g_bytes_get_data (other, &other_size));
  if (other_size != size_)
    return false;
  gsize at = 0;
  for (const BytesRef &chunk : chunks_) {
    if (memcmp (other_data + at, chunk.data (), chunk.size ()) != 0)
      return false;
    at += chunk.size ();
  }
  return true;
}

} // namespace p2p
