/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helpers. ThreadContext is for engine code that runs on a
 * GMainContext: the test thread pushes its own context as thread-default and
 * iterates it until a condition holds, as the engine thread's loop would.
 */
#pragma once

#include <functional>
#include <string>

#include <glib.h>

/* fail_unless_equals_string on a std::string expression: gst-check keeps
 * only the char pointer, which would dangle once a temporary is gone. */
#define assert_equals_std_string(actual, expected)                             \
  do {                                                                         \
    const std::string actual_str_ = (actual);                                  \
    fail_unless_equals_string (actual_str_.c_str (), (expected));              \
  } while (0)

namespace p2p::test {

class ThreadContext
{
public:
  ThreadContext () : context_ (g_main_context_new ())
  {
    g_main_context_push_thread_default (context_);
  }

  ~ThreadContext ()
  {
    /* Let cancelled operations deliver their last callbacks. */
    while (g_main_context_iteration (context_, FALSE))
      ;
    g_main_context_pop_thread_default (context_);
    g_main_context_unref (context_);
  }

  ThreadContext (const ThreadContext &) = delete;
  ThreadContext &operator= (const ThreadContext &) = delete;

  GMainContext *
  get () const
  {
    return context_;
  }

  /* Iterates until @done returns true or @timeout_ms passes; returns @done's
   * last value. */
  bool
  run_until (const std::function<bool ()> &done, guint timeout_ms)
  {
    gint64 deadline
        = g_get_monotonic_time () + timeout_ms * G_GINT64_CONSTANT (1000);
    /* A ticking source so that the blocking iteration wakes up to look at
     * the clock and @done. */
    GSource *tick = g_timeout_source_new (5);
    g_source_set_callback (
        tick, [] (gpointer) -> gboolean { return G_SOURCE_CONTINUE; }, nullptr,
        nullptr);
    g_source_attach (tick, context_);
    bool result = done ();
    while (!result && g_get_monotonic_time () < deadline) {
      g_main_context_iteration (context_, TRUE);
      result = done ();
    }
    g_source_destroy (tick);
    g_source_unref (tick);
    return result;
  }

  /* Iterates for @ms whatever happens. */
  void
  run_for (guint ms)
  {
    run_until ([] { return false; }, ms);
  }

private:
  GMainContext *context_;
};

} // namespace p2p::test
