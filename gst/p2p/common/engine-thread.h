/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The engine thread (DESIGN.md §3, STYLE.md #10): one thread running its own
 * GMainContext, pushed as thread-default so that libsoup, WebSocket and
 * webrtcbin callbacks dispatch there. Other threads never touch engine state
 * directly: they post() closures, which are refused once the thread stops.
 */
#pragma once

#include <functional>
#include <mutex>
#include <string>

#include <glib.h>

namespace p2p {

class EngineThread
{
public:
  explicit EngineThread (const std::string &name);
  /* Stops the loop and joins the thread; must not be called on it. */
  ~EngineThread ();

  EngineThread (const EngineThread &) = delete;
  EngineThread &operator= (const EngineThread &) = delete;

  GMainContext *
  context () const
  {
    return context_;
  }
  bool is_current () const;

  /* Queues @fn to run on the engine thread. Returns false, dropping @fn
   * unrun, once stop() has begun. Safe from any thread. */
  bool post (std::function<void ()> fn);

  /* Runs @fn on the engine thread and waits for it to return. Runs it inline
   * when called on the engine thread. Returns false if the thread is stopped.
   */
  bool invoke_sync (const std::function<void ()> &fn);

  /* Runs what is queued, then ends the loop and joins. Idempotent. */
  void stop ();

private:
  static gpointer thread_main (gpointer data);

  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  GThread *thread_ = nullptr;
  std::mutex mutex_;
  bool stopping_ = false;
};

} // namespace p2p
