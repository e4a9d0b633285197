/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The simulated HTTP origin: what the broadcaster publishes (an OriginSink),
 * served to the simulated viewers' HttpClient over the network: a request
 * crosses to the origin's host, the body comes back through the origin's
 * uplink (shared by every response) and the viewer's downlink, in pieces,
 * with progress as they arrive. Range requests are answered with the range.
 */
#pragma once

#include <map>
#include <memory>
#include <string>

#include "gst/p2p/broadcaster/broadcaster-core.h"
#include "gst/p2p/net/http-client.h"
#include "sim/network.h"

namespace p2p::sim {

struct OriginStats
{
  guint64 playlist_requests = 0;
  guint64 playlist_bytes = 0;
  guint64 segment_requests = 0;
  guint64 segment_bytes = 0;
  guint64 not_found = 0;
};

class Origin
{
public:
  Origin (Network &network, Host &host);

  /* What the broadcaster's core writes into. */
  broadcaster::OriginSink sink ();
  void publish (const std::string &path, GBytes *bytes);
  void remove (const std::string &path);

  /* The base of every URL it serves, e.g. "http://origin.sim". */
  static constexpr const char *kBaseUrl = "http://origin.sim";

  /* An HttpClient for viewers on @host. */
  std::unique_ptr<net::HttpClient> client (Host &host);

  const OriginStats &
  stats () const
  {
    return stats_;
  }
  Host &
  host ()
  {
    return host_;
  }

private:
  friend class OriginClient;
  friend class OriginTransfer;

  Network &network_;
  Host &host_;
  std::map<std::string, BytesRef> content_;
  OriginStats stats_;
};

} // namespace p2p::sim
