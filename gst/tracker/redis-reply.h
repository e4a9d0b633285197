/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the tracker reads in Redis's replies. hiredis parses RESP into
 * redisReply trees; these functions check a tree's shape before anything
 * in it is used, so a reply of another shape (a Redis error, an older
 * script, a stranger publishing on our channel) is refused, never misread.
 * Pure functions, fuzzed with hiredis's own reader
 * (tests/fuzz/targets/fuzz-redis-reply.cpp).
 */
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "gst/webtorrent/protocol.h"

struct redisReply;

namespace p2p::tracker {

/* The announce script's reply: {complete, incomplete, member, peer_id,
 * ...} (cluster.cpp). Views point into the reply. */
struct AnnounceReply
{
  int64_t complete = 0;
  int64_t incomplete = 0;
  struct Pick
  {
    std::string_view member;
    webtorrent::Id20 peer_id;
  };
  /* Pairs whose member is not a string or whose peer_id is not 20 bytes
   * are left out. */
  std::vector<Pick> picks;
};

/* Whether @r (nullptr: the connection was lost) is such a reply; fills
 * @out if it is. A scrape runs the same script and reads only the
 * counts. */
bool read_announce_reply (const redisReply *r, AnnounceReply &out);

/* A pub/sub push on a subscriber connection. */
enum class PushKind {
  OTHER,     /* anything else: ignored */
  SUBSCRIBE, /* ["subscribe", channel, count] */
  MESSAGE,   /* ["message", channel, payload] */
};

/* The kind of @r, with its @channel (and the @payload of a MESSAGE) as
 * views into it. */
PushKind read_push (const redisReply *r, std::string_view &channel,
                    std::string_view &payload);

} // namespace p2p::tracker
