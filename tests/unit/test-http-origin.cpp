/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HttpOrigin on its own engine thread, bound to 127.0.0.1 port 0; clients
 * are a plain SoupSession (sync calls) and HttpFetcher on the test thread.
 */
#include <gst/check/gstcheck.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/net/http-fetcher.h"
#include "gst/p2p/net/http-origin.h"
#include "../common/test-certificate.h"
#include "test-helpers.h"

using p2p::GBytesPtr;
using p2p::GObjectPtr;
using p2p::net::HttpOrigin;
using p2p::net::HttpOriginStats;
using p2p::net::OriginResourceKind;
using p2p::test::TestCertificate;

namespace {

GBytesPtr
make_bytes (const std::string &s)
{
  return GBytesPtr (g_bytes_new (s.data (), s.size ()));
}

std::string
pattern (gsize size)
{
  std::string s (size, '\0');
  for (gsize i = 0; i < size; i++)
    s[i] = (char)((i * 13 + 5) & 0xff);
  return s;
}

const std::string kPlaylist
    = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
      "#EXT-X-MEDIA-SEQUENCE:1\n#EXTINF:2.0,\nseg1.ts\n";

struct Response
{
  guint status = 0;
  std::string body;
  GObjectPtr<SoupMessage> msg;

  std::string
  header (const char *name) const
  {
    const char *value = soup_message_headers_get_one (
        soup_message_get_response_headers (msg.get ()), name);
    return value ? value : "<none>";
  }
};

struct Fixture
{
  /* With @cert the origin serves https, and the client trusts only @cert. */
  explicit Fixture (const TestCertificate *cert = nullptr)
      : thread ("test-origin")
  {
    thread.invoke_sync ([this, cert] {
      origin = new HttpOrigin ();
      GError *error = nullptr;
      if (cert)
        fail_unless (origin->use_tls (cert->certificate_file (),
                                      cert->key_file (), &error),
                     "use_tls: %s", error ? error->message : "");
      fail_unless (origin->listen ("127.0.0.1", 0, &error), "listen: %s",
                   error ? error->message : "");
    });
    session.reset (soup_session_new ());
    soup_session_set_proxy_resolver (session.get (), nullptr);
    if (cert) {
      GObjectPtr<GTlsDatabase> trusted (g_tls_file_database_new (
          cert->certificate_file ().c_str (), nullptr));
      fail_unless (trusted != nullptr);
      soup_session_set_tls_database (session.get (), trusted.get ());
    }
  }

  ~Fixture ()
  {
    session.reset ();
    thread.invoke_sync ([this] { delete origin; });
    thread.stop ();
  }

  std::string
  url (const std::string &path) const
  {
    return origin->base_url () + path;
  }

  void
  publish (const std::string &path, const std::string &body,
           const std::string &content_type = {},
           const std::string &cache_control = {})
  {
    thread.invoke_sync ([&] {
      GBytesPtr bytes = make_bytes (body);
      origin->publish (path, bytes.get (), content_type, cache_control);
    });
  }

  HttpOriginStats
  stats ()
  {
    HttpOriginStats copy;
    thread.invoke_sync ([&] { copy = origin->stats (); });
    return copy;
  }

  Response
  request (const char *method, const std::string &path,
           const char *range = nullptr)
  {
    Response response;
    response.msg.reset (soup_message_new (method, url (path).c_str ()));
    if (range)
      soup_message_headers_replace (
          soup_message_get_request_headers (response.msg.get ()), "Range",
          range);
    GError *error = nullptr;
    GBytesPtr body (soup_session_send_and_read (
        session.get (), response.msg.get (), nullptr, &error));
    fail_unless (body != nullptr, "%s %s: %s", method, path.c_str (),
                 error ? error->message : "");
    response.status = soup_message_get_status (response.msg.get ());
    gsize size;
    auto data
        = static_cast<const char *> (g_bytes_get_data (body.get (), &size));
    response.body.assign (data ? data : "", size);
    return response;
  }

  p2p::EngineThread thread;
  HttpOrigin *origin = nullptr;
  GObjectPtr<SoupSession> session;
};
Fixture *fixture = nullptr;
TestCertificate *certificate = nullptr;

void
setup ()
{
  fixture = new Fixture ();
}

void
setup_https ()
{
  certificate = new TestCertificate ();
  fixture = new Fixture (certificate);
}

void
teardown ()
{
  delete fixture;
  fixture = nullptr;
  delete certificate;
  certificate = nullptr;
}

} // namespace

