/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "webrtc-peer.h"

#include <gst/sdp/sdp.h>

#include <algorithm>
#include <mutex>

#include "gst/p2p/common/gobject-ptr.h"
#include "local-addresses.h"
#include "pipeline-stop.h"
#include "sdp-util.h"

GST_DEBUG_CATEGORY_STATIC (p2p_webrtc_peer_debug);
#define GST_CAT_DEFAULT p2p_webrtc_peer_debug

namespace p2p::peer {

namespace {

/* How often a closing channel is checked before its pipeline stops. */
constexpr guint CLOSE_POLL_MS = 20;

void
init_debug_category ()
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (p2p_webrtc_peer_debug, "p2pwebrtcpeer", 0,
                             "gst-p2p WebRTC peer");
    g_once_init_leave (&once, 1);
  }
}

/* simple-peer's channel label: 20 random bytes as 40 hex characters. */
std::string
random_label ()
{
  static const char digits[] = "0123456789abcdef";
  std::string label;
  for (int i = 0; i < 20; i++) {
    guint byte = g_random_int_range (0, 256);
    label += digits[byte >> 4];
    label += digits[byte & 0xf];
  }
  return label;
}

const char *
step_name (int step)
{
  static const char *const names[]
      = { "create-offer", "create-answer", "set-local-description",
          "set-remote-description" };
  return names[step];
}

/* Once per process: every peer after the first would say the same. */
void
warn_loopback_only (const std::vector<std::string> &addresses)
{
  static std::once_flag once;
  std::call_once (once, [&] {
    std::string list;
    for (const auto &address : addresses)
      list += (list.empty () ? "" : ", ") + address;
    GST_WARNING ("no network interface is up but loopback: ICE gathers on %s "
                 "only, so only peers on this host can connect",
                 list.c_str ());
  });
}

/* Stops a webrtcbin pipeline (stop_pipeline (), pipeline-stop.h), after its
 * open data channel (if any) closed properly: the SCTP stream reset has to get
 * out for the remote to see its channel close, and webrtcbin sends it on its
 * own threads. Polls the channel from the engine thread until it is closed or
 * @timeout_ms passed; the pipeline stops in the destructor, also when the
 * engine thread ends first and its context drops the timer. */
class PipelineStopper
{
public:
  PipelineStopper (GstElement *pipeline, GstWebRTCDataChannel *channel,
                   guint timeout_ms)
      : pipeline_ (GST_ELEMENT (gst_object_ref (pipeline))),
        channel_ (GST_WEBRTC_DATA_CHANNEL (g_object_ref (channel))),
        deadline_us_ (g_get_monotonic_time ()
                      + timeout_ms * G_GINT64_CONSTANT (1000))
  {
  }

  ~PipelineStopper () { stop_pipeline (pipeline_.get ()); }

  PipelineStopper (const PipelineStopper &) = delete;
  PipelineStopper &operator= (const PipelineStopper &) = delete;

  static gboolean
  poll (gpointer data) noexcept
  {
    auto self = static_cast<PipelineStopper *> (data);
    GstWebRTCDataChannelState state;
    g_object_get (self->channel_.get (), "ready-state", &state, nullptr);
    if (state == GST_WEBRTC_DATA_CHANNEL_STATE_CLOSED)
      return G_SOURCE_REMOVE;
    if (g_get_monotonic_time () >= self->deadline_us_) {
      GST_INFO ("data channel still closing: stopping its pipeline anyway");
      return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
  }

  static void
  destroy (gpointer data) noexcept
  {
    delete static_cast<PipelineStopper *> (data);
  }

private:
  GstElementPtr pipeline_;
  GObjectPtr<GstWebRTCDataChannel> channel_;
  gint64 deadline_us_;
};

/* Stops @pipeline now, or once @channel closed (see PipelineStopper). */
void
stop_after_close (EngineThread &thread, GstElement *pipeline,
                  GstWebRTCDataChannel *channel, guint timeout_ms)
{
  if (!channel || timeout_ms == 0 || !thread.is_current ()) {
    stop_pipeline (pipeline);
    return;
  }
  gst_webrtc_data_channel_close (channel);
  GSource *source = g_timeout_source_new (CLOSE_POLL_MS);
  g_source_set_callback (source, PipelineStopper::poll,
                         new PipelineStopper (pipeline, channel, timeout_ms),
                         PipelineStopper::destroy);
  g_source_attach (source, thread.context ());
  g_source_unref (source);
}

} // namespace

