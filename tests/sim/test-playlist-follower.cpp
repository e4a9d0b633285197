/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The viewer's PlaylistFollower in virtual time against a scripted HTTP
 * client: how long a playlist that cannot be loaded is waited for (an
 * early broadcaster at start-up, a restarting one during live playback)
 * before playback fails, and what fails at once.
 */
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "gst/p2p/common/error.h"
#include "gst/p2p/viewer/playlist-follower.h"
#include "sim/event-loop.h"

/* After the engine's headers: gstcheck defines a fail () macro. */
#include <gst/check/gstcheck.h>

using namespace p2p;
using namespace p2p::sim;

namespace {

constexpr const char *kUrl = "http://origin.test/live.m3u8";

/* Answers every GET 10 ms later with what is set for its URL: a body, an
 * HTTP status, or no answer at all (unreachable). */
class ScriptedHttp : public net::HttpClient
{
public:
  struct Answer
  {
    guint status = 404; /* 0: unreachable */
    std::string body;
  };

  explicit ScriptedHttp (EventLoop &loop) : loop_ (loop) {}

  void
  set (const std::string &url, Answer answer)
  {
    answers_[url] = std::move (answer);
  }

  net::HttpFetch
  fetch (net::HttpRequest request, net::HttpFetchCallback callback) override
  {
    auto control = std::make_shared<Control> (loop_);
    const Answer answer
        = answers_.count (request.url) ? answers_[request.url] : Answer ();
    const std::string url = request.url;
    requests++;
    control->timer
        = loop_.call_later (10 * GST_MSECOND, [control, answer, url, callback] {
            control->active_ = false;
            net::HttpResult result;
            result.status = answer.status;
            result.final_url = url;
            if (answer.status == 200) {
              result.body.reset (
                  g_bytes_new (answer.body.data (), answer.body.size ()));
            } else if (answer.status == 0) {
              result.error.reset (
                  g_error_new (GST_P2P_ERROR, GST_P2P_ERROR_NETWORK,
                               "Connection refused: %s", url.c_str ()));
            } else {
              result.error.reset (
                  g_error_new (GST_P2P_ERROR, GST_P2P_ERROR_HTTP_STATUS,
                               "HTTP %u: %s", answer.status, url.c_str ()));
            }
            callback (std::move (result));
          });
    controls_.push_back (control);
    return net::HttpFetch (control);
  }

  guint requests = 0;

private:
  struct Control : net::HttpFetchControl
  {
    explicit Control (EventLoop &loop) : loop_ (loop) {}
    void
    cancel () override
    {
      loop_.cancel (timer);
      active_ = false;
    }
    bool
    active () const override
    {
      return active_;
    }
    EventLoop &loop_;
    TimerId timer = 0;
    bool active_ = true;
  };

  EventLoop &loop_;
  std::map<std::string, Answer> answers_;
  std::vector<std::shared_ptr<Control>> controls_;
};

std::string
live_playlist (int first, int last)
{
  std::string text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:"
                     + std::to_string (first) + "\n";
  for (int seq = first; seq <= last; seq++)
    text += "#EXTINF:2,\nseg" + std::to_string (seq) + ".ts\n";
  return text;
}

/* A follower of kUrl and what it reported. */
struct Follower
{
  explicit Follower (EventLoop &loop) : http (loop)
  {
    config.url = kUrl;
    follower = std::make_unique<viewer::PlaylistFollower> (
        loop, http, config,
        viewer::PlaylistFollower::Events{
            [] (const hls::Variant *) {}, [this] (bool) { updates++; },
            [this, &loop] (GErrorPtr e) {
              error = std::move (e);
              failed_at = loop.now ();
            },
            [this] (const std::string &) { warnings++; },
            [] (const hls::Variant &) {} });
  }

  viewer::ViewerConfig config;
  ScriptedHttp http;
  std::unique_ptr<viewer::PlaylistFollower> follower;
  guint updates = 0;
  guint warnings = 0;
  GErrorPtr error;
  GstClockTime failed_at = GST_CLOCK_TIME_NONE;
};

} // namespace

