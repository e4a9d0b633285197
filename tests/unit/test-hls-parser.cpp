/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Unit tests of the HLS playlist parser, the live reload check and
 * resolve_uri().
 */
#include <gst/check/gstcheck.h>

#include <cmath>

#include "gst/p2p/common/error.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/hls/playlist-reload.h"
#include "hls-test-media.h"

using namespace p2p;
using namespace p2p::hls;

namespace {

MediaPlaylist
parse_media_ok (const std::string &text, Warnings *warnings = nullptr)
{
  GErrorOut error;
  std::optional<MediaPlaylist> playlist
      = parse_media_playlist (text, warnings, error.out ());
  fail_unless (playlist.has_value (), "unexpected error: %s",
               error ? error.get ()->message : "(none)");
  fail_unless (!error);
  return std::move (*playlist);
}

MasterPlaylist
parse_master_ok (const std::string &text, Warnings *warnings = nullptr)
{
  GErrorOut error;
  std::optional<MasterPlaylist> playlist
      = parse_master_playlist (text, warnings, error.out ());
  fail_unless (playlist.has_value (), "unexpected error: %s",
               error ? error.get ()->message : "(none)");
  return std::move (*playlist);
}

/* Parses @text expecting a failure with @code whose message contains
 * @needle. */
void
expect_error (const std::string &text, GstP2PError code, const char *needle)
{
  GErrorOut error;
  std::optional<Playlist> playlist
      = parse_playlist (text, nullptr, error.out ());
  fail_unless (!playlist.has_value (), "parsed, expected \"%s\"", needle);
  fail_unless (error.get () != nullptr);
  fail_unless (g_error_matches (error.get (), GST_P2P_ERROR, code),
               "wrong error code %d: %s", error.get ()->code,
               error.get ()->message);
  fail_unless (strstr (error.get ()->message, needle) != nullptr,
               "message \"%s\" lacks \"%s\"", error.get ()->message, needle);
}

void
expect_invalid (const std::string &text, const char *needle)
{
  expect_error (text, GST_P2P_ERROR_PLAYLIST_INVALID, needle);
}

bool
has_warning (const Warnings &warnings, const char *needle)
{
  for (const std::string &warning : warnings) {
    if (warning.find (needle) != std::string::npos)
      return true;
  }
  return false;
}

const char *const kHeader = "#EXTM3U\n#EXT-X-TARGETDURATION:4\n";

} // namespace

GST_START_TEST (test_master_playlist)
{
  const char *text
      = "#EXTM3U\n"
        "#EXT-X-VERSION:4\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",NAME=\"English, stereo\","
        "LANGUAGE=\"en\",CHANNELS=\"2\",DEFAULT=YES,AUTOSELECT=YES,"
        "URI=\"audio/en.m3u8\"\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aac\",NAME=\"Deutsch\","
        "LANGUAGE=\"de\",DEFAULT=NO,AUTOSELECT=YES\n"
        "# a comment\n"
        "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=86000,URI=\"iframe.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1280000,AVERAGE-BANDWIDTH=1000000,"
        "CODECS=\"avc1.4d401f,mp4a.40.2\",RESOLUTION=1280x720,"
        "FRAME-RATE=29.970,VIDEO-RANGE=SDR,AUDIO=\"aac\",NAME=\"720p\"\n"
        "hi/index.m3u8?token=a,b\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=640000, SUBTITLES=\"subs\",VIDEO=\"cam\"\n"
        "\n"
        "http://cdn.example/lo/index.m3u8\n";
  Warnings warnings;
  MasterPlaylist master = parse_master_ok (text, &warnings);
  fail_unless (warnings.empty (), "warning: %s", warnings[0].c_str ());
  fail_unless_equals_int (master.version, 4);
  fail_unless (master.independent_segments);
  fail_unless_equals_int (master.variants.size (), 2);
  const Variant &hi = master.variants[0];
  fail_unless_equals_string (hi.uri.c_str (), "hi/index.m3u8?token=a,b");
  fail_unless_equals_uint64 (hi.bandwidth, 1280000);
  fail_unless_equals_uint64 (*hi.average_bandwidth, 1000000);
  fail_unless_equals_string (hi.codecs.c_str (), "avc1.4d401f,mp4a.40.2");
  fail_unless_equals_int (hi.width, 1280);
  fail_unless_equals_int (hi.height, 720);
  fail_unless_equals_float (hi.frame_rate, 29.97);
  fail_unless_equals_string (hi.video_range.c_str (), "SDR");
  fail_unless_equals_string (hi.audio_group.c_str (), "aac");
  fail_unless_equals_string (hi.name.c_str (), "720p");
  const Variant &lo = master.variants[1];
  fail_unless_equals_string (lo.uri.c_str (),
                             "http://cdn.example/lo/index.m3u8");
  fail_unless_equals_uint64 (lo.bandwidth, 640000);
  fail_unless (!lo.average_bandwidth);
  fail_unless_equals_string (lo.subtitles_group.c_str (), "subs");
  fail_unless_equals_string (lo.video_group.c_str (), "cam");
  fail_unless_equals_int (lo.width, 0);

  fail_unless_equals_int (master.renditions.size (), 2);
  const Rendition &en = master.renditions[0];
  fail_unless_equals_string (en.type.c_str (), "AUDIO");
  fail_unless_equals_string (en.group_id.c_str (), "aac");
  fail_unless_equals_string (en.name.c_str (), "English, stereo");
  fail_unless_equals_string (en.language.c_str (), "en");
  fail_unless_equals_string (en.channels.c_str (), "2");
  fail_unless_equals_string (en.uri.c_str (), "audio/en.m3u8");
  fail_unless (en.is_default && en.autoselect);
  const Rendition &de = master.renditions[1];
  fail_unless (!de.is_default && de.autoselect);
  fail_unless (de.uri.empty ());

  /* parse_playlist() tells the kinds apart. */
  std::optional<Playlist> any = parse_playlist (text, nullptr, nullptr);
  fail_unless (any && std::holds_alternative<MasterPlaylist> (*any));
}
GST_END_TEST;

