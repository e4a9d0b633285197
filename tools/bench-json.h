/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * JSON output shared by the bench tools: a stats GstStructure as JSON
 * members, the process's own resource use, and writing one document.
 */
#pragma once

#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include <sys/resource.h>
#include <unistd.h>

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

/* @name without the element and pad indices GStreamer puts in its
 * threads' names: "nicesrc12:src" is "nicesrc:src", "sctpdec3:src_1"
 * "sctpdec:src_". */
inline std::string
without_indices (const std::string &name)
{
  static GRegex *indices = g_regex_new (
      "\\d+(?=:)|(?<=_)\\d+$", G_REGEX_OPTIMIZE, GRegexMatchFlags (0), nullptr);
  gchar *plain = g_regex_replace_literal (indices, name.c_str (), -1, 0, "",
                                          GRegexMatchFlags (0), nullptr);
  std::string result (plain ? plain : name.c_str ());
  g_free (plain);
  return result;
}

/* CPU seconds (user + system) of this process's live threads, by thread
 * name without indices: where a viewer's CPU goes, per run. Threads that
 * ended are in the process's total only. */
inline std::map<std::string, double>
thread_cpu_seconds ()
{
  std::map<std::string, double> seconds;
  const double ticks = double (sysconf (_SC_CLK_TCK));
  GDir *tasks = g_dir_open ("/proc/self/task", 0, nullptr);
  if (!tasks)
    return seconds;
  while (const gchar *tid = g_dir_read_name (tasks)) {
    gchar *path = g_build_filename ("/proc/self/task", tid, "stat", nullptr);
    gchar *stat = nullptr;
    if (g_file_get_contents (path, &stat, nullptr, nullptr)) {
      /* "tid (name) state ppid ...": the name may hold spaces and
       * parentheses; utime and stime are the 12th and 13th fields after
       * it. */
      const char *open = strchr (stat, '(');
      const char *close = strrchr (stat, ')');
      unsigned long utime = 0, stime = 0;
      if (open && close && close > open
          && sscanf (close + 2,
                     "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                     &utime, &stime)
                 == 2) {
        const std::string name
            = without_indices (std::string (open + 1, close));
        seconds[name] += double (utime + stime) / ticks;
      }
      g_free (stat);
    }
    g_free (path);
  }
  g_dir_close (tasks);
  return seconds;
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

/* This process's live threads' CPU seconds by name (thread_cpu_seconds ()). */
inline void
add_thread_cpu_members (JsonBuilder *b)
{
  json_builder_set_member_name (b, "cpu-threads-s");
  json_builder_begin_object (b);
  for (const auto &[name, seconds] : thread_cpu_seconds ()) {
    json_builder_set_member_name (b, name.c_str ());
    json_builder_add_double_value (b, seconds);
  }
  json_builder_end_object (b);
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
