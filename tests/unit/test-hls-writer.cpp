/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the HLS playlist writer: RFC 8216 rules, round trips
 * through the parser, and playback of its output by GStreamer's hlsdemux2
 * from a loopback HTTP origin.
 */
#include <gst/check/gstcheck.h>

#include <map>

#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/hls/playlist-writer.h"
#include "hls-test-media.h"
#include "tests/common/scripted-server.h"

using namespace p2p;
using namespace p2p::hls;

namespace {

MediaSegment
make_segment (const std::string &uri, GstClockTime duration)
{
  MediaSegment segment;
  segment.uri = uri;
  segment.duration = duration;
  return segment;
}

MediaPlaylist
reparse_media (const std::string &text, Warnings *warnings = nullptr)
{
  GErrorOut error;
  std::optional<MediaPlaylist> media
      = parse_media_playlist (text, warnings, error.out ());
  fail_unless (media.has_value (), "writer output does not parse: %s\n%s",
               error ? error.get ()->message : "", text.c_str ());
  return std::move (*media);
}

bool
contains_line (const std::string &text, const std::string &line)
{
  return ("\n" + text).find ("\n" + line + "\n") != std::string::npos;
}

void
expect_same_segments (const MediaPlaylist &written, const MediaPlaylist &parsed,
                      size_t skipped = 0)
{
  fail_unless_equals_int (parsed.segments.size (),
                          written.segments.size () - skipped);
  for (size_t i = 0; i < parsed.segments.size (); i++) {
    const MediaSegment &a = written.segments[skipped + i];
    const MediaSegment &b = parsed.segments[i];
    fail_unless_equals_string (b.uri.c_str (), a.uri.c_str ());
    fail_unless_equals_int64 (b.sequence,
                              written.media_sequence + (int64_t)(skipped + i));
    fail_unless_equals_uint64 (b.duration, a.duration);
    fail_unless_equals_string (b.title.c_str (), a.title.c_str ());
    fail_unless_equals_int (b.discontinuity, a.discontinuity);
    fail_unless (b.program_date_time_us == a.program_date_time_us,
                 "segment %zu: date differs", i);
    fail_unless (b.byte_range == a.byte_range, "segment %zu: range", i);
    fail_unless_equals_int (!b.init_section, !a.init_section);
    if (a.init_section)
      fail_unless (*b.init_section == *a.init_section);
    fail_unless_equals_string (b.sha256.c_str (), a.sha256.c_str ());
    fail_unless (b.chunks == a.chunks, "segment %zu: chunk hashes", i);
  }
}

} // namespace

GST_START_TEST (test_target_duration)
{
  MediaPlaylist media;
  media.segments = { make_segment ("a.ts", 2 * GST_SECOND),
                     make_segment ("b.ts", 2400 * GST_MSECOND),
                     make_segment ("c.ts", 2600 * GST_MSECOND) };
  std::string text = write_media_playlist (media);
  fail_unless (contains_line (text, "#EXT-X-TARGETDURATION:3"), "%s",
               text.c_str ());
  fail_unless (contains_line (text, "#EXTINF:2.000,"));
  fail_unless (contains_line (text, "#EXTINF:2.400,"));
  fail_unless (contains_line (text, "#EXTINF:2.600,"));

  /* Just over a whole second still rounds up: no EXTINF may exceed it. */
  media.segments = { make_segment ("a.ts", 2 * GST_SECOND + 1) };
  text = write_media_playlist (media);
  fail_unless (contains_line (text, "#EXT-X-TARGETDURATION:3"));
  fail_unless (contains_line (text, "#EXTINF:2.000000001,"));

  /* The configured target is kept when the segments are shorter (it must
   * not change between reloads), and is itself rounded up. */
  media.target_duration = 4 * GST_SECOND;
  media.segments = { make_segment ("a.ts", GST_SECOND / 3) };
  text = write_media_playlist (media);
  fail_unless (contains_line (text, "#EXT-X-TARGETDURATION:4"));
  fail_unless (contains_line (text, "#EXTINF:0.333333333,"));
  media.target_duration = 1500 * GST_MSECOND;
  fail_unless (
      contains_line (write_media_playlist (media), "#EXT-X-TARGETDURATION:2"));

  /* Never 0, which no parser accepts. */
  MediaPlaylist empty;
  text = write_media_playlist (empty);
  fail_unless (contains_line (text, "#EXT-X-TARGETDURATION:1"));
  fail_unless (reparse_media (text).segments.empty ());

  /* Our parser agrees that nothing is longer than the target. */
  media.target_duration = 0;
  media.segments.clear ();
  for (int i = 1; i <= 40; i++)
    media.segments.push_back (make_segment ("s.ts", i * 99 * GST_MSECOND));
  Warnings warnings;
  MediaPlaylist parsed
      = reparse_media (write_media_playlist (media), &warnings);
  fail_unless (warnings.empty (), "%s", warnings[0].c_str ());
  fail_unless_equals_uint64 (parsed.target_duration, 4 * GST_SECOND);
}
GST_END_TEST;