GST_START_TEST (test_master_playlist_oddities)
{
  Warnings warnings;
  MasterPlaylist master = parse_master_ok (
      "#EXTM3U\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=big,FRAME-RATE=fast,"
      "AVERAGE-BANDWIDTH=-3,BANDWIDTH=2\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=5\n"
      "b.m3u8\n"
      "#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"v\",NAME=\"n\",DEFAULT=maybe\n"
      "#EXT-X-STREAM-INF:BANDWIDTH=7\n",
      &warnings);
  fail_unless_equals_int (master.variants.size (), 1);
  fail_unless_equals_uint64 (master.variants[0].bandwidth, 5);
  fail_unless (has_warning (warnings, "RESOLUTION"));
  fail_unless (has_warning (warnings, "FRAME-RATE"));
  fail_unless (has_warning (warnings, "AVERAGE-BANDWIDTH"));
  fail_unless (has_warning (warnings, "repeats BANDWIDTH"));
  fail_unless (has_warning (warnings, "line 2: EXT-X-STREAM-INF of line 2"
                                      " has no URI")
               || has_warning (warnings, "has no URI, ignored"));
  fail_unless (has_warning (warnings, "neither YES nor NO"));
  fail_unless (has_warning (warnings, "without a URI at the end"));
  fail_unless (!master.renditions[0].is_default);
}
GST_END_TEST;

GST_START_TEST (test_live_media_playlist)
{
  const std::string sha (64, 'a');
  const std::string text
      = "#EXTM3U\n"
        "#EXT-X-VERSION:3\n"
        "#EXT-X-TARGETDURATION:6\n"
        "#EXT-X-MEDIA-SEQUENCE:2680\n"
        "#EXT-X-DISCONTINUITY-SEQUENCE:7\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-KEY:METHOD=NONE\n"
        "#EXT-X-START:TIME-OFFSET=-12\n"
        "#EXT-X-PROGRAM-DATE-TIME:2024-03-01T12:00:00.250Z\n"
        "#EXT-X-P2P-SHA256:"
        + sha
        + "\n"
          "#EXTINF:5.975,first title\n"
          "https://media.example.com/first.ts\n"
          "#EXTINF:6\n"
          "two.ts?x=1\n"
          "#EXT-X-DISCONTINUITY\n"
          "#EXT-X-PROGRAM-DATE-TIME:2024-03-01T14:00:12+02:00\n"
          "#EXTINF:5.1234567891,\n"
          "../three.ts\n";
  Warnings warnings;
  MediaPlaylist media = parse_media_ok (text, &warnings);
  fail_unless (warnings.empty (), "warning: %s", warnings[0].c_str ());
  fail_unless_equals_int (media.version, 3);
  fail_unless_equals_uint64 (media.target_duration, 6 * GST_SECOND);
  fail_unless_equals_int64 (media.media_sequence, 2680);
  fail_unless_equals_int64 (media.discontinuity_sequence, 7);
  fail_unless (media.type == PlaylistType::LIVE);
  fail_unless (!media.end_list);
  fail_unless (media.independent_segments);
  fail_unless_equals_int (media.segments.size (), 3);

  const MediaSegment &one = media.segments[0];
  fail_unless_equals_string (one.uri.c_str (),
                             "https://media.example.com/first.ts");
  fail_unless_equals_int64 (one.sequence, 2680);
  fail_unless_equals_uint64 (one.duration, 5975 * GST_MSECOND);
  fail_unless_equals_string (one.title.c_str (), "first title");
  fail_unless (!one.discontinuity);
  fail_unless_equals_int64 (*one.program_date_time_us,
                            G_GINT64_CONSTANT (1709294400250000));
  fail_unless_equals_string (one.sha256.c_str (), sha.c_str ());
  fail_unless (!one.byte_range && !one.init_section);

  const MediaSegment &two = media.segments[1];
  fail_unless_equals_string (two.uri.c_str (), "two.ts?x=1");
  fail_unless_equals_int64 (two.sequence, 2681);
  fail_unless_equals_uint64 (two.duration, 6 * GST_SECOND);
  fail_unless (two.sha256.empty () && !two.program_date_time_us);

  const MediaSegment &three = media.segments[2];
  fail_unless (three.discontinuity);
  fail_unless_equals_int64 (three.sequence, 2682);
  /* 5.1234567891 s rounds to the nanotwo. */
  fail_unless_equals_uint64 (three.duration, 5123456789);
  fail_unless_equals_int64 (*three.program_date_time_us,
                            G_GINT64_CONSTANT (1709294412000000));
  fail_unless_equals_uint64 (media.total_duration (),
                             5975 * GST_MSECOND + 6 * GST_SECOND + 5123456789);
}
GST_END_TEST;

GST_START_TEST (test_event_and_vod_playlists)
{
  MediaPlaylist event = parse_media_ok (
      std::string (kHeader) + "#EXT-X-PLAYLIST-TYPE:EVENT\n#EXTINF:4,\na.ts\n");
  fail_unless (event.type == PlaylistType::EVENT);
  fail_unless (!event.end_list);

  Warnings warnings;
  MediaPlaylist vod = parse_media_ok (
      std::string (kHeader)
          + "#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4,\na.ts\n#EXTINF:3.5,\nb.ts\n"
            "#EXT-X-ENDLIST\n",
      &warnings);
  fail_unless (vod.type == PlaylistType::VOD);
  fail_unless (vod.end_list);
  fail_unless (warnings.empty ());
  fail_unless_equals_uint64 (vod.total_duration (), 7500 * GST_MSECOND);

  parse_media_ok (std::string (kHeader)
                      + "#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4,\na.ts\n",
                  &warnings);
  fail_unless (has_warning (warnings, "VOD playlist without EXT-X-ENDLIST"));

  warnings.clear ();
  parse_media_ok (std::string (kHeader)
                      + "#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n#EXTINF:4,\nb.ts\n",
                  &warnings);
  fail_unless (has_warning (warnings, "after EXT-X-ENDLIST"));

  /* An empty live playlist is valid: the server has no segment yet. */
  MediaPlaylist empty = parse_media_ok (kHeader);
  fail_unless (empty.segments.empty ());
}
GST_END_TEST;

