/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The HTTP path end to end over loopback: a live x264 broadcast through
 * p2pswarmsink played by p2phlssrc (every segment, in order, byte for byte,
 * decoded), a viewer started before the broadcaster serves its playlist
 * that follows it through a restart, and interoperability with GStreamer's own
 * HLS elements both ways: p2phlssrc plays hlssink2 output from a static file
 * server, and playbin3 (hlsdemux2) plays what p2pswarmsink publishes.
 */
#include <gst/check/gstcheck.h>

#ifdef __SANITIZE_ADDRESS__
#include <dlfcn.h>
#include <sanitizer/asan_interface.h>
#endif

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "tests/common/pipeline.h"
#include "tests/common/scripted-server.h"
#include "tests/common/test-utils.h"

using namespace p2p;
using namespace p2p::test;

namespace {

/* A live 30 fps test pattern with a key frame every second. */
constexpr const char *kLiveH264
    = "videotestsrc is-live=true pattern=ball ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 "
      "bitrate=400";

/* What p2phlssrc pushed (segment number and bytes) and how many frames the
 * decoder made of it. */
struct ViewerRecord
{
  std::mutex mutex;
  std::vector<std::pair<gint64, std::string>> segments;
  /* Whether each segment's first buffer was marked DISCONT. */
  std::vector<bool> discont;
  std::atomic<guint> frames{ 0 };

  void
  attach (GstElement *src, GstElement *sink)
  {
    GstPad *src_pad = gst_element_get_static_pad (src, "src");
    gst_pad_add_probe (
        src_pad, GST_PAD_PROBE_TYPE_BUFFER,
        [] (GstPad *, GstPadProbeInfo *info, gpointer data) {
          auto self = static_cast<ViewerRecord *> (data);
          GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
          std::lock_guard<std::mutex> lock (self->mutex);
          /* Parts of a segment streamed while it downloaded add up. */
          auto sequence = (gint64)GST_BUFFER_OFFSET (buffer);
          if (!self->segments.empty ()
              && self->segments.back ().first == sequence) {
            self->segments.back ().second += buffer_to_string (buffer);
          } else {
            self->segments.emplace_back (sequence, buffer_to_string (buffer));
            self->discont.push_back (
                GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT));
          }
          return GST_PAD_PROBE_OK;
        },
        this, nullptr);
    gst_object_unref (src_pad);
    count_buffers (sink, "sink", &frames);
  }

  size_t
  count ()
  {
    std::lock_guard<std::mutex> lock (mutex);
    return segments.size ();
  }
};

std::string
viewer_description (const std::string &url)
{
  return "p2phlssrc name=src live-delay=2 retries=2 timeout=5 "
         "stats-interval=0 location="
         + url
         + " ! tsdemux ! h264parse ! "
           "avdec_h264 ! fakesink name=frames sync=false";
}

/* The segments the viewer got must be one run of consecutive segments
 * ending with the last published one, each identical to its file. */
void
check_viewer_got (ViewerRecord &viewer,
                  const std::function<std::string (gint64)> &file_of,
                  gint64 last)
{
  std::lock_guard<std::mutex> lock (viewer.mutex);
  fail_unless (!viewer.segments.empty (), "the viewer got no segment");
  gint64 first = viewer.segments.front ().first;
  std::string order;
  for (const auto &segment : viewer.segments)
    order += " " + std::to_string (segment.first);
  for (size_t i = 0; i < viewer.segments.size (); i++) {
    fail_unless (viewer.segments[i].first == first + (gint64)i,
                 "segments out of order:%s", order.c_str ());
    assert_bytes_equal (viewer.segments[i].second,
                        read_file (file_of (viewer.segments[i].first)));
  }
  fail_unless_equals_int64 (viewer.segments.back ().first, last);
}

} // namespace

