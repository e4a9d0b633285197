/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The WebTorrent tracker protocol codec (PROTOCOLS.md §1): builds and parses
 * every message of both directions, for the tracker server (gst/tracker) and
 * for the engine's tracker client (gst/p2p/net). Pure functions, no I/O.
 *
 * Client side:  build_announce(), build_answer(), build_scrape(),
 *               parse_tracker_message().
 * Server side:  parse_client_message(), build_announce_response(),
 *               build_relayed_offer(), build_relayed_answer(),
 *               build_scrape_response(), build_failure().
 */
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gst/webtorrent/json.h"

namespace p2p::webtorrent {

/* A 20-byte binary id: info_hash, peer_id, to_peer_id or offer_id. */
struct Id20
{
  static constexpr size_t kSize = 20;
  std::array<uint8_t, kSize> bytes{};

  /* @raw must be exactly 20 bytes; returns nullopt otherwise. */
  static std::optional<Id20> from_bytes (std::string_view raw);
  std::string_view
  view () const
  {
    return { reinterpret_cast<const char *> (bytes.data ()), kSize };
  }
  std::string hex () const;

  bool
  operator== (const Id20 &o) const
  {
    return bytes == o.bytes;
  }
  bool
  operator!= (const Id20 &o) const
  {
    return bytes != o.bytes;
  }
};

struct Id20Hash
{
  size_t operator() (const Id20 &id) const noexcept;
};

enum class AnnounceEvent {
  NONE, /* periodic re-announce: field absent */
  STARTED,
  STOPPED,
  COMPLETED,
  UPDATE,
  PAUSED,
};

const char *announce_event_name (AnnounceEvent event);

/* ---------------------------------------------------------------- client */

struct OutgoingOffer
{
  Id20 offer_id;
  std::string sdp; /* sent as {"type":"offer","sdp":…} */
};

struct AnnounceRequest
{
  Id20 info_hash;
  Id20 peer_id;
  AnnounceEvent event = AnnounceEvent::STARTED;
  /* Defaults to offers.size(), as the bittorrent-tracker client sends. */
  std::optional<int> numwant;
  uint64_t uploaded = 0;
  uint64_t downloaded = 0;
  std::optional<uint64_t> left; /* not sent unless set (P2PML never sets it) */
  std::vector<OutgoingOffer> offers;
};

/* The JSON text of an announce, key order as the JS client. Offers are left
 * out for stopped and completed, as the JS client does. */
std::string build_announce (const AnnounceRequest &request);

/* The reply to a relayed offer: @to_peer_id is the offerer, @offer_id is the
 * offer's id exactly as received. */
std::string build_answer (const Id20 &info_hash, const Id20 &peer_id,
                          const Id20 &to_peer_id, const Id20 &offer_id,
                          std::string_view sdp);

std::string build_scrape (const std::vector<Id20> &info_hashes);

/* A tracker → client message. */
struct TrackerMessage
{
  enum class Kind {
    ANNOUNCE_RESPONSE, /* interval, complete, incomplete */
    OFFER,             /* a remote peer's offer: answer it */
    ANSWER,            /* the answer to one of our offers */
    SCRAPE_RESPONSE,
    FAILURE, /* failure_reason (info_hash if known) */
  };
  struct ScrapeFile
  {
    Id20 info_hash;
    int64_t complete = 0;
    int64_t incomplete = 0;
    int64_t downloaded = 0;
  };

