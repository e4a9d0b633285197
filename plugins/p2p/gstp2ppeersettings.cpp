/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gstp2ppeersettings.h"

#include "gst/p2p/common/string-list.h"

namespace {

enum {
  PROP_TRACKERS,
  PROP_SWARM_ID,
  PROP_STUN_SERVER,
  PROP_TURN_SERVER,
  PROP_ICE_ADDRESSES,
  PROP_MAX_UPLOAD_RATE,
  N_PROPS,
};

constexpr GParamFlags kFlags
    = (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                    | G_PARAM_STATIC_STRINGS);

std::string *
string_field (GstP2PPeerSettings *s, guint id)
{
  switch (id) {
  case PROP_TRACKERS:
    return &s->trackers;
  case PROP_SWARM_ID:
    return &s->swarm_id;
  case PROP_STUN_SERVER:
    return &s->stun_server;
  case PROP_TURN_SERVER:
    return &s->turn_server;
  case PROP_ICE_ADDRESSES:
    return &s->ice_addresses;
  default:
    return nullptr;
  }
}

/* ws:// or wss:// with a host: what the WebSocket tracker client can
 * connect to. */
bool
is_tracker_url (const std::string &url)
{
  GUri *parsed = g_uri_parse (url.c_str (), G_URI_FLAGS_NONE, nullptr);
  if (!parsed)
    return false;
  const char *scheme = g_uri_get_scheme (parsed);
  const char *host = g_uri_get_host (parsed);
  bool ok = (g_ascii_strcasecmp (scheme, "ws") == 0
             || g_ascii_strcasecmp (scheme, "wss") == 0)
            && host && host[0] != '\0';
  g_uri_unref (parsed);
  return ok;
}

} // namespace

p2p::peer::WebRtcPeerConfig
GstP2PPeerSettings::webrtc_config () const
{
  p2p::peer::WebRtcPeerConfig config;
  config.stun_server = stun_server;
  config.turn_server = turn_server;
  config.local_addresses = p2p::split_list (ice_addresses);
  return config;
}

guint
gst_p2p_peer_settings_install_properties (GObjectClass *klass,
                                          guint first_prop_id)
{
  /**
   * GstP2PHLSSrc:trackers:
   *
   * Comma-separated WebTorrent tracker URLs (ws:// or wss://). Empty: no
   * peers (p2phlssrc plays over HTTP only; p2pswarmsink seeds only on its
   * embedded tracker, if any).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      klass, first_prop_id + PROP_TRACKERS,
      g_param_spec_string (
          "trackers", "Trackers",
          "Comma-separated WebTorrent tracker URLs (ws:// or wss://)", "",
          kFlags));
  /**
   * GstP2PHLSSrc:swarm-id:
   *
   * Replaces the playlist URL in the swarm id, as P2P Media Loader's
   * swarmId does. Empty: derived from the playlist URL, like browsers.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      klass, first_prop_id + PROP_SWARM_ID,
      g_param_spec_string (
          "swarm-id", "Swarm ID",
          "Swarm id instead of the playlist URL (empty: from the URL)", "",
          kFlags));
  g_object_class_install_property (
      klass, first_prop_id + PROP_STUN_SERVER,
      g_param_spec_string ("stun-server", "STUN Server",
                           "STUN server, stun://host:port (empty: none)", "",
                           kFlags));
  g_object_class_install_property (
      klass, first_prop_id + PROP_TURN_SERVER,
      g_param_spec_string (
          "turn-server", "TURN Server",
          "TURN server, turn(s)://user:password@host:port (empty: none)", "",
          kFlags));
  /**
   * GstP2PHLSSrc:ice-addresses:
   *
   * Comma-separated local IP addresses ICE gathers candidates on, e.g.
   * 127.0.0.1 to keep peers on this machine. Empty: every interface but
   * loopback; loopback when no other interface is up.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      klass, first_prop_id + PROP_ICE_ADDRESSES,
      g_param_spec_string (
          "ice-addresses", "ICE Addresses",
          "Comma-separated local IP addresses for ICE candidates (empty: "
          "every interface but loopback, or loopback if nothing else is up)",
          "", kFlags));
  g_object_class_install_property (
      klass, first_prop_id + PROP_MAX_UPLOAD_RATE,
      g_param_spec_uint64 (
          "max-upload-rate", "Max Upload Rate",
          "Upload limit in bytes per second for all peers; a viewer relays "
          "as many stripes as it carries (0 = unlimited)",
          0, G_MAXUINT64, 0, kFlags));
  return first_prop_id + N_PROPS;
}

gboolean
gst_p2p_peer_settings_set_property (GstP2PPeerSettings *settings,
                                    GObject *object, guint prop_id,
                                    guint first_prop_id, const GValue *value)
{
  if (prop_id < first_prop_id || prop_id >= first_prop_id + N_PROPS)
    return FALSE;
  guint id = prop_id - first_prop_id;
  GST_OBJECT_LOCK (object);
  if (std::string *field = string_field (settings, id)) {
    const gchar *s = g_value_get_string (value);
    *field = s ? s : "";
  } else {
    settings->max_upload_rate = g_value_get_uint64 (value);
  }
  GST_OBJECT_UNLOCK (object);
  return TRUE;
}

gboolean
gst_p2p_peer_settings_get_property (const GstP2PPeerSettings *settings,
                                    GObject *object, guint prop_id,
                                    guint first_prop_id, GValue *value)
{
  if (prop_id < first_prop_id || prop_id >= first_prop_id + N_PROPS)
    return FALSE;
  guint id = prop_id - first_prop_id;
  GST_OBJECT_LOCK (object);
  if (const std::string *field
      = string_field (const_cast<GstP2PPeerSettings *> (settings), id))
    g_value_set_string (value, field->c_str ());
  else
    g_value_set_uint64 (value, settings->max_upload_rate);
  GST_OBJECT_UNLOCK (object);
  return TRUE;
}

gboolean
gst_p2p_peer_settings_check (const GstP2PPeerSettings *settings,
                             GstElement *element)
{
  GST_OBJECT_LOCK (element);
  std::string trackers = settings->trackers;
  GST_OBJECT_UNLOCK (element);
  for (const std::string &url : p2p::split_list (trackers)) {
    if (!is_tracker_url (url)) {
      GST_ELEMENT_ERROR (
          element, RESOURCE, SETTINGS,
          ("Tracker URL \"%s\" is not a ws:// or wss:// URL.", url.c_str ()),
          ("trackers=%s", trackers.c_str ()));
      return FALSE;
    }
  }
  return TRUE;
}
