/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One WebRTC connection to one remote peer: a webrtcbin in its own small
 * pipeline carrying one ordered, reliable data channel, signalled without
 * trickle ICE exactly like simple-peer with `trickle: false` (PROTOCOLS.md
 * §1.7, DESIGN.md §7).
 *
 * Threading: a WebRtcPeer belongs to an EngineThread. Create it, call its
 * methods and drop it on that thread only; every callback runs there too.
 * webrtcbin's own threads only post events to the engine context. The
 * EngineThread must outlive its peers.
 */
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/peer/peer-transport.h"
#include "gst/p2p/peer/sctp-send-meter.h"

namespace p2p::peer {

struct WebRtcPeerConfig
{
  /* "stun://host:port"; empty = no STUN server (the default: hermetic). */
  std::string stun_server;
  /* "turn(s)://user:password@host:port"; empty = no TURN server. */
  std::string turn_server;
  /* ICE pinning: gather host candidates on these local IP addresses only
   * (e.g. "127.0.0.1"). Empty = every interface but loopback, webrtcbin's
   * default; on a host (or namespace) where only loopback is up, that would
   * gather nothing at all, so then the loopback addresses (logged once). */
  std::vector<std::string> local_addresses;
  /* Also gather ICE-TCP candidates. Off: browsers pair over UDP anyway, and
   * the passive TCP candidates only lengthen the SDP. */
  bool ice_tcp = false;
  /* Non-trickle: the local SDP goes out when ICE gathering completes, or
   * with whatever was gathered after this long (simple-peer: 5 s). */
  guint gather_timeout_ms = 5000;
  /* From creation until the data channel opens, including the time the
   * remote takes to answer (bittorrent-tracker drops offers after 50 s). */
  guint connect_timeout_ms = 50000;
  /* close () waits this long at most for the remote to acknowledge the
   * channel close before stopping webrtcbin; 0 = stop at once, the remote
   * then has to notice by itself. */
  guint close_timeout_ms = 5000;
  /* send() refuses while more than this is buffered; writable() fires when
   * the buffer drains to it. simple-peer uses 64 KiB; that much in flight
   * caps a transfer at about 5 Mbit/s once a loaded access link queues
   * 200 ms, while more is sent in vain after a cancel. */
  guint64 buffered_amount_low_threshold = 256 * 1024;
};

class WebRtcPeer : public std::enable_shared_from_this<WebRtcPeer>
{
public:
  /* All run on the engine thread; none runs after close () returned or
   * after closed () ran. PROTOCOL errors come from a refused remote SDP,
   * FAILED from webrtcbin itself, TIMEOUT from connect_timeout_ms. */
  using Callbacks = ChannelEvents;

  /* Starts an offerer: creates the data channel (label = 40 random hex
   * characters, ordered, reliable) and an offer; local_description () fires
   * with it once gathered. Returns nullptr with @error set (GST_P2P_ERROR)
   * when webrtcbin cannot be created. */
  static std::shared_ptr<WebRtcPeer>
  new_offerer (EngineThread &thread, const WebRtcPeerConfig &config,
               Callbacks callbacks, GError **error);

  /* Starts an answerer for @remote_offer (candidates inline); the channel
   * comes from the remote. local_description () fires with the answer.
   * Returns nullptr with @error set when @remote_offer does not parse or has
   * no data channel, or webrtcbin cannot be created. */
  static std::shared_ptr<WebRtcPeer>
  new_answerer (EngineThread &thread, const WebRtcPeerConfig &config,
                const std::string &remote_offer, Callbacks callbacks,
                GError **error);

  /* Closes without running any callback. */
  ~WebRtcPeer ();

  WebRtcPeer (const WebRtcPeer &) = delete;
  WebRtcPeer &operator= (const WebRtcPeer &) = delete;

  /* Offerer only, once: the remote answer (candidates inline). Returns false
   * with @error (GST_P2P_ERROR_PROTOCOL) when it does not parse, has no data
   * channel, or is not expected now; the peer is left as it was. A refusal by
   * webrtcbin later ends the peer through closed (). */
  bool set_remote_answer (const std::string &sdp, GError **error);

