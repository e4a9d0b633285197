/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "clock.h"

#include <utility>

namespace p2p {

void
Timer::start (GstClockTime delay, std::function<void ()> fn)
{
  cancel ();
  once_ = std::move (fn);
  id_ = clock_.call_later (delay, [this] {
    id_ = 0;
    /* Taken out first: @fn may start us again, or destroy us. */
    std::function<void ()> fn = std::move (once_);
    once_ = nullptr;
    fn ();
  });
}

void
Timer::start_repeating (GstClockTime interval, std::function<void ()> fn)
{
  cancel ();
  repeating_ = std::make_shared<std::function<void ()>> (std::move (fn));
  interval_ = interval;
  arm_repeating ();
}

void
Timer::arm_repeating ()
{
  id_ = clock_.call_later (interval_, [this] {
    /* Re-armed first: @fn may cancel it, or destroy us with it. */
    std::shared_ptr<std::function<void ()>> fn = repeating_;
    arm_repeating ();
    (*fn) ();
  });
}

void
Timer::cancel ()
{
  if (id_)
    clock_.cancel (std::exchange (id_, 0));
  once_ = nullptr;
  repeating_.reset ();
}

/* A GSource with a ready time in microseconds (g_timeout_source_new rounds
 * to milliseconds), carrying its call. */
struct GLibClock::Call
{
  GSource source;
  GLibClock *clock;
  TimerId id;
  std::function<void ()> *fn;
};

gboolean
GLibClock::dispatch (GSource *source, GSourceFunc, gpointer) noexcept
{
  auto call = reinterpret_cast<Call *> (source);
  std::unique_ptr<std::function<void ()>> fn (
      std::exchange (call->fn, nullptr));
  GLibClock *clock = call->clock;
  clock->pending_.erase (call->id);
  /* Destroyed before the call runs: a call that cancels its own id, or
   * arms a new one, sees a clean state. */
  g_source_destroy (source);
  g_source_unref (source);
  (*fn) ();
  return G_SOURCE_REMOVE;
}

GLibClock::GLibClock (GMainContext *context)
    : context_ (g_main_context_ref (context))
{
}

GLibClock::~GLibClock ()
{
  for (auto &entry : pending_) {
    auto call = reinterpret_cast<Call *> (entry.second);
    delete std::exchange (call->fn, nullptr);
    g_source_destroy (entry.second);
    g_source_unref (entry.second);
  }
  g_main_context_unref (context_);
}

GstClockTime
GLibClock::now () const
{
  return GstClockTime (g_get_monotonic_time ()) * GST_USECOND;
}

TimerId
GLibClock::call_later (GstClockTime delay, std::function<void ()> fn)
{
  static GSourceFuncs funcs
      = { nullptr, nullptr, &GLibClock::dispatch, nullptr, nullptr, nullptr };
  GSource *source = g_source_new (&funcs, sizeof (Call));
  auto call = reinterpret_cast<Call *> (source);
  call->clock = this;
  call->id = ++last_id_;
  call->fn = new std::function<void ()> (std::move (fn));
  g_source_set_ready_time (source, g_get_monotonic_time ()
                                       + gint64 (delay / GST_USECOND));
  g_source_attach (source, context_);
  pending_.emplace (call->id, source);
  return call->id;
}

void
GLibClock::cancel (TimerId id)
{
  auto it = pending_.find (id);
  if (it == pending_.end ())
    return;
  GSource *source = it->second;
  pending_.erase (it);
  auto call = reinterpret_cast<Call *> (source);
  delete std::exchange (call->fn, nullptr);
  g_source_destroy (source);
  g_source_unref (source);
}

} // namespace p2p
