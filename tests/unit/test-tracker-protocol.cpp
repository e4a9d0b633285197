/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The tracker message codec: binary ids byte-exact (PROTOCOLS.md §1.2),
 * JSON.stringify-identical output, bittorrent-tracker's error reasons.
 */
#include <gst/check/gstcheck.h>
#include <json-glib/json-glib.h>

#include "gst/webtorrent/protocol.h"
#include "test-helpers.h"

using namespace p2p::webtorrent;

namespace {

Id20
id_from (const char *twenty)
{
  return *Id20::from_bytes (std::string_view (twenty, 20));
}

/* The offer_id of the PROTOCOLS.md §1.8 capture: NUL, controls, DEL,
 * bytes >= 0x80, quote and backslash. */
Id20
nasty_id ()
{
  static const unsigned char raw[20]
      = { 0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, '\n', '\r', '"',  '\\',
          0xc8, 0x00, 0x1f, 0x08, 0x0c, 0x09, 0x20, 0x7e, 0xa0, 0x00 };
  return *Id20::from_bytes (
      std::string_view (reinterpret_cast<const char *> (raw), 20));
}

const char kNastyJson[]
    = "\"\\u0000\\u0001\\u0002\x7f\xc2\x80\xc3\xbf\\n\\r\\\"\\\\"
      "\xc3\x88\\u0000\\u001f\\b\\f\\t ~\xc2\xa0\\u0000\"";

const Id20 kInfoHash = id_from ("L2uYwMcHhsstZuLv8ZqU");
const Id20 kPeerA = id_from ("-PM0203-AAAAAAAAAAAA");
const Id20 kPeerB = id_from ("-PM0203-BBBBBBBBBBBB");

ClientMessage
parse_ok (const std::string &text)
{
  ClientMessage msg;
  ClientParseError error;
  bool ok = parse_client_message (text, {}, msg, error);
  fail_unless (ok, "refused %s: %s", text.c_str (), error.reason.c_str ());
  return msg;
}

ClientParseError
parse_refused (const std::string &text)
{
  ClientMessage msg;
  ClientParseError error;
  fail_if (parse_client_message (text, {}, msg, error), "accepted %s",
           text.c_str ());
  return error;
}

} // namespace

GST_START_TEST (test_binary_string_encoding)
{
  std::string out;
  json::write_binary_string (out, nasty_id ().view ());
  fail_unless_equals_string (out.c_str (), kNastyJson);

  json::Value v;
  fail_unless (json::parse (out, v));
  Id20 decoded;
  fail_unless (
      json::binary_from_utf8 (v.string, decoded.bytes.data (), Id20::kSize));
  fail_unless (decoded == nasty_id ());
  uint8_t too_short[Id20::kSize - 1];
  fail_if (json::binary_from_utf8 (v.string, too_short, sizeof too_short));
}

GST_END_TEST;

GST_START_TEST (test_every_byte_round_trips)
{
  for (int start = 0; start < 256; start += 20) {
    unsigned char raw[20];
    for (int i = 0; i < 20; i++)
      raw[i] = static_cast<unsigned char> ((start + i) & 0xff);
    Id20 offer_id = *Id20::from_bytes (
        std::string_view (reinterpret_cast<const char *> (raw), 20));
    std::string text
        = build_answer (kInfoHash, kPeerA, kPeerB, offer_id, "v=0\r\n");
    ClientMessage msg = parse_ok (text);
    fail_unless (msg.kind == ClientMessage::Kind::ANSWER);
    fail_unless (msg.offer_id == offer_id, "byte block %d changed", start);
    fail_unless (msg.to_peer_id == kPeerB);
  }
}

GST_END_TEST;

/* Why the codec does not use json-glib: its strings are NUL-terminated,
 * so an offer_id holding \u0000 comes back cut short (the UNSURE point of
 * PROTOCOLS.md §1.2, settled here). */
