/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The broadcaster's engine core in virtual time: what each publication
 * changes in the origin (segment and playlist, hashes in it, old segments
 * removed past the window, EXT-X-ENDLIST at the end), and the seeder
 * announcing and serving what was published.
 */
#include <memory>
#include <string>
#include <variant>

#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/p2p/swarm/swarm.h"
#include "sim/broadcaster.h"
#include "sim/memo-hasher.h"

/* After the engine's headers: gstcheck defines a fail () macro. */
#include <gst/check/gstcheck.h>

using namespace p2p;
using namespace p2p::sim;

namespace {

constexpr GstClockTime kSegment = 2 * GST_SECOND;

LinkSpec
link ()
{
  LinkSpec l;
  l.up_bytes_per_s = l.down_bytes_per_s = 10e6;
  l.delay = 5 * GST_MSECOND;
  return l;
}

struct World
{
  World ()
      : network (loop), origin_host (network.add_host (link ())),
        client_host (network.add_host (link ())), origin (network, origin_host),
        tracker (network, network.add_host (link ()), tracker::ShardLimits (),
                 3),
        client (origin.client (client_host))
  {
  }

  /* GETs @path from the origin; empty on error. */
  ChunkedBytes
  get (const std::string &path, guint *status = nullptr)
  {
    ChunkedBytes body;
    bool done = false;
    client->fetch (std::string (Origin::kBaseUrl) + path,
                   [&] (net::HttpResult result) {
                     done = true;
                     if (status)
                       *status = result.status;
                     if (result.ok ())
                       body = ChunkedBytes (result.body.get ());
                   });
    while (!done && loop.run_one ())
      ;
    return body;
  }

  hls::MediaPlaylist
  playlist ()
  {
    GBytesPtr text = get ("/playlist.m3u8").flatten ();
    fail_unless (text != nullptr);
    gsize size = 0;
    auto data
        = static_cast<const char *> (g_bytes_get_data (text.get (), &size));
    auto parsed
        = hls::parse_playlist (std::string_view (data, size), nullptr, nullptr);
    fail_unless (parsed
                 && std::holds_alternative<hls::MediaPlaylist> (*parsed));
    return std::get<hls::MediaPlaylist> (*parsed);
  }

  EventLoop loop;
  Network network;
  MemoHasher hasher;
  Host &origin_host;
  Host &client_host;
  Origin origin;
  Tracker tracker;
  std::unique_ptr<net::HttpClient> client;
};

} // namespace

GST_START_TEST (test_publications_reach_the_origin)
{
  World w;
  SimBroadcaster::Config config;
  config.segment_bytes = 10000;
  SimBroadcaster broadcaster (w.network, w.origin_host, w.origin, w.tracker,
                              w.hasher, config);
  broadcaster.start ();
  w.loop.run_until (w.loop.now () + 11 * kSegment + GST_MSECOND);
  fail_unless_equals_int (broadcaster.published (), 12);

  hls::MediaPlaylist playlist = w.playlist ();
  /* A sliding window of six, each segment with its SHA-256. */
  fail_unless_equals_int (playlist.segments.size (), 6);
  fail_unless_equals_int64 (playlist.media_sequence, 6);
  fail_if (playlist.end_list);
  Sha256Hasher hasher;
  for (const hls::MediaSegment &s : playlist.segments) {
    ChunkedBytes body = w.get ("/" + s.uri);
    fail_unless_equals_int (body.size (), 10000);
    fail_unless (hasher.sha256_hex (body) == s.sha256);
    GBytesPtr published = broadcaster.segment (s.sequence).flatten ();
    fail_unless (body.equals (published.get ()));
  }
  /* Three segments stay served behind the window, older ones go. */
  guint status = 0;
  fail_if (w.get ("/segment00003.ts", &status).empty ());
  fail_unless (w.get ("/segment00002.ts", &status).empty ());
  fail_unless_equals_int (status, 404);

  broadcaster.stop (true);
  w.loop.run_until (w.loop.now () + kSegment);
  fail_unless (w.playlist ().end_list);
  fail_unless_equals_int (broadcaster.published (), 12);
}

GST_END_TEST;

GST_START_TEST (test_seeder_serves_what_was_published)
{
  World w;
  const std::string stream_id = "v2-sim-test-main-x";
  SimBroadcaster::Config config;
  config.segment_bytes = 50000;
  config.stream_swarm_id = stream_id;
  SimBroadcaster broadcaster (w.network, w.origin_host, w.origin, w.tracker,
                              w.hasher, config);
  broadcaster.start ();

  /* A swarm member that asks the seeder for whatever it announces. */
  HostRuntime runtime (w.network, w.client_host, w.origin, w.tracker, w.hasher,
                       5);
  std::map<int64_t, ChunkedBytes> got;
  std::unique_ptr<swarm::Swarm> member;
  swarm::SwarmConfig sc;
  sc.trackers = { Tracker::kUrl };
  sc.info_hash = swarm::swarm_info_hash (stream_id);
  sc.peer_id = swarm::generate_peer_id (runtime.random);
  swarm::SwarmCallbacks callbacks;
  callbacks.downloaded
      = [&] (int64_t sequence, const std::string &, const ChunkedBytes &data) {
          got[sequence] = data;
        };
  callbacks.changed = [&] {
    for (const swarm::PeerView &p : member->peer_views ())
      if (p.seeder && !p.announced->empty ())
        member->request (std::string (p.id), *p.announced->rbegin ());
  };
  member = std::make_unique<swarm::Swarm> (runtime.runtime, sc, callbacks);
  member->start ();
  w.loop.run_until (w.loop.now () + 10 * kSegment);
  fail_unless (got.size () >= 3, "%zu segments from the seeder", got.size ());
  for (const auto &g : got) {
    GBytesPtr published = broadcaster.segment (g.first).flatten ();
    fail_unless (g.second.equals (published.get ()));
  }
  fail_unless (broadcaster.seeder_bytes () >= got.size () * 50000);
  member.reset ();
}

GST_END_TEST;

static Suite *
broadcaster_core_suite (void)
{
  Suite *s = suite_create ("broadcaster-core");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_publications_reach_the_origin);
  tcase_add_test (tc, test_seeder_serves_what_was_published);
  return s;
}

GST_CHECK_MAIN (broadcaster_core);
