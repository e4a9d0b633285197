/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The viewer engine (ViewerCore) in virtual time, on the simulator's
 * runtime: no sockets, no sleeps. A live start behind the edge, segments in
 * order and intact, a swarm that shares them, a peer sending corrupted
 * segments caught and banned, and a broadcaster that restarts its
 * numbering followed with a discontinuity.
 */
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "gst/p2p/common/chunk-tree.h"
#include "gst/p2p/swarm/holdings.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/p2p/swarm/swarm.h"
#include "gst/p2p/viewer/viewer-core.h"
#include "sim/broadcaster.h"
#include "sim/memo-hasher.h"

/* After the engine's headers: gstcheck defines a fail () macro. */
#include <gst/check/gstcheck.h>

using namespace p2p;
using namespace p2p::sim;

namespace {

constexpr GstClockTime kSegment = 2 * GST_SECOND;

/* Collects what a viewer hands out, whole segments only, as a player
 * taking each at once would. */
struct Collector : viewer::ViewerOutput
{
  struct Item
  {
    int64_t sequence;
    bool discont;
    ChunkedBytes data;
  };

  void
  push (viewer::ViewerItem item) override
  {
    if (item.kind == viewer::ViewerItem::Kind::ERROR)
      errors++;
    if (item.kind == viewer::ViewerItem::Kind::END)
      ended = true;
    if (item.kind != viewer::ViewerItem::Kind::SEGMENT)
      return;
    if (partial.empty ())
      partial_discont = item.discont;
    partial.append (item.data);
    if (item.partial) {
      partial_items++;
      return;
    }
    items.push_back ({ item.sequence, partial_discont, std::move (partial) });
    partial = ChunkedBytes ();
  }
  size_t
  pending_segments () const override
  {
    return 0;
  }

  std::vector<Item> items;
  ChunkedBytes partial;
  bool partial_discont = false;
  guint errors = 0;
  bool ended = false;
  /* Parts of segments handed out before they were whole. */
  guint partial_items = 0;
};

/* An origin, a tracker and a broadcaster on a simulated network. */
struct World
{
  explicit World (bool seed_swarm)
      : network (loop), origin_host (network.add_host (fast_link ())),
        origin (network, origin_host),
        tracker (network, network.add_host (fast_link ()),
                 tracker::ShardLimits (), 7)
  {
    start_broadcaster (seed_swarm);
  }

  static LinkSpec
  fast_link ()
  {
    LinkSpec link;
    link.up_bytes_per_s = link.down_bytes_per_s = 1e9;
    link.delay = 2 * GST_MSECOND;
    return link;
  }

  std::string
  url () const
  {
    return std::string (Origin::kBaseUrl) + "/playlist.m3u8";
  }

  std::string
  stream_swarm_id () const
  {
    return swarm::stream_swarm_id (
        swarm::swarm_id_from_manifest_url (url ()), swarm::StreamType::MAIN,
        swarm::stream_short_id (
            swarm::stream_attributes_for_media_playlist ()));
  }

  void
  start_broadcaster (bool seed_swarm, guint64 seed = 1)
  {
    SimBroadcaster::Config config;
    config.segment_bytes = 200000;
    config.seed = seed;
    if (seed_swarm)
      config.stream_swarm_id = stream_swarm_id ();
    broadcaster.reset ();
    broadcaster = std::make_unique<SimBroadcaster> (
        network, origin_host, origin, tracker, hasher, config);
    broadcaster->start ();
  }

  EventLoop loop;
  Network network;
  MemoHasher hasher;
  Host &origin_host;
  Origin origin;
  Tracker tracker;
  std::unique_ptr<SimBroadcaster> broadcaster;
};

/* One viewer on its own link. */
struct TestViewer
{
  TestViewer (World &world, viewer::ViewerConfig config, guint64 seed,
              double up_bytes_per_s = 1e6, double down_bytes_per_s = 5e6)
      : host (world.network.add_host (link (up_bytes_per_s, down_bytes_per_s))),
        runtime (world.network, host, world.origin, world.tracker, world.hasher,
                 seed)
  {
    core = std::make_unique<viewer::ViewerCore> (runtime.runtime,
                                                 std::move (config), output,
                                                 viewer::ViewerCore::Events ());
    core->start ();
  }
  ~TestViewer () { core.reset (); }