GST_START_TEST (test_origin_content_types)
{
  fail_unless (fixture->origin->port () > 0);
  assert_equals_std_string (HttpOrigin::content_type_for_path ("/a/b.m3u8"),
                            "application/vnd.apple.mpegurl");
  assert_equals_std_string (HttpOrigin::content_type_for_path ("/x.ts"),
                            "video/mp2t");
  assert_equals_std_string (HttpOrigin::content_type_for_path ("/init.mp4"),
                            "video/mp4");
  assert_equals_std_string (HttpOrigin::content_type_for_path ("/1.m4s"),
                            "video/iso.segment");
  assert_equals_std_string (HttpOrigin::content_type_for_path ("/blob"),
                            "application/octet-stream");

  fixture->publish ("/live/index.m3u8", kPlaylist);
  fixture->publish ("/live/seg1.ts", pattern (5000));
  fixture->publish ("/live/init.mp4", pattern (100));
  fixture->publish ("/live/seg2.m4s", pattern (200));

  Response r = fixture->request ("GET", "/live/index.m3u8");
  fail_unless_equals_int (r.status, 200);
  fail_unless (r.body == kPlaylist);
  assert_equals_std_string (r.header ("Content-Type"),
                            "application/vnd.apple.mpegurl");
  assert_equals_std_string (r.header ("Cache-Control"), "no-cache");
  assert_equals_std_string (r.header ("Access-Control-Allow-Origin"), "*");

  r = fixture->request ("GET", "/live/seg1.ts");
  fail_unless_equals_int (r.status, 200);
  fail_unless (r.body == pattern (5000));
  assert_equals_std_string (r.header ("Content-Type"), "video/mp2t");
  assert_equals_std_string (r.header ("Cache-Control"), "<none>");
  assert_equals_std_string (r.header ("Accept-Ranges"), "bytes");
  assert_equals_std_string (r.header ("Access-Control-Allow-Origin"), "*");

  r = fixture->request ("GET", "/live/init.mp4");
  assert_equals_std_string (r.header ("Content-Type"), "video/mp4");
  r = fixture->request ("GET", "/live/seg2.m4s");
  assert_equals_std_string (r.header ("Content-Type"), "video/iso.segment");

  /* Explicit type and caching win. */
  fixture->publish ("/live/other.bin", "xyz", "video/mp2t",
                    "max-age=60, immutable");
  r = fixture->request ("GET", "/live/other.bin");
  assert_equals_std_string (r.header ("Content-Type"), "video/mp2t");
  assert_equals_std_string (r.header ("Cache-Control"),
                            "max-age=60, immutable");
}

GST_END_TEST;

GST_START_TEST (test_origin_head)
{
  fixture->publish ("/live/seg1.ts", pattern (5000));
  Response r = fixture->request ("HEAD", "/live/seg1.ts");
  fail_unless_equals_int (r.status, 200);
  fail_unless (r.body.empty ());
  assert_equals_std_string (r.header ("Content-Length"), "5000");
  assert_equals_std_string (r.header ("Content-Type"), "video/mp2t");
  assert_equals_std_string (r.header ("Access-Control-Allow-Origin"), "*");

  HttpOriginStats stats = fixture->stats ();
  fail_unless_equals_int (stats.segment.requests, 1);
  fail_unless_equals_int (stats.segment.bytes, 0);
}

GST_END_TEST;

GST_START_TEST (test_origin_range)
{
  const std::string body = pattern (5000);
  fixture->publish ("/live/seg1.ts", body);

  Response r = fixture->request ("GET", "/live/seg1.ts", "bytes=100-1099");
  fail_unless_equals_int (r.status, 206);
  fail_unless (r.body == body.substr (100, 1000));
  assert_equals_std_string (r.header ("Content-Range"), "bytes 100-1099/5000");
  assert_equals_std_string (r.header ("Access-Control-Allow-Origin"), "*");

  r = fixture->request ("GET", "/live/seg1.ts", "bytes=-10");
  fail_unless_equals_int (r.status, 206);
  fail_unless (r.body == body.substr (4990));

  r = fixture->request ("GET", "/live/seg1.ts", "bytes=6000-7000");
  fail_unless_equals_int (r.status, 416);

  /* Egress counts what was sent, not the resource size. */
  HttpOriginStats stats = fixture->stats ();
  fail_unless_equals_int (stats.segment.requests, 3);
  fail_unless_equals_int (stats.segment.bytes, 1010);
}

