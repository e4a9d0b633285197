/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * abr-bench: adaptive bitrate of p2phlssrc against GStreamer's hlsdemux2,
 * both playing the same live stream from the same loopback origin in the
 * same run. The stream has two variants of real H.264 (encoded first, from
 * a noise pattern so that the encoder spends its whole bitrate); the origin
 * publishes one 1 s segment of each a second, and throttles the high
 * variant, for each client, between two times. Each player renders to a
 * synchronised fakesink; a stall is a frame reaching it later than the
 * frames before it say it should (playback then resumes from there).
 * Printed for each player: segment requests per variant, switches, how
 * long after the throttle began it first asked for the low variant and
 * after it ended for the high one again, stalls and stall time; then the
 * ratios of p2phlssrc's figures to hlsdemux2's, and the machine's load
 * (the players share it with the origin, and with whatever else runs).
 *
 *   GST_PLUGIN_PATH_1_0=build/plugins/p2p build/tests/bench/abr-bench
 */
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "tests/common/scripted-server.h"
#include "tools/command-line.h"

using namespace p2p;

namespace {

struct Options
{
  gint duration = 70;
  gint throttle_from = 20;
  gint throttle_to = 40;
  gint throttle_rate = 150000; /* bytes per second, per client */
  gint high_kbps = 2000;
  gint low_kbps = 400;
};

constexpr gint kLiveDelay = 3;
constexpr gint kWindow = 6;
/* How much later than the frames before it say a frame may come before it
 * counts as a stall: sink queues hide small delays. */
constexpr GstClockTime kStallTolerance = 200 * GST_MSECOND;

double
seconds_since (gint64 start_us)
{
  return (g_get_monotonic_time () - start_us) / 1e6;
}

/* Encodes @seconds of 1 s segments of both variants with hlssink2 into
 * @dir/high and @dir/low. */
bool
encode (const std::string &dir, const Options &o, gint seconds)
{
  auto branch = [&] (const char *name, gint kbps) {
    std::string out = dir + "/" + name;
    g_mkdir_with_parents (out.c_str (), 0700);
    return "t. ! queue ! x264enc speed-preset=ultrafast key-int-max=30 "
           "bitrate="
           + std::to_string (kbps) + " vbv-buf-capacity=1000"
           + " ! h264parse ! hlssink2 target-duration=1 max-files=0 "
             "playlist-length=0 location="
           + out + "/segment%05d.ts playlist-location=" + out
           + "/encoded.m3u8 ";
  };
  std::string description
      = "videotestsrc pattern=snow num-buffers=" + std::to_string (seconds * 30)
        + " ! video/x-raw,width=640,height=360,framerate=30/1 ! tee name=t "
        + branch ("high", o.high_kbps) + branch ("low", o.low_kbps);
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch (description.c_str (), &error);
  if (!pipeline) {
    g_printerr ("encoder: %s\n", error->message);
    return false;
  }
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *end = gst_bus_timed_pop_filtered (
      bus, GST_CLOCK_TIME_NONE,
      (GstMessageType)(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  const bool ok = GST_MESSAGE_TYPE (end) == GST_MESSAGE_EOS;
  gst_message_unref (end);
  gst_object_unref (bus);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  return ok;
}

std::string
media_playlist (gint64 last)
{
  const gint64 first = std::max<gint64> (0, last - kWindow + 1);
  std::string text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n"
                     "#EXT-X-MEDIA-SEQUENCE:"
                     + std::to_string (first) + "\n";
  for (gint64 seq = first; seq <= last; seq++) {
    gchar name[32];
    g_snprintf (name, sizeof (name), "segment%05" G_GINT64_FORMAT ".ts", seq);
    /* hlssink2's own durations would do; 1 s is what it was asked for. */
    text += std::string ("#EXTINF:1.0,\n") + name + "\n";
  }
  return text;
}

/* What one player did, from the origin's log and its sink. */
struct Player
{
  Player (const char *name, const std::string &description)
      : name (name), pipeline (gst_parse_launch (description.c_str (), nullptr))
  {
    GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
    GstPad *pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, on_frame, this, nullptr);
    gst_object_unref (pad);
    gst_object_unref (sink);
  }
  ~Player ()
  {
    gst_element_set_state (pipeline, GST_STATE_NULL);
    gst_object_unref (pipeline);
  }

  /* A frame reaches the sink: later than due is a stall. */
  static GstPadProbeReturn
  on_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data) noexcept
  {
    auto self = static_cast<Player *> (data);
    GstEvent *event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
    if (!event)
      return GST_PAD_PROBE_OK;
    const GstSegment *segment;
    gst_event_parse_segment (event, &segment);
    const GstClockTime running = gst_segment_to_running_time (
        segment, GST_FORMAT_TIME,
        GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info)));
    gst_event_unref (event);
    if (!GST_CLOCK_TIME_IS_VALID (running))
      return GST_PAD_PROBE_OK;
    const GstClockTime now = g_get_monotonic_time () * GST_USECOND;
    std::lock_guard<std::mutex> lock (self->mutex);
    self->frames++;
    if (!GST_CLOCK_TIME_IS_VALID (self->origin)) {
      self->origin = now - running;
      return GST_PAD_PROBE_OK;
    }
    const GstClockTime due = self->origin + running;
    if (now > due + kStallTolerance) {
      self->stalls++;
      self->stall_time += now - due;
      self->origin += now - due;
    }
    return GST_PAD_PROBE_OK;
  }

  const char *name;
  GstElement *pipeline;
  std::mutex mutex;
  GstClockTime origin = GST_CLOCK_TIME_NONE;
  guint frames = 0;
  guint stalls = 0;
  GstClockTime stall_time = 0;
  /* Segment requests in order: time since start and variant. */
  std::vector<std::pair<double, bool>> requests;
};

