/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2pswarmsink fed by a GstHarness or by real muxers: where segments are
 * cut (MPEG-TS with and without video, fragmented MP4), the files and the
 * sliding-window playlist it writes, its messages, its HTTP origin and how
 * long it serves after the end, and the input and settings it refuses.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <glib/gstdio.h>

#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/packaging/live-publisher.h"
#include "tests/common/pipeline.h"
#include "tests/common/test-utils.h"

using namespace p2p;
using namespace p2p::test;

namespace {

constexpr const char *kTsCaps
    = "video/mpegts, systemstream=(boolean)true, packetsize=(int)188";
constexpr GstClockTime kFrame = 250 * GST_MSECOND;

/* A stream of 23 frames, one every 250 ms: frame 0 is a delta frame (before
 * any key frame, so it is dropped), key frames are the odd ones. With
 * target-duration=1 a segment starts on frames 1, 5, 9, 13, 17 and 21. */
constexpr guint kFrames = 23;
const std::vector<std::vector<guint>> kSegmentFrames = {
  { 1, 2, 3, 4 },     { 5, 6, 7, 8 },     { 9, 10, 11, 12 },
  { 13, 14, 15, 16 }, { 17, 18, 19, 20 }, { 21, 22 },
};

bool
is_key_frame (guint frame)
{
  return frame % 2 == 1;
}

std::string
frame_bytes (guint frame)
{
  return std::string (188 * (1 + frame % 3), static_cast<char> ('A' + frame));
}

/* One buffer without timestamp and without DELTA_UNIT, pushed after frame
 * 6: a key frame without time must not cut a segment. */
constexpr guint kUntimedAfter = 6;
const std::string kUntimedBytes (188, '#');

std::string
expected_segment (size_t index)
{
  std::string bytes;
  for (guint frame : kSegmentFrames[index]) {
    bytes += frame_bytes (frame);
    if (frame == kUntimedAfter)
      bytes += kUntimedBytes;
  }
  return bytes;
}

std::string
sha256_of (const std::string &bytes)
{
  p2p::GBytesPtr b (g_bytes_new (bytes.data (), bytes.size ()));
  return p2p::packaging::sha256_hex (b.get ());
}

std::string
string_field (const GstStructure *s, const char *name)
{
  const char *value = gst_structure_get_string (s, name);
  return value ? value : "<none>";
}

GstBuffer *
make_buffer (const std::string &bytes, GstClockTime pts, bool key)
{
  GstBuffer *buffer = gst_buffer_new_memdup (bytes.data (), bytes.size ());
  GST_BUFFER_PTS (buffer) = pts;
  if (!key)
    GST_BUFFER_FLAG_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);
  return buffer;
}

void
push_frame (GstHarness *h, guint frame)
{
  fail_unless_equals_int (
      gst_harness_push (h, make_buffer (frame_bytes (frame), frame * kFrame,
                                        is_key_frame (frame))),
      GST_FLOW_OK);
  if (frame == kUntimedAfter) {
    fail_unless_equals_int (
        gst_harness_push (
            h, make_buffer (kUntimedBytes, GST_CLOCK_TIME_NONE, true)),
        GST_FLOW_OK);
  }
}

/* The sink under test, with its own bus. Takes @element (make_sink ()). */
struct SinkFixture
{
  explicit SinkFixture (GstElement *element)
      : sink (GST_ELEMENT (gst_object_ref_sink (element))), bus (gst_bus_new ())
  {
    gst_element_set_bus (sink, bus);
    h = gst_harness_new_with_element (sink, "sink", nullptr);
    gst_harness_set_src_caps_str (h, kTsCaps);
  }

  ~SinkFixture ()
  {
    gst_harness_teardown (h);
    /* Messages left on the bus hold the sink, which holds the bus. */
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (sink);
    gst_object_unref (bus);
  }

  GstElement *sink = nullptr;
  GstHarness *h = nullptr;
  GstBus *bus = nullptr;
};

GstElement *
make_sink ()
{
  GstElement *sink = gst_element_factory_make ("p2pswarmsink", nullptr);
  fail_unless (sink != nullptr);
  g_object_set (sink, "target-duration", 1u, "stats-interval", 0u, "http-port",
                -1, nullptr);
  return sink;
}

/* A sink publishing from memory through its origin on any free port, which
 * serves @linger seconds at most after EOS. */
GstElement *
make_origin_sink (guint linger)
{
  GstElement *sink = make_sink ();
  g_object_set (sink, "location", "", "playlist-location", "", "http-port", 0,
                "linger", linger, nullptr);
  return sink;
}

/* @path on the origin of a started @sink. */
std::string
origin_url (GstElement *sink, const std::string &path)
{
  gint port = 0;
  g_object_get (sink, "http-port", &port, nullptr);
  return "http://127.0.0.1:" + std::to_string (port) + path;
}

/* The whole test stream but its end. */
void
push_all_frames (GstHarness *h)
{
  for (guint frame = 0; frame < kFrames; frame++)
    push_frame (h, frame);
}

p2p::hls::MediaPlaylist
parse_media (const std::string &text)
{
  p2p::GErrorOut error;
  auto playlist = p2p::hls::parse_media_playlist (text, nullptr, error.out ());
  fail_unless (playlist.has_value (), "playlist does not parse: %s\n%s",
               error ? error.get ()->message : "", text.c_str ());
  return std::move (*playlist);
}

