/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2p-demo: a whole local broadcast in one process. A p2pswarmsink
 * broadcasts a live test pattern on loopback, several p2phlssrc viewers
 * join it and play it in real time (decoded, clock-synchronised), and at
 * the end a table shows what each viewer received and from where, next to
 * what the origin served.
 */
#include <cstdio>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "command-line.h"

namespace {

struct Options
{
  gint viewers = 4;
  gint duration = 60;
  gint segment_seconds = 2;
  gint bitrate_kbps = 1500;
};

struct Viewer
{
  GstElement *pipeline = nullptr;
  GstElement *source = nullptr;
  guint64 frames = 0;
  bool failed = false;
  std::string error;
};

struct Demo
{
  Options options;
  GstElement *broadcaster = nullptr;
  GstElement *sink = nullptr;
  std::vector<Viewer> viewers;
  GMainLoop *loop = nullptr;
  gint elapsed = 0;
  guint64 segments_published = 0;
  bool broadcaster_failed = false;
};

GstPadProbeReturn
count_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  static_cast<Viewer *> (data)->frames++;
  return GST_PAD_PROBE_OK;
}

gboolean
on_bus_message (GstBus *bus, GstMessage *msg, gpointer data)
{
  auto demo = static_cast<Demo *> (data);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
    GError *err = nullptr;
    gst_message_parse_error (msg, &err, nullptr);
    for (Viewer &v : demo->viewers) {
      if (gst_object_has_as_ancestor (GST_MESSAGE_SRC (msg),
                                      GST_OBJECT (v.pipeline))) {
        v.failed = true;
        v.error = err->message;
      }
    }
    if (gst_object_has_as_ancestor (GST_MESSAGE_SRC (msg),
                                    GST_OBJECT (demo->broadcaster))) {
      g_printerr ("broadcaster error: %s\n", err->message);
      demo->broadcaster_failed = true;
      g_main_loop_quit (demo->loop);
    }
    g_error_free (err);
  } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT) {
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "p2p-segment-added"))
      demo->segments_published++;
  }
  return G_SOURCE_CONTINUE;
}

