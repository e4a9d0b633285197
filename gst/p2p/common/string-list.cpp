/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "string-list.h"

#include <glib.h>

namespace p2p {

std::vector<std::string>
split_list (const std::string &text)
{
  std::vector<std::string> items;
  gchar **parts = g_strsplit (text.c_str (), ",", -1);
  for (gchar **p = parts; *p; p++) {
    g_strstrip (*p);
    if (**p)
      items.emplace_back (*p);
  }
  g_strfreev (parts);
  return items;
}

} // namespace p2p
