/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2phlssrc against a scripted loopback HTTP server: URI handling, VOD and
 * live playback, gaps, variant choice, and hostile servers and playlists,
 * which must end in a clear warning or element error, never a hang.
 */
#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>

#include "tests/common/scripted-server.h"
#include "tests/common/test-utils.h"

using namespace p2p;
using namespace p2p::test;

namespace {

/* check's own factor for its timeouts (scripts/sanitize.sh sets 5 for
 * sanitized code, 2-5x slower): the waits for what must come stretch too. */
guint
timeout_multiplier ()
{
  const gchar *value = g_getenv ("CK_TIMEOUT_MULTIPLIER");
  guint64 factor = value ? g_ascii_strtoull (value, nullptr, 10) : 1;
  return factor >= 1 && factor <= 100 ? (guint)factor : 1;
}

/* Long enough for a playlist reload (target duration 1 s) and a retry. */
const guint kWaitMs = 4000 * timeout_multiplier ();

/* Segments "/<dir>seg<N>.ts" with distinct payloads, and media playlists
 * listing them. */
class Stream
{
public:
  explicit Stream (ScriptedServer &server, const std::string &dir = "/")
      : server_ (server), dir_ (dir)
  {
  }

  void
  add_segments (gint64 first, gint64 last, gsize size = 2000)
  {
    for (gint64 seq = first; seq <= last; seq++) {
      /* Vary sizes; one above the fetcher's 64 KiB read chunk. */
      gsize bytes = seq % 4 == 1 ? 70000 : size + 188 * (seq % 3);
      GBytesPtr payload = make_payload (bytes, static_cast<guint> (seq + 1));
      payloads_[seq] = bytes_to_string (payload.get ());
      server_.set_bytes (segment_path (seq), payload.get ());
    }
  }

  void
  set_playlist (const std::string &name, gint64 first, gint64 last,
                bool end_list, const std::string &extra_header = {})
  {
    std::string text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n"
                       "#EXT-X-MEDIA-SEQUENCE:"
                       + std::to_string (first) + "\n" + extra_header;
    for (gint64 seq = first; seq <= last; seq++)
      text += "#EXTINF:1.000,\nseg" + std::to_string (seq) + ".ts\n";
    if (end_list)
      text += "#EXT-X-ENDLIST\n";
    server_.set_text (dir_ + name, text);
  }

  /* Segments @first to @last and a live playlist of them, live.m3u8. */
  void
  publish_live (gint64 first, gint64 last)
  {
    add_segments (first, last);
    set_playlist ("live.m3u8", first, last, false);
  }

  std::string
  segment_path (gint64 seq) const
  {
    return dir_ + "seg" + std::to_string (seq) + ".ts";
  }

  const std::string &
  payload (gint64 seq)
  {
    return payloads_[seq];
  }

private:
  ScriptedServer &server_;
  std::string dir_;
  std::map<gint64, std::string> payloads_;
};

/* p2phlssrc in a harness, short retries and timeouts, its own bus. */
struct SrcFixture
{
  SrcFixture (const std::string &url,
              const std::function<void (GstElement *)> &configure = {})
      : element (gst_element_factory_make ("p2phlssrc", nullptr)),
        bus (gst_bus_new ())
  {
    fail_unless (element != nullptr);
    g_object_set (element, "location", url.c_str (), "retries", 1, "timeout",
                  1u, "stats-interval", 0u, nullptr);
    if (configure)
      configure (element);
    gst_element_set_bus (element, bus);
    h = gst_harness_new_with_element (element, nullptr, "src");
    gst_harness_play (h);
  }

  ~SrcFixture ()
  {
    gst_harness_teardown (h);
    /* Messages left on the bus hold the element, which holds the bus. */
    gst_bus_set_flushing (bus, TRUE);
    gst_object_unref (element);
    gst_object_unref (bus);
  }

  /* The next buffers must be segment @seq with its exact bytes: one
   * buffer, or several when it was streamed while downloading, the first
   * one DISCONT if @discont. */
  void
  expect_segment (gint64 seq, const std::string &bytes, bool discont)
  {
    std::string received;
    while (received.size () < bytes.size ()) {
      GstBufferPtr buffer = pull_buffer (h, kWaitMs);
      fail_unless (buffer != nullptr,
                   "segment %" G_GINT64_FORMAT
                   " did not come (%zu bytes of it did)",
                   seq, received.size ());
      fail_unless_equals_int64 ((gint64)GST_BUFFER_OFFSET (buffer.get ()), seq);
      fail_unless_equals_int (
          GST_BUFFER_FLAG_IS_SET (buffer.get (), GST_BUFFER_FLAG_DISCONT),
          discont && received.empty ());
      received += buffer_to_string (buffer.get ());
    }
    assert_bytes_equal (received, bytes);
  }

  /* The first error on the bus, or a failed check. */
  GError *
  expect_error (guint timeout_ms = kWaitMs)
  {
    GstMessagePtr message = wait_message (bus, GST_MESSAGE_ERROR, timeout_ms);
    fail_unless (message != nullptr, "no error message");
    GError *error = nullptr;
    gst_message_parse_error (message.get (), &error, nullptr);
    return error;
  }

  std::string
  expect_warning (guint timeout_ms = kWaitMs)
  {
    GstMessagePtr message = wait_message (bus, GST_MESSAGE_WARNING, timeout_ms);
    fail_unless (message != nullptr, "no warning message");
    GError *error = nullptr;
    gst_message_parse_warning (message.get (), &error, nullptr);
    std::string text = error->message;
    g_error_free (error);
    return text;
  }

  void
  expect_no_error ()
  {
    fail_unless (wait_message (bus, GST_MESSAGE_ERROR, 100) == nullptr);
  }

  guint64
  stat (const char *field)
  {
    GstStructure *stats = nullptr;
    g_object_get (element, "stats", &stats, nullptr);
    guint64 value = G_MAXUINT64;
    fail_unless (gst_structure_get_uint64 (stats, field, &value), "%s", field);
    gst_structure_free (stats);
    return value;
  }

