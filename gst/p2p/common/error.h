/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The engine's own GError domain (DESIGN.md §3 "Errors", STYLE.md #9).
 * Elements map these once into GST_ELEMENT_ERROR/WARNING.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define GST_P2P_ERROR (gst_p2p_error_quark ())
GQuark gst_p2p_error_quark (void);

/**
 * GstP2PError:
 * @GST_P2P_ERROR_FAILED: unspecified failure
 * @GST_P2P_ERROR_PLAYLIST_INVALID: a playlist could not be parsed or is not
 *   usable (missing or contradictory tags)
 * @GST_P2P_ERROR_PLAYLIST_UNSUPPORTED: a valid playlist uses a feature we
 *   refuse, such as encryption (EXT-X-KEY other than NONE)
 * @GST_P2P_ERROR_HTTP_STATUS: the server answered with an HTTP error status
 * @GST_P2P_ERROR_NETWORK: connection, DNS or transfer failure
 * @GST_P2P_ERROR_TIMEOUT: no answer or no bytes in time
 * @GST_P2P_ERROR_BAD_CONTENT: wrong content type, truncated or oversized body
 * @GST_P2P_ERROR_IO: local file or socket failure
 * @GST_P2P_ERROR_INTEGRITY: a segment does not match its published hash
 * @GST_P2P_ERROR_CLOSED: the engine was shut down before the work ran
 * @GST_P2P_ERROR_PROTOCOL: a peer or tracker broke the wire protocol
 */
typedef enum {
  GST_P2P_ERROR_FAILED,
  GST_P2P_ERROR_PLAYLIST_INVALID,
  GST_P2P_ERROR_PLAYLIST_UNSUPPORTED,
  GST_P2P_ERROR_HTTP_STATUS,
  GST_P2P_ERROR_NETWORK,
  GST_P2P_ERROR_TIMEOUT,
  GST_P2P_ERROR_BAD_CONTENT,
  GST_P2P_ERROR_IO,
  GST_P2P_ERROR_INTEGRITY,
  GST_P2P_ERROR_CLOSED,
  GST_P2P_ERROR_PROTOCOL,
} GstP2PError;

G_END_DECLS
