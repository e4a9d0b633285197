/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "pipeline.h"

#include <gst/check/gstcheck.h>

#include "tests/common/test-utils.h"

namespace p2p::test {

Pipeline::Pipeline (const char *what, const std::string &description)
    : what_ (what)
{
  GError *error = nullptr;
  pipeline_ = gst_parse_launch (description.c_str (), &error);
  fail_unless (pipeline_ != nullptr, "%s: %s", what,
               error ? error->message : "");
  g_clear_error (&error);
  bus_ = gst_element_get_bus (pipeline_);
}

Pipeline::~Pipeline ()
{
  stop ();
  gst_object_unref (bus_);
  gst_object_unref (pipeline_);
}

GstElement *
Pipeline::element (const char *name)
{
  GstElement *e = gst_bin_get_by_name (GST_BIN (pipeline_), name);
  fail_unless (e != nullptr, "%s has no %s", what_, name);
  gst_object_unref (e);
  return e;
}

void
Pipeline::play ()
{
  fail_if (gst_element_set_state (pipeline_, GST_STATE_PLAYING)
               == GST_STATE_CHANGE_FAILURE,
           "%s does not start", what_);
}

void
Pipeline::send_eos ()
{
  fail_unless (gst_element_send_event (pipeline_, gst_event_new_eos ()));
}

void
Pipeline::stop ()
{
  gst_element_set_state (pipeline_, GST_STATE_NULL);
}

void
Pipeline::drain (const MessageHandler &on_message)
{
  while (GstMessage *raw = gst_bus_pop (bus_)) {
    GstMessagePtr message (raw);
    if (GST_MESSAGE_TYPE (raw) == GST_MESSAGE_ERROR) {
      GError *error = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error (raw, &error, &debug);
      fail ("%s: error from %s: %s (%s)", what_,
            GST_OBJECT_NAME (GST_MESSAGE_SRC (raw)), error->message,
            debug ? debug : "");
    }
    if (GST_MESSAGE_TYPE (raw) == GST_MESSAGE_EOS)
      eos_ = true;
    if (on_message)
      on_message (raw);
  }
}

GErrorPtr
Pipeline::wait_error (guint timeout_ms, std::string *source)
{
  GstMessagePtr message = wait_message (bus_, GST_MESSAGE_ERROR, timeout_ms);
  if (!message)
    return nullptr;
  if (source)
    *source = GST_OBJECT_NAME (GST_MESSAGE_SRC (message.get ()));
  GError *error = nullptr;
  gst_message_parse_error (message.get (), &error, nullptr);
  return GErrorPtr (error);
}

void
count_buffers (GstElement *element, const char *pad, std::atomic<guint> *count)
{
  GstPad *probed = gst_element_get_static_pad (element, pad);
  fail_unless (probed != nullptr);
  gst_pad_add_probe (
      probed, GST_PAD_PROBE_TYPE_BUFFER,
      [] (GstPad *, GstPadProbeInfo *, gpointer data) {
        (*static_cast<std::atomic<guint> *> (data))++;
        return GST_PAD_PROBE_OK;
      },
      count, nullptr);
  gst_object_unref (probed);
}

bool
run_until (guint timeout_ms, const std::function<void ()> &step,
           const std::function<bool ()> &done)
{
  gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000;
  while (g_get_monotonic_time () < deadline) {
    step ();
    if (done ())
      return true;
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  }
  return false;
}

} // namespace p2p::test