  GstElement *element;
  GstBus *bus;
  GstHarness *h = nullptr;
};

/* A SrcFixture configuration: live playback @segments behind the edge. */
std::function<void (GstElement *)>
live_delay (guint segments)
{
  return [segments] (GstElement *src) {
    g_object_set (src, "live-delay", segments, nullptr);
  };
}

void
check_error (GError *error, GQuark domain, gint code, const char *mentions)
{
  fail_unless (error->domain == domain, "wrong error domain: %s",
               error->message);
  if (code >= 0)
    fail_unless_equals_int (error->code, code);
  fail_unless (strstr (error->message, mentions) != nullptr,
               "\"%s\" does not mention \"%s\"", error->message, mentions);
  g_error_free (error);
}

/* An https server on 127.0.0.1 with a self-signed certificate made at run
 * time by the openssl tool: a one-segment VOD at /playlist.m3u8 and a
 * WebSocket endpoint at /tracker that counts the connections it accepts. */
class TlsServer
{
public:
  TlsServer () : dir_ ("p2phlssrc-tls-XXXXXX")
  {
    const std::string cert = certificate_file (), key = dir_.file ("key.pem");
    const gchar *argv[] = { "openssl",
                            "req",
                            "-x509",
                            "-newkey",
                            "ec",
                            "-pkeyopt",
                            "ec_paramgen_curve:P-256",
                            "-nodes",
                            "-days",
                            "1",
                            "-subj",
                            "/CN=gst-p2p test",
                            "-addext",
                            "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-addext",
                            "basicConstraints=critical,CA:TRUE",
                            "-keyout",
                            key.c_str (),
                            "-out",
                            cert.c_str (),
                            nullptr };
    gint status = -1;
    fail_unless (g_spawn_sync (nullptr, const_cast<gchar **> (argv), nullptr,
                               (GSpawnFlags)(G_SPAWN_SEARCH_PATH
                                             | G_SPAWN_STDOUT_TO_DEV_NULL
                                             | G_SPAWN_STDERR_TO_DEV_NULL),
                               nullptr, nullptr, nullptr, nullptr, &status,
                               nullptr)
                 && g_spawn_check_wait_status (status, nullptr));
    engine_.invoke_sync ([&] {
      GErrorOut error;
      GObjectPtr<GTlsCertificate> certificate (
          g_tls_certificate_new_from_files (cert.c_str (), key.c_str (),
                                            error.out ()));
      fail_unless (certificate != nullptr, "%s", error.get ()->message);
      server_.reset (
          soup_server_new ("tls-certificate", certificate.get (), nullptr));
      soup_server_add_handler (server_.get (), nullptr, serve, this, nullptr);
      soup_server_add_websocket_handler (server_.get (), "/tracker", nullptr,
                                         nullptr, accept_websocket, this,
                                         nullptr);
      GObjectPtr<GInetAddress> loopback (
          g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
      GObjectPtr<GSocketAddress> address (
          g_inet_socket_address_new (loopback.get (), 0));
      fail_unless (soup_server_listen (server_.get (), address.get (),
                                       SOUP_SERVER_LISTEN_HTTPS, error.out ()),
                   "%s", error ? error.get ()->message : "");
      /* The port from the listening socket, as HttpOrigin reads it, not
       * from soup_server_get_uris (): libsoup 3.2 caches the address that
       * one reads in its listener and never frees it (a leak under our
       * frame in scripts/sanitize.sh). */
      GSList *listeners = soup_server_get_listeners (server_.get ());
      fail_unless (listeners != nullptr);
      GObjectPtr<GSocketAddress> bound (
          g_socket_get_local_address (G_SOCKET (listeners->data), nullptr));
      g_slist_free (listeners);
      fail_unless (bound != nullptr);
      port_ = g_inet_socket_address_get_port (
          G_INET_SOCKET_ADDRESS (bound.get ()));
    });
  }

  ~TlsServer ()
  {
    engine_.invoke_sync ([this] {
      websockets_.clear ();
      server_.reset ();
    });
  }

  std::string
  url (const std::string &scheme, const std::string &path) const
  {
    return scheme + "://127.0.0.1:" + std::to_string (port_) + path;
  }
  std::string
  certificate_file () const
  {
    return dir_.file ("certificate.pem");
  }
  guint
  websockets () const
  {
    return websocket_count_;
  }

  static constexpr const char *kSegment = "\x47 one segment";

private:
  static void
  serve (SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
         gpointer) noexcept
  {
    std::string body, type = "video/mp2t";
    if (strcmp (path, "/playlist.m3u8") == 0) {
      body = "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nseg0.ts\n"
             "#EXT-X-ENDLIST\n";
      type = "application/vnd.apple.mpegurl";
    } else if (strcmp (path, "/seg0.ts") == 0) {
      body = kSegment;
    } else {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, nullptr);
      return;
    }
    soup_server_message_set_response (msg, type.c_str (), SOUP_MEMORY_COPY,
                                      body.data (), body.size ());
    soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
  }

  static void
  accept_websocket (SoupServer *, SoupServerMessage *, const char *,
                    SoupWebsocketConnection *connection, gpointer data) noexcept
  {
    auto self = static_cast<TlsServer *> (data);
    self->websockets_.emplace_back (
        SOUP_WEBSOCKET_CONNECTION (g_object_ref (connection)));
    self->websocket_count_++;
  }

  TempDir dir_;
  EngineThread engine_{ "tls-server" };
  GObjectPtr<SoupServer> server_;
  std::vector<GObjectPtr<SoupWebsocketConnection>> websockets_;
  std::atomic<guint> websocket_count_{ 0 };
  guint16 port_ = 0;
};

} // namespace

GST_START_TEST (test_uri_handler)
{
  fail_unless (gst_uri_protocol_is_supported (GST_URI_SRC, "p2phls+http"));
  fail_unless (gst_uri_protocol_is_supported (GST_URI_SRC, "p2phls+https"));

  const char *uri = "p2phls+http://127.0.0.1:8080/live/playlist.m3u8";
  GError *error = nullptr;
  GstElement *src
      = gst_element_make_from_uri (GST_URI_SRC, uri, nullptr, &error);
  fail_unless (src != nullptr, "%s", error ? error->message : "");
  GstElementFactory *factory = gst_element_get_factory (src);
  assert_strings_equal (GST_OBJECT_NAME (factory), "p2phlssrc");
  GstURIHandler *handler = GST_URI_HANDLER (src);
  fail_unless_equals_int (gst_uri_handler_get_uri_type (handler), GST_URI_SRC);
  const gchar *const *protocols = gst_uri_handler_get_protocols (handler);
  fail_unless (g_strv_contains (protocols, "p2phls+http"));
  fail_unless (g_strv_contains (protocols, "p2phls+https"));

  gchar *location = nullptr;
  g_object_get (src, "location", &location, nullptr);
  assert_strings_equal (location, "http://127.0.0.1:8080/live/playlist.m3u8");
  g_free (location);
  gchar *got = gst_uri_handler_get_uri (handler);
  assert_strings_equal (got, uri);
  g_free (got);

  fail_unless (gst_uri_handler_set_uri (
      handler, "p2phls+https://example.invalid/x.m3u8", nullptr));
  g_object_get (src, "location", &location, nullptr);
  assert_strings_equal (location, "https://example.invalid/x.m3u8");
  g_free (location);

  /* The location property takes plain http(s) URLs. */
  g_object_set (src, "location", "http://127.0.0.1:1/a.m3u8", nullptr);
  got = gst_uri_handler_get_uri (handler);
  assert_strings_equal (got, "p2phls+http://127.0.0.1:1/a.m3u8");
  g_free (got);

  /* Other schemes never reach the element; ours must be valid http(s). */
  const std::pair<const char *, GstURIError> bad_uris[] = {
    { "file:///tmp/x.m3u8", GST_URI_ERROR_UNSUPPORTED_PROTOCOL },
    { "p2phls+ftp://h/x.m3u8", GST_URI_ERROR_UNSUPPORTED_PROTOCOL },
    { "not a uri", GST_URI_ERROR_BAD_URI },
    { "p2phls+http://", GST_URI_ERROR_BAD_URI },
    { "p2phls+http://[::1/x.m3u8", GST_URI_ERROR_BAD_URI },
  };
  for (const auto &[bad, code] : bad_uris) {
    GError *bad_error = nullptr;
    fail_if (gst_uri_handler_set_uri (handler, bad, &bad_error), "%s", bad);
    fail_unless (g_error_matches (bad_error, GST_URI_ERROR, code), "%s: %s",
                 bad, bad_error->message);
    g_error_free (bad_error);
    got = gst_uri_handler_get_uri (handler);
    assert_strings_equal (got, "p2phls+http://127.0.0.1:1/a.m3u8");
    g_free (got);
  }
  gst_object_unref (src);
}
GST_END_TEST;

