/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes what a tracker node reads from Redis: the input is RESP, as Redis
 * would send it, parsed by hiredis's own reader into reply trees, and each
 * reply goes through the node's readers (redis-reply.h): as the announce
 * script's reply and as a pub/sub push, whose payload is then read as a
 * relay batch. Views must stay inside the reply, and picks must be whole.
 */
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

#include "gst/tracker/redis-reply.h"
#include "gst/tracker/relay-batch.h"

using namespace p2p::tracker;

namespace {

void
check (bool ok)
{
  if (!ok)
    abort ();
}

bool
inside (std::string_view part, std::string_view whole)
{
  return part.empty ()
         || (part.data () >= whole.data ()
             && part.data () + part.size () <= whole.data () + whole.size ());
}

/* Whether @view points into one of the string replies of @r's tree. */
bool
inside_reply (std::string_view view, const redisReply *r)
{
  if (view.empty ())
    return true;
  if (r->str && inside (view, std::string_view (r->str, r->len)))
    return true;
  for (size_t i = 0; i < r->elements; i++)
    if (r->element[i] && inside_reply (view, r->element[i]))
      return true;
  return false;
}

/* hiredis 0.14 allocates an array's slots when it reads the header (no
 * maxelements before hiredis 1.0): leave out inputs that would ask for more
 * memory than a fuzzer has. A Redis that did so would be a Redis gone
 * wrong; the tracker trusts its Redis that far (docs/tracker.md). */
bool
asks_for_huge_arrays (std::string_view input)
{
  for (size_t i = 0; i < input.size (); i++) {
    if (input[i] != '*')
      continue;
    uint64_t n = 0;
    for (size_t j = i + 1; j < input.size () && input[j] >= '0'
                           && input[j] <= '9' && n < (1u << 20);
         j++)
      n = n * 10 + (input[j] - '0');
    if (n >= (1u << 16))
      return true;
  }
  return false;
}

void
read_reply (const redisReply *r)
{
  AnnounceReply announce;
  if (read_announce_reply (r, announce)) {
    check (r->type == REDIS_REPLY_ARRAY && r->elements >= 2);
    check (announce.picks.size () <= (r->elements - 2) / 2);
    for (const AnnounceReply::Pick &pick : announce.picks)
      check (inside_reply (pick.member, r));
  } else {
    check (announce.picks.empty ());
  }

  std::string_view channel, payload;
  switch (read_push (r, channel, payload)) {
  case PushKind::MESSAGE: {
    check (inside_reply (channel, r) && inside_reply (payload, r));
    std::vector<RelayItem> items;
    if (parse_relay_batch (payload, items))
      for (const RelayItem &item : items)
        check (inside (item.reply_to, payload)
               && inside (item.message, payload));
    break;
  }
  case PushKind::SUBSCRIBE:
    check (inside_reply (channel, r));
    break;
  case PushKind::OTHER:
    break;
  }
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::string_view input (reinterpret_cast<const char *> (data), size);
  if (asks_for_huge_arrays (input))
    return 0;
  /* a lost connection gives no reply at all */
  AnnounceReply none;
  check (!read_announce_reply (nullptr, none));
  redisReader *reader = redisReaderCreate ();
  check (reader != nullptr);
  /* in two pieces, as replies come off a socket */
  size_t half = size / 2;
  redisReaderFeed (reader, input.data (), half);
  for (int round = 0; round < 2; round++) {
    void *reply = nullptr;
    while (redisReaderGetReply (reader, &reply) == REDIS_OK && reply) {
      read_reply (static_cast<redisReply *> (reply));
      freeReplyObject (reply);
      reply = nullptr;
    }
    if (reader->err)
      break;
    if (round == 0)
      redisReaderFeed (reader, input.data () + half, size - half);
  }
  redisReaderFree (reader);
  return 0;
}