GST_START_TEST (test_version)
{
  MediaPlaylist media;
  media.segments = { make_segment ("a.ts", GST_SECOND) };
  fail_unless (
      contains_line (write_media_playlist (media), "#EXT-X-VERSION:3"));
  media.segments[0].byte_range = ByteRange{ 100, 0 };
  fail_unless (
      contains_line (write_media_playlist (media), "#EXT-X-VERSION:4"));
  media.segments[0].init_section
      = std::make_shared<InitSection> (InitSection{ "init.mp4", std::nullopt });
  fail_unless (
      contains_line (write_media_playlist (media), "#EXT-X-VERSION:6"));
  media.version = 7;
  fail_unless (
      contains_line (write_media_playlist (media), "#EXT-X-VERSION:7"));
}
GST_END_TEST;

GST_START_TEST (test_media_round_trip)
{
  auto init_a = std::make_shared<InitSection> (
      InitSection{ "init-a.mp4", ByteRange{ 800, 0 } });
  auto init_b = std::make_shared<InitSection> (
      InitSection{ "init-b.mp4", std::nullopt });
  for (PlaylistType type :
       { PlaylistType::LIVE, PlaylistType::EVENT, PlaylistType::VOD }) {
    MediaPlaylist media;
    media.type = type;
    media.end_list = type != PlaylistType::LIVE;
    media.media_sequence = 1000;
    media.discontinuity_sequence = 3;
    media.independent_segments = true;
    media.target_duration = 2 * GST_SECOND;
    for (int i = 0; i < 6; i++) {
      MediaSegment segment
          = make_segment ("media.mp4", GST_SECOND + i * 123456789);
      segment.title = i == 1 ? "a title, with comma" : "";
      segment.init_section = i < 3 ? init_a : init_b;
      segment.discontinuity = i == 3;
      segment.byte_range = ByteRange{ 5000u + i, 800u + i * 6000u };
      if (i == 0 || i == 3)
        segment.program_date_time_us
            = G_GINT64_CONSTANT (1700000000000000) + i * 1234567;
      if (i % 2 == 0)
        segment.sha256 = std::string (63, 'f') + std::to_string (i);
      if (i % 3 == 1)
        segment.chunks
            = SegmentChunks{ 750000u + i, 4, 16384,
                             std::string (63, 'e') + std::to_string (i) };
      media.segments.push_back (segment);
    }
    media.segments[5].uri = "other segment.mp4";
    media.segments[5].byte_range.reset ();

    std::string text = write_media_playlist (media);
    GST_INFO ("written:\n%s", text.c_str ());
    /* One MAP per change of init section. */
    fail_unless_equals_int (
        g_strv_length (g_strsplit (text.c_str (), "#EXT-X-MAP", -1)) - 1, 2);
    Warnings warnings;
    MediaPlaylist parsed = reparse_media (text, &warnings);
    fail_unless (warnings.empty (), "%s", warnings[0].c_str ());
    fail_unless (parsed.type == type);
    fail_unless_equals_int (parsed.end_list, media.end_list);
    fail_unless_equals_int64 (parsed.media_sequence, 1000);
    fail_unless_equals_int64 (parsed.discontinuity_sequence, 3);
    fail_unless (parsed.independent_segments);
    fail_unless_equals_int (parsed.version, 6);
    fail_unless_equals_uint64 (parsed.target_duration, 2 * GST_SECOND);
    expect_same_segments (media, parsed);
    fail_unless (parsed.segments[0].init_section
                 == parsed.segments[2].init_section);
    /* The same text again: writing is deterministic. */
    std::string again = write_media_playlist (parsed);
    fail_unless_equals_string (again.c_str (), text.c_str ());
  }
}
GST_END_TEST;