/* What p2phlssrc refuses before it starts gives one element error saying
 * what is wrong, not basesrc's "failed to post a proper error message". */
struct SettingsCase
{
  const char *property;
  const char *value;
  gint code;
  const char *mentions;
};

static const SettingsCase settings_cases[] = {
  { nullptr, nullptr, GST_RESOURCE_ERROR_NOT_FOUND, "No URL set" },
  { "location", "ftp://127.0.0.1/live.m3u8", GST_RESOURCE_ERROR_NOT_FOUND,
    "ftp://127.0.0.1/live.m3u8" },
  { "trackers", "ftp://x", GST_RESOURCE_ERROR_SETTINGS, "ftp://x" },
  { "trackers", "ws://127.0.0.1:1, http://127.0.0.1:2",
    GST_RESOURCE_ERROR_SETTINGS, "http://127.0.0.1:2" },
  { "ssl-ca-file", "/nonexistent/ca.pem", GST_RESOURCE_ERROR_OPEN_READ,
    "/nonexistent/ca.pem" },
};

GST_START_TEST (test_bad_settings)
{
  const SettingsCase &c = settings_cases[__i__];
  GstElement *src = gst_element_factory_make ("p2phlssrc", nullptr);
  if (c.property) {
    if (strcmp (c.property, "location") != 0)
      g_object_set (src, "location", "http://127.0.0.1:1/a.m3u8", nullptr);
    g_object_set (src, c.property, c.value, nullptr);
  }
  std::vector<GErrorPtr> errors = start_errors (src);
  fail_unless_equals_int (errors.size (), 1);
  check_error (errors.front ().release (), GST_RESOURCE_ERROR, c.code,
               c.mentions);
  gst_object_unref (src);
}
GST_END_TEST;

/* The engine thread takes the element's object lock to post its
 * statistics message; reading `stats` waits for that thread, so it must
 * not hold the lock meanwhile. */
GST_START_TEST (test_stats_while_posting_statistics)
{
  ScriptedServer server;
  Stream stream (server);
  stream.publish_live (0, 5);
  SrcFixture f (server.url ("/live.m3u8"), [] (GstElement *src) {
    g_object_set (src, "stats-interval", 1u, nullptr);
  });
  std::atomic<guint> reads{ 0 };
  std::thread reader ([&] {
    for (guint i = 0; i < 3000; i++) {
      GstStructure *stats = nullptr;
      g_object_get (f.element, "stats", &stats, nullptr);
      gst_structure_free (stats);
      reads++;
    }
  });
  /* A deadlock leaves the reader stuck: the check fails rather than hang. */
  const gint64 deadline = g_get_monotonic_time () + 20 * G_TIME_SPAN_SECOND;
  while (reads < 3000 && g_get_monotonic_time () < deadline)
    g_usleep (10000);
  fail_unless_equals_int (reads.load (), 3000);
  reader.join ();
}
GST_END_TEST;

/* https origins and wss:// trackers signed by a CA the system does not
 * know, trusted through ssl-ca-file or tls-database as with souphttpsrc.
 *
 * What is checked is trust, not speed: the element's timeout is as long as
 * the test's own waits, not the fixture's 1 s. Each attempt on https
 * starts with a TLS handshake, which takes 15-80 ms here but 0.8-1.8 s
 * under AddressSanitizer (its slow unwinder runs at every allocation, and
 * a handshake allocates a lot) on a loaded machine; a retry after 1 s only
 * starts the handshake again. */
GST_START_TEST (test_private_ca)
{
  TlsServer server;
  const std::string tracker = server.url ("wss", "/tracker");
  auto patient = [] (GstElement *src) {
    g_object_set (src, "timeout", kWaitMs / 1000, nullptr);
  };
  {
    /* Not trusted: the playlist cannot be loaded. */
    SrcFixture f (server.url ("https", "/playlist.m3u8"), patient);
    check_error (f.expect_error (), GST_RESOURCE_ERROR, -1, "playlist.m3u8");
  }
  for (bool as_database : { false, true }) {
    guint websockets = server.websockets ();
    SrcFixture f (
        server.url ("https", "/playlist.m3u8"), [&] (GstElement *src) {
          patient (src);
          g_object_set (src, "trackers", tracker.c_str (), "ice-addresses",
                        "127.0.0.1", nullptr);
          if (!as_database) {
            g_object_set (src, "ssl-ca-file",
                          server.certificate_file ().c_str (), nullptr);
            return;
          }
          GErrorOut error;
          GObjectPtr<GTlsDatabase> database (g_tls_file_database_new (
              server.certificate_file ().c_str (), error.out ()));
          fail_unless (database != nullptr);
          g_object_set (src, "tls-database", database.get (), nullptr);
        });
    f.expect_segment (0, TlsServer::kSegment, true);
    fail_unless (wait_eos (f.h, kWaitMs));
    fail_unless (
        poll_until ([&] { return server.websockets () > websockets; }, kWaitMs),
        "the wss:// tracker was not reached (tls-database: %d)", as_database);
  }
}
GST_END_TEST;