GST_START_TEST (test_broadcast_to_viewer)
{
  TempDir dir ("p2p-http-path-XXXXXX");
  Pipeline broadcaster (
      "broadcaster",
      std::string (kLiveH264)
          + " ! mpegtsmux ! p2pswarmsink name=sink http-port=0 "
            "target-duration=1"
            " playlist-length=6 max-files=0 stats-interval=0 location="
          + dir.file ("seg%05d.ts")
          + " playlist-location=" + dir.file ("playlist.m3u8"));
  broadcaster.play ();
  gint port = 0;
  g_object_get (broadcaster.element ("sink"), "http-port", &port, nullptr);
  fail_unless (port > 0);

  std::map<gint64, std::string> published;
  auto on_broadcaster = [&published] (GstMessage *m) {
    if (!gst_message_has_name (m, "p2p-segment-added"))
      return;
    const GstStructure *s = gst_message_get_structure (m);
    gint64 sequence = -1;
    gst_structure_get_int64 (s, "sequence", &sequence);
    published[sequence] = gst_structure_get_string (s, "location");
  };
  fail_unless (run_until (
                   10000, [&] { broadcaster.drain (on_broadcaster); },
                   [&] { return published.size () >= 3; }),
               "the broadcaster published %zu segments in 10 s",
               published.size ());
  size_t published_at_start = published.size ();

  std::string url
      = "http://127.0.0.1:" + std::to_string (port) + "/playlist.m3u8";
  Pipeline viewer ("viewer", viewer_description (url));
  ViewerRecord record;
  record.attach (viewer.element ("src"), viewer.element ("frames"));
  viewer.play ();

  /* About eight to ten seconds of broadcast in all. */
  auto step = [&] {
    broadcaster.drain (on_broadcaster);
    viewer.drain ();
  };
  fail_unless (run_until (12000, step, [&] { return published.size () >= 8; }));
  /* The broadcaster ends, and stops at its EOS as gst-launch-1.0 does: its
   * origin served the end to the viewer before it. */
  broadcaster.send_eos ();
  fail_unless (run_until (20000, step, [&] { return broadcaster.got_eos (); }),
               "the broadcaster did not finish");
  broadcaster.stop ();
  std::string playlist = read_file (dir.file ("playlist.m3u8"));
  fail_unless (playlist.find ("#EXT-X-ENDLIST") != std::string::npos);
  fail_unless (run_until (15000, step, [&] { return viewer.got_eos (); }),
               "the viewer did not reach the end (got %zu segments)",
               record.count ());

  gint64 last = published.rbegin ()->first;
  fail_unless_equals_int64 (last, (gint64)published.size () - 1);
  check_viewer_got (
      record, [&] (gint64 seq) { return published[seq]; }, last);
  /* It joined live-delay behind the edge, not at the first segment. */
  gint64 first = record.segments.front ().first;
  fail_unless (first > 0 && first <= (gint64)published_at_start,
               "started at %" G_GINT64_FORMAT " with %zu published", first,
               published_at_start);
  fail_unless (record.frames >= 30 * (record.segments.size () - 1),
               "%u frames decoded from %zu segments", record.frames.load (),
               record.segments.size ());
}
GST_END_TEST;

/* A broadcaster's lifecycle as a viewer lives it: started before the
 * origin serves a playlist (p2pswarmsink answers 404 until its first
 * segment), then the broadcaster restarted on the same port, numbering
 * from 0 again. The viewer waits, then follows the new stream as a
 * discontinuity, without an error, to its end. */