GST_START_TEST (test_json_glib_truncates_at_nul)
{
  std::string text = "{\"offer_id\":" + std::string (kNastyJson) + "}";
  JsonParser *parser = json_parser_new ();
  fail_unless (json_parser_load_from_data (parser, text.c_str (), -1, nullptr));
  JsonObject *obj = json_node_get_object (json_parser_get_root (parser));
  const gchar *s = json_object_get_string_member (obj, "offer_id");
  fail_unless (strlen (s) < 20, "json-glib kept %zu bytes", strlen (s));
  g_object_unref (parser);

  json::Value v;
  fail_unless (json::parse (text, v));
  Id20 offer_id;
  fail_unless (json::binary_from_utf8 (v.find ("offer_id")->string,
                                       offer_id.bytes.data (), Id20::kSize));
}

GST_END_TEST;

GST_START_TEST (test_stringify_compatible_output)
{
  struct
  {
    double n;
    const char *js;
  } numbers[] = {
    { 0, "0" },
    { -0.0, "0" },
    { 1, "1" },
    { -42, "-42" },
    { 0.5, "0.5" },
    { 0.1, "0.1" },
    { 123456789012.0, "123456789012" },
    { 1e21, "1e+21" },
    { 1.5e-7, "1.5e-7" },
    { 0.000001, "0.000001" },
    { 1e300, "1e+300" },
    { 2.5e25, "2.5e+25" },
    { 1.0 / 3, "0.3333333333333333" },
  };
  for (const auto &c : numbers) {
    std::string out;
    json::write_number (out, c.n);
    fail_unless_equals_string (out.c_str (), c.js);
  }

  /* Escapes as JSON.stringify: lowercase \u00XX, DEL and U+2028 raw, lone
   * surrogates back as \udXXX. */
  json::Value v;
  fail_unless (json::parse ("{\"sdp\":\"a\\u001Fb\\u007f\\u2028\\/"
                            "\\ud83d\\ude00\\ud800x\",\"n\":1.50,\"n\":2}",
                            v));
  std::string out;
  json::write (out, v);
  fail_unless_equals_string (
      out.c_str (),
      "{\"sdp\":\"a\\u001fb\x7f\xe2\x80\xa8/\xf0\x9f\x98\x80\\ud800x\","
      "\"n\":2}");
  fail_unless_equals_int (json::utf16_length (v.find ("sdp")->string), 10);
}

GST_END_TEST;

GST_START_TEST (test_json_rejects)
{
  const char *bad[] = {
    "",    "{",           "{\"a\":}", "{\"a\":1,}", "[1 2]",
    "01",  "1.",          "-",        "\"\\x\"",    "\"\\u12\"",
    "tru", "{\"a\":1} x", "\"a\nb\"", "{'a':1}",    "NaN",
  };
  for (const char *text : bad) {
    json::Value v;
    fail_if (json::parse (text, v), "accepted %s", text);
  }
  json::Value v;
  std::string invalid_utf8 = "\"\xc3\x28\"";
  fail_if (json::parse (invalid_utf8, v));
  std::string raw_nul ("\"a\0b\"", 5);
  fail_if (json::parse (raw_nul, v));
  std::string deep (100, '[');
  deep += std::string (100, ']');
  fail_if (json::parse (deep, v));
}

GST_END_TEST;

GST_START_TEST (test_deferred_strings)
{
  std::string sdp_json; /* 200 bytes of JSON text with escapes */
  for (int i = 0; i < 20; i++)
    sdp_json += i % 2 ? "a=x\\/y\\r\\n" : "b=\\u0041z\\r\\n";
  std::string text = "{\"long\":\"" + sdp_json + "\",\"o\":{\"sdp\":\""
                     + sdp_json + "\",\"id\":\"short\"}}";
  json::ParseOptions defer;
  defer.defer_strings_over = 120;
  json::Value deferred, full;
  fail_unless (json::parse (text, deferred, nullptr, defer));
  fail_unless (json::parse (text, full));

  /* the root's own members are decoded, and short strings below them */
  fail_unless (deferred.find ("long")->decoded);
  fail_unless (deferred.find ("long")->string == full.find ("long")->string);
  const json::Value *o = deferred.find ("o");
  fail_unless (o->find ("id")->decoded);
  fail_unless_equals_string (o->find ("id")->string.c_str (), "short");
  /* the long nested one is checked only, and written the same */
  fail_if (o->find ("sdp")->decoded);
  fail_unless (o->find ("sdp")->string.empty ());
  std::string a, b;
  json::write (a, deferred);
  json::write (b, full);
  fail_unless_equals_string (a.c_str (), b.c_str ());

  fail_unless (o->find ("sdp")->decoded_string ()
               == full.find ("o")->find ("sdp")->string);

  /* a bad escape in a deferred string still fails the parse */
  std::string bad = "{\"o\":{\"sdp\":\"" + sdp_json + "\\x\"}}";
  fail_if (json::parse (bad, deferred, nullptr, defer));
}

