/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The peer-to-peer properties p2phlssrc and p2pswarmsink share (trackers,
 * swarm id, ICE servers and addresses, upload limit), installed and handled
 * once for both, as srt's gstsrtobject does for its src and sink
 * (STYLE.md §3.2).
 */
#pragma once

#include <string>

#include <gst/gst.h>

#include "gst/p2p/peer/webrtc-peer.h"

struct GstP2PPeerSettings
{
  std::string trackers;
  std::string swarm_id;
  std::string stun_server;
  std::string turn_server;
  std::string ice_addresses;
  guint64 max_upload_rate = 0;

  /* The WebRTC side of these settings. */
  p2p::peer::WebRtcPeerConfig webrtc_config () const;
};

/* Installs the shared properties with ids from @first_prop_id on; returns
 * the id after the last one. */
guint gst_p2p_peer_settings_install_properties (GObjectClass *klass,
                                                guint first_prop_id);

/* Set/get one of those properties under the object lock of @object. They
 * return FALSE when @prop_id is not one of them. */
gboolean gst_p2p_peer_settings_set_property (GstP2PPeerSettings *settings,
                                             GObject *object, guint prop_id,
                                             guint first_prop_id,
                                             const GValue *value);
gboolean gst_p2p_peer_settings_get_property (const GstP2PPeerSettings *settings,
                                             GObject *object, guint prop_id,
                                             guint first_prop_id,
                                             GValue *value);

/* Checks the settings of @element (under its object lock) before it
 * starts; posts a RESOURCE/SETTINGS element error naming what is wrong
 * and returns FALSE. */
gboolean gst_p2p_peer_settings_check (const GstP2PPeerSettings *settings,
                                      GstElement *element);