GST_START_TEST (test_early_viewer_and_restarted_broadcaster)
{
  TempDir dir ("p2p-restart-XXXXXX");
  /* Both broadcasters write the same files and serve the same playlist. */
  auto broadcaster_description = [&] (gint port) {
    return std::string (kLiveH264)
           + " ! mpegtsmux ! p2pswarmsink name=sink target-duration=1"
             " playlist-length=4 max-files=0 stats-interval=0 http-port="
           + std::to_string (port) + " location=" + dir.file ("seg%05d.ts")
           + " playlist-location=" + dir.file ("live.m3u8");
  };
  /* Segments published by the broadcaster now running. */
  std::map<gint64, std::string> published;
  auto on_broadcaster = [&published] (GstMessage *m) {
    if (!gst_message_has_name (m, "p2p-segment-added"))
      return;
    const GstStructure *s = gst_message_get_structure (m);
    gint64 sequence = -1;
    gst_structure_get_int64 (s, "sequence", &sequence);
    published[sequence] = gst_structure_get_string (s, "location");
  };

  auto first = std::make_unique<Pipeline> ("first broadcaster",
                                           broadcaster_description (0));
  first->play ();
  gint port = 0;
  g_object_get (first->element ("sink"), "http-port", &port, nullptr);
  fail_unless (port > 0);
  const std::string url
      = "http://127.0.0.1:" + std::to_string (port) + "/live.m3u8";
  fail_unless_equals_int (http_get (url).status, SOUP_STATUS_NOT_FOUND);

  Pipeline viewer ("viewer", viewer_description (url));
  ViewerRecord record;
  record.attach (viewer.element ("src"), viewer.element ("frames"));
  viewer.play ();
  first->drain (on_broadcaster);
  fail_unless (published.empty (), "published before the viewer started");
  fail_unless (run_until (
                   15000,
                   [&] {
                     first->drain (on_broadcaster);
                     viewer.drain ();
                   },
                   [&] { return record.count () >= 3; }),
               "the early viewer got %zu segments", record.count ());

  /* Gone without an end; back a second later, from 0. */
  first->stop ();
  first.reset ();
  published.clear ();
  g_usleep (G_USEC_PER_SEC);
  Pipeline second ("second broadcaster", broadcaster_description (port));
  second.play ();
  auto step = [&] {
    second.drain (on_broadcaster);
    viewer.drain ();
  };
  /* Segments the viewer got after going back in numbering. */
  auto after_restart = [&] {
    std::lock_guard<std::mutex> lock (record.mutex);
    size_t n = 0;
    for (size_t i = 1; i < record.segments.size (); i++) {
      if (n || record.segments[i].first < record.segments[i - 1].first)
        n++;
    }
    return n;
  };
  fail_unless (run_until (30000, step, [&] { return after_restart () >= 3; }),
               "the viewer got %zu segments of the restarted broadcast",
               after_restart ());
  second.send_eos ();
  fail_unless (run_until (20000, step, [&] { return second.got_eos (); }),
               "the restarted broadcaster did not finish");
  second.stop ();
  fail_unless (run_until (15000, step, [&] { return viewer.got_eos (); }),
               "the viewer did not reach the end");

  /* One run of the first broadcast, then one of the second to its last
   * segment, the first segment after the restart marked DISCONT; those of
   * the second identical to the files (which overwrote the first's). */
  std::lock_guard<std::mutex> lock (record.mutex);
  std::string order;
  for (const auto &segment : record.segments)
    order += " " + std::to_string (segment.first);
  size_t restart = 1;
  while (restart < record.segments.size ()
         && record.segments[restart].first > record.segments[restart - 1].first)
    restart++;
  fail_unless (restart < record.segments.size (), "no restart:%s",
               order.c_str ());
  fail_unless (record.discont[restart], "no DISCONT at the restart:%s",
               order.c_str ());
  for (size_t i = 1; i < record.segments.size (); i++) {
    if (i != restart) {
      fail_unless (record.segments[i].first == record.segments[i - 1].first + 1,
                   "segments out of order:%s", order.c_str ());
      fail_if (record.discont[i], "DISCONT within a run:%s", order.c_str ());
    }
  }
  for (size_t i = restart; i < record.segments.size (); i++) {
    auto file = published.find (record.segments[i].first);
    fail_unless (file != published.end (),
                 "segment %" G_GINT64_FORMAT " not published",
                 record.segments[i].first);
    assert_bytes_equal (record.segments[i].second, read_file (file->second));
  }
  fail_unless_equals_int64 (record.segments.back ().first,
                            published.rbegin ()->first);
  fail_unless (record.frames > 0);
}
GST_END_TEST;

GST_START_TEST (test_plays_hlssink2_output)
{
  TempDir dir ("p2p-hlssink2-XXXXXX");
  ScriptedServer server;
  server.serve_directory (dir.path ());
  Pipeline writer (
      "hlssink2",
      std::string (kLiveH264)
          + " ! h264parse ! hlssink2 target-duration=1 playlist-length=5"
            " max-files=0 location="
          + dir.file ("segment%05d.ts")
          + " playlist-location=" + dir.file ("playlist.m3u8"));
  writer.play ();
  auto listed = [&] {
    std::string text = read_file (dir.file ("playlist.m3u8"));
    size_t count = 0;
    for (size_t at = text.find ("#EXTINF"); at != std::string::npos;
         at = text.find ("#EXTINF", at + 1))
      count++;
    return count;
  };
  fail_unless (
      run_until (
          10000, [&] { writer.drain (); }, [&] { return listed () >= 3; }),
      "hlssink2 wrote no playlist");

  Pipeline viewer ("viewer",
                   viewer_description (server.url ("/playlist.m3u8")));
  ViewerRecord record;
  record.attach (viewer.element ("src"), viewer.element ("frames"));
  viewer.play ();
  auto step = [&] {
    writer.drain ();
    viewer.drain ();
  };
  fail_unless (run_until (10000, step, [&] { return record.count () >= 3; }),
               "the viewer got %zu segments", record.count ());
  writer.send_eos ();
  fail_unless (run_until (5000, step, [&] { return writer.got_eos (); }));
  fail_unless (run_until (15000, step, [&] { return viewer.got_eos (); }),
               "the viewer did not reach hlssink2's ENDLIST");

  /* hlssink2 numbers its files by media sequence from 0. */
  auto file_of = [&] (gint64 seq) {
    gchar name[32];
    g_snprintf (name, sizeof (name), "segment%05" G_GINT64_FORMAT ".ts", seq);
    return dir.file (name);
  };
  gint64 last = 0;
  while (file_exists (file_of (last + 1)))
    last++;
  check_viewer_got (record, file_of, last);
  fail_unless (record.frames > 0);
}
GST_END_TEST;