GST_END_TEST;

GST_START_TEST (test_long_nested_strings_keep_their_meaning)
{
  /* parse_client_message defers long nested strings; what bittorrent-
   * tracker reads from them must not change: String(action), Number(left) */
  std::string long_text (150, '7');
  ClientMessage msg;
  ClientParseError error;
  fail_if (parse_client_message ("{\"action\":[\"" + long_text + "\"]}", {},
                                 msg, error));
  std::string expected = "invalid action in WS request: " + long_text;
  fail_unless_equals_string (error.reason.c_str (), expected.c_str ());

  std::string announce
      = "{\"action\":\"announce\",\"info_hash\":"
        "\"L2uYwMcHhsstZuLv8ZqU\",\"peer_id\":\"-PM0203-AAAAAAAAAAAA\","
        "\"left\":[\""
        + long_text + "\"]}";
  fail_unless (parse_client_message (announce, {}, msg, error));
  fail_if (msg.left_is_zero);
  std::string zero (149, ' ');
  zero += '0';
  std::string seeder = announce;
  seeder.replace (seeder.find (long_text), long_text.size (), zero);
  fail_unless (parse_client_message (seeder, {}, msg, error));
  fail_unless (msg.left_is_zero);
}

GST_END_TEST;

GST_START_TEST (test_announce_build_parse)
{
  AnnounceRequest request;
  request.info_hash = kInfoHash;
  request.peer_id = kPeerA;
  request.event = AnnounceEvent::STARTED;
  for (int i = 0; i < 5; i++)
    request.offers.push_back (
        { nasty_id (), "v=0\r\no=- " + std::to_string (i) + "\r\n" });
  std::string text = build_announce (request);
  fail_unless (
      g_str_has_prefix (
          text.c_str (),
          "{\"numwant\":5,\"uploaded\":0,\"downloaded\":0,\"event\":"
          "\"started\","
          "\"action\":\"announce\",\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\","
          "\"peer_id\":\"-PM0203-AAAAAAAAAAAA\",\"offers\":[{\"offer\":"
          "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 0\\r\\n\"},"
          "\"offer_id\":"),
      "%s", text.c_str ());

  ClientMessage msg = parse_ok (text);
  fail_unless (msg.kind == ClientMessage::Kind::ANNOUNCE);
  fail_unless (msg.event == AnnounceEvent::STARTED);
  fail_unless (msg.info_hash == kInfoHash && msg.peer_id == kPeerA);
  fail_unless_equals_int (msg.offers.size (), 5);
  fail_unless (msg.offers[4].offer_id == nasty_id ());
  assert_equals_std_string (
      std::string (msg.offers[4].offer),
      "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 4\\r\\n\"}");
  fail_if (msg.left_is_zero);

  /* relayed to another peer as bittorrent-tracker does */
  std::string relayed = build_relayed_offer (
      msg.info_hash, msg.peer_id, msg.offers[0].offer_id, msg.offers[0].offer);
  std::string expected
      = std::string (
            "{\"action\":\"announce\","
            "\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 0\\r\\n\"},"
            "\"offer_id\":")
        + kNastyJson
        + ",\"peer_id\":\"-PM0203-AAAAAAAAAAAA\","
          "\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\"}";
  fail_unless_equals_string (relayed.c_str (), expected.c_str ());

  /* and the receiving client reads it back */
  TrackerMessage in;
  fail_unless (parse_tracker_message (relayed, in));
  fail_unless (in.kind == TrackerMessage::Kind::OFFER);
  fail_unless (in.offer_id == nasty_id () && in.peer_id == kPeerA);
  fail_unless_equals_string (in.sdp.c_str (), "v=0\r\no=- 0\r\n");

  /* stopped and completed carry no offers */
  request.event = AnnounceEvent::STOPPED;
  text = build_announce (request);
  fail_unless (text.find ("offers") == std::string::npos);
  fail_unless (parse_ok (text).event == AnnounceEvent::STOPPED);
}