GST_START_TEST (test_vod)
{
  ScriptedServer server;
  Stream stream (server);
  stream.add_segments (7, 10);
  stream.set_playlist ("playlist.m3u8", 7, 10, true,
                       "#EXT-X-PLAYLIST-TYPE:VOD\n");
  SrcFixture f (server.url ("/playlist.m3u8"));

  for (gint64 seq = 7; seq <= 10; seq++)
    f.expect_segment (seq, stream.payload (seq), seq == 7);
  fail_unless (wait_eos (f.h, kWaitMs), "no EOS after the last segment");

  guint64 bytes = 0;
  for (gint64 seq = 7; seq <= 10; seq++) {
    fail_unless_equals_int (server.requests (stream.segment_path (seq)), 1);
    bytes += stream.payload (seq).size ();
  }
  fail_unless_equals_uint64 (f.stat ("http-segments"), 4);
  fail_unless_equals_uint64 (f.stat ("http-bytes"), bytes);
  fail_unless_equals_uint64 (f.stat ("playlist-reloads"), 1);
  fail_unless_equals_uint64 (f.stat ("peer-bytes"), 0);
  fail_unless_equals_uint64 (f.stat ("segments-skipped"), 0);
  f.expect_no_error ();
}
GST_END_TEST;

GST_START_TEST (test_live_follows_the_edge)
{
  ScriptedServer server;
  Stream stream (server);
  stream.publish_live (10, 14);
  SrcFixture f (server.url ("/live.m3u8"), live_delay (2));

  /* Two segments behind the edge: 13 first. */
  f.expect_segment (13, stream.payload (13), true);
  f.expect_segment (14, stream.payload (14), false);
  for (gint64 seq = 10; seq <= 12; seq++)
    fail_unless_equals_int (server.requests (stream.segment_path (seq)), 0);

  /* The playlist grows: the next reload picks the new segment up. */
  stream.add_segments (15, 15);
  stream.set_playlist ("live.m3u8", 11, 15, false);
  f.expect_segment (15, stream.payload (15), false);
  stream.add_segments (16, 16);
  stream.set_playlist ("live.m3u8", 12, 16, true);
  f.expect_segment (16, stream.payload (16), false);
  fail_unless (wait_eos (f.h, kWaitMs), "no EOS after ENDLIST");
  fail_unless (f.stat ("playlist-reloads") >= 3);
}
GST_END_TEST;

/* startup-wait: the first segment is held until the wait is over, then
 * played as without it. */
GST_START_TEST (test_startup_wait_holds_the_start)
{
  ScriptedServer server;
  Stream stream (server);
  stream.publish_live (10, 14);
  SrcFixture f (server.url ("/live.m3u8"), [] (GstElement *src) {
    g_object_set (src, "live-delay", 2u, "startup-wait", 1500u, nullptr);
  });
  guint wait = 0;
  g_object_get (f.element, "startup-wait", &wait, nullptr);
  fail_unless_equals_int (wait, 1500);

  /* The wait counts from the playlist's arrival, after the start. */
  g_usleep (800 * G_TIME_SPAN_MILLISECOND);
  fail_unless (gst_harness_try_pull (f.h) == nullptr, "played before the wait");
  f.expect_segment (13, stream.payload (13), true);
  f.expect_segment (14, stream.payload (14), false);
  fail_unless_equals_uint64 (f.stat ("stalls"), 0);
}
GST_END_TEST;

GST_START_TEST (test_reload_cadence)
{
  ScriptedServer server;
  Stream stream (server);
  stream.publish_live (0, 2);
  SrcFixture f (server.url ("/live.m3u8"), live_delay (1));
  f.expect_segment (2, stream.payload (2), true);
  guint before = server.requests ("/live.m3u8");
  g_usleep (2200 * G_TIME_SPAN_MILLISECOND);
  /* RFC 8216 §6.3.4: an unchanged playlist is reloaded after half the
   * target duration (1 s here): about four reloads, not a busy loop. */
  guint reloads = server.requests ("/live.m3u8") - before;
  fail_unless (reloads >= 3 && reloads <= 6, "%u reloads in 2.2 s", reloads);
  fail_unless (gst_harness_try_pull (f.h) == nullptr);
}
GST_END_TEST;

GST_START_TEST (test_live_gap_is_discont)
{
  ScriptedServer server;
  Stream stream (server);
  stream.publish_live (0, 3);
  SrcFixture f (server.url ("/live.m3u8"), live_delay (1));
  f.expect_segment (3, stream.payload (3), true);

  /* Segments 4 to 9 come and go before the viewer reloads. */
  stream.add_segments (10, 12);
  stream.set_playlist ("live.m3u8", 10, 12, true);
  f.expect_segment (10, stream.payload (10), true);
  f.expect_segment (11, stream.payload (11), false);
  f.expect_segment (12, stream.payload (12), false);
  fail_unless (wait_eos (f.h, kWaitMs));
  fail_unless_equals_uint64 (f.stat ("segments-skipped"), 6);
  std::string warning = f.expect_warning (100);
  fail_unless (warning.find ("4") != std::string::npos, "%s", warning.c_str ());
}
GST_END_TEST;

GST_START_TEST (test_departed_segment_is_still_fetched)
{
  ScriptedServer server;
  Stream stream (server);
  stream.add_segments (0, 6);
  stream.set_playlist ("live.m3u8", 0, 3, false);
  /* Segment 3 is slow: the window moves past it while it downloads. */
  ScriptedResponse slow;
  slow.body.reset (
      g_bytes_new (stream.payload (3).data (), stream.payload (3).size ()),
      g_bytes_unref);
  slow.delay_ms = 2500;
  server.set (stream.segment_path (3), slow);
  SrcFixture f (server.url ("/live.m3u8"), [] (GstElement *src) {
    g_object_set (src, "live-delay", 2u, "timeout", 5u, nullptr);
  });
  f.expect_segment (2, stream.payload (2), true);
  stream.set_playlist ("live.m3u8", 4, 6, false);

  /* RFC 8216 §6.2.2: a segment that left the playlist stays on the server
   * for a while, so it is played, not skipped. */
  f.expect_segment (3, stream.payload (3), false);
  f.expect_segment (4, stream.payload (4), false);
  fail_unless_equals_uint64 (f.stat ("segments-skipped"), 0);
  fail_unless_equals_int (server.requests (stream.segment_path (3)), 1);
}
GST_END_TEST;