GST_END_TEST;

GST_START_TEST (test_origin_not_found_and_methods)
{
  fixture->publish ("/live/seg1.ts", "abc");

  Response r = fixture->request ("GET", "/live/seg9.ts");
  fail_unless_equals_int (r.status, 404);
  assert_equals_std_string (r.header ("Access-Control-Allow-Origin"), "*");

  r = fixture->request ("POST", "/live/seg1.ts");
  fail_unless_equals_int (r.status, 405);
  assert_equals_std_string (r.header ("Allow"), "GET, HEAD, OPTIONS");
  r = fixture->request ("DELETE", "/live/seg1.ts");
  fail_unless_equals_int (r.status, 405);

  /* A CORS preflight. */
  r = fixture->request ("OPTIONS", "/live/seg1.ts");
  fail_unless_equals_int (r.status, 204);
  assert_equals_std_string (r.header ("Access-Control-Allow-Origin"), "*");
  assert_equals_std_string (r.header ("Access-Control-Allow-Methods"),
                            "GET, HEAD, OPTIONS");
  assert_equals_std_string (r.header ("Access-Control-Allow-Headers"), "Range");

  bool removed = false;
  fixture->thread.invoke_sync (
      [&] { removed = fixture->origin->remove ("/live/seg1.ts"); });
  fail_unless (removed);
  r = fixture->request ("GET", "/live/seg1.ts");
  fail_unless_equals_int (r.status, 404);

  HttpOriginStats stats = fixture->stats ();
  fail_unless_equals_int (stats.not_found, 2);
  fail_unless_equals_int (stats.method_not_allowed, 2);
  fail_unless_equals_int (stats.segment.requests, 0);
}

GST_END_TEST;

GST_START_TEST (test_origin_counters)
{
  fixture->publish ("/live/index.m3u8", kPlaylist);
  fixture->publish ("/live/seg1.ts", pattern (3000));
  fixture->publish ("/live/seg2.ts", pattern (7000));

  for (int i = 0; i < 3; i++)
    fixture->request ("GET", "/live/index.m3u8");
  fixture->request ("GET", "/live/seg1.ts");
  fixture->request ("GET", "/live/seg2.ts");
  fixture->request ("GET", "/live/seg2.ts");

  HttpOriginStats stats = fixture->stats ();
  fail_unless_equals_int (stats.playlist.requests, 3);
  fail_unless_equals_int (stats.playlist.bytes, 3 * kPlaylist.size ());
  fail_unless_equals_int (stats.segment.requests, 3);
  fail_unless_equals_int (stats.segment.bytes, 3000 + 2 * 7000);
  fail_unless_equals_int (stats.other.requests, 0);
  fail_unless_equals_int (stats.of (OriginResourceKind::SEGMENT).bytes, 17000);

  /* A new playlist replaces the old one. */
  const std::string next = kPlaylist + "#EXTINF:2.0,\nseg2.ts\n";
  fixture->publish ("/live/index.m3u8", next);
  Response r = fixture->request ("GET", "/live/index.m3u8");
  fail_unless (r.body == next);
}

GST_END_TEST;

GST_START_TEST (test_origin_extra_handlers)
{
  fixture->thread.invoke_sync ([] {
    fixture->origin->add_handler (
        "/", [] (SoupServerMessage *msg, const std::string &) {
          soup_server_message_set_status (msg, 200, nullptr);
          soup_server_message_set_response (msg, "text/plain",
                                            SOUP_MEMORY_STATIC, "root", 4);
        });
    fixture->origin->add_handler (
        "/stats", [] (SoupServerMessage *msg, const std::string &path) {
          std::string body = "{\"path\":\"" + path + "\"}";
          soup_server_message_set_status (msg, 200, nullptr);
          soup_server_message_set_response (msg, "application/json",
                                            SOUP_MEMORY_COPY, body.data (),
                                            body.size ());
        });
  });
  fixture->publish ("/live/seg1.ts", "abc");

  Response r = fixture->request ("GET", "/stats.json");
  fail_unless_equals_int (r.status, 200);
  assert_equals_std_string (r.body, "{\"path\":\"/stats.json\"}");
  assert_equals_std_string (r.header ("Access-Control-Allow-Origin"), "*");

  r = fixture->request ("GET", "/player.html");
  assert_equals_std_string (r.body, "root");

  /* Published paths go first. */
  r = fixture->request ("GET", "/live/seg1.ts");
  assert_equals_std_string (r.body, "abc");

  HttpOriginStats stats = fixture->stats ();
  fail_unless_equals_int (stats.other.requests, 2);
  fail_unless_equals_int (stats.other.bytes, 22 + 4);
  fail_unless_equals_int (stats.segment.requests, 1);
}

