/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What engine objects run on (DESIGN.md §3a): time, randomness and I/O,
 * each behind a seam with a production and a simulated implementation.
 * The viewer and broadcaster fronts build one on their engine thread (the
 * GLib clock, webrtcbin, libsoup, WebSockets); the simulator builds one per
 * simulated host (sim/). Everything in it outlives the objects using it.
 */
#pragma once

namespace p2p {

class Clock;
class Random;
class Hasher;
namespace net {
class HttpClient;
class TrackerConnector;
} // namespace net
namespace peer {
class PeerTransport;
} // namespace peer

struct Runtime
{
  Clock &clock;
  Random &random;
  /* SHA-256 of segments for integrity checks. */
  Hasher &hasher;
  net::HttpClient &http;
  /* Channels to peers (webrtcbin data channels in production). */
  peer::PeerTransport &peers;
  /* Connections to WebTorrent trackers. */
  net::TrackerConnector &trackers;
};

} // namespace p2p