/* 188-byte TS packets: a PAT naming PMT PID 0x20, that PMT, and video on
 * PID 0x41. @cc tells versions of the tables apart. */
std::string
ts_packet (guint16 pid, bool section_start, guint8 cc, guint8 fill)
{
  std::string packet (188, static_cast<char> (fill));
  packet[0] = 0x47;
  packet[1] = static_cast<char> ((section_start ? 0x40 : 0) | (pid >> 8));
  packet[2] = static_cast<char> (pid & 0xff);
  packet[3] = static_cast<char> (0x10 | (cc & 0x0f));
  return packet;
}

std::string
pat_packet (guint8 cc)
{
  std::string packet = ts_packet (0, true, cc, 0xff);
  const guint8 section[] = {
    0x00,                                           /* pointer_field */
    0x00, 0xb0, 0x0d, 0x00, 0x01, 0xc1, 0x00, 0x00, /* PAT header */
    0x00, 0x01, 0xe0, 0x20, /* program 1 -> PMT PID 0x20 */
    0x12, 0x34, 0x56, 0x78  /* CRC_32 (not checked) */
  };
  packet.replace (4, sizeof (section), reinterpret_cast<const char *> (section),
                  sizeof (section));
  return packet;
}

std::string
pmt_packet (guint8 cc)
{
  std::string packet = ts_packet (0x20, true, cc, 0xff);
  packet[4] = 0x00; /* pointer_field */
  packet[5] = 0x02; /* table_id: PMT */
  return packet;
}

std::string
video_packet (guint frame)
{
  return ts_packet (0x41, true, frame, 'a' + frame);
}

/* The sink at the end of a launch line, writing into @dir. */
std::string
sink_description (const TempDir &dir, const std::string &extra = {})
{
  return "p2pswarmsink name=sink target-duration=1 http-port=-1 "
         "stats-interval=0 max-files=0 playlist-length=0 location="
         + dir.file ("s%d.ts") + " playlist-location=" + dir.file ("p.m3u8")
         + " " + extra;
}

/* Runs @pipeline to EOS and returns the playlist it wrote. */
p2p::hls::MediaPlaylist
run_to_end (Pipeline &pipeline, const TempDir &dir)
{
  pipeline.play ();
  fail_unless (run_until (
                   20000, [&] { pipeline.drain (); },
                   [&] { return pipeline.got_eos (); }),
               "no EOS");
  p2p::hls::MediaPlaylist playlist
      = parse_media (read_file (dir.file ("p.m3u8")));
  fail_unless (playlist.end_list);
  return playlist;
}

constexpr const char *kAudio
    = "audiotestsrc num-buffers=172 ! voaacenc ! aacparse"; /* 4 s */

} // namespace

/* Nothing says what bytes without caps are: a file, random bytes. They are
 * refused as not negotiated, and nothing is published. */
GST_START_TEST (test_input_without_caps_is_refused)
{
  TempDir dir ("p2pswarmsink-XXXXXX");
  GBytesPtr random = make_payload (100000, 7);
  fail_unless (g_file_set_contents (dir.file ("random.bin").c_str (),
                                    bytes_to_string (random.get ()).data (),
                                    100000, nullptr));
  Pipeline pipeline ("no caps", "filesrc location=" + dir.file ("random.bin")
                                    + " ! " + sink_description (dir));
  pipeline.play ();
  std::string source;
  GErrorPtr error = pipeline.wait_error (5000, &source);
  fail_unless (error != nullptr, "no error");
  assert_strings_equal (source, "sink");
  fail_unless (g_error_matches (error.get (), GST_CORE_ERROR,
                                GST_CORE_ERROR_NEGOTIATION),
               "%s", error->message);
  pipeline.stop ();
  fail_if (file_exists (dir.file ("s0.ts")), "a segment was written");
  fail_if (file_exists (dir.file ("p.m3u8")), "a playlist was written");
}
GST_END_TEST;

/* Without video there are no key frames: audio is cut on time, as
 * hlssink2 does, each segment starting with PAT and PMT. */
GST_START_TEST (test_audio_only_ts)
{
  TempDir dir ("p2pswarmsink-XXXXXX");
  Pipeline pipeline ("audio", std::string (kAudio) + " ! mpegtsmux ! "
                                  + sink_description (dir));
  p2p::hls::MediaPlaylist playlist = run_to_end (pipeline, dir);
  fail_unless (playlist.segments.size () >= 3, "%zu segments",
               playlist.segments.size ());
  for (const auto &segment : playlist.segments) {
    std::string bytes = read_file (dir.file (segment.uri));
    fail_unless (bytes.size () > 188
                     && bytes.compare (0, 3, std::string ("\x47\x40\x00", 3))
                            == 0,
                 "%s does not start with a PAT", segment.uri.c_str ());
    if (&segment != &playlist.segments.back ())
      fail_unless (segment.duration >= GST_SECOND
                       && segment.duration < 1200 * GST_MSECOND,
                   "%s lasts %" GST_TIME_FORMAT, segment.uri.c_str (),
                   GST_TIME_ARGS (segment.duration));
  }
}
GST_END_TEST;