GST_START_TEST (test_fmp4_map_and_byte_ranges)
{
  MediaPlaylist media
      = parse_media_ok ("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n"
                        "#EXT-X-MAP:URI=\"init.mp4\",BYTERANGE=\"720@0\"\n"
                        "#EXTINF:2,\n#EXT-X-BYTERANGE:1000@720\nmain.mp4\n"
                        "#EXTINF:2,\n#EXT-X-BYTERANGE:500\nmain.mp4\n"
                        "#EXT-X-DISCONTINUITY\n"
                        "#EXT-X-MAP:URI=\"init2.mp4\"\n"
                        "#EXTINF:2,\nother.mp4\n"
                        "#EXTINF:2,\n#EXT-X-BYTERANGE:10@5\nother.mp4\n");
  fail_unless_equals_int (media.segments.size (), 4);
  const MediaSegment &a = media.segments[0];
  const MediaSegment &b = media.segments[1];
  fail_unless (a.init_section && a.init_section == b.init_section);
  fail_unless_equals_string (a.init_section->uri.c_str (), "init.mp4");
  fail_unless_equals_uint64 (a.init_section->byte_range->length, 720);
  fail_unless_equals_uint64 (*a.init_section->byte_range->offset, 0);
  fail_unless_equals_uint64 (a.byte_range->length, 1000);
  fail_unless_equals_uint64 (*a.byte_range->offset, 720);
  /* An omitted offset continues the previous range of the same URI. */
  fail_unless_equals_uint64 (b.byte_range->length, 500);
  fail_unless_equals_uint64 (*b.byte_range->offset, 1720);

  const MediaSegment &c = media.segments[2];
  fail_unless (c.discontinuity);
  fail_unless_equals_string (c.init_section->uri.c_str (), "init2.mp4");
  fail_unless (!c.init_section->byte_range && !c.byte_range);
  fail_unless_equals_uint64 (*media.segments[3].byte_range->offset, 5);

  /* A MAP range without offset starts at 0. */
  MediaPlaylist zero = parse_media_ok (
      std::string (kHeader)
      + "#EXT-X-MAP:URI=\"i.mp4\",BYTERANGE=\"99\"\n#EXTINF:1,\ns.mp4\n");
  fail_unless_equals_uint64 (*zero.segments[0].init_section->byte_range->offset,
                             0);

  expect_invalid (std::string (kHeader)
                      + "#EXTINF:1,\n#EXT-X-BYTERANGE:10\na.ts\n",
                  "must follow a byte range");
  expect_invalid (std::string (kHeader)
                      + "#EXTINF:1,\n"
                        "#EXT-X-BYTERANGE:10@0\na.ts\n#EXTINF:1,\n#EXT-X-"
                        "BYTERANGE:10\nb.ts\n",
                  "must follow a byte range");
  expect_invalid (std::string (kHeader)
                      + "#EXTINF:1,\n"
                        "#EXT-X-BYTERANGE:10@18446744073709551615\na.ts\n",
                  "beyond 2^64");
  expect_invalid (std::string (kHeader)
                      + "#EXTINF:1,\n"
                        "#EXT-X-BYTERANGE:ten\na.ts\n",
                  "EXT-X-BYTERANGE \"ten\"");
  expect_invalid (std::string (kHeader) + "#EXT-X-MAP:BYTERANGE=\"1@0\"\n",
                  "EXT-X-MAP has no URI");
  expect_invalid (std::string (kHeader)
                      + "#EXT-X-MAP:URI=\"i.mp4\",BYTERANGE=\"x@1\"\n",
                  "EXT-X-MAP BYTERANGE");
}
GST_END_TEST;

GST_START_TEST (test_encrypted_refused)
{
  expect_error (
      std::string (kHeader)
          + "#EXT-X-KEY:METHOD=AES-128,"
            "URI=\"https://keys.example/"
            "k\",IV=0x0123456789abcdef0123456789abcdef\n"
            "#EXTINF:4,\na.ts\n",
      GST_P2P_ERROR_PLAYLIST_UNSUPPORTED,
      "encrypted streams are not supported (EXT-X-KEY METHOD=\"AES-128\")");
  expect_error (std::string (kHeader)
                    + "#EXTINF:4,\na.ts\n"
                      "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://"
                      "x\",KEYFORMAT=\"com.apple\"\n"
                      "#EXTINF:4,\nb.ts\n",
                GST_P2P_ERROR_PLAYLIST_UNSUPPORTED, "SAMPLE-AES");
  expect_error ("#EXTM3U\n#EXT-X-SESSION-KEY:METHOD=AES-128,URI=\"k\"\n"
                "#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n",
                GST_P2P_ERROR_PLAYLIST_UNSUPPORTED, "EXT-X-SESSION-KEY");
  expect_invalid (std::string (kHeader) + "#EXT-X-KEY:URI=\"k\"\n",
                  "EXT-X-KEY has no METHOD");

  Warnings warnings;
  parse_master_ok ("#EXTM3U\n#EXT-X-SESSION-KEY:METHOD=NONE\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n",
                   &warnings);
  fail_unless (has_warning (warnings, "SESSION-KEY with METHOD=NONE"));
}
GST_END_TEST;