void
start_viewer (Demo *demo, Viewer *viewer, guint port, guint tracker_port)
{
  /* ICE stays on the loopback: the demo never touches another address. */
  gchar *description = g_strdup_printf (
      "p2phlssrc name=src "
      "location=http://127.0.0.1:%u/playlist.m3u8 "
      "trackers=ws://127.0.0.1:%u ice-addresses=127.0.0.1 ! tsdemux ! "
      "h264parse ! avdec_h264 name=dec ! fakesink sync=true",
      port, tracker_port);
  GError *error = nullptr;
  /* Fatal errors: a missing element (p2phlssrc not on the plugin path)
   * fails here rather than leaving a pipeline without it. */
  viewer->pipeline = gst_parse_launch_full (
      description, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  g_free (description);
  if (!viewer->pipeline) {
    g_printerr ("viewer pipeline: %s\n", error->message);
    viewer->failed = true;
    viewer->error = error->message;
    g_error_free (error);
    return;
  }
  viewer->source = gst_bin_get_by_name (GST_BIN (viewer->pipeline), "src");
  GstElement *dec = gst_bin_get_by_name (GST_BIN (viewer->pipeline), "dec");
  GstPad *pad = gst_element_get_static_pad (dec, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, count_frame, viewer,
                     nullptr);
  gst_object_unref (pad);
  gst_object_unref (dec);
  GstBus *bus = gst_element_get_bus (viewer->pipeline);
  gst_bus_add_watch (bus, on_bus_message, demo);
  gst_object_unref (bus);
  gst_element_set_state (viewer->pipeline, GST_STATE_PLAYING);
}

guint64
get_u64 (const GstStructure *s, const char *field)
{
  guint64 v = 0;
  gst_structure_get_uint64 (s, field, &v);
  return v;
}

void
print_table (Demo *demo)
{
  GstStructure *sink_stats = nullptr;
  g_object_get (demo->sink, "stats", &sink_stats, nullptr);
  guint64 http_bytes = get_u64 (sink_stats, "http-segment-bytes")
                       + get_u64 (sink_stats, "http-playlist-bytes");
  guint64 seeded_bytes = get_u64 (sink_stats, "uploaded-bytes");
  guint64 origin_bytes = http_bytes + seeded_bytes;
  guint64 published_bytes = get_u64 (sink_stats, "bytes-published");

  g_print ("\n%-8s %9s %8s %12s %12s %12s %12s %8s %7s %8s\n", "viewer",
           "segments", "frames", "http-bytes", "peer-bytes", "cut-through",
           "uploaded", "p2p", "stalls", "status");
  guint64 total_received = 0, total_peer = 0, total_uploaded = 0;
  guint64 total_http_segments = 0;
  for (size_t i = 0; i < demo->viewers.size (); i++) {
    Viewer &v = demo->viewers[i];
    if (!v.source) {
      g_print ("%-8zu %80s\n         error: %s\n", i + 1, "FAILED",
               v.error.c_str ());
      continue;
    }
    GstStructure *s = nullptr;
    g_object_get (v.source, "stats", &s, nullptr);
    guint64 http = get_u64 (s, "http-bytes");
    guint64 peer = get_u64 (s, "peer-bytes");
    gdouble ratio = 0;
    gst_structure_get_double (s, "p2p-ratio", &ratio);
    total_received += http + peer;
    total_peer += peer;
    total_uploaded += get_u64 (s, "uploaded-bytes");
    total_http_segments += get_u64 (s, "http-segments");
    g_print ("%-8zu %9" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT
             " %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT
             " %12" G_GUINT64_FORMAT " %12" G_GUINT64_FORMAT
             " %7.1f%% %7" G_GUINT64_FORMAT " %8s\n",
             i + 1, get_u64 (s, "http-segments") + get_u64 (s, "peer-segments"),
             v.frames, http, peer, get_u64 (s, "relayed-bytes-arriving"),
             get_u64 (s, "uploaded-bytes"), 100 * ratio, get_u64 (s, "stalls"),
             v.failed ? "FAILED" : "ok");
    if (v.failed)
      g_print ("         error: %s\n", v.error.c_str ());
    gst_structure_free (s);
  }
  /* Bytes viewers got from each other, not from the origin's HTTP server
   * or its seeder: what peer-to-peer saved the broadcaster. */
  guint64 offloaded = total_uploaded;
  g_print ("\nbroadcaster: %" G_GUINT64_FORMAT " segments (%" G_GUINT64_FORMAT
           " bytes) published\n",
           demo->segments_published, published_bytes);
  g_print ("origin egress: %" G_GUINT64_FORMAT " bytes (HTTP %" G_GUINT64_FORMAT
           " + seeder %" G_GUINT64_FORMAT ") for %" G_GUINT64_FORMAT " bytes "
           "received by viewers\n",
           origin_bytes, http_bytes, seeded_bytes, total_received);
  g_print ("P2P ratio (bytes from any peer): %.1f%%; offload (bytes viewers "
           "got from other viewers): %.1f%%; HTTP copies per segment: %.2f\n",
           total_received ? 100.0 * total_peer / total_received : 0.0,
           total_received ? 100.0 * offloaded / total_received : 0.0,
           demo->segments_published
               ? (gdouble)total_http_segments / demo->segments_published
               : 0.0);
  gst_structure_free (sink_stats);
}

gboolean
on_tick (gpointer data)
{
  auto demo = static_cast<Demo *> (data);
  demo->elapsed++;
  if (demo->elapsed % 10 == 0) {
    g_print ("[%3ds] %" G_GUINT64_FORMAT " segments published\n", demo->elapsed,
             demo->segments_published);
  }
  if (demo->elapsed >= demo->options.duration) {
    g_main_loop_quit (demo->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

} // namespace

int
main (int argc, char **argv)
{
  Demo demo;
  GOptionEntry entries[]
      = { { "viewers", 'n', 0, G_OPTION_ARG_INT, &demo.options.viewers,
            "Number of viewers (default 4)", "N" },
          { "duration", 'd', 0, G_OPTION_ARG_INT, &demo.options.duration,
            "Seconds to run (default 60)", "S" },
          { "segment-duration", 0, 0, G_OPTION_ARG_INT,
            &demo.options.segment_seconds,
            "Target segment duration (default 2)", "S" },
          { "bitrate", 0, 0, G_OPTION_ARG_INT, &demo.options.bitrate_kbps,
            "Video bitrate in kbit/s (default 1500)", "KBPS" },
          { nullptr } };
  if (!p2p::tools::parse_command_line (&argc, &argv,
                                       "- local P2P HLS broadcast demo",
                                       entries, gst_init_get_option_group ()))
    return 2;
  if (demo.options.viewers < 1 || demo.options.duration < 10) {
    g_printerr ("need at least 1 viewer and 10 seconds\n");
    return 2;
  }

  gchar *description = g_strdup_printf (
      "videotestsrc is-live=true "
      "pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast bitrate=%d "
      "key-int-max=30 ! mpegtsmux ! p2pswarmsink name=sink http-port=0 "
      "tracker-port=0 ice-addresses=127.0.0.1 "
      "location=\"\" playlist-location=\"\" target-duration=%d",
      demo.options.bitrate_kbps, demo.options.segment_seconds);
  GError *error = nullptr;
  demo.broadcaster = gst_parse_launch_full (
      description, nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &error);
  g_free (description);
  if (!demo.broadcaster) {
    g_printerr ("broadcaster pipeline: %s\n", error->message);
    return 1;
  }
  demo.sink = gst_bin_get_by_name (GST_BIN (demo.broadcaster), "sink");
  demo.loop = g_main_loop_new (nullptr, FALSE);
  GstBus *bus = gst_element_get_bus (demo.broadcaster);
  gst_bus_add_watch (bus, on_bus_message, &demo);
  gst_object_unref (bus);
  if (gst_element_set_state (demo.broadcaster, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    g_printerr ("could not start the broadcaster\n");
    return 1;
  }
  gint port = 0;
  g_object_get (demo.sink, "http-port", &port, nullptr);
  g_print ("broadcasting on http://127.0.0.1:%d/playlist.m3u8 for %d s with "
           "%d viewers\n",
           port, demo.options.duration, demo.options.viewers);

  /* Viewers join over the first part of the run, once the playlist has
   * enough segments for a live start. */
  demo.viewers.resize (demo.options.viewers);
  for (gint i = 0; i < demo.options.viewers; i++) {
    guint delay = (guint)(demo.options.segment_seconds * 4 + i) * 1000;
    auto *arg = new std::pair<Demo *, gint> (&demo, i);
    g_timeout_add_full (
        G_PRIORITY_DEFAULT, delay,
        [] (gpointer data) {
          auto a = static_cast<std::pair<Demo *, gint> *> (data);
          gint p = 0, t = 0;
          g_object_get (a->first->sink, "http-port", &p, "tracker-port", &t,
                        nullptr);
          start_viewer (a->first, &a->first->viewers[a->second], (guint)p,
                        (guint)t);
          return G_SOURCE_REMOVE;
        },
        arg,
        [] (gpointer data) {
          delete static_cast<std::pair<Demo *, gint> *> (data);
        });
  }
  g_timeout_add_seconds (1, on_tick, &demo);
  g_main_loop_run (demo.loop);

  bool ok = !demo.broadcaster_failed;
  for (Viewer &v : demo.viewers)
    ok = ok && v.pipeline && !v.failed && v.frames > 0;
  /* The table once every viewer started, or failed to. */
  if (demo.viewers.back ().source || demo.viewers.back ().failed)
    print_table (&demo);
  for (Viewer &v : demo.viewers) {
    if (v.pipeline) {
      gst_element_set_state (v.pipeline, GST_STATE_NULL);
      gst_object_unref (v.source);
      gst_object_unref (v.pipeline);
    }
  }
  gst_element_set_state (demo.broadcaster, GST_STATE_NULL);
  gst_object_unref (demo.sink);
  gst_object_unref (demo.broadcaster);
  g_main_loop_unref (demo.loop);
  g_print ("%s\n", ok ? "demo: every viewer played" : "demo: FAILED");
  return ok ? 0 : 1;
}