namespace {

/* A live broadcast from p2pswarmsink's origin, in memory, through
 * @muxer; ready once three segments are out. */
struct Broadcast
{
  explicit Broadcast (const std::string &muxer)
      : pipeline ("broadcaster",
                  std::string (kLiveH264) + " ! " + muxer
                      + " ! p2pswarmsink name=sink http-port=0 "
                        "target-duration=1 location=\"\" "
                        "playlist-location=\"\" stats-interval=0")
  {
    pipeline.play ();
    g_object_get (pipeline.element ("sink"), "http-port", &port, nullptr);
    size_t published = 0;
    fail_unless (run_until (
        10000,
        [&] {
          pipeline.drain ([&published] (GstMessage *m) {
            published += gst_message_has_name (m, "p2p-segment-added");
          });
        },
        [&] { return published >= 3; }));
  }

  /* The playlist's URL, for @scheme "http" or "p2phls+http". */
  std::string
  url (const std::string &scheme) const
  {
    return scheme + "://127.0.0.1:" + std::to_string (port) + "/playlist.m3u8";
  }

  Pipeline pipeline;
  gint port = 0;
};

constexpr const char *kFragmentedMp4 = "mp4mux fragment-duration=1000";

/* @player decodes 30 frames (buffers reaching @frames) while the broadcast
 * goes on. */
void
check_plays (Broadcast &broadcast, Pipeline &player, GstElement *frames)
{
  std::atomic<guint> count{ 0 };
  count_buffers (frames, "sink", &count);
  player.play ();
  fail_unless (run_until (
                   20000,
                   [&] {
                     broadcast.pipeline.drain ();
                     player.drain ();
                   },
                   [&] { return count >= 30; }),
               "decoded %u frames in 20 s", count.load ());
}

/* playbin3 decodes @uri: its video goes to a fakesink it returns. */
GstElement *
playbin3_video_sink (Pipeline &player)
{
  GstElement *sink = gst_element_factory_make ("fakesink", nullptr);
  g_object_set (sink, "sync", FALSE, nullptr);
  g_object_set (player.top (), "video-sink", sink, nullptr);
  return sink;
}

} // namespace

GST_START_TEST (test_playbin3_plays_p2pswarmsink)
{
  /* hlsdemux2 plays what the origin serves. */
  Broadcast broadcast ("mpegtsmux");
  Pipeline player ("playbin3", "playbin3 uri=" + broadcast.url ("http"));
  check_plays (broadcast, player, playbin3_video_sink (player));
}
GST_END_TEST;

/* Fragmented MP4 through p2phlssrc: its caps say video/quicktime before
 * the first buffer, so decodebin plugs qtdemux, not tsdemux. */
GST_START_TEST (test_fmp4_plays_in_playbin3)
{
  Broadcast broadcast (kFragmentedMp4);
  Pipeline player ("playbin3", "playbin3 uri=" + broadcast.url ("p2phls+http"));
  check_plays (broadcast, player, playbin3_video_sink (player));
}
GST_END_TEST;

GST_START_TEST (test_fmp4_plays_in_uridecodebin)
{
  Broadcast broadcast (kFragmentedMp4);
  Pipeline player ("uridecodebin",
                   "uridecodebin uri=" + broadcast.url ("p2phls+http")
                       + " ! videoconvert ! fakesink name=frames sync=false");
  check_plays (broadcast, player, player.element ("frames"));
}
GST_END_TEST;

/* gst-play-1.0 (as the README uses it) plays a broadcast that ends, to its
 * end, and exits. */
