/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Faults in one live broadcast on loopback (private network namespace, ICE
 * pinned to 127.0.0.1), with a standalone tracker:
 *  - a peer that serves corrupted copies of every segment (a Swarm of our
 *    own whose lookup flips a byte) must be caught by the playlist's
 *    SHA-256 and banned;
 *  - a peer that answers every request with SegmentData and one chunk, then
 *    nothing (WebRtcPeer + wire codec), must be given up in time for HTTP;
 *  - a metered viewer (upload=false) plays and uploads nothing;
 *  - two viewers leave mid-stream (pipelines to NULL): the others go on
 *    without a stall;
 *  - the tracker stops mid-stream: playback goes on, and a viewer that
 *    comes after it plays over HTTP alone.
 * The broadcast runs once in the fixture; each test checks one promise.
 */
#include <gst/check/gstcheck.h>

#include <atomic>
#include <list>
#include <memory>
#include <set>
#include <vector>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/net/tracker-client.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/p2p/runtime/production-runtime.h"
#include "gst/p2p/swarm/swarm.h"
#include "gst/tracker/server.h"
#include "swarm-test-harness.h"
#include "wire-test-peer.h"

using namespace p2p::test;
using p2p::EngineThread;
using p2p::GBytesPtr;
using p2p::peer::wire::Command;
using p2p::peer::wire::CommandType;

namespace {

/* Viewers 0-4 upload; 3 and 4 leave mid-stream; 5 is metered; 6 comes
 * after the tracker stopped. */
constexpr int kViewers = 7;
constexpr int kMetered = 5;
constexpr int kLate = 6;
const std::set<int> kLeaving = { 3, 4 };
constexpr gint64 kLeaveAtMs = 20 * 1000;
constexpr gint64 kTrackerStopAtMs = 34 * 1000;
constexpr gint64 kEndAtMs = 48 * 1000;
/* Segments the peers below keep and announce. */
constexpr size_t kEvilWindow = 12;

std::shared_ptr<GBytes>
share (GBytes *bytes)
{
  return std::shared_ptr<GBytes> (bytes, g_bytes_unref);
}

p2p::peer::WebRtcPeerConfig
pinned_config ()
{
  p2p::peer::WebRtcPeerConfig config;
  config.local_addresses = { "127.0.0.1" };
  return config;
}

template <typename Map>
void
trim (Map &segments)
{
  while (segments.size () > kEvilWindow)
    segments.erase (segments.begin ());
}

/* Joins the swarm like any viewer, announces every segment as soon as the
 * broadcaster publishes it, and serves copies with one byte flipped. */
class CorruptingPeer
{
public:
  CorruptingPeer (const std::string &tracker, const std::string &info_hash)
  {
    thread_.invoke_sync ([&] {
      runtime_ = std::make_unique<p2p::ProductionRuntime> (
          thread_, p2p::net::HttpFetcherOptions (), pinned_config ());
      p2p::swarm::SwarmConfig config;
      config.trackers = { tracker };
      config.info_hash = info_hash;
      config.peer_id = p2p::swarm::generate_peer_id (runtime_->get ().random);
      p2p::swarm::SwarmCallbacks cb;
      cb.lookup = [this] (int64_t sequence) {
        auto it = segments_.find (sequence);
        if (it == segments_.end ())
          return p2p::ChunkedBytes ();
        served_++;
        return p2p::ChunkedBytes (it->second.get ());
      };
      swarm_
          = std::make_unique<p2p::swarm::Swarm> (runtime_->get (), config, cb);
      swarm_->start ();
    });
  }

  ~CorruptingPeer () { stop (); }

  void
  stop ()
  {
    thread_.invoke_sync ([this] {
      swarm_.reset ();
      runtime_.reset ();
      segments_.clear ();
    });
    thread_.stop ();
  }

  /* Any thread. */
  void
  add (const PublishedSegment &segment)
  {
    gsize size = 0;
    auto data = static_cast<guint8 *> (
        g_memdup2 (g_bytes_get_data (segment.data.get (), &size),
                   g_bytes_get_size (segment.data.get ())));
    data[size / 2] ^= 0x5a;
    auto bad = share (g_bytes_new_take (data, size));
    int64_t sequence = segment.sequence;
    thread_.post ([this, sequence, bad] {
      segments_[sequence].reset (g_bytes_ref (bad.get ()));
      trim (segments_);
      std::set<int64_t> held;
      for (const auto &s : segments_)
        held.insert (s.first);
      if (swarm_)
        swarm_->set_holdings (held, {});
    });
  }

