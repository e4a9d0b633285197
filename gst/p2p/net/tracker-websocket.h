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

  /* wss:// only: @certificate is taken as the tracker's as it is, whatever
   * its issuer and the names it holds, besides any certificate the trusted
   * CAs vouch for. For a broadcaster's own embedded tracker, reached at an
   * address (127.0.0.1) its certificate need not name: the handshake still
   * proves that the tracker holds the certificate's key. */
  void accept_certificate (GTlsCertificate *certificate);

private:
  GObjectPtr<SoupSession> session_;
  GObjectPtr<GTlsCertificate> accepted_;
};

} // namespace p2p::net
