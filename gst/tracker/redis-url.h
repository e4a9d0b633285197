/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The address of the Redis server that tracker nodes share (p2p-tracker
 * --redis): redis://[[USER]:PASSWORD@]HOST[:PORT][/DB], as redis-cli and
 * the Redis clients take it. HOST is a name, an IPv4 literal or a bracketed
 * IPv6 literal; PORT defaults to 6379 and DB to 0.
 */
#pragma once

#include <string>
#include <string_view>

#include <glib.h>

namespace p2p::tracker {

struct RedisEndpoint
{
  std::string host; /* without brackets */
  guint16 port = 6379;
  std::string user;     /* ACL user (Redis 6+); empty: the default user */
  std::string password; /* empty: no AUTH */
  unsigned database = 0;

  /* redis://HOST:PORT/DB, without the credentials: for logs. */
  std::string to_string () const;
};

/* False with a short reason in @error for anything but such a URL. */
bool parse_redis_url (std::string_view url, RedisEndpoint &out,
                      std::string *error = nullptr);

} // namespace p2p::tracker
