/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "event-loop.h"

#include <algorithm>

namespace p2p::sim {

namespace {

/* A TimerId is the slot (plus one, so that 0 stays invalid) and the slot's
 * generation, so that cancelling a call that already ran (its slot reused
 * since) does nothing. */
TimerId
make_id (guint32 slot, guint32 generation)
{
  return (TimerId (generation) << 32) | (TimerId (slot) + 1);
}

} // namespace

EventLoop::EventLoop (GstClockTime start) : now_ (start) {}

TimerId
EventLoop::call_later (GstClockTime delay, std::function<void ()> fn)
{
  guint32 slot;
  if (!free_slots_.empty ()) {
    slot = free_slots_.back ();
    free_slots_.pop_back ();
  } else {
    slot = guint32 (slots_.size ());
    slots_.emplace_back ();
  }
  slots_[slot].fn = std::move (fn);
  heap_.push_back (
      Event{ now_ + delay, order_++, slot, slots_[slot].generation });
  std::push_heap (heap_.begin (), heap_.end (), Later ());
  return make_id (slot, slots_[slot].generation);
}

void
EventLoop::cancel (TimerId id)
{
  if (id == 0)
    return;
  const guint32 slot = guint32 (id & 0xffffffffu) - 1;
  const guint32 generation = guint32 (id >> 32);
  if (slot >= slots_.size () || slots_[slot].generation != generation
      || !slots_[slot].fn)
    return;
  /* The heap entry stays and is skipped when it comes up. */
  slots_[slot].fn = nullptr;
  slots_[slot].generation++;
  free_slots_.push_back (slot);
}

bool
EventLoop::run_next (GstClockTime limit)
{
  while (!heap_.empty () && heap_.front ().time <= limit) {
    std::pop_heap (heap_.begin (), heap_.end (), Later ());
    const Event event = heap_.back ();
    heap_.pop_back ();
    Slot &slot = slots_[event.slot];
    if (slot.generation != event.generation || !slot.fn)
      continue; /* cancelled */
    now_ = std::max (now_, event.time);
    std::function<void ()> fn = std::move (slot.fn);
    slot.fn = nullptr;
    slot.generation++;
    free_slots_.push_back (event.slot);
    events_run_++;
    fn ();
    return true;
  }
  return false;
}

bool
EventLoop::run_one ()
{
  return run_next (GST_CLOCK_TIME_NONE);
}

void
EventLoop::run_until (GstClockTime time)
{
  while (run_next (time))
    ;
  now_ = std::max (now_, time);
}

} // namespace p2p::sim
