/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a PeerSession uploads stripes from (swarm/holdings.h): the checked
 * bytes of a segment, complete or still arriving, with the chunk hashes
 * that let the receiver check them, and a way to hear when more arrive, so
 * that bytes move on as they come in (cut-through).
 */
#pragma once

#include <functional>
#include <vector>

#include "gst/p2p/common/chunk-tree.h"

namespace p2p::peer {

class StripeSource
{
public:
  virtual ~StripeSource () = default;

  /* How segment @sequence is cut, nullptr when unknown. */
  virtual const ChunkLayout *layout (int64_t sequence) const = 0;
  /* The checked bytes of @sequence within [@from, @to) that are here now:
   * a prefix of the range, empty if none. */
  virtual ChunkedBytes available (int64_t sequence, gsize from,
                                  gsize to) const = 0;
  /* The hashes of stripe @stripe's chunks and every stripe's root; false
   * while they are not known. */
  virtual bool stripe_hashes (int64_t sequence, guint stripe,
                              std::vector<Digest> *chunk_hashes,
                              std::vector<Digest> *stripe_roots)
      = 0;
  /* @more runs (once per arrival) when checked bytes of @sequence arrive or
   * the segment goes; returns an id for unwatch (). */
  virtual guint64 watch (int64_t sequence, std::function<void ()> more) = 0;
  virtual void unwatch (guint64 id) = 0;
};

} // namespace p2p::peer