GST_START_TEST (test_awaited_segment_streams)
{
  ScriptedServer server;
  Stream stream (server);
  stream.add_segments (0, 1, 200000);
  stream.set_playlist ("playlist.m3u8", 0, 1, true);
  /* Playback waits for segment 0, whose second half comes 1.5 s late:
   * its first half is pushed meanwhile, like hlsdemux2 does. */
  ScriptedResponse slow;
  slow.content_type = "video/mp2t";
  slow.misbehaviour = Misbehaviour::PAUSE_HALFWAY;
  slow.delay_ms = 1500;
  slow.body.reset (
      g_bytes_new (stream.payload (0).data (), stream.payload (0).size ()),
      g_bytes_unref);
  server.set ("/seg0.ts", slow);
  SrcFixture f (server.url ("/playlist.m3u8"), [] (GstElement *src) {
    g_object_set (src, "timeout", 5u, nullptr);
  });

  GstBufferPtr start = pull_buffer (f.h, 1000);
  fail_unless (start != nullptr, "nothing before the second half came");
  fail_unless (GST_BUFFER_FLAG_IS_SET (start.get (), GST_BUFFER_FLAG_DISCONT));
  fail_unless_equals_int64 ((gint64)GST_BUFFER_OFFSET (start.get ()), 0);
  std::string head = buffer_to_string (start.get ());
  fail_unless (head.size () <= stream.payload (0).size () / 2);
  fail_unless (stream.payload (0).compare (0, head.size (), head) == 0);

  /* The rest follows, once; then segment 1, whole, not streamed: playback
   * no longer waits for it. */
  f.expect_segment (0, stream.payload (0).substr (head.size ()), false);
  f.expect_segment (1, stream.payload (1), false);
  fail_unless (wait_eos (f.h, kWaitMs));
  fail_unless_equals_int (server.requests ("/seg0.ts"), 1);
}
GST_END_TEST;

GST_START_TEST (test_sequence_backwards_warns)
{
  ScriptedServer server;
  Stream stream (server);
  stream.publish_live (20, 23);
  SrcFixture f (server.url ("/live.m3u8"), live_delay (1));
  f.expect_segment (23, stream.payload (23), true);

  /* The server restarted its numbering. */
  stream.publish_live (5, 8);
  std::string warning = f.expect_warning ();
  fail_unless (warning.find ("backwards") != std::string::npos, "%s",
               warning.c_str ());
  /* It starts over, live-delay behind the new edge. */
  f.expect_segment (8, stream.payload (8), true);
}
GST_END_TEST;

struct VariantCase
{
  guint64 max_bitrate;
  guint connection_speed; /* kbit/s */
  const char *expected;
  guint64 expected_bandwidth;
};

static const VariantCase variant_cases[] = {
  { 0, 0, "high", 3000000 },
  { 2000000, 0, "mid", 1500000 },
  { 0, 600, "low", 500000 },
  { 2000000, 1000, "low", 500000 }, /* the smaller limit wins */
  { 100000, 0, "low", 500000 },     /* nothing fits: the lowest */
};

GST_START_TEST (test_master_playlist_variant)
{
  const VariantCase &c = variant_cases[__i__];
  ScriptedServer server;
  server.set_text ("/master.m3u8",
                   "#EXTM3U\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=1500000,RESOLUTION=1280x720\n"
                   "mid/index.m3u8\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=640x360\n"
                   "low/index.m3u8\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1920x1080\n"
                   "high/index.m3u8\n");
  std::map<std::string, std::unique_ptr<Stream>> variants;
  for (const char *name : { "low", "mid", "high" }) {
    auto stream
        = std::make_unique<Stream> (server, std::string ("/") + name + "/");
    stream->add_segments (0, 0, 1000 + strlen (name));
    stream->set_playlist ("index.m3u8", 0, 0, true);
    variants[name] = std::move (stream);
  }

  SrcFixture f (server.url ("/master.m3u8"), [&c] (GstElement *src) {
    g_object_set (src, "max-bitrate", c.max_bitrate, "connection-speed",
                  c.connection_speed, nullptr);
  });
  f.expect_segment (0, variants[c.expected]->payload (0), true);
  fail_unless (wait_eos (f.h, kWaitMs));
  fail_unless_equals_uint64 (f.stat ("bandwidth"), c.expected_bandwidth);
  for (const auto &v : variants) {
    guint requests = server.requests ("/" + v.first + "/index.m3u8");
    fail_unless_equals_int (requests, v.first == c.expected ? 1 : 0);
  }
}
GST_END_TEST;

/* A live master playlist whose high variant the origin throttles for a
 * while: down to the low variant within a few segments, back up once it
 * recovers. */
GST_START_TEST (test_adaptive_bitrate)
{
  ScriptedServer server;
  server.set_text ("/master.m3u8",
                   "#EXTM3U\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=2000000\nhigh/index.m3u8\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=400000\nlow/index.m3u8\n");
  Stream high (server, "/high/"), low (server, "/low/");
  gint64 last = -1;
  /* One more segment of each variant, every second. */
  auto publish = [&] {
    last++;
    high.add_segments (last, last, 250000);
    low.add_segments (last, last, 50000);
    const gint64 first = std::max<gint64> (0, last - 5);
    high.set_playlist ("index.m3u8", first, last, false);
    low.set_playlist ("index.m3u8", first, last, false);
  };
  auto requests = [&] (Stream &variant, gint64 from) {
    guint n = 0;
    for (gint64 seq = from; seq <= last; seq++)
      n += server.requests (variant.segment_path (seq));
    return n;
  };
  for (int i = 0; i < 6; i++)
    publish ();
  SrcFixture f (server.url ("/master.m3u8"), [] (GstElement *src) {
    g_object_set (src, "live-delay", 3u, "timeout", 5u, nullptr);
  });
  /* Publishes every second, playback taking what comes; the seconds until
   * @done, -1 if not within @seconds. */
  auto run = [&] (int seconds, const std::function<bool ()> &done) {
    for (int second = 1; second <= seconds; second++) {
      for (int i = 0; i < 20; i++) {
        while (GstBuffer *buffer = gst_harness_try_pull (f.h))
          gst_buffer_unref (buffer);
        g_usleep (50 * G_TIME_SPAN_MILLISECOND);
      }
      publish ();
      if (done ())
        return second;
    }
    return -1;
  };

  run (4, [] { return false; });
  fail_unless_equals_int (requests (low, 0), 0);
  fail_unless (requests (high, 0) > 0);

  server.throttle ("/high/", 100000);
  const int down = run (6, [&] { return requests (low, 0) > 0; });
  fail_unless (down > 0 && down <= 3, "down after %d s", down);

  server.throttle ("/high/", 0);
  const gint64 recovered = last;
  const int up = run (20, [&] { return requests (high, recovered) > 0; });
  fail_unless (up > 0 && up <= 15, "back up after %d s", up);
  fail_unless (f.stat ("variant-switches") >= 2);
  fail_unless (f.stat ("bandwidth-estimate") > 0);
  f.expect_no_error ();
}
GST_END_TEST;

GST_START_TEST (test_encrypted_is_stream_error)
{
  ScriptedServer server;
  Stream stream (server);
  stream.add_segments (0, 1);
  stream.set_playlist ("enc.m3u8", 0, 1, true,
                       "#EXT-X-KEY:METHOD=AES-128,URI=\"key.bin\"\n");
  SrcFixture f (server.url ("/enc.m3u8"));
  check_error (f.expect_error (), GST_STREAM_ERROR, GST_STREAM_ERROR_DECRYPT,
               "encrypt");
  fail_unless_equals_int (server.requests ("/seg0.ts"), 0);
  fail_unless_equals_int (server.requests ("/key.bin"), 0);
}
GST_END_TEST;

