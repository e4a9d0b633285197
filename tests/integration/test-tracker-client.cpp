/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Our WebSocket tracker client against our tracker server on 127.0.0.1:
 * announces with offers that the server relays to the other peer, answers
 * routed back to the offerer, and reconnection after the server restarts.
 * The offers are opaque text here; no WebRTC is involved.
 */
#include <gst/check/gstcheck.h>

#include <memory>
#include <string>
#include <vector>

#include "../unit/test-helpers.h"
#include "gst/p2p/net/tracker-client.h"
#include "gst/p2p/net/tracker-websocket.h"
#include "gst/tracker/server.h"

using p2p::net::TrackerClient;
using p2p::net::TrackerClientConfig;
using p2p::test::ThreadContext;
using p2p::webtorrent::Id20;
using p2p::webtorrent::OutgoingOffer;

namespace {

Id20
id_from (const std::string &s)
{
  return *Id20::from_bytes (s);
}

const Id20 kInfoHash = id_from ("SwarmTestInfoHash..1");

struct Relayed
{
  Id20 from;
  Id20 offer_id;
  std::string sdp;
};

/* The runtime pieces a tracker client runs on, on the test's context. */
struct TrackerRuntime
{
  explicit TrackerRuntime (const ThreadContext &ctx) : clock (ctx.get ()) {}

  p2p::GLibClock clock;
  p2p::net::WebSocketTrackerConnector connector;
};

/* One tracker client and everything it was told. Offers are made at once,
 * numbered per announce so that a test can tell announces apart. */
struct Client
{
  std::string name;
  std::vector<OutgoingOffer> made;
  std::vector<Relayed> offers;
  std::vector<Relayed> answers;
  guint warnings = 0;
  std::unique_ptr<TrackerClient> client;

  Client (TrackerRuntime &runtime, const std::string &peer_name, guint16 port,
          guint offers_per_announce)
      : name (peer_name)
  {
    TrackerClientConfig config;
    config.url = "ws://127.0.0.1:" + std::to_string (port) + "/announce";
    config.info_hash = kInfoHash;
    config.peer_id = peer_id ();
    config.offers_per_announce = offers_per_announce;
    TrackerClient::Callbacks cb;
    cb.create_offers = [this] (guint count, TrackerClient::OffersReady ready) {
      std::vector<OutgoingOffer> batch;
      for (guint i = 0; i < count; i++) {
        gchar id[32];
        /* 20 bytes: the name, then the offer's number. */
        g_snprintf (id, sizeof id, "%-5.5s%015u", name.c_str (),
                    (guint)made.size ());
        OutgoingOffer offer{ id_from (std::string (id, 20)),
                             "v=0\r\no=- " + name + " "
                                 + std::to_string (made.size ())
                                 + " IN IP4 127.0.0.1\r\n" };
        made.push_back (offer);
        batch.push_back (offer);
      }
      ready (std::move (batch));
    };
    cb.offer = [this] (const Id20 &from, const Id20 &offer_id,
                       const std::string &sdp) {
      offers.push_back ({ from, offer_id, sdp });
    };
    cb.answer = [this] (const Id20 &from, const Id20 &offer_id,
                        const std::string &sdp) {
      answers.push_back ({ from, offer_id, sdp });
    };
    cb.warning = [this] (const std::string &) { warnings++; };
    client = std::make_unique<TrackerClient> (runtime.clock, runtime.connector,
                                              config, std::move (cb));
  }

  Id20
  peer_id () const
  {
    std::string id = "-GP0100-" + name;
    id.resize (20, 'x');
    return id_from (id);
  }

  const OutgoingOffer *
  made_offer (const Id20 &offer_id) const
  {
    for (const OutgoingOffer &o : made)
      if (o.offer_id == offer_id)
        return &o;
    return nullptr;
  }
};

std::unique_ptr<p2p::tracker::Server>
start_server (guint16 port)
{
  p2p::tracker::ServerConfig config;
  config.workers = 2;
  auto server = std::make_unique<p2p::tracker::Server> (config);
  GError *error = nullptr;
  fail_unless (server->start ("127.0.0.1", port, &error), "tracker: %s",
               error ? error->message : "?");
  return server;
}

} // namespace

