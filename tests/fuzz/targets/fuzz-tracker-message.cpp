/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes the tracker message codec: the input is parsed as a client
 * message (server side) and as a tracker message (client side). Whatever
 * the server accepts must survive relaying: a relayed offer or answer built
 * from it parses back on the client side with the same ids and SDP.
 * Also feeds the bytes to the WebSocket frame and HTTP head parsers.
 */
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "gst/webtorrent/protocol.h"
#include "gst/tracker/websocket.h"

using namespace p2p::tracker;
using namespace p2p::webtorrent;

namespace {

void
check (bool ok)
{
  if (!ok)
    abort ();
}

void
check_relay (const Id20 &info_hash, const Id20 &from, const Id20 &offer_id,
             std::string_view description_json, bool is_offer)
{
  std::string relayed
      = is_offer
            ? build_relayed_offer (info_hash, from, offer_id, description_json)
            : build_relayed_answer (info_hash, from, offer_id,
                                    description_json);
  /* the relayed text is JSON.stringify's, whether copied or rewritten */
  json::Value description;
  check (json::parse (description_json, description));
  std::string rewritten;
  json::write (rewritten, description);
  check (rewritten == description_json);
  TrackerMessage back;
  const json::Value *sdp = description.find ("sdp");
  if (!sdp || !sdp->is_string ())
    return; /* relayed as is; clients will refuse it */
  check (parse_tracker_message (relayed, back));
  check (back.kind
         == (is_offer ? TrackerMessage::Kind::OFFER
                      : TrackerMessage::Kind::ANSWER));
  check (back.offer_id == offer_id && back.peer_id == from);
  check (back.info_hash && *back.info_hash == info_hash);
  check (back.sdp == sdp->string);
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::string text (reinterpret_cast<const char *> (data), size);

  ClientMessage msg;
  ClientParseError error;
  ClientParseLimits limits;
  if (parse_client_message (text, limits, msg, error)) {
    switch (msg.kind) {
    case ClientMessage::Kind::ANNOUNCE:
      check (msg.offers.size () <= limits.max_offers);
      for (const ReceivedOffer &o : msg.offers)
        check_relay (msg.info_hash, msg.peer_id, o.offer_id, o.offer, true);
      break;
    case ClientMessage::Kind::ANSWER:
      check_relay (msg.info_hash, msg.peer_id, msg.offer_id, msg.answer, false);
      break;
    case ClientMessage::Kind::SCRAPE:
      check (msg.scrape_info_hashes.size () <= limits.max_scrape_hashes);
      break;
    }
  } else {
    check (!error.reason.empty ());
    std::string reply
        = build_failure (error.reason, error.action,
                         error.info_hash ? &*error.info_hash : nullptr);
    TrackerMessage back;
    check (parse_tracker_message (reply, back));
    check (back.kind == TrackerMessage::Kind::FAILURE);
    check (back.failure_reason == error.reason);
  }

  TrackerMessage tracker_msg;
  parse_tracker_message (text, tracker_msg);

  /* any JSON we accept is written back as JSON we accept, unchanged */
  json::Value value;
  if (json::parse (text, value)) {
    std::string once;
    json::write (once, value);
    json::Value again;
    check (json::parse (once, again));
    std::string twice;
    json::write (twice, again);
    check (once == twice);

    /* strings left undecoded are written the same as decoded ones */
    json::ParseOptions defer;
    defer.defer_strings_over = 4;
    json::Value deferred;
    check (json::parse (text, deferred, nullptr, defer));
    std::string written;
    json::write (written, deferred);
    check (written == once);
  }

  std::vector<char> buffer (data, data + size);
  ws::Frame frame;
  if (!buffer.empty ())
    ws::parse_frame (buffer.data (), buffer.size (), true, 65536, frame);
  ws::HttpRequest request;
  size_t consumed = 0;
  if (ws::parse_http_request (text, request, consumed)
      == ws::HttpStatus::COMPLETE) {
    check (consumed <= size);
    request.header_has_token ("Connection", "upgrade");
  }
  return 0;
}