struct PlaylistCase
{
  const char *what;
  std::string body;
  const char *content_type;
  /* Empty: the playlist must play (with a warning) to EOS. */
  const char *error_mentions;
};

static const PlaylistCase playlist_cases[] = {
  { "HTML page", "<html><body>Sign in to the hotel Wi-Fi</body></html>",
    "text/html", "#EXTM3U" },
  { "empty body", "", "application/vnd.apple.mpegurl", "empty" },
  { "binary garbage", std::string ("\x47\x00\xff\xfe\x01garbage", 10),
    "application/vnd.apple.mpegurl", "UTF-8" },
  { "no #EXTM3U", "#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nseg0.ts\n",
    "application/vnd.apple.mpegurl", "#EXTM3U" },
  { "no target duration", "#EXTM3U\n#EXTINF:1,\nseg0.ts\n#EXT-X-ENDLIST\n",
    "application/vnd.apple.mpegurl", "TARGETDURATION" },
  { "target duration twice",
    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
    "#EXT-X-TARGETDURATION:5\n#EXTINF:1,\nseg0.ts\n#EXT-X-ENDLIST\n",
    "application/vnd.apple.mpegurl", "twice" },
  { "negative duration",
    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:-1,\n"
    "seg0.ts\n#EXT-X-ENDLIST\n",
    "application/vnd.apple.mpegurl", "negative" },
  { "huge duration",
    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
    "#EXTINF:99999999999999999999,\nseg0.ts\n#EXT-X-ENDLIST\n",
    "application/vnd.apple.mpegurl", "EXTINF" },
  { "huge target duration",
    "#EXTM3U\n#EXT-X-TARGETDURATION:9999999999\n"
    "#EXTINF:1,\nseg0.ts\n#EXT-X-ENDLIST\n",
    "application/vnd.apple.mpegurl", "TARGETDURATION" },
  { "absurdly long line",
    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1," + std::string (200000, 'x')
        + "\nseg0.ts\n#EXT-X-ENDLIST\n",
    "application/vnd.apple.mpegurl", "longer than" },
  { "master and media tags",
    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=1\na.m3u8\n#EXTINF:1,\nseg0.ts\n",
    "application/vnd.apple.mpegurl", "mixes" },
  { "segment without EXTINF", "#EXTM3U\n#EXT-X-TARGETDURATION:1\nseg0.ts\n",
    "application/vnd.apple.mpegurl", "EXTINF" },
  { "master without variants", "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n",
    "application/vnd.apple.mpegurl", "variant" },
  /* Tolerable: a warning, then playback. */
  { "repeated tags",
    "#EXTM3U\n#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
    "#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nseg0.ts\n#EXT-X-ENDLIST\n",
    "application/vnd.apple.mpegurl", nullptr },
  { "segment longer than the target",
    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
    "#EXTINF:30,\nseg0.ts\n#EXT-X-ENDLIST\n",
    "application/vnd.apple.mpegurl", nullptr },
  { "playlist served as text/plain",
    "#EXTM3U\n#EXT-X-TARGETDURATION:1\n"
    "#EXT-X-BOGUS-TAG\n#EXTINF:1,\nseg0.ts\n#EXT-X-ENDLIST\n",
    "text/plain", nullptr },
};

GST_START_TEST (test_bad_playlists)
{
  const PlaylistCase &c = playlist_cases[__i__];
  ScriptedServer server;
  Stream stream (server);
  stream.add_segments (0, 0);
  server.set_text ("/bad.m3u8", c.body, c.content_type);
  SrcFixture f (server.url ("/bad.m3u8"));

  if (c.error_mentions) {
    GError *error = f.expect_error ();
    fail_unless (strstr (error->message, "bad.m3u8") != nullptr,
                 "%s: the error does not name the playlist: %s", c.what,
                 error->message);
    check_error (error, GST_STREAM_ERROR, -1, c.error_mentions);
    fail_unless_equals_int (server.requests ("/seg0.ts"), 0);
    return;
  }
  f.expect_segment (0, stream.payload (0), true);
  fail_unless (wait_eos (f.h, kWaitMs), "%s: no EOS", c.what);
  if (strcmp (c.content_type, "text/plain") != 0)
    f.expect_warning (100);
}
GST_END_TEST;

/* A server that answers 404 for the playlist may be a broadcaster that has
 * not published its first segment yet: it is waited for (an error only
 * after ViewerConfig::playlist_outage_limit, tested in virtual time). */
GST_START_TEST (test_playlist_not_found)
{
  ScriptedServer server;
  SrcFixture f (server.url ("/missing.m3u8"));
  std::string warning = f.expect_warning ();
  fail_unless (warning.find ("404") != std::string::npos, "%s",
               warning.c_str ());
  fail_unless (poll_until (
      [&] { return server.requests ("/missing.m3u8") >= 3; }, kWaitMs));
  f.expect_no_error ();
}
GST_END_TEST;

GST_START_TEST (test_early_viewer_waits_for_the_playlist)
{
  ScriptedServer server;
  Stream stream (server);
  server.set_status ("/live.m3u8", SOUP_STATUS_NOT_FOUND);
  SrcFixture f (server.url ("/live.m3u8"), live_delay (1));
  fail_unless (poll_until ([&] { return server.requests ("/live.m3u8") >= 2; },
                           kWaitMs));
  stream.publish_live (0, 1);
  f.expect_segment (1, stream.payload (1), true);
  f.expect_no_error ();
}
GST_END_TEST;

/* A broadcaster restarting: its origin says 404 for a while, then serves a
 * stream numbered from 0 again. Playback follows it as a discontinuity. */
GST_START_TEST (test_restarted_broadcaster_is_followed)
{
  ScriptedServer server;
  Stream stream (server);
  stream.publish_live (20, 23);
  SrcFixture f (server.url ("/live.m3u8"), live_delay (1));
  f.expect_segment (23, stream.payload (23), true);

  server.set_status ("/live.m3u8", SOUP_STATUS_NOT_FOUND);
  for (gint64 seq = 20; seq <= 23; seq++)
    server.set_status (stream.segment_path (seq), SOUP_STATUS_NOT_FOUND);
  const guint before = server.requests ("/live.m3u8");
  fail_unless (poll_until (
      [&] { return server.requests ("/live.m3u8") >= before + 3; }, kWaitMs));

  stream.publish_live (0, 2);
  f.expect_segment (2, stream.payload (2), true);
  stream.add_segments (3, 3);
  stream.set_playlist ("live.m3u8", 0, 3, false);
  f.expect_segment (3, stream.payload (3), false);
  f.expect_no_error ();
}
GST_END_TEST;

