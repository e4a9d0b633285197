/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "local-addresses.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/socket.h>

namespace p2p::peer {

std::vector<LocalAddress>
local_addresses_up ()
{
  std::vector<LocalAddress> up;
  struct ifaddrs *interfaces = nullptr;
  if (getifaddrs (&interfaces) != 0)
    return up;
  for (auto ifa = interfaces; ifa; ifa = ifa->ifa_next) {
    if (!ifa->ifa_addr || !(ifa->ifa_flags & IFF_UP))
      continue;
    int family = ifa->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6)
      continue;
    char host[NI_MAXHOST];
    socklen_t length = family == AF_INET ? sizeof (struct sockaddr_in)
                                         : sizeof (struct sockaddr_in6);
    if (getnameinfo (ifa->ifa_addr, length, host, sizeof host, nullptr, 0,
                     NI_NUMERICHOST)
        != 0)
      continue;
    up.push_back ({ host, (ifa->ifa_flags & IFF_LOOPBACK) != 0 });
  }
  freeifaddrs (interfaces);
  return up;
}

std::vector<std::string>
unconfigured_ice_addresses (const std::vector<LocalAddress> &up)
{
  std::vector<std::string> loopback;
  for (const LocalAddress &a : up) {
    if (!a.loopback)
      return {};
    loopback.push_back (a.address);
  }
  return loopback;
}

} // namespace p2p::peer