GST_START_TEST (test_not_a_playlist)
{
  expect_invalid ("", "empty");
  expect_invalid ("hello world\n", "does not start with #EXTM3U");
  expect_invalid ("#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n",
                  "does not start with #EXTM3U");
  expect_invalid ("\n#EXTM3U\n#EXT-X-TARGETDURATION:4\n",
                  "does not start with #EXTM3U");
  expect_invalid ("<html><body>404</body></html>", "not an HLS playlist");
  expect_invalid ("#EXTM3U\n", "neither media segments nor variant streams");
  expect_invalid ("#EXTM3U\n#EXT-X-VERSION:3\nfoo.ts\n", "neither");
  expect_invalid ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n"
                  "#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n",
                  "mixes media playlist tags "
                  "(line 2) and master playlist tags (line 3)");

  GErrorOut error;
  fail_unless (!parse_media_playlist ("#EXTM3U\n#EXT-X-STREAM-INF:"
                                      "BANDWIDTH=1\na.m3u8\n",
                                      nullptr, error.out ()));
  fail_unless (strstr (error.get ()->message, "got a master playlist"));
  fail_unless (!parse_master_playlist (kHeader, nullptr, error.out ()));
  fail_unless (strstr (error.get ()->message, "got a media playlist"));
  /* A null GError** is allowed. */
  fail_unless (!parse_playlist ("garbage", nullptr, nullptr));
}
GST_END_TEST;

GST_START_TEST (test_encoding_and_line_ends)
{
  const std::string lf
      = std::string (kHeader) + "#EXTINF:4,caf\xc3\xa9\na.ts\n#EXTINF:4,\nb.ts";
  MediaPlaylist reference = parse_media_ok (lf);
  fail_unless_equals_int (reference.segments.size (), 2);
  fail_unless_equals_string (reference.segments[0].title.c_str (),
                             "caf\xc3\xa9");

  std::string crlf, cr;
  for (char c : lf) {
    crlf += c == '\n' ? std::string ("\r\n") : std::string (1, c);
    cr += c == '\n' ? '\r' : c;
  }
  for (const std::string &variant :
       { crlf, cr, "\xef\xbb\xbf" + lf,
         std::string (
             "#EXTM3U  \n\t#EXT-X-TARGETDURATION:4 \n#EXTINF:4,caf\xc3\xa9\n"
             "  a.ts\t\n\n\n#EXTINF:4,\nb.ts\n") }) {
    Warnings warnings;
    MediaPlaylist media = parse_media_ok (variant, &warnings);
    fail_unless_equals_int (media.segments.size (), 2);
    fail_unless_equals_string (media.segments[0].uri.c_str (), "a.ts");
    fail_unless_equals_string (media.segments[0].title.c_str (), "caf\xc3\xa9");
    fail_unless_equals_string (media.segments[1].uri.c_str (), "b.ts");
    fail_unless_equals_int (warnings.size (), variant[0] == '\xef');
  }

  expect_invalid (std::string (kHeader) + "#EXTINF:4,caf\xe9\na.ts\n",
                  "line 3: not valid UTF-8");
  expect_invalid (std::string (kHeader) + "#EXTINF:4,\na\xff.ts\n",
                  "not valid UTF-8");
  expect_invalid (std::string (kHeader) + std::string ("a\0.ts\n", 6),
                  "NUL byte");
}
GST_END_TEST;

GST_START_TEST (test_size_caps)
{
  std::string long_line = std::string (kHeader) + "#EXTINF:4,"
                          + std::string (kMaxLineBytes, 't') + "\na.ts\n";
  expect_invalid (long_line, "line 3: longer than 65536 bytes");
  /* Just below the cap is fine. */
  MediaPlaylist media
      = parse_media_ok (std::string (kHeader) + "#EXTINF:4,"
                        + std::string (kMaxLineBytes - 10, 't') + "\na.ts\n");
  fail_unless_equals_int (media.segments[0].title.size (), kMaxLineBytes - 10);

  std::string huge = std::string (kHeader);
  huge.resize (kMaxPlaylistBytes + 1, '\n');
  expect_invalid (huge, "larger than 16777216 bytes");

  std::string many = kHeader;
  for (size_t i = 0; i <= kMaxSegments; i++)
    many += "#EXTINF:1,\ns\n";
  expect_invalid (many, "more than 100000 segments");

  std::string master = "#EXTM3U\n";
  for (size_t i = 0; i <= kMaxVariants; i++)
    master += "#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n";
  expect_invalid (master, "more than 1000 variants");

  std::string attributes = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1";
  for (int i = 0; i < 200; i++)
    attributes += ",X" + std::to_string (i) + "=1";
  expect_invalid (attributes + "\nv.m3u8\n", "more than 128 attributes");

  /* Many warnings are capped, with a count of the rest. */
  std::string zeros = kHeader;
  for (int i = 0; i < 200; i++)
    zeros += "#EXTINF:0,\ns.ts\n";
  Warnings warnings;
  parse_media_ok (zeros, &warnings);
  fail_unless_equals_int (warnings.size (), kMaxWarnings + 1);
  fail_unless_equals_string (warnings.back ().c_str (),
                             "... and 150 more warnings");
}
GST_END_TEST;