GST_START_TEST (test_fmp4_plays_in_gst_play)
{
  Broadcast broadcast (kFragmentedMp4);
  const std::string uri = broadcast.url ("p2phls+http");
  GError *error = nullptr;
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (
      (GSubprocessFlags)(G_SUBPROCESS_FLAGS_STDOUT_PIPE
                         | G_SUBPROCESS_FLAGS_STDERR_MERGE));
#ifdef __SANITIZE_ADDRESS__
  /* gst-play-1.0 loads our plugin, built with AddressSanitizer here
   * (scripts/sanitize.sh): its runtime has to come first in that process
   * too. */
  Dl_info asan;
  if (dladdr ((void *)&__asan_set_error_report_callback, &asan)
      && asan.dli_fname)
    g_subprocess_launcher_setenv (launcher, "LD_PRELOAD", asan.dli_fname, TRUE);
#endif
  GSubprocess *play = g_subprocess_launcher_spawn (
      launcher, &error, "timeout", "30", "gst-play-1.0", "--no-interactive",
      "--videosink=fakesink", "--audiosink=fakesink", uri.c_str (), nullptr);
  g_object_unref (launcher);
  fail_unless (play != nullptr, "%s", error ? error->message : "");
  g_usleep (3 * G_USEC_PER_SEC);
  broadcast.pipeline.send_eos ();
  gchar *output = nullptr;
  fail_unless (g_subprocess_communicate_utf8 (play, nullptr, nullptr, &output,
                                              nullptr, nullptr));
  fail_unless (g_subprocess_get_if_exited (play)
                   && g_subprocess_get_exit_status (play) == 0,
               "gst-play-1.0 did not play to the end:\n%s", output);
  fail_if (strstr (output, "ERROR"), "%s", output);
  fail_unless (strstr (output, "Reached end of play list"), "%s", output);
  g_free (output);
  g_object_unref (play);
}
GST_END_TEST;

namespace {

/* Ten 1 s segments of a 30 fps ball with an end, in @dir/vod.m3u8:
 * MPEG-TS written by hlssink2, or fragmented MP4 by p2pswarmsink. */
void
write_vod (const TempDir &dir, bool fragmented_mp4)
{
  const std::string video = "videotestsrc num-buffers=300 pattern=ball ! "
                            "video/x-raw,width=320,height=240,framerate=30/1 ! "
                            "x264enc key-int-max=30 speed-preset=ultrafast ! ";
  const std::string files = " location=" + dir.file ("segment%05d.ts")
                            + " playlist-location=" + dir.file ("vod.m3u8");
  Pipeline writer (
      "vod",
      video
          + (fragmented_mp4 ? "mp4mux fragment-duration=1000 ! p2pswarmsink "
                              "http-port=-1 linger=0"
                            : "h264parse ! hlssink2")
          + " target-duration=1 max-files=0 playlist-length=0" + files);
  writer.play ();
  fail_unless (run_until (
      20000, [&] { writer.drain (); }, [&] { return writer.got_eos (); }));
}

/* The stream time of the first buffer reaching @sink, and again after
 * each flush. */
struct FirstAfterFlush
{
  explicit FirstAfterFlush (GstElement *sink)
  {
    GstPad *pad = gst_element_get_static_pad (sink, "sink");
    gst_pad_add_probe (
        pad,
        (GstPadProbeType)(GST_PAD_PROBE_TYPE_BUFFER
                          | GST_PAD_PROBE_TYPE_EVENT_FLUSH),
        [] (GstPad *pad, GstPadProbeInfo *info, gpointer data) {
          auto self = static_cast<FirstAfterFlush *> (data);
          std::lock_guard<std::mutex> lock (self->mutex);
          if (info->type & GST_PAD_PROBE_TYPE_EVENT_FLUSH) {
            self->stream_time = GST_CLOCK_TIME_NONE;
            return GST_PAD_PROBE_OK;
          }
          GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
          GstEvent *event
              = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
          if (!GST_CLOCK_TIME_IS_VALID (self->stream_time) && event) {
            const GstSegment *segment;
            gst_event_parse_segment (event, &segment);
            self->stream_time = gst_segment_to_stream_time (
                segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buffer));
          }
          if (event)
            gst_event_unref (event);
          return GST_PAD_PROBE_OK;
        },
        this, nullptr);
    gst_object_unref (pad);
  }

  GstClockTime
  get ()
  {
    std::lock_guard<std::mutex> lock (mutex);
    return stream_time;
  }

  std::mutex mutex;
  GstClockTime stream_time = GST_CLOCK_TIME_NONE;
};

