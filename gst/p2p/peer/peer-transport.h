/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The peer-transport seam (DESIGN.md §3a): one ordered, reliable message
 * channel to one remote peer, signalled by an offer and an answer that the
 * tracker relays. Production: WebRtcTransport (webrtcbin data channels);
 * simulation: channels over a simulated network with per-host rates, RTT,
 * loss and queueing (sim/). PeerSession speaks the peer protocol over a
 * channel without knowing which.
 *
 * Engine thread only: channels are created, used and dropped there, and
 * every event runs there.
 */
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <glib.h>

namespace p2p::peer {

/* All optional; none runs after close () or after closed () ran. An event
 * handler may drop the channel. */
struct ChannelEvents
{
  /* The complete local description (offer or answer) for the remote, to
   * be relayed by the tracker. Once. */
  std::function<void (const std::string &sdp)> local_description;
  /* The channel is open: send () works from now on. Once. */
  std::function<void ()> open;
  /* One message, in order. */
  std::function<void (GBytes *message)> message;
  /* The send buffer drained to the low-water mark after a send () refused. */
  std::function<void ()> writable;
  /* The connection ended. @error is nullptr when the remote closed it;
   * otherwise in GST_P2P_ERROR (TIMEOUT, NETWORK, PROTOCOL, FAILED). */
  std::function<void (const GError *error)> closed;
};

class PeerChannel
{
public:
  /* Closes without running any event. */
  virtual ~PeerChannel () = default;

  /* Offerer only, once: the remote's answer. False with @error
   * (GST_P2P_ERROR_PROTOCOL) when it cannot be used. */
  virtual bool set_remote_answer (const std::string &sdp, GError **error) = 0;

  /* Queues one message (at most 65535 bytes). False, without taking
   * @message, while the channel is not open or more than the low-water mark
   * is buffered: wait for writable (). */
  virtual bool send (GBytes *message) = 0;

  /* Bytes queued and not yet handed to the network. */
  virtual guint64 buffered_amount () const = 0;
  /* The low-water mark: send () refuses beyond it and writable () runs once
   * the queue is back under it. Bytes queued wait their turn, so a relay
   * keeps little queued (latency) where a bulk transfer keeps more. */
  virtual void set_buffered_low_threshold (guint64 bytes) = 0;
  virtual bool is_open () const = 0;

  /* Ends the connection; the remote sees it close. No event runs once this
   * is called. Idempotent. */
  virtual void close () = 0;
};

class PeerTransport
{
public:
  virtual ~PeerTransport () = default;

  /* A channel that offers: local_description () carries the offer. nullptr
   * with @error when none can be created. */
  virtual std::unique_ptr<PeerChannel> offer (ChannelEvents events,
                                              GError **error)
      = 0;

  /* A channel answering @remote_offer: local_description () carries the
   * answer. nullptr with @error when the offer cannot be used. */
  virtual std::unique_ptr<PeerChannel>
  answer (const std::string &remote_offer, ChannelEvents events, GError **error)
      = 0;
};

} // namespace p2p::peer
