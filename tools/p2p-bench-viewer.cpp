/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2p-bench-viewer: one viewer of the swarm bench, measured at its sink.
 * Plays the bench stream in real time (fakesink sync=true, parsed, not
 * decoded: the bench measures delivery, and decoding costs the same in
 * every mode) either through p2phlssrc (--mode=p2p) or through GStreamer's
 * own HLS stack, hlsdemux2 + souphttpsrc in uridecodebin3 (--mode=hls).
 *
 * At exit (end of --duration, SIGINT or SIGTERM) it appends one JSON object
 * to --output with what it saw:
 * - startup: time from PLAYING to the first frame rendered;
 * - stalls: every gap between two rendered frames longer than
 *   --stall-threshold ms, with when it began and how long the picture froze;
 * - live latency: render time minus the capture time the bench broadcaster
 *   stamped into the frame (bench-stamp.h), sampled once a second;
 * - bytes by source (p2phlssrc's stats; for hlsdemux2, which reports no
 *   fragment sizes, the bytes it hands its internal parsebin), and its own
 *   CPU time and peak RSS.
 */
#include <atomic>
#include <csignal>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <glib-unix.h>
#include <gst/gst.h>

#include "bench-json.h"
#include "bench-stamp.h"
#include "command-line.h"

namespace {

struct Options
{
  gchar *mode = nullptr;
  gchar *url = nullptr;
  gchar *label = nullptr;
  gchar *output = nullptr;
  gchar **source_properties = nullptr;
  gint duration = 0;
  gint stall_threshold_ms = 250;
};

struct Stall
{
  gint64 wall_us;
  gdouble seconds;
};

struct LatencySample
{
  gint64 wall_us;
  gdouble seconds;
};

/* Written by the sink's streaming thread, read at exit. */
struct SinkRecord
{
  std::mutex lock;
  gint64 first_frame_us = -1; /* monotonic */
  gint64 last_frame_us = -1;
  guint64 frames = 0;
  std::vector<Stall> stalls;
  std::vector<LatencySample> latency;
  gint64 next_latency_sample_us = 0;
};

struct Viewer
{
  Options options;
  GstElement *pipeline = nullptr;
  GstElement *source = nullptr; /* p2phlssrc, in p2p mode */
  GMainLoop *loop = nullptr;
  gint64 start_us = 0; /* monotonic */
  gint64 start_wall_us = 0;
  SinkRecord sink;
  std::atomic<guint64> hls_bytes{ 0 };
  std::vector<std::string> errors;
};

/* fakesink "handoff": the buffer is being rendered now, after the clock
 * wait, so a late buffer shows up as a long gap since the previous one. */
void
on_handoff (GstElement *fakesink, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  auto viewer = static_cast<Viewer *> (data);
  SinkRecord &r = viewer->sink;
  gint64 now = g_get_monotonic_time ();
  gint64 wall = g_get_real_time ();
  std::optional<gint64> stamp;
  GstMapInfo map;
  if (now >= r.next_latency_sample_us
      && gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    stamp = p2p::bench::find_stamp (map.data, map.size);
    gst_buffer_unmap (buffer, &map);
  }

  std::lock_guard<std::mutex> hold (r.lock);
  if (r.first_frame_us < 0)
    r.first_frame_us = now;
  if (r.last_frame_us >= 0) {
    /* Whatever the cause (late data, or a jump in running time the sink
     * waited for), the picture froze for the gap less one frame. */
    gint64 gap = now - r.last_frame_us;
    gint64 frame_us = GST_BUFFER_DURATION_IS_VALID (buffer)
                          ? (gint64)(GST_BUFFER_DURATION (buffer) / GST_USECOND)
                          : 33333;
    if (gap > viewer->options.stall_threshold_ms * 1000)
      r.stalls.push_back ({ wall - gap, (gap - frame_us) / 1e6 });
  }
  r.last_frame_us = now;
  r.frames++;
  if (stamp) {
    r.latency.push_back ({ wall, (wall - *stamp) / 1e6 });
    r.next_latency_sample_us = now + G_USEC_PER_SEC;
  }
}

gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  auto viewer = static_cast<Viewer *> (data);
  switch (GST_MESSAGE_TYPE (msg)) {
  case GST_MESSAGE_ERROR: {
    GError *err = nullptr;
    gst_message_parse_error (msg, &err, nullptr);
    viewer->errors.push_back (err->message);
    g_printerr ("%s: error: %s\n", viewer->options.label, err->message);
    g_error_free (err);
    g_main_loop_quit (viewer->loop);
    break;
  }
  case GST_MESSAGE_EOS:
    viewer->errors.push_back ("unexpected end of stream");
    g_main_loop_quit (viewer->loop);
    break;
  default:
    break;
  }
  return G_SOURCE_CONTINUE;
}

