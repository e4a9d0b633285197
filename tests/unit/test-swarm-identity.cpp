/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Swarm identity as P2P Media Loader 2.3.1 derives it. Vectors marked
 * "npm 2.3.1" were computed by the published p2p-media-loader-core@2.3.1
 * (lib/utils/stream.js generateStreamShortId, lib/utils/peer.js
 * getStreamHash) under node 20; the others come from PROTOCOLS.md §3.2.
 */
#include <gst/check/gstcheck.h>

#include <cmath>
#include <string>
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "gst/p2p/swarm/swarm-identity.h"

#define assert_str_eq(actual, expected)                                        \
  do {                                                                         \
    const std::string a_ = (actual), e_ = (expected);                          \
    fail_unless (a_ == e_, "%s is '%s', not '%s'", #actual, a_.c_str (),       \
                 e_.c_str ());                                                 \
  } while (0)

using namespace p2p;
using namespace p2p::swarm;

static StreamAttributes
video (uint64_t bitrate, const char *codecs, int64_t width, int64_t height,
       double frame_rate = 0, const char *video_range = nullptr)
{
  StreamAttributes a;
  a.bitrate = bitrate;
  a.codecs = codecs;
  a.width = width;
  a.height = height;
  if (frame_rate != 0)
    a.frame_rate = frame_rate;
  if (video_range)
    a.video_range = video_range;
  return a;
}

static StreamAttributes
audio (const char *codecs, const char *language, const char *channels,
       const char *name)
{
  StreamAttributes a;
  a.codecs = codecs;
  a.language = language;
  a.channels = channels;
  a.name = name;
  return a;
}

GST_START_TEST (test_protocols_vectors)
{
  const StreamAttributes hd
      = video (2000000, "avc1.64001f,mp4a.40.2", 1280, 720);
  assert_str_eq (stream_short_id_input (hd),
                 "2000000-avc1.64001f,mp4a.40.2-1280-720-----");
  assert_str_eq (stream_short_id (hd), "iGElFfmdXQqMZ9Js5zRZMj6kcVY=");
  assert_str_eq (stream_short_id_input (StreamAttributes ()), "0--------");
  assert_str_eq (stream_short_id (StreamAttributes ()),
                 "UYnLxGhQilEV4D0HbCx+kRv0ZF0=");

  const std::string swarm = "https://example.com/live/master.m3u8";
  assert_str_eq (
      swarm_info_hash (stream_swarm_id (swarm, StreamType::MAIN, "0")),
      "qGfgbIgh5l/Y1S937e/z");
  const std::string id
      = stream_swarm_id (swarm, StreamType::MAIN, stream_short_id (hd));
  assert_str_eq (id, "v2-https://example.com/live/master.m3u8-main-"
                     "iGElFfmdXQqMZ9Js5zRZMj6kcVY=");
  assert_str_eq (swarm_info_hash (id), "rqYCAn/M2NhwZVmoe/Z3");
}

GST_END_TEST;

GST_START_TEST (test_npm_231_short_ids)
{
  assert_str_eq (stream_short_id (video (2000000, "avc1.64001f", 1280, 720)),
                 "i7kXQmYY+J5iioUnhJHkyU1/A+I=");

  /* Trim, lower-case, decimal avc1 → hex, sort; frame rate "29.970" is the
   * Number 29.97; video range upper-cased and trimmed. */
  const StreamAttributes uhd
      = video (5000000, " MP4A.40.2 , avc1.100.40", 1920, 1080, 29.970, "pq ");
  assert_str_eq (stream_short_id_input (uhd),
                 "5000000-avc1.640028,mp4a.40.2-1920-1080----29.97-PQ");
  assert_str_eq (stream_short_id (uhd), "FEUqcZIO6M+lphkLy0NnYtChZLU=");

  assert_str_eq (
      stream_short_id (video (800000, "hvc1.2.4.L123.B0", 640, 360, 23.976)),
      "C76fIB4ZEkNYdY2+1B76VOu2B3Q=");
  assert_str_eq (stream_short_id (video (1234567, "avc1.66.30", 426, 240, 60)),
                 "3hWteplIqyiPkJw6KrGj6qEkofc=");
  assert_str_eq (
      stream_short_id (video (300000, "avc1.4d401e,avc1.42e01e", 1, 1, 0.5)),
      "FUMJxU+sb+ONYXNwOyM7mkgagPw=");

  const StreamAttributes english
      = audio ("mp4a.40.2", "en-US", "2", " English ");
  assert_str_eq (stream_short_id_input (english),
                 "0-mp4a.40.2---en-2-english--");
  assert_str_eq (stream_short_id (english), "bdjQ1B4N2yrcTDHyU5j7iDGV9sY=");
  assert_str_eq (stream_short_id (audio ("ec-3", "und", "16/JOC", "Dolby")),
                 "AWevmUPvuMiRA8V6yw7GlqC4O2I=");
  assert_str_eq (
      stream_short_id (audio ("mp4a.40.2", "DEU", "6", "Deutsch \xc3\x84")),
      "VTIUiJpb1Uj7Z5wnS6ZUK/SxZYM=");

  assert_str_eq (
      swarm_info_hash (stream_swarm_id ("test", StreamType::SECONDARY,
                                        "UYnLxGhQilEV4D0HbCx+kRv0ZF0=")),
      "NTtXzU3eJ5uc35AaPAxp");
  assert_str_eq (
      swarm_info_hash (
          "v2-http://127.0.0.1:8080/live/"
          "\xc3\xbcn\xc3\xaf.m3u8-main-UYnLxGhQilEV4D0HbCx+kRv0ZF0="),
      "5W1YcrE0DdBWDWO9fPHk");
}

