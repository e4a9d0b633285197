/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2pswarmsink fed by a GstHarness: where segments are cut, the files and
 * the sliding-window playlist it writes, its messages, and its HTTP origin.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/swarm/live-publisher.h"
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
  return p2p::swarm::sha256_hex (b.get ());
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

p2p::hls::MediaPlaylist
parse_media (const std::string &text)
{
  p2p::GErrorOut error;
  auto playlist = p2p::hls::parse_media_playlist (text, nullptr, error.out ());
  fail_unless (playlist.has_value (), "playlist does not parse: %s\n%s",
               error ? error.get ()->message : "", text.c_str ());
  return std::move (*playlist);
}

/* The element error posted when the sink fails to start. */
GError *
start_error (GstElement *sink)
{
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (sink, bus);
  fail_unless_equals_int (gst_element_set_state (sink, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_FAILURE);
  GstMessagePtr message = wait_message (bus, GST_MESSAGE_ERROR, 1000);
  fail_unless (message != nullptr, "no error message");
  GError *error = nullptr;
  gst_message_parse_error (message.get (), &error, nullptr);
  gst_element_set_state (sink, GST_STATE_NULL);
  gst_element_set_bus (sink, nullptr);
  gst_bus_set_flushing (bus, TRUE);
  gst_object_unref (bus);
  return error;
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

} // namespace

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

  for (guint frame = 0; frame < kFrames; frame++)
    push_frame (f.h, frame);

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
                "playlist-length", 0u, "max-files", 0u, nullptr);
  SinkFixture f (sink);
  for (guint frame = 0; frame < kFrames; frame++)
    push_frame (f.h, frame);
  fail_unless (gst_harness_push_event (f.h, gst_event_new_eos ()));

  p2p::hls::MediaPlaylist playlist
      = parse_media (read_file (playlist_location));
  fail_unless_equals_int64 (playlist.media_sequence, 0);
  fail_unless_equals_int (playlist.segments.size (), kSegmentFrames.size ());
  for (size_t i = 0; i < kSegmentFrames.size (); i++) {
    std::string name = "s" + std::to_string (i) + ".ts";
    assert_strings_equal (playlist.segments[i].uri, name);
    assert_bytes_equal (read_file (dir.file (name)), expected_segment (i));
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

  for (guint frame = 0; frame < kFrames; frame++)
    push_frame (f.h, frame);
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

GST_START_TEST (test_bad_location)
{
  for (const char *pattern :
       { "segment.ts", "seg%d-%d.ts", "seg%s.ts", "seg%" }) {
    GstElement *sink = make_sink ();
    g_object_set (sink, "location", pattern, nullptr);
    GError *error = start_error (sink);
    fail_unless (g_error_matches (error, GST_RESOURCE_ERROR,
                                  GST_RESOURCE_ERROR_SETTINGS),
                 "%s: %s", pattern, error->message);
    fail_unless (strstr (error->message, pattern) != nullptr,
                 "the error does not name the pattern: %s", error->message);
    g_error_free (error);
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
  GError *error = start_error (sink);
  fail_unless (error->domain == GST_RESOURCE_ERROR, "%s", error->message);
  fail_unless (strstr (error->message, std::to_string (port).c_str ()),
               "the error does not name the port: %s", error->message);
  g_error_free (error);
  gst_object_unref (sink);

  sink = make_sink ();
  g_object_set (sink, "http-address", "not-an-address", "http-port", 0,
                nullptr);
  error = start_error (sink);
  fail_unless (error->domain == GST_RESOURCE_ERROR, "%s", error->message);
  g_error_free (error);
  gst_object_unref (sink);

  g_socket_listener_close (listener);
  g_object_unref (listener);
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
  tcase_add_test (tc, test_stats_while_stopping);
  tcase_add_test (tc, test_bad_location);
  tcase_add_test (tc, test_occupied_port);
  return s;
}

GST_CHECK_MAIN (p2pswarmsink);