  guint
  served () const
  {
    return served_;
  }

private:
  EngineThread thread_{ "corrupting-peer" };
  /* Engine thread only. */
  std::unique_ptr<p2p::ProductionRuntime> runtime_;
  std::unique_ptr<p2p::swarm::Swarm> swarm_;
  std::map<int64_t, GBytesPtr> segments_;
  std::atomic<guint> served_{ 0 };
};

/* Answers the offers the tracker relays, announces every published
 * segment, and answers each request with SegmentData and the first chunk of
 * the real segment, then nothing more. */
class StallingPeer
{
public:
  StallingPeer (const std::string &tracker, const std::string &info_hash)
  {
    thread_.invoke_sync ([&] {
      runtime_ = std::make_unique<p2p::ProductionRuntime> (
          thread_, p2p::net::HttpFetcherOptions (), pinned_config ());
      p2p::net::TrackerClientConfig config;
      config.url = tracker;
      config.info_hash = *p2p::webtorrent::Id20::from_bytes (info_hash);
      config.peer_id = *p2p::webtorrent::Id20::from_bytes (
          p2p::swarm::generate_peer_id (runtime_->get ().random));
      /* Only answers: every viewer's announce brings offers. */
      config.offers_per_announce = 0;
      p2p::net::TrackerClient::Callbacks cb;
      cb.offer
          = [this] (const p2p::webtorrent::Id20 &from,
                    const p2p::webtorrent::Id20 &offer_id,
                    const std::string &sdp) { on_offer (from, offer_id, sdp); };
      tracker_ = std::make_unique<p2p::net::TrackerClient> (
          runtime_->get ().clock, runtime_->get ().trackers, config, cb);
      tracker_->start ();
    });
  }

  ~StallingPeer () { stop (); }

  void
  stop ()
  {
    thread_.invoke_sync ([this] {
      tracker_.reset ();
      connections_.clear ();
      runtime_.reset ();
      segments_.clear ();
    });
    thread_.stop ();
  }

  void
  add (const PublishedSegment &segment)
  {
    auto data = share (g_bytes_ref (segment.data.get ()));
    int64_t sequence = segment.sequence;
    thread_.post ([this, sequence, data] {
      segments_[sequence].reset (g_bytes_ref (data.get ()));
      trim (segments_);
      for (Connection &c : connections_)
        if (c.open)
          announce (c);
    });
  }

  guint
  requests () const
  {
    return requests_;
  }
  guint
  cancels () const
  {
    return cancels_;
  }
  guint
  connections () const
  {
    return opened_;
  }

private:
  struct Connection
  {
    std::unique_ptr<WirePeer> wire;
    bool open = false;
  };

  void
  on_offer (const p2p::webtorrent::Id20 &from,
            const p2p::webtorrent::Id20 &offer_id, const std::string &sdp)
  {
    connections_.emplace_back ();
    Connection *c = &connections_.back ();
    WirePeer::Callbacks cb;
    cb.local_description = [this, from, offer_id] (const std::string &answer) {
      tracker_->send_answer (from, offer_id, answer);
    };
    cb.open = [this, c] {
      c->open = true;
      opened_++;
      announce (*c);
    };
    cb.command
        = [this, c] (const Command &command) { on_command (*c, command); };
    cb.closed = [c] (const GError *) { c->open = false; };
    c->wire = WirePeer::answer (thread_, pinned_config (), sdp, cb, nullptr);
  }

  void
  announce (Connection &c)
  {
    std::vector<int64_t> held;
    for (const auto &s : segments_)
      held.push_back (s.first);
    c.wire->send_command (Command::announcement (held, {}));
  }

  void
  on_command (Connection &c, const Command &command)
  {
    if (command.type == CommandType::CANCEL_SEGMENT_REQUEST) {
      cancels_++;
      return;
    }
    if (command.type != CommandType::SEGMENT_REQUEST)
      return;
    requests_++;
    auto it = segments_.find (command.segment_id);
    if (it == segments_.end ()) {
      c.wire->send_command (
          Command::absent (command.segment_id, command.request_id));
      return;
    }
    gsize size = g_bytes_get_size (it->second.get ());
    c.wire->send_command (
        Command::data (command.segment_id, command.request_id, size));
    GBytesPtr first (g_bytes_new_from_bytes (
        it->second.get (), 0,
        MIN (size, p2p::peer::wire::kDefaultMaxMessageSize)));
    c.wire->send_payload (first.get ());
  }