/* Fragmented MP4 from mp4mux: init.mp4 named by EXT-X-MAP, .m4s segments
 * of whole fragments starting on key frames, each one playable after the
 * initialisation section. */
GST_START_TEST (test_fragmented_mp4)
{
  TempDir dir ("p2pswarmsink-XXXXXX");
  Pipeline pipeline ("fmp4",
                     "videotestsrc num-buffers=120 ! "
                     "video/x-raw,width=160,height=120,framerate=30/1 ! "
                     "x264enc key-int-max=30 speed-preset=ultrafast ! mux. "
                         + std::string (kAudio)
                         + " ! mux. mp4mux name=mux fragment-duration=500 ! "
                         + sink_description (dir));
  p2p::hls::MediaPlaylist playlist = run_to_end (pipeline, dir);
  fail_unless_equals_int (playlist.segments.size (), 4);
  fail_unless (playlist.version >= 6);
  std::string init = read_file (dir.file ("init.mp4"));
  fail_unless (init.compare (4, 4, "ftyp") == 0, "init.mp4 is not MP4");
  for (const auto &segment : playlist.segments) {
    fail_unless (g_str_has_suffix (segment.uri.c_str (), ".m4s"), "%s",
                 segment.uri.c_str ());
    fail_unless (segment.init_section
                 && segment.init_section->uri == "init.mp4");
    fail_unless (segment.duration == GST_SECOND, "%s lasts %" GST_TIME_FORMAT,
                 segment.uri.c_str (), GST_TIME_ARGS (segment.duration));
    std::string bytes = read_file (dir.file (segment.uri));
    fail_unless (bytes.compare (4, 4, "moof") == 0, "%s starts with %s",
                 segment.uri.c_str (), bytes.substr (4, 4).c_str ());
  }

  /* The third segment alone, after init.mp4, decodes to its 30 frames. */
  std::string alone = dir.file ("alone.mp4");
  std::string bytes = init + read_file (dir.file (playlist.segments[2].uri));
  fail_unless (g_file_set_contents (alone.c_str (), bytes.data (),
                                    bytes.size (), nullptr));
  Pipeline decode ("decode", "filesrc location=" + alone
                                 + " ! qtdemux ! h264parse ! avdec_h264 ! "
                                   "fakesink name=frames");
  std::atomic<guint> frames{ 0 };
  count_buffers (decode.element ("frames"), "sink", &frames);
  decode.play ();
  fail_unless (run_until (
      10000, [&] { decode.drain (); }, [&] { return decode.got_eos (); }));
  fail_unless_equals_int (frames.load (), 30);
}
GST_END_TEST;

GST_START_TEST (test_mp4_not_fragmented_is_refused)
{
  TempDir dir ("p2pswarmsink-XXXXXX");
  Pipeline pipeline ("mp4", "videotestsrc num-buffers=30 ! x264enc ! mp4mux ! "
                                + sink_description (dir));
  pipeline.play ();
  GErrorPtr error = pipeline.wait_error (10000);
  fail_unless (error != nullptr, "no error");
  fail_unless (
      g_error_matches (error.get (), GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT),
      "%s", error->message);
  fail_unless (strstr (error->message, "fragment-duration"), "%s",
               error->message);
}
GST_END_TEST;

/* A place where files cannot be created is one error when the sink
 * starts, not a warning for every segment. */
GST_START_TEST (test_unwritable_location)
{
  for (const char *property : { "location", "playlist-location" }) {
    GstElement *sink = make_sink ();
    std::string value
        = std::string ("/nonexistent/dir/")
          + (strcmp (property, "location") == 0 ? "s%05d.ts" : "p.m3u8");
    g_object_set (sink, "location", "", "playlist-location", "", property,
                  value.c_str (), nullptr);
    std::vector<GErrorPtr> errors = start_errors (sink);
    fail_unless_equals_int (errors.size (), 1);
    fail_unless (g_error_matches (errors[0].get (), GST_RESOURCE_ERROR,
                                  GST_RESOURCE_ERROR_OPEN_WRITE),
                 "%s", errors[0]->message);
    fail_unless (strstr (errors[0]->message, "/nonexistent/dir"), "%s",
                 errors[0]->message);
    gst_object_unref (sink);
  }
}
GST_END_TEST;

/* A file that cannot be written later (its directory went away) is one
 * error naming what could not be written, and the stream stops. */
GST_START_TEST (test_write_failure_is_an_error)
{
  for (bool playlist : { false, true }) {
    TempDir dir ("p2pswarmsink-XXXXXX");
    std::string sub = dir.file ("out");
    fail_unless (g_mkdir (sub.c_str (), 0700) == 0);
    GstElement *sink = make_sink ();
    g_object_set (sink, "location", playlist ? "" : (sub + "/s%d.ts").c_str (),
                  "playlist-location",
                  playlist ? (sub + "/p.m3u8").c_str () : "", nullptr);
    SinkFixture f (sink);
    fail_unless (g_rmdir (sub.c_str ()) == 0);
    GstFlowReturn flow = GST_FLOW_OK;
    for (guint frame = 0; frame < kFrames && flow == GST_FLOW_OK; frame++)
      flow = gst_harness_push (f.h,
                               make_buffer (frame_bytes (frame), frame * kFrame,
                                            is_key_frame (frame)));
    fail_unless_equals_int (flow, GST_FLOW_ERROR);
    GstMessagePtr message = wait_message (f.bus, GST_MESSAGE_ERROR, 1000);
    fail_unless (message != nullptr);
    GError *error = nullptr;
    gst_message_parse_error (message.get (), &error, nullptr);
    GErrorPtr owned (error);
    fail_unless (
        g_error_matches (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_WRITE),
        "%s", error->message);
    const char *expected = playlist ? "playlist" : "segment 0";
    fail_unless (strstr (error->message, expected), "\"%s\" does not say %s",
                 error->message, expected);
    fail_unless (
        wait_message (f.bus, GST_MESSAGE_ERROR | GST_MESSAGE_WARNING, 100)
        == nullptr);
  }
}
GST_END_TEST;