  static LinkSpec
  link (double up, double down = 5e6)
  {
    LinkSpec l;
    l.up_bytes_per_s = up;
    l.down_bytes_per_s = down;
    l.delay = 15 * GST_MSECOND;
    return l;
  }

  Host &host;
  HostRuntime runtime;
  Collector output;
  std::unique_ptr<viewer::ViewerCore> core;
};

viewer::ViewerConfig
viewer_config (const World &world, bool swarm)
{
  viewer::ViewerConfig config;
  config.url = world.url ();
  config.live_delay_segments = 3;
  config.stats_interval = 0;
  if (swarm)
    config.trackers = { Tracker::kUrl };
  return config;
}

/* @count viewers join the swarm half a segment apart, once the broadcast
 * has published four segments. */
std::vector<std::unique_ptr<TestViewer>>
join_swarm (World &world, guint count)
{
  world.loop.run_until (world.loop.now () + 4 * kSegment);
  std::vector<std::unique_ptr<TestViewer>> viewers;
  for (guint64 i = 0; i < count; i++) {
    viewers.push_back (std::make_unique<TestViewer> (
        world, viewer_config (world, true), 10 + i));
    world.loop.run_until (world.loop.now () + kSegment / 2);
  }
  return viewers;
}

/* Every item is the published segment of its sequence, in order. */
void
check_in_order_and_intact (const Collector &c, const World &world)
{
  for (size_t i = 0; i < c.items.size (); i++) {
    const Collector::Item &item = c.items[i];
    if (i > 0)
      fail_unless_equals_int64 (item.sequence, c.items[i - 1].sequence + 1);
    ChunkedBytes published = world.broadcaster->segment (item.sequence);
    fail_if (published.empty (), "segment %" G_GINT64_FORMAT " unknown",
             item.sequence);
    GBytesPtr whole = published.flatten ();
    fail_unless (item.data.equals (whole.get ()),
                 "segment %" G_GINT64_FORMAT " differs", item.sequence);
  }
}

/* A copy of @good with byte @at flipped: what a lying peer sends. */
ChunkedBytes
with_byte_flipped (const ChunkedBytes &good, gsize at)
{
  GBytesPtr bytes = good.flatten ();
  const gsize size = g_bytes_get_size (bytes.get ());
  auto data = static_cast<guint8 *> (
      g_memdup2 (g_bytes_get_data (bytes.get (), nullptr), size));
  data[at] ^= 0x5a;
  GBytesPtr bad (g_bytes_new_take (data, size));
  return ChunkedBytes (bad.get ());
}

} // namespace

GST_START_TEST (test_live_start_over_http)
{
  World world (false);
  world.loop.run_until (world.loop.now () + 6 * kSegment);
  /* Live-delay 3: playback starts three segments behind the last one. */
  const int64_t last = world.broadcaster->published () - 1;
  TestViewer v (world, viewer_config (world, false), 1);
  world.loop.run_until (world.loop.now () + 10 * kSegment);
  fail_unless (v.output.items.size () >= 8, "%zu items",
               v.output.items.size ());
  fail_unless_equals_int64 (v.output.items.front ().sequence, last - 2);
  fail_unless (v.output.items.front ().discont == false);
  check_in_order_and_intact (v.output, world);
  const viewer::ViewerStats s = v.core->stats ();
  fail_unless_equals_uint64 (s.stalls, 0);
  fail_unless_equals_uint64 (s.peer_bytes, 0);
  fail_unless (s.http_segments >= v.output.items.size ());

  /* The playlist ends: playback reaches the end. */
  world.broadcaster->stop (true);
  world.loop.run_until (world.loop.now () + 10 * kSegment);
  fail_unless (v.output.ended);
  fail_unless_equals_int (v.output.errors, 0);
}

GST_END_TEST;

GST_START_TEST (test_slow_link_starts_whole)
{
  World world (true);
  world.loop.run_until (world.loop.now () + 6 * kSegment);
  /* 1.3 times the stream's rate: a segment takes 1.54 s of its 2. Played
   * from its first bytes, the first would leave the second 0.46 s for 1.54
   * s of transfer; played once whole, every one is early. */
  TestViewer v (world, viewer_config (world, true), 1, 1e6, 130000);
  world.loop.run_until (world.loop.now () + 12 * kSegment);
  fail_unless (v.output.items.size () >= 8, "%zu items",
               v.output.items.size ());
  check_in_order_and_intact (v.output, world);
  fail_unless_equals_uint64 (v.core->stats ().stalls, 0);
  fail_unless_equals_int (v.output.partial_items, 0);

  /* On a fast link the first segment is played from its first bytes. */
  TestViewer fast (world, viewer_config (world, true), 2);
  world.loop.run_until (world.loop.now () + 2 * kSegment);
  fail_unless (fast.output.partial_items > 0);
  fail_unless_equals_uint64 (fast.core->stats ().stalls, 0);
}