GST_START_TEST (test_offer_relayed_and_answer_routed_back)
{
  ThreadContext ctx;
  TrackerRuntime runtime (ctx);
  auto server = start_server (0);
  Client a (runtime, "alice", server->port (), 2);
  Client b (runtime, "bob", server->port (), 3);

  a.client->start ();
  fail_unless (ctx.run_until (
      [&] { return a.client->connected () && a.client->announces_sent () > 0; },
      5000));
  /* Alone in the swarm: nobody receives alice's offers. */
  ctx.run_for (200);
  fail_unless_equals_int (a.made.size (), 2);

  b.client->start ();
  fail_unless (ctx.run_until ([&] { return !a.offers.empty (); }, 5000),
               "bob's offer never reached alice");
  ctx.run_for (200);
  /* One offer per other peer, byte for byte as bob made it. */
  fail_unless_equals_int (a.offers.size (), 1);
  fail_unless (a.offers[0].from == b.peer_id ());
  const OutgoingOffer *made = b.made_offer (a.offers[0].offer_id);
  fail_unless (made != nullptr, "the offer id is not one of bob's");
  fail_unless_equals_string (a.offers[0].sdp.c_str (), made->sdp.c_str ());
  /* Bob's offers found nobody else, and alice's reach nobody later. */
  fail_unless_equals_int (b.offers.size (), 0);

  a.client->send_answer (b.peer_id (), a.offers[0].offer_id,
                         "v=0\r\no=- alice-answer\r\n");
  fail_unless (ctx.run_until ([&] { return !b.answers.empty (); }, 5000),
               "the answer never reached bob");
  fail_unless (b.answers[0].from == a.peer_id ());
  fail_unless (b.answers[0].offer_id == a.offers[0].offer_id);
  fail_unless_equals_string (b.answers[0].sdp.c_str (),
                             "v=0\r\no=- alice-answer\r\n");
  fail_unless_equals_int (a.answers.size (), 0);

  /* Alice announces again with new offers: now bob gets one. */
  a.client->announce_soon ();
  fail_unless (ctx.run_until ([&] { return !b.offers.empty (); }, 5000));
  fail_unless (b.offers[0].from == a.peer_id ());
  fail_unless (a.made_offer (b.offers[0].offer_id) != nullptr);
  fail_unless_equals_int (a.warnings, 0);
  fail_unless_equals_int (b.warnings, 0);

  a.client.reset ();
  b.client.reset ();
  server->stop ();
}

GST_END_TEST;

GST_START_TEST (test_reconnect_after_server_restart)
{
  ThreadContext ctx;
  TrackerRuntime runtime (ctx);
  auto server = start_server (0);
  guint16 port = server->port ();
  Client a (runtime, "alice", port, 1);
  Client b (runtime, "bob", port, 1);
  a.client->start ();
  b.client->start ();
  fail_unless (ctx.run_until (
      [&] {
        return a.client->connected () && b.client->connected ()
               && a.client->announces_sent () > 0
               && b.client->announces_sent () > 0;
      },
      5000));

  server->stop ();
  fail_unless (
      ctx.run_until (
          [&] { return !a.client->connected () && !b.client->connected (); },
          5000),
      "the clients did not notice the tracker going away");
  guint warnings_a = a.warnings;
  fail_unless (warnings_a > 0, "losing the tracker was not reported");

  /* The same address comes back: both reconnect by themselves and announce
   * again, and the new server relays between them as before. */
  server = start_server (port);
  guint sent_a = a.client->announces_sent ();
  guint sent_b = b.client->announces_sent ();
  a.offers.clear ();
  b.offers.clear ();
  fail_unless (ctx.run_until (
                   [&] {
                     return a.client->connected () && b.client->connected ()
                            && a.client->announces_sent () > sent_a
                            && b.client->announces_sent () > sent_b;
                   },
                   10000),
               "no reconnection within 10 s");
  /* Whichever announced second had its offer relayed to the other. */
  fail_unless (ctx.run_until (
      [&] { return !a.offers.empty () || !b.offers.empty (); }, 5000));
  Client &receiver = a.offers.empty () ? b : a;
  Client &sender = a.offers.empty () ? a : b;
  const Relayed offer = receiver.offers[0];
  fail_unless (offer.from == sender.peer_id ());
  receiver.client->send_answer (sender.peer_id (), offer.offer_id, "answer");
  fail_unless (ctx.run_until ([&] { return !sender.answers.empty (); }, 5000));
  fail_unless (sender.answers.back ().offer_id == offer.offer_id);

  a.client.reset ();
  b.client.reset ();
  server->stop ();
}

GST_END_TEST;

static Suite *
tracker_client_suite (void)
{
  Suite *s = suite_create ("tracker-client");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_offer_relayed_and_answer_routed_back);
  tcase_add_test (tc, test_reconnect_after_server_restart);
  return s;
}

GST_CHECK_MAIN (tracker_client);