struct Figures
{
  guint high = 0, low = 0, switches = 0, stalls = 0;
  double stall_s = 0;
};

Figures
report (Player &p, const Options &o)
{
  guint high = 0, low = 0, switches = 0;
  double down = -1, up = -1;
  for (size_t i = 0; i < p.requests.size (); i++) {
    const auto [at, is_high] = p.requests[i];
    (is_high ? high : low)++;
    if (i > 0 && is_high != p.requests[i - 1].second)
      switches++;
    if (!is_high && down < 0 && at >= o.throttle_from)
      down = at - o.throttle_from;
    if (is_high && up < 0 && at >= o.throttle_to)
      up = at - o.throttle_to;
  }
  std::lock_guard<std::mutex> lock (p.mutex);
  g_print ("%-10s  high %3u  low %3u  switches %2u  down after %5.1f s  "
           "up after %5.1f s  stalls %u (%.1f s)  frames %u\n",
           p.name, high, low, switches, down, up, p.stalls,
           double (p.stall_time) / GST_SECOND, p.frames);
  return { high, low, switches, p.stalls, double (p.stall_time) / GST_SECOND };
}

/* "a/b = r", "-" for r when b is 0. */
std::string
ratio (double a, double b)
{
  gchar text[64];
  if (b > 0)
    g_snprintf (text, sizeof (text), "%.3g/%.3g = %.2f", a, b, a / b);
  else
    g_snprintf (text, sizeof (text), "%.3g/%.3g = -", a, b);
  return text;
}

/* The 1, 5 and 15 minute load averages. */
std::string
load_average ()
{
  gchar *text = nullptr;
  if (!g_file_get_contents ("/proc/loadavg", &text, nullptr, nullptr))
    return "?";
  gchar **fields = g_strsplit (text, " ", 4);
  std::string load
      = g_strv_length (fields) >= 3
            ? std::string (fields[0]) + " " + fields[1] + " " + fields[2]
            : "?";
  g_strfreev (fields);
  g_free (text);
  return load;
}

/* Where the variants are encoded, removed however the bench ends. */
class ScratchDir
{
public:
  ScratchDir () : path_ (g_dir_make_tmp ("abr-bench-XXXXXX", nullptr)) {}
  ~ScratchDir ()
  {
    if (!path_)
      return;
    gchar *remove[] = { (gchar *)"rm", (gchar *)"-rf", path_, nullptr };
    g_spawn_sync (nullptr, remove, nullptr, G_SPAWN_SEARCH_PATH, nullptr,
                  nullptr, nullptr, nullptr, nullptr, nullptr);
    g_free (path_);
  }
  ScratchDir (const ScratchDir &) = delete;
  ScratchDir &operator= (const ScratchDir &) = delete;

  const gchar *
  path () const
  {
    return path_;
  }

private:
  gchar *path_;
};

} // namespace

