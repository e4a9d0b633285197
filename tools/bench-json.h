/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * JSON output shared by the bench tools: a stats GstStructure as JSON
 * members, the process's own resource use, and writing one document.
 */
#pragma once

#include <cstdio>
#include <string>

#include <sys/resource.h>

#include <gst/gst.h>
#include <json-glib/json-glib.h>

namespace p2p::bench {

/* Adds every numeric, boolean or string field of @s to the open object. */
inline void
add_structure_members (JsonBuilder *b, const GstStructure *s)
{
  for (gint i = 0; s && i < gst_structure_n_fields (s); i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    const GValue *v = gst_structure_get_value (s, name);
    GValue as_double = G_VALUE_INIT;
    g_value_init (&as_double, G_TYPE_DOUBLE);
    if (G_VALUE_HOLDS_UINT64 (v)) {
      json_builder_set_member_name (b, name);
      json_builder_add_int_value (b, (gint64)g_value_get_uint64 (v));
    } else if (G_VALUE_HOLDS_BOOLEAN (v)) {
      json_builder_set_member_name (b, name);
      json_builder_add_boolean_value (b, g_value_get_boolean (v));
    } else if (G_VALUE_HOLDS_STRING (v)) {
      json_builder_set_member_name (b, name);
      json_builder_add_string_value (b, g_value_get_string (v));
    } else if (g_value_type_transformable (G_VALUE_TYPE (v), G_TYPE_DOUBLE)
               && g_value_transform (v, &as_double)) {
      json_builder_set_member_name (b, name);
      json_builder_add_double_value (b, g_value_get_double (&as_double));
    }
    g_value_unset (&as_double);
  }
}

/* CPU seconds (user + system) and peak RSS of this process so far. */
inline void
add_resource_members (JsonBuilder *b)
{
  struct rusage ru = {};
  getrusage (RUSAGE_SELF, &ru);
  json_builder_set_member_name (b, "cpu-user-s");
  json_builder_add_double_value (b, ru.ru_utime.tv_sec
                                        + ru.ru_utime.tv_usec / 1e6);
  json_builder_set_member_name (b, "cpu-system-s");
  json_builder_add_double_value (b, ru.ru_stime.tv_sec
                                        + ru.ru_stime.tv_usec / 1e6);
  json_builder_set_member_name (b, "max-rss-kib");
  json_builder_add_int_value (b, ru.ru_maxrss);
}

/* The builder's document as one line of JSON. */
inline std::string
to_json_line (JsonBuilder *b)
{
  JsonNode *root = json_builder_get_root (b);
  gchar *text = json_to_string (root, FALSE);
  std::string line (text);
  g_free (text);
  json_node_unref (root);
  return line + "\n";
}

/* Appends @line to @path (or stdout for "-"); false on failure. */
inline bool
append_line (const std::string &path, const std::string &line)
{
  FILE *f = path == "-" ? stdout : fopen (path.c_str (), "a");
  if (!f)
    return false;
  bool ok = fputs (line.c_str (), f) >= 0;
  if (f == stdout)
    return fflush (f) == 0 && ok;
  return fclose (f) == 0 && ok;
}

} // namespace p2p::bench