GST_END_TEST;

GST_START_TEST (test_viewers_share_segments)
{
  World world (true);
  auto viewers = join_swarm (world, 4);
  world.loop.run_until (world.loop.now () + 20 * kSegment);
  guint64 peer_bytes = 0, received = 0;
  for (auto &v : viewers) {
    check_in_order_and_intact (v->output, world);
    const viewer::ViewerStats s = v->core->stats ();
    fail_unless_equals_uint64 (s.stalls, 0);
    fail_unless (s.peers > 0, "a viewer has no peers");
    peer_bytes += s.peer_bytes;
    received += s.peer_bytes + s.http_bytes;
  }
  /* Peers, the seeder included, carried a good part of it. */
  fail_unless (peer_bytes * 3 > received,
               "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " from peers",
               peer_bytes, received);
}

GST_END_TEST;

/* startup-wait: a newcomer holds its start for the swarm, and its first
 * segment, which the members hold, comes from peers rather than over HTTP.
 * Without it the first segment comes over HTTP at once. */
GST_START_TEST (test_startup_wait_takes_the_start_from_peers)
{
  World world (true);
  auto members = join_swarm (world, 4);
  world.loop.run_until (world.loop.now () + 10 * kSegment);

  viewer::ViewerConfig config = viewer_config (world, true);
  config.live_delay_segments = 2;
  config.startup_wait = 2 * kSegment;
  const GstClockTime joined = world.loop.now ();
  TestViewer waiting (world, config, 20);
  TestViewer eager (world, viewer_config (world, true), 21);
  world.loop.run_until (joined + config.startup_wait - GST_SECOND / 10);
  fail_unless (waiting.output.items.empty (), "started %zu segments early",
               waiting.output.items.size ());
  fail_unless (!eager.output.items.empty ());
  world.loop.run_until (joined + config.startup_wait + GST_SECOND / 2);
  fail_unless (!waiting.output.items.empty (), "not started after the wait");

  const gsize segment_bytes
      = world.broadcaster->segment (waiting.output.items.front ().sequence)
            .size ();
  const viewer::ViewerStats held = waiting.core->stats ();
  fail_unless (held.http_bytes < segment_bytes,
               "%" G_GUINT64_FORMAT " HTTP bytes: the first segment came "
               "over HTTP",
               held.http_bytes);
  fail_unless (held.peer_bytes >= segment_bytes);
  fail_unless (eager.core->stats ().http_bytes >= segment_bytes);

  world.loop.run_until (world.loop.now () + 10 * kSegment);
  for (const TestViewer *v : { &waiting, &eager }) {
    check_in_order_and_intact (v->output, world);
    fail_unless_equals_uint64 (v->core->stats ().stalls, 0);
  }
}

GST_END_TEST;

/* A bare Swarm in the simulated world, no viewer behind it: it announces
 * what @holdings returns now, and again every @interval. The tests'
 * scripted peers are made of one. */
struct ScriptedPeer
{
  ScriptedPeer (World &world, guint64 seed, GstClockTime interval,
                std::function<std::set<int64_t> ()> holdings,
                swarm::SwarmCallbacks callbacks = {},
                guint max_concurrent_uploads = 1)
      : host (world.network.add_host (TestViewer::link (10e6))),
        runtime (world.network, host, world.origin, world.tracker, world.hasher,
                 seed),
        world_ (world), interval_ (interval), holdings_ (std::move (holdings))
  {
    swarm::SwarmConfig config;
    config.trackers = { Tracker::kUrl };
    config.info_hash = swarm::swarm_info_hash (world.stream_swarm_id ());
    config.peer_id = swarm::generate_peer_id (runtime.random);
    config.max_concurrent_uploads = max_concurrent_uploads;
    swarm = std::make_unique<swarm::Swarm> (runtime.runtime, config,
                                            std::move (callbacks));
    swarm->start ();
    announce ();
  }