  EngineThread thread_{ "stalling-peer" };
  /* Engine thread only. */
  std::unique_ptr<p2p::ProductionRuntime> runtime_;
  std::unique_ptr<p2p::net::TrackerClient> tracker_;
  std::list<Connection> connections_;
  std::map<int64_t, GBytesPtr> segments_;
  std::atomic<guint> requests_{ 0 };
  std::atomic<guint> cancels_{ 0 };
  std::atomic<guint> opened_{ 0 };
};

struct ViewerResult
{
  std::string name;
  std::string error;
  std::string segments_problem;
  /* At the leave time, the tracker stop, and the end (or when it left). */
  ViewerCounters at_leave, at_tracker_stop, final;
  size_t segments_after_leave = 0;
  size_t segments_after_tracker_stop = 0;
};

struct RunResult
{
  bool ran = false;
  std::string problem;
  std::string expected_swarm_id;
  std::vector<ViewerResult> viewers;
  guint corrupt_served = 0;
  guint stall_requests = 0;
  guint stall_cancels = 0;
  guint stall_connections = 0;
  guint64 segments_after_tracker_stop = 0;
};

RunResult run;

void
sleep_until (gint64 ms)
{
  while (now_ms () < ms)
    g_usleep (100 * 1000);
}

void
run_broadcast ()
{
  p2p::tracker::ServerConfig tracker_config;
  tracker_config.workers = 1;
  p2p::tracker::Server tracker (tracker_config);
  GError *error = nullptr;
  if (!tracker.start ("127.0.0.1", 0, &error)) {
    run.problem = std::string ("tracker: ") + error->message;
    g_error_free (error);
    return;
  }
  std::string tracker_url
      = "ws://127.0.0.1:" + std::to_string (tracker.port ());

  /* Declared before the broadcaster, which feeds them, so they outlive
   * it. */
  std::mutex evil_mutex;
  std::unique_ptr<CorruptingPeer> corrupter;
  std::unique_ptr<StallingPeer> staller;
  /* Whole segments only (stripes=0): the faulty peers here speak P2P Media
   * Loader's protocol, which viewers use with browsers and for segments
   * without chunk hashes. Relays that lie or stall are tested in virtual
   * time (tests/sim/test-viewer-core.cpp). */
  Broadcast broadcast ("trackers=" + tracker_url + " stripes=0");
  broadcast.on_segment = [&] (const PublishedSegment &segment) {
    std::lock_guard<std::mutex> lock (evil_mutex);
    if (corrupter && segment.data)
      corrupter->add (segment);
    if (staller && segment.data)
      staller->add (segment);
  };
  if (!broadcast.start () || !broadcast.wait_published (3, 20000)) {
    run.problem = "broadcaster: " + broadcast.error ();
    return;
  }
  std::string url = broadcast.playlist_url ();
  /* The swarm exactly as a viewer of this URL derives it. */
  run.expected_swarm_id = p2p::swarm::stream_swarm_id (
      p2p::swarm::swarm_id_from_manifest_url (url),
      p2p::swarm::StreamType::MAIN,
      p2p::swarm::stream_short_id (
          p2p::swarm::stream_attributes_for_media_playlist ()));
  std::string info_hash = p2p::swarm::swarm_info_hash (run.expected_swarm_id);
  {
    std::lock_guard<std::mutex> lock (evil_mutex);
    corrupter = std::make_unique<CorruptingPeer> (tracker_url, info_hash);
    staller = std::make_unique<StallingPeer> (tracker_url, info_hash);
    for (const auto &s : broadcast.published ()) {
      corrupter->add (s.second);
      staller->add (s.second);
    }
  }
  g_usleep (1000 * 1000);

  std::vector<std::unique_ptr<ViewerPipeline>> viewers;
  for (int i = 0; i < kViewers; i++) {
    viewers.push_back (std::make_unique<ViewerPipeline> (
        (i == kMetered ? "metered"
         : i == kLate  ? "late"
                       : "viewer")
            + std::to_string (i),
        url, tracker_url, i == kMetered ? "upload=false" : ""));
    if (i != kLate) {
      viewers.back ()->start ();
      g_usleep (500 * 1000);
    }
  }
  run.viewers.resize (kViewers);
  gint64 t0 = viewers.front ()->started_ms ();

  sleep_until (t0 + kLeaveAtMs);
  gint64 leave_ms = now_ms ();
  for (int i = 0; i < kViewers; i++)
    run.viewers[i].at_leave = viewers[i]->counters ();
  int64_t last_at_leave = broadcast.last_sequence ();
  for (int i : kLeaving)
    viewers[i]->stop ();

  sleep_until (t0 + kTrackerStopAtMs);
  gint64 tracker_stop_ms = now_ms ();
  for (int i = 0; i < kViewers; i++)
    run.viewers[i].at_tracker_stop = viewers[i]->counters ();
  tracker.stop ();
  viewers[kLate]->start ();

  sleep_until (t0 + kEndAtMs);
  int64_t last = broadcast.last_sequence ();
  for (auto &v : viewers)
    v->stop ();
  {
    std::lock_guard<std::mutex> lock (evil_mutex);
    run.corrupt_served = corrupter->served ();
    run.stall_requests = staller->requests ();
    run.stall_cancels = staller->cancels ();
    run.stall_connections = staller->connections ();
    corrupter.reset ();
    staller.reset ();
  }
  auto published = broadcast.published ();
  std::string broadcast_error = broadcast.error ();
  broadcast.stop ();
  if (!broadcast_error.empty ()) {
    run.problem = "broadcaster: " + broadcast_error;
    return;
  }

  for (int i = 0; i < kViewers; i++) {
    ViewerResult &r = run.viewers[i];
    const ViewerPipeline &v = *viewers[i];
    r.name = v.name ();
    r.error = v.error ();
    r.final = v.counters ();
    r.segments_problem = check_segments (
        v, published, (kLeaving.count (i) ? last_at_leave : last) - 3);
    r.segments_after_leave = v.received_since (leave_ms);
    r.segments_after_tracker_stop = v.received_since (tracker_stop_ms);
    g_print ("%-9s http %2" G_GUINT64_FORMAT " peer %2" G_GUINT64_FORMAT
             " uploaded %8" G_GUINT64_FORMAT " stalls %" G_GUINT64_FORMAT
             " banned %" G_GUINT64_FORMAT " mismatches %" G_GUINT64_FORMAT
             " %s\n",
             r.name.c_str (), r.final.http_segments, r.final.peer_segments,
             r.final.uploaded_bytes, r.final.stalls, r.final.peers_banned,
             r.final.hash_mismatches,
             r.segments_problem.empty () ? "ok" : r.segments_problem.c_str ());
  }
  g_print ("corrupting peer served %u; stalling peer: %u connections, %u "
           "requests, %u cancels\n",
           run.corrupt_served, run.stall_connections, run.stall_requests,
           run.stall_cancels);
  run.ran = true;
}

void
setup_run ()
{
  run_broadcast ();
}

bool
leaving (int i)
{
  return kLeaving.count (i) > 0;
}

} // namespace

