/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "player-page.h"

#include <array>
#include <cstring>

#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include "gst/p2p/common/error.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/net/web-root.h"

GST_DEBUG_CATEGORY_STATIC (p2p_player_page_debug);
#define GST_CAT_DEFAULT p2p_player_page_debug

namespace p2p::net {

namespace {

/* The npm packages the page imports, each from its dist/ folder. */
constexpr std::array<const char *, 3> kLibraryPackages = {
  "hls.js",
  "p2p-media-loader-core",
  "p2p-media-loader-hlsjs",
};
constexpr const char *kPageDir = "player";
constexpr const char *kPageFile = "index.html";
constexpr const char *kHtmlType = "text/html; charset=utf-8";
/* Module scripts need a JavaScript type; hls.js ships .mjs bundles. */
constexpr const char *kJavaScriptType = "text/javascript";

void
init_debug ()
{
  static gsize initialized = 0;
  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (p2p_player_page_debug, "p2pplayerpage", 0,
                             "gst-p2p player page");
    g_once_init_leave (&initialized, 1);
  }
}

std::string
join_path (const std::string &a, const std::string &b)
{
  GCharPtr joined (g_build_filename (a.c_str (), b.c_str (), nullptr));
  return joined.get ();
}

bool
has_suffix (const std::string &name, const char *suffix)
{
  return g_str_has_suffix (name.c_str (), suffix);
}

/* One file name, never a path: nothing outside the served folders. */
bool
is_plain_file_name (const std::string &name)
{
  return !name.empty () && name[0] != '.'
         && name.find ('/') == std::string::npos
         && name.find ('\\') == std::string::npos;
}

void
set_text_response (SoupServerMessage *msg, guint status, const char *text)
{
  soup_server_message_set_status (msg, status, nullptr);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
                                    SOUP_MEMORY_STATIC, text, strlen (text));
}

/* Answers @msg with the file @name of @dir, 404 if there is none. */
void
serve_file (SoupServerMessage *msg, const std::string &dir,
            const std::string &name)
{
  const char *method = soup_server_message_get_method (msg);
  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    set_text_response (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                       "method not allowed\n");
    return;
  }
  gchar *contents = nullptr;
  gsize length = 0;
  if (!is_plain_file_name (name)
      || !g_file_get_contents (join_path (dir, name).c_str (), &contents,
                               &length, nullptr)) {
    set_text_response (msg, SOUP_STATUS_NOT_FOUND, "not found\n");
    return;
  }
  std::string type = has_suffix (name, ".js") || has_suffix (name, ".mjs")
                         ? kJavaScriptType
                         : HttpOrigin::content_type_for_path (name);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response (msg, type.c_str (), SOUP_MEMORY_TAKE,
                                    contents, length);
}

/* "/lib/PACKAGE/NAME" -> WEB_ROOT/node_modules/PACKAGE/dist, NAME. */
void
serve_library_file (SoupServerMessage *msg, const std::string &web_root,
                    const std::string &path, const std::string &prefix)
{
  std::string rest = path.substr (prefix.size ());
  gsize slash = rest.find ('/');
  std::string package = rest.substr (0, slash);
  for (const char *known : kLibraryPackages) {
    if (slash != std::string::npos && package == known) {
      serve_file (msg,
                  join_path (join_path (web_root, "node_modules"),
                             join_path (package, "dist")),
                  rest.substr (slash + 1));
      return;
    }
  }
  set_text_response (msg, SOUP_STATUS_NOT_FOUND, "not found\n");
}

GBytesPtr
bytes_of_string (const std::string &text)
{
  return GBytesPtr (g_bytes_new (text.data (), text.size ()));
}

} // namespace

std::string
page_host_tracker_url (guint16 port, bool tls)
{
  return (tls ? "wss://{host}:" : "ws://{host}:") + std::to_string (port);
}