GST_END_TEST;

GST_START_TEST (test_origin_concurrent_clients)
{
  constexpr gsize kSize = 1024 * 1024;
  constexpr int kClients = 16;
  const std::string body = pattern (kSize);
  fixture->publish ("/live/seg1.ts", body);

  p2p::test::ThreadContext context;
  p2p::net::HttpFetcherOptions options;
  options.max_connections_per_host = 8;
  options.retries = 0;
  auto fetcher = std::make_unique<p2p::net::HttpFetcher> (options);
  int done = 0;
  int ok = 0;
  for (int i = 0; i < kClients; i++) {
    fetcher->fetch (
        fixture->url ("/live/seg1.ts"), [&] (p2p::net::HttpResult result) {
          done++;
          gsize size = 0;
          const void *data = result.ok ()
                                 ? g_bytes_get_data (result.body.get (), &size)
                                 : nullptr;
          if (size == kSize && memcmp (data, body.data (), kSize) == 0)
            ok++;
        });
  }
  fail_unless (context.run_until ([&] { return done == kClients; }, 20000));
  fail_unless_equals_int (ok, kClients);
  fetcher.reset ();

  HttpOriginStats stats = fixture->stats ();
  fail_unless_equals_int (stats.segment.requests, kClients);
  fail_unless_equals_int (stats.segment.bytes, (guint64)kClients * kSize);
}

GST_END_TEST;

GST_START_TEST (test_origin_listen_errors)
{
  fixture->thread.invoke_sync ([] {
    GError *error = nullptr;
    HttpOrigin bad;
    fail_if (bad.listen ("not-an-address", 0, &error));
    fail_unless (g_error_matches (error, GST_P2P_ERROR, GST_P2P_ERROR_IO));
    g_clear_error (&error);
    fail_unless_equals_int (bad.port (), 0);

    /* The fixture's port is taken. */
    HttpOrigin busy;
    fail_if (busy.listen ("127.0.0.1", fixture->origin->port (), &error));
    fail_unless (g_error_matches (error, GST_P2P_ERROR, GST_P2P_ERROR_IO));
    g_clear_error (&error);
  });
  fail_unless (g_str_has_prefix (fixture->origin->base_url ().c_str (),
                                 "http://127.0.0.1:"));
}

GST_END_TEST;

/* issue #15: the broadcaster's origin on https, for pages served over
 * https (which may only use wss:// trackers and https resources) */
GST_START_TEST (test_origin_over_https)
{
  fail_unless (fixture->origin->tls ());
  fail_unless (g_str_has_prefix (fixture->origin->base_url ().c_str (),
                                 "https://127.0.0.1:"));
  fixture->publish ("/live/index.m3u8", kPlaylist);
  fixture->publish ("/live/seg1.ts", pattern (100000));
  Response r = fixture->request ("GET", "/live/index.m3u8");
  fail_unless_equals_int (r.status, 200);
  fail_unless (r.body == kPlaylist);
  assert_equals_std_string (r.header ("Access-Control-Allow-Origin"), "*");
  r = fixture->request ("GET", "/live/seg1.ts", "bytes=1000-1999");
  fail_unless_equals_int (r.status, 206);
  fail_unless (r.body == pattern (100000).substr (1000, 1000));

  /* a client that does not trust the certificate gets nothing */
  GObjectPtr<SoupSession> untrusting (soup_session_new ());
  soup_session_set_proxy_resolver (untrusting.get (), nullptr);
  GObjectPtr<SoupMessage> msg (
      soup_message_new ("GET", fixture->url ("/live/index.m3u8").c_str ()));
  GError *error = nullptr;
  GBytesPtr body (soup_session_send_and_read (untrusting.get (), msg.get (),
                                              nullptr, &error));
  fail_unless (body == nullptr);
  fail_unless (error && error->domain == G_TLS_ERROR, "%s",
               error ? error->message : "no error");
  g_clear_error (&error);

  /* files that hold no certificate and key */
  fixture->thread.invoke_sync ([] {
    GError *load_error = nullptr;
    HttpOrigin bad;
    fail_if (bad.use_tls (certificate->key_file (),
                          certificate->key_file () + ".missing", &load_error));
    fail_unless (g_error_matches (load_error, GST_P2P_ERROR, GST_P2P_ERROR_IO));
    g_clear_error (&load_error);
    fail_if (bad.tls ());
  });
}