GST_END_TEST;

GST_START_TEST (test_variant_as_hlsjs_level)
{
  hls::Variant v;
  v.uri = "720p.m3u8";
  v.bandwidth = 2000000;
  v.codecs = "avc1.64001f,mp4a.40.2";
  v.width = 1280;
  v.height = 720;
  v.name = "720p";
  /* hls.js hands P2PML only the video codec; NAME does not count. */
  StreamAttributes a = stream_attributes_for_variant (v);
  assert_str_eq (*a.codecs, "avc1.64001f");
  fail_if (a.name.has_value ());
  assert_str_eq (stream_short_id (a), "i7kXQmYY+J5iioUnhJHkyU1/A+I=");

  /* hls.js rewrites avc1.66.30 itself; audio codecs are dropped. */
  hls::Variant low;
  low.bandwidth = 1234567;
  low.codecs = "mp4a.40.2, avc1.66.30";
  low.width = 426;
  low.height = 240;
  low.frame_rate = 60;
  a = stream_attributes_for_variant (low);
  assert_str_eq (*a.codecs, "avc1.42001e");
  assert_str_eq (stream_short_id (a), "3hWteplIqyiPkJw6KrGj6qEkofc=");

  /* Without BANDWIDTH hls.js takes AVERAGE-BANDWIDTH. */
  low.bandwidth = 0;
  low.average_bandwidth = 1234567;
  assert_str_eq (stream_short_id (stream_attributes_for_variant (low)),
                 "3hWteplIqyiPkJw6KrGj6qEkofc=");

  /* Bitrate 0: nothing else is hashed. */
  low.average_bandwidth.reset ();
  a = stream_attributes_for_variant (low);
  assert_str_eq (stream_short_id_input (a), "0--------");

  /* An audio-only variant has no videoCodec; no RESOLUTION, no width. */
  hls::Variant radio;
  radio.bandwidth = 128000;
  radio.codecs = "mp4a.40.2";
  radio.video_range = "sdr";
  assert_str_eq (stream_short_id_input (stream_attributes_for_variant (radio)),
                 "128000--------SDR");

  /* Unknown and "/"-suffixed codecs as hls.js setCodecs treats them. */
  hls::Variant odd;
  odd.bandwidth = 1;
  odd.codecs = "hvc1.1.6.L93.90/extra,xyz1.2,avc1.4D401F";
  assert_str_eq (*stream_attributes_for_variant (odd).codecs,
                 "hvc1.1.6.L93.90,avc1.4D401F");
  assert_str_eq (stream_short_id_input (stream_attributes_for_variant (odd)),
                 "1-avc1.4d401f,hvc1.1.6.l93.90-------");
}

GST_END_TEST;

GST_START_TEST (test_media_playlist_and_renditions)
{
  assert_str_eq (stream_short_id (stream_attributes_for_media_playlist ()),
                 "UYnLxGhQilEV4D0HbCx+kRv0ZF0=");

  hls::MasterPlaylist master;
  hls::Variant plain;
  plain.bandwidth = 500000;
  plain.codecs = "avc1.64001f,ec-3";
  master.variants.push_back (plain);
  hls::Variant with_group;
  with_group.bandwidth = 2000000;
  with_group.codecs = "avc1.64001f,mp4a.40.2";
  with_group.audio_group = "aac";
  master.variants.push_back (with_group);

  hls::Rendition english;
  english.type = "AUDIO";
  english.group_id = "aac";
  english.name = " English ";
  english.language = "en-US";
  english.channels = "2";
  assert_str_eq (
      stream_short_id (stream_attributes_for_rendition (master, english)),
      "bdjQ1B4N2yrcTDHyU5j7iDGV9sY=");

  /* An unknown group takes the first variant's audio codec (hls.js
   * findGroup() || groups[0]); a missing NAME takes LANGUAGE. */
  hls::Rendition dolby;
  dolby.group_id = "other";
  dolby.language = "und";
  dolby.channels = "16/JOC";
  dolby.name = "Dolby";
  assert_str_eq (
      stream_short_id (stream_attributes_for_rendition (master, dolby)),
      "AWevmUPvuMiRA8V6yw7GlqC4O2I=");
  dolby.name.clear ();
  assert_str_eq (
      stream_short_id_input (stream_attributes_for_rendition (master, dolby)),
      "0-ec-3----16-und--");
}