GST_START_TEST (test_bad_durations)
{
  const std::string head = kHeader;
  expect_invalid (head + "#EXTINF:-1,\na.ts\n",
                  "line 3: negative EXTINF duration \"-1\"");
  expect_invalid (head + "#EXTINF:NaN,\na.ts\n", "\"NaN\" is not a number");
  expect_invalid (head + "#EXTINF:inf,\na.ts\n", "is not a number");
  expect_invalid (head + "#EXTINF:1e3,\na.ts\n", "is not a number");
  expect_invalid (head + "#EXTINF:0x10,\na.ts\n", "is not a number");
  expect_invalid (head + "#EXTINF:,\na.ts\n", "\"\" is not a number");
  expect_invalid (head + "#EXTINF:.5,\na.ts\n", "is not a number");
  expect_invalid (head + "#EXTINF\na.ts\n", "is not a number");
  expect_invalid (head + "#EXTINF:86401,\na.ts\n", "absurdly long");
  expect_invalid (head + "#EXTINF:99999999999999999999999,\na.ts\n",
                  "is not a number");

  Warnings warnings;
  MediaPlaylist media = parse_media_ok (
      head
          + "#EXTINF:0,\na.ts\n"
            "#EXTINF:4.49,\nb.ts\n#EXTINF:4.5,\nc.ts\n#EXTINF:9,\nd.ts\n",
      &warnings);
  fail_unless_equals_uint64 (media.segments[0].duration, 0);
  fail_unless (has_warning (warnings, "line 3: segment with a zero EXTINF"));
  /* 4.49 rounds to 4 = target: fine; 4.5 and 9 are too long. */
  fail_unless (has_warning (warnings, "segment 2 (c.ts) is longer than "
                                      "EXT-X-TARGETDURATION"));
  fail_unless (has_warning (warnings, "2 segments are longer"));
  fail_unless_equals_int (warnings.size (), 3);

  /* A dot without decimals and a missing comma are tolerated. */
  media = parse_media_ok (head + "#EXTINF:3.\na.ts\n");
  fail_unless_equals_uint64 (media.segments[0].duration, 3 * GST_SECOND);
}
GST_END_TEST;

GST_START_TEST (test_playlist_level_tags)
{
  const std::string seg = "#EXTINF:4,\na.ts\n";
  expect_invalid ("#EXTM3U\n" + seg, "no EXT-X-TARGETDURATION");
  expect_invalid ("#EXTM3U\n#EXT-X-TARGETDURATION:0\n",
                  "EXT-X-TARGETDURATION \"0\" is out of range");
  expect_invalid ("#EXTM3U\n#EXT-X-TARGETDURATION:-4\n", "is not a number");
  expect_invalid ("#EXTM3U\n#EXT-X-TARGETDURATION:nan\n", "is not a number");
  expect_invalid ("#EXTM3U\n#EXT-X-TARGETDURATION:100000\n", "out of range");
  expect_invalid ("#EXTM3U\n#EXT-X-TARGETDURATION:4\n"
                  "#EXT-X-TARGETDURATION:5\n",
                  "line 3: EXT-X-TARGETDURATION appears "
                  "twice with different values");
  expect_invalid (std::string (kHeader) + "#EXT-X-VERSION:0\n",
                  "EXT-X-VERSION \"0\" is not a positive integer");
  expect_invalid (std::string (kHeader)
                      + "#EXT-X-VERSION:3\n"
                        "#EXT-X-VERSION:4\n",
                  "EXT-X-VERSION appears twice");
  expect_invalid (std::string (kHeader) + "#EXT-X-PLAYLIST-TYPE:LIVE\n",
                  "unknown EXT-X-PLAYLIST-TYPE \"LIVE\"");
  expect_invalid (std::string (kHeader)
                      + "#EXT-X-PLAYLIST-TYPE:VOD\n"
                        "#EXT-X-PLAYLIST-TYPE:EVENT\n",
                  "appears twice");
  expect_invalid (std::string (kHeader) + "#EXT-X-MEDIA-SEQUENCE:x\n",
                  "EXT-X-MEDIA-SEQUENCE \"x\" is not a decimal integer");
  expect_invalid (std::string (kHeader) + "#EXT-X-MEDIA-SEQUENCE:-1\n",
                  "is not a decimal integer");
  expect_invalid (std::string (kHeader)
                      + "#EXT-X-MEDIA-SEQUENCE:9223372036854775808\n",
                  "is out of range");
  expect_invalid (std::string (kHeader)
                      + "#EXT-X-MEDIA-SEQUENCE:99999999999999999999999999\n",
                  "is out of range");
  expect_invalid (
      std::string (kHeader)
          + "#EXT-X-DISCONTINUITY-SEQUENCE:18446744073709551616\n",
      "EXT-X-DISCONTINUITY-SEQUENCE \"18446744073709551616\" is out of range");
  expect_invalid (std::string (kHeader)
                      + "#EXT-X-MEDIA-SEQUENCE:9223372036854775807\n" + seg
                      + seg,
                  "media sequence numbers overflow");

  /* The largest media sequence that fits still parses. */
  MediaPlaylist last
      = parse_media_ok (std::string (kHeader)
                        + "#EXT-X-MEDIA-SEQUENCE:9223372036854775806\n" + seg);
  fail_unless_equals_int64 (last.segments[0].sequence, G_MAXINT64 - 1);

  Warnings warnings;
  MediaPlaylist media
      = parse_media_ok ("#EXTM3U\n#EXTM3U\n"
                        "#EXT-X-TARGETDURATION:4\n#EXT-X-TARGETDURATION:4\n"
                            + seg + "#EXT-X-MEDIA-SEQUENCE:10\n" + seg
                            + "#EXT-X-TARGETDURATION:4.0\n",
                        &warnings);
  fail_unless (has_warning (warnings, "line 2: repeated #EXTM3U"));
  fail_unless (has_warning (warnings, "line 4: repeated EXT-X-TARGETDURATION"));
  fail_unless (has_warning (warnings, "EXT-X-MEDIA-SEQUENCE after the first "
                                      "segment"));
  fail_unless (has_warning (warnings, "not an integer, rounded up"));
  /* Sequence numbers follow the tag wherever it is. */
  fail_unless_equals_int64 (media.segments[0].sequence, 10);
  fail_unless_equals_int64 (media.segments[1].sequence, 11);
  fail_unless_equals_uint64 (media.target_duration, 4 * GST_SECOND);
}
GST_END_TEST;

