/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The production discovery transport: WebSocket connections to trackers on
 * libsoup 3, on the engine thread's GMainContext (the thread-default one
 * when connect () is called).
 */
#pragma once

#include <memory>

#include <libsoup/soup.h>

#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/net/tracker-connection.h"

namespace p2p::net {

class WebSocketTrackerConnector : public TrackerConnector
{
public:
  /* @tls_database: the certificate authorities wss:// trackers are
   * checked against; null = the system's. */
  explicit WebSocketTrackerConnector (std::shared_ptr<GTlsDatabase> tls_database
                                      = {});

  std::unique_ptr<TrackerConnection> connect (const std::string &url,
                                              Events events) override;

private:
  GObjectPtr<SoupSession> session_;
};

} // namespace p2p::net
