/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2p-bench-broadcaster: the origin host of the swarm bench. A live test
 * pattern is encoded to constant-bitrate H.264 (filler keeps the rate up on
 * a simple picture), stamped with its capture time (bench-stamp.h), muxed to
 * MPEG-TS and published by p2pswarmsink with its HTTP origin. It appends
 * JSON lines to --output: one per published segment, the sink's stats every
 * second, and its own CPU and memory use at exit (SIGINT/SIGTERM).
 */
#include <csignal>
#include <string>

#include <glib-unix.h>
#include <gst/gst.h>

#include "bench-json.h"
#include "bench-stamp.h"
#include "command-line.h"

namespace {

struct Options
{
  gchar *address = nullptr;
  gint port = 8080;
  gint bitrate_kbps = 3000;
  gint segment_seconds = 2;
  gint width = 640;
  gint height = 360;
  gchar *output = nullptr;
  gchar **sink_properties = nullptr;
};

struct Broadcaster
{
  Options options;
  GstElement *pipeline = nullptr;
  GstElement *sink = nullptr;
  GMainLoop *loop = nullptr;
  bool failed = false;
};

/* Puts a capture-time stamp into every access unit leaving the encoder. */
GstPadProbeReturn
stamp_access_unit (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstBuffer *au = GST_PAD_PROBE_INFO_BUFFER (info);
  GstMapInfo map;
  if (!gst_buffer_map (au, &map, GST_MAP_READ))
    return GST_PAD_PROBE_OK;
  gsize at = p2p::bench::stamp_insert_offset (map.data, map.size);
  gst_buffer_unmap (au, &map);

  p2p::bench::StampNal nal = p2p::bench::make_stamp_nal (g_get_real_time ());
  GstBuffer *stamped = gst_buffer_new ();
  gst_buffer_copy_into (stamped, au, GST_BUFFER_COPY_METADATA, 0, -1);
  if (at > 0)
    gst_buffer_copy_into (stamped, au, GST_BUFFER_COPY_MEMORY, 0, at);
  gpointer copy = g_memdup2 (nal.data (), nal.size ());
  gst_buffer_append_memory (stamped,
                            gst_memory_new_wrapped (GST_MEMORY_FLAG_READONLY,
                                                    copy, nal.size (), 0,
                                                    nal.size (), copy, g_free));
  gst_buffer_copy_into (stamped, au, GST_BUFFER_COPY_MEMORY, at, -1);
  gst_buffer_unref (au);
  GST_PAD_PROBE_INFO_DATA (info) = stamped;
  return GST_PAD_PROBE_OK;
}

void
write_line (Broadcaster *b, JsonBuilder *builder)
{
  if (!p2p::bench::append_line (b->options.output,
                                p2p::bench::to_json_line (builder)))
    g_printerr ("cannot write %s\n", b->options.output);
}

void
write_segment (Broadcaster *b, const GstStructure *s)
{
  JsonBuilder *builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, "segment");
  json_builder_set_member_name (builder, "wall-us");
  json_builder_add_int_value (builder, g_get_real_time ());
  p2p::bench::add_structure_members (builder, s);
  json_builder_end_object (builder);
  write_line (b, builder);
  g_object_unref (builder);
}

void
write_stats (Broadcaster *b, const char *event)
{
  GstStructure *stats = nullptr;
  g_object_get (b->sink, "stats", &stats, nullptr);
  JsonBuilder *builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "event");
  json_builder_add_string_value (builder, event);
  json_builder_set_member_name (builder, "wall-us");
  json_builder_add_int_value (builder, g_get_real_time ());
  p2p::bench::add_structure_members (builder, stats);
  p2p::bench::add_resource_members (builder);
  json_builder_end_object (builder);
  write_line (b, builder);
  g_object_unref (builder);
  if (stats)
    gst_structure_free (stats);
}

gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  auto b = static_cast<Broadcaster *> (data);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error (msg, &err, nullptr);
    g_printerr ("broadcaster error: %s\n", err->message);
    g_error_free (err);
    b->failed = true;
    g_main_loop_quit (b->loop);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "p2p-segment-added"))
      write_segment (b, s);
  }
  return G_SOURCE_CONTINUE;
}

gboolean
on_tick (gpointer data)
{
  write_stats (static_cast<Broadcaster *> (data), "stats");
  return G_SOURCE_CONTINUE;
}

gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (static_cast<Broadcaster *> (data)->loop);
  return G_SOURCE_REMOVE;
}