/* Everything webrtcbin calls. Each handler runs on one of webrtcbin's threads
 * and only posts the event to the engine thread, where it is dropped if the
 * peer is gone or closed. Each connection owns its Target (freed by GLib once
 * the handler is disconnected and no emission uses it any more). */
struct WebRtcPeer::Signals
{
  struct Target
  {
    EngineThread *thread;
    std::weak_ptr<WebRtcPeer> peer;
  };
  using Event = std::function<void (WebRtcPeer &)>;

  static Target
  target_of (WebRtcPeer &peer)
  {
    return Target{ &peer.thread_, peer.weak_from_this () };
  }

  static void
  free_target (gpointer data, GClosure *) noexcept
  {
    delete static_cast<Target *> (data);
  }

  static void
  post (gpointer data, Event event) noexcept
  {
    auto target = static_cast<Target *> (data);
    try {
      target->thread->post ([peer = target->peer, event = std::move (event)] {
        auto self = peer.lock ();
        if (self && !self->closed_)
          event (*self);
      });
    } catch (const std::exception &e) {
      GST_ERROR ("cannot post a webrtcbin event: %s", e.what ());
    }
  }

  static void
  connect (gpointer instance, const char *signal, GCallback handler,
           const Target &target)
  {
    g_signal_connect_data (instance, signal, handler, new Target (target),
                           free_target, GConnectFlags (0));
  }

  struct PromiseTarget
  {
    Target target;
    Step step;
  };

  /* Emits the action @signal of webrtcbin with @arg and a promise whose
   * reply goes to peer.on_promise_replied (@step). */
  static void
  emit_with_promise (WebRtcPeer &peer, const char *signal, gpointer arg,
                     Step step)
  {
    GstPromise *promise = gst_promise_new_with_change_func (
        on_promise, new PromiseTarget{ target_of (peer), step },
        [] (gpointer data) { delete static_cast<PromiseTarget *> (data); });
    g_signal_emit_by_name (peer.webrtc_, signal, arg, promise);
    gst_promise_unref (promise);
  }

  static void
  on_promise (GstPromise *promise, gpointer data) noexcept
  {
    auto target = static_cast<PromiseTarget *> (data);
    auto step = target->step;
    /* Called once the promise is final: this wait does not block. */
    bool replied = gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED;
    const GstStructure *reply
        = replied ? gst_promise_get_reply (promise) : nullptr;
    auto copy = std::shared_ptr<GstStructure> (
        reply ? gst_structure_copy (reply) : nullptr,
        FreeFunc<GstStructure, gst_structure_free> ());
    post (&target->target, [step, replied, copy] (WebRtcPeer &p) {
      p.on_promise_replied (step, replied, copy.get ());
    });
  }

  static void
  on_gathering_state (GObject *webrtc, GParamSpec *, gpointer data) noexcept
  {
    GstWebRTCICEGatheringState state;
    g_object_get (webrtc, "ice-gathering-state", &state, nullptr);
    post (data, [state] (WebRtcPeer &p) { p.on_gathering_state (state); });
  }

  static void
  on_connection_state (GObject *webrtc, GParamSpec *, gpointer data) noexcept
  {
    GstWebRTCPeerConnectionState state;
    g_object_get (webrtc, "connection-state", &state, nullptr);
    post (data, [state] (WebRtcPeer &p) { p.on_connection_state (state); });
  }

  static void
  on_data_channel (GstElement *, GstWebRTCDataChannel *channel,
                   gpointer data) noexcept
  {
    /* Adopt first, so that the channel is known to the peer before any of
     * its events; connect here, before webrtcbin can deliver messages. */
    auto ref = GObjectPtr<GstWebRTCDataChannel> (
        GST_WEBRTC_DATA_CHANNEL (g_object_ref (channel)));
    auto shared = std::shared_ptr<GstWebRTCDataChannel> (
        ref.release (), GObjectUnref<GstWebRTCDataChannel> ());
    post (data, [shared] (WebRtcPeer &p) { p.adopt_channel (shared.get ()); });
    /* Not peer.lock () here: the last reference must never drop off the
     * engine thread. */
    connect_channel (channel, *static_cast<Target *> (data));
  }

  static void
  connect_channel (GstWebRTCDataChannel *channel, const Target &peer)
  {
    connect (channel, "on-open", G_CALLBACK (on_channel_open), peer);
    connect (channel, "on-close", G_CALLBACK (on_channel_close), peer);
    connect (channel, "on-error", G_CALLBACK (on_channel_error), peer);
    connect (channel, "on-message-data", G_CALLBACK (on_message_data), peer);
    connect (channel, "on-message-string", G_CALLBACK (on_message_string),
             peer);
    connect (channel, "on-buffered-amount-low",
             G_CALLBACK (on_buffered_amount_low), peer);
  }

