/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * stop_pipeline () (gst/p2p/peer/pipeline-stop.h): what a webrtcbin pipeline
 * can leave running after it went to NULL is brought down, so that dropping
 * the pipeline does not hang (issue #11: a viewer's engine thread waited
 * forever in a pad's finalize, joining the task of a source pad sctpdec made
 * while it stopped).
 */
#include <gst/check/gstcheck.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "gst/p2p/peer/pipeline-stop.h"

using p2p::peer::stop_pipeline;

namespace {

/* A source pad whose task waits for data that never comes until the pad is
 * flushed, like sctpdec's source pads waiting on their packet queue. */
struct WaitingPad
{
  GstPad *pad = nullptr;
  std::mutex mutex;
  std::condition_variable cond;
  bool flushing = false;
  bool looping = false;

  static void
  loop (gpointer data)
  {
    auto self = static_cast<WaitingPad *> (data);
    std::unique_lock<std::mutex> lock (self->mutex);
    self->looping = true;
    self->cond.notify_all ();
    self->cond.wait (lock, [self] { return self->flushing; });
    lock.unlock ();
    gst_pad_pause_task (self->pad);
  }

  static gboolean
  on_event (GstPad *pad, GstObject *parent, GstEvent *event)
  {
    auto self = static_cast<WaitingPad *> (gst_pad_get_element_private (pad));
    if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_START) {
      std::lock_guard<std::mutex> lock (self->mutex);
      self->flushing = true;
      self->cond.notify_all ();
    }
    return gst_pad_event_default (pad, parent, event);
  }

  /* Adds the pad to @element, its task started and waiting. The pad is
   * active, or with @active false left inactive (flushing), as sctpenc's
   * source pad is when a RECONFIGURE event restarts its task while the
   * element stops. */
  void
  start (GstElement *element, bool active = true)
  {
    pad = gst_pad_new ("src_0", GST_PAD_SRC);
    gst_pad_set_element_private (pad, this);
    gst_pad_set_event_function (pad, on_event);
    if (active)
      fail_unless (gst_pad_set_active (pad, TRUE));
    fail_unless (gst_element_add_pad (element, pad));
    fail_unless (gst_pad_start_task (pad, loop, this, nullptr));
    std::unique_lock<std::mutex> lock (mutex);
    fail_unless (cond.wait_for (lock, std::chrono::seconds (5),
                                [this] { return looping; }));
  }
};

/* stop_pipeline (@pipeline) on another thread; fails if it does not return
 * within 10 s. */
guint
stop_in_time (GstElement *pipeline)
{
  std::mutex mutex;
  std::condition_variable cond;
  bool done = false;
  guint left = 0;
  std::thread stopper ([&] {
    guint n = stop_pipeline (pipeline);
    std::lock_guard<std::mutex> lock (mutex);
    left = n;
    done = true;
    cond.notify_all ();
  });
  std::unique_lock<std::mutex> lock (mutex);
  bool returned
      = cond.wait_for (lock, std::chrono::seconds (10), [&] { return done; });
  lock.unlock ();
  if (!returned) {
    stopper.detach ();
    fail ("stop_pipeline () did not return");
  }
  stopper.join ();
  return left;
}

GstState
state_of (GstElement *element)
{
  GstState state = GST_STATE_VOID_PENDING;
  gst_element_get_state (element, &state, nullptr, 0);
  return state;
}

} // namespace

/* The pipeline is NULL, but a pad inside still runs its task: without
 * stop_pipeline (), the last unref joins that task and never returns. */
