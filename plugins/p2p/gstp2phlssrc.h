/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_P2P_HLS_SRC (gst_p2p_hls_src_get_type ())
G_DECLARE_FINAL_TYPE (GstP2PHLSSrc, gst_p2p_hls_src, GST, P2P_HLS_SRC,
                      GstPushSrc)

G_END_DECLS