GST_START_TEST (test_program_date_time_format)
{
  MediaPlaylist media;
  media.segments
      = { make_segment ("a.ts", GST_SECOND), make_segment ("b.ts", GST_SECOND),
          make_segment ("c.ts", GST_SECOND) };
  media.segments[0].program_date_time_us = G_GINT64_CONSTANT (1709294400250000);
  media.segments[1].program_date_time_us = G_GINT64_CONSTANT (1709294401000001);
  /* Before 1970 still works. */
  media.segments[2].program_date_time_us = -G_GINT64_CONSTANT (1500000);
  std::string text = write_media_playlist (media);
  fail_unless (
      contains_line (text, "#EXT-X-PROGRAM-DATE-TIME:2024-03-01T12:00:00.250Z"),
      "%s", text.c_str ());
  fail_unless (contains_line (
      text, "#EXT-X-PROGRAM-DATE-TIME:2024-03-01T12:00:01.000001Z"));
  fail_unless (contains_line (
      text, "#EXT-X-PROGRAM-DATE-TIME:1969-12-31T23:59:58.500Z"));
  expect_same_segments (media, reparse_media (text));
}
GST_END_TEST;

GST_START_TEST (test_live_window)
{
  MediaPlaylist media;
  media.media_sequence = 50;
  media.discontinuity_sequence = 2;
  for (int i = 0; i < 10; i++) {
    media.segments.push_back (
        make_segment ("s" + std::to_string (50 + i) + ".ts", 2 * GST_SECOND));
    media.segments.back ().discontinuity = i == 2 || i == 4 || i == 7;
  }
  std::string text = write_media_playlist (media, 4);
  MediaPlaylist parsed = reparse_media (text);
  fail_unless (!parsed.end_list);
  fail_unless_equals_int64 (parsed.media_sequence, 56);
  /* The DISCONTINUITY of segments 52 and 54 left the window. */
  fail_unless_equals_int64 (parsed.discontinuity_sequence, 4);
  fail_unless_equals_int (parsed.segments.size (), 4);
  fail_unless_equals_string (parsed.segments[0].uri.c_str (), "s56.ts");
  fail_unless (parsed.segments[1].discontinuity);
  MediaPlaylist expected = media;
  expected.media_sequence = 50;
  expect_same_segments (expected, parsed, 6);

  /* A window bigger than the playlist, or 0, writes everything. */
  fail_unless_equals_int (
      reparse_media (write_media_playlist (media, 20)).segments.size (), 10);
  fail_unless_equals_int (
      reparse_media (write_media_playlist (media)).segments.size (), 10);
  /* EVENT and VOD keep every segment. */
  media.type = PlaylistType::EVENT;
  parsed = reparse_media (write_media_playlist (media, 4));
  fail_unless_equals_int (parsed.segments.size (), 10);
  fail_unless_equals_int64 (parsed.media_sequence, 50);
}
GST_END_TEST;

GST_START_TEST (test_no_line_injection)
{
  MediaPlaylist media;
  media.segments
      = { make_segment ("a.ts\n#EXT-X-ENDLIST\r\nb.ts", GST_SECOND) };
  media.segments[0].title = "evil\n#EXT-X-KEY:METHOD=AES-128";
  std::string text = write_media_playlist (media);
  MediaPlaylist parsed = reparse_media (text);
  fail_unless (!parsed.end_list);
  fail_unless_equals_int (parsed.segments.size (), 1);
  fail_unless_equals_string (parsed.segments[0].uri.c_str (),
                             "a.ts#EXT-X-ENDLISTb.ts");

  MasterPlaylist master;
  Variant variant;
  variant.uri = "v.m3u8";
  variant.bandwidth = 1;
  variant.codecs = "avc1\",BANDWIDTH=9";
  master.variants.push_back (variant);
  std::optional<MasterPlaylist> back = parse_master_playlist (
      write_master_playlist (master), nullptr, nullptr);
  fail_unless (back.has_value ());
  fail_unless_equals_uint64 (back->variants[0].bandwidth, 1);
  fail_unless_equals_string (back->variants[0].codecs.c_str (),
                             "avc1,BANDWIDTH=9");
}
GST_END_TEST;