  void
  announce ()
  {
    swarm->set_holdings (holdings_ (), {});
    timer = world_.loop.call_later (interval_, [this] { announce (); });
  }

  ~ScriptedPeer ()
  {
    world_.loop.cancel (timer);
    swarm.reset ();
  }

  Host &host;
  HostRuntime runtime;
  World &world_;
  const GstClockTime interval_;
  const std::function<std::set<int64_t> ()> holdings_;
  std::unique_ptr<swarm::Swarm> swarm;
  TimerId timer = 0;
};

/* Serves every segment it is asked for, one byte flipped in the middle,
 * and holds the last six published. */
struct CorruptingPeer
{
  CorruptingPeer (World &world, guint64 seed)
      : world_ (world),
        peer (
            world, seed, GST_SECOND / 2, [this] { return last_published (); },
            serving_corrupted (), 0)
  {
  }

  std::set<int64_t>
  last_published () const
  {
    std::set<int64_t> held;
    const int64_t last = world_.broadcaster->published () - 1;
    for (int64_t s = std::max<int64_t> (0, last - 5); s <= last; s++)
      held.insert (s);
    return held;
  }

  swarm::SwarmCallbacks
  serving_corrupted ()
  {
    swarm::SwarmCallbacks callbacks;
    callbacks.lookup = [this] (int64_t sequence) {
      ChunkedBytes good = world_.broadcaster->segment (sequence);
      if (good.empty ())
        return good;
      served++;
      return with_byte_flipped (good, good.size () / 2);
    };
    return callbacks;
  }

  World &world_;
  guint served = 0;
  ScriptedPeer peer;
};

GST_START_TEST (test_corrupting_peer_is_banned)
{
  World world (false);
  world.loop.run_until (world.loop.now () + 4 * kSegment);
  CorruptingPeer evil (world, 99);
  world.loop.run_until (world.loop.now () + kSegment);
  TestViewer v (world, viewer_config (world, true), 5);
  world.loop.run_until (world.loop.now () + 20 * kSegment);
  const viewer::ViewerStats s = v.core->stats ();
  fail_unless (evil.served > 0, "the corrupting peer was never asked");
  fail_unless (s.hash_mismatches >= 1);
  fail_unless_equals_uint64 (s.peers_banned, 1);
  /* What played is intact, without a stall: the bytes came again. */
  check_in_order_and_intact (v.output, world);
  fail_unless_equals_uint64 (s.stalls, 0);
  fail_unless (v.output.items.size () >= 15);
  const guint served = evil.served;
  world.loop.run_until (world.loop.now () + 5 * kSegment);
  fail_unless_equals_int (evil.served, served);
}

GST_END_TEST;

/* Holdings whose stripe bytes go out with their first byte flipped, while
 * the hashes sent with them are the true ones. */
class LyingHoldings : public swarm::Holdings
{
public:
  using Holdings::Holdings;

  ChunkedBytes
  available (int64_t sequence, gsize from, gsize to) const override
  {
    ChunkedBytes good = Holdings::available (sequence, from, to);
    if (good.empty ())
      return good;
    served++;
    return with_byte_flipped (good, 0);
  }

  mutable guint served = 0;
};

/* A relay posing as the broadcaster's seeder (the root of every stripe)
 * that holds every published segment and relays it from @Served holdings
 * (which say what goes out) over an uplink of @up_bytes_per_s. */
