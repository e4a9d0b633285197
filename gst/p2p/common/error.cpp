/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "error.h"

GQuark
gst_p2p_error_quark (void)
{
  return g_quark_from_static_string ("gst-p2p-error-quark");
}