  static void
  on_channel_open (GstWebRTCDataChannel *, gpointer data) noexcept
  {
    post (data, [] (WebRtcPeer &p) { p.on_channel_open (); });
  }

  static void
  on_channel_close (GstWebRTCDataChannel *, gpointer data) noexcept
  {
    post (data, [] (WebRtcPeer &p) { p.on_channel_closed (); });
  }

  static void
  on_channel_error (GstWebRTCDataChannel *, GError *error,
                    gpointer data) noexcept
  {
    auto copy = std::shared_ptr<GError> (g_error_copy (error), g_error_free);
    post (data, [copy] (WebRtcPeer &p) { p.on_channel_error (copy.get ()); });
  }

  static void
  deliver (gpointer data, GBytes *bytes) noexcept
  {
    auto shared = std::shared_ptr<GBytes> (bytes, g_bytes_unref);
    post (data, [shared] (WebRtcPeer &p) { p.on_message (shared.get ()); });
  }

  static void
  on_message_data (GstWebRTCDataChannel *, GBytes *bytes,
                   gpointer data) noexcept
  {
    deliver (data, bytes ? g_bytes_ref (bytes) : g_bytes_new (nullptr, 0));
  }

  static void
  on_message_string (GstWebRTCDataChannel *, const gchar *str,
                     gpointer data) noexcept
  {
    /* Like simple-peer without objectMode: text frames become bytes. */
    deliver (data,
             str ? g_bytes_new (str, strlen (str)) : g_bytes_new (nullptr, 0));
  }

  static void
  on_buffered_amount_low (GstWebRTCDataChannel *, gpointer data) noexcept
  {
    post (data, [] (WebRtcPeer &p) { p.on_buffered_amount_low (); });
  }

  /* For sctpenc's source pad: a Target with the state send () shares. */
  struct MeterTarget
  {
    Target target;
    std::shared_ptr<SendState> state;
  };

  static void
  free_meter_target (gpointer data, GClosure * = nullptr) noexcept
  {
    delete static_cast<MeterTarget *> (data);
  }

  /* webrtcbin makes its sctpenc once SCTP is negotiated: what leaves it is
   * what the association sent. */
  static void
  on_element_added (GstBin *, GstBin *, GstElement *element,
                    gpointer data) noexcept
  {
    GstElementFactory *factory = gst_element_get_factory (element);
    if (!factory || g_strcmp0 (GST_OBJECT_NAME (factory), "sctpenc") != 0)
      return;
    auto meter = static_cast<MeterTarget *> (data);
    GObjectPtr<GstPad> pad (gst_element_get_static_pad (element, "src"));
    if (!pad || meter->state->metered.exchange (true))
      return;
    gst_pad_add_probe (pad.get (),
                       GstPadProbeType (GST_PAD_PROBE_TYPE_BUFFER
                                        | GST_PAD_PROBE_TYPE_BUFFER_LIST),
                       on_sctp_packets, new MeterTarget (*meter),
                       [] (gpointer d) { free_meter_target (d); });
  }

  static gboolean
  count_packet (GstBuffer **buffer, guint, gpointer data) noexcept
  {
    GstMapInfo map;
    if (gst_buffer_map (*buffer, &map, GST_MAP_READ)) {
      static_cast<SendState *> (data)->meter.packet_out (map.data, map.size);
      gst_buffer_unmap (*buffer, &map);
    }
    return TRUE;
  }