template <class Served> struct PosingRelay
{
  PosingRelay (World &world, guint64 seed, double up_bytes_per_s = 10e6)
      : host (world.network.add_host (TestViewer::link (up_bytes_per_s))),
        runtime (world.network, host, world.origin, world.tracker, world.hasher,
                 seed),
        holdings (1 << 26, 3, world.hasher, false, [] (int64_t) {}),
        world_ (world)
  {
    swarm::SwarmConfig config;
    config.trackers = { Tracker::kUrl };
    config.info_hash = swarm::swarm_info_hash (world.stream_swarm_id ());
    config.peer_id
        = swarm::generate_peer_id (runtime.random, swarm::kSeederPeerIdPrefix);
    config.seeder = true;
    config.relay_slots = 4;
    config.holdings = &holdings;
    swarm = std::make_unique<swarm::Swarm> (runtime.runtime, config,
                                            swarm::SwarmCallbacks ());
    swarm->start ();
    take_published ();
  }

  /* What the broadcaster published, as its seeder would hold it. */
  void
  take_published ()
  {
    const int64_t last = world_.broadcaster->published () - 1;
    for (int64_t s = std::max<int64_t> (0, last - 5); s <= last; s++) {
      ChunkedBytes data = world_.broadcaster->segment (s);
      if (data.empty () || holdings.complete (s))
        continue;
      ChunkTree tree = ChunkTree::compute (data, default_layout (data.size ()),
                                           world_.hasher);
      holdings.expect (s, tree.layout, tree.stripe_roots);
      holdings.put_whole (s, data, swarm::SegmentSource::LOCAL, {});
      swarm->set_stripes (tree.layout.stripes);
    }
    std::set<int64_t> held;
    for (gint64 s : holdings.store ().sequences ())
      held.insert (s);
    swarm->set_holdings (held, {});
    swarm->holdings_changed ();
    timer = world_.loop.call_later (GST_SECOND / 4,
                                    [this] { take_published (); });
  }

  ~PosingRelay ()
  {
    world_.loop.cancel (timer);
    swarm.reset ();
  }

  Host &host;
  HostRuntime runtime;
  Served holdings;
  World &world_;
  std::unique_ptr<swarm::Swarm> swarm;
  TimerId timer = 0;
};

/* max-upload-rate says how many stripes a relay can carry: it takes that
 * many children from the start, rather than learning it by overloading its
 * uplink, and keeps it when later segments' rates differ a little. */
GST_START_TEST (test_upload_limit_sizes_relay_slots)
{
  World world (false);
  Host &host = world.network.add_host (TestViewer::link (1e6));
  HostRuntime runtime (world.network, host, world.origin, world.tracker,
                       world.hasher, 5);
  swarm::Holdings holdings (1 << 26, 3, world.hasher, false, [] (int64_t) {});
  auto relay = [&] (guint64 max_upload_rate) {
    swarm::SwarmConfig config;
    config.trackers = { Tracker::kUrl };
    config.info_hash = swarm::swarm_info_hash (world.stream_swarm_id ());
    config.peer_id
        = swarm::generate_peer_id (runtime.random, swarm::kPeerIdPrefix);
    config.holdings = &holdings;
    config.max_upload_rate = max_upload_rate;
    auto swarm = std::make_unique<swarm::Swarm> (runtime.runtime, config,
                                                 swarm::SwarmCallbacks ());
    swarm->start ();
    swarm->set_stripes (4);
    swarm->set_stripe_rate (25000);
    return swarm;
  };
  /* 90 % of 100 kB/s carries 3 stripes of 25 kB/s. */
  auto limited = relay (100000);
  fail_unless_equals_int (limited->max_children (), 3);
  limited->set_stripe_rate (20000);
  fail_unless_equals_int (limited->max_children (), 3);
  /* Without a limit: a first guess, adapted to the uplink as it goes. */
  fail_unless_equals_int (relay (0)->max_children (), 8);
}

GST_END_TEST;

/* A relay whose chunks do not match the playlist's hashes is caught at the
 * first chunk and banned; the stripes come again (over HTTP: no other
 * relay here), and playback neither breaks nor stalls. */
GST_START_TEST (test_lying_relay_is_banned)
{
  World world (false);
  world.loop.run_until (world.loop.now () + 4 * kSegment);
  PosingRelay<LyingHoldings> liar (world, 77);
  world.loop.run_until (world.loop.now () + kSegment);
  TestViewer v (world, viewer_config (world, true), 6);
  world.loop.run_until (world.loop.now () + 20 * kSegment);
  const viewer::ViewerStats s = v.core->stats ();
  fail_unless (liar.holdings.served > 0, "the lying relay sent nothing");
  fail_unless_equals_uint64 (s.peers_banned, 1);
  check_in_order_and_intact (v.output, world);
  fail_unless_equals_uint64 (s.stalls, 0);
  fail_unless (v.output.items.size () >= 15);
  /* Banned: asked for nothing more. */
  const guint served = liar.holdings.served;
  world.loop.run_until (world.loop.now () + 5 * kSegment);
  fail_unless_equals_int (liar.holdings.served, served);
}

GST_END_TEST;

