/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/webtorrent/protocol.h"

#include <cmath>

#include <glib.h>

namespace p2p::webtorrent {

namespace {

/* Field names and reasons shared with bittorrent-tracker (PROTOCOLS.md
 * §1.3, §1.4); the reasons are its exact words where it has any. */
constexpr const char kInvalidInfoHash[] = "invalid info_hash";
constexpr const char kInvalidPeerId[] = "invalid peer_id";
constexpr const char kInvalidToPeerId[]
    = "invalid `to_peer_id` (required with `answer`)";
constexpr const char kInvalidEvent[] = "invalid event";

bool
read_binary_id (const json::Value *v, Id20 &out)
{
  Id20 id;
  if (!v || !v->is_string ()
      || !json::binary_from_utf8 (v->string, id.bytes.data (), Id20::kSize))
    return false;
  out = id;
  return true;
}

void
write_id (std::string &out, const Id20 &id)
{
  json::write_binary_string (out, id.view ());
}

/* "key": prefix for the hand-assembled messages below. */
void
write_key (std::string &out, const char *key, bool first = false)
{
  if (!first)
    out += ',';
  out += '"';
  out += key;
  out += "\":";
}

std::optional<int64_t>
read_integer (const json::Value *v)
{
  /* 2^63: beyond it the cast is undefined */
  constexpr double kLimit = 9223372036854775808.0;
  if (!v || !v->is_number () || !(std::fabs (v->number) < kLimit))
    return std::nullopt;
  return static_cast<int64_t> (v->number);
}

/* JavaScript truthiness, which bittorrent-tracker applies to `answer`. */
bool
js_truthy (const json::Value *v)
{
  if (!v)
    return false;
  switch (v->type) {
  case json::Value::Type::NULL_VALUE:
    return false;
  case json::Value::Type::BOOL:
    return v->boolean;
  case json::Value::Type::NUMBER:
    return v->number != 0 && !std::isnan (v->number);
  case json::Value::Type::STRING:
    return !v->decoded_string ().empty ();
  default:
    return true;
  }
}

/* String(value) in JavaScript, for the unknown-action reason. */
std::string
js_string (const json::Value *v)
{
  if (!v)
    return "undefined";
  switch (v->type) {
  case json::Value::Type::NULL_VALUE:
    return "null";
  case json::Value::Type::BOOL:
    return v->boolean ? "true" : "false";
  case json::Value::Type::NUMBER: {
    std::string s;
    json::write_number (s, v->number);
    return s;
  }
  case json::Value::Type::STRING:
    return v->decoded_string ();
  case json::Value::Type::ARRAY: {
    std::string s;
    for (size_t i = 0; i < v->items.size (); i++) {
      if (i)
        s += ',';
      if (!v->items[i].is_null ())
        s += js_string (&v->items[i]);
    }
    return s;
  }
  case json::Value::Type::OBJECT:
  default:
    return "[object Object]";
  }
}

/* Number(left) === 0 in JavaScript: 0, null, false, "", "0", " 0.0 "… */
bool
js_number_is_zero (const json::Value *v)
{
  if (!v)
    return false;
  switch (v->type) {
  case json::Value::Type::NULL_VALUE:
    return true;
  case json::Value::Type::BOOL:
    return !v->boolean;
  case json::Value::Type::NUMBER:
    return v->number == 0;
  case json::Value::Type::STRING: {
    std::string s = v->decoded_string ();
    g_strstrip (&s[0]);
    s.resize (strlen (s.c_str ()));
    if (s.empty ())
      return true;
    char *end = nullptr;
    double d = g_ascii_strtod (s.c_str (), &end);
    return end && *end == '\0' && d == 0;
  }
  case json::Value::Type::ARRAY:
    return v->items.empty ()
           || (v->items.size () == 1 && js_number_is_zero (&v->items[0]));
  default:
    return false;
  }
}

bool
parse_event (const json::Value *v, AnnounceEvent &event)
{
  if (!js_truthy (v)) {
    event = AnnounceEvent::NONE;
    return true;
  }
  if (!v->is_string ())
    return false;
  static const struct
  {
    const char *name;
    AnnounceEvent event;
  } names[] = {
    { "started", AnnounceEvent::STARTED },
    { "stopped", AnnounceEvent::STOPPED },
    { "completed", AnnounceEvent::COMPLETED },
    { "update", AnnounceEvent::UPDATE },
    { "paused", AnnounceEvent::PAUSED },
    { "empty", AnnounceEvent::NONE },
  };
  for (const auto &n : names) {
    if (v->string == n.name) {
      event = n.event;
      return true;
    }
  }
  return false;
}

/* What bittorrent-tracker relays for a value: JSON.stringify of what it
 * parsed. Usually the received bytes themselves, copied rather than
 * written again. */
std::string_view
relay_json (const json::Value &v, ClientMessage &out)
{
  if (v.canonical)
    return v.source;
  json::write (out.rewritten.emplace_back (), v);
  return out.rewritten.back ();
}

bool
fail (ClientParseError &error, ClientParseError::Kind kind, std::string reason)
{
  error.kind = kind;
  error.reason = std::move (reason);
  return false;
}

bool
parse_announce (const json::Value &root, const ClientParseLimits &limits,
                ClientMessage &out, ClientParseError &error)
{
  using Kind = ClientParseError::Kind;
  if (!read_binary_id (root.find ("info_hash"), out.info_hash))
    return fail (error, Kind::INVALID_MESSAGE, kInvalidInfoHash);
  if (!read_binary_id (root.find ("peer_id"), out.peer_id))
    return fail (error, Kind::INVALID_MESSAGE, kInvalidPeerId);

  const json::Value *answer = root.find ("answer");
  if (js_truthy (answer)) {
    if (!read_binary_id (root.find ("to_peer_id"), out.to_peer_id))
      return fail (error, Kind::INVALID_MESSAGE, kInvalidToPeerId);
    /* From here on the reply names the swarm, as bittorrent-tracker's
     * processing errors do. */
    error.info_hash = out.info_hash;
    error.action = "announce";
    if (!answer->is_object ())
      return fail (error, Kind::INVALID_MESSAGE, "invalid answer");
    if (!read_binary_id (root.find ("offer_id"), out.offer_id))
      return fail (error, Kind::INVALID_MESSAGE, "invalid offer_id");
    out.kind = ClientMessage::Kind::ANSWER;
    out.answer = relay_json (*answer, out);
    return true;
  }

  error.info_hash = out.info_hash;
  error.action = "announce";
  out.kind = ClientMessage::Kind::ANNOUNCE;
  if (!parse_event (root.find ("event"), out.event))
    return fail (error, Kind::INVALID_MESSAGE, kInvalidEvent);
  out.left_is_zero = js_number_is_zero (root.find ("left"));

  const json::Value *offers = root.find ("offers");
  if (offers && !offers->is_null ()) {
    if (!offers->is_array ())
      return fail (error, Kind::INVALID_MESSAGE, "invalid offers");
    for (const json::Value &item : offers->items) {
      ReceivedOffer offer;
      const json::Value *description
          = item.is_object () ? item.find ("offer") : nullptr;
      if (!description || !description->is_object ()
          || !read_binary_id (item.find ("offer_id"), offer.offer_id))
        return fail (error, Kind::INVALID_MESSAGE, "invalid offer");
      if (out.offers.size () >= limits.max_offers) {
        out.offers_dropped++;
        continue;
      }
      offer.offer = relay_json (*description, out);
      out.offers.push_back (std::move (offer));
    }
  }
  return true;
}

bool
parse_scrape (const json::Value &root, const ClientParseLimits &limits,
              ClientMessage &out, ClientParseError &error)
{
  using Kind = ClientParseError::Kind;
  out.kind = ClientMessage::Kind::SCRAPE;
  const json::Value *hashes = root.find ("info_hash");
  if (!hashes || hashes->is_null ())
    return true;
  if (hashes->is_string ()) {
    Id20 id;
    if (!read_binary_id (hashes, id))
      return fail (error, Kind::INVALID_MESSAGE, kInvalidInfoHash);
    out.scrape_info_hashes.push_back (id);
    return true;
  }
  if (!hashes->is_array ())
    return fail (error, Kind::INVALID_MESSAGE, kInvalidInfoHash);
  if (hashes->items.size () > limits.max_scrape_hashes)
    return fail (error, Kind::INVALID_MESSAGE, "too many info_hash values");
  for (const json::Value &item : hashes->items) {
    Id20 id;
    if (!read_binary_id (&item, id))
      return fail (error, Kind::INVALID_MESSAGE, kInvalidInfoHash);
    out.scrape_info_hashes.push_back (id);
  }
  return true;
}

void
write_description (std::string &out, const char *type, std::string_view sdp)
{
  out += "{\"type\":\"";
  out += type;
  out += "\",\"sdp\":";
  json::write_string (out, sdp);
  out += '}';
}

} // namespace

size_t
Id20Hash::operator() (const Id20 &id) const noexcept
{
  /* Keyed with a per-process seed so that chosen peer ids cannot pile up
   * in one hash bucket. */
  static const uint64_t seed
      = (static_cast<uint64_t> (g_random_int ()) << 32) | g_random_int ();
  uint64_t a, b;
  uint32_t c;
  memcpy (&a, id.bytes.data (), 8);
  memcpy (&b, id.bytes.data () + 8, 8);
  memcpy (&c, id.bytes.data () + 16, 4);
  uint64_t h = seed ^ a;
  h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL ^ b;
  h = (h ^ (h >> 32)) * 0x94d049bb133111ebULL ^ c;
  return static_cast<size_t> (h ^ (h >> 31));
}

std::optional<Id20>
Id20::from_bytes (std::string_view raw)
{
  if (raw.size () != kSize)
    return std::nullopt;
  Id20 id;
  memcpy (id.bytes.data (), raw.data (), kSize);
  return id;
}

std::string
Id20::hex () const
{
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve (2 * kSize);
  for (uint8_t b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 0xF];
  }
  return s;
}

