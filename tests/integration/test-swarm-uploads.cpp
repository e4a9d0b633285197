/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One upload at a time (SwarmConfig::max_concurrent_uploads): three
 * Swarms on loopback with our tracker; an uploader holding one large
 * segment, two downloaders asking for it at once. One is served; the
 * other is answered SegmentAbsent, sees the uploader as busy (not as a
 * failure) and gets the segment once the first upload is done. ICE is
 * pinned to 127.0.0.1; meson runs this in a private network namespace.
 */
#include <gst/check/gstcheck.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/p2p/runtime/production-runtime.h"
#include "gst/p2p/swarm/swarm.h"
#include "gst/tracker/server.h"
#include "tests/common/change-signal.h"
#include "tests/common/test-utils.h"

using namespace p2p::swarm;

namespace {

constexpr int64_t kSequence = 7;
/* Large enough that the first upload is still running when the second
 * request comes. */
constexpr gsize kSegmentSize = 8 * 1024 * 1024;

struct Outcome
{
  bool downloaded = false;
  int absent = 0;
};

class Fixture
{
public:
  Fixture ()
  {
    p2p::tracker::ServerConfig tracker_config;
    tracker_config.workers = 1;
    tracker_ = std::make_unique<p2p::tracker::Server> (tracker_config);
    GError *error = nullptr;
    fail_unless (tracker_->start ("127.0.0.1", 0, &error), "tracker: %s",
                 error ? error->message : "");
    segment_ = g_bytes_new_take (g_malloc0 (kSegmentSize), kSegmentSize);

    thread_.invoke_sync ([this] {
      p2p::peer::WebRtcPeerConfig webrtc;
      webrtc.local_addresses = { "127.0.0.1" };
      runtime_ = std::make_unique<p2p::ProductionRuntime> (
          thread_, p2p::net::HttpFetcherOptions (), webrtc);
      uploader_ = make_swarm ("uploader", true);
      uploader_->set_holdings ({ kSequence }, {});
      for (const char *name : { "a", "b" })
        downloaders_[name] = make_swarm (name, false);
    });
  }

  ~Fixture ()
  {
    thread_.invoke_sync ([this] {
      downloaders_.clear ();
      uploader_.reset ();
      runtime_.reset ();
    });
    thread_.stop ();
    tracker_->stop ();
    g_bytes_unref (segment_);
  }

  /* Waits until @pred holds for the outcomes by downloader name. */
  template <typename Pred>
  bool
  wait (Pred pred)
  {
    return signal_.wait ([&] { return pred (outcomes_); }, 20000);
  }

  /* Whether @name sees the uploader announcing the segment. */
  bool
  sees_uploader (const std::string &name)
  {
    bool seen = false;
    thread_.invoke_sync ([&] {
      for (const PeerView &p : downloaders_[name]->peer_views ())
        seen |= p.id == uploader_->peer_id () && p.announced->count (kSequence);
    });
    return seen;
  }

  /* How @name sees the uploader. */
  struct SeenUploader
  {
    bool busy = false;
    guint failures = 0;
  };
  SeenUploader
  uploader_seen_by (const std::string &name)
  {
    SeenUploader seen;
    thread_.invoke_sync ([&] {
      for (const PeerView &p : downloaders_[name]->peer_views ())
        if (p.id == uploader_->peer_id ())
          seen = { p.busy, p.failures };
    });
    return seen;
  }

  void
  request (std::initializer_list<const char *> names)
  {
    bool sent = true;
    thread_.invoke_sync ([&] {
      for (const char *name : names)
        sent &= downloaders_[name]->request (uploader_->peer_id (), kSequence);
    });
    fail_unless (sent, "a request could not be sent");
  }

  Outcome
  outcome (const std::string &name)
  {
    std::lock_guard<std::mutex> lock (signal_.mutex);
    return outcomes_[name];
  }

private:
  std::unique_ptr<Swarm>
  make_swarm (const std::string &name, bool serves)
  {
    SwarmConfig config;
    config.trackers
        = { "ws://127.0.0.1:" + std::to_string (tracker_->port ()) };
    config.info_hash = swarm_info_hash ("test-swarm-uploads");
    config.peer_id = generate_peer_id (runtime_->get ().random);
    SwarmCallbacks cb;
    if (serves)
      cb.lookup = [this] (int64_t sequence) {
        return sequence == kSequence ? p2p::ChunkedBytes (segment_)
                                     : p2p::ChunkedBytes ();
      };
    cb.downloaded = [this, name] (int64_t, const std::string &,
                                  const p2p::ChunkedBytes &) {
      signal_.update ([&] { outcomes_[name].downloaded = true; });
    };
    cb.download_failed
        = [this, name] (int64_t, const std::string &, const std::string &) {
            signal_.update ([&] { outcomes_[name].absent++; });
          };
    auto swarm = std::make_unique<Swarm> (runtime_->get (), config, cb);
    swarm->start ();
    return swarm;
  }

  p2p::EngineThread thread_{ "test-swarm-uploads" };
  /* Engine thread only. */
  std::unique_ptr<p2p::ProductionRuntime> runtime_;
  std::unique_ptr<p2p::tracker::Server> tracker_;
  GBytes *segment_ = nullptr;
  std::unique_ptr<Swarm> uploader_;
  std::map<std::string, std::unique_ptr<Swarm>> downloaders_;
  p2p::test::ChangeSignal signal_;
  std::map<std::string, Outcome> outcomes_;
};

} // namespace

GST_START_TEST (test_busy_uploader_turns_second_request_down)
{
  Fixture f;
  for (const char *name : { "a", "b" }) {
    fail_unless (
        p2p::test::poll_until ([&] { return f.sees_uploader (name); }, 20000),
        "%s never saw the uploader's announcement", name);
  }

  f.request ({ "a", "b" });
  std::string second;
  fail_unless (f.wait ([&] (std::map<std::string, Outcome> &o) {
    second = o["a"].absent ? "a" : o["b"].absent ? "b" : "";
    return !second.empty ();
  }),
               "neither request was turned down");
  const std::string first = second == "a" ? "b" : "a";

  /* Turned down for being busy: no failure against the uploader. Read at
   * once, before the back-off ends. */
  const auto seen = f.uploader_seen_by (second);
  fail_unless (seen.busy, "the uploader is not seen as busy");
  fail_unless_equals_int (seen.failures, 0);

  fail_unless (f.wait ([&] (std::map<std::string, Outcome> &o) {
    return o[first].downloaded;
  }),
               "the first downloader never got the segment");
  fail_unless_equals_int (f.outcome (second).absent, 1);
  fail_if (f.outcome (second).downloaded);

  /* After the back-off, with the first upload done, the second one is
   * served. */
  for (int i = 0; i < 20 && f.uploader_seen_by (second).busy; i++)
    g_usleep (100 * 1000);
  fail_if (f.uploader_seen_by (second).busy);
  f.request ({ second.c_str () });
  fail_unless (f.wait ([&] (std::map<std::string, Outcome> &o) {
    return o[second].downloaded;
  }),
               "the second downloader never got the segment");
}

GST_END_TEST;

static Suite *
swarm_uploads_suite (void)
{
  Suite *s = suite_create ("swarm-uploads");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 90);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_busy_uploader_turns_second_request_down);
  return s;
}

GST_CHECK_MAIN (swarm_uploads);