/* A parent whose uplink carries 40 % of the stream brings part of a
 * segment's stripes in time; the viewer fetches the rest over HTTP and
 * tells the parent to skip that segment, so the parent goes on with the
 * next one instead of sending, ever later, bytes the viewer has. */
GST_START_TEST (test_parent_skips_what_comes_over_http)
{
  World world (false);
  world.loop.run_until (world.loop.now () + 4 * kSegment);
  /* 200 kB every 2 s is 100 kB/s. */
  PosingRelay<swarm::Holdings> parent (world, 78, 40e3);
  world.loop.run_until (world.loop.now () + kSegment);
  viewer::ViewerConfig config = viewer_config (world, true);
  config.live_delay_segments = 4;
  TestViewer v (world, config, 7);
  world.loop.run_until (world.loop.now () + 20 * kSegment);
  const viewer::ViewerStats s = v.core->stats ();
  check_in_order_and_intact (v.output, world);
  fail_unless_equals_uint64 (s.stalls, 0);
  fail_unless (s.http_bytes > 0, "HTTP never stood in for the parent");
  /* Sending every segment whole, the parent's bytes would mostly come
   * after HTTP's (3.5 times what it brought first, measured). */
  fail_unless (s.duplicate_bytes * 4 < s.peer_bytes,
               "%" G_GUINT64_FORMAT " bytes from the parent, %" G_GUINT64_FORMAT
               " of them again",
               s.peer_bytes + s.duplicate_bytes, s.duplicate_bytes);
}

GST_END_TEST;

GST_START_TEST (test_broadcaster_restart_is_a_discontinuity)
{
  World world (false);
  world.loop.run_until (world.loop.now () + 8 * kSegment);
  TestViewer v (world, viewer_config (world, false), 1);
  world.loop.run_until (world.loop.now () + 6 * kSegment);
  const size_t before = v.output.items.size ();
  fail_unless (before >= 4);
  /* A new broadcaster numbers from 0 again. */
  world.broadcaster->stop (false);
  world.start_broadcaster (false, 2);
  world.loop.run_until (world.loop.now () + 12 * kSegment);
  fail_unless_equals_int (v.output.errors, 0);
  fail_unless (v.output.items.size () > before + 3);
  /* The first segment after the restart is a discontinuity, and what
   * follows is the new stream's, in order. */
  const Collector::Item &first = v.output.items[before];
  fail_unless (first.discont);
  fail_unless (first.sequence < v.output.items[before - 1].sequence);
  for (size_t i = before + 1; i < v.output.items.size (); i++)
    fail_unless_equals_int64 (v.output.items[i].sequence,
                              v.output.items[i - 1].sequence + 1);
}

GST_END_TEST;

/* A master playlist of two variants, followed by viewers that share the
 * high one: the bandwidth estimate is made of the segments that came from
 * peers as much as of those from the origin. Peers here send at most
 * 8 Mbit/s (their uplinks), the origin at 160 (the viewers' downlinks): a
 * viewer that got two thirds of its segments from peers or more estimates
 * under half what the origin alone says (about 20-40 against 160), and
 * still affords the high variant. */
GST_START_TEST (test_peer_deliveries_count_for_the_bitrate)
{
  World world (false);
  const std::string master = "#EXTM3U\n"
                             "#EXT-X-STREAM-INF:BANDWIDTH=2000000\n"
                             "playlist.m3u8\n"
                             "#EXT-X-STREAM-INF:BANDWIDTH=500000\n"
                             "playlist.m3u8?low\n";
  GBytesPtr text (g_bytes_new (master.data (), master.size ()));
  world.origin.publish ("/master.m3u8", text.get ());
  world.loop.run_until (world.loop.now () + 4 * kSegment);
  viewer::ViewerConfig config = viewer_config (world, true);
  config.url = std::string (Origin::kBaseUrl) + "/master.m3u8";
  std::vector<std::unique_ptr<TestViewer>> viewers;
  for (guint64 i = 0; i < 4; i++) {
    viewers.push_back (
        std::make_unique<TestViewer> (world, config, 20 + i, 1e6, 20e6));
    world.loop.run_until (world.loop.now () + kSegment / 2);
  }
  world.loop.run_until (world.loop.now () + 20 * kSegment);
  guint mostly_from_peers = 0;
  for (auto &v : viewers) {
    check_in_order_and_intact (v->output, world);
    const viewer::ViewerStats s = v->core->stats ();
    GST_INFO ("%" G_GUINT64_FORMAT " segments from peers, %" G_GUINT64_FORMAT
              " over HTTP: estimate %" G_GUINT64_FORMAT " bit/s",
              s.peer_segments, s.http_segments, s.bandwidth_estimate);
    fail_unless_equals_uint64 (s.stalls, 0);
    fail_unless_equals_uint64 (s.variant_switches, 0);
    fail_unless_equals_uint64 (s.bandwidth, 2000000);
    fail_unless (s.bandwidth_estimate > 2500000, "estimate %" G_GUINT64_FORMAT,
                 s.bandwidth_estimate);
    if (s.peer_segments >= 2 * s.http_segments) {
      mostly_from_peers++;
      fail_unless (s.bandwidth_estimate < 80000000,
                   "estimate %" G_GUINT64_FORMAT " with %" G_GUINT64_FORMAT
                   " of %" G_GUINT64_FORMAT " segments from peers",
                   s.bandwidth_estimate, s.peer_segments,
                   s.peer_segments + s.http_segments);
    }
  }
  fail_unless (mostly_from_peers > 0,
               "no viewer got two thirds of its segments from peers");
}

