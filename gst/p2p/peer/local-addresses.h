/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Which local addresses ICE gathers on when the configuration names none.
 * libnice then uses every interface but loopback; on a host (or network
 * namespace) whose only interface is loopback that is nothing at all, and no
 * peer could ever connect (issue #11).
 */
#pragma once

#include <string>
#include <vector>

namespace p2p::peer {

struct LocalAddress
{
  std::string address;
  bool loopback = false;
};

/* The IPv4 and IPv6 addresses of this host's interfaces that are up. */
std::vector<LocalAddress> local_addresses_up ();

/* The addresses to pin ICE to when none are configured: none (libnice's
 * default) while @up has an address that is not loopback; else every
 * loopback address in @up, so that peers on this host still connect. */
std::vector<std::string>
unconfigured_ice_addresses (const std::vector<LocalAddress> &up);

} // namespace p2p::peer