  static GstPadProbeReturn
  on_sctp_packets (GstPad *, GstPadProbeInfo *info, gpointer data) noexcept
  {
    auto meter = static_cast<MeterTarget *> (data);
    SendState &state = *meter->state;
    if (state.closed)
      return GST_PAD_PROBE_REMOVE;
    if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
      gst_buffer_list_foreach (GST_PAD_PROBE_INFO_BUFFER_LIST (info),
                               count_packet, &state);
    } else {
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
      count_packet (&buffer, 0, &state);
    }
    if (state.refused && state.meter.unsent () <= state.low_threshold
        && state.refused.exchange (false))
      post (&meter->target, [] (WebRtcPeer &p) { p.on_writable (); });
    return GST_PAD_PROBE_OK;
  }

  static GstBusSyncReply
  on_bus_message (GstBus *, GstMessage *message, gpointer data) noexcept
  {
    if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_ERROR) {
      GErrorOut error;
      GCharPtr debug;
      gchar *debug_out = nullptr;
      gst_message_parse_error (message, error.out (), &debug_out);
      debug.reset (debug_out);
      std::string text = error.get ()->message;
      GST_WARNING ("webrtcbin error: %s (%s)", text.c_str (),
                   debug ? debug.get () : "");
      post (data, [text] (WebRtcPeer &p) {
        p.end_with_error (GST_P2P_ERROR_FAILED, "webrtcbin error: %s",
                          text.c_str ());
      });
    }
    /* Nobody watches this bus: drop everything so nothing piles up. A sync
     * handler that drops a message owns it: each one holds its source, so a
     * message kept alive keeps webrtcbin, its pipeline and ICE thread too. */
    gst_message_unref (message);
    return GST_BUS_DROP;
  }

  static void
  free_bus_target (gpointer data) noexcept
  {
    delete static_cast<Target *> (data);
  }

  static void
  disconnect_all (gpointer instance)
  {
    static const GCallback handlers[] = {
      G_CALLBACK (on_gathering_state),     G_CALLBACK (on_connection_state),
      G_CALLBACK (on_data_channel),        G_CALLBACK (on_channel_open),
      G_CALLBACK (on_channel_close),       G_CALLBACK (on_channel_error),
      G_CALLBACK (on_message_data),        G_CALLBACK (on_message_string),
      G_CALLBACK (on_buffered_amount_low), G_CALLBACK (on_element_added),
    };
    for (auto handler : handlers)
      g_signal_handlers_disconnect_matched (instance, G_SIGNAL_MATCH_FUNC, 0, 0,
                                            nullptr, (gpointer)handler,
                                            nullptr);
  }
};

WebRtcPeer::WebRtcPeer (Token, EngineThread &thread,
                        const WebRtcPeerConfig &config, Callbacks callbacks,
                        bool offerer)
    : thread_ (thread), config_ (config),
      send_state_ (std::make_shared<SendState> ()),
      callbacks_ (std::move (callbacks)), offerer_ (offerer)
{
  init_debug_category ();
  send_state_->low_threshold = config.buffered_amount_low_threshold;
}

WebRtcPeer::~WebRtcPeer () { teardown (); }

std::shared_ptr<WebRtcPeer>
WebRtcPeer::new_offerer (EngineThread &thread, const WebRtcPeerConfig &config,
                         Callbacks callbacks, GError **error)
{
  g_return_val_if_fail (thread.is_current (), nullptr);
  auto peer = std::make_shared<WebRtcPeer> (Token{}, thread, config,
                                            std::move (callbacks), true);
  if (!peer->start (error))
    return nullptr;

  peer->label_ = random_label ();
  /* No options: ordered and reliable, like simple-peer's `{}` config. */
  GstWebRTCDataChannel *channel = nullptr;
  g_signal_emit_by_name (peer->webrtc_, "create-data-channel",
                         peer->label_.c_str (), nullptr, &channel);
  if (!channel) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_FAILED,
                 "webrtcbin refused to create a data channel");
    return nullptr;
  }
  peer->adopt_channel (channel);
  Signals::connect_channel (channel, Signals::target_of (*peer));
  g_object_unref (channel);

  Signals::emit_with_promise (*peer, "create-offer", nullptr,
                              Step::OFFER_CREATED);
  return peer;
}

std::shared_ptr<WebRtcPeer>
WebRtcPeer::new_answerer (EngineThread &thread, const WebRtcPeerConfig &config,
                          const std::string &remote_offer, Callbacks callbacks,
                          GError **error)
{
  g_return_val_if_fail (thread.is_current (), nullptr);
  auto peer = std::make_shared<WebRtcPeer> (Token{}, thread, config,
                                            std::move (callbacks), false);
  if (!peer->start (error)
      || !peer->set_remote_description (GST_WEBRTC_SDP_TYPE_OFFER, remote_offer,
                                        error))
    return nullptr;
  return peer;
}