GST_END_TEST;

/* Announces every millisecond, a segment far ahead held and not held in
 * turn. */
struct ChattyPeer
{
  ChattyPeer (World &world, guint64 seed)
      : peer (world, seed, GST_MSECOND, [this] { return next_holdings (); })
  {
  }

  std::set<int64_t>
  next_holdings ()
  {
    std::set<int64_t> held;
    if (++announcements % 2)
      held.insert (1000000);
    return held;
  }

  guint64 announcements = 0;
  ScriptedPeer peer;
};

/* A peer announcing a thousand times a second does not make the viewer
 * plan a thousand times a second: a pass its announcements ask for comes
 * at most 50 ms after the last one, besides the 100 ms tick and what
 * transfers ask for. Playback goes on as before. */
GST_START_TEST (test_announcements_do_not_drive_every_pass)
{
  World world (true);
  world.loop.run_until (world.loop.now () + 4 * kSegment);
  ChattyPeer chatty (world, 31);
  TestViewer v (world, viewer_config (world, true), 32);
  world.loop.run_until (world.loop.now () + 5 * kSegment);
  fail_unless (v.core->stats ().peers >= 2, "%u peers", v.core->stats ().peers);
  const guint64 passes = v.core->stats ().passes;
  const guint64 announced = chatty.announcements;
  world.loop.run_until (world.loop.now () + 5 * kSegment);
  const guint64 run = v.core->stats ().passes - passes;
  /* 10 s: 1,000 passes at most from the announcements, 100 from the tick;
   * a pass per announcement would be 10,000. */
  fail_unless_equals_uint64 (chatty.announcements - announced, 10000);
  fail_unless (run >= 100 && run <= 1500, "%" G_GUINT64_FORMAT " passes", run);
  check_in_order_and_intact (v.output, world);
  fail_unless_equals_uint64 (v.core->stats ().stalls, 0);
}

GST_END_TEST;

/* A relay of its own (holdings, no viewer): what its peers see of it. */
struct BareRelay
{
  BareRelay (World &world, guint64 seed, guint max_peers = 20)
      : host (world.network.add_host (TestViewer::link (10e6))),
        runtime (world.network, host, world.origin, world.tracker, world.hasher,
                 seed),
        holdings (1 << 26, 3, world.hasher, false, [] (int64_t) {})
  {
    swarm::SwarmConfig config;
    config.trackers = { Tracker::kUrl };
    config.info_hash = swarm::swarm_info_hash (world.stream_swarm_id ());
    config.peer_id = swarm::generate_peer_id (runtime.random);
    config.holdings = &holdings;
    config.max_peers = max_peers;
    swarm::SwarmCallbacks callbacks;
    callbacks.announced
        = [this] (const swarm::SegmentSet &) { announcements++; };
    swarm = std::make_unique<swarm::Swarm> (runtime.runtime, config, callbacks);
    swarm->start ();
    swarm->set_stripes (4);
  }

  /* How many stripes the one relaying peer says it has, -1: none yet. */
  int
  peer_stripes () const
  {
    for (const swarm::PeerView &v : swarm->peer_views ())
      if (v.relays && v.depths)
        return int (v.depths->size ());
    return -1;
  }

