/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HttpFetcher against the loopback ScriptedServer (tests/common), which runs
 * on its own engine thread; the fetcher runs on the test thread's context.
 */
#include <gst/check/gstcheck.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/net/http-fetcher.h"
#include "test-helpers.h"
#include "tests/common/scripted-server.h"
#include "tests/common/test-utils.h"

using p2p::net::HttpFetch;
using p2p::net::HttpFetcher;
using p2p::net::HttpFetcherOptions;
using p2p::net::HttpProgress;
using p2p::net::HttpRequest;
using p2p::net::HttpResult;
using p2p::test::bytes_to_string;
using p2p::test::ScriptedResponse;
using p2p::test::ScriptedServer;

namespace {

constexpr gsize kSmallSize = 1000;
constexpr gsize kBigSize = 300000;

/* Byte i of every test body is (i * 7 + 3) & 0xff: a wrong offset or a lost
 * chunk shows up as a mismatch. */
std::string
pattern (gsize size)
{
  std::string s (size, '\0');
  for (gsize i = 0; i < size; i++)
    s[i] = (char)((i * 7 + 3) & 0xff);
  return s;
}

/* A plain @status answer carrying @body. */
ScriptedResponse
answer (guint status, const std::string &body)
{
  ScriptedResponse response;
  response.status = status;
  response.body.reset (g_bytes_new (body.data (), body.size ()), g_bytes_unref);
  return response;
}

/* What the origin answers on each path the tests fetch; /missing.ts and
 * anything else not scripted gets a 404. */
void
script_origin (ScriptedServer &server)
{
  server.set_text ("/ok.ts", pattern (kSmallSize));
  ScriptedResponse redirect;
  redirect.status = SOUP_STATUS_FOUND;
  redirect.location = server.url ("/ok.ts");
  server.set ("/redirect", redirect);
  server.set_sequence ("/flaky.ts",
                       { answer (500, "oops"), answer (500, "oops"),
                         answer (200, pattern (kSmallSize)) });
  server.set ("/always500.ts", answer (500, "oops"));
  server.set_sequence ("/busy.ts", { answer (429, pattern (kSmallSize)),
                                     answer (200, pattern (kSmallSize)) });

  ScriptedResponse slow;
  slow.misbehaviour = p2p::test::Misbehaviour::STALL;
  server.set ("/slow.ts", slow);

  /* Headers and the first 100 bytes, the rest long after any timeout. */
  ScriptedResponse stall_body = answer (200, pattern (200));
  stall_body.misbehaviour = p2p::test::Misbehaviour::PAUSE_HALFWAY;
  stall_body.delay_ms = 60000;
  server.set ("/stall-body.ts", stall_body);

  ScriptedResponse truncated = answer (200, pattern (kSmallSize));
  truncated.misbehaviour = p2p::test::Misbehaviour::TRUNCATE;
  server.set ("/truncated.ts", truncated);

  server.set_text ("/page.html", "<html></html>", "text/html");
  server.set_text ("/big.ts", pattern (kBigSize));
  ScriptedResponse big_chunked = answer (200, pattern (kBigSize));
  big_chunked.chunked = true;
  server.set ("/big-chunked.ts", big_chunked);
}

/* Per-test state, built in the forked child by the checked fixture. */
struct Fixture
{
  Fixture () { script_origin (server); }

  p2p::test::ThreadContext context;
  ScriptedServer server;
};
Fixture *fixture = nullptr;

void
setup ()
{
  fixture = new Fixture ();
}

void
teardown ()
{
  delete fixture;
  fixture = nullptr;
}

HttpFetcherOptions
fast_options ()
{
  HttpFetcherOptions options;
  options.timeout = std::chrono::milliseconds (2000);
  options.retry_backoff_factor = 0;
  return options;
}

/* Runs one fetch to completion on the test context. */
HttpResult
fetch_sync (HttpFetcher &fetcher, HttpRequest request)
{
  std::optional<HttpResult> result;
  bool in_fetch = true;
  fetcher.fetch (std::move (request), [&] (HttpResult r) {
    fail_if (in_fetch, "callback ran inside fetch ()");
    result = std::move (r);
  });
  in_fetch = false;
  fail_unless (
      fixture->context.run_until ([&] { return result.has_value (); }, 10000),
      "no callback within 10 s");
  fail_unless_equals_int (fetcher.active_count (), 0);
  return std::move (*result);
}

HttpResult
fetch_sync (HttpFetcher &fetcher, const std::string &path)
{
  HttpRequest request;
  request.url = fixture->server.url (path);
  return fetch_sync (fetcher, std::move (request));
}

void
assert_error (const HttpResult &result, GstP2PError code)
{
  fail_if (result.ok (), "expected an error");
  fail_unless (result.body == nullptr);
  fail_unless (g_error_matches (result.error.get (), GST_P2P_ERROR, code),
               "expected code %d, got %s %d: %s", code,
               g_quark_to_string (result.error->domain), result.error->code,
               result.error->message);
}

} // namespace