/* The origin serves the playlist under the name of playlist-location's
 * file, which is also what the seeder derives the swarm id from. */
GST_START_TEST (test_playlist_served_under_its_file_name)
{
  TempDir dir ("p2pswarmsink-XXXXXX");
  GstElement *sink = make_sink ();
  g_object_set (sink, "location", "", "playlist-location",
                dir.file ("stream.m3u8").c_str (), "http-port", 0, nullptr);
  SinkFixture f (sink);
  for (guint frame = 0; frame < 6; frame++)
    push_frame (f.h, frame);
  fail_unless (wait_element_message (f.bus, "p2p-segment-added", 1000));
  fail_unless (poll_until (
      [&] {
        return http_get (origin_url (sink, "/stream.m3u8")).status == 200;
      },
      2000));
  fail_unless_equals_int (http_get (origin_url (sink, "/playlist.m3u8")).status,
                          404);
}
GST_END_TEST;

/* After EOS the origin serves the ended playlist while viewers ask, at
 * most `linger` seconds, before the sink posts EOS: a pipeline that stops
 * at EOS (gst-launch-1.0) leaves viewers time to get the end. */
GST_START_TEST (test_linger_after_eos)
{
  GstElement *sink = make_origin_sink (3);
  SinkFixture f (sink);
  const std::string playlist = origin_url (sink, "/playlist.m3u8");
  push_all_frames (f.h);

  const gint64 start = g_get_monotonic_time ();
  std::thread eos ([&] { gst_harness_push_event (f.h, gst_event_new_eos ()); });
  /* A viewer asking every 200 ms keeps it serving past two target
   * durations of idleness, up to the 3 s bound. */
  bool ended = false;
  while (g_get_monotonic_time () - start < 2500 * G_TIME_SPAN_MILLISECOND) {
    if (http_get (playlist).body.find ("#EXT-X-ENDLIST") != std::string::npos)
      ended = true;
    fail_if (gst_bus_pop_filtered (f.bus, GST_MESSAGE_EOS),
             "EOS while a viewer still fetched");
    g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  }
  fail_unless (ended, "the served playlist did not end");
  fail_unless (wait_message (f.bus, GST_MESSAGE_EOS, 2000) != nullptr);
  eos.join ();
  gint64 lingered_ms = (g_get_monotonic_time () - start) / 1000;
  fail_unless (lingered_ms >= 2900 && lingered_ms < 4000,
               "EOS after %" G_GINT64_FORMAT " ms", lingered_ms);
}
GST_END_TEST;

GST_START_TEST (test_linger_ends_when_idle_or_stopped)
{
  SinkFixture f (make_origin_sink (60));
  push_all_frames (f.h);
  /* Nobody asks: EOS after two target durations. */
  gint64 start = g_get_monotonic_time ();
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  gint64 idle_ms = (g_get_monotonic_time () - start) / 1000;
  fail_unless (idle_ms >= 1900 && idle_ms < 3000,
               "EOS after %" G_GINT64_FORMAT " ms", idle_ms);

  /* Going to READY while lingering stops at once. */
  GstElement *second = make_origin_sink (60);
  SinkFixture g (second);
  push_all_frames (g.h);
  std::thread eos ([&] { gst_harness_push_event (g.h, gst_event_new_eos ()); });
  const std::string playlist = origin_url (second, "/playlist.m3u8");
  fail_unless (poll_until (
      [&] {
        return http_get (playlist).body.find ("#EXT-X-ENDLIST")
               != std::string::npos;
      },
      2000));
  start = g_get_monotonic_time ();
  gst_element_set_state (second, GST_STATE_READY);
  eos.join ();
  fail_unless ((g_get_monotonic_time () - start) < G_USEC_PER_SEC);
}
GST_END_TEST;

/* mpegtsmux repeats PAT and PMT a few packets after a key frame: every
 * segment must nonetheless start with them, or a player joining there
 * cannot demux its first GOP. */