GST_END_TEST;

GST_START_TEST (test_events_and_left)
{
  std::string base
      = "{\"action\":\"announce\",\"info_hash\":"
        "\"L2uYwMcHhsstZuLv8ZqU\",\"peer_id\":\"-PM0203-AAAAAAAAAAAA\"";
  struct
  {
    const char *fields;
    AnnounceEvent event;
    bool seeder;
  } cases[] = {
    { "", AnnounceEvent::NONE, false },
    { ",\"event\":\"\"", AnnounceEvent::NONE, false },
    { ",\"event\":null", AnnounceEvent::NONE, false },
    { ",\"event\":\"empty\"", AnnounceEvent::NONE, false },
    { ",\"event\":\"update\"", AnnounceEvent::UPDATE, false },
    { ",\"event\":\"completed\",\"left\":0", AnnounceEvent::COMPLETED, true },
    { ",\"event\":\"paused\",\"left\":\"0\"", AnnounceEvent::PAUSED, true },
    { ",\"left\":null", AnnounceEvent::NONE, true },
    { ",\"left\":12", AnnounceEvent::NONE, false },
    { ",\"left\":\"x\"", AnnounceEvent::NONE, false },
  };
  for (const auto &c : cases) {
    ClientMessage msg = parse_ok (base + c.fields + "}");
    fail_unless (msg.event == c.event, "event of %s", c.fields);
    fail_unless (msg.left_is_zero == c.seeder, "left of %s", c.fields);
  }

  ClientParseError error = parse_refused (base + ",\"event\":\"bogus\"}");
  fail_unless_equals_string (error.reason.c_str (), "invalid event");
  fail_unless (error.info_hash && *error.info_hash == kInfoHash);
  std::string reply
      = build_failure (error.reason, error.action, &*error.info_hash);
  fail_unless_equals_string (reply.c_str (),
                             "{\"action\":\"announce\","
                             "\"failure reason\":\"invalid event\","
                             "\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\"}");
}

GST_END_TEST;

GST_START_TEST (test_bittorrent_tracker_reasons)
{
  struct
  {
    const char *text;
    const char *reason;
    ClientParseError::Kind kind;
  } cases[] = {
    { "{\"action\":\"announce\",\"info_hash\":\"short\","
      "\"peer_id\":\"-PM0203-AAAAAAAAAAAA\"}",
      "invalid info_hash", ClientParseError::Kind::INVALID_MESSAGE },
    { "{\"action\":\"announce\",\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\","
      "\"peer_id\":7}",
      "invalid peer_id", ClientParseError::Kind::INVALID_MESSAGE },
    /* U+0100 is no byte: refused although its JS length is 20 */
    { "{\"action\":\"announce\",\"info_hash\":\"L2uYwMcHhsstZuLv8Zq\\u0100\","
      "\"peer_id\":\"-PM0203-AAAAAAAAAAAA\"}",
      "invalid info_hash", ClientParseError::Kind::INVALID_MESSAGE },
    { "{\"action\":\"announce\",\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\","
      "\"peer_id\":\"-PM0203-AAAAAAAAAAAA\",\"answer\":{\"type\":\"answer\"},"
      "\"to_peer_id\":\"x\"}",
      "invalid `to_peer_id` (required with `answer`)",
      ClientParseError::Kind::INVALID_MESSAGE },
    { "{\"action\":\"connect\"}", "invalid action in WS request: connect",
      ClientParseError::Kind::UNKNOWN_ACTION },
    { "{\"info_hash\":1}", "invalid action in WS request: undefined",
      ClientParseError::Kind::UNKNOWN_ACTION },
    { "[1,2]", "invalid action in WS request: undefined",
      ClientParseError::Kind::UNKNOWN_ACTION },
    { "{\"action\":7}", "invalid action in WS request: 7",
      ClientParseError::Kind::UNKNOWN_ACTION },
    { "{\"action\":\"scrape\",\"info_hash\":[\"short\"]}", "invalid info_hash",
      ClientParseError::Kind::INVALID_MESSAGE },
    { "{\"action\":\"announce\"", "invalid JSON",
      ClientParseError::Kind::INVALID_JSON },
  };
  for (const auto &c : cases) {
    ClientParseError error = parse_refused (c.text);
    fail_unless_equals_string (error.reason.c_str (), c.reason);
    fail_unless (error.kind == c.kind, "kind of %s", c.text);
  }
  /* ids errors come before the swarm is known: the reply is the bare form */
  ClientParseError error = parse_refused (cases[0].text);
  fail_if (error.info_hash.has_value ());
  std::string reply = build_failure (error.reason);
  fail_unless_equals_string (reply.c_str (),
                             "{\"failure reason\":\"invalid info_hash\"}");
}

