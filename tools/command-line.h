/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Command-line parsing shared by the tools (GOption).
 */
#pragma once

#include <glib.h>

namespace p2p::tools {

/* Parses @argc/@argv against @entries, plus @extra (such as
 * gst_init_get_option_group (), or nullptr). Bad input is printed as
 * "program: why" and gives false: the tool then exits with 2. */
inline bool
parse_command_line (int *argc, char ***argv, const char *summary,
                    const GOptionEntry *entries, GOptionGroup *extra = nullptr)
{
  GOptionContext *context = g_option_context_new (summary);
  g_option_context_add_main_entries (context, entries, nullptr);
  if (extra)
    g_option_context_add_group (context, extra);
  GError *error = nullptr;
  bool parsed = g_option_context_parse (context, argc, argv, &error);
  if (!parsed) {
    g_printerr ("%s: %s\n", g_get_prgname (), error->message);
    g_error_free (error);
  }
  g_option_context_free (context);
  return parsed;
}

} // namespace p2p::tools