/* Waits for @player to preroll in PAUSED. */
void
preroll (Pipeline &player)
{
  fail_if (gst_element_set_state (player.top (), GST_STATE_PAUSED)
           == GST_STATE_CHANGE_FAILURE);
  fail_unless_equals_int (
      gst_element_get_state (player.top (), nullptr, nullptr, 10 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);
}

/* A playlist with an end has a duration and seeks in time: playback goes
 * on from the segment that holds the position, times downstream where
 * they belong. */
void
check_vod_seek (Pipeline &player, GstElement *frames)
{
  FirstAfterFlush first (frames);
  preroll (player);
  gint64 duration = -1;
  fail_unless (
      gst_element_query_duration (player.top (), GST_FORMAT_TIME, &duration));
  fail_unless (std::llabs (duration - 10 * (gint64)GST_SECOND)
                   < 100 * (gint64)GST_MSECOND,
               "duration %" GST_TIME_FORMAT, GST_TIME_ARGS (duration));
  const GstClockTime start = first.get ();
  fail_unless (start < GST_SECOND, "first frame at %" GST_TIME_FORMAT,
               GST_TIME_ARGS (start));

  fail_unless (gst_element_seek_simple (
      player.top (), GST_FORMAT_TIME,
      (GstSeekFlags)(GST_SEEK_FLAG_FLUSH | GST_SEEK_FLAG_KEY_UNIT),
      6 * GST_SECOND));
  fail_unless_equals_int (
      gst_element_get_state (player.top (), nullptr, nullptr, 10 * GST_SECOND),
      GST_STATE_CHANGE_SUCCESS);
  /* The first frame after the seek is six seconds after the first one
   * (mpegtsmux starts the media a little after time 0). */
  const GstClockTime after = first.get ();
  fail_unless (GST_CLOCK_TIME_IS_VALID (after)
                   && after >= start + 6 * GST_SECOND - 50 * GST_MSECOND
                   && after < start + 6 * GST_SECOND + 50 * GST_MSECOND,
               "first frame at %" GST_TIME_FORMAT
               ", after the seek at %" GST_TIME_FORMAT,
               GST_TIME_ARGS (start), GST_TIME_ARGS (after));
  gint64 position = -1;
  fail_unless (
      gst_element_query_position (player.top (), GST_FORMAT_TIME, &position));
  fail_unless (std::llabs (position - 6 * (gint64)GST_SECOND)
                   <= (gint64)start + 50 * (gint64)GST_MSECOND,
               "position %" GST_TIME_FORMAT, GST_TIME_ARGS (position));
  player.play ();
  fail_unless (run_until (
      15000, [&] { player.drain (); }, [&] { return player.got_eos (); }));
}

} // namespace

GST_START_TEST (test_vod_duration_and_seek)
{
  const bool fragmented_mp4 = __i__ == 1;
  TempDir dir ("p2p-vod-XXXXXX");
  write_vod (dir, fragmented_mp4);
  ScriptedServer server;
  server.serve_directory (dir.path ());
  const std::string url = server.url ("/vod.m3u8");
  {
    Pipeline player ("demuxer", "p2phlssrc location=" + url + " ! "
                                    + (fragmented_mp4 ? "qtdemux" : "tsdemux")
                                    + " ! h264parse ! avdec_h264 ! "
                                      "fakesink name=frames sync=false");
    check_vod_seek (player, player.element ("frames"));
  }
  /* As an application or gst-play-1.0 does it. */
  Pipeline player ("playbin3", "playbin3 uri=p2phls+" + url);
  check_vod_seek (player, playbin3_video_sink (player));
}
GST_END_TEST;

static Suite *
http_path_suite (void)
{
  Suite *s = suite_create ("http-path");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_broadcast_to_viewer);
  tcase_add_test (tc, test_early_viewer_and_restarted_broadcaster);
  tcase_add_test (tc, test_plays_hlssink2_output);
  tcase_add_test (tc, test_playbin3_plays_p2pswarmsink);
  tcase_add_test (tc, test_fmp4_plays_in_playbin3);
  tcase_add_test (tc, test_fmp4_plays_in_uridecodebin);
  tcase_add_test (tc, test_fmp4_plays_in_gst_play);
  /* MPEG-TS, then fragmented MP4. */
  tcase_add_loop_test (tc, test_vod_duration_and_seek, 0, 2);
  return s;
}

GST_CHECK_MAIN (http_path);