GST_START_TEST (test_segments_start_with_program_tables)
{
  TempDir dir ("p2pswarmsink-XXXXXX");
  GstElement *sink = make_sink ();
  g_object_set (sink, "location", dir.file ("ts%d.ts").c_str (),
                "playlist-location", "", "max-files", 0u, nullptr);
  SinkFixture f (sink);
  auto push = [&f] (const std::string &bytes, GstClockTime pts, bool key) {
    fail_unless_equals_int (
        gst_harness_push (f.h, make_buffer (bytes, pts, key)), GST_FLOW_OK);
  };

  /* Frames every 250 ms, a key frame every second; the tables come first,
   * then again (a new version) after frame 5. */
  const std::string tables_v1 = pat_packet (0) + pmt_packet (0);
  const std::string tables_v2 = pat_packet (1) + pmt_packet (1);
  push (tables_v1 + video_packet (0), 0, true);
  for (guint frame = 1; frame <= 8; frame++) {
    push (video_packet (frame), frame * kFrame, frame % 4 == 0);
    if (frame == 5)
      push (tables_v2, GST_CLOCK_TIME_NONE, false);
  }
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));

  /* Already starting with a PAT: nothing added. */
  assert_bytes_equal (read_file (dir.file ("ts0.ts")),
                      tables_v1 + video_packet (0) + video_packet (1)
                          + video_packet (2) + video_packet (3));
  assert_bytes_equal (read_file (dir.file ("ts1.ts")),
                      tables_v1 + video_packet (4) + video_packet (5)
                          + tables_v2 + video_packet (6) + video_packet (7));
  assert_bytes_equal (read_file (dir.file ("ts2.ts")),
                      tables_v2 + video_packet (8));
}
GST_END_TEST;

GST_START_TEST (test_caps)
{
  GstElement *sink = gst_element_factory_make ("p2pswarmsink", nullptr);
  GstPad *pad = gst_element_get_static_pad (sink, "sink");
  GstCaps *ts = gst_caps_from_string (kTsCaps);
  GstCaps *h264 = gst_caps_from_string ("video/x-h264");
  fail_unless (gst_pad_query_accept_caps (pad, ts));
  fail_if (gst_pad_query_accept_caps (pad, h264));
  gst_caps_unref (ts);
  gst_caps_unref (h264);
  gst_object_unref (pad);
  gst_object_unref (sink);
}
GST_END_TEST;

GST_START_TEST (test_segments_files_and_playlist)
{
  TempDir dir ("p2pswarmsink-XXXXXX");
  GstElement *sink = make_sink ();
  std::string location = dir.file ("seg%05d.ts");
  std::string playlist_location = dir.file ("live.m3u8");
  g_object_set (sink, "location", location.c_str (), "playlist-location",
                playlist_location.c_str (), "playlist-length", 3u, "max-files",
                4u, nullptr);
  SinkFixture f (sink);

  push_all_frames (f.h);

  /* Five segments are complete; the sixth is still open. */
  for (size_t i = 0; i < 5; i++) {
    GstMessagePtr message
        = wait_element_message (f.bus, "p2p-segment-added", 1000);
    fail_unless (message != nullptr, "no p2p-segment-added for segment %zu", i);
    const GstStructure *s = gst_message_get_structure (message.get ());
    gint64 sequence = -1;
    guint64 duration = 0, size = 0, running_time = 0;
    fail_unless (gst_structure_get_int64 (s, "sequence", &sequence));
    fail_unless (gst_structure_get_uint64 (s, "duration", &duration));
    fail_unless (gst_structure_get_uint64 (s, "size", &size));
    fail_unless (gst_structure_get_uint64 (s, "running-time", &running_time));
    std::string expected = expected_segment (i);
    fail_unless_equals_int64 (sequence, (gint64)i);
    fail_unless_equals_uint64 (duration, GST_SECOND);
    fail_unless_equals_uint64 (size, expected.size ());
    fail_unless_equals_uint64 (running_time, kSegmentFrames[i][0] * kFrame);
    gchar name[32];
    g_snprintf (name, sizeof (name), "seg%05zu.ts", i);
    assert_strings_equal (string_field (s, "uri"), name);
    assert_strings_equal (string_field (s, "location"), dir.file (name));
    assert_strings_equal (string_field (s, "sha256"), sha256_of (expected));
  }
  fail_unless (wait_element_message (f.bus, "p2p-segment-added", 100)
                   == nullptr,
               "the open segment was published early");

  /* Window of three: segments 2, 3, 4; no end yet. */
  std::string text = read_file (playlist_location);
  p2p::hls::MediaPlaylist playlist = parse_media (text);
  fail_unless_equals_int64 (playlist.media_sequence, 2);
  fail_unless_equals_int (playlist.segments.size (), 3);
  fail_if (playlist.end_list);
  fail_unless_equals_uint64 (playlist.target_duration, GST_SECOND);
  for (const auto &segment : playlist.segments) {
    std::string file = dir.file (segment.uri);
    assert_bytes_equal (read_file (file), expected_segment (segment.sequence));
    assert_strings_equal (segment.sha256, sha256_of (read_file (file)));
    fail_unless_equals_uint64 (segment.duration, GST_SECOND);
    /* Cut in stripes for relays (up to 4, the default; fewer for these
     * small segments), their roots published. */
    fail_unless (segment.chunks.has_value ());
    fail_unless (segment.chunks->stripes >= 1 && segment.chunks->stripes <= 4);
    fail_unless_equals_uint64 (segment.chunks->size, read_file (file).size ());
    fail_unless_equals_int (segment.chunks->stripe_roots.size (),
                            64 * segment.chunks->stripes);
  }

  /* EOS closes the last segment (two frames: 500 ms) and ends the list. */
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  GstMessagePtr last = wait_element_message (f.bus, "p2p-segment-added", 1000);
  fail_unless (last != nullptr);
  const GstStructure *s = gst_message_get_structure (last.get ());
  gint64 sequence = -1;
  guint64 duration = 0;
  fail_unless (gst_structure_get_int64 (s, "sequence", &sequence));
  fail_unless (gst_structure_get_uint64 (s, "duration", &duration));
  fail_unless_equals_int64 (sequence, 5);
  fail_unless_equals_uint64 (duration, 2 * kFrame);

  text = read_file (playlist_location);
  fail_unless (g_str_has_suffix (text.c_str (), "#EXT-X-ENDLIST\n"),
               "no ENDLIST at EOS:\n%s", text.c_str ());
  playlist = parse_media (text);
  fail_unless (playlist.end_list);
  fail_unless_equals_int64 (playlist.media_sequence, 3);
  fail_unless_equals_int (playlist.segments.size (), 3);
  assert_strings_equal (playlist.segments.back ().sha256,
                        sha256_of (expected_segment (5)));

  /* max-files=4: segments 0 and 1 were deleted, 2 to 5 are on disk. */
  for (size_t i = 0; i < kSegmentFrames.size (); i++) {
    gchar name[32];
    g_snprintf (name, sizeof (name), "seg%05zu.ts", i);
    if (i < 2)
      fail_if (file_exists (dir.file (name)), "%s was not deleted", name);
    else
      assert_bytes_equal (read_file (dir.file (name)), expected_segment (i));
  }

  GstStructure *stats = nullptr;
  g_object_get (sink, "stats", &stats, nullptr);
  guint64 published = 0, bytes = 0;
  fail_unless (
      gst_structure_get_uint64 (stats, "segments-published", &published));
  fail_unless (gst_structure_get_uint64 (stats, "bytes-published", &bytes));
  guint64 expected_bytes = 0;
  for (size_t i = 0; i < kSegmentFrames.size (); i++)
    expected_bytes += expected_segment (i).size ();
  fail_unless_equals_uint64 (published, 6);
  fail_unless_equals_uint64 (bytes, expected_bytes);
  gst_structure_free (stats);
}
GST_END_TEST;

