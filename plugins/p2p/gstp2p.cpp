/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pelements.h"

static gboolean
plugin_init (GstPlugin *plugin)
{
  gboolean ret = FALSE;
  ret |= GST_ELEMENT_REGISTER (p2phlssrc, plugin);
  ret |= GST_ELEMENT_REGISTER (p2pswarmsink, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (
    GST_VERSION_MAJOR, GST_VERSION_MINOR, p2p,
    "Peer-assisted live HLS: a source that fetches from CDN and peers, and a "
    "broadcaster sink that publishes and seeds",
    plugin_init, PACKAGE_VERSION, "LGPL", "gst-p2p",
    "https://github.com/gst-p2p/gst-p2p")
