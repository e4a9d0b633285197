/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes the Redis URL of p2p-tracker --redis: whatever parses has a host
 * and a port, and what it prints for the logs (credentials left out)
 * parses back to the same host, port and database.
 */
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gst/tracker/redis-url.h"

using namespace p2p::tracker;

namespace {

void
check (bool ok)
{
  if (!ok)
    abort ();
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::string text (reinterpret_cast<const char *> (data), size);
  RedisEndpoint endpoint;
  std::string error;
  if (!parse_redis_url (text, endpoint, &error)) {
    check (!error.empty ());
    return 0;
  }
  check (!endpoint.host.empty () && endpoint.port != 0);
  RedisEndpoint again;
  check (parse_redis_url (endpoint.to_string (), again));
  check (again.host == endpoint.host && again.port == endpoint.port
         && again.database == endpoint.database);
  check (again.password.empty () && again.user.empty ());
  return 0;
}