GST_START_TEST (test_playlist_length_zero_keeps_all)
{
  TempDir dir ("p2pswarmsink-XXXXXX");
  GstElement *sink = make_sink ();
  std::string playlist_location = dir.file ("all.m3u8");
  g_object_set (sink, "location", dir.file ("s%d.ts").c_str (),
                "playlist-location", playlist_location.c_str (),
                "playlist-length", 0u, "max-files", 0u, "stripes", 0u, nullptr);
  SinkFixture f (sink);
  push_all_frames (f.h);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));

  p2p::hls::MediaPlaylist playlist
      = parse_media (read_file (playlist_location));
  fail_unless_equals_int64 (playlist.media_sequence, 0);
  fail_unless_equals_int (playlist.segments.size (), kSegmentFrames.size ());
  for (size_t i = 0; i < kSegmentFrames.size (); i++) {
    std::string name = "s" + std::to_string (i) + ".ts";
    assert_strings_equal (playlist.segments[i].uri, name);
    assert_bytes_equal (read_file (dir.file (name)), expected_segment (i));
    /* stripes=0: whole segments only, no chunk hashes. */
    fail_if (playlist.segments[i].chunks.has_value ());
  }
}
GST_END_TEST;

GST_START_TEST (test_http_origin)
{
  GstElement *sink = make_sink ();
  /* In memory only: no files, the origin serves everything. */
  g_object_set (sink, "location", "", "playlist-location", "",
                "playlist-length", 3u, "http-port", 0, "http-address",
                "127.0.0.1", nullptr);
  SinkFixture f (sink);
  gint port = 0;
  g_object_get (sink, "http-port", &port, nullptr);
  fail_unless (port > 0 && port < 65536, "http-port reads back %d", port);
  std::string base = "http://127.0.0.1:" + std::to_string (port);

  push_all_frames (f.h);
  for (int i = 0; i < 5; i++)
    fail_unless (wait_element_message (f.bus, "p2p-segment-added", 1000));

  /* Origin updates go through the sink's engine thread: wait for them. */
  HttpAnswer playlist_answer;
  gint64 deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  do {
    playlist_answer = http_get (base + "/playlist.m3u8");
  } while (playlist_answer.body.find ("segment00004.ts") == std::string::npos
           && g_get_monotonic_time () < deadline);
  fail_unless_equals_int (playlist_answer.status, 200);
  assert_strings_equal (playlist_answer.content_type,
                        "application/vnd.apple.mpegurl");
  assert_strings_equal (playlist_answer.cache_control, "no-cache");
  p2p::hls::MediaPlaylist playlist = parse_media (playlist_answer.body);
  fail_unless_equals_int64 (playlist.media_sequence, 2);
  fail_unless_equals_int (playlist.segments.size (), 3);

  guint64 segment_bytes = 0;
  for (const auto &segment : playlist.segments) {
    HttpAnswer answer = http_get (base + "/" + segment.uri);
    fail_unless_equals_int (answer.status, 200);
    assert_strings_equal (answer.content_type, "video/mp2t");
    assert_bytes_equal (answer.body, expected_segment (segment.sequence));
    assert_strings_equal (segment.sha256, sha256_of (answer.body));
    segment_bytes += answer.body.size ();
  }
  fail_unless_equals_int (http_get (base + "/nothing.ts").status, 404);

  /* EOS: the served playlist ends too. */
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));
  deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  do {
    playlist_answer = http_get (base + "/playlist.m3u8");
  } while (playlist_answer.body.find ("#EXT-X-ENDLIST") == std::string::npos
           && g_get_monotonic_time () < deadline);
  fail_unless (parse_media (playlist_answer.body).end_list);

  GstStructure *stats = nullptr;
  g_object_get (sink, "stats", &stats, nullptr);
  guint64 playlist_requests = 0, segment_requests = 0, bytes = 0;
  fail_unless (gst_structure_get_uint64 (stats, "http-playlist-requests",
                                         &playlist_requests));
  fail_unless (gst_structure_get_uint64 (stats, "http-segment-requests",
                                         &segment_requests));
  fail_unless (gst_structure_get_uint64 (stats, "http-segment-bytes", &bytes));
  fail_unless (playlist_requests >= 2);
  fail_unless_equals_uint64 (segment_requests, 3);
  fail_unless_equals_uint64 (bytes, segment_bytes);
  gst_structure_free (stats);
}
GST_END_TEST;

