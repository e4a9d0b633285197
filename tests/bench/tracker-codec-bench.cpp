/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Micro-benchmark of the tracker's message codec, the user-space work of
 * an announce: parse a P2P Media Loader announce (5 offers of about 600
 * bytes of SDP, lines ending in \r\n as browsers write them) and one
 * answer, and build the relayed messages. Baseline in the same run:
 * json-glib parsing the same texts (which the tracker cannot use: it cuts
 * strings at \u0000). Not a test: it prints figures.
 *
 *   build/tests/bench/tracker-codec-bench [ROUNDS]
 */
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include <json-glib/json-glib.h>

#include "gst/webtorrent/protocol.h"

using namespace p2p::webtorrent;

namespace {

Id20
random_id (std::mt19937 &rng)
{
  Id20 id;
  for (auto &b : id.bytes)
    b = static_cast<uint8_t> (rng ());
  return id;
}

std::string
browser_like_sdp ()
{
  std::string sdp
      = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
        "s=-\r\nt=0 0\r\na=group:BUNDLE 0\r\na=msid-semantic: WMS\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
        "c=IN IP4 0.0.0.0\r\na=ice-ufrag:Yx3n\r\n"
        "a=ice-pwd:Lw8bY0bJx7kQ2pV9dHq3Rz1m\r\na=ice-options:trickle\r\n";
  while (sdp.size () < 600)
    sdp += "a=fingerprint:sha-256 3C:4A:7E:1B:90:DD:5F:22:AB:6C\r\n";
  return sdp;
}

template <typename F>
double
microseconds_per_round (int rounds, F &&round)
{
  auto start = std::chrono::steady_clock::now ();
  for (int i = 0; i < rounds; i++)
    round ();
  std::chrono::duration<double, std::micro> spent
      = std::chrono::steady_clock::now () - start;
  return spent.count () / rounds;
}

} // namespace

int
main (int argc, char **argv)
{
  int rounds = argc > 1 ? atoi (argv[1]) : 100000;
  if (rounds <= 0) {
    fprintf (stderr, "usage: %s [ROUNDS]\n", argv[0]);
    return 2;
  }
  std::mt19937 rng (7);
  AnnounceRequest request;
  request.info_hash = random_id (rng);
  request.peer_id = random_id (rng);
  request.event = AnnounceEvent::NONE;
  std::string sdp = browser_like_sdp ();
  for (int i = 0; i < 5; i++)
    request.offers.push_back ({ random_id (rng), sdp });
  const std::string announce = build_announce (request);
  const std::string answer
      = build_answer (request.info_hash, random_id (rng), request.peer_id,
                      request.offers[0].offer_id, sdp);

  size_t relayed_bytes = 0;
  bool ok = true;
  double ours = microseconds_per_round (rounds, [&] {
    ClientParseLimits limits;
    ClientParseError error;
    ClientMessage msg;
    ok &= parse_client_message (announce, limits, msg, error);
    for (const ReceivedOffer &o : msg.offers)
      relayed_bytes += build_relayed_offer (msg.info_hash, msg.peer_id,
                                            o.offer_id, o.offer)
                           .size ();
    ClientMessage reply;
    ok &= parse_client_message (answer, limits, reply, error);
    relayed_bytes += build_relayed_answer (reply.info_hash, reply.peer_id,
                                           reply.offer_id, reply.answer)
                         .size ();
  });
  double ours_parse_only = microseconds_per_round (rounds, [&] {
    json::Value a, b;
    ok &= json::parse (announce, a) && json::parse (answer, b);
  });
  double json_glib = microseconds_per_round (rounds, [&] {
    for (const std::string *text : { &announce, &answer }) {
      JsonParser *parser = json_parser_new ();
      ok &= json_parser_load_from_data (
          parser, text->data (), static_cast<gssize> (text->size ()), nullptr);
      g_object_unref (parser);
    }
  });
  if (!ok || relayed_bytes == 0) {
    fprintf (stderr, "codec failed on its own messages\n");
    return 1;
  }
  printf ("announce (%zu bytes, 5 offers) + answer (%zu bytes), %d rounds\n",
          announce.size (), answer.size (), rounds);
  printf ("  tracker codec, parse + build relays: %6.2f us\n", ours);
  printf ("  json::parse, decoding every string:  %6.2f us\n", ours_parse_only);
  printf ("  json-glib parse (baseline):          %6.2f us  (%.1fx ours)\n",
          json_glib, json_glib / ours);
  return 0;
}
