/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tracker server on 127.0.0.1 with real sockets: announce, offer and
 * answer relay across workers, scrape, stop, close, stats endpoints, bad
 * input and limits, graceful stop.
 */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include <memory>
#include <vector>

#include "gst/webtorrent/protocol.h"
#include "gst/tracker/server.h"
#include "tracker-test-client.h"

using namespace p2p::tracker;
using namespace p2p::webtorrent;
using p2p::tracker::test::id_from;
using p2p::tracker::test::numbered_id;
using p2p::tracker::test::TestClient;

namespace {

const Id20 kInfoHash = id_from ("L2uYwMcHhsstZuLv8ZqU");
const Id20 kPeerA = id_from ("-PM0203-AAAAAAAAAAAA");
const Id20 kPeerB = id_from ("-PM0203-BBBBBBBBBBBB");

Id20
nul_offer_id (int n)
{
  std::string raw (20, '\0');
  raw[3] = static_cast<char> (0x80 + n);
  raw[7] = '"';
  raw[19] = static_cast<char> (0xff);
  return id_from (raw);
}

std::string
announce (const Id20 &peer, AnnounceEvent event, int offers,
          const Id20 &info_hash = kInfoHash)
{
  AnnounceRequest r;
  r.info_hash = info_hash;
  r.peer_id = peer;
  r.event = event;
  for (int i = 0; i < offers; i++)
    r.offers.push_back ({ nul_offer_id (i), "v=0\r\no=- " + std::to_string (i)
                                                + " 2 IN IP4 127.0.0.1\r\n" });
  return build_announce (r);
}

std::string
http_get (guint16 port, const char *path)
{
  TestClient c;
  fail_unless (c.connect_tcp (port));
  c.send_raw (std::string ("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
  return c.read_all (2000);
}

ServerConfig
test_config ()
{
  ServerConfig config;
  config.workers = 3; /* more shards than cores: cross-worker paths */
  return config;
}

} // namespace

/* Announce, relayed offer and answer, scrape and stop, through @config. */
static void
relay_offer_and_answer (const ServerConfig &config)
{
  Server server (config);
  GError *error = nullptr;
  fail_unless (server.start ("127.0.0.1", 0, &error));
  fail_unless (server.port () > 0);

  TestClient a, b;
  fail_unless (a.connect (server.port ()));
  fail_unless (b.connect (server.port (), "/"));

  a.send_text (announce (kPeerA, AnnounceEvent::STARTED, 0));
  TrackerMessage m
      = expect_message (a, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  fail_unless_equals_int (*m.incomplete, 1);
  fail_unless_equals_int (*m.complete, 0);
  fail_unless_equals_int (*m.interval, 120);
  fail_unless (*m.info_hash == kInfoHash);

  b.send_text (announce (kPeerB, AnnounceEvent::STARTED, 5));
  m = expect_message (b, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  fail_unless_equals_int (*m.incomplete, 2);

  /* one offer reaches A (the only other peer), its binary id intact */
  TrackerMessage offer = expect_message (a, TrackerMessage::Kind::OFFER);
  fail_unless (offer.peer_id == kPeerB);
  fail_unless (offer.offer_id == nul_offer_id (0));
  fail_unless (g_str_has_prefix (offer.sdp.c_str (), "v=0\r\no=- 0 "));

  a.send_text (
      build_answer (kInfoHash, kPeerA, kPeerB, offer.offer_id, "v=0 answer"));
  TrackerMessage answer = expect_message (b, TrackerMessage::Kind::ANSWER);
  fail_unless (answer.peer_id == kPeerA);
  fail_unless (answer.offer_id == nul_offer_id (0));
  fail_unless_equals_string (answer.sdp.c_str (), "v=0 answer");

  /* the same answer again: the offer is used up */
  a.send_text (
      build_answer (kInfoHash, kPeerA, kPeerB, offer.offer_id, "v=0 answer"));
  m = expect_message (a, TrackerMessage::Kind::FAILURE);
  fail_unless (g_str_has_prefix (m.failure_reason.c_str (), "unknown offer"));

  /* scrape, then B stops: the counts follow */
  a.send_text (build_scrape ({ kInfoHash, numbered_id ("nothing-", 1) }));
  m = expect_message (a, TrackerMessage::Kind::SCRAPE_RESPONSE);
  fail_unless_equals_int (m.files.size (), 2);
  fail_unless_equals_int (m.files[0].incomplete, 2);
  fail_unless_equals_int (m.files[1].incomplete, 0);

  b.send_text (announce (kPeerB, AnnounceEvent::STOPPED, 0));
  m = expect_message (b, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  fail_unless_equals_int (*m.incomplete, 1);

  /* A remains, alone */
  Stats s = server.stats ();
  fail_unless_equals_int (s.peers, 1);
  fail_unless_equals_int (s.offers_relayed, 1);
  fail_unless_equals_int (s.answers_relayed, 1);
  fail_unless_equals_int (s.error_count (ErrorKind::UNKNOWN_OFFER), 1);
  server.stop ();
  fail_unless_equals_int (server.port (), 0);
}

GST_START_TEST (test_relay_offer_and_answer)
{
  relay_offer_and_answer (test_config ());
}

GST_END_TEST;

/* the same with one system call per socket instead of io_uring batches */
GST_START_TEST (test_relay_without_io_uring)
{
  ServerConfig config = test_config ();
  config.io_uring = false;
  relay_offer_and_answer (config);
}

GST_END_TEST;

GST_START_TEST (test_many_swarms_across_workers)
{
  Server server (test_config ());
  fail_unless (server.start ("127.0.0.1", 0, nullptr));
  TestClient seeder, leecher;
  fail_unless (seeder.connect (server.port ()));
  fail_unless (leecher.connect (server.port ()));
  const int kSwarms = 40;
  for (int i = 0; i < kSwarms; i++) {
    Id20 hash = numbered_id ("swarm---", i);
    seeder.send_text (announce (kPeerA, AnnounceEvent::STARTED, 0, hash));
    expect_message (seeder, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  }
  for (int i = 0; i < kSwarms; i++) {
    Id20 hash = numbered_id ("swarm---", i);
    leecher.send_text (announce (kPeerB, AnnounceEvent::STARTED, 2, hash));
    TrackerMessage r
        = expect_message (leecher, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
    fail_unless_equals_int (*r.incomplete, 2);
    TrackerMessage o = expect_message (seeder, TrackerMessage::Kind::OFFER);
    fail_unless (*o.info_hash == hash);
  }
  Stats s = server.stats ();
  fail_unless_equals_int (s.swarms, kSwarms);
  fail_unless_equals_int (s.peers, 2 * kSwarms);

  /* closing the seeder's socket removes it from every swarm */
  seeder.send_raw (std::string ("\x88\x80\0\0\0\0", 6));
  fail_unless (seeder.wait_closed ());
  for (int tries = 0; tries < 100 && server.stats ().peers != kSwarms; tries++)
    g_usleep (20000);
  fail_unless_equals_int (server.stats ().peers, kSwarms);
}

GST_END_TEST;

GST_START_TEST (test_bad_input_is_answered_or_closed)
{
  ServerConfig config = test_config ();
  config.max_message_size = 4096;
  Server server (config);
  fail_unless (server.start ("127.0.0.1", 0, nullptr));

  TestClient good;
  fail_unless (good.connect (server.port ()));
  good.send_text (announce (kPeerA, AnnounceEvent::STARTED, 0));
  expect_message (good, TrackerMessage::Kind::ANNOUNCE_RESPONSE);

  /* replies with failure reason, connection stays usable */
  TestClient c;
  fail_unless (c.connect (server.port ()));
  const char *bad[] = {
    "not json",
    "{\"action\":\"announce\"",
    "[]",
    "{\"action\":\"dance\"}",
    "{\"action\":\"announce\",\"info_hash\":\"short\",\"peer_id\":"
    "\"-PM0203-AAAAAAAAAAAA\"}",
    "{\"action\":\"announce\",\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\","
    "\"peer_id\":\"-PM0203-CCCCCCCCCCCC\",\"event\":\"dance\"}",
    "{\"action\":\"announce\",\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\","
    "\"peer_id\":\"-PM0203-CCCCCCCCCCCC\",\"offers\":{}}",
    "{\"action\":\"scrape\"}",
    "{\"action\":\"announce\",\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\","
    "\"peer_id\":\"-PM0203-CCCCCCCCCCCC\",\"to_peer_id\":"
    "\"-PM0203-AAAAAAAAAAAA\",\"answer\":{\"type\":\"answer\",\"sdp\":"
    "\"x\"},\"offer_id\":\"01234567890123456789\"}",
  };
  for (const char *text : bad) {
    c.send_text (text);
    TrackerMessage m = expect_message (c, TrackerMessage::Kind::FAILURE);
    fail_if (m.failure_reason.empty (), "no reason for %s", text);
  }
  std::string invalid_utf8 = "{\"action\":\"\xff\xfe\"}";
  c.send_text (invalid_utf8);
  expect_message (c, TrackerMessage::Kind::FAILURE);

  /* oversized: close 1009 */
  TestClient big;
  fail_unless (big.connect (server.port ()));
  big.send_text (std::string (5000, ' '));
  auto f = big.receive ();
  fail_unless (f && f->opcode == ws::OPCODE_CLOSE);
  fail_unless_equals_int (static_cast<uint8_t> (f->payload[0]) << 8
                              | static_cast<uint8_t> (f->payload[1]),
                          1009);
  fail_unless (big.wait_closed ());

  /* unmasked frame, reserved bits: close 1002 */
  TestClient unmasked;
  fail_unless (unmasked.connect (server.port ()));
  unmasked.send_raw (std::string ("\x81\x02{}", 4));
  f = unmasked.receive ();
  fail_unless (f && f->opcode == ws::OPCODE_CLOSE);
  TestClient rsv;
  fail_unless (rsv.connect (server.port ()));
  rsv.send_raw (std::string ("\xc1\x80\0\0\0\0", 6));
  f = rsv.receive ();
  fail_unless (f && f->opcode == ws::OPCODE_CLOSE);

  /* binary garbage instead of a handshake: 400 and closed */
  TestClient garbage;
  fail_unless (garbage.connect_tcp (server.port ()));
  std::string junk;
  for (int i = 0; i < 3000; i++)
    junk += static_cast<char> ((i * 7919) & 0xff);
  junk += "\r\n\r\n";
  garbage.send_raw (junk);
  fail_unless (garbage.read_all (3000).find ("400") != std::string::npos);
  fail_unless (garbage.wait_closed ());

  /* a head that never ends is cut at 8 KiB */
  TestClient endless;
  fail_unless (endless.connect_tcp (server.port ()));
  endless.send_raw ("GET / HTTP/1.1\r\n" + std::string (9000, 'x'));
  fail_unless (endless.wait_closed ());

  /* ping is answered with pong */
  TestClient pinger;
  fail_unless (pinger.connect (server.port ()));
  static const uint8_t mask[4] = { 1, 2, 3, 4 };
  std::string ping;
  ws::append_frame (ping, ws::OPCODE_PING, "hi", mask);
  pinger.send_raw (ping);
  f = pinger.receive ();
  fail_unless (f && f->opcode == ws::OPCODE_PONG && f->payload == "hi");

  /* and through all this the good peer was not disturbed */
  good.send_text (build_scrape ({ kInfoHash }));
  TrackerMessage m
      = expect_message (good, TrackerMessage::Kind::SCRAPE_RESPONSE);
  fail_unless_equals_int (m.files[0].incomplete, 1);

  Stats s = server.stats ();
  fail_unless (s.error_count (ErrorKind::INVALID_JSON) >= 3);
  fail_unless_equals_int (s.error_count (ErrorKind::UNKNOWN_ACTION), 2);
  fail_unless_equals_int (s.error_count (ErrorKind::FULL_SCRAPE), 1);
  fail_unless_equals_int (s.error_count (ErrorKind::UNKNOWN_OFFER), 1);
  fail_unless_equals_int (s.error_count (ErrorKind::MESSAGE_TOO_BIG), 1);
  fail_unless_equals_int (s.error_count (ErrorKind::PROTOCOL_ERROR), 2);
  fail_unless (s.error_count (ErrorKind::BAD_HANDSHAKE) >= 2);
}

GST_END_TEST;

GST_START_TEST (test_limits)
{
  ServerConfig config = test_config ();
  config.max_connections_per_address = 3;
  config.max_peers_per_swarm = 2;
  config.handshake_timeout_s = 1;
  Server server (config);
  fail_unless (server.start ("127.0.0.1", 0, nullptr));

  TestClient c1, c2, c3, c4;
  fail_unless (c1.connect (server.port ()));
  fail_unless (c2.connect (server.port ()));
  fail_unless (c3.connect_tcp (server.port ())); /* half-open: no upgrade */
  fail_unless (c4.connect_tcp (server.port ()));
  fail_unless (c4.wait_closed (), "fourth connection from one address");

  /* the silent one is dropped after the handshake timeout */
  fail_unless (c3.wait_closed (4000));

  c1.send_text (announce (kPeerA, AnnounceEvent::STARTED, 0));
  expect_message (c1, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  c1.send_text (announce (kPeerB, AnnounceEvent::STARTED, 0));
  expect_message (c1, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  c2.send_text (
      announce (numbered_id ("-PM0203-", 3), AnnounceEvent::STARTED, 0));
  TrackerMessage m = expect_message (c2, TrackerMessage::Kind::FAILURE);
  fail_unless_equals_string (m.failure_reason.c_str (), "swarm is full");

  Stats s = server.stats ();
  fail_unless_equals_int (s.error_count (ErrorKind::ADDRESS_LIMIT), 1);
  fail_unless_equals_int (s.error_count (ErrorKind::HANDSHAKE_TIMEOUT), 1);
  fail_unless_equals_int (s.error_count (ErrorKind::SWARM_FULL), 1);
}

GST_END_TEST;

GST_START_TEST (test_stats_endpoints)
{
  Server server (test_config ());
  fail_unless (server.start ("127.0.0.1", 0, nullptr));
  TestClient a;
  fail_unless (a.connect (server.port ()));
  a.send_text (announce (kPeerA, AnnounceEvent::STARTED, 0));
  expect_message (a, TrackerMessage::Kind::ANNOUNCE_RESPONSE);

  std::string json = http_get (server.port (), "/stats.json");
  fail_unless (json.find ("HTTP/1.1 200 OK") == 0, "%s", json.c_str ());
  fail_unless (json.find ("\"peers\":1,") != std::string::npos, "%s",
               json.c_str ());
  fail_unless (json.find ("\"announces\":1,") != std::string::npos);
  fail_unless (json.find ("\"errors\":{\"invalid_json\":0")
               != std::string::npos);

  std::string metrics = http_get (server.port (), "/metrics");
  fail_unless (metrics.find ("\np2p_tracker_peers 1\n") != std::string::npos,
               "%s", metrics.c_str ());
  fail_unless (metrics.find ("\np2p_tracker_announces_total 1\n")
               != std::string::npos);
  fail_unless (metrics.find ("p2p_tracker_errors_total{kind=\"swarm_full\"} 0")
               != std::string::npos);

  std::string missing = http_get (server.port (), "/nothing");
  fail_unless (missing.find ("HTTP/1.1 404") == 0);
}

GST_END_TEST;

GST_START_TEST (test_graceful_stop)
{
  Server server (test_config ());
  fail_unless (server.start ("::1", 0, nullptr)
               || server.start ("127.0.0.1", 0, nullptr));
  server.stop ();
  fail_unless (server.start ("127.0.0.1", 0, nullptr));
  TestClient a;
  fail_unless (a.connect (server.port ()));
  guint16 port = server.port ();
  server.stop ();
  auto f = a.receive ();
  fail_unless (f && f->opcode == ws::OPCODE_CLOSE);
  fail_unless_equals_int (static_cast<uint8_t> (f->payload[1]), 1001 & 0xff);
  TestClient late;
  fail_if (late.connect (port));
}

GST_END_TEST;

/* issue #14: a second tracker on a port another one holds must fail, not
 * share the port (SO_REUSEPORT) and split the swarms without a sign */
GST_START_TEST (test_port_in_use_is_an_error)
{
  Server first (test_config ());
  fail_unless (first.start ("127.0.0.1", 0, nullptr));
  guint16 port = first.port ();

  Server second (test_config ());
  GError *error = nullptr;
  fail_if (second.start ("127.0.0.1", port, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE));
  fail_unless (strstr (error->message, "already in use"), "%s", error->message);
  g_clear_error (&error);
  fail_unless_equals_int (second.port (), 0);

  /* a port held by a plain listener, without SO_REUSEPORT, too */
  GSocket *plain = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, nullptr);
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any_port = g_inet_socket_address_new (loopback, 0);
  fail_unless (g_socket_bind (plain, any_port, TRUE, nullptr));
  fail_unless (g_socket_listen (plain, nullptr));
  GSocketAddress *bound = g_socket_get_local_address (plain, nullptr);
  guint16 plain_port
      = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  fail_if (second.start ("127.0.0.1", plain_port, &error));
  fail_unless (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE));
  g_clear_error (&error);
  g_object_unref (bound);
  g_object_unref (any_port);
  g_object_unref (loopback);
  g_object_unref (plain);

  /* the first one still serves every client on its port: one swarm */
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 8; i++) {
    clients.push_back (std::make_unique<TestClient> ());
    TestClient &c = *clients.back ();
    fail_unless (c.connect (port));
    c.send_text (
        announce (numbered_id ("-PM0203-", i), AnnounceEvent::STARTED, 0));
    TrackerMessage r
        = expect_message (c, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
    fail_unless_equals_int (*r.incomplete, i + 1);
  }

  /* once the port is free again it can be taken */
  clients.clear ();
  first.stop ();
  fail_unless (second.start ("127.0.0.1", port, nullptr));
}

GST_END_TEST;

static Suite *
tracker_server_suite (void)
{
  Suite *s = suite_create ("tracker-server");
  TCase *tc = tcase_create ("server");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_relay_offer_and_answer);
  tcase_add_test (tc, test_relay_without_io_uring);
  tcase_add_test (tc, test_many_swarms_across_workers);
  tcase_add_test (tc, test_bad_input_is_answered_or_closed);
  tcase_add_test (tc, test_limits);
  tcase_add_test (tc, test_stats_endpoints);
  tcase_add_test (tc, test_graceful_stop);
  tcase_add_test (tc, test_port_in_use_is_an_error);
  return s;
}

GST_CHECK_MAIN (tracker_server);