bool
WebRtcPeer::start (GError **error)
{
  started_us_ = g_get_monotonic_time ();
  auto webrtc = gst_element_factory_make ("webrtcbin", nullptr);
  if (!webrtc) {
    g_set_error (
        error, GST_P2P_ERROR, GST_P2P_ERROR_FAILED,
        "no webrtcbin element (gst-plugins-bad webrtc, nice, dtls, sctp, "
        "srtp plugins)");
    return false;
  }
  webrtc_ = GST_ELEMENT (gst_object_ref_sink (webrtc));
  pipeline_ = gst_pipeline_new (nullptr);
  /* The bin takes a reference of its own: webrtc_ is no longer floating. */
  gst_bin_add (GST_BIN (pipeline_), webrtc_);

  /* One m-line anyway; max-bundle is what browsers offer. */
  g_object_set (webrtc_, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                nullptr);
  if (!config_.stun_server.empty ())
    g_object_set (webrtc_, "stun-server", config_.stun_server.c_str (),
                  nullptr);
  if (!config_.turn_server.empty ())
    g_object_set (webrtc_, "turn-server", config_.turn_server.c_str (),
                  nullptr);

  GObject *ice = nullptr;
  g_object_get (webrtc_, "ice-agent", &ice, nullptr);
  GObjectPtr<GObject> ice_ref (ice);
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "ice-tcp"))
    g_object_set (ice, "ice-tcp", (gboolean)config_.ice_tcp, nullptr);
  /* Keepalives as connectivity checks: a remote that vanished without
   * closing fails ICE after ~50 s; plain keepalives never fail. */
  GObject *agent = nullptr;
  if (g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, nullptr);
  GObjectPtr<GObject> agent_ref (agent);
  if (agent)
    g_object_set (agent, "keepalive-conncheck", TRUE, nullptr);
  /* No UPnP: libnice would multicast SSDP discovery to the LAN for every
   * peer, traffic that neither loopback tests nor real peers need. */
  if (agent
      && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp"))
    g_object_set (agent, "upnp", FALSE, nullptr);
  std::vector<std::string> addresses = config_.local_addresses;
  if (addresses.empty ()) {
    addresses = unconfigured_ice_addresses (local_addresses_up ());
    if (!addresses.empty ())
      warn_loopback_only (addresses);
  }
  for (const auto &address : addresses) {
    gboolean added = FALSE;
    g_signal_emit_by_name (ice, "add-local-ip-address", address.c_str (),
                           &added);
    if (!added) {
      g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_FAILED,
                   "ICE agent refused local address '%s'", address.c_str ());
      return false;
    }
  }

  auto target = Signals::target_of (*this);
  Signals::connect (webrtc_, "notify::ice-gathering-state",
                    G_CALLBACK (Signals::on_gathering_state), target);
  Signals::connect (webrtc_, "notify::connection-state",
                    G_CALLBACK (Signals::on_connection_state), target);
  if (!offerer_)
    Signals::connect (webrtc_, "on-data-channel",
                      G_CALLBACK (Signals::on_data_channel), target);
  g_signal_connect_data (pipeline_, "deep-element-added",
                         G_CALLBACK (Signals::on_element_added),
                         new Signals::MeterTarget{ target, send_state_ },
                         Signals::free_meter_target, GConnectFlags (0));
  GObjectPtr<GstBus> bus (gst_pipeline_get_bus (GST_PIPELINE (pipeline_)));
  gst_bus_set_sync_handler (bus.get (), Signals::on_bus_message,
                            new Signals::Target (target),
                            Signals::free_bus_target);

  if (gst_element_set_state (pipeline_, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_FAILED,
                 "webrtcbin failed to start");
    return false;
  }
  connect_timer_ = start_timer (config_.connect_timeout_ms,
                                &WebRtcPeer::on_connect_timeout);
  return true;
}

bool
WebRtcPeer::set_remote_answer (const std::string &sdp, GError **error)
{
  g_return_val_if_fail (thread_.is_current (), false);
  if (!offerer_ || closed_ || remote_description_given_) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                 "an answer is not expected now");
    return false;
  }
  return set_remote_description (GST_WEBRTC_SDP_TYPE_ANSWER, sdp, error);
}

bool
WebRtcPeer::set_remote_description (GstWebRTCSDPType type,
                                    const std::string &sdp, GError **error)
{
  const char *what = gst_webrtc_sdp_type_to_string (type);
  if (!sdp_has_data_channel (sdp)) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                 "remote %s has no data channel section", what);
    return false;
  }
  GstSDPMessage *message = nullptr;
  if (gst_sdp_message_new_from_text (sdp.c_str (), &message) != GST_SDP_OK) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                 "remote %s does not parse", what);
    return false;
  }
  GST_DEBUG ("remote %s:\n%s", what, sdp.c_str ());
  remote_description_given_ = true;
  auto description = gst_webrtc_session_description_new (type, message);
  Signals::emit_with_promise (*this, "set-remote-description", description,
                              Step::REMOTE_DESCRIPTION_SET);
  gst_webrtc_session_description_free (description);
  return true;
}

