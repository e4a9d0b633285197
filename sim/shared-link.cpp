/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "shared-link.h"

#include <algorithm>
#include <cmath>

namespace p2p::sim {

SharedLink::SharedLink (EventLoop &loop, double bytes_per_s)
    : loop_ (loop), rate_ (bytes_per_s), updated_ (loop.now ())
{
}

SharedLink::~SharedLink ()
{
  loop_.cancel (timer_);
  for (Entry &e : heap_)
    delete e.flow;
  for (Flow *flow : closed_idle_)
    delete flow;
}

Flow *
SharedLink::open (Flow::Done done)
{
  return new Flow (std::move (done));
}

void
SharedLink::close (Flow *flow)
{
  flow->closed_ = true;
  flow->queue_.clear ();
  flow->queued_bytes_ = 0;
  if (!flow->in_heap_) {
    /* Freed later: a completion being dispatched may still name it. */
    closed_idle_.push_back (flow);
    return;
  }
  /* Served no more; its heap entry is dropped when it comes up. */
  advance ();
  busy_--;
  schedule ();
}

void
SharedLink::advance ()
{
  const GstClockTime now = loop_.now ();
  if (busy_ > 0)
    virtual_time_ += double (now - updated_) / GST_SECOND * rate_ / busy_;
  else
    virtual_time_ = 0; /* idle: start over, for precision */
  updated_ = now;
}

void
SharedLink::start_head (Flow *flow)
{
  flow->finish_ = virtual_time_ + double (flow->queue_.front ().wire_size ());
  flow->in_heap_ = true;
  heap_.push_back (Entry{ flow->finish_, order_++, flow });
  std::push_heap (heap_.begin (), heap_.end (), Later ());
}

void
SharedLink::send (Flow *flow, Unit unit)
{
  flow->queued_bytes_ += unit.size;
  flow->queue_.push_back (std::move (unit));
  if (flow->in_heap_)
    return;
  advance ();
  busy_++;
  start_head (flow);
  schedule ();
}

void
SharedLink::schedule ()
{
  loop_.cancel (timer_);
  timer_ = 0;
  /* Entries of closed flows at the top say nothing about the next finish. */
  while (!heap_.empty () && heap_.front ().flow->closed_) {
    std::pop_heap (heap_.begin (), heap_.end (), Later ());
    delete heap_.back ().flow;
    heap_.pop_back ();
  }
  if (heap_.empty () || busy_ == 0)
    return;
  const double remaining
      = std::max (0.0, heap_.front ().finish - virtual_time_);
  const double seconds = remaining * busy_ / rate_;
  timer_ = loop_.call_later (GstClockTime (std::ceil (seconds * GST_SECOND)),
                             [this] {
                               timer_ = 0;
                               on_timer ();
                             });
}

void
SharedLink::on_timer ()
{
  for (Flow *flow : closed_idle_)
    delete flow;
  closed_idle_.clear ();
  advance ();
  /* Everything due by now leaves, in finish order (with a margin for
   * rounding that grows with the virtual time). */
  const double due = virtual_time_ * (1 + 1e-12) + 1e-6;
  /* The list of last time, for its storage (one allocation less per
   * completion). */
  std::vector<std::pair<Flow *, Unit>> done;
  done.swap (finished_);
  while (!heap_.empty ()) {
    Entry top = heap_.front ();
    if (!top.flow->closed_ && top.finish > due)
      break;
    std::pop_heap (heap_.begin (), heap_.end (), Later ());
    heap_.pop_back ();
    Flow *flow = top.flow;
    if (flow->closed_) {
      delete flow;
      continue;
    }
    Unit unit = std::move (flow->queue_.front ());
    flow->queue_.pop_front ();
    flow->queued_bytes_ -= unit.size;
    bytes_sent_ += unit.wire_size ();
    if (flow->queue_.empty ()) {
      flow->in_heap_ = false;
      busy_--;
    } else {
      /* The next unit starts where this one ended. */
      flow->finish_ = top.finish + double (flow->queue_.front ().wire_size ());
      heap_.push_back (Entry{ flow->finish_, order_++, flow });
      std::push_heap (heap_.begin (), heap_.end (), Later ());
    }
    done.emplace_back (flow, std::move (unit));
  }
  schedule ();
  /* Callbacks last: they may send on this link or close flows. */
  for (auto &d : done)
    if (!d.first->closed_)
      d.first->done_ (std::move (d.second));
  done.clear ();
  finished_.swap (done);
}

} // namespace p2p::sim
