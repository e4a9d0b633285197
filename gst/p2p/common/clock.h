/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The time seam (DESIGN.md §3a): engine objects read the time and arm
 * timers only through a Clock, so that the same code runs on the engine
 * thread's GMainContext (GLibClock) and in the simulator's discrete-event
 * queue (sim/event-loop.h), as libtorrent's session runs on a real or a
 * simulated io_context. Times are monotonic nanoseconds (GstClockTime).
 */
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>

#include <gst/gst.h>

namespace p2p {

using TimerId = guint64;

class Clock
{
public:
  virtual ~Clock () = default;

  virtual GstClockTime now () const = 0;

  /* Runs @fn once after @delay (0: as soon as the loop gets to it, after
   * what is already due). Returns a non-zero id for cancel (). */
  virtual TimerId call_later (GstClockTime delay, std::function<void ()> fn)
      = 0;

  /* Drops a pending call; no-op for a call that ran or an unknown id. */
  virtual void cancel (TimerId id) = 0;
};

/* At most one pending call, cancelled when the Timer goes: owners hold
 * Timers as members, so no call outlives the object it uses. */
class Timer
{
public:
  explicit Timer (Clock &clock) : clock_ (clock) {}
  ~Timer () { cancel (); }

  Timer (const Timer &) = delete;
  Timer &operator= (const Timer &) = delete;

  /* Runs @fn after @delay, replacing a pending call. */
  void start (GstClockTime delay, std::function<void ()> fn);
  /* Runs @fn every @interval until cancelled. @fn may destroy the Timer. */
  void start_repeating (GstClockTime interval, std::function<void ()> fn);
  void cancel ();

  bool
  pending () const
  {
    return id_ != 0;
  }

private:
  void arm_repeating ();

  Clock &clock_;
  TimerId id_ = 0;
  /* What the pending call runs, kept here so that the call handed to the
   * clock holds only a pointer (no allocation per call): one-shot, or
   * repeating (shared: a call may destroy the Timer while it runs). */
  std::function<void ()> once_;
  std::shared_ptr<std::function<void ()>> repeating_;
  GstClockTime interval_ = 0;
};

/* The production clock: g_get_monotonic_time () and GSources on one
 * GMainContext, to be used on the thread that runs it (the EngineThread). */
class GLibClock : public Clock
{
public:
  explicit GLibClock (GMainContext *context);
  ~GLibClock () override;

  GLibClock (const GLibClock &) = delete;
  GLibClock &operator= (const GLibClock &) = delete;

  GstClockTime now () const override;
  TimerId call_later (GstClockTime delay, std::function<void ()> fn) override;
  void cancel (TimerId id) override;

private:
  struct Call;
  static gboolean dispatch (GSource *source, GSourceFunc, gpointer) noexcept;

  GMainContext *context_;
  TimerId last_id_ = 0;
  std::unordered_map<TimerId, GSource *> pending_;
};

} // namespace p2p