GST_START_TEST (test_master_round_trip)
{
  MasterPlaylist master;
  master.version = 4;
  master.independent_segments = true;
  Rendition english;
  english.type = "AUDIO";
  english.group_id = "aud";
  english.name = "English";
  english.language = "en";
  english.channels = "2";
  english.uri = "audio/en/index.m3u8";
  english.is_default = true;
  english.autoselect = true;
  Rendition captions;
  captions.type = "CLOSED-CAPTIONS";
  captions.group_id = "cc";
  captions.name = "CC1";
  master.renditions = { english, captions };
  Variant hi;
  hi.uri = "hi/index.m3u8";
  hi.bandwidth = 2500000;
  hi.average_bandwidth = 2000000;
  hi.codecs = "avc1.64001f,mp4a.40.2";
  hi.width = 1280;
  hi.height = 720;
  hi.frame_rate = 29.97;
  hi.video_range = "SDR";
  hi.audio_group = "aud";
  hi.name = "720p";
  Variant lo;
  lo.uri = "https://other.example/lo.m3u8?x=1";
  lo.bandwidth = 400000;
  lo.video_group = "v";
  lo.subtitles_group = "subs";
  master.variants = { hi, lo };

  std::string text = write_master_playlist (master);
  GST_INFO ("written:\n%s", text.c_str ());
  fail_unless (contains_line (
                   text,
                   "#EXT-X-STREAM-INF:BANDWIDTH=2500000,"
                   "AVERAGE-BANDWIDTH=2000000,CODECS=\"avc1.64001f,mp4a.40.2\","
                   "RESOLUTION=1280x720,FRAME-RATE=29.970,VIDEO-RANGE=SDR,"
                   "AUDIO=\"aud\",NAME=\"720p\""),
               "%s", text.c_str ());
  Warnings warnings;
  GErrorOut error;
  std::optional<MasterPlaylist> parsed
      = parse_master_playlist (text, &warnings, error.out ());
  fail_unless (parsed.has_value (), "%s", error ? error.get ()->message : "");
  fail_unless (warnings.empty ());
  fail_unless_equals_int (parsed->version, 4);
  fail_unless (parsed->independent_segments);
  fail_unless_equals_int (parsed->variants.size (), 2);
  for (size_t i = 0; i < 2; i++) {
    const Variant &a = master.variants[i];
    const Variant &b = parsed->variants[i];
    fail_unless_equals_string (b.uri.c_str (), a.uri.c_str ());
    fail_unless_equals_uint64 (b.bandwidth, a.bandwidth);
    fail_unless (b.average_bandwidth == a.average_bandwidth);
    fail_unless_equals_string (b.codecs.c_str (), a.codecs.c_str ());
    fail_unless_equals_int (b.width, a.width);
    fail_unless_equals_int (b.height, a.height);
    fail_unless_equals_float (b.frame_rate, a.frame_rate);
    fail_unless_equals_string (b.video_range.c_str (), a.video_range.c_str ());
    fail_unless_equals_string (b.audio_group.c_str (), a.audio_group.c_str ());
    fail_unless_equals_string (b.video_group.c_str (), a.video_group.c_str ());
    fail_unless_equals_string (b.subtitles_group.c_str (),
                               a.subtitles_group.c_str ());
    fail_unless_equals_string (b.name.c_str (), a.name.c_str ());
  }
  fail_unless_equals_int (parsed->renditions.size (), 2);
  for (size_t i = 0; i < 2; i++) {
    const Rendition &a = master.renditions[i];
    const Rendition &b = parsed->renditions[i];
    fail_unless_equals_string (b.type.c_str (), a.type.c_str ());
    fail_unless_equals_string (b.group_id.c_str (), a.group_id.c_str ());
    fail_unless_equals_string (b.name.c_str (), a.name.c_str ());
    fail_unless_equals_string (b.language.c_str (), a.language.c_str ());
    fail_unless_equals_string (b.channels.c_str (), a.channels.c_str ());
    fail_unless_equals_string (b.uri.c_str (), a.uri.c_str ());
    fail_unless_equals_int (b.is_default, a.is_default);
    fail_unless_equals_int (b.autoselect, a.autoselect);
  }
}
GST_END_TEST;

