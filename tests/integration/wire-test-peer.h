/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A hand-driven P2P Media Loader peer for tests: a WebRtcPeer plus the wire
 * codec, without PeerSession's rules, so a test can send exactly the
 * commands and payload it wants (two requests back to back, a segment cut
 * short) and see every message the other side sends. Engine thread only,
 * like the WebRtcPeer inside.
 */
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/peer/webrtc-peer.h"
#include "gst/p2p/peer/wire-codec.h"

namespace p2p::test {

class WirePeer
{
public:
  struct Callbacks
  {
    std::function<void (const std::string &sdp)> local_description;
    std::function<void ()> open;
    std::function<void (const peer::wire::Command &command)> command;
    /* A message that is not a command chunk: segment payload. */
    std::function<void (GBytes *payload)> payload;
    std::function<void (const GError *error)> closed;
  };

  static std::unique_ptr<WirePeer>
  offer (EngineThread &thread, const peer::WebRtcPeerConfig &config,
         Callbacks callbacks, GError **error)
  {
    std::unique_ptr<WirePeer> self (new WirePeer (std::move (callbacks)));
    self->peer_ = peer::WebRtcPeer::new_offerer (
        thread, config, self->peer_callbacks (), error);
    return self->peer_ ? std::move (self) : nullptr;
  }

  static std::unique_ptr<WirePeer>
  answer (EngineThread &thread, const peer::WebRtcPeerConfig &config,
          const std::string &remote_offer, Callbacks callbacks, GError **error)
  {
    std::unique_ptr<WirePeer> self (new WirePeer (std::move (callbacks)));
    self->peer_ = peer::WebRtcPeer::new_answerer (
        thread, config, remote_offer, self->peer_callbacks (), error);
    return self->peer_ ? std::move (self) : nullptr;
  }

  ~WirePeer ()
  {
    if (peer_)
      peer_->close ();
  }

  bool
  set_remote_answer (const std::string &sdp, GError **error)
  {
    return peer_->set_remote_answer (sdp, error);
  }

  bool
  is_open () const
  {
    return peer_ && peer_->is_open ();
  }

  /* Queues a command (framed as P2P Media Loader frames it) or a payload
   * chunk; they go out in order, as fast as the channel takes them. */
  void
  send_command (const peer::wire::Command &command)
  {
    std::vector<BytesRef> messages;
    GError *error = nullptr;
    if (!peer::wire::encode_command (
            command, peer::wire::kDefaultMaxMessageSize, &messages, &error)) {
      g_error ("encode_command: %s", error->message);
    }
    for (BytesRef &m : messages)
      outbox_.push_back (GBytesPtr (g_bytes_ref (m.get ())));
    pump ();
  }

  void
  send_payload (GBytes *chunk)
  {
    outbox_.emplace_back (g_bytes_ref (chunk));
    pump ();
  }

private:
  explicit WirePeer (Callbacks callbacks) : callbacks_ (std::move (callbacks))
  {
  }

  /* The WebRtcPeer never calls back after close (), which the destructor
   * does, so `this` is valid in these. */
  peer::WebRtcPeer::Callbacks
  peer_callbacks ()
  {
    peer::WebRtcPeer::Callbacks cb;
    cb.local_description = [this] (const std::string &sdp) {
      if (callbacks_.local_description)
        callbacks_.local_description (sdp);
    };
    cb.open = [this] {
      pump ();
      if (callbacks_.open)
        callbacks_.open ();
    };
    cb.message = [this] (GBytes *message) { on_message (message); };
    cb.writable = [this] { pump (); };
    cb.closed = [this] (const GError *error) {
      if (callbacks_.closed)
        callbacks_.closed (error);
    };
    return cb;
  }

  void
  on_message (GBytes *message)
  {
    peer::wire::Command command;
    GError *error = nullptr;
    switch (receiver_.feed (message, &command, &error)) {
    case peer::wire::WireReceiver::Result::COMMAND:
      if (callbacks_.command)
        callbacks_.command (command);
      break;
    case peer::wire::WireReceiver::Result::PAYLOAD:
      if (callbacks_.payload)
        callbacks_.payload (message);
      break;
    case peer::wire::WireReceiver::Result::NEED_MORE:
      break;
    case peer::wire::WireReceiver::Result::ERROR:
      g_error_free (error);
      break;
    }
  }

  void
  pump ()
  {
    while (peer_ && peer_->is_open () && !outbox_.empty ()) {
      if (!peer_->send (outbox_.front ().get ()))
        return;
      outbox_.pop_front ();
    }
  }

  Callbacks callbacks_;
  std::shared_ptr<peer::WebRtcPeer> peer_;
  peer::wire::WireReceiver receiver_;
  std::deque<GBytesPtr> outbox_;
};

} // namespace p2p::test
