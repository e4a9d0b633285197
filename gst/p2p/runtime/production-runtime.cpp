/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "production-runtime.h"

namespace p2p {

ProductionRuntime::ProductionRuntime (EngineThread &thread,
                                      net::HttpFetcherOptions http,
                                      peer::WebRtcPeerConfig webrtc)
    : clock_ (thread.context ()), random_ (Random::unpredictable ()),
      http_ (std::move (http)), peers_ (thread, std::move (webrtc)),
      trackers_ (http_.options ().tls_database), runtime_{ clock_,  random_,
                                                           hasher_, http_,
                                                           peers_,  trackers_ }
{
}

} // namespace p2p
