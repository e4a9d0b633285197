/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Segment payloads without copies: a segment is the list of GBytes it
 * arrived in (one HTTP body, or the data-channel messages of a peer), and
 * uploads and output take slices of those (g_bytes_new_from_bytes shares the
 * memory). A published segment thus travels from the broadcaster through
 * the codec, the transport and every viewer's store as references to the
 * same memory (DESIGN.md §3 "Segment store").
 */
#pragma once

#include <utility>
#include <vector>

#include <glib.h>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p {

/* A shared reference to a GBytes: copying takes a reference. */
class BytesRef
{
public:
  BytesRef () = default;
  /* Takes a new reference to @bytes. */
  explicit BytesRef (GBytes *bytes)
      : bytes_ (bytes ? g_bytes_ref (bytes) : nullptr)
  {
  }
  static BytesRef
  adopt (GBytes *bytes)
  {
    BytesRef ref;
    ref.bytes_ = bytes;
    return ref;
  }
  BytesRef (const BytesRef &other) : BytesRef (other.bytes_) {}
  BytesRef (BytesRef &&other) noexcept
      : bytes_ (std::exchange (other.bytes_, nullptr))
  {
  }
  BytesRef &
  operator= (BytesRef other) noexcept
  {
    std::swap (bytes_, other.bytes_);
    return *this;
  }
  ~BytesRef ()
  {
    if (bytes_)
      g_bytes_unref (bytes_);
  }

  GBytes *
  get () const
  {
    return bytes_;
  }
  gsize
  size () const
  {
    return bytes_ ? g_bytes_get_size (bytes_) : 0;
  }
  const guint8 *
  data () const
  {
    return bytes_ ? static_cast<const guint8 *> (
               g_bytes_get_data (bytes_, nullptr))
                  : nullptr;
  }
  explicit operator bool () const { return bytes_ != nullptr; }

private:
  GBytes *bytes_ = nullptr;
};

class ChunkedBytes
{
public:
  ChunkedBytes () = default;
  /* One chunk, a new reference to @bytes. */
  explicit ChunkedBytes (GBytes *bytes) { append (bytes); }

  /* Appends a new reference to @chunk (empty ones are left out). */
  void append (GBytes *chunk);
  void append (const ChunkedBytes &other);

  gsize
  size () const
  {
    return size_;
  }
  bool
  empty () const
  {
    return size_ == 0;
  }
  const std::vector<BytesRef> &
  chunks () const
  {
    return chunks_;
  }

  /* Bytes [@offset, @offset + @length) as slices of our chunks, clamped to
   * what we hold. */
  ChunkedBytes slice (gsize offset, gsize length) const;

  /* The bytes as one GBytes: a new reference to the only chunk, or a copy
   * when there are several. */
  GBytesPtr flatten () const;

  /* Whether @other holds the same bytes. */
  bool equals (GBytes *other) const;

private:
  std::vector<BytesRef> chunks_;
  gsize size_ = 0;
};

} // namespace p2p