GST_START_TEST (test_segment_structure)
{
  expect_invalid (std::string (kHeader) + "a.ts\n",
                  "line 3: segment URI \"a.ts\" has no EXTINF");
  expect_invalid (std::string (kHeader) + "#EXTINF:4,\na.ts\nb.ts\n",
                  "line 5: segment URI \"b.ts\" has no EXTINF");
  expect_invalid (std::string (kHeader) + std::string (100, 'u') + "\n",
                  "...\" has no EXTINF");
  expect_invalid ("#EXTM3U\nv.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=1\nw.m3u8\n",
                  "URI \"v.m3u8\" has no EXT-X-STREAM-INF");
  expect_invalid ("#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1x1\nv.m3u8\n",
                  "EXT-X-STREAM-INF has no BANDWIDTH");
  expect_invalid ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=\"fast\"\nv.m3u8\n",
                  "BANDWIDTH \"fast\" is not a decimal integer");
  expect_invalid ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS=\"avc1\n"
                  "v.m3u8\n",
                  "CODECS has an unterminated quoted string");
  expect_invalid ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,=2\nv.m3u8\n",
                  "expected an attribute name");
  expect_invalid ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH\nv.m3u8\n",
                  "has no '='");
  expect_invalid ("#EXTM3U\n#EXT-X-STREAM-INF:CODECS=\"a\"x,BANDWIDTH=1\n"
                  "v.m3u8\n",
                  "unexpected character after attribute CODECS");
  expect_invalid ("#EXTM3U\n#EXT-X-MEDIA:TYPE=SOUND,GROUP-ID=\"a\","
                  "NAME=\"b\"\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
                  "EXT-X-MEDIA TYPE \"SOUND\" is not AUDIO");
  expect_invalid ("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,NAME=\"b\"\n"
                  "#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n",
                  "needs GROUP-ID and NAME");
  expect_invalid ("#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\","
                  "NAME=\"b\"\n",
                  "master playlist has no variant stream");
  expect_error (std::string (kHeader) + "#EXT-X-I-FRAMES-ONLY\n",
                GST_P2P_ERROR_PLAYLIST_UNSUPPORTED, "I-frame-only");

  Warnings warnings;
  MediaPlaylist media = parse_media_ok (
      std::string (kHeader) + "#EXTINF:4,\n#EXTINF:3,\na.ts\n#EXTINF:4,\n",
      &warnings);
  fail_unless_equals_int (media.segments.size (), 1);
  fail_unless_equals_uint64 (media.segments[0].duration, 3 * GST_SECOND);
  fail_unless (has_warning (warnings, "line 4: EXTINF of line 3 has no URI"));
  fail_unless (has_warning (warnings, "line 6: EXTINF without a URI at the "
                                      "end of the playlist"));

  warnings.clear ();
  media = parse_media_ok (std::string (kHeader)
                              + "#EXTINF:4,\na.ts\n"
                                "#EXT-X-DISCONTINUITY\n",
                          &warnings);
  fail_unless (has_warning (warnings, "line 5: segment tags without a "
                                      "segment"));

  warnings.clear ();
  const std::string sha (64, 'b');
  media = parse_media_ok (std::string (kHeader)
                              + "#EXT-X-P2P-SHA256:" + std::string (64, 'A')
                              + "\n"
                                "#EXT-X-P2P-SHA256:abc\n"
                                "#EXT-X-P2P-SHA256:"
                              + std::string (64, 'c')
                              + "\n"
                                "#EXT-X-P2P-SHA256:"
                              + sha
                              + "\n"
                                "#EXT-X-PROGRAM-DATE-TIME:yesterday\n"
                                "#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00\n"
                                "#EXTINF:4,\na.ts\n#EXTINF:4,\nb.ts\n",
                          &warnings);
  fail_unless_equals_string (media.segments[0].sha256.c_str (), sha.c_str ());
  fail_unless (media.segments[1].sha256.empty ());
  fail_unless (!media.segments[0].program_date_time_us);
  fail_unless (has_warning (warnings, "line 3: EXT-X-P2P-SHA256 \"AAAA"));
  fail_unless (has_warning (warnings, "\"abc\" is not 64 lower-case hex"));
  fail_unless (has_warning (warnings, "repeated EXT-X-P2P-SHA256"));
  fail_unless (has_warning (warnings, "\"yesterday\" is not an ISO 8601"));
  fail_unless (has_warning (warnings, "line 8: EXT-X-PROGRAM-DATE-TIME"));

  /* Our chunk hashes: a bad one only warns, and is not used. */
  warnings.clear ();
  const std::string root (64, '7');
  media = parse_media_ok (
      std::string (kHeader)
          + "#EXT-X-P2P-CHUNKS:SIZE=750000,STRIPES=4,CHUNK-SIZE=16384,ROOT="
          + root
          + "\n#EXTINF:4,\na.ts\n"
            "#EXT-X-P2P-CHUNKS:SIZE=0,STRIPES=4,CHUNK-SIZE=16384,ROOT="
          + root
          + "\n#EXTINF:4,\nb.ts\n"
            "#EXT-X-P2P-CHUNKS:SIZE=10,STRIPES=99,CHUNK-SIZE=16384,ROOT="
          + root
          + "\n#EXTINF:4,\nc.ts\n"
            "#EXT-X-P2P-CHUNKS:SIZE=10,STRIPES=4,CHUNK-SIZE=1,ROOT=ABC\n"
            "#EXTINF:4,\nd.ts\n",
      &warnings);
  fail_unless (media.segments[0].chunks.has_value ());
  fail_unless_equals_uint64 (media.segments[0].chunks->size, 750000);
  fail_unless_equals_int (media.segments[0].chunks->stripes, 4);
  fail_unless_equals_int (media.segments[0].chunks->chunk_size, 16384);
  fail_unless_equals_string (media.segments[0].chunks->root.c_str (),
                             root.c_str ());
  for (size_t i = 1; i < 4; i++)
    fail_if (media.segments[i].chunks.has_value (), "segment %zu", i);
  fail_unless (has_warning (warnings, "line 6: EXT-X-P2P-CHUNKS"));
  fail_unless (has_warning (warnings, "line 9: EXT-X-P2P-CHUNKS"));
  fail_unless (has_warning (warnings, "line 12: EXT-X-P2P-CHUNKS"));
}
GST_END_TEST;

