/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One direction of a simulated access link (a host's uplink or downlink):
 * its rate is shared equally among the flows that have something to send
 * (processor sharing, as TCP and SCTP flows sharing a bottleneck roughly
 * do). Each flow is a FIFO of units (a data-channel message, a piece of an
 * HTTP body); a unit leaves the link when the flow has been served its
 * size. Finish times follow from a virtual clock that advances at the rate
 * each busy flow gets, so the cost is one event per unit whatever the
 * number of flows.
 */
#pragma once

#include <functional>
#include <vector>

#include "gst/p2p/common/chunked-bytes.h"
#include "sim/event-loop.h"

namespace p2p::sim {

struct Unit
{
  BytesRef bytes; /* may be empty: only the size travels */
  gsize size = 0;
  /* What the link carries beside @size: packet headers (Network's wire
   * costs). It takes the link's time but is no payload: a flow's queued
   * bytes leave it out, as SCTP's buffered amount does. */
  gsize headers = 0;

  gsize
  wire_size () const
  {
    return size + headers;
  }
};

/* First in, first out, in a ring. The first two items are kept inline: a
 * simulated swarm holds four per channel, most of them empty or with an item
 * or two, and items in a buffer of their own cost one more cache miss each
 * time they are reached. Beyond two they move to a buffer on the heap, kept
 * for the next items once the queue empties. */
template <typename T> class Fifo
{
public:
  bool
  empty () const
  {
    return size_ == 0;
  }
  T &
  front ()
  {
    return items ()[head_];
  }
  void
  push_back (T item)
  {
    if (size_ == capacity ())
      grow ();
    items ()[(head_ + size_) & (capacity () - 1)] = std::move (item);
    size_++;
  }
  void
  pop_front ()
  {
    items ()[head_] = T ();
    head_ = (head_ + 1) & (capacity () - 1);
    size_--;
  }
  void
  clear ()
  {
    while (!empty ())
      pop_front ();
    head_ = 0;
  }

private:
  static constexpr size_t kInline = 2; /* a power of two, as capacity () */

  T *
  items ()
  {
    return spilled_.empty () ? inline_ : spilled_.data ();
  }
  size_t
  capacity () const
  {
    return spilled_.empty () ? kInline : spilled_.size ();
  }
  void
  grow ()
  {
    std::vector<T> larger (2 * capacity ());
    for (size_t i = 0; i < size_; i++)
      larger[i] = std::move (items ()[(head_ + i) & (capacity () - 1)]);
    spilled_.swap (larger);
    head_ = 0;
  }

  T inline_[kInline];
  std::vector<T> spilled_;
  size_t head_ = 0;
  size_t size_ = 0;
};

class SharedLink;

/* A flow of a link; created and closed by the link's owner. */
class Flow
{
public:
  using Done = std::function<void (Unit unit)>;

  gsize
  queued_bytes () const
  {
    return queued_bytes_;
  }

private:
  friend class SharedLink;
  explicit Flow (Done done) : done_ (std::move (done)) {}

  /* What a completion reads first, on the flow's first cache line. */
  bool in_heap_ = false;
  bool closed_ = false;
  /* Virtual time at which the head unit is fully served. */
  double finish_ = 0;
  gsize queued_bytes_ = 0;
  Fifo<Unit> queue_;
  Done done_;
};

class SharedLink
{
public:
  SharedLink (EventLoop &loop, double bytes_per_s);
  ~SharedLink ();

  SharedLink (const SharedLink &) = delete;
  SharedLink &operator= (const SharedLink &) = delete;

  /* A new flow; @done runs for each unit when it has crossed the link. */
  Flow *open (Flow::Done done);
  /* Drops what @flow still holds; @flow must not be used afterwards and its
   * callback does not run again. */
  void close (Flow *flow);
  void send (Flow *flow, Unit unit);

  double
  bytes_per_s () const
  {
    return rate_;
  }
  /* Everything it carried, headers included. */
  guint64
  bytes_sent () const
  {
    return bytes_sent_;
  }

private:
  struct Entry
  {
    double finish;
    guint64 order;
    Flow *flow;
  };
  struct Later
  {
    bool
    operator() (const Entry &a, const Entry &b) const
    {
      return a.finish != b.finish ? a.finish > b.finish : a.order > b.order;
    }
  };

  void advance ();
  void start_head (Flow *flow);
  void schedule ();
  void on_timer ();

  EventLoop &loop_;
  const double rate_;
  /* Bytes each busy flow has been served since the start. */
  double virtual_time_ = 0;
  GstClockTime updated_ = 0;
  size_t busy_ = 0;
  guint64 order_ = 0;
  guint64 bytes_sent_ = 0;
  std::vector<Entry> heap_;
  /* Units done at the last completion, kept for their storage. */
  std::vector<std::pair<Flow *, Unit>> finished_;
  /* Closed while idle, freed at the next completion. */
  std::vector<Flow *> closed_idle_;
  TimerId timer_ = 0;
};

} // namespace p2p::sim