GST_START_TEST (test_fetch_ok)
{
  HttpFetcherOptions options = fast_options ();
  options.user_agent = "p2p-test-agent";
  options.extra_headers = { { "X-Test", "forty-two" } };
  HttpFetcher fetcher (options);

  HttpResult result = fetch_sync (fetcher, "/ok.ts");
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");
  fail_unless_equals_int (result.status, 200);
  assert_equals_std_string (result.content_type, "video/mp2t");
  fail_unless (result.final_url == fixture->server.url ("/ok.ts"), "%s",
               result.final_url.c_str ());
  fail_unless (bytes_to_string (result.body.get ()) == pattern (kSmallSize));
  fail_unless_equals_int (result.bytes, kSmallSize);
  fail_unless_equals_int (result.attempts, 1);
  fail_unless (result.elapsed_us > 0);
  fail_unless (result.elapsed_us >= result.latency_us + result.download_us);
  assert_equals_std_string (
      fixture->server.request_header ("/ok.ts", "User-Agent"),
      "p2p-test-agent");
  assert_equals_std_string (fixture->server.request_header ("/ok.ts", "X-Test"),
                            "forty-two");
}

GST_END_TEST;

GST_START_TEST (test_fetch_redirect)
{
  HttpFetcher fetcher (fast_options ());
  HttpResult result = fetch_sync (fetcher, "/redirect");
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");
  fail_unless_equals_int (result.status, 200);
  fail_unless (result.final_url == fixture->server.url ("/ok.ts"), "%s",
               result.final_url.c_str ());
  fail_unless (bytes_to_string (result.body.get ()) == pattern (kSmallSize));
  fail_unless_equals_int (fixture->server.requests ("/redirect"), 1);
  fail_unless_equals_int (fixture->server.requests ("/ok.ts"), 1);
}

GST_END_TEST;

GST_START_TEST (test_fetch_404_no_retry)
{
  HttpFetcher fetcher (fast_options ());
  HttpResult result = fetch_sync (fetcher, "/missing.ts");
  assert_error (result, GST_P2P_ERROR_HTTP_STATUS);
  fail_unless_equals_int (result.status, 404);
  fail_unless (strstr (result.error->message, "404") != nullptr, "%s",
               result.error->message);
  fail_unless_equals_int (result.attempts, 1);
  fail_unless_equals_int (fixture->server.requests ("/missing.ts"), 1);
}

GST_END_TEST;

GST_START_TEST (test_fetch_500_then_200)
{
  HttpFetcher fetcher (fast_options ());
  HttpResult result = fetch_sync (fetcher, "/flaky.ts");
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");
  fail_unless_equals_int (result.status, 200);
  fail_unless_equals_int (result.attempts, 3);
  fail_unless_equals_int (fixture->server.requests ("/flaky.ts"), 3);
  fail_unless (bytes_to_string (result.body.get ()) == pattern (kSmallSize));
}

GST_END_TEST;

GST_START_TEST (test_fetch_429_is_retried)
{
  HttpFetcher fetcher (fast_options ());
  HttpResult result = fetch_sync (fetcher, "/busy.ts");
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");
  fail_unless_equals_int (result.attempts, 2);
}

GST_END_TEST;

GST_START_TEST (test_fetch_retries_exhausted_with_backoff)
{
  HttpFetcherOptions options = fast_options ();
  options.retries = 2;
  options.retry_backoff_factor = 0.1;
  options.retry_backoff_max = 0.15;
  HttpFetcher fetcher (options);

  HttpResult result = fetch_sync (fetcher, "/always500.ts");
  assert_error (result, GST_P2P_ERROR_HTTP_STATUS);
  fail_unless_equals_int (result.status, 500);
  fail_unless_equals_int (result.attempts, 3);
  fail_unless_equals_int (fixture->server.requests ("/always500.ts"), 3);
  /* Waits of 0.1 s, then min (0.2, 0.15) s. */
  fail_unless (result.elapsed_us >= 250000, "elapsed %" G_GINT64_FORMAT,
               result.elapsed_us);
  fail_unless (result.elapsed_us < 2000000, "elapsed %" G_GINT64_FORMAT,
               result.elapsed_us);
}

