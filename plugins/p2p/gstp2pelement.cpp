/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One-time initialisation shared by the elements of the plugin.
 */
#include "gstp2pelements.h"

void
p2p_element_init (GstPlugin *plugin)
{
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    /* Nothing global yet besides GStreamer's own: kept as the one place
     * where shared registration goes (souphttpsrc's gstsoupelement.c). */
    g_once_init_leave (&done, 1);
  }
}