GST_START_TEST (test_pad_task_left_in_stopped_pipeline)
{
  GstElement *pipeline = gst_pipeline_new (nullptr);
  GstElement *holder = gst_bin_new ("holder");
  fail_unless (gst_bin_add (GST_BIN (pipeline), holder));
  WaitingPad waiting;
  waiting.start (holder);

  fail_unless_equals_int (stop_in_time (pipeline), 1);
  GST_OBJECT_LOCK (waiting.pad);
  fail_unless (GST_PAD_TASK (waiting.pad) == nullptr);
  GST_OBJECT_UNLOCK (waiting.pad);
  fail_unless_equals_int (GST_PAD_MODE (waiting.pad), GST_PAD_MODE_NONE);
  /* Now the pad finalizes without a task to join. */
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* The same with the pad inactive: gst_pad_send_event () drops a FLUSH_START
 * on a flushing pad, so only the pad's own event function can wake its task
 * (a swarm-faults run hung on sctpenc's source pad this way). */
GST_START_TEST (test_pad_task_left_on_inactive_pad)
{
  GstElement *pipeline = gst_pipeline_new (nullptr);
  GstElement *holder = gst_bin_new ("holder");
  fail_unless (gst_bin_add (GST_BIN (pipeline), holder));
  WaitingPad waiting;
  waiting.start (holder, false);

  fail_unless_equals_int (stop_in_time (pipeline), 1);
  GST_OBJECT_LOCK (waiting.pad);
  fail_unless (GST_PAD_TASK (waiting.pad) == nullptr);
  GST_OBJECT_UNLOCK (waiting.pad);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* An element webrtcbin adds from its own thread and syncs to the state it
 * read: raised again while its pipeline went down, after the pipeline set
 * its bin's children, it is left running in a NULL pipeline. Here its bin's
 * state-changed message to NULL raises it. */
static GstBusSyncReply
raise_late_element (GstBus *, GstMessage *message, gpointer data)
{
  auto late = static_cast<GstElement *> (data);
  GstState old_state, new_state;
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_STATE_CHANGED
      && GST_MESSAGE_SRC (message) == GST_OBJECT_PARENT (late)) {
    gst_message_parse_state_changed (message, &old_state, &new_state, nullptr);
    if (new_state == GST_STATE_NULL)
      gst_element_set_state (late, GST_STATE_PLAYING);
  }
  gst_message_unref (message);
  return GST_BUS_DROP;
}

GST_START_TEST (test_element_left_playing)
{
  GstElement *pipeline = gst_pipeline_new (nullptr);
  GstElement *inner = gst_bin_new ("inner");
  GstElement *late = gst_element_factory_make ("fakesink", "late");
  fail_unless (late != nullptr);
  g_object_set (late, "async", FALSE, nullptr);
  fail_unless (gst_bin_add (GST_BIN (pipeline), inner));
  fail_unless (gst_bin_add (GST_BIN (inner), late));
  GstBus *bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  gst_bus_set_sync_handler (bus, raise_late_element, late, nullptr);
  gst_object_unref (bus);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_SUCCESS);

  fail_unless_equals_int (stop_in_time (pipeline), 1);
  fail_unless_equals_int (state_of (pipeline), GST_STATE_NULL);
  fail_unless_equals_int (state_of (late), GST_STATE_NULL);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* A pipeline that stops cleanly leaves nothing behind. */
GST_START_TEST (test_clean_pipeline)
{
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch (
      "fakesrc is-live=true ! queue ! fakesink sync=false", &error);
  fail_unless (pipeline != nullptr, "%s", error ? error->message : "");
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING)
               != GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (
      gst_element_get_state (pipeline, nullptr, nullptr, 5 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (stop_in_time (pipeline), 0);
  fail_unless_equals_int (state_of (pipeline), GST_STATE_NULL);
  gst_object_unref (pipeline);
}
GST_END_TEST;

static Suite *
pipeline_stop_suite (void)
{
  Suite *s = suite_create ("pipeline-stop");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_pad_task_left_in_stopped_pipeline);
  tcase_add_test (tc, test_pad_task_left_on_inactive_pad);
  tcase_add_test (tc, test_element_left_playing);
  tcase_add_test (tc, test_clean_pipeline);
  return s;
}

GST_CHECK_MAIN (pipeline_stop);
