/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define GST_TYPE_P2P_SWARM_SINK (gst_p2p_swarm_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstP2PSwarmSink, gst_p2p_swarm_sink, GST, P2P_SWARM_SINK,
                      GstBaseSink)

G_END_DECLS