std::string
find_web_root ()
{
  for (const char *candidate :
       { P2P_WEB_ROOT_SOURCE, P2P_WEB_ROOT_INSTALLED }) {
    std::string page = join_path (join_path (candidate, kPageDir), kPageFile);
    if (g_file_test (page.c_str (), G_FILE_TEST_IS_REGULAR))
      return candidate;
  }
  return {};
}

std::string
player_page_config_json (const PlayerPageConfig &config)
{
  GObjectPtr<JsonBuilder> builder (json_builder_new ());
  JsonBuilder *b = builder.get ();
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "playlist");
  json_builder_add_string_value (b, config.playlist.c_str ());
  json_builder_set_member_name (b, "trackers");
  json_builder_begin_array (b);
  for (const std::string &tracker : config.trackers)
    json_builder_add_string_value (b, tracker.c_str ());
  json_builder_end_array (b);
  if (!config.swarm_id.empty ()) {
    json_builder_set_member_name (b, "swarmId");
    json_builder_add_string_value (b, config.swarm_id.c_str ());
  }
  json_builder_set_member_name (b, "hls");
  json_builder_begin_object (b);
  if (config.playlist_length > 1) {
    json_builder_set_member_name (b, "liveSyncDurationCount");
    json_builder_add_int_value (b, config.playlist_length - 1);
  }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "p2p");
  json_builder_begin_object (b);
  if (config.target_duration > 0) {
    json_builder_set_member_name (b, "highDemandTimeWindow");
    json_builder_add_double_value (b, 2 * config.target_duration);
  }
  json_builder_end_object (b);
  json_builder_end_object (b);

  GObjectPtr<JsonGenerator> generator (json_generator_new ());
  JsonNode *node = json_builder_get_root (b);
  json_generator_set_root (generator.get (), node);
  json_node_unref (node);
  GCharPtr text (json_generator_to_data (generator.get (), nullptr));
  return text.get ();
}

bool
serve_player_page (HttpOrigin &origin, const std::string &web_root,
                   const PlayerPageConfig &config, GError **error)
{
  init_debug ();
  std::string page_dir = join_path (web_root, kPageDir);
  gchar *page = nullptr;
  gsize page_length = 0;
  GErrorOut read_error;
  if (!g_file_get_contents (join_path (page_dir, kPageFile).c_str (), &page,
                            &page_length, read_error.out ())) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_IO,
                 "no player page in %s: %s", web_root.c_str (),
                 read_error.get ()->message);
    return false;
  }
  GBytesPtr page_bytes (g_bytes_new_take (page, page_length));

  for (const char *package : kLibraryPackages) {
    std::string dist = join_path (
        join_path (join_path (web_root, "node_modules"), package), "dist");
    if (!g_file_test (dist.c_str (), G_FILE_TEST_IS_DIR)) {
      g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_IO,
                   "the player page's npm package %s is not installed in "
                   "%s/node_modules (run: npm ci --ignore-scripts in %s)",
                   package, web_root.c_str (), web_root.c_str ());
      return false;
    }
  }

  origin.publish ("/", page_bytes.get (), kHtmlType, "no-cache");
  origin.publish ("/index.html", page_bytes.get (), kHtmlType, "no-cache");
  origin.publish ("/p2p-config.json",
                  bytes_of_string (player_page_config_json (config)).get (),
                  "application/json", "no-cache");
  const std::string player_prefix = "/player/";
  origin.add_handler (
      player_prefix, [page_dir, player_prefix] (SoupServerMessage *msg,
                                                const std::string &path) {
        serve_file (msg, page_dir, path.substr (player_prefix.size ()));
      });
  const std::string library_prefix = "/lib/";
  origin.add_handler (
      library_prefix, [web_root, library_prefix] (SoupServerMessage *msg,
                                                  const std::string &path) {
        serve_library_file (msg, web_root, path, library_prefix);
      });
  GST_INFO ("player page from %s", web_root.c_str ());
  return true;
}

} // namespace p2p::net