namespace {

void
count_frame (GstElement *, GstBuffer *, GstPad *, gpointer data)
{
  ++*static_cast<guint *> (data);
}

/* Plays @url with souphttpsrc ! hlsdemux2 ! fakesink to EOS; returns the
 * number of buffers hlsdemux2 output (it demuxes MPEG-TS itself, so they
 * are video frames). */
guint
play_with_hlsdemux2 (const std::string &url)
{
  std::string description
      = "souphttpsrc location=" + url
        + " ! hlsdemux2 name=demux demux. ! fakesink name=sink sync=false"
          " signal-handoffs=true";
  GstElementPtr pipeline (gst_parse_launch (description.c_str (), nullptr));
  fail_unless (pipeline != nullptr);
  guint frames = 0;
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline.get ()), "sink");
  g_signal_connect (sink, "handoff", G_CALLBACK (count_frame), &frames);
  gst_object_unref (sink);
  /* adaptivedemux2 elements refuse to run in a bin that does not handle
   * stream collections (decodebin3, urisourcebin, playbin3 do); a pipeline
   * with a single fakesink branch does not need that handling. */
  GST_OBJECT_FLAG_SET (pipeline.get (), GST_BIN_FLAG_STREAMS_AWARE);

  gst_element_set_state (pipeline.get (), GST_STATE_PLAYING);
  GstBus *bus = gst_element_get_bus (pipeline.get ());
  GstMessage *message = gst_bus_timed_pop_filtered (
      bus, 30 * GST_SECOND,
      static_cast<GstMessageType> (GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless (message != nullptr, "hlsdemux2 playback timed out");
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
    GError *error = nullptr;
    gchar *debug = nullptr;
    gst_message_parse_error (message, &error, &debug);
    fail ("hlsdemux2 error: %s (%s)", error->message, debug);
  }
  gst_message_unref (message);
  gst_object_unref (bus);
  gst_element_set_state (pipeline.get (), GST_STATE_NULL);
  return frames;
}

} // namespace

/* Real MPEG-TS segments from hlssink2, listed by our writer with every
 * tag we write, played by hlsdemux2: once as files, once as byte ranges of
 * one file. */
GST_START_TEST (test_hlsdemux2_plays_output)
{
  hls::test::TempDir dir;
  const guint kFrames = 120;
  std::string problem = hls::test::run_hlssink2 (dir.path (), kFrames, 10);
  fail_unless (problem.empty (), "hlssink2: %s", problem.c_str ());
  std::optional<MediaPlaylist> source = parse_media_playlist (
      hls::test::read_file (dir.file ("live.m3u8")), nullptr, nullptr);
  fail_unless (source && source->segments.size () >= 3);

  std::map<std::string, std::string> files;
  std::string joined;
  MediaPlaylist vod, ranged;
  vod.type = ranged.type = PlaylistType::VOD;
  vod.end_list = ranged.end_list = true;
  vod.media_sequence = ranged.media_sequence = 7;
  for (size_t i = 0; i < source->segments.size (); i++) {
    MediaSegment segment = source->segments[i];
    std::string bytes = hls::test::read_file (dir.file (segment.uri));
    fail_unless (!bytes.empty ());
    files[segment.uri] = bytes;
    gchar *sha = g_compute_checksum_for_data (
        G_CHECKSUM_SHA256, reinterpret_cast<const guchar *> (bytes.data ()),
        bytes.size ());
    segment.sha256 = sha;
    g_free (sha);
    segment.program_date_time_us
        = G_GINT64_CONSTANT (1700000000000000) + i * G_USEC_PER_SEC;
    segment.discontinuity = i == 1;
    vod.segments.push_back (segment);

    segment.uri = "all.ts";
    segment.byte_range = ByteRange{ bytes.size (), joined.size () };
    ranged.segments.push_back (segment);
    joined += bytes;
  }
  files["all.ts"] = joined;
  files["vod.m3u8"] = write_media_playlist (vod);
  files["ranged.m3u8"] = write_media_playlist (ranged);
  GST_INFO ("vod.m3u8:\n%s", files["vod.m3u8"].c_str ());
  GST_INFO ("ranged.m3u8:\n%s", files["ranged.m3u8"].c_str ());

  /* libsoup answers the byte ranges out of the complete bodies. */
  p2p::test::ScriptedServer origin;
  for (const auto &[name, body] : files)
    origin.set_text ("/" + name, body);
  fail_unless_equals_int (play_with_hlsdemux2 (origin.url ("/vod.m3u8")),
                          kFrames);
  for (const MediaSegment &segment : vod.segments)
    fail_unless_equals_int (origin.requests ("/" + segment.uri), 1);

  fail_unless_equals_int (play_with_hlsdemux2 (origin.url ("/ranged.m3u8")),
                          kFrames);
  fail_unless_equals_int (origin.requests ("/all.ts"),
                          (int)ranged.segments.size ());
}
GST_END_TEST;

static Suite *
hls_writer_suite (void)
{
  Suite *s = suite_create ("hls-writer");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_target_duration);
  tcase_add_test (tc, test_version);
  tcase_add_test (tc, test_media_round_trip);
  tcase_add_test (tc, test_program_date_time_format);
  tcase_add_test (tc, test_live_window);
  tcase_add_test (tc, test_no_line_injection);
  tcase_add_test (tc, test_master_round_trip);
  tcase_add_test (tc, test_hlsdemux2_plays_output);
  return s;
}

GST_CHECK_MAIN (hls_writer);
