/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Runtime of one simulated host: the shared event loop, its own
 * deterministic Random, the simulated origin, peers and tracker as seen
 * from its access link.
 */
#pragma once

#include <memory>

#include "gst/p2p/common/hasher.h"
#include "gst/p2p/common/random.h"
#include "gst/p2p/runtime/runtime.h"
#include "sim/network.h"
#include "sim/origin.h"
#include "sim/tracker.h"

namespace p2p::sim {

struct HostRuntime
{
  HostRuntime (Network &network, Host &host, Origin &origin, Tracker &tracker,
               Hasher &hasher, guint64 seed)
      : random (seed), http (origin.client (host)),
        peers (network.transport (host)),
        trackers (tracker.connector (host)), runtime{
          network.loop (), random, hasher, *http, *peers, *trackers
        }
  {
  }

  HostRuntime (const HostRuntime &) = delete;
  HostRuntime &operator= (const HostRuntime &) = delete;

  Random random;
  std::unique_ptr<net::HttpClient> http;
  std::unique_ptr<peer::PeerTransport> peers;
  std::unique_ptr<net::TrackerConnector> trackers;
  Runtime runtime;
};

} // namespace p2p::sim