GST_END_TEST;

GST_START_TEST (test_offer_limits)
{
  std::string text
      = "{\"action\":\"announce\",\"info_hash\":"
        "\"L2uYwMcHhsstZuLv8ZqU\",\"peer_id\":\"-PM0203-AAAAAAAAAAAA\","
        "\"offers\":[";
  for (int i = 0; i < 12; i++) {
    if (i)
      text += ',';
    text += "{\"offer\":{\"type\":\"offer\",\"sdp\":\"s\"},"
            "\"offer_id\":\"0123456789012345678"
            + std::to_string (i % 10) + "\"}";
  }
  text += "]}";
  ClientMessage msg;
  ClientParseError error;
  ClientParseLimits limits;
  limits.max_offers = 5;
  fail_unless (parse_client_message (text, limits, msg, error));
  fail_unless_equals_int (msg.offers.size (), 5);
  fail_unless_equals_int (msg.offers_dropped, 7);

  error = parse_refused (
      "{\"action\":\"announce\",\"info_hash\":"
      "\"L2uYwMcHhsstZuLv8ZqU\",\"peer_id\":\"-PM0203-AAAAAAAAAAAA\","
      "\"offers\":[{\"offer\":{},\"offer_id\":\"short\"}]}");
  fail_unless_equals_string (error.reason.c_str (), "invalid offer");
}

GST_END_TEST;

GST_START_TEST (test_scrape)
{
  ClientMessage msg = parse_ok (build_scrape ({ kInfoHash, nasty_id () }));
  fail_unless (msg.kind == ClientMessage::Kind::SCRAPE);
  fail_unless_equals_int (msg.scrape_info_hashes.size (), 2);
  fail_unless (msg.scrape_info_hashes[1] == nasty_id ());
  msg = parse_ok ("{\"action\":\"scrape\",\"info_hash\":"
                  "\"01234567890123456789\"}");
  fail_unless_equals_int (msg.scrape_info_hashes.size (), 1);
  msg = parse_ok ("{\"action\":\"scrape\"}");
  fail_unless (msg.scrape_info_hashes.empty ());

  /* the response bytes of the PROTOCOLS.md §1.8 capture */
  std::vector<TrackerMessage::ScrapeFile> files (2);
  files[0].info_hash = kInfoHash;
  files[0].incomplete = 2;
  files[1].info_hash = id_from ("01234567890123456789");
  std::string reply = build_scrape_response (files, 600);
  fail_unless_equals_string (
      reply.c_str (),
      "{\"action\":\"scrape\","
      "\"files\":{\"L2uYwMcHhsstZuLv8ZqU\":{\"complete\":0,\"incomplete\":2,"
      "\"downloaded\":0},\"01234567890123456789\":{\"complete\":0,"
      "\"incomplete\":0,\"downloaded\":0}},"
      "\"flags\":{\"min_request_interval\":600}}");
  TrackerMessage in;
  fail_unless (parse_tracker_message (reply, in));
  fail_unless (in.kind == TrackerMessage::Kind::SCRAPE_RESPONSE);
  fail_unless_equals_int (in.files.size (), 2);
  fail_unless_equals_int (in.files[0].incomplete, 2);
}