GST_START_TEST (test_broadcast_ran)
{
  fail_unless (run.ran, "%s", run.problem.c_str ());
  /* The test peers joined the viewers' swarm. */
  for (const ViewerResult &v : run.viewers)
    fail_unless_equals_string (v.final.swarm_id.c_str (),
                               run.expected_swarm_id.c_str ());
}

GST_END_TEST;

GST_START_TEST (test_every_viewer_got_every_segment)
{
  fail_unless (run.ran, "%s", run.problem.c_str ());
  for (const ViewerResult &v : run.viewers) {
    fail_unless (v.error.empty (), "%s: %s", v.name.c_str (), v.error.c_str ());
    fail_unless (v.segments_problem.empty (), "%s",
                 v.segments_problem.c_str ());
  }
}

GST_END_TEST;

GST_START_TEST (test_corrupting_peer_banned)
{
  fail_unless (run.ran, "%s", run.problem.c_str ());
  fail_unless (run.corrupt_served > 0, "nobody asked the corrupting peer");
  guint64 mismatches = 0;
  for (const ViewerResult &v : run.viewers) {
    /* Caught at the first bad segment: never asked again. */
    fail_unless (v.final.hash_mismatches <= 1,
                 "%s: %" G_GUINT64_FORMAT " mismatches", v.name.c_str (),
                 v.final.hash_mismatches);
    fail_unless (v.final.peers_banned >= v.final.hash_mismatches);
    mismatches += v.final.hash_mismatches;
  }
  /* Every corrupted copy served was caught (a viewer that left may have
   * had one in flight). */
  fail_unless (mismatches > 0);
  fail_unless (run.corrupt_served <= mismatches + kLeaving.size (),
               "%u corrupted copies served, %" G_GUINT64_FORMAT " caught",
               run.corrupt_served, mismatches);
}

GST_END_TEST;

