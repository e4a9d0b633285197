/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The offers and answers one tracker node sends to a peer held by another
 * node of the cluster, batched: every item a worker has for one other
 * member in a loop turn travels in one Redis PUBLISH. The message a peer
 * receives is carried as the exact bytes the sending node built, so a relay
 * across nodes is byte for byte the relay of a single tracker.
 *
 * Layout (little-endian): "P2PR" 0x01, then per item: kind (1 byte),
 * info_hash, to_peer_id, from_peer_id, offer_id (20 bytes each), the
 * reply-to member (1-byte length + bytes), the message (4-byte length +
 * bytes).
 */
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gst/webtorrent/protocol.h"

namespace p2p::tracker {

struct RelayItem
{
  enum class Kind : uint8_t {
    OFFER = 1,  /* register as pending for @to, answers go to reply_to */
    ANSWER = 2, /* deliver to @to, the offerer */
  };
  Kind kind = Kind::OFFER;
  webtorrent::Id20 info_hash;
  webtorrent::Id20 to_peer_id;
  webtorrent::Id20 from_peer_id;
  webtorrent::Id20 offer_id;
  std::string_view reply_to; /* OFFER: the sender's member; at most 255 */
  std::string_view message;  /* the JSON text for the peer, as is */
};

/* Appends @item to @batch, starting the batch if it is empty. */
void append_relay_item (std::string &batch, const RelayItem &item);

/* The items of @batch, their views into it; false (and nothing usable in
 * @items) if it is not a well-formed batch. */
bool parse_relay_batch (std::string_view batch, std::vector<RelayItem> &items);

} // namespace p2p::tracker
