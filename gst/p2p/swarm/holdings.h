/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What a swarm member holds: whole segments (a SegmentStore, bounded in
 * bytes) and segments arriving stripe by stripe from relays or HTTP. Bytes
 * of a stripe are kept only once checked, chunk by chunk, against hashes
 * that are themselves checked against the root the playlist publishes
 * (#EXT-X-P2P-CHUNKS, common/chunk-tree.h); only checked bytes are played
 * or passed on. A segment whose stripes are all in moves to the store.
 * Engine thread only.
 */
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gst/p2p/common/hasher.h"
#include "gst/p2p/peer/stripe-source.h"
#include "gst/p2p/swarm/segment-store.h"

namespace p2p::swarm {

class Holdings : public peer::StripeSource
{
public:
  enum class Append {
    KEPT,    /* taken (checked now, or once the hashes are known) */
    IGNORED, /* not where the stripe continues, or not expected */
    BAD,     /* a chunk does not match its hash: the sender lied */
  };

  /* @completed runs when a segment arriving by stripes is whole and in the
   * store. With @pin_new, segments enter the store pinned (a viewer unpins
   * them once played). */
  Holdings (gsize max_bytes, guint tail_segments, Hasher &hasher, bool pin_new,
            std::function<void (int64_t sequence)> completed);

  SegmentStore &
  store ()
  {
    return store_;
  }
  const SegmentStore &
  store () const
  {
    return store_;
  }

  /* The playlist lists @sequence cut as @layout under @root: its stripes
   * can be received and checked. */
  void expect (int64_t sequence, const ChunkLayout &layout, const Digest &root);
  bool
  expected (int64_t sequence) const
  {
    return segments_.count (sequence) != 0;
  }

  /* A relay's hashes for the stripe holding byte @offset of @sequence,
   * before its bytes: false when they do not match the root (the relay
   * lied). Before the playlist lists the segment they are kept, and
   * checked once it does. */
  bool add_hashes (int64_t sequence, gsize offset,
                   const std::vector<Digest> &chunk_hashes,
                   const std::vector<Digest> &stripe_roots);
  /* Bytes of @sequence from @offset on (within one stripe), from a relay
   * or HTTP. */
  Append append (int64_t sequence, gsize offset, GBytes *bytes);
  /* A whole segment (HTTP, or a peer without stripes): it is checked
   * against the root if expected, and stored. False when it does not
   * match. */
  bool put_whole (int64_t sequence, const ChunkedBytes &data,
                  SegmentSource source, const std::string &peer_id);

  /* Checked bytes of stripe @stripe from its start. */
  gsize received (int64_t sequence, guint stripe) const;
  bool stripe_complete (int64_t sequence, guint stripe) const;
  bool complete (int64_t sequence) const;
  /* Segments arriving by stripes, not complete yet. */
  std::vector<int64_t> arriving () const;
  /* Where the window starts: older segments (and their stripes) go. */
  void set_window_start (int64_t first_sequence);
  /* Changes whenever what we hold changes (whole segments only). */
  guint64
  generation () const
  {
    return store_.generation ();
  }

  /* peer::StripeSource */
  const ChunkLayout *layout (int64_t sequence) const override;
  ChunkedBytes available (int64_t sequence, gsize from,
                          gsize to) const override;
  bool stripe_hashes (int64_t sequence, guint stripe,
                      std::vector<Digest> *chunk_hashes,
                      std::vector<Digest> *stripe_roots) override;
  guint64 watch (int64_t sequence, std::function<void ()> more) override;
  void unwatch (guint64 id) override;

private:
  struct Stripe
  {
    std::vector<Digest> hashes; /* checked against the root */
    ChunkedBytes checked;       /* from the stripe's start */
    ChunkedBytes unchecked;     /* what follows, waiting for hashes */
  };
  struct Segment
  {
    /* From the playlist: nothing is checked (or kept) before. */
    bool expected = false;
    ChunkLayout layout;
    Digest root{};
    std::vector<Digest> stripe_roots; /* checked, empty until known */
    std::vector<Stripe> stripes;
    bool whole = false; /* in the store */
    /* Before the playlist lists it: what relays sent, by where it starts. */
    struct Offered
    {
      std::vector<Digest> chunk_hashes, stripe_roots;
    };
    std::map<gsize, Offered> offered_hashes;
    std::map<gsize, ChunkedBytes> offered_bytes;
  };

  Segment *find (int64_t sequence);
  const Segment *find (int64_t sequence) const;
  /* Checks what waits in stripe @j; false on a bad chunk. */
  bool check (int64_t sequence, Segment &segment, guint j);
  void complete_if_whole (int64_t sequence, Segment &segment);
  bool take_hashes (Segment &segment, guint stripe,
                    const std::vector<Digest> &chunk_hashes,
                    const std::vector<Digest> &stripe_roots);
  Append take_bytes (int64_t sequence, Segment &segment, gsize offset,
                     ChunkedBytes bytes);
  Append take_stripe_bytes (int64_t sequence, Segment &segment, guint j,
                            gsize offset, const ChunkedBytes &bytes);
  void notify (int64_t sequence);

  Hasher &hasher_;
  const bool pin_new_;
  SegmentStore store_;
  std::function<void (int64_t)> completed_;
  std::map<int64_t, Segment> segments_;
  struct Watch
  {
    int64_t sequence;
    std::function<void ()> more;
  };
  std::map<guint64, Watch> watches_;
  guint64 next_watch_ = 0;
};

} // namespace p2p::swarm
