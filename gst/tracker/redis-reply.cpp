/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/redis-reply.h"

#include <hiredis/hiredis.h>

namespace p2p::tracker {

namespace {

bool
is_string (const redisReply *r)
{
  return r && r->type == REDIS_REPLY_STRING;
}

std::string_view
view_of (const redisReply *r)
{
  return r->len ? std::string_view (r->str, r->len) : std::string_view ();
}

} // namespace

bool
read_announce_reply (const redisReply *r, AnnounceReply &out)
{
  out.picks.clear ();
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2
      || r->elements % 2 != 0 || !r->element[0] || !r->element[1]
      || r->element[0]->type != REDIS_REPLY_INTEGER
      || r->element[1]->type != REDIS_REPLY_INTEGER)
    return false;
  out.complete = r->element[0]->integer;
  out.incomplete = r->element[1]->integer;
  for (size_t i = 2; i + 1 < r->elements; i += 2) {
    const redisReply *member = r->element[i];
    const redisReply *peer = r->element[i + 1];
    if (!is_string (member) || !is_string (peer))
      continue;
    auto id = webtorrent::Id20::from_bytes (view_of (peer));
    if (!id)
      continue;
    out.picks.push_back ({ view_of (member), *id });
  }
  return true;
}

PushKind
read_push (const redisReply *r, std::string_view &channel,
           std::string_view &payload)
{
  if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 3
      || !is_string (r->element[0]) || !is_string (r->element[1]))
    return PushKind::OTHER;
  std::string_view kind = view_of (r->element[0]);
  channel = view_of (r->element[1]);
  if (kind == "subscribe")
    return PushKind::SUBSCRIBE;
  if (kind == "message" && is_string (r->element[2])) {
    payload = view_of (r->element[2]);
    return PushKind::MESSAGE;
  }
  return PushKind::OTHER;
}

} // namespace p2p::tracker
