/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The production Runtime of one engine thread: the GLib clock of its
 * context, webrtcbin data channels, libsoup HTTP and WebSocket trackers.
 * Create it, use it and drop it on that thread (libsoup captures the
 * thread-default context at construction).
 */
#pragma once

#include "gst/p2p/common/clock.h"
#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/hasher.h"
#include "gst/p2p/common/random.h"
#include "gst/p2p/net/http-fetcher.h"
#include "gst/p2p/net/tracker-websocket.h"
#include "gst/p2p/peer/webrtc-peer.h"
#include "gst/p2p/runtime/runtime.h"

namespace p2p {

class ProductionRuntime
{
public:
  ProductionRuntime (EngineThread &thread, net::HttpFetcherOptions http,
                     peer::WebRtcPeerConfig webrtc);

  ProductionRuntime (const ProductionRuntime &) = delete;
  ProductionRuntime &operator= (const ProductionRuntime &) = delete;

  Runtime &
  get ()
  {
    return runtime_;
  }
  net::WebSocketTrackerConnector &
  trackers ()
  {
    return trackers_;
  }

private:
  GLibClock clock_;
  Random random_;
  Sha256Hasher hasher_;
  net::HttpFetcher http_;
  peer::WebRtcTransport peers_;
  net::WebSocketTrackerConnector trackers_;
  Runtime runtime_;
};

} // namespace p2p