void
WebRtcPeer::on_promise_replied (Step step, bool replied,
                                const GstStructure *reply)
{
  const char *name = step_name (static_cast<int> (step));
  if (!replied) {
    end_with_error (GST_P2P_ERROR_FAILED, "webrtcbin dropped %s", name);
    return;
  }
  if (reply && gst_structure_has_field (reply, "error")) {
    GError *error = nullptr;
    gst_structure_get (reply, "error", G_TYPE_ERROR, &error, nullptr);
    GErrorPtr owned (error);
    /* A refused remote description is the remote's fault. */
    end_with_error (
        step == Step::REMOTE_DESCRIPTION_SET ? GST_P2P_ERROR_PROTOCOL
                                             : GST_P2P_ERROR_FAILED,
        "%s failed: %s", name, error ? error->message : "unknown error");
    return;
  }

  switch (step) {
  case Step::OFFER_CREATED:
  case Step::ANSWER_CREATED: {
    const char *field = step == Step::OFFER_CREATED ? "offer" : "answer";
    GstWebRTCSessionDescription *description = nullptr;
    if (reply)
      gst_structure_get (reply, field, GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                         &description, nullptr);
    if (!description) {
      end_with_error (GST_P2P_ERROR_FAILED, "%s replied without an %s", name,
                      field);
      return;
    }
    Signals::emit_with_promise (*this, "set-local-description", description,
                                Step::LOCAL_DESCRIPTION_SET);
    gst_webrtc_session_description_free (description);
    break;
  }
  case Step::LOCAL_DESCRIPTION_SET:
    GST_DEBUG ("local description set after %" G_GINT64_FORMAT " ms",
               (g_get_monotonic_time () - started_us_) / 1000);
    local_description_set_ = true;
    if (gathering_complete_)
      send_local_description ();
    else
      gather_timer_ = start_timer (config_.gather_timeout_ms,
                                   &WebRtcPeer::on_gather_timeout);
    break;
  case Step::REMOTE_DESCRIPTION_SET:
    /* create-answer only now that the offer is in (DESIGN.md §7). */
    if (!offerer_)
      Signals::emit_with_promise (*this, "create-answer", nullptr,
                                  Step::ANSWER_CREATED);
    break;
  }
}

void
WebRtcPeer::on_gathering_state (GstWebRTCICEGatheringState state)
{
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE)
    return;
  GST_DEBUG ("ICE gathering complete after %" G_GINT64_FORMAT " ms",
             (g_get_monotonic_time () - started_us_) / 1000);
  gathering_complete_ = true;
  if (local_description_set_)
    send_local_description ();
}

void
WebRtcPeer::on_gather_timeout ()
{
  stop_timer (gather_timer_);
  GST_WARNING ("ICE gathering not complete after %u ms: sending what we have",
               config_.gather_timeout_ms);
  send_local_description ();
}

void
WebRtcPeer::send_local_description ()
{
  if (local_description_sent_)
    return;
  local_description_sent_ = true;
  stop_timer (gather_timer_);
  GstWebRTCSessionDescription *description = nullptr;
  g_object_get (webrtc_, "local-description", &description, nullptr);
  if (!description) {
    end_with_error (GST_P2P_ERROR_FAILED, "webrtcbin has no local description");
    return;
  }
  GCharPtr text (gst_sdp_message_as_text (description->sdp));
  gst_webrtc_session_description_free (description);
  auto sdp = sdp_without_trickle_option (text.get ());
  GST_DEBUG ("local description after %" G_GINT64_FORMAT " ms:\n%s",
             (g_get_monotonic_time () - started_us_) / 1000, sdp.c_str ());
  if (callbacks_.local_description)
    callbacks_.local_description (sdp);
}

void
WebRtcPeer::on_connection_state (GstWebRTCPeerConnectionState state)
{
  GST_DEBUG ("connection state %d after %" G_GINT64_FORMAT " ms", state,
             (g_get_monotonic_time () - started_us_) / 1000);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED)
    end_with_error (GST_P2P_ERROR_NETWORK, "ICE/DTLS connection failed");
}

