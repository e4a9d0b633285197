/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The simulator's Hasher: ten thousand viewers check references to the same
 * published bytes, so the digest of memory already hashed is remembered
 * (keyed by where the bytes are, held alive while remembered) and anything
 * else is hashed. A simulated peer that corrupts a copy makes new memory,
 * which is hashed and caught like in production.
 */
#pragma once

#include <deque>
#include <string>
#include <unordered_map>
#include <utility>

#include "gst/p2p/common/hasher.h"

namespace p2p::sim {

class MemoHasher : public Hasher
{
public:
  explicit MemoHasher (size_t capacity = 16384) : capacity_ (capacity)
  {
    memo_.reserve (capacity + 1);
  }

  Digest sha256 (const ChunkedBytes &bytes) override;

  guint64
  hashed_bytes () const
  {
    return hashed_bytes_;
  }
  guint64
  lookups () const
  {
    return lookups_;
  }

private:
  using Key = std::pair<const guint8 *, gsize>;
  struct KeyHash
  {
    size_t
    operator() (const Key &key) const
    {
      return std::hash<const guint8 *> () (key.first) ^ (key.second << 1);
    }
  };
  struct Entry
  {
    Digest digest;
    BytesRef keep_alive;
  };

  Sha256Hasher hasher_;
  const size_t capacity_;
  /* Hashed, not ordered: a lookup per chunk check, and a tree of this size
   * is a dozen cache misses deep. */
  std::unordered_map<Key, Entry, KeyHash> memo_;
  std::deque<Key> order_;
  guint64 hashed_bytes_ = 0;
  guint64 lookups_ = 0;
};

} // namespace p2p::sim