/* Live, a segment the server does not have is skipped with a warning and
 * playback goes on after it as a discontinuity, as with hlsdemux2. */
GST_START_TEST (test_live_segment_not_found_is_skipped)
{
  ScriptedServer server;
  Stream stream (server);
  stream.add_segments (0, 5);
  server.set_status (stream.segment_path (3), SOUP_STATUS_NOT_FOUND);
  stream.set_playlist ("live.m3u8", 0, 5, false);
  SrcFixture f (server.url ("/live.m3u8"), live_delay (4));
  f.expect_segment (2, stream.payload (2), true);
  f.expect_segment (4, stream.payload (4), true);
  f.expect_segment (5, stream.payload (5), false);
  std::string warning = f.expect_warning ();
  fail_unless (warning.find ("Segment 3") != std::string::npos, "%s",
               warning.c_str ());
  fail_unless_equals_uint64 (f.stat ("segments-skipped"), 1);
  f.expect_no_error ();
}
GST_END_TEST;

/* A variant whose playlist fails is replaced by another one. */
GST_START_TEST (test_variant_failover)
{
  ScriptedServer server;
  server.set_text ("/master.m3u8",
                   "#EXTM3U\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=3000000\nhigh/index.m3u8\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=500000\nlow/index.m3u8\n");
  server.set_status ("/high/index.m3u8", SOUP_STATUS_NOT_FOUND);
  Stream low (server, "/low/");
  low.add_segments (0, 1);
  low.set_playlist ("index.m3u8", 0, 1, true);
  SrcFixture f (server.url ("/master.m3u8"));
  f.expect_segment (0, low.payload (0), true);
  f.expect_segment (1, low.payload (1), false);
  fail_unless (wait_eos (f.h, kWaitMs));
  std::string warning = f.expect_warning (100);
  fail_unless (warning.find ("another variant") != std::string::npos, "%s",
               warning.c_str ());
  fail_unless_equals_uint64 (f.stat ("bandwidth"), 500000);
}
GST_END_TEST;

/* Waiting for a segment past its deadline counts as a stall while it
 * lasts, not only once the segment comes. */
GST_START_TEST (test_stall_counted_while_it_lasts)
{
  ScriptedServer server;
  Stream stream (server);
  stream.publish_live (0, 1);
  SrcFixture f (server.url ("/live.m3u8"), live_delay (1));
  f.expect_segment (1, stream.payload (1), true);
  /* Nothing new comes: a second of media, then a stall. */
  fail_unless (poll_until ([&] { return f.stat ("stalls") >= 1; }, kWaitMs));
  fail_unless (f.stat ("stall-time") > 0);
}
GST_END_TEST;

GST_START_TEST (test_segment_not_found)
{
  ScriptedServer server;
  Stream stream (server);
  stream.add_segments (0, 2);
  stream.set_playlist ("playlist.m3u8", 0, 2, true);
  server.set_status ("/seg1.ts", SOUP_STATUS_NOT_FOUND);
  SrcFixture f (server.url ("/playlist.m3u8"));
  check_error (f.expect_error (), GST_RESOURCE_ERROR,
               GST_RESOURCE_ERROR_NOT_FOUND, "Segment 1");
}
GST_END_TEST;

GST_START_TEST (test_server_error_is_retried)
{
  ScriptedServer server;
  Stream stream (server);
  stream.add_segments (0, 0);
  stream.set_playlist ("playlist.m3u8", 0, 0, true);
  server.set_status ("/seg0.ts", SOUP_STATUS_SERVICE_UNAVAILABLE);
  SrcFixture f (server.url ("/playlist.m3u8"));
  check_error (f.expect_error (), GST_RESOURCE_ERROR, -1, "503");
  /* retries=1: the first attempt and one retry. */
  fail_unless_equals_int (server.requests ("/seg0.ts"), 2);
}
GST_END_TEST;

/* seg0.ts, its n-th request answered with the n-th of @turns (the last
 * one from then on): TRUNCATE sends half its body. */
static void
serve_truncated (ScriptedServer &server, Stream &stream,
                 const std::vector<Misbehaviour> &turns)
{
  stream.add_segments (0, 0, 50000);
  stream.set_playlist ("playlist.m3u8", 0, 0, true);
  std::vector<ScriptedResponse> answers;
  for (Misbehaviour how : turns) {
    ScriptedResponse answer;
    answer.content_type = "video/mp2t";
    answer.misbehaviour = how;
    answer.body.reset (
        g_bytes_new (stream.payload (0).data (), stream.payload (0).size ()),
        g_bytes_unref);
    answers.push_back (answer);
  }
  server.set_sequence ("/seg0.ts", answers);
}

GST_START_TEST (test_truncated_segment_is_fetched_again)
{
  ScriptedServer server;
  Stream stream (server);
  serve_truncated (server, stream,
                   { Misbehaviour::TRUNCATE, Misbehaviour::NONE });
  SrcFixture f (server.url ("/playlist.m3u8"));
  f.expect_segment (0, stream.payload (0), true);
  fail_unless (wait_eos (f.h, kWaitMs));
  fail_unless_equals_int (server.requests ("/seg0.ts"), 2);
}
GST_END_TEST;

GST_START_TEST (test_truncated_segment_fails)
{
  ScriptedServer server;
  Stream stream (server);
  serve_truncated (server, stream, { Misbehaviour::TRUNCATE });
  SrcFixture f (server.url ("/playlist.m3u8"));
  /* An error after the retry. Playback was waiting for this segment, so
   * its start may have been pushed while it downloaded: never more than
   * one copy of the half the server sent. */
  GError *error = f.expect_error ();
  fail_unless (strstr (error->message, "Segment 0") != nullptr, "%s",
               error->message);
  g_error_free (error);
  fail_unless_equals_int (server.requests ("/seg0.ts"), 2);
  std::string pushed;
  while (GstBuffer *buffer = gst_harness_try_pull (f.h)) {
    pushed += buffer_to_string (buffer);
    gst_buffer_unref (buffer);
  }
  fail_unless (pushed.size () <= stream.payload (0).size () / 2,
               "%zu bytes pushed", pushed.size ());
  fail_unless (stream.payload (0).compare (0, pushed.size (), pushed) == 0);
}
GST_END_TEST;