  Kind kind = Kind::FAILURE;
  std::optional<Id20> info_hash;
  Id20 peer_id;    /* Offer/Answer: the remote peer */
  Id20 offer_id;   /* Offer/Answer */
  std::string sdp; /* Offer/Answer */
  std::optional<int64_t> interval;
  std::optional<int64_t> min_interval;
  std::optional<int64_t> complete;
  std::optional<int64_t> incomplete;
  std::string failure_reason;
  std::vector<ScrapeFile> files;
};

/* Parses what a tracker sends. Returns false with @error for text that is
 * no tracker message (bad JSON, bad ids, an offer without sdp, …). */
bool parse_tracker_message (std::string_view text, TrackerMessage &out,
                            std::string *error = nullptr);

/* ---------------------------------------------------------------- server */

struct ReceivedOffer
{
  Id20 offer_id;
  std::string_view offer; /* JSON text of the offer object, as
                           * JSON.stringify writes it: relayed so */
};

/* A client → tracker message, validated. Its texts (offers, answer) are
 * views into the parsed text, or into `rewritten` when the client's text
 * was not what JSON.stringify writes: valid while both live. Not for
 * copying. */
struct ClientMessage
{
  enum class Kind { ANNOUNCE, ANSWER, SCRAPE };

  Kind kind = Kind::ANNOUNCE;
  Id20 info_hash; /* Announce/Answer */
  Id20 peer_id;   /* Announce/Answer */
  AnnounceEvent event = AnnounceEvent::NONE;
  bool left_is_zero = false;            /* "left": 0, a seeder */
  std::vector<ReceivedOffer> offers;    /* Announce; at most max_offers */
  size_t offers_dropped = 0;            /* offers beyond max_offers */
  Id20 to_peer_id;                      /* Answer */
  Id20 offer_id;                        /* Answer */
  std::string_view answer;              /* Answer: JSON text as JSON.stringify
                                         * writes it, relayed so */
  std::vector<Id20> scrape_info_hashes; /* Scrape; empty = all swarms */
  /* texts written again; a deque keeps them in place as it grows */
  std::deque<std::string> rewritten;
};

struct ClientParseLimits
{
  size_t max_offers = 10;
  size_t max_scrape_hashes = 64;
};

/* Why a client message was refused. Reasons that bittorrent-tracker also
 * gives use its exact words. @info_hash is set when the reply must carry
 * action and info_hash (bittorrent-tracker does that once the ids parsed). */
struct ClientParseError
{
  enum class Kind { INVALID_JSON, INVALID_MESSAGE, UNKNOWN_ACTION };
  Kind kind = Kind::INVALID_MESSAGE;
  std::string reason;
  std::optional<Id20> info_hash;
  const char *action = nullptr; /* "announce" or "scrape" with info_hash */
};

bool parse_client_message (std::string_view text,
                           const ClientParseLimits &limits, ClientMessage &out,
                           ClientParseError &error);

std::string build_announce_response (const Id20 &info_hash, int64_t complete,
                                     int64_t incomplete, int64_t interval);
/* @offer and @answer: JSON text, from ReceivedOffer / ClientMessage */
std::string build_relayed_offer (const Id20 &info_hash,
                                 const Id20 &from_peer_id, const Id20 &offer_id,
                                 std::string_view offer);
std::string build_relayed_answer (const Id20 &info_hash,
                                  const Id20 &from_peer_id,
                                  const Id20 &offer_id,
                                  std::string_view answer);

/* The relays of one peer's offers (or answers) in one swarm: the same
 * texts as build_relayed_offer () / build_relayed_answer (), with the ids
 * they share written once. */
class RelayBuilder
{
public:
  enum class Kind { OFFER, ANSWER };
  RelayBuilder (Kind kind, const Id20 &info_hash, const Id20 &from_peer_id);
  std::string build (const Id20 &offer_id, std::string_view description) const;

private:
  Kind kind_;
  std::string tail_; /* ,"peer_id":…,"info_hash":…} */
};
std::string
build_scrape_response (const std::vector<TrackerMessage::ScrapeFile> &files,
                       int64_t min_request_interval);
/* {"failure reason":…}, or {"action":…,"failure reason":…,"info_hash":…}
 * when @action and @info_hash are given. */
std::string build_failure (std::string_view reason,
                           const char *action = nullptr,
                           const Id20 *info_hash = nullptr);

} // namespace p2p::webtorrent

template <> struct std::hash<p2p::webtorrent::Id20> : p2p::webtorrent::Id20Hash
{
};