GST_END_TEST;

GST_START_TEST (test_fetch_timeout_without_answer)
{
  HttpFetcherOptions options = fast_options ();
  options.timeout = std::chrono::milliseconds (200);
  options.retries = 1;
  HttpFetcher fetcher (options);

  HttpResult result = fetch_sync (fetcher, "/slow.ts");
  assert_error (result, GST_P2P_ERROR_TIMEOUT);
  fail_unless_equals_int (result.status, 0);
  fail_unless_equals_int (result.attempts, 2);
  fail_unless (result.elapsed_us >= 400000, "elapsed %" G_GINT64_FORMAT,
               result.elapsed_us);
  fail_unless_equals_int (fixture->server.requests ("/slow.ts"), 2);
}

GST_END_TEST;

GST_START_TEST (test_fetch_timeout_in_body)
{
  HttpFetcherOptions options = fast_options ();
  options.timeout = std::chrono::milliseconds (300);
  options.retries = 0;
  HttpFetcher fetcher (options);

  std::vector<gsize> progress;
  HttpRequest request;
  request.url = fixture->server.url ("/stall-body.ts");
  request.on_progress
      = [&] (const HttpProgress &p) { progress.push_back (p.received); };
  HttpResult result = fetch_sync (fetcher, std::move (request));
  assert_error (result, GST_P2P_ERROR_TIMEOUT);
  fail_unless_equals_int (result.status, 200);
  fail_unless (progress.size () >= 2);
  fail_unless_equals_int (progress.back (), 100);
}

GST_END_TEST;

GST_START_TEST (test_fetch_truncated_body)
{
  HttpFetcherOptions options = fast_options ();
  options.retries = 1;
  HttpFetcher fetcher (options);

  HttpResult result = fetch_sync (fetcher, "/truncated.ts");
  assert_error (result, GST_P2P_ERROR_BAD_CONTENT);
  fail_unless (strstr (result.error->message, "truncated") != nullptr, "%s",
               result.error->message);
  /* A cut connection is worth one more try. */
  fail_unless_equals_int (result.attempts, 2);
  fail_unless_equals_int (fixture->server.requests ("/truncated.ts"), 2);
}

GST_END_TEST;

GST_START_TEST (test_fetch_wrong_content_type)
{
  HttpFetcherOptions options = fast_options ();
  options.accepted_content_types = { "video/MP2T", "video/mp4" };
  HttpFetcher fetcher (options);

  HttpResult result = fetch_sync (fetcher, "/page.html");
  assert_error (result, GST_P2P_ERROR_BAD_CONTENT);
  assert_equals_std_string (result.content_type, "text/html");
  fail_unless_equals_int (result.attempts, 1);

  result = fetch_sync (fetcher, "/ok.ts");
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");

  /* A per-request list replaces the fetcher's. */
  HttpRequest request;
  request.url = fixture->server.url ("/page.html");
  request.accepted_content_types = std::vector<std::string>{ "text/html" };
  result = fetch_sync (fetcher, std::move (request));
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");
}

GST_END_TEST;

GST_START_TEST (test_fetch_body_too_big)
{
  HttpFetcherOptions options = fast_options ();
  options.max_body_size = kBigSize - 1;
  HttpFetcher fetcher (options);

  /* Refused from Content-Length, before the body. */
  HttpResult result = fetch_sync (fetcher, "/big.ts");
  assert_error (result, GST_P2P_ERROR_BAD_CONTENT);
  fail_unless_equals_int (result.attempts, 1);

  /* Refused while reading, without Content-Length. */
  result = fetch_sync (fetcher, "/big-chunked.ts");
  assert_error (result, GST_P2P_ERROR_BAD_CONTENT);
  fail_unless_equals_int (result.attempts, 1);

  HttpRequest request;
  request.url = fixture->server.url ("/big-chunked.ts");
  request.max_body_size = kBigSize;
  result = fetch_sync (fetcher, std::move (request));
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");
  fail_unless (bytes_to_string (result.body.get ()) == pattern (kBigSize));
}

GST_END_TEST;

