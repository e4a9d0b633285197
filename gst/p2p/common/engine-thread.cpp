/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "engine-thread.h"

#include <condition_variable>

#include <gst/gst.h>
#include <openssl/crypto.h>

GST_DEBUG_CATEGORY_STATIC (p2p_engine_thread_debug);
#define GST_CAT_DEFAULT p2p_engine_thread_debug

namespace p2p {

namespace {

struct PostedCall
{
  std::function<void ()> fn;
};

gboolean
run_posted_call (gpointer data) noexcept
{
  auto call = static_cast<PostedCall *> (data);
  try {
    call->fn ();
  } catch (const std::exception &e) {
    GST_ERROR ("uncaught exception on the engine thread: %s", e.what ());
  } catch (...) {
    GST_ERROR ("uncaught exception on the engine thread");
  }
  return G_SOURCE_REMOVE;
}

void
free_posted_call (gpointer data) noexcept
{
  delete static_cast<PostedCall *> (data);
}

/* OpenSSL 3 frees its global state in an atexit () handler
 * (OPENSSL_cleanup ()), which must not run while another thread that used
 * OpenSSL ends: that thread's exit frees its own entry of the thread
 * registry that the cleanup frees too ("corrupted double-linked list" in the
 * ending thread's free (), the cleanup on the main thread's exit ()). The
 * engine's threads are joined, but webrtcbin's DTLS runs on GStreamer's
 * pooled streaming threads, which GLib ends on its own when they have been
 * idle, or at once when more than a few are idle, so an application that
 * exits soon after its pipelines stopped can crash there. Asking OpenSSL,
 * before anything uses it, not to clean up at exit leaves that memory to the
 * process's end. Only the first initialisation of OpenSSL in a process
 * decides, so this runs when the engine is loaded, before main () or when
 * the plugin is opened: gst_init () may load other plugins first that use
 * OpenSSL (a registry scan in the process itself does). It runs again for
 * the first engine thread (harmless). */
void
keep_openssl_until_exit ()
{
  if (!OPENSSL_init_crypto (OPENSSL_INIT_NO_ATEXIT, nullptr))
    g_warning ("OpenSSL refused OPENSSL_INIT_NO_ATEXIT");
}

[[maybe_unused]] const bool openssl_kept_at_load
    = (keep_openssl_until_exit (), true);

} // namespace

EngineThread::EngineThread (const std::string &name)
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_engine_thread_debug, "p2pengine", 0,
                             "gst-p2p engine thread");
    keep_openssl_until_exit ();
    g_once_init_leave (&debug_init, 1);
  }
  context_ = g_main_context_new ();
  loop_ = g_main_loop_new (context_, FALSE);
  thread_ = g_thread_new (name.c_str (), &EngineThread::thread_main, this);
}

EngineThread::~EngineThread ()
{
  stop ();
  g_main_loop_unref (loop_);
  g_main_context_unref (context_);
}

gpointer
EngineThread::thread_main (gpointer data)
{
  auto self = static_cast<EngineThread *> (data);
  g_main_context_push_thread_default (self->context_);
  g_main_loop_run (self->loop_);
  /* Drain what was queued before the stop so that no closure leaks. */
  while (g_main_context_iteration (self->context_, FALSE))
    ;
  g_main_context_pop_thread_default (self->context_);
  return nullptr;
}

bool
EngineThread::is_current () const
{
  return g_main_context_is_owner (context_) && thread_ == g_thread_self ();
}

bool
EngineThread::post (std::function<void ()> fn)
{
  std::lock_guard<std::mutex> lock (mutex_);
  if (stopping_)
    return false;
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, run_posted_call,
                         new PostedCall{ std::move (fn) }, free_posted_call);
  g_source_attach (source, context_);
  g_source_unref (source);
  return true;
}

bool
EngineThread::invoke_sync (const std::function<void ()> &fn)
{
  if (g_thread_self () == thread_) {
    fn ();
    return true;
  }
  std::mutex done_mutex;
  std::condition_variable done_cond;
  bool done = false;
  bool posted = post ([&] {
    fn ();
    std::lock_guard<std::mutex> lock (done_mutex);
    done = true;
    done_cond.notify_one ();
  });
  if (!posted)
    return false;
  std::unique_lock<std::mutex> lock (done_mutex);
  done_cond.wait (lock, [&] { return done; });
  return true;
}

void
EngineThread::stop ()
{
  {
    std::lock_guard<std::mutex> lock (mutex_);
    if (stopping_)
      return;
    stopping_ = true;
  }
  g_assert (g_thread_self () != thread_);
  GSource *source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_LOW);
  g_source_set_callback (
      source,
      [] (gpointer loop) -> gboolean {
        g_main_loop_quit (static_cast<GMainLoop *> (loop));
        return G_SOURCE_REMOVE;
      },
      loop_, nullptr);
  g_source_attach (source, context_);
  g_source_unref (source);
  g_thread_join (thread_);
  thread_ = nullptr;
}

} // namespace p2p
