/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The simulator's clock: a discrete-event queue in virtual time that runs
 * the real engine (DESIGN.md §3a), as libtorrent's simulator runs its
 * session on a simulated io_context. Events at the same time run in the
 * order they were scheduled, so a run is the same for the same inputs.
 * Single-threaded.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "gst/p2p/common/clock.h"

namespace p2p::sim {

class EventLoop : public Clock
{
public:
  /* Virtual time starts at @start (not 0: engine code may treat 0 as
   * "never"). */
  explicit EventLoop (GstClockTime start = 1000 * GST_SECOND);

  GstClockTime
  now () const override
  {
    return now_;
  }
  TimerId call_later (GstClockTime delay, std::function<void ()> fn) override;
  void cancel (TimerId id) override;

  /* Runs every event due at or before @time, then sets the time to @time. */
  void run_until (GstClockTime time);
  /* Runs the next event; false when none is left. */
  bool run_one ();

  guint64
  events_run () const
  {
    return events_run_;
  }
  size_t
  pending () const
  {
    return heap_.size () + in_windows_ + far_.size ();
  }

private:
  /* Runs the next event due at or before @limit, if any. */
  bool run_next (GstClockTime limit);

  struct Event
  {
    GstClockTime time;
    guint64 order;
    guint32 slot;
    guint32 generation;
  };
  static bool
  earlier (const Event &a, const Event &b)
  {
    return a.time != b.time ? a.time < b.time : a.order < b.order;
  }
  static bool
  later (const Event &a, const Event &b)
  {
    return earlier (b, a);
  }
  void push (const Event &event);
  void push_current (const Event &event);
  Event pop ();
  /* Loads later windows until the current one has an event; false when
   * none is left. */
  bool fill_current ();
  struct Slot
  {
    std::function<void ()> fn;
    guint32 generation = 0;
  };

  GstClockTime now_;
  guint64 order_ = 0;
  guint64 events_run_ = 0;
  /* Events wait in windows of virtual time (about a millisecond each):
   * those of the current window in a small heap, those of the next few
   * seconds unsorted in their window, later ones in a heap of their own.
   * A window is sorted when it comes up, so the heap that events are
   * popped from stays small enough for the cache; the order is the same
   * total order (time, then order of scheduling). */
  static constexpr unsigned kWindowShift = 20; /* 2^20 ns */
  static constexpr guint64 kWindows = 4096;
  guint64 window_ = 0;
  std::vector<Event> heap_;
  std::vector<std::vector<Event>> windows_;
  size_t in_windows_ = 0;
  std::vector<Event> far_;
  std::vector<Slot> slots_;
  std::vector<guint32> free_slots_;
};

} // namespace p2p::sim