const char *
announce_event_name (AnnounceEvent event)
{
  switch (event) {
  case AnnounceEvent::STARTED:
    return "started";
  case AnnounceEvent::STOPPED:
    return "stopped";
  case AnnounceEvent::COMPLETED:
    return "completed";
  case AnnounceEvent::UPDATE:
    return "update";
  case AnnounceEvent::PAUSED:
    return "paused";
  case AnnounceEvent::NONE:
  default:
    return nullptr;
  }
}

std::string
build_announce (const AnnounceRequest &request)
{
  std::string out = "{";
  write_key (out, "numwant", true);
  out += std::to_string (
      request.numwant.value_or (static_cast<int> (request.offers.size ())));
  write_key (out, "uploaded");
  out += std::to_string (request.uploaded);
  write_key (out, "downloaded");
  out += std::to_string (request.downloaded);
  if (request.left) {
    write_key (out, "left");
    out += std::to_string (*request.left);
  }
  if (const char *event = announce_event_name (request.event)) {
    write_key (out, "event");
    json::write_string (out, event);
  }
  write_key (out, "action");
  out += "\"announce\"";
  write_key (out, "info_hash");
  write_id (out, request.info_hash);
  write_key (out, "peer_id");
  write_id (out, request.peer_id);
  if (request.event != AnnounceEvent::STOPPED
      && request.event != AnnounceEvent::COMPLETED) {
    write_key (out, "offers");
    out += '[';
    for (size_t i = 0; i < request.offers.size (); i++) {
      if (i)
        out += ',';
      out += "{\"offer\":";
      write_description (out, "offer", request.offers[i].sdp);
      write_key (out, "offer_id");
      write_id (out, request.offers[i].offer_id);
      out += '}';
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::string
build_answer (const Id20 &info_hash, const Id20 &peer_id,
              const Id20 &to_peer_id, const Id20 &offer_id,
              std::string_view sdp)
{
  std::string out = "{\"action\":\"announce\"";
  write_key (out, "info_hash");
  write_id (out, info_hash);
  write_key (out, "peer_id");
  write_id (out, peer_id);
  write_key (out, "to_peer_id");
  write_id (out, to_peer_id);
  write_key (out, "answer");
  write_description (out, "answer", sdp);
  write_key (out, "offer_id");
  write_id (out, offer_id);
  out += '}';
  return out;
}

std::string
build_scrape (const std::vector<Id20> &info_hashes)
{
  std::string out = "{\"action\":\"scrape\"";
  write_key (out, "info_hash");
  out += '[';
  for (size_t i = 0; i < info_hashes.size (); i++) {
    if (i)
      out += ',';
    write_id (out, info_hashes[i]);
  }
  out += "]}";
  return out;
}

bool
parse_tracker_message (std::string_view text, TrackerMessage &out,
                       std::string *error)
{
  auto fail_with = [error] (const char *why) {
    if (error)
      *error = why;
    return false;
  };
  out = TrackerMessage ();
  json::Value root;
  if (!json::parse (text, root, error))
    return false;
  if (!root.is_object ())
    return fail_with ("not a JSON object");

  Id20 info_hash;
  if (read_binary_id (root.find ("info_hash"), info_hash))
    out.info_hash = info_hash;

  if (const json::Value *reason = root.find ("failure reason")) {
    out.kind = TrackerMessage::Kind::FAILURE;
    out.failure_reason = reason->is_string () ? reason->string : "";
    return true;
  }

  const json::Value *action = root.find ("action");
  if (!action || !action->is_string ())
    return fail_with ("no action");

  if (action->string == "scrape") {
    out.kind = TrackerMessage::Kind::SCRAPE_RESPONSE;
    const json::Value *files = root.find ("files");
    if (!files || !files->is_object ())
      return fail_with ("scrape response without files");
    for (const json::Member &m : files->members) {
      TrackerMessage::ScrapeFile file;
      json::Value key = json::Value::make_string (m.key);
      if (!read_binary_id (&key, file.info_hash) || !m.value.is_object ())
        return fail_with ("invalid scrape entry");
      file.complete = read_integer (m.value.find ("complete")).value_or (0);
      file.incomplete = read_integer (m.value.find ("incomplete")).value_or (0);
      file.downloaded = read_integer (m.value.find ("downloaded")).value_or (0);
      out.files.push_back (file);
    }
    return true;
  }
  if (action->string != "announce")
    return fail_with ("unknown action");
  if (!out.info_hash)
    return fail_with ("invalid info_hash");

  const json::Value *offer = root.find ("offer");
  const json::Value *answer = root.find ("answer");
  const json::Value *description = offer ? offer : answer;
  if (description) {
    out.kind
        = offer ? TrackerMessage::Kind::OFFER : TrackerMessage::Kind::ANSWER;
    const json::Value *sdp
        = description->is_object () ? description->find ("sdp") : nullptr;
    if (!sdp || !sdp->is_string ())
      return fail_with ("description without sdp");
    if (!read_binary_id (root.find ("peer_id"), out.peer_id))
      return fail_with ("invalid peer_id");
    if (!read_binary_id (root.find ("offer_id"), out.offer_id))
      return fail_with ("invalid offer_id");
    out.sdp = sdp->string;
    return true;
  }

  out.kind = TrackerMessage::Kind::ANNOUNCE_RESPONSE;
  out.interval = read_integer (root.find ("interval"));
  out.min_interval = read_integer (root.find ("min interval"));
  out.complete = read_integer (root.find ("complete"));
  out.incomplete = read_integer (root.find ("incomplete"));
  return true;
}

bool
parse_client_message (std::string_view text, const ClientParseLimits &limits,
                      ClientMessage &out, ClientParseError &error)
{
  using Kind = ClientParseError::Kind;
  out = ClientMessage ();
  error = ClientParseError ();
  /* The only nested strings read here are 20-byte ids, at most 120 bytes
   * of JSON text ("\u00XX" each): longer ones (the SDPs) need no decoding,
   * and one that is an id is invalid either way. */
  json::ParseOptions options;
  options.defer_strings_over = 6 * Id20::kSize;
  json::Value root;
  if (!json::parse (text, root, nullptr, options))
    return fail (error, Kind::INVALID_JSON, "invalid JSON");

  const json::Value *action
      = root.is_object () ? root.find ("action") : nullptr;
  if (action && action->is_string () && action->string == "announce")
    return parse_announce (root, limits, out, error);
  if (action && action->is_string () && action->string == "scrape")
    return parse_scrape (root, limits, out, error);
  return fail (error, Kind::UNKNOWN_ACTION,
               "invalid action in WS request: " + js_string (action));
}

std::string
build_announce_response (const Id20 &info_hash, int64_t complete,
                         int64_t incomplete, int64_t interval)
{
  std::string out = "{";
  write_key (out, "complete", true);
  out += std::to_string (complete);
  write_key (out, "incomplete");
  out += std::to_string (incomplete);
  write_key (out, "action");
  out += "\"announce\"";
  write_key (out, "interval");
  out += std::to_string (interval);
  write_key (out, "info_hash");
  write_id (out, info_hash);
  out += '}';
  return out;
}

RelayBuilder::RelayBuilder (Kind kind, const Id20 &info_hash,
                            const Id20 &from_peer_id)
    : kind_ (kind)
{
  write_key (tail_, "peer_id");
  write_id (tail_, from_peer_id);
  write_key (tail_, "info_hash");
  write_id (tail_, info_hash);
  tail_ += '}';
}

std::string
RelayBuilder::build (const Id20 &offer_id, std::string_view description) const
{
  static constexpr std::string_view kOfferHead
      = "{\"action\":\"announce\",\"offer\":";
  static constexpr std::string_view kAnswerHead
      = "{\"action\":\"announce\",\"answer\":";
  std::string out;
  out.reserve (kAnswerHead.size () + description.size () + 2 * Id20::kSize + 16
               + tail_.size ());
  out += kind_ == Kind::OFFER ? kOfferHead : kAnswerHead;
  out += description;
  write_key (out, "offer_id");
  write_id (out, offer_id);
  out += tail_;
  return out;
}

std::string
build_relayed_offer (const Id20 &info_hash, const Id20 &from_peer_id,
                     const Id20 &offer_id, std::string_view offer)
{
  return RelayBuilder (RelayBuilder::Kind::OFFER, info_hash, from_peer_id)
      .build (offer_id, offer);
}

std::string
build_relayed_answer (const Id20 &info_hash, const Id20 &from_peer_id,
                      const Id20 &offer_id, std::string_view answer)
{
  return RelayBuilder (RelayBuilder::Kind::ANSWER, info_hash, from_peer_id)
      .build (offer_id, answer);
}

std::string
build_scrape_response (const std::vector<TrackerMessage::ScrapeFile> &files,
                       int64_t min_request_interval)
{
  std::string out = "{\"action\":\"scrape\"";
  write_key (out, "files");
  out += '{';
  for (size_t i = 0; i < files.size (); i++) {
    if (i)
      out += ',';
    write_id (out, files[i].info_hash);
    out += ":{";
    write_key (out, "complete", true);
    out += std::to_string (files[i].complete);
    write_key (out, "incomplete");
    out += std::to_string (files[i].incomplete);
    write_key (out, "downloaded");
    out += std::to_string (files[i].downloaded);
    out += '}';
  }
  out += '}';
  write_key (out, "flags");
  out += "{\"min_request_interval\":";
  out += std::to_string (min_request_interval);
  out += "}}";
  return out;
}

std::string
build_failure (std::string_view reason, const char *action,
               const Id20 *info_hash)
{
  std::string out = "{";
  if (action && info_hash) {
    write_key (out, "action", true);
    json::write_string (out, action);
    write_key (out, "failure reason");
  } else {
    write_key (out, "failure reason", true);
  }
  json::write_string (out, reason);
  if (action && info_hash) {
    write_key (out, "info_hash");
    write_id (out, *info_hash);
  }
  out += '}';
  return out;
}

} // namespace p2p::webtorrent
