/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tracker server over TLS (issue #15): wss:// with a self-signed
 * certificate made at run time, relays byte for byte as over ws://,
 * /stats.json and /metrics over https, plain clients and untrusting
 * clients refused, and certificate set-up errors.
 */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include "../common/test-certificate.h"
#include "gst/tracker/server.h"
#include "gst/webtorrent/protocol.h"
#include "../common/test-utils.h"
#include "tracker-test-client.h"

using namespace p2p::tracker;
using namespace p2p::webtorrent;
using p2p::test::TestCertificate;
using p2p::tracker::test::id_from;
using p2p::tracker::test::TestClient;

namespace {

const Id20 kInfoHash = id_from ("L2uYwMcHhsstZuLv8ZqU");
const Id20 kPeerA = id_from ("-PM0203-AAAAAAAAAAAA");
const Id20 kPeerB = id_from ("-PM0203-BBBBBBBBBBBB");

/* An offer id with NUL, a quote and bytes above 0x7f */
const Id20 kOfferId
    = id_from (std::string ("\0\1\"\\\x80\xff\n\r\0abcdefghijk", 20));

ServerConfig
tls_config (const TestCertificate &cert)
{
  ServerConfig config;
  config.workers = 2;
  config.tls_certificate_file = cert.certificate_file ();
  config.tls_key_file = cert.key_file ();
  return config;
}

std::string
announce (const Id20 &peer, AnnounceEvent event, bool with_offer)
{
  AnnounceRequest r;
  r.info_hash = kInfoHash;
  r.peer_id = peer;
  r.event = event;
  if (with_offer)
    r.offers.push_back ({ kOfferId, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" });
  return build_announce (r);
}

std::string
https_get (guint16 port, const TestCertificate &cert, const char *path)
{
  TestClient c;
  fail_unless (c.connect_tls (port, cert.certificate_file ()));
  c.send_raw (std::string ("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  return c.read_all (2000);
}

} // namespace

GST_START_TEST (test_wss_relays_byte_for_byte)
{
  TestCertificate cert;
  Server server (tls_config (cert));
  GError *error = nullptr;
  fail_unless (server.start ("127.0.0.1", 0, &error), "%s",
               error ? error->message : "");
  fail_unless (server.tls ());

  TestClient a, b;
  fail_unless (
      a.connect (server.port (), "/announce", cert.certificate_file ()));
  fail_unless (b.connect (server.port (), "/", cert.certificate_file ()));

  a.send_text (announce (kPeerA, AnnounceEvent::STARTED, false));
  TrackerMessage m
      = expect_message (a, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  fail_unless_equals_int (*m.incomplete, 1);

  std::string offer_text = announce (kPeerB, AnnounceEvent::STARTED, true);
  b.send_text (offer_text);
  m = expect_message (b, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  fail_unless_equals_int (*m.incomplete, 2);

  /* what A reads is what a plain ws:// tracker relays, byte for byte */
  auto relayed = a.receive_text ();
  fail_unless (relayed.has_value ());
  std::string expected = build_relayed_offer (
      kInfoHash, kPeerB, kOfferId,
      "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 "
      "127.0.0.1\\r\\n\"}");
  fail_unless (*relayed == expected, "relayed %s", relayed->c_str ());

  a.send_text (build_answer (kInfoHash, kPeerA, kPeerB, kOfferId, "v=0 a"));
  TrackerMessage answer = expect_message (b, TrackerMessage::Kind::ANSWER);
  fail_unless (answer.peer_id == kPeerA);
  fail_unless (answer.offer_id == kOfferId);
  fail_unless_equals_string (answer.sdp.c_str (), "v=0 a");

  /* the statistics over https */
  std::string stats = https_get (server.port (), cert, "/stats.json");
  fail_unless (g_str_has_prefix (stats.c_str (), "HTTP/1.1 200 OK\r\n"), "%s",
               stats.c_str ());
  fail_unless (stats.find ("\"announces\":2,") != std::string::npos);
  std::string metrics = https_get (server.port (), cert, "/metrics");
  fail_unless (metrics.find ("p2p_tracker_answers_relayed_total 1\n")
               != std::string::npos);
  server.stop ();
}

GST_END_TEST;

GST_START_TEST (test_plain_and_untrusting_clients_are_refused)
{
  TestCertificate cert, other;
  Server server (tls_config (cert));
  fail_unless (server.start ("127.0.0.1", 0, nullptr));

  /* a ws:// client on a wss:// port: no upgrade, the connection closes */
  TestClient plain;
  fail_if (plain.connect (server.port ()));
  fail_unless (plain.wait_closed ());

  /* a client that trusts another certificate does not finish the
   * handshake */
  TestClient untrusting;
  fail_if (untrusting.connect_tls (server.port (), other.certificate_file ()));

  /* the server counts both, and serves on */
  fail_unless (p2p::test::poll_until (
      [&] { return server.stats ().error_count (ErrorKind::TLS_ERROR) >= 2; },
      2000));
  TestClient good;
  fail_unless (good.connect (server.port (), "/", cert.certificate_file ()));
  server.stop ();
}

GST_END_TEST;

GST_START_TEST (test_certificate_errors)
{
  TestCertificate cert, other;
  GError *error = nullptr;

  ServerConfig no_key = tls_config (cert);
  no_key.tls_key_file.clear ();
  Server a (no_key);
  fail_if (a.start ("127.0.0.1", 0, &error));
  fail_unless (
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT));
  g_clear_error (&error);

  ServerConfig missing = tls_config (cert);
  missing.tls_certificate_file = cert.certificate_file () + ".missing";
  Server b (missing);
  fail_if (b.start ("127.0.0.1", 0, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
  fail_unless (strstr (error->message, ".missing"), "%s", error->message);
  g_clear_error (&error);

  /* a key that is not the certificate's */
  ServerConfig mismatched = tls_config (cert);
  mismatched.tls_key_file = other.key_file ();
  Server c (mismatched);
  fail_if (c.start ("127.0.0.1", 0, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA));
  fail_unless (strstr (error->message, "key"), "%s", error->message);
  g_clear_error (&error);
  fail_unless_equals_int (c.port (), 0);
}

GST_END_TEST;

static Suite *
tracker_tls_suite (void)
{
  Suite *s = suite_create ("tracker-tls");
  TCase *tc = tcase_create ("tls");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_wss_relays_byte_for_byte);
  tcase_add_test (tc, test_plain_and_untrusting_clients_are_refused);
  tcase_add_test (tc, test_certificate_errors);
  return s;
}

GST_CHECK_MAIN (tracker_tls);