GST_START_TEST (test_fetch_progress)
{
  HttpFetcher fetcher (fast_options ());
  std::vector<HttpProgress> progress;
  HttpRequest request;
  request.url = fixture->server.url ("/big.ts");
  request.on_progress = [&] (const HttpProgress &p) { progress.push_back (p); };
  HttpResult result = fetch_sync (fetcher, std::move (request));
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");
  fail_unless (bytes_to_string (result.body.get ()) == pattern (kBigSize));

  /* Headers first, then growing counts up to the whole body. */
  fail_unless (progress.size () >= 3);
  fail_unless_equals_int (progress.front ().received, 0);
  for (gsize i = 1; i < progress.size (); i++) {
    fail_unless (progress[i].received > progress[i - 1].received);
    fail_unless_equals_int (progress[i].expected, (gint64)kBigSize);
    fail_unless_equals_int (progress[i].attempt, 1);
  }
  fail_unless_equals_int (progress.back ().received, kBigSize);
}

GST_END_TEST;

GST_START_TEST (test_fetch_byte_range)
{
  HttpFetcher fetcher (fast_options ());
  HttpRequest request;
  request.url = fixture->server.url ("/big.ts");
  request.range = p2p::net::HttpByteRange{ 1000, 5000 };
  HttpResult result = fetch_sync (fetcher, std::move (request));
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");
  fail_unless_equals_int (result.status, 206);
  fail_unless (bytes_to_string (result.body.get ())
               == pattern (kBigSize).substr (1000, 5000));

  /* The chunked answer is a plain 200: the fetcher cuts the range out. */
  request = HttpRequest ();
  request.url = fixture->server.url ("/big-chunked.ts");
  request.range = p2p::net::HttpByteRange{ 10, 20 };
  result = fetch_sync (fetcher, std::move (request));
  fail_unless (result.ok (), "%s", result.error ? result.error->message : "");
  fail_unless_equals_int (result.status, 200);
  fail_unless (bytes_to_string (result.body.get ())
               == pattern (kBigSize).substr (10, 20));
}

GST_END_TEST;

GST_START_TEST (test_fetch_connection_refused)
{
  guint16 port = p2p::test::free_loopback_port ();

  HttpFetcherOptions options = fast_options ();
  options.retries = 1;
  HttpFetcher fetcher (options);
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string (port) + "/x.ts";
  HttpResult result = fetch_sync (fetcher, std::move (request));
  assert_error (result, GST_P2P_ERROR_NETWORK);
  fail_unless_equals_int (result.attempts, 2);
}

GST_END_TEST;

GST_START_TEST (test_fetch_invalid_url)
{
  HttpFetcher fetcher (fast_options ());
  HttpRequest request;
  request.url = "ftp://127.0.0.1/x.ts";
  HttpResult result = fetch_sync (fetcher, std::move (request));
  assert_error (result, GST_P2P_ERROR_FAILED);
  fail_unless_equals_int (result.attempts, 0);
}

GST_END_TEST;

GST_START_TEST (test_fetch_cancel)
{
  HttpFetcher fetcher (fast_options ());
  int callbacks = 0;
  auto count = [&] (HttpResult) { callbacks++; };

  /* Before anything happened. */
  HttpFetch early = fetcher.fetch (fixture->server.url ("/ok.ts"), count);
  fail_unless (early.active ());
  early.cancel ();
  fail_if (early.active ());

  /* While the server sits on the request. */
  HttpFetch waiting = fetcher.fetch (fixture->server.url ("/slow.ts"), count);
  fail_unless (fixture->context.run_until (
      [&] { return fixture->server.requests ("/slow.ts") == 1; }, 5000));
  waiting.cancel ();
  waiting.cancel ();

  /* From the progress callback, in the middle of a body. */
  HttpRequest request;
  request.url = fixture->server.url ("/big.ts");
  HttpFetch in_body;
  int progress_calls = 0;
  request.on_progress = [&] (const HttpProgress &p) {
    progress_calls++;
    if (p.received > 0)
      in_body.cancel ();
  };
  in_body = fetcher.fetch (std::move (request), count);

  fail_unless (fixture->context.run_until (
      [&] { return progress_calls > 0 && fetcher.active_count () == 0; },
      5000));
  fixture->context.run_for (300);
  fail_unless_equals_int (callbacks, 0);
  fail_unless_equals_int (fetcher.active_count (), 0);
  fail_if (in_body.active ());
  /* The progress callback is dropped with the rest at cancel. */
  fail_unless_equals_int (progress_calls, 2);
}

GST_END_TEST;