namespace {

MediaPlaylist
live_window (int64_t first, int count, int64_t discontinuity_sequence = 0)
{
  std::string text = std::string (kHeader)
                     + "#EXT-X-MEDIA-SEQUENCE:" + std::to_string (first)
                     + "\n#EXT-X-DISCONTINUITY-SEQUENCE:"
                     + std::to_string (discontinuity_sequence) + "\n";
  for (int64_t sequence = first; sequence < first + count; sequence++) {
    if (sequence % 10 == 5)
      text += "#EXT-X-DISCONTINUITY\n";
    text += "#EXTINF:4,\nseg" + std::to_string (sequence) + ".ts\n";
  }
  return parse_media_ok (text);
}

/* Runs the reload check expecting an error containing @needle (or success
 * when null); returns the warnings. */
Warnings
check_reload (const MediaPlaylist &previous, const MediaPlaylist &reloaded,
              const char *needle)
{
  Warnings warnings;
  GErrorOut error;
  bool ok = check_playlist_reload (previous, reloaded, &warnings, error.out ());
  if (!needle) {
    fail_unless (ok, "refused: %s", error ? error.get ()->message : "");
  } else {
    fail_unless (!ok, "accepted, expected \"%s\"", needle);
    fail_unless (g_error_matches (error.get (), GST_P2P_ERROR,
                                  GST_P2P_ERROR_PLAYLIST_INVALID));
    fail_unless (strstr (error.get ()->message, needle), "message \"%s\"",
                 error.get ()->message);
  }
  return warnings;
}

} // namespace

GST_START_TEST (test_live_reload)
{
  MediaPlaylist previous = live_window (100, 5);

  /* Normal reloads: unchanged, one segment slid, a discontinuity removed. */
  fail_unless (check_reload (previous, previous, nullptr).empty ());
  fail_unless (check_reload (previous, live_window (101, 5), nullptr).empty ());
  fail_unless (
      check_reload (live_window (103, 5), live_window (106, 5, 1), nullptr)
          .empty ());
  Warnings warnings
      = check_reload (live_window (103, 5), live_window (106, 5), nullptr);
  fail_unless (has_warning (warnings, "discontinuity sequence is 0, "
                                      "expected 1"));

  check_reload (previous, live_window (99, 6),
                "media sequence went "
                "backwards from 100 to 99");
  check_reload (previous, live_window (100, 3),
                "segments vanished from the "
                "end: the last sequence number went from 104 to 102");
  check_reload (live_window (100, 5, 3), live_window (100, 5, 2),
                "discontinuity sequence went backwards");

  MediaPlaylist renamed = live_window (101, 5);
  renamed.segments[1].uri = "other.ts";
  check_reload (previous, renamed,
                "segment 102 changed its URI from "
                "\"seg102.ts\" to \"other.ts\"");

  MediaPlaylist ranged = live_window (101, 5);
  ranged.segments[0].byte_range = ByteRange{ 10, 0 };
  check_reload (previous, ranged, "segment 101 changed its byte range");

  MediaPlaylist hashed_before = live_window (100, 5);
  MediaPlaylist hashed_after = live_window (100, 5);
  hashed_before.segments[2].sha256 = std::string (64, 'a');
  hashed_after.segments[2].sha256 = std::string (64, 'b');
  MediaPlaylist chunked_before = live_window (10, 5);
  MediaPlaylist chunked_after = live_window (11, 5);
  chunked_before.segments[2].chunks
      = SegmentChunks{ 1000, 1, 1024, std::string (64, 'a') };
  chunked_after.segments[1].chunks
      = SegmentChunks{ 1000, 1, 1024, std::string (64, 'c') };
  check_reload (chunked_before, chunked_after, "changed its chunk hashes");
  check_reload (hashed_before, hashed_after,
                "segment 102 changed its "
                "SHA-256");
  /* A hash appearing where there was none is fine. */
  check_reload (previous, hashed_after, nullptr);

  MediaPlaylist ended = live_window (100, 5);
  ended.end_list = true;
  check_reload (previous, ended, nullptr);
  check_reload (ended, previous, "EXT-X-ENDLIST was withdrawn");
  MediaPlaylist ended_longer = live_window (100, 6);
  ended_longer.end_list = true;
  warnings = check_reload (ended, ended_longer, nullptr);
  fail_unless (has_warning (warnings, "added after EXT-X-ENDLIST"));

  MediaPlaylist retimed = live_window (100, 5);
  retimed.target_duration = 6 * GST_SECOND;
  retimed.segments[3].duration = 3 * GST_SECOND;
  retimed.segments[4].duration = 3 * GST_SECOND;
  warnings = check_reload (previous, retimed, nullptr);
  fail_unless (has_warning (warnings, "EXT-X-TARGETDURATION changed from "
                                      "4.000 s to 6.000 s"));
  fail_unless (has_warning (warnings, "segment 103 changed its duration from "
                                      "4.000 s to 3.000 s"));
  fail_unless (has_warning (warnings, "2 segments changed their duration"));

  warnings = check_reload (previous, live_window (200, 5), nullptr);
  fail_unless (has_warning (warnings, "segments 105 to 199 were missed"));

  MediaPlaylist event = live_window (100, 5);
  event.type = PlaylistType::EVENT;
  MediaPlaylist event_slid = live_window (101, 5);
  event_slid.type = PlaylistType::EVENT;
  warnings = check_reload (event, event_slid, nullptr);
  fail_unless (has_warning (warnings, "an EVENT playlist removed segments"));
  warnings = check_reload (previous, event, nullptr);
  fail_unless (has_warning (warnings, "playlist type changed from live to "
                                      "EVENT"));

  /* Empty playlists on either side. */
  MediaPlaylist empty = live_window (100, 0);
  check_reload (empty, previous, nullptr);
  check_reload (previous, empty, "segments vanished");
}
GST_END_TEST;

