/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "bench-scenario.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::sim {

namespace {

bool
fail (GError **error, const std::string &path, const std::string &what)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "%s: not a bench run's results: %s", path.c_str (),
               what.c_str ());
  return false;
}

bool
number_member (JsonObject *object, const char *name, double *value)
{
  JsonNode *node = json_object_get_member (object, name);
  if (!node || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) == G_TYPE_STRING)
    return false;
  *value = json_node_get_double (node);
  return true;
}

} // namespace

bool
load_bench_scenario (const std::string &path, BenchScenario *scenario,
                     GError **error)
{
  GObjectPtr<JsonParser> parser (json_parser_new ());
  if (!json_parser_load_from_file (parser.get (), path.c_str (), error))
    return false;
  JsonNode *root = json_parser_get_root (parser.get ());
  if (!root || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, path, "no JSON object");
  JsonObject *run = json_node_get_object (root);
  BenchScenario result;
  if (!number_member (run, "duration-s", &result.duration_s)
      || result.duration_s <= 0)
    return fail (error, path, "no positive duration-s");
  JsonNode *list = json_object_get_member (run, "viewers");
  if (!list || !JSON_NODE_HOLDS_ARRAY (list)
      || json_array_get_length (json_node_get_array (list)) == 0)
    return fail (error, path, "no viewers");

  JsonArray *viewers = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (viewers); i++) {
    JsonObject *v = json_array_get_object_element (viewers, i);
    const std::string which = "viewer " + std::to_string (i);
    double rtt_ms, loss_pct, down_mbit, up_mbit;
    if (!v || !number_member (v, "rtt-ms", &rtt_ms)
        || !number_member (v, "loss-pct", &loss_pct)
        || !number_member (v, "down-mbit", &down_mbit)
        || !number_member (v, "up-mbit", &up_mbit) || down_mbit <= 0
        || up_mbit < 0 || loss_pct < 0 || loss_pct > 100
        || rtt_ms <= 2 * double (kOriginDelay) / GST_MSECOND)
      return fail (error, path,
                   which
                       + ": no link (rtt-ms, loss-pct, "
                         "down-mbit, up-mbit)");
    PlannedViewer plan;
    plan.link = bench_link (rtt_ms, loss_pct / 100, down_mbit, up_mbit);
    plan.upload = !json_object_has_member (v, "upload")
                  || json_object_get_boolean_member (v, "upload");

    JsonNode *sessions = json_object_get_member (v, "sessions");
    if (!sessions || !JSON_NODE_HOLDS_ARRAY (sessions))
      return fail (error, path, which + ": no sessions");
    JsonArray *list_of_sessions = json_node_get_array (sessions);
    double previous_stop = 0;
    for (guint s = 0; s < json_array_get_length (list_of_sessions); s++) {
      JsonArray *span = json_array_get_array_element (list_of_sessions, s);
      if (!span || json_array_get_length (span) != 2)
        return fail (error, path, which + ": a session is not [start, stop]");
      const double start = json_array_get_double_element (span, 0);
      const double stop = json_array_get_double_element (span, 1);
      if (start < previous_stop || stop <= start
          || stop > result.duration_s + 1e-6)
        return fail (error, path,
                     which + ": sessions out of order or outside the run");
      previous_stop = stop;
      plan.sessions.emplace_back (GstClockTime (start * GST_SECOND),
                                  GstClockTime (stop * GST_SECOND));
    }
    if (plan.sessions.empty ())
      return fail (error, path, which + ": no sessions");
    result.viewers.push_back (std::move (plan));
  }
  *scenario = std::move (result);
  return true;
}

} // namespace p2p::sim