GST_START_TEST (test_slow_server_times_out)
{
  ScriptedServer server;
  ScriptedResponse stall;
  stall.misbehaviour = Misbehaviour::STALL;
  server.set ("/slow.m3u8", stall);
  gint64 start = g_get_monotonic_time ();
  {
    SrcFixture f (server.url ("/slow.m3u8"));
    check_error (f.expect_error (6000), GST_RESOURCE_ERROR, -1, "slow.m3u8");
    gint64 elapsed_ms = (g_get_monotonic_time () - start) / 1000;
    /* Two attempts of one second each, no more. */
    fail_unless (elapsed_ms >= 1900 && elapsed_ms < 5000,
                 "after %" G_GINT64_FORMAT " ms", elapsed_ms);
    fail_unless_equals_int (server.requests ("/slow.m3u8"), 2);
  }
  /* Stopping the element while a request hangs must not hang. */
  gint64 teardown_ms = (g_get_monotonic_time () - start) / 1000;
  fail_unless (teardown_ms < 6000);

  Stream stream (server);
  stream.add_segments (0, 0);
  stream.set_playlist ("playlist.m3u8", 0, 0, true);
  server.set ("/seg0.ts", stall);
  SrcFixture f (server.url ("/playlist.m3u8"), [] (GstElement *src) {
    g_object_set (src, "retries", 0, nullptr);
  });
  check_error (f.expect_error (), GST_RESOURCE_ERROR, -1, "Segment 0");
}
GST_END_TEST;

GST_START_TEST (test_stop_while_stalled)
{
  ScriptedServer server;
  ScriptedResponse stall;
  stall.misbehaviour = Misbehaviour::STALL;
  server.set ("/slow.m3u8", stall);
  gint64 start = g_get_monotonic_time ();
  {
    SrcFixture f (server.url ("/slow.m3u8"), [] (GstElement *src) {
      g_object_set (src, "timeout", 0u, nullptr);
    });
    while (server.requests ("/slow.m3u8") == 0)
      g_usleep (G_TIME_SPAN_MILLISECOND);
  }
  fail_unless ((g_get_monotonic_time () - start) < G_USEC_PER_SEC);
}
GST_END_TEST;

GST_START_TEST (test_segment_wrong_content_type)
{
  ScriptedServer server;
  Stream stream (server);
  stream.set_playlist ("playlist.m3u8", 0, 0, true);
  server.set_text ("/seg0.ts", "<html>Sign in to the hotel Wi-Fi</html>",
                   "text/html");
  SrcFixture f (server.url ("/playlist.m3u8"));
  check_error (f.expect_error (), GST_STREAM_ERROR, -1, "text/html");
  fail_unless (gst_harness_try_pull (f.h) == nullptr);
}
GST_END_TEST;

GST_START_TEST (test_statistics_message)
{
  ScriptedServer server;
  Stream stream (server);
  stream.add_segments (0, 2);
  stream.set_playlist ("playlist.m3u8", 0, 2, true);
  SrcFixture f (server.url ("/playlist.m3u8"), [] (GstElement *src) {
    g_object_set (src, "stats-interval", 50u, nullptr);
  });
  for (gint64 seq = 0; seq <= 2; seq++)
    f.expect_segment (seq, stream.payload (seq), seq == 0);

  guint64 expected_bytes = 0;
  for (gint64 seq = 0; seq <= 2; seq++)
    expected_bytes += stream.payload (seq).size ();
  /* Messages keep coming; one of them has seen all three segments. */
  GstMessagePtr message
      = wait_message (f.bus, GST_MESSAGE_ELEMENT, kWaitMs, [] (GstMessage *m) {
          guint64 segments = 0;
          return gst_message_has_name (m, "p2p-statistics")
                 && gst_structure_get_uint64 (gst_message_get_structure (m),
                                              "http-segments", &segments)
                 && segments == 3;
        });
  fail_unless (message != nullptr, "no p2p-statistics message with 3 segments");
  const GstStructure *s = gst_message_get_structure (message.get ());
  guint64 bytes = 0;
  gdouble ratio = -1;
  fail_unless (gst_structure_get_uint64 (s, "http-bytes", &bytes));
  fail_unless_equals_uint64 (bytes, expected_bytes);
  fail_unless (gst_structure_get_double (s, "p2p-ratio", &ratio));
  fail_unless_equals_float (ratio, 0.0);
  for (const char *field :
       { "peer-bytes", "peer-segments", "relayed-bytes-arriving",
         "uploaded-bytes", "stalls", "stall-time", "segments-skipped" })
    fail_unless (gst_structure_has_field (s, field), "%s", field);
  fail_unless (gst_structure_has_field_typed (s, "peers", G_TYPE_UINT));

  /* The property is read-only. */
  GParamSpec *pspec
      = g_object_class_find_property (G_OBJECT_GET_CLASS (f.element), "stats");
  fail_unless (pspec->flags & G_PARAM_READABLE);
  fail_if (pspec->flags & G_PARAM_WRITABLE);
}
GST_END_TEST;

static Suite *
p2phlssrc_suite (void)
{
  Suite *s = suite_create ("p2phlssrc");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_uri_handler);
  tcase_add_loop_test (tc, test_bad_settings, 0, G_N_ELEMENTS (settings_cases));
  tcase_add_test (tc, test_private_ca);
  tcase_add_test (tc, test_vod);
  tcase_add_test (tc, test_live_follows_the_edge);
  tcase_add_test (tc, test_startup_wait_holds_the_start);
  tcase_add_test (tc, test_reload_cadence);
  tcase_add_test (tc, test_live_gap_is_discont);
  tcase_add_test (tc, test_departed_segment_is_still_fetched);
  tcase_add_test (tc, test_awaited_segment_streams);
  tcase_add_test (tc, test_stats_while_posting_statistics);
  tcase_add_test (tc, test_sequence_backwards_warns);
  tcase_add_loop_test (tc, test_master_playlist_variant, 0,
                       G_N_ELEMENTS (variant_cases));
  tcase_add_test (tc, test_adaptive_bitrate);
  tcase_add_test (tc, test_encrypted_is_stream_error);
  tcase_add_loop_test (tc, test_bad_playlists, 0,
                       G_N_ELEMENTS (playlist_cases));
  tcase_add_test (tc, test_playlist_not_found);
  tcase_add_test (tc, test_early_viewer_waits_for_the_playlist);
  tcase_add_test (tc, test_restarted_broadcaster_is_followed);
  tcase_add_test (tc, test_live_segment_not_found_is_skipped);
  tcase_add_test (tc, test_variant_failover);
  tcase_add_test (tc, test_stall_counted_while_it_lasts);
  tcase_add_test (tc, test_segment_not_found);
  tcase_add_test (tc, test_server_error_is_retried);
  tcase_add_test (tc, test_truncated_segment_is_fetched_again);
  tcase_add_test (tc, test_truncated_segment_fails);
  tcase_add_test (tc, test_slow_server_times_out);
  tcase_add_test (tc, test_stop_while_stalled);
  tcase_add_test (tc, test_segment_wrong_content_type);
  tcase_add_test (tc, test_statistics_message);
  return s;
}

GST_CHECK_MAIN (p2phlssrc);