GST_START_TEST (test_resolve_uri)
{
  const std::string base = "http://cdn.example.com/live/hi/index.m3u8?tok=1";
  struct
  {
    const char *uri;
    const char *expected;
  } cases[] = {
    { "seg1.ts", "http://cdn.example.com/live/hi/seg1.ts" },
    { "./seg1.ts", "http://cdn.example.com/live/hi/seg1.ts" },
    { "../lo/index.m3u8", "http://cdn.example.com/live/lo/index.m3u8" },
    { "../../../../up.ts", "http://cdn.example.com/up.ts" },
    { "/abs/seg.ts", "http://cdn.example.com/abs/seg.ts" },
    { "//other.example.net/x/seg.ts", "http://other.example.net/x/seg.ts" },
    { "seg1.ts?sig=a%2Fb&e=2",
      "http://cdn.example.com/live/hi/seg1.ts?sig=a%2Fb&e=2" },
    { "?tok=2", "http://cdn.example.com/live/hi/index.m3u8?tok=2" },
    { "seg%20one.ts", "http://cdn.example.com/live/hi/seg%20one.ts" },
    { "https://secure.example.org/a.ts", "https://secure.example.org/a.ts" },
    { "seg.ts#t=1", "http://cdn.example.com/live/hi/seg.ts#t=1" },
  };
  for (const auto &c : cases) {
    std::string resolved = resolve_uri (base, c.uri);
    fail_unless_equals_string (resolved.c_str (), c.expected);
  }
  /* (std::string locals: the check macros keep the pointer beyond the
   * statement.) */
  std::string port = resolve_uri ("https://h:8443/a/b.m3u8", "c.ts");
  fail_unless_equals_string (port.c_str (), "https://h:8443/a/c.ts");
  std::string directory = resolve_uri ("http://h/dir/", "c.ts");
  fail_unless_equals_string (directory.c_str (), "http://h/dir/c.ts");
  /* An absolute URI needs no base; a relative one cannot do without. */
  std::string absolute = resolve_uri ("", "http://h/x.ts");
  fail_unless_equals_string (absolute.c_str (), "http://h/x.ts");
  fail_unless (resolve_uri ("relative/base.m3u8", "c.ts").empty ());
}
GST_END_TEST;

/* A playlist as GStreamer's own hlssink2 writes it. */
GST_START_TEST (test_hlssink2_playlist)
{
  test::TempDir dir;
  /* 240 frames at 30 fps with a key frame every 15: 8 one-second segments,
   * the playlist keeps the last 5. */
  std::string problem = test::run_hlssink2 (dir.path (), 240, 5);
  fail_unless (problem.empty (), "hlssink2: %s", problem.c_str ());
  std::string text = test::read_file (dir.file ("live.m3u8"));
  GST_INFO ("hlssink2 wrote:\n%s", text.c_str ());

  Warnings warnings;
  MediaPlaylist media = parse_media_ok (text, &warnings);
  for (const std::string &warning : warnings)
    GST_INFO ("warning: %s", warning.c_str ());
  fail_unless (warnings.empty ());
  fail_unless_equals_uint64 (media.target_duration, GST_SECOND);
  fail_unless (media.end_list);
  fail_unless (media.type == PlaylistType::LIVE);
  fail_unless_equals_int (media.segments.size (), 5);
  fail_unless_equals_int64 (media.media_sequence, 3);
  GstClockTime total = 0;
  for (size_t i = 0; i < media.segments.size (); i++) {
    const MediaSegment &segment = media.segments[i];
    fail_unless_equals_int64 (segment.sequence, 3 + (int64_t)i);
    /* hlssink2 numbers files from 0 like the media sequence. */
    gchar *name = g_strdup_printf ("seg%05d.ts", (int)segment.sequence);
    fail_unless_equals_string (segment.uri.c_str (), name);
    fail_unless (g_file_test (dir.file (name).c_str (), G_FILE_TEST_EXISTS));
    g_free (name);
    fail_unless (segment.duration >= 450 * GST_MSECOND
                     && segment.duration <= 1100 * GST_MSECOND,
                 "duration %" GST_TIME_FORMAT,
                 GST_TIME_ARGS (segment.duration));
    total += segment.duration;
  }
  fail_unless_equals_uint64 (media.total_duration (), total);
  /* The 5 segments are the last 5 of 8 s of video. */
  fail_unless (total >= 4 * GST_SECOND && total <= 5100 * GST_MSECOND);
}
GST_END_TEST;

static Suite *
hls_parser_suite (void)
{
  Suite *s = suite_create ("hls-parser");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_master_playlist);
  tcase_add_test (tc, test_master_playlist_oddities);
  tcase_add_test (tc, test_live_media_playlist);
  tcase_add_test (tc, test_event_and_vod_playlists);
  tcase_add_test (tc, test_fmp4_map_and_byte_ranges);
  tcase_add_test (tc, test_encrypted_refused);
  tcase_add_test (tc, test_not_a_playlist);
  tcase_add_test (tc, test_encoding_and_line_ends);
  tcase_add_test (tc, test_size_caps);
  tcase_add_test (tc, test_bad_durations);
  tcase_add_test (tc, test_playlist_level_tags);
  tcase_add_test (tc, test_segment_structure);
  tcase_add_test (tc, test_live_reload);
  tcase_add_test (tc, test_resolve_uri);
  tcase_add_test (tc, test_hlssink2_playlist);
  return s;
}

GST_CHECK_MAIN (hls_parser);