GST_START_TEST (test_fetcher_destroyed_with_fetches_in_flight)
{
  int callbacks = 0;
  int before_destruction = 0;
  HttpFetch fetch;
  {
    HttpFetcher fetcher (fast_options ());
    fetch = fetcher.fetch (fixture->server.url ("/slow.ts"),
                           [&] (HttpResult) { callbacks++; });
    fetcher.fetch (fixture->server.url ("/big.ts"),
                   [&] (HttpResult) { callbacks++; });
    fail_unless (fixture->context.run_until (
        [&] { return fixture->server.requests ("/slow.ts") == 1; }, 5000));
    /* /big.ts may finish while /slow.ts is on its way (a slow run: the
     * AddressSanitizer run counted one callback), with the fetcher alive. */
    fail_unless (callbacks <= 1);
    before_destruction = callbacks;
  }
  fail_if (fetch.active ());
  fetch.cancel ();
  fixture->context.run_for (300);
  /* Nothing while the fetcher goes or after. */
  fail_unless_equals_int (callbacks, before_destruction);
}

GST_END_TEST;

GST_START_TEST (test_fetch_parallel)
{
  HttpFetcher fetcher (fast_options ());
  constexpr int kFetches = 12;
  int done = 0;
  int ok = 0;
  for (int i = 0; i < kFetches; i++) {
    fetcher.fetch (fixture->server.url (i % 2 ? "/big.ts" : "/ok.ts"),
                   [&, i] (HttpResult result) {
                     done++;
                     gsize expected = i % 2 ? kBigSize : kSmallSize;
                     if (result.ok ()
                         && g_bytes_get_size (result.body.get ()) == expected)
                       ok++;
                   });
  }
  fail_unless_equals_int (fetcher.active_count (), kFetches);
  fail_unless (
      fixture->context.run_until ([&] { return done == kFetches; }, 10000));
  fail_unless_equals_int (ok, kFetches);
}

GST_END_TEST;

GST_START_TEST (test_fetch_on_engine_thread)
{
  /* The way the engine uses it: created, used and destroyed on the engine
   * thread, results handed to another thread. */
  p2p::EngineThread engine ("test-engine");
  std::unique_ptr<HttpFetcher> fetcher;
  engine.invoke_sync (
      [&] { fetcher.reset (new HttpFetcher (fast_options ())); });

  std::mutex mutex;
  std::condition_variable cond;
  std::optional<HttpResult> result;
  bool on_engine_thread = false;
  const std::string url = fixture->server.url ("/big.ts");
  engine.post ([&] {
    fetcher->fetch (url, [&] (HttpResult r) {
      std::lock_guard<std::mutex> lock (mutex);
      on_engine_thread = engine.is_current ();
      result = std::move (r);
      cond.notify_one ();
    });
  });
  {
    std::unique_lock<std::mutex> lock (mutex);
    fail_unless (cond.wait_for (lock, std::chrono::seconds (10),
                                [&] { return result.has_value (); }));
  }
  fail_unless (on_engine_thread);
  fail_unless (result->ok (), "%s",
               result->error ? result->error->message : "");
  fail_unless (bytes_to_string (result->body.get ()) == pattern (kBigSize));
  engine.invoke_sync ([&] { fetcher.reset (); });
  engine.stop ();
}

GST_END_TEST;

static Suite *
http_fetcher_suite (void)
{
  Suite *s = suite_create ("http-fetcher");
  TCase *tc = tcase_create ("general");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_fetch_ok);
  tcase_add_test (tc, test_fetch_redirect);
  tcase_add_test (tc, test_fetch_404_no_retry);
  tcase_add_test (tc, test_fetch_500_then_200);
  tcase_add_test (tc, test_fetch_429_is_retried);
  tcase_add_test (tc, test_fetch_retries_exhausted_with_backoff);
  tcase_add_test (tc, test_fetch_timeout_without_answer);
  tcase_add_test (tc, test_fetch_timeout_in_body);
  tcase_add_test (tc, test_fetch_truncated_body);
  tcase_add_test (tc, test_fetch_wrong_content_type);
  tcase_add_test (tc, test_fetch_body_too_big);
  tcase_add_test (tc, test_fetch_progress);
  tcase_add_test (tc, test_fetch_byte_range);
  tcase_add_test (tc, test_fetch_connection_refused);
  tcase_add_test (tc, test_fetch_invalid_url);
  tcase_add_test (tc, test_fetch_cancel);
  tcase_add_test (tc, test_fetcher_destroyed_with_fetches_in_flight);
  tcase_add_test (tc, test_fetch_parallel);
  tcase_add_test (tc, test_fetch_on_engine_thread);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (http_fetcher);