GstPadProbeReturn
count_hls_bytes (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  auto viewer = static_cast<Viewer *> (data);
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    viewer->hls_bytes += gst_buffer_get_size (GST_PAD_PROBE_INFO_BUFFER (info));
  } else if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
    viewer->hls_bytes += gst_buffer_list_calculate_size (
        GST_PAD_PROBE_INFO_BUFFER_LIST (info));
  }
  return GST_PAD_PROBE_OK;
}

/* hlsdemux2 feeds each downloaded fragment into a parsebin of its own:
 * count what enters it. */
void
on_deep_element_added (GstBin *pipeline, GstBin *bin, GstElement *element,
                       gpointer data)
{
  GstElementFactory *factory = gst_element_get_factory (element);
  GstElementFactory *parent = gst_element_get_factory (GST_ELEMENT (bin));
  if (!factory || !parent
      || g_strcmp0 (GST_OBJECT_NAME (factory), "parsebin") != 0
      || !g_str_has_prefix (GST_OBJECT_NAME (parent), "hlsdemux"))
    return;
  GstPad *pad = gst_element_get_static_pad (element, "sink");
  if (!pad)
    return;
  gst_pad_add_probe (pad,
                     (GstPadProbeType)(GST_PAD_PROBE_TYPE_BUFFER
                                       | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                     count_hls_bytes, data, nullptr);
  gst_object_unref (pad);
}

gboolean
on_stop (gpointer data)
{
  g_main_loop_quit (static_cast<Viewer *> (data)->loop);
  return G_SOURCE_REMOVE;
}

bool
set_source_properties (Viewer *viewer)
{
  for (gchar **p = viewer->options.source_properties; p && *p; p++) {
    gchar **kv = g_strsplit (*p, "=", 2);
    bool ok = kv[0] && kv[1]
              && g_object_class_find_property (
                  G_OBJECT_GET_CLASS (viewer->source), kv[0]);
    if (ok)
      gst_util_set_object_arg (G_OBJECT (viewer->source), kv[0], kv[1]);
    else
      g_printerr ("p2phlssrc has no property '%s'\n", *p);
    g_strfreev (kv);
    if (!ok)
      return false;
  }
  return true;
}

bool
build_pipeline (Viewer *viewer)
{
  const Options &o = viewer->options;
  bool p2p = g_strcmp0 (o.mode, "p2p") == 0;
  gchar *description
      = p2p ? g_strdup_printf (
            "p2phlssrc name=src location=\"%s\" ! tsdemux ! "
            "h264parse ! fakesink name=sink sync=true signal-handoffs=true",
            o.url)
            : g_strdup_printf (
                "uridecodebin3 uri=\"%s\" caps=video/x-h264 ! "
                "fakesink name=sink sync=true signal-handoffs=true",
                o.url);
  GError *error = nullptr;
  /* Fatal errors: a missing element (a plugin that failed to load) fails
   * here rather than leaving a pipeline without it. */
  viewer->pipeline = gst_parse_launch_full (
      description, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  g_free (description);
  if (!viewer->pipeline) {
    g_printerr ("pipeline: %s\n", error->message);
    g_error_free (error);
    return false;
  }
  if (p2p) {
    viewer->source = gst_bin_get_by_name (GST_BIN (viewer->pipeline), "src");
    if (!set_source_properties (viewer))
      return false;
  } else if (o.source_properties) {
    g_printerr ("--set applies to --mode=p2p only\n");
    return false;
  } else {
    g_signal_connect (viewer->pipeline, "deep-element-added",
                      G_CALLBACK (on_deep_element_added), viewer);
  }
  GstElement *sink = gst_bin_get_by_name (GST_BIN (viewer->pipeline), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), viewer);
  gst_object_unref (sink);
  return true;
}

void
add_double (JsonBuilder *b, const char *name, gdouble value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

void
add_int (JsonBuilder *b, const char *name, gint64 value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

void
add_string (JsonBuilder *b, const char *name, const char *value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, value ? value : "");
}

void
add_sink_record (JsonBuilder *b, Viewer *viewer)
{
  SinkRecord &r = viewer->sink;
  std::lock_guard<std::mutex> hold (r.lock);
  /* A freeze still going on when the viewer stops counts too. */
  gint64 frozen = g_get_monotonic_time () - r.last_frame_us;
  if (r.last_frame_us >= 0
      && frozen > viewer->options.stall_threshold_ms * 1000)
    r.stalls.push_back ({ g_get_real_time () - frozen, frozen / 1e6 });
  add_int (b, "frames", r.frames);
  json_builder_set_member_name (b, "startup-s");
  if (r.first_frame_us >= 0)
    json_builder_add_double_value (b,
                                   (r.first_frame_us - viewer->start_us) / 1e6);
  else
    json_builder_add_null_value (b);
  gdouble stall_time = 0;
  json_builder_set_member_name (b, "stall-events");
  json_builder_begin_array (b);
  for (const Stall &s : r.stalls) {
    json_builder_begin_object (b);
    add_int (b, "wall-us", s.wall_us);
    add_double (b, "seconds", s.seconds);
    json_builder_end_object (b);
    stall_time += s.seconds;
  }
  json_builder_end_array (b);
  add_int (b, "stalls", r.stalls.size ());
  add_double (b, "stall-time-s", stall_time);
  json_builder_set_member_name (b, "latency");
  json_builder_begin_array (b);
  for (const LatencySample &l : r.latency) {
    json_builder_begin_array (b);
    json_builder_add_int_value (b, l.wall_us);
    json_builder_add_double_value (b, l.seconds);
    json_builder_end_array (b);
  }
  json_builder_end_array (b);
}

void
write_report (Viewer *viewer)
{
  const Options &o = viewer->options;
  JsonBuilder *b = json_builder_new ();
  json_builder_begin_object (b);
  add_string (b, "label", o.label);
  add_string (b, "mode", o.mode);
  add_string (b, "url", o.url);
  add_int (b, "start-wall-us", viewer->start_wall_us);
  add_int (b, "stop-wall-us", g_get_real_time ());
  add_sink_record (b, viewer);

  json_builder_set_member_name (b, "source-stats");
  json_builder_begin_object (b);
  if (viewer->source) {
    GstStructure *stats = nullptr;
    g_object_get (viewer->source, "stats", &stats, nullptr);
    p2p::bench::add_structure_members (b, stats);
    if (stats)
      gst_structure_free (stats);
  } else {
    add_int (b, "http-bytes", viewer->hls_bytes.load ());
    add_int (b, "peer-bytes", 0);
    add_int (b, "uploaded-bytes", 0);
  }
  json_builder_end_object (b);

  json_builder_set_member_name (b, "errors");
  json_builder_begin_array (b);
  for (const std::string &e : viewer->errors)
    json_builder_add_string_value (b, e.c_str ());
  json_builder_end_array (b);
  p2p::bench::add_resource_members (b);
  p2p::bench::add_thread_cpu_members (b);
  json_builder_end_object (b);
  if (!p2p::bench::append_line (o.output, p2p::bench::to_json_line (b)))
    g_printerr ("cannot write %s\n", o.output);
  g_object_unref (b);
}

} // namespace

int
main (int argc, char **argv)
{
  Viewer viewer;
  Options &o = viewer.options;
  GOptionEntry entries[]
      = { { "mode", 'm', 0, G_OPTION_ARG_STRING, &o.mode,
            "p2p (p2phlssrc) or hls (hlsdemux2 + souphttpsrc)", "MODE" },
          { "url", 'u', 0, G_OPTION_ARG_STRING, &o.url, "Playlist URL", "URL" },
          { "label", 'l', 0, G_OPTION_ARG_STRING, &o.label,
            "Name in the report", "NAME" },
          { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output,
            "Append the JSON report to FILE (default stdout)", "FILE" },
          { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &o.source_properties,
            "Set a p2phlssrc property (repeatable)", "PROP=VALUE" },
          { "duration", 'd', 0, G_OPTION_ARG_INT, &o.duration,
            "Seconds to play (default 0: until SIGINT/SIGTERM)", "S" },
          { "stall-threshold", 0, 0, G_OPTION_ARG_INT, &o.stall_threshold_ms,
            "A gap between rendered frames longer than this is a stall, ms "
            "(default 250)",
            "MS" },
          { nullptr } };
  if (!p2p::tools::parse_command_line (&argc, &argv,
                                       "- one measured bench viewer", entries,
                                       gst_init_get_option_group ()))
    return 2;
  if (!o.url
      || (g_strcmp0 (o.mode, "p2p") != 0 && g_strcmp0 (o.mode, "hls") != 0)) {
    g_printerr ("need --url and --mode=p2p|hls\n");
    return 2;
  }
  if (!o.output)
    o.output = g_strdup ("-");
  if (!o.label)
    o.label = g_strdup (o.mode);

  if (!build_pipeline (&viewer))
    return 1;
  viewer.loop = g_main_loop_new (nullptr, FALSE);
  GstBus *bus = gst_element_get_bus (viewer.pipeline);
  gst_bus_add_watch (bus, on_bus_message, &viewer);
  gst_object_unref (bus);
  g_unix_signal_add (SIGINT, on_stop, &viewer);
  g_unix_signal_add (SIGTERM, on_stop, &viewer);
  if (o.duration > 0)
    g_timeout_add_seconds (o.duration, on_stop, &viewer);

  viewer.start_us = g_get_monotonic_time ();
  viewer.start_wall_us = g_get_real_time ();
  if (gst_element_set_state (viewer.pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    viewer.errors.push_back ("could not start the pipeline");
  else
    g_main_loop_run (viewer.loop);

  /* Stats before teardown: stopping the source resets them. */
  write_report (&viewer);
  gst_element_set_state (viewer.pipeline, GST_STATE_NULL);
  if (viewer.source)
    gst_object_unref (viewer.source);
  gst_object_unref (viewer.pipeline);
  g_main_loop_unref (viewer.loop);
  return viewer.errors.empty () ? 0 : 1;
}