void
WebRtcPeer::adopt_channel (GstWebRTCDataChannel *channel)
{
  if (channel_)
    return;
  channel_ = GST_WEBRTC_DATA_CHANNEL (g_object_ref (channel));
  gchar *label = nullptr;
  GstWebRTCDataChannelState state;
  g_object_set (channel_, "buffered-amount-low-threshold",
                send_state_->low_threshold.load (), nullptr);
  g_object_get (channel_, "label", &label, "ready-state", &state, nullptr);
  label_ = label ? label : "";
  g_free (label);
  if (state == GST_WEBRTC_DATA_CHANNEL_STATE_OPEN)
    on_channel_open ();
}

void
WebRtcPeer::on_channel_open ()
{
  if (open_)
    return;
  open_ = true;
  GST_DEBUG ("data channel %s open after %" G_GINT64_FORMAT " ms",
             label_.c_str (), (g_get_monotonic_time () - started_us_) / 1000);
  stop_timer (connect_timer_);
  if (callbacks_.open)
    callbacks_.open ();
}

void
WebRtcPeer::on_channel_closed ()
{
  auto self = shared_from_this ();
  GST_DEBUG ("data channel %s closed by the remote", label_.c_str ());
  teardown ();
  if (callbacks_.closed)
    callbacks_.closed (nullptr);
}

void
WebRtcPeer::on_channel_error (const GError *error)
{
  end_with_error (GST_P2P_ERROR_NETWORK, "data channel error: %s",
                  error->message);
}

void
WebRtcPeer::on_message (GBytes *message)
{
  /* The answerer's channel may deliver before its on-open reached us. */
  on_channel_open ();
  if (!closed_ && callbacks_.message)
    callbacks_.message (message);
}

void
WebRtcPeer::on_buffered_amount_low ()
{
  /* What webrtcbin counts drained; SCTP may still hold more than the
   * threshold, and send () then refuses again. */
  if (send_state_->refused.exchange (false))
    on_writable ();
}

void
WebRtcPeer::on_writable ()
{
  if (callbacks_.writable)
    callbacks_.writable ();
}

bool
WebRtcPeer::send (GBytes *message)
{
  g_return_val_if_fail (thread_.is_current (), false);
  if (!is_open ())
    return false;
  /* webrtcbin's own state, which its threads change before this one hears:
   * the remote (or an SCTP error) may have started closing the channel.
   * webrtcbin 1.22.0 and 1.22.1 refuse a message for a channel that is not
   * open without dropping the buffer they wrapped it in (fixed in 1.22.2 by
   * commit 63418170 "webrtc: patch leak caused by early return"): that
   * buffer, its SCTP meta and a reference on @message would leak. So it
   * gets none then; closed () follows. A close that webrtcbin starts
   * between this check and its own still meets that bug. */
  GstWebRTCDataChannelState state;
  g_object_get (channel_, "ready-state", &state, nullptr);
  if (state != GST_WEBRTC_DATA_CHANNEL_STATE_OPEN) {
    GST_DEBUG ("data channel %s is closing: not sending", label_.c_str ());
    return false;
  }
  SendState &sending = *send_state_;
  if (buffered_amount () > sending.low_threshold) {
    /* Set before looking again: a packet SCTP sends from now on sees it
     * and wakes us once the backlog drains. */
    sending.refused = true;
    if (buffered_amount () > sending.low_threshold)
      return false;
    sending.refused = false;
  }
  GErrorOut error;
  if (!gst_webrtc_data_channel_send_data_full (channel_, message,
                                               error.out ())) {
    GST_WARNING ("data channel %s refused %" G_GSIZE_FORMAT " bytes: %s",
                 label_.c_str (), g_bytes_get_size (message),
                 error.get ()->message);
    return false;
  }
  sending.meter.given (g_bytes_get_size (message));
  return true;
}

void
WebRtcPeer::set_buffered_low_threshold (guint64 bytes)
{
  send_state_->low_threshold = bytes;
  if (channel_)
    g_object_set (channel_, "buffered-amount-low-threshold", bytes, nullptr);
}

bool
WebRtcPeer::is_open () const
{
  return open_ && !closed_;
}

bool
WebRtcPeer::is_closed () const
{
  return closed_;
}

guint64
WebRtcPeer::buffered_amount () const
{
  guint64 amount = 0;
  if (channel_)
    g_object_get (channel_, "buffered-amount", &amount, nullptr);
  if (send_state_->metered)
    amount = std::max (amount, send_state_->meter.unsent ());
  return amount;
}

void
WebRtcPeer::on_connect_timeout ()
{
  stop_timer (connect_timer_);
  end_with_error (GST_P2P_ERROR_TIMEOUT, "data channel not open after %u ms",
                  config_.connect_timeout_ms);
}