GST_START_TEST (test_stalling_peer_falls_back_in_time)
{
  fail_unless (run.ran, "%s", run.problem.c_str ());
  fail_unless (run.stall_requests > 0, "nobody asked the stalling peer");
  /* The viewers gave up on it (CancelSegmentRequest) ... */
  fail_unless (run.stall_cancels > 0, "no stalled request was cancelled");
  /* ... in time: nobody stalled, before or after the other faults. */
  for (const ViewerResult &v : run.viewers)
    fail_unless (
        v.final.stalls == 0,
        "%s stalled %" G_GUINT64_FORMAT " times (%" GST_TIME_FORMAT ")",
        v.name.c_str (), v.final.stalls, GST_TIME_ARGS (v.final.stall_time));
}

GST_END_TEST;

GST_START_TEST (test_metered_viewer_uploads_nothing)
{
  fail_unless (run.ran, "%s", run.problem.c_str ());
  const ViewerResult &m = run.viewers[kMetered];
  fail_unless (m.error.empty (), "%s", m.error.c_str ());
  fail_unless (m.segments_problem.empty (), "%s", m.segments_problem.c_str ());
  fail_unless_equals_uint64 (m.final.uploaded_bytes, 0);
  fail_unless (m.final.http_segments + m.final.peer_segments >= 20);
  /* The others did upload: the counter works. */
  guint64 uploaded = 0;
  for (int i = 0; i < kViewers; i++)
    if (i != kMetered)
      uploaded += run.viewers[i].final.uploaded_bytes;
  fail_unless (uploaded > 0);
}

GST_END_TEST;

GST_START_TEST (test_viewers_leaving_cause_no_stall)
{
  fail_unless (run.ran, "%s", run.problem.c_str ());
  for (int i = 0; i < kViewers; i++) {
    const ViewerResult &v = run.viewers[i];
    if (leaving (i) || i == kLate)
      continue;
    fail_unless (v.error.empty (), "%s: %s", v.name.c_str (), v.error.c_str ());
    fail_unless (v.at_tracker_stop.stalls == v.at_leave.stalls,
                 "%s stalled after two viewers left", v.name.c_str ());
    /* 14 s of 2 s segments. */
    fail_unless (v.segments_after_leave - v.segments_after_tracker_stop >= 5,
                 "%s: %zu segments after two viewers left", v.name.c_str (),
                 v.segments_after_leave - v.segments_after_tracker_stop);
  }
}

GST_END_TEST;

GST_START_TEST (test_playback_goes_on_without_tracker)
{
  fail_unless (run.ran, "%s", run.problem.c_str ());
  for (int i = 0; i < kViewers; i++) {
    const ViewerResult &v = run.viewers[i];
    if (leaving (i))
      continue;
    fail_unless (v.error.empty (), "%s: %s", v.name.c_str (), v.error.c_str ());
    fail_unless (v.final.stalls == v.at_tracker_stop.stalls,
                 "%s stalled after the tracker stopped", v.name.c_str ());
    fail_unless (v.segments_after_tracker_stop >= 5,
                 "%s: %zu segments after the tracker stopped", v.name.c_str (),
                 v.segments_after_tracker_stop);
  }
}

GST_END_TEST;

/* Nobody can introduce peers any more: the viewer that comes now plays over
 * HTTP alone, in time. */
GST_START_TEST (test_late_viewer_plays_over_http)
{
  fail_unless (run.ran, "%s", run.problem.c_str ());
  const ViewerResult &v = run.viewers[kLate];
  fail_unless (v.error.empty (), "%s", v.error.c_str ());
  fail_unless (v.segments_problem.empty (), "%s", v.segments_problem.c_str ());
  fail_unless_equals_uint64 (v.final.peer_bytes, 0);
  fail_unless (v.final.http_segments >= 5, "%" G_GUINT64_FORMAT " segments",
               v.final.http_segments);
  fail_unless_equals_uint64 (v.final.stalls, 0);
}

GST_END_TEST;

static Suite *
swarm_faults_suite (void)
{
  Suite *s = suite_create ("swarm-faults");
  TCase *tc = tcase_create ("faults");
  tcase_add_unchecked_fixture (tc, setup_run, nullptr);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_broadcast_ran);
  tcase_add_test (tc, test_every_viewer_got_every_segment);
  tcase_add_test (tc, test_corrupting_peer_banned);
  tcase_add_test (tc, test_stalling_peer_falls_back_in_time);
  tcase_add_test (tc, test_metered_viewer_uploads_nothing);
  tcase_add_test (tc, test_viewers_leaving_cause_no_stall);
  tcase_add_test (tc, test_playback_goes_on_without_tracker);
  tcase_add_test (tc, test_late_viewer_plays_over_http);
  return s;
}

P2P_SWARM_CHECK_MAIN (swarm_faults);