GST_END_TEST;

GST_START_TEST (test_client_side_parse)
{
  std::string response = build_announce_response (kInfoHash, 1, 2, 120);
  fail_unless_equals_string (
      response.c_str (),
      "{\"complete\":1,"
      "\"incomplete\":2,\"action\":\"announce\",\"interval\":120,"
      "\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\"}");
  TrackerMessage in;
  fail_unless (parse_tracker_message (response, in));
  fail_unless (in.kind == TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  fail_unless_equals_int (*in.interval, 120);
  fail_unless_equals_int (*in.complete, 1);
  fail_unless_equals_int (*in.incomplete, 2);
  /* counts no int64_t holds are left out, not cast */
  fail_unless (parse_tracker_message (
      "{\"action\":\"announce\","
      "\"info_hash\":\"L2uYwMcHhsstZuLv8ZqU\",\"interval\":1e300,"
      "\"complete\":-9.3e18}",
      in));
  fail_if (in.interval.has_value ());
  fail_if (in.complete.has_value ());

  std::string relayed = build_relayed_answer (
      kInfoHash, kPeerB, nasty_id (), "{\"type\":\"answer\",\"sdp\":\"v=0\"}");
  fail_unless (parse_tracker_message (relayed, in));
  fail_unless (in.kind == TrackerMessage::Kind::ANSWER);
  fail_unless (in.peer_id == kPeerB && in.offer_id == nasty_id ());
  fail_unless_equals_string (in.sdp.c_str (), "v=0");

  fail_unless (parse_tracker_message ("{\"failure reason\":\"nope\"}", in));
  fail_unless (in.kind == TrackerMessage::Kind::FAILURE);
  fail_unless_equals_string (in.failure_reason.c_str (), "nope");
  fail_if (in.info_hash.has_value ());

  fail_if (parse_tracker_message (
      "{\"action\":\"announce\",\"info_hash\":"
      "\"L2uYwMcHhsstZuLv8ZqU\",\"offer\":{\"type\":\"offer\"},"
      "\"offer_id\":\"01234567890123456789\","
      "\"peer_id\":\"01234567890123456789\"}",
      in));
  fail_if (parse_tracker_message ("nope", in));
}

GST_END_TEST;

/* Offers are relayed as JSON.stringify(JSON.parse(offer)): the received
 * bytes when they are already that, a rewrite when they are not. */
GST_START_TEST (test_relayed_description_is_stringify)
{
  static const struct
  {
    const char *received;
    const char *relayed;
  } cases[] = {
    /* copied as received */
    { "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\\\"q\\\"\\\\\\t\"}",
      "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\n\\\"q\\\"\\\\\\t\"}" },
    { "{\"type\":\"offer\",\"sdp\":\"é\",\"x\":[true,null,{}]}",
      "{\"type\":\"offer\",\"sdp\":\"é\",\"x\":[true,null,{}]}" },
    /* rewritten */
    { "{ \"type\" : \"offer\",\n\"sdp\":\"v=0\" }",
      "{\"type\":\"offer\",\"sdp\":\"v=0\"}" },
    { "{\"type\":\"offer\",\"sdp\":\"a\\/b\\u0041\\u001f\"}",
      "{\"type\":\"offer\",\"sdp\":\"a/bA\\u001f\"}" },
    { "{\"type\":\"offer\",\"sdp\":\"v=0\",\"n\":1.50,\"m\":1e2}",
      "{\"type\":\"offer\",\"sdp\":\"v=0\",\"n\":1.5,\"m\":100}" },
    { "{\"type\":\"x\",\"sdp\":\"v=0\",\"type\":\"offer\"}",
      "{\"type\":\"offer\",\"sdp\":\"v=0\"}" },
    { "{\"type\":\"offer\",\"sdp\":\"v=0\",\"a\":[1, 2]}",
      "{\"type\":\"offer\",\"sdp\":\"v=0\",\"a\":[1,2]}" },
    /* an SDP too long to decode when parsed, rewritten all the same */
    { "{ \"type\":\"offer\",\"sdp\":\"v=0\\r\\na=\\/\\u0041"
      "0123456789012345678901234567890123456789012345678901234567890123"
      "0123456789012345678901234567890123456789012345678901234567890123"
      "\"}",
      "{\"type\":\"offer\",\"sdp\":\"v=0\\r\\na=/A"
      "0123456789012345678901234567890123456789012345678901234567890123"
      "0123456789012345678901234567890123456789012345678901234567890123"
      "\"}" },
  };
  const std::string head
      = "{\"action\":\"announce\",\"info_hash\":"
        "\"L2uYwMcHhsstZuLv8ZqU\",\"peer_id\":\"-PM0203-AAAAAAAAAAAA\","
        "\"offers\":[";
  const std::string offer_id = ",\"offer_id\":\"01234567890123456789\"}";
  std::string all = head;
  for (const auto &c : cases) {
    std::string text = head + "{\"offer\":" + c.received + offer_id + "]}";
    ClientMessage msg = parse_ok (text);
    fail_unless_equals_int (msg.offers.size (), 1);
    assert_equals_std_string (std::string (msg.offers[0].offer), c.relayed);
    all += std::string (all.size () > head.size () ? "," : "")
           + "{\"offer\":" + c.received + offer_id;
  }
  /* all in one message: each text stays put while the others are
   * rewritten */
  all += "]}";
  ClientMessage msg = parse_ok (all);
  fail_unless_equals_int (msg.offers.size (), G_N_ELEMENTS (cases));
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_equals_std_string (std::string (msg.offers[i].offer),
                              cases[i].relayed);
}

GST_END_TEST;

/* One builder for a peer's relays writes what the single builds write. */
GST_START_TEST (test_relay_builder)
{
  const Id20 hash = *Id20::from_bytes (std::string ("\0\xff\"\\a", 5)
                                       + std::string (15, 'h'));
  const Id20 from = *Id20::from_bytes (std::string ("-PM0203-\x80\n", 10)
                                       + std::string (10, 'f'));
  RelayBuilder offers (RelayBuilder::Kind::OFFER, hash, from);
  RelayBuilder answers (RelayBuilder::Kind::ANSWER, hash, from);
  for (int i = 0; i < 3; i++) {
    Id20 offer_id
        = *Id20::from_bytes (std::string (19, 'o') + static_cast<char> (i));
    std::string description
        = "{\"type\":\"offer\",\"sdp\":\"v=" + std::to_string (i) + "\"}";
    fail_unless (offers.build (offer_id, description)
                 == build_relayed_offer (hash, from, offer_id, description));
    fail_unless (answers.build (offer_id, description)
                 == build_relayed_answer (hash, from, offer_id, description));
  }
  TrackerMessage back;
  fail_unless (parse_tracker_message (
      offers.build (*Id20::from_bytes (std::string (20, 'o')),
                    "{\"type\":\"offer\",\"sdp\":\"v=0\"}"),
      back));
  fail_unless (back.kind == TrackerMessage::Kind::OFFER);
  fail_unless (back.peer_id == from && *back.info_hash == hash);
}

GST_END_TEST;

static Suite *
tracker_protocol_suite (void)
{
  Suite *s = suite_create ("tracker-protocol");
  TCase *tc = tcase_create ("codec");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_binary_string_encoding);
  tcase_add_test (tc, test_every_byte_round_trips);
  tcase_add_test (tc, test_json_glib_truncates_at_nul);
  tcase_add_test (tc, test_stringify_compatible_output);
  tcase_add_test (tc, test_json_rejects);
  tcase_add_test (tc, test_deferred_strings);
  tcase_add_test (tc, test_long_nested_strings_keep_their_meaning);
  tcase_add_test (tc, test_announce_build_parse);
  tcase_add_test (tc, test_events_and_left);
  tcase_add_test (tc, test_bittorrent_tracker_reasons);
  tcase_add_test (tc, test_offer_limits);
  tcase_add_test (tc, test_scrape);
  tcase_add_test (tc, test_client_side_parse);
  tcase_add_test (tc, test_relayed_description_is_stringify);
  tcase_add_test (tc, test_relay_builder);
  return s;
}

GST_CHECK_MAIN (tracker_protocol);
