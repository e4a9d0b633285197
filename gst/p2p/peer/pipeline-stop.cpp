/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pipeline-stop.h"

#include <vector>

#include "gst/p2p/common/gobject-ptr.h"

GST_DEBUG_CATEGORY_STATIC (p2p_pipeline_stop_debug);
#define GST_CAT_DEFAULT p2p_pipeline_stop_debug

namespace p2p::peer {

namespace {

void
init_debug_category ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (p2p_pipeline_stop_debug, "p2ppipelinestop", 0,
                             "gst-p2p pipeline stop");
    g_once_init_leave (&once, 1);
  }
}

/* Every element inside @bin, at any depth, each with a reference. */
std::vector<GstElementPtr>
elements_of (GstBin *bin)
{
  std::vector<GstElementPtr> elements;
  GstIterator *it = gst_bin_iterate_recurse (bin);
  GValue item = G_VALUE_INIT;
  bool done = false;
  while (!done) {
    switch (gst_iterator_next (it, &item)) {
    case GST_ITERATOR_OK:
      elements.emplace_back (
          GST_ELEMENT (gst_object_ref (g_value_get_object (&item))));
      g_value_reset (&item);
      break;
    case GST_ITERATOR_RESYNC:
      elements.clear ();
      gst_iterator_resync (it);
      break;
    default:
      done = true;
      break;
    }
  }
  g_value_unset (&item);
  gst_iterator_free (it);
  return elements;
}

/* The pads of @element that still have a task. */
std::vector<GObjectPtr<GstPad>>
pads_with_task (GstElement *element)
{
  std::vector<GObjectPtr<GstPad>> pads;
  GST_OBJECT_LOCK (element);
  for (GList *l = element->pads; l; l = l->next) {
    auto pad = GST_PAD (l->data);
    GST_OBJECT_LOCK (pad);
    bool has_task = GST_PAD_TASK (pad) != nullptr;
    GST_OBJECT_UNLOCK (pad);
    if (has_task)
      pads.emplace_back (GST_PAD (gst_object_ref (pad)));
  }
  GST_OBJECT_UNLOCK (element);
  return pads;
}

/* Wakes the task of @pad if it waits for data: sctpdec's and sctpenc's
 * source pads wait on a queue their FLUSH_START handler flushes, after which
 * the task pauses. gst_pad_send_event () drops a FLUSH_START on a pad that is
 * already flushing, and sctpenc restarts its task on its deactivated source
 * pad when a RECONFIGURE event races its stop: such a pad only wakes when its
 * event function is called directly. */
void
wake_task (GstPad *pad)
{
  GST_OBJECT_LOCK (pad);
  bool flushing = GST_PAD_IS_FLUSHING (pad);
  GstPadEventFunction on_event = GST_PAD_EVENTFUNC (pad);
  GST_OBJECT_UNLOCK (pad);
  if (!flushing) {
    gst_pad_send_event (pad, gst_event_new_flush_start ());
    return;
  }
  if (!on_event)
    return;
  GstObject *parent = gst_pad_get_parent (pad);
  on_event (pad, parent, gst_event_new_flush_start ());
  if (parent)
    gst_object_unref (parent);
}

/* The sink pads of @element, each with a reference. */
std::vector<GObjectPtr<GstPad>>
sink_pads (GstElement *element)
{
  std::vector<GObjectPtr<GstPad>> pads;
  GST_OBJECT_LOCK (element);
  for (GList *l = element->sinkpads; l; l = l->next)
    pads.emplace_back (GST_PAD (gst_object_ref (l->data)));
  GST_OBJECT_UNLOCK (element);
  return pads;
}

/* Stops what flows into sctpenc and sctpdec before they stop: each frees
 * its SCTP association on its way to NULL, then releases its sink pads,
 * while a buffer may still be in usrsctp on a streaming thread (webrtcbin
 * 1.22: a crash in their chain functions, one teardown in about twenty
 * under load). FLUSH_START wakes sctpenc's chain waiting to send;
 * deactivating the pad waits for a chain function that runs and turns the
 * next buffers away. */
void
stop_sctp_input (GstBin *bin)
{
  for (const GstElementPtr &element : elements_of (bin)) {
    GstElementFactory *factory = gst_element_get_factory (element.get ());
    const char *name = factory ? GST_OBJECT_NAME (factory) : "";
    if (g_strcmp0 (name, "sctpenc") != 0 && g_strcmp0 (name, "sctpdec") != 0)
      continue;
    for (const auto &pad : sink_pads (element.get ())) {
      gst_pad_send_event (pad.get (), gst_event_new_flush_start ());
      gst_pad_set_active (pad.get (), FALSE);
    }
  }
}

} // namespace

guint
stop_pipeline (GstElement *pipeline)
{
  init_debug_category ();
  if (GST_IS_BIN (pipeline))
    stop_sctp_input (GST_BIN (pipeline));
  gst_element_set_state (pipeline, GST_STATE_NULL);
  if (!GST_IS_BIN (pipeline))
    return 0;
  /* Nothing adds elements or pads any more: webrtcbin joined its thread,
   * and every streaming thread that was running is stopped. */
  guint left = 0;
  for (const GstElementPtr &element : elements_of (GST_BIN (pipeline))) {
    GstState state = GST_STATE_VOID_PENDING;
    gst_element_get_state (element.get (), &state, nullptr, 0);
    if (state != GST_STATE_NULL) {
      GST_INFO ("%s was left in %s after its pipeline stopped",
                GST_OBJECT_NAME (element.get ()),
                gst_element_state_get_name (state));
      gst_element_set_state (element.get (), GST_STATE_NULL);
      left++;
    }
    for (const auto &pad : pads_with_task (element.get ())) {
      GST_INFO ("pad %s:%s still had a task after its pipeline stopped",
                GST_DEBUG_PAD_NAME (pad.get ()));
      wake_task (pad.get ());
      gst_pad_stop_task (pad.get ());
      gst_pad_set_active (pad.get (), FALSE);
      left++;
    }
  }
  return left;
}

} // namespace p2p::peer