GST_START_TEST (test_statistics_message)
{
  GstElement *sink = make_sink ();
  g_object_set (sink, "location", "", "playlist-location", "", "stats-interval",
                50u, nullptr);
  SinkFixture f (sink);
  for (guint frame = 0; frame < 6; frame++)
    push_frame (f.h, frame);
  fail_unless (wait_element_message (f.bus, "p2p-segment-added", 1000));
  GstMessagePtr message = wait_element_message (f.bus, "p2p-statistics", 2000);
  fail_unless (message != nullptr, "no p2p-statistics message");
  const GstStructure *s = gst_message_get_structure (message.get ());
  guint64 published = 0;
  fail_unless (gst_structure_get_uint64 (s, "segments-published", &published));
  fail_unless_equals_uint64 (published, 1);
  fail_unless (gst_structure_has_field (s, "http-segment-requests"));
}
GST_END_TEST;

/* `stats` is read from any thread, also while the sink stops: the engine it
 * asks must not go away under it. The window is narrow, hence many cycles
 * (before the fix this crashed about one run in three). */
GST_START_TEST (test_stats_while_stopping)
{
  GstElement *sink = make_sink ();
  g_object_set (sink, "location", "", "playlist-location", "", "http-port", 0,
                "http-address", "127.0.0.1", nullptr);
  gst_object_ref_sink (sink);
  std::atomic<bool> done{ false };
  std::atomic<guint> reads{ 0 };
  std::thread reader ([&] {
    while (!done) {
      GstStructure *stats = nullptr;
      g_object_get (sink, "stats", &stats, nullptr);
      gst_structure_free (stats);
      reads++;
    }
  });
  for (int i = 0; i < 2000; i++) {
    fail_unless (gst_element_set_state (sink, GST_STATE_PAUSED)
                 != GST_STATE_CHANGE_FAILURE);
    fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_NULL),
                            GST_STATE_CHANGE_SUCCESS);
  }
  done = true;
  reader.join ();
  fail_unless (reads > 100);
  gst_object_unref (sink);
}
GST_END_TEST;

/* The engine thread takes the sink's object lock to post its statistics
 * message; reading `stats` waits for that thread, so it must not hold the
 * lock meanwhile (a broadcaster deadlocked this way 42 s into a bench run). */
GST_START_TEST (test_stats_while_posting_statistics)
{
  GstElement *sink = make_sink ();
  g_object_set (sink, "location", "", "playlist-location", "", "http-port", 0,
                "http-address", "127.0.0.1", "stats-interval", 1u, nullptr);
  gst_object_ref_sink (sink);
  fail_unless (gst_element_set_state (sink, GST_STATE_PAUSED)
               != GST_STATE_CHANGE_FAILURE);
  std::atomic<guint> reads{ 0 };
  std::thread reader ([&] {
    for (guint i = 0; i < 3000; i++) {
      GstStructure *stats = nullptr;
      g_object_get (sink, "stats", &stats, nullptr);
      gst_structure_free (stats);
      reads++;
    }
  });
  /* A deadlock leaves the reader stuck: the check fails rather than hang. */
  const gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  while (reads < 3000 && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  fail_unless_equals_int (reads.load (), 3000);
  reader.join ();
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_NULL),
                          GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (sink);
}
GST_END_TEST;

GST_START_TEST (test_bad_location)
{
  for (const char *pattern :
       { "segment.ts", "seg%d-%d.ts", "seg%s.ts", "seg%" }) {
    GstElement *sink = make_sink ();
    g_object_set (sink, "location", pattern, nullptr);
    GErrorPtr error = std::move (start_errors (sink).front ());
    fail_unless (g_error_matches (error.get (), GST_RESOURCE_ERROR,
                                  GST_RESOURCE_ERROR_SETTINGS),
                 "%s: %s", pattern, error->message);
    fail_unless (strstr (error->message, pattern) != nullptr,
                 "the error does not name the pattern: %s", error->message);
    gst_object_unref (sink);
  }
}
GST_END_TEST;

