/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The discovery seam (DESIGN.md §3a): a text-message connection to a
 * WebTorrent tracker. TrackerClient speaks the protocol over it; production
 * connects with a WebSocket (WebSocketTrackerConnector), the simulator to a
 * tracker core in the same process that hands each peer a random part of
 * the swarm, as the real one does (sim/). Engine thread only.
 */
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace p2p::net {

/* Dropping it closes it; no event runs afterwards. */
class TrackerConnection
{
public:
  virtual ~TrackerConnection () = default;
  /* Sends one text message; false when the connection is not open. */
  virtual bool send_text (const std::string &text) = 0;
};

class TrackerConnector
{
public:
  /* Each runs at most once but message; closed () also reports a connection
   * that never opened. */
  struct Events
  {
    std::function<void ()> opened;
    std::function<void (std::string_view text)> message;
    std::function<void (const std::string &why)> closed;
  };

  virtual ~TrackerConnector () = default;
  /* Starts connecting to @url (ws:// or wss://). */
  virtual std::unique_ptr<TrackerConnection> connect (const std::string &url,
                                                      Events events)
      = 0;
};

} // namespace p2p::net
