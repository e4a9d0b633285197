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

EventLoop::EventLoop (GstClockTime start)
    : now_ (start), window_ (start >> kWindowShift), windows_ (kWindows)
{
}

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
  push (Event{ now_ + delay, order_++, slot, slots_[slot].generation });
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
  while (fill_current () && heap_.front ().time <= limit) {
    const Event event = pop ();
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

void
EventLoop::push (const Event &event)
{
  const guint64 window = event.time >> kWindowShift;
  if (window <= window_) {
    push_current (event);
  } else if (window < window_ + kWindows) {
    windows_[window % kWindows].push_back (event);
    in_windows_++;
  } else {
    far_.push_back (event);
    std::push_heap (far_.begin (), far_.end (), later);
  }
}

bool
EventLoop::fill_current ()
{
  while (heap_.empty ()) {
    if (in_windows_ == 0) {
      if (far_.empty ())
        return false;
      /* Nothing in the next seconds: on to the first far event. */
      window_ = std::max (window_ + 1, far_.front ().time >> kWindowShift);
    } else {
      window_++;
    }
    std::vector<Event> &waiting = windows_[window_ % kWindows];
    in_windows_ -= waiting.size ();
    for (const Event &event : waiting)
      push_current (event);
    /* Its storage goes too: kept, each of the 4,096 windows would hold as
     * much as it ever held, far more than the events waiting. */
    std::vector<Event> ().swap (waiting);
    while (!far_.empty () && (far_.front ().time >> kWindowShift) <= window_) {
      push_current (far_.front ());
      std::pop_heap (far_.begin (), far_.end (), later);
      far_.pop_back ();
    }
  }
  return true;
}

/* The current window's heap is 4-ary: half as deep as a binary one, and a
 * node's children share a cache line or two. */
void
EventLoop::push_current (const Event &event)
{
  size_t at = heap_.size ();
  heap_.push_back (event);
  while (at > 0) {
    const size_t parent = (at - 1) / 4;
    if (!earlier (event, heap_[parent]))
      break;
    heap_[at] = heap_[parent];
    at = parent;
  }
  heap_[at] = event;
}

EventLoop::Event
EventLoop::pop ()
{
  const Event top = heap_.front ();
  const Event last = heap_.back ();
  heap_.pop_back ();
  const size_t size = heap_.size ();
  if (size == 0)
    return top;
  size_t at = 0;
  for (;;) {
    const size_t first = 4 * at + 1;
    if (first >= size)
      break;
    size_t best = first;
    const size_t end = std::min (first + 4, size);
    for (size_t c = first + 1; c < end; c++)
      if (earlier (heap_[c], heap_[best]))
        best = c;
    if (!earlier (heap_[best], last))
      break;
    heap_[at] = heap_[best];
    at = best;
  }
  heap_[at] = last;
  return top;
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