  /* Queues one binary message (at most 65535 bytes is safe with browsers).
   * Returns false, without taking @message, when the channel is not open
   * (also once webrtcbin started closing it, before closed () ran) or more
   * than the threshold is already buffered (wait for writable ()), or
   * when the message exceeds the remote's a=max-message-size (65536 when it
   * sends none, as webrtcbin 1.22 does; logged, no writable () follows). */
  bool send (GBytes *message);

  /* Ends the connection: the remote sees its channel close. No callback runs
   * once this is called. webrtcbin stops in the background on the engine
   * thread, within close_timeout_ms. Idempotent. */
  void close ();

  bool
  is_offerer () const
  {
    return offerer_;
  }
  bool is_open () const;
  bool is_closed () const;
  /* Bytes given to the data channel that have not left SCTP yet (see
   * sctp-send-meter.h); webrtcbin's buffered-amount until SCTP is up. */
  guint64 buffered_amount () const;
  void set_buffered_low_threshold (guint64 bytes);
  /* The data channel label; empty for an answerer until the channel arrives. */
  const std::string &
  label () const
  {
    return label_;
  }

  /* Only the factories construct: make_shared needs a public constructor. */
  struct Token
  {
    explicit Token () = default;
  };
  WebRtcPeer (Token, EngineThread &thread, const WebRtcPeerConfig &config,
              Callbacks callbacks, bool offerer);

private:
  enum class Step {
    OFFER_CREATED,
    ANSWER_CREATED,
    LOCAL_DESCRIPTION_SET,
    REMOTE_DESCRIPTION_SET,
  };

  struct Signals;
  friend struct Signals;
  /* What send () and sctpenc's streaming thread share; that thread may
   * run on after the peer is gone. */
  struct SendState
  {
    SctpSendMeter meter;
    /* sctpenc's packets are counted: meter is right. */
    std::atomic<bool> metered{ false };
    /* send () refused: writable () is due once the backlog drains. */
    std::atomic<bool> refused{ false };
    std::atomic<guint64> low_threshold;
    std::atomic<bool> closed{ false };
  };

  bool start (GError **error);
  bool set_remote_description (GstWebRTCSDPType type, const std::string &sdp,
                               GError **error);
  void on_promise_replied (Step step, bool replied, const GstStructure *reply);
  void on_gathering_state (GstWebRTCICEGatheringState state);
  void on_connection_state (GstWebRTCPeerConnectionState state);
  void adopt_channel (GstWebRTCDataChannel *channel);
  void on_channel_open ();
  void on_channel_closed ();
  void on_channel_error (const GError *error);
  void on_message (GBytes *message);
  void on_buffered_amount_low ();
  void on_writable ();
  void send_local_description ();
  void on_gather_timeout ();
  void on_connect_timeout ();
  GSource *start_timer (guint ms, void (WebRtcPeer::*on_timeout) ());
  static void stop_timer (GSource *&timer);
  void end_with_error (GstP2PError code, const char *format, ...)
      G_GNUC_PRINTF (3, 4);
  void teardown ();

  EngineThread &thread_;
  const WebRtcPeerConfig config_;
  const std::shared_ptr<SendState> send_state_;
  Callbacks callbacks_;
  const bool offerer_;
  std::string label_;

  GstElement *pipeline_ = nullptr;
  GstElement *webrtc_ = nullptr;
  GstWebRTCDataChannel *channel_ = nullptr;
  GSource *gather_timer_ = nullptr;
  GSource *connect_timer_ = nullptr;
  gint64 started_us_ = 0;

  bool local_description_set_ = false;
  bool gathering_complete_ = false;
  bool local_description_sent_ = false;
  bool remote_description_given_ = false;
  bool open_ = false;
  bool closed_ = false;
};

/* The production peer transport: every channel a WebRtcPeer on @thread. */
class WebRtcTransport : public PeerTransport
{
public:
  WebRtcTransport (EngineThread &thread, WebRtcPeerConfig config);

  std::unique_ptr<PeerChannel> offer (ChannelEvents events,
                                      GError **error) override;
  std::unique_ptr<PeerChannel> answer (const std::string &remote_offer,
                                       ChannelEvents events,
                                       GError **error) override;

private:
  EngineThread &thread_;
  const WebRtcPeerConfig config_;
};

} // namespace p2p::peer