int
main (int argc, char **argv)
{
  Options o;
  const GOptionEntry entries[]
      = { { "duration", 0, 0, G_OPTION_ARG_INT, &o.duration,
            "Seconds of live stream", "S" },
          { "throttle-from", 0, 0, G_OPTION_ARG_INT, &o.throttle_from,
            "Second the high variant's throttling starts", "S" },
          { "throttle-to", 0, 0, G_OPTION_ARG_INT, &o.throttle_to,
            "Second it ends", "S" },
          { "throttle-rate", 0, 0, G_OPTION_ARG_INT, &o.throttle_rate,
            "Bytes per second each client gets of the high variant then", "B" },
          { "high-kbps", 0, 0, G_OPTION_ARG_INT, &o.high_kbps,
            "Bitrate of the high variant", "K" },
          { "low-kbps", 0, 0, G_OPTION_ARG_INT, &o.low_kbps,
            "Bitrate of the low variant", "K" },
          { nullptr } };
  if (!p2p::tools::parse_command_line (
          &argc, &argv, "- adaptive bitrate of p2phlssrc against hlsdemux2",
          entries, gst_init_get_option_group ()))
    return 2;
  gst_init (&argc, &argv);

  const ScratchDir scratch;
  const gchar *dir = scratch.path ();
  if (!dir) {
    g_printerr ("cannot make a temporary directory\n");
    return 1;
  }
  g_print ("encoding %d s of %d and %d kbit/s...\n", o.duration + kWindow,
           o.high_kbps, o.low_kbps);
  if (!encode (dir, o, o.duration + kWindow))
    return 1;

  test::ScriptedServer origin;
  origin.serve_directory (dir);
  const std::string master = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH="
                             + std::to_string (o.high_kbps * 1100)
                             + ",RESOLUTION=640x360\n"
                             + "high/index.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH="
                             + std::to_string (o.low_kbps * 1100)
                             + ",RESOLUTION=640x360\n" + "low/index.m3u8\n";
  origin.set_text ("/master.m3u8", master, "application/vnd.apple.mpegurl");
  const std::string url = origin.url ("/master.m3u8");

  const std::string load_before = load_average ();
  const gint64 start = g_get_monotonic_time ();
  /* The same parsing bin after both (hlsdemux2 needs a streams-aware one);
   * nothing decoded, frames rendered in time. */
  auto player = [] (const std::string &uri) {
    return "uridecodebin3 name=dec uri=" + uri
           + " caps=video/x-h264 ! fakesink name=sink sync=true";
  };
  Player ours ("p2phlssrc", player ("p2phls+" + url));
  /* Three segments behind the live edge, where hlsdemux2 starts. */
  GstElement *decodebin = gst_bin_get_by_name (GST_BIN (ours.pipeline), "dec");
  g_signal_connect (
      decodebin, "source-setup",
      G_CALLBACK (+[] (GstElement *, GstElement *source, gpointer) noexcept {
        g_object_set (source, "live-delay", kLiveDelay, nullptr);
      }),
      nullptr);
  gst_object_unref (decodebin);
  Player theirs ("hlsdemux2", player (url));
  origin.on_request ([&] (const std::string &path, const std::string &agent) {
    if (!g_str_has_suffix (path.c_str (), ".ts"))
      return;
    Player &p = agent.find ("p2phlssrc") != std::string::npos ? ours : theirs;
    std::lock_guard<std::mutex> lock (p.mutex);
    p.requests.emplace_back (seconds_since (start),
                             g_str_has_prefix (path.c_str (), "/high/"));
  });

  for (gint64 second = 0; second < o.duration; second++) {
    /* Segment @second is out: kWindow published when playback starts. */
    const gint64 last = second + kWindow - 1;
    for (const char *variant : { "/high/", "/low/" })
      origin.set_text (std::string (variant) + "index.m3u8",
                       media_playlist (last), "application/vnd.apple.mpegurl");
    if (second == 0) {
      gst_element_set_state (ours.pipeline, GST_STATE_PLAYING);
      gst_element_set_state (theirs.pipeline, GST_STATE_PLAYING);
    }
    if (second == o.throttle_from)
      origin.throttle ("/high/", o.throttle_rate);
    if (second == o.throttle_to)
      origin.throttle ("/high/", 0);
    g_usleep (std::max<gint64> (0, start + (second + 1) * G_USEC_PER_SEC
                                       - g_get_monotonic_time ()));
  }

  g_print ("%d s live, the high variant (%d kbit/s) throttled to %d kbit/s "
           "per client from %d s to %d s:\n",
           o.duration, o.high_kbps, o.throttle_rate * 8 / 1000, o.throttle_from,
           o.throttle_to);
  const Figures a = report (ours, o);
  const Figures b = report (theirs, o);
  g_print ("p2phlssrc/hlsdemux2: stalls %s, stall time %s s, "
           "high-variant requests %s, switches %s\n",
           ratio (a.stalls, b.stalls).c_str (),
           ratio (a.stall_s, b.stall_s).c_str (),
           ratio (a.high, b.high).c_str (),
           ratio (a.switches, b.switches).c_str ());
  g_print ("machine: %u cores, load average %s at the start, %s at the end\n",
           g_get_num_processors (), load_before.c_str (),
           load_average ().c_str ());
  return 0;
}