GSource *
WebRtcPeer::start_timer (guint ms, void (WebRtcPeer::*on_timeout) ())
{
  struct Timer
  {
    std::weak_ptr<WebRtcPeer> peer;
    void (WebRtcPeer::*on_timeout) ();
  };
  GSource *source = g_timeout_source_new (ms);
  g_source_set_callback (
      source,
      [] (gpointer data) -> gboolean {
        auto timer = static_cast<Timer *> (data);
        auto self = timer->peer.lock ();
        if (self && !self->closed_)
          ((*self).*(timer->on_timeout)) ();
        return G_SOURCE_REMOVE;
      },
      new Timer{ weak_from_this (), on_timeout },
      [] (gpointer data) { delete static_cast<Timer *> (data); });
  g_source_attach (source, thread_.context ());
  return source;
}

void
WebRtcPeer::stop_timer (GSource *&timer)
{
  /* Also fine from the timer's own dispatch: GLib holds a ref meanwhile. */
  if (timer) {
    g_source_destroy (timer);
    g_source_unref (timer);
    timer = nullptr;
  }
}

void
WebRtcPeer::end_with_error (GstP2PError code, const char *format, ...)
{
  if (closed_)
    return;
  auto self = shared_from_this ();
  va_list args;
  va_start (args, format);
  GErrorPtr error (g_error_new_valist (GST_P2P_ERROR, code, format, args));
  va_end (args);
  GST_INFO ("peer %s failed: %s", label_.c_str (), error->message);
  teardown ();
  if (callbacks_.closed)
    callbacks_.closed (error.get ());
}

void
WebRtcPeer::close ()
{
  g_return_if_fail (thread_.is_current ());
  teardown ();
}

void
WebRtcPeer::teardown ()
{
  if (closed_)
    return;
  closed_ = true;
  send_state_->closed = true;
  stop_timer (gather_timer_);
  stop_timer (connect_timer_);
  if (channel_)
    Signals::disconnect_all (channel_);
  if (webrtc_)
    Signals::disconnect_all (webrtc_);
  if (pipeline_) {
    Signals::disconnect_all (pipeline_);
    GObjectPtr<GstBus> bus (gst_pipeline_get_bus (GST_PIPELINE (pipeline_)));
    gst_bus_set_sync_handler (bus.get (), nullptr, nullptr, nullptr);
    stop_after_close (thread_, pipeline_, open_ ? channel_ : nullptr,
                      config_.close_timeout_ms);
  }
  g_clear_object (&channel_);
  gst_clear_object (&webrtc_);
  gst_clear_object (&pipeline_);
}

namespace {

/* A WebRtcPeer as a PeerChannel: the peer is shared with webrtcbin's
 * signal handlers (weakly), the channel owns it. */
class WebRtcChannel : public PeerChannel
{
public:
  explicit WebRtcChannel (std::shared_ptr<WebRtcPeer> peer)
      : peer_ (std::move (peer))
  {
  }
  ~WebRtcChannel () override { peer_->close (); }

  bool
  set_remote_answer (const std::string &sdp, GError **error) override
  {
    return peer_->set_remote_answer (sdp, error);
  }
  bool
  send (GBytes *message) override
  {
    return peer_->send (message);
  }
  guint64
  buffered_amount () const override
  {
    return peer_->buffered_amount ();
  }
  void
  set_buffered_low_threshold (guint64 bytes) override
  {
    peer_->set_buffered_low_threshold (bytes);
  }
  bool
  is_open () const override
  {
    return peer_->is_open ();
  }
  void
  close () override
  {
    peer_->close ();
  }

private:
  std::shared_ptr<WebRtcPeer> peer_;
};

std::unique_ptr<PeerChannel>
wrap (std::shared_ptr<WebRtcPeer> peer)
{
  if (!peer)
    return nullptr;
  return std::make_unique<WebRtcChannel> (std::move (peer));
}

} // namespace

WebRtcTransport::WebRtcTransport (EngineThread &thread, WebRtcPeerConfig config)
    : thread_ (thread), config_ (std::move (config))
{
}

std::unique_ptr<PeerChannel>
WebRtcTransport::offer (ChannelEvents events, GError **error)
{
  return wrap (
      WebRtcPeer::new_offerer (thread_, config_, std::move (events), error));
}

std::unique_ptr<PeerChannel>
WebRtcTransport::answer (const std::string &remote_offer, ChannelEvents events,
                         GError **error)
{
  return wrap (WebRtcPeer::new_answerer (thread_, config_, remote_offer,
                                         std::move (events), error));
}

} // namespace p2p::peer