GST_END_TEST;

GST_START_TEST (test_js_number_to_string)
{
  const struct
  {
    double value;
    const char *js;
  } cases[] = {
    { 30, "30" },
    { 29.970, "29.97" },
    { 23.976, "23.976" },
    { 59.94, "59.94" },
    { 0.5, "0.5" },
    { 100, "100" },
    { 0.1 + 0.2, "0.30000000000000004" },
    { 1e21, "1e+21" },
    { 123456789012345680000.0, "123456789012345680000" },
    { 1e-7, "1e-7" },
    { 1.5e-7, "1.5e-7" },
    { 0.000001, "0.000001" },
    { 9007199254740992.0, "9007199254740992" },
    { -2.5, "-2.5" },
    { 0, "0" },
    { 1.7976931348623157e308, "1.7976931348623157e+308" },
    { 5e-324, "5e-324" },
    { -5e-324, "-5e-324" },
    { -0.0, "0" },
    { -HUGE_VAL, "-Infinity" },
    { NAN, "NaN" },
  };
  for (const auto &c : cases)
    assert_str_eq (js_number_to_string (c.value), c.js);

#if defined(__SSE2__)
  /* A library loaded in-process (some GStreamer plugins are built with
   * -ffast-math) may flush denormals to zero: the text must not change. */
  const unsigned saved = _mm_getcsr ();
  _mm_setcsr (saved | 0x8040); /* flush-to-zero, denormals-are-zero */
  const std::string denormal = js_number_to_string (5e-324);
  const std::string small = js_number_to_string (2.2250738585072014e-308);
  _mm_setcsr (saved);
  assert_str_eq (denormal, "5e-324");
  assert_str_eq (small, "2.2250738585072014e-308");
#endif
}

GST_END_TEST;

GST_START_TEST (test_swarm_id_and_peer_id)
{
  assert_str_eq (swarm_id_from_manifest_url (
                     "https://cdn.example.com/live/master.m3u8?token=abc&x=?"),
                 "https://cdn.example.com/live/master.m3u8");
  assert_str_eq (swarm_id_from_manifest_url ("http://a/b.m3u8#t=1"),
                 "http://a/b.m3u8");
  assert_str_eq (swarm_id_from_manifest_url ("http://a/b.m3u8"),
                 "http://a/b.m3u8");

  Random random (42);
  const std::string id = generate_peer_id (random);
  fail_unless_equals_int (id.size (), 20);
  fail_unless (id.compare (0, 8, "-GP0200-") == 0, "%s", id.c_str ());
  fail_unless (relays_stripes (id));
  /* Versions: ours from 02.00 on relay stripes; older ones and browsers
   * do not. */
  fail_unless (relays_stripes ("-GS0200-abcdefghijkl"));
  fail_unless (relays_stripes ("-GP0310-abcdefghijkl"));
  fail_if (relays_stripes ("-GP0100-abcdefghijkl"));
  fail_if (relays_stripes ("-PM0203-abcdefghijkl"));
  fail_if (relays_stripes ("-GP02x0-abcdefghijkl"));
  fail_if (relays_stripes ("-GP"));
  fail_unless (is_seeder ("-GS0200-abcdefghijkl"));
  fail_if (is_seeder (id));
  fail_unless (relay_id (id) != relay_id ("-GS0200-abcdefghijkl"));
  for (size_t i = 8; i < id.size (); i++)
    fail_unless (g_ascii_isalnum (id[i]), "%s", id.c_str ());
  fail_if (generate_peer_id (random) == id);

  Random same_seed (42);
  assert_str_eq (generate_peer_id (same_seed), id);

  /* info_hash is always 20 ASCII characters. */
  for (const char *swarm : { "", "x", "https://example.com/a.m3u8" })
    fail_unless_equals_int (swarm_info_hash (swarm).size (), 20);
}

GST_END_TEST;

static Suite *
swarm_identity_suite (void)
{
  Suite *s = suite_create ("swarm-identity");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_protocols_vectors);
  tcase_add_test (tc, test_npm_231_short_ids);
  tcase_add_test (tc, test_variant_as_hlsjs_level);
  tcase_add_test (tc, test_media_playlist_and_renditions);
  tcase_add_test (tc, test_js_number_to_string);
  tcase_add_test (tc, test_swarm_id_and_peer_id);
  return s;
}

GST_CHECK_MAIN (swarm_identity);