GST_START_TEST (test_occupied_port)
{
  GSocketListener *listener = g_socket_listener_new ();
  p2p::GObjectPtr<GInetAddress> loopback (
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
  p2p::GObjectPtr<GSocketAddress> address (
      g_inet_socket_address_new (loopback.get (), 0));
  GSocketAddress *bound = nullptr;
  fail_unless (g_socket_listener_add_address (
      listener, address.get (), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
      nullptr, &bound, nullptr));
  guint port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);

  GstElement *sink = make_sink ();
  g_object_set (sink, "location", "", "playlist-location", "", "http-port",
                (gint)port, nullptr);
  GErrorPtr error = std::move (start_errors (sink).front ());
  fail_unless (error->domain == GST_RESOURCE_ERROR, "%s", error->message);
  fail_unless (strstr (error->message, std::to_string (port).c_str ()),
               "the error does not name the port: %s", error->message);
  gst_object_unref (sink);

  sink = make_sink ();
  g_object_set (sink, "http-address", "not-an-address", "http-port", 0,
                nullptr);
  error = std::move (start_errors (sink).front ());
  fail_unless (error->domain == GST_RESOURCE_ERROR, "%s", error->message);
  gst_object_unref (sink);

  g_socket_listener_close (listener);
  g_object_unref (listener);
}
GST_END_TEST;

/* tls-certificate-file and tls-key-file: one without the other is a
 * settings error; files that cannot be used stop the origin, or the
 * embedded tracker, from starting. (tests/integration/test-swarm-sink-tls
 * runs a broadcast on https and wss://.) */
GST_START_TEST (test_tls_settings)
{
  GstElement *sink = make_sink ();
  g_object_set (sink, "location", "", "playlist-location", "",
                "tls-certificate-file", "cert.pem", nullptr);
  GErrorPtr error = std::move (start_errors (sink).front ());
  fail_unless (g_error_matches (error.get (), GST_RESOURCE_ERROR,
                                GST_RESOURCE_ERROR_SETTINGS),
               "%s", error->message);
  fail_unless (strstr (error->message, "tls-key-file") != nullptr, "%s",
               error->message);
  gchar *file = nullptr;
  g_object_get (sink, "tls-certificate-file", &file, nullptr);
  fail_unless_equals_string (file, "cert.pem");
  g_free (file);
  g_object_get (sink, "tls-key-file", &file, nullptr);
  fail_unless (file == nullptr);
  gst_object_unref (sink);

  const char *missing = "/nonexistent/gst-p2p-cert.pem";
  sink = make_sink ();
  g_object_set (sink, "location", "", "playlist-location", "", "http-port", 0,
                "tls-certificate-file", missing, "tls-key-file", missing,
                nullptr);
  error = std::move (start_errors (sink).front ());
  fail_unless (error->domain == GST_RESOURCE_ERROR, "%s", error->message);
  fail_unless (strstr (error->message, "HTTP origin") != nullptr, "%s",
               error->message);
  gst_object_unref (sink);

  sink = make_sink ();
  g_object_set (sink, "location", "", "playlist-location", "", "http-port", -1,
                "tracker-port", 0, "tls-certificate-file", missing,
                "tls-key-file", missing, nullptr);
  error = std::move (start_errors (sink).front ());
  fail_unless (error->domain == GST_RESOURCE_ERROR, "%s", error->message);
  fail_unless (strstr (error->message, "tracker") != nullptr, "%s",
               error->message);
  gst_object_unref (sink);
}
GST_END_TEST;

static Suite *
p2pswarmsink_suite (void)
{
  Suite *s = suite_create ("p2pswarmsink");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_caps);
  tcase_add_test (tc, test_segments_files_and_playlist);
  tcase_add_test (tc, test_playlist_length_zero_keeps_all);
  tcase_add_test (tc, test_segments_start_with_program_tables);
  tcase_add_test (tc, test_http_origin);
  tcase_add_test (tc, test_statistics_message);
  tcase_add_test (tc, test_bad_location);
  tcase_add_test (tc, test_occupied_port);
  tcase_add_test (tc, test_tls_settings);
  tcase_add_test (tc, test_input_without_caps_is_refused);
  tcase_add_test (tc, test_audio_only_ts);
  tcase_add_test (tc, test_fragmented_mp4);
  tcase_add_test (tc, test_mp4_not_fragmented_is_refused);
  tcase_add_test (tc, test_unwritable_location);
  tcase_add_test (tc, test_write_failure_is_an_error);
  tcase_add_test (tc, test_playlist_served_under_its_file_name);
  tcase_add_test (tc, test_linger_after_eos);
  tcase_add_test (tc, test_linger_ends_when_idle_or_stopped);
  /* 2,000 start/stop cycles: 20 s here, more under load. */
  TCase *stopping = tcase_create ("stopping");
  tcase_set_timeout (stopping, 180);
  suite_add_tcase (s, stopping);
  tcase_add_test (stopping, test_stats_while_stopping);
  tcase_add_test (stopping, test_stats_while_posting_statistics);
  return s;
}

GST_CHECK_MAIN (p2pswarmsink);