GST_END_TEST;

/* HttpFetcher on https. A fetch started from the callback of the one
 * before (the viewer asks for a segment once its playlist is in) reuses
 * that fetch's connection: one TLS handshake, not one per fetch. A
 * certificate the fetcher does not trust fails at the first attempt: the
 * next one would meet the same certificate. */
GST_START_TEST (test_fetcher_over_https)
{
  std::vector<guint> ports; /* on the origin's thread */
  fixture->thread.invoke_sync ([&] {
    fixture->origin->add_handler (
        "/port", [&] (SoupServerMessage *msg, const std::string &) {
          GSocketAddress *remote = soup_server_message_get_remote_address (msg);
          ports.push_back (
              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (remote)));
          soup_server_message_set_status (msg, 200, nullptr);
          soup_server_message_set_response (msg, "text/plain",
                                            SOUP_MEMORY_STATIC, "port", 4);
        });
  });
  const std::string url = fixture->url ("/port");

  p2p::test::ThreadContext context;
  p2p::net::HttpFetcherOptions options;
  options.retries = 2;
  options.retry_backoff_factor = 0;
  options.tls_database.reset (
      g_tls_file_database_new (certificate->certificate_file ().c_str (),
                               nullptr),
      g_object_unref);
  fail_unless (options.tls_database != nullptr);
  {
    p2p::net::HttpFetcher fetcher (options);
    int done = 0;
    std::function<void (p2p::net::HttpResult)> next
        = [&] (p2p::net::HttpResult result) {
            fail_unless (result.ok (), "%s", result.error->message);
            fail_unless_equals_int (result.attempts, 1);
            if (++done < 3)
              fetcher.fetch (url, next);
          };
    fetcher.fetch (url, next);
    fail_unless (context.run_until ([&] { return done == 3; }, 20000));
  }
  fixture->thread.invoke_sync ([&] {
    fail_unless_equals_int (ports.size (), 3);
    fail_unless_equals_int (ports[1], ports[0]);
    fail_unless_equals_int (ports[2], ports[0]);
  });

  options.tls_database.reset ();
  p2p::net::HttpFetcher untrusting (options);
  std::optional<p2p::net::HttpResult> result;
  untrusting.fetch (url,
                    [&] (p2p::net::HttpResult r) { result = std::move (r); });
  fail_unless (context.run_until ([&] { return result.has_value (); }, 20000));
  fail_unless (g_error_matches (result->error.get (), GST_P2P_ERROR,
                                GST_P2P_ERROR_NETWORK),
               "%s", result->error ? result->error->message : "no error");
  fail_unless_equals_int (result->attempts, 1);
  fixture->thread.invoke_sync (
      [&] { fail_unless_equals_int (ports.size (), 3); });
}

GST_END_TEST;

static Suite *
http_origin_suite (void)
{
  Suite *s = suite_create ("http-origin");
  TCase *tc = tcase_create ("general");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_origin_content_types);
  tcase_add_test (tc, test_origin_head);
  tcase_add_test (tc, test_origin_range);
  tcase_add_test (tc, test_origin_not_found_and_methods);
  tcase_add_test (tc, test_origin_counters);
  tcase_add_test (tc, test_origin_extra_handlers);
  tcase_add_test (tc, test_origin_concurrent_clients);
  tcase_add_test (tc, test_origin_listen_errors);
  suite_add_tcase (s, tc);
  TCase *https = tcase_create ("https");
  tcase_add_checked_fixture (https, setup_https, teardown);
  tcase_add_test (https, test_origin_over_https);
  tcase_add_test (https, test_fetcher_over_https);
  suite_add_tcase (s, https);
  return s;
}

GST_CHECK_MAIN (http_origin);
