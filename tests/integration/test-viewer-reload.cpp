/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A peer announcing the segment after the last one listed makes p2phlssrc
 * reload its playlist at once, but never while a reload is still in
 * flight: two playlist requests at a time can be answered out of order,
 * and the older answer then looks like the server going back in time.
 * The origin answers every playlist request 2.5 s late, so a reload is in
 * flight most of the time; a seeding Swarm announces the next segment
 * right after a reload went out. ICE is pinned to 127.0.0.1; meson runs
 * this in a private network namespace.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <memory>
#include <string>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/p2p/runtime/production-runtime.h"
#include "gst/p2p/swarm/swarm.h"
#include "gst/tracker/server.h"
#include "tests/common/scripted-server.h"
#include "tests/common/test-utils.h"

using namespace p2p;
using namespace p2p::swarm;
using namespace p2p::test;

namespace {

constexpr guint kPlaylistDelayMs = 2500;
constexpr const char *kPlaylist = "/live.m3u8";

std::string
segment_path (gint64 seq)
{
  return "/seg" + std::to_string (seq) + ".ts";
}

} // namespace

GST_START_TEST (test_announcement_reload_waits_for_the_one_in_flight)
{
  tracker::ServerConfig tracker_config;
  tracker_config.workers = 1;
  tracker::Server tracker (tracker_config);
  GError *error = nullptr;
  fail_unless (tracker.start ("127.0.0.1", 0, &error), "tracker: %s",
               error ? error->message : "");
  std::string tracker_url
      = "ws://127.0.0.1:" + std::to_string (tracker.port ());

  ScriptedServer origin;
  for (gint64 seq = 0; seq <= 4; seq++) {
    GBytesPtr payload = make_payload (4000, static_cast<guint> (seq + 1));
    origin.set_bytes (segment_path (seq), payload.get ());
  }
  std::string text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
                     "#EXT-X-MEDIA-SEQUENCE:0\n";
  for (gint64 seq = 0; seq <= 3; seq++)
    text += "#EXTINF:1.000,\nseg" + std::to_string (seq) + ".ts\n";
  ScriptedResponse playlist;
  playlist.body.reset (g_bytes_new (text.data (), text.size ()), g_bytes_unref);
  playlist.delay_ms = kPlaylistDelayMs;
  origin.set (kPlaylist, playlist);
  std::string url = origin.url (kPlaylist);

  /* The seeder joins the viewer's swarm: the same id from the same URL. */
  EngineThread thread ("test-viewer-reload");
  std::unique_ptr<p2p::ProductionRuntime> runtime;
  std::unique_ptr<Swarm> seeder;
  thread.invoke_sync ([&] {
    p2p::peer::WebRtcPeerConfig webrtc;
    webrtc.local_addresses = { "127.0.0.1" };
    runtime = std::make_unique<p2p::ProductionRuntime> (
        thread, p2p::net::HttpFetcherOptions (), webrtc);
    SwarmConfig config;
    config.trackers = { tracker_url };
    config.info_hash = swarm_info_hash (stream_swarm_id (
        swarm_id_from_manifest_url (url), StreamType::MAIN,
        stream_short_id (stream_attributes_for_media_playlist ())));
    config.peer_id = generate_peer_id (runtime->get ().random);
    seeder
        = std::make_unique<Swarm> (runtime->get (), config, SwarmCallbacks{});
    seeder->start ();
  });

  GstElement *src = gst_element_factory_make ("p2phlssrc", nullptr);
  fail_unless (src != nullptr);
  g_object_set (src, "location", url.c_str (), "trackers", tracker_url.c_str (),
                "ice-addresses", "127.0.0.1", "live-delay", 2u,
                "stats-interval", 0u, "timeout", 5u, nullptr);
  GstHarness *h = gst_harness_new_with_element (src, nullptr, "src");
  gst_harness_play (h);

  GstBufferPtr buffer = pull_buffer (h, 3 * kPlaylistDelayMs);
  fail_unless (buffer != nullptr, "no segment");
  fail_unless_equals_int64 ((gint64)GST_BUFFER_OFFSET (buffer.get ()), 2);

  auto connected = [&] {
    size_t peers = 0;
    thread.invoke_sync ([&] { peers = seeder->peer_views ().size (); });
    return peers > 0;
  };
  fail_unless (poll_until (connected, 20000), "the viewer never connected");

  /* Right after a reload went out, announce segment 4, the one after the
   * last listed: the viewer wants the playlist again at once. */
  guint before = origin.requests (kPlaylist);
  fail_unless (poll_until ([&] { return origin.requests (kPlaylist) > before; },
                           3 * kPlaylistDelayMs),
               "no reload");
  guint sent = origin.requests (kPlaylist);
  thread.invoke_sync ([&] { seeder->set_holdings ({ 4 }, {}); });

  /* The announced reload follows the one in flight, without the 1 s an
   * unchanged playlist waits (half the target duration). */
  fail_unless (poll_until ([&] { return origin.requests (kPlaylist) > sent; },
                           kPlaylistDelayMs + 500),
               "the announcement caused no reload");
  g_usleep (kPlaylistDelayMs * G_TIME_SPAN_MILLISECOND);
  fail_unless_equals_int (origin.max_in_flight (kPlaylist), 1);

  gst_harness_teardown (h);
  gst_object_unref (src);
  thread.invoke_sync ([&] {
    seeder.reset ();
    runtime.reset ();
  });
  thread.stop ();
  tracker.stop ();
}
GST_END_TEST;

static Suite *
viewer_reload_suite (void)
{
  Suite *s = suite_create ("viewer-reload");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_announcement_reload_waits_for_the_one_in_flight);
  return s;
}

GST_CHECK_MAIN (viewer_reload);