/* An origin that answers 404 (a broadcaster before its first segment) is
 * waited for, up to the outage limit. */
GST_START_TEST (test_startup_not_found_waits_up_to_the_limit)
{
  EventLoop loop;
  Follower f (loop);
  const GstClockTime start = loop.now ();
  f.follower->start ();
  loop.run_until (start + f.config.playlist_outage_limit - GST_SECOND);
  fail_unless (f.error == nullptr, "failed early: %s", f.error->message);
  fail_unless (f.http.requests >= 15, "%u requests", f.http.requests);
  fail_unless_equals_int (f.warnings, 1);
  loop.run_until (start + f.config.playlist_outage_limit + 2 * GST_SECOND);
  fail_unless (f.error != nullptr);
  fail_unless (g_error_matches (f.error.get (), GST_P2P_ERROR,
                                GST_P2P_ERROR_HTTP_STATUS));
  fail_unless (strstr (f.error->message, "404"), "%s", f.error->message);

  /* It comes in time: played, no error. */
  EventLoop loop2;
  Follower g (loop2);
  g.follower->start ();
  loop2.run_until (loop2.now () + 5 * GST_SECOND);
  g.http.set (kUrl, { 200, live_playlist (0, 1) });
  loop2.run_until (loop2.now () + 2 * GST_SECOND);
  fail_unless (g.error == nullptr);
  fail_unless (g.updates >= 1);
}
GST_END_TEST;

/* At start-up, a server that cannot be reached is an error at once: the
 * URL is probably wrong. */
GST_START_TEST (test_startup_unreachable_fails_at_once)
{
  EventLoop loop;
  Follower f (loop);
  f.http.set (kUrl, { 0, "" });
  const GstClockTime start = loop.now ();
  f.follower->start ();
  loop.run_until (start + GST_SECOND);
  fail_unless (f.error != nullptr);
  fail_unless_equals_int (f.http.requests, 1);
}
GST_END_TEST;

/* Live, a playlist that goes away (a broadcaster restarting: refused
 * connections, then 404) is waited for up to the outage limit. */
GST_START_TEST (test_live_outage_waits_up_to_the_limit)
{
  for (guint status : { 0u, 404u }) {
    EventLoop loop;
    Follower f (loop);
    f.http.set (kUrl, { 200, live_playlist (10, 13) });
    f.follower->start ();
    loop.run_until (loop.now () + 5 * GST_SECOND);
    const guint updates = f.updates;
    fail_unless (updates >= 2);
    f.http.set (kUrl, { status, "" });
    const GstClockTime outage = loop.now ();
    loop.run_until (outage + 10 * GST_SECOND);
    fail_unless (f.error == nullptr);
    fail_unless_equals_int (f.warnings, 1);
    /* Back within the limit: followed again. */
    f.http.set (kUrl, { 200, live_playlist (0, 2) });
    loop.run_until (loop.now () + 3 * GST_SECOND);
    fail_unless (f.error == nullptr);
    fail_unless (f.updates > updates);

    /* Gone for good: an error once the outage lasted the limit. */
    f.http.set (kUrl, { status, "" });
    const GstClockTime gone = loop.now ();
    loop.run_until (gone + f.config.playlist_outage_limit + 3 * GST_SECOND);
    fail_unless (f.error != nullptr);
    fail_unless (f.failed_at >= gone + f.config.playlist_outage_limit,
                 "failed after %" GST_TIME_FORMAT,
                 GST_TIME_ARGS (f.failed_at - gone));
  }
}
GST_END_TEST;

static Suite *
playlist_follower_suite (void)
{
  Suite *s = suite_create ("playlist-follower");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_startup_not_found_waits_up_to_the_limit);
  tcase_add_test (tc, test_startup_unreachable_fails_at_once);
  tcase_add_test (tc, test_live_outage_waits_up_to_the_limit);
  return s;
}

GST_CHECK_MAIN (playlist_follower);