  Host &host;
  HostRuntime runtime;
  swarm::Holdings holdings;
  std::unique_ptr<swarm::Swarm> swarm;
  guint64 announcements = 0;
};

/* A relay whose place in the relay changes every millisecond tells its
 * relaying peers at most every 100 ms, and the last change reaches them. */
GST_START_TEST (test_relay_changes_are_announced_in_batches)
{
  World world (false);
  world.loop.run_until (world.loop.now () + 2 * kSegment);
  BareRelay a (world, 41), b (world, 42);
  world.loop.run_until (world.loop.now () + 2 * kSegment);
  fail_unless_equals_int (b.peer_stripes (), 4);
  const guint64 before = b.announcements;
  /* One second of changes: stripes 3, 4, 3, 4, ... and 3 at the end. */
  for (guint i = 1; i <= 1001; i++) {
    a.swarm->set_stripes (i % 2 ? 3 : 4);
    world.loop.run_until (world.loop.now () + GST_MSECOND);
  }
  const guint64 during = b.announcements - before;
  fail_unless (during >= 5 && during <= 12,
               "%" G_GUINT64_FORMAT " announcements in 1 s", during);
  world.loop.run_until (world.loop.now () + 200 * GST_MSECOND);
  fail_unless_equals_int (b.peer_stripes (), 3);
  fail_unless (b.announcements - before <= 13);
}

GST_END_TEST;

/* Members that filled their peer lists among themselves still make room
 * for a newcomer: its first announce offers to ten of them at once, and a
 * full one drops a peer it exchanges nothing with to answer. */
GST_START_TEST (test_newcomer_finds_room_in_a_full_swarm)
{
  constexpr guint kMaxPeers = 6;
  World world (false);
  std::vector<std::unique_ptr<BareRelay>> members;
  for (guint64 i = 0; i < 12; i++) {
    members.push_back (std::make_unique<BareRelay> (world, 50 + i, kMaxPeers));
    world.loop.run_until (world.loop.now () + GST_SECOND);
  }
  world.loop.run_until (world.loop.now () + 30 * GST_SECOND);
  guint full = 0;
  for (const auto &m : members)
    full += m->swarm->stats ().peers == kMaxPeers;
  /* Ten offers to twelve members: at least one reaches a full member. */
  fail_unless (full >= 3, "%u of 12 members full", full);

  BareRelay newcomer (world, 70);
  world.loop.run_until (world.loop.now () + 2 * GST_SECOND);
  const swarm::SwarmStats joined = newcomer.swarm->stats ();
  fail_unless_equals_int (joined.peers, 10);
  /* Its ten offers, each a session set up, and each connected. */
  fail_unless_equals_uint64 (joined.peer_sessions, 10);
  fail_unless_equals_uint64 (joined.peer_connections, 10);
  for (const auto &m : members)
    fail_unless (m->swarm->stats ().peers <= kMaxPeers);

  /* max-peers 0: no peer at all, neither offered to nor answered. */
  BareRelay loner (world, 71, 0);
  world.loop.run_until (world.loop.now () + 25 * GST_SECOND);
  fail_unless_equals_int (loner.swarm->stats ().peers, 0);
  fail_unless_equals_uint64 (loner.swarm->stats ().peer_sessions, 0);
}

GST_END_TEST;

static Suite *
viewer_core_suite (void)
{
  Suite *s = suite_create ("viewer-core");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_live_start_over_http);
  tcase_add_test (tc, test_slow_link_starts_whole);
  tcase_add_test (tc, test_viewers_share_segments);
  tcase_add_test (tc, test_startup_wait_takes_the_start_from_peers);
  tcase_add_test (tc, test_corrupting_peer_is_banned);
  tcase_add_test (tc, test_upload_limit_sizes_relay_slots);
  tcase_add_test (tc, test_lying_relay_is_banned);
  tcase_add_test (tc, test_parent_skips_what_comes_over_http);
  tcase_add_test (tc, test_broadcaster_restart_is_a_discontinuity);
  tcase_add_test (tc, test_peer_deliveries_count_for_the_bitrate);
  tcase_add_test (tc, test_announcements_do_not_drive_every_pass);
  tcase_add_test (tc, test_relay_changes_are_announced_in_batches);
  tcase_add_test (tc, test_newcomer_finds_room_in_a_full_swarm);
  return s;
}

GST_CHECK_MAIN (viewer_core);