bool
build_pipeline (Broadcaster *b)
{
  const Options &o = b->options;
  /* pass=cbr with HRD filler: the bench needs the nominal rate on the wire,
   * whatever the picture. */
  gchar *description = g_strdup_printf (
      "videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,width=%d,height=%d,framerate=30/1 ! "
      "x264enc name=enc tune=zerolatency speed-preset=ultrafast pass=cbr "
      "bitrate=%d vbv-buf-capacity=1000 key-int-max=30 "
      "option-string=nal-hrd=cbr:filler=1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! mpegtsmux ! "
      "p2pswarmsink name=sink location=\"\" playlist-location=\"\" "
      "target-duration=%d http-port=%d",
      o.width, o.height, o.bitrate_kbps, o.segment_seconds, o.port);
  GError *error = nullptr;
  /* Fatal errors: a missing element (p2pswarmsink not on the plugin path)
   * fails here rather than leaving a pipeline without it. */
  b->pipeline = gst_parse_launch_full (description, nullptr,
                                       GST_PARSE_FLAG_FATAL_ERRORS, &error);
  g_free (description);
  if (!b->pipeline) {
    g_printerr ("pipeline: %s\n", error->message);
    g_error_free (error);
    return false;
  }
  b->sink = gst_bin_get_by_name (GST_BIN (b->pipeline), "sink");
  if (o.address)
    g_object_set (b->sink, "http-address", o.address, nullptr);
  for (gchar **p = o.sink_properties; p && *p; p++) {
    gchar **kv = g_strsplit (*p, "=", 2);
    if (!kv[0] || !kv[1]
        || !g_object_class_find_property (G_OBJECT_GET_CLASS (b->sink),
                                          kv[0])) {
      g_printerr ("bad sink property '%s'\n", *p);
      g_strfreev (kv);
      return false;
    }
    gst_util_set_object_arg (G_OBJECT (b->sink), kv[0], kv[1]);
    g_strfreev (kv);
  }
  GstElement *enc = gst_bin_get_by_name (GST_BIN (b->pipeline), "enc");
  GstPad *pad = gst_element_get_static_pad (enc, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, stamp_access_unit, nullptr,
                     nullptr);
  gst_object_unref (pad);
  gst_object_unref (enc);
  return true;
}

} // namespace

int
main (int argc, char **argv)
{
  Broadcaster b;
  GOptionEntry entries[] = {
    { "address", 'a', 0, G_OPTION_ARG_STRING, &b.options.address,
      "HTTP origin address (default 127.0.0.1)", "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &b.options.port,
      "HTTP origin port (default 8080)", "PORT" },
    { "bitrate", 0, 0, G_OPTION_ARG_INT, &b.options.bitrate_kbps,
      "Video bitrate, kbit/s (default 3000)", "KBPS" },
    { "segment-duration", 0, 0, G_OPTION_ARG_INT, &b.options.segment_seconds,
      "Target segment duration, s (default 2)", "S" },
    { "width", 0, 0, G_OPTION_ARG_INT, &b.options.width, "Width", "W" },
    { "height", 0, 0, G_OPTION_ARG_INT, &b.options.height, "Height", "H" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &b.options.output,
      "JSON lines output file (default stdout)", "FILE" },
    { "set", 's', 0, G_OPTION_ARG_STRING_ARRAY, &b.options.sink_properties,
      "Set a p2pswarmsink property (repeatable)", "PROP=VALUE" },
    { nullptr }
  };
  if (!p2p::tools::parse_command_line (&argc, &argv,
                                       "- origin host of the swarm bench",
                                       entries, gst_init_get_option_group ()))
    return 2;
  if (!b.options.output)
    b.options.output = g_strdup ("-");

  if (!build_pipeline (&b))
    return 1;
  b.loop = g_main_loop_new (nullptr, FALSE);
  GstBus *bus = gst_element_get_bus (b.pipeline);
  gst_bus_add_watch (bus, on_bus_message, &b);
  gst_object_unref (bus);
  g_unix_signal_add (SIGINT, on_signal, &b);
  g_unix_signal_add (SIGTERM, on_signal, &b);
  g_timeout_add_seconds (1, on_tick, &b);
  if (gst_element_set_state (b.pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start the broadcaster\n");
    return 1;
  }
  g_main_loop_run (b.loop);

  write_stats (&b, "exit");
  gst_element_set_state (b.pipeline, GST_STATE_NULL);
  gst_object_unref (b.sink);
  gst_object_unref (b.pipeline);
  g_main_loop_unref (b.loop);
  return b.failed ? 1 : 0;
}
