/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The player page on an HttpOrigin (engine thread, 127.0.0.1 port 0), served
 * from a web root the test writes into a temporary directory; a plain
 * SoupSession is the browser.
 */
#include <gst/check/gstcheck.h>

#include <string>

#include <json-glib/json-glib.h>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/net/http-origin.h"
#include "gst/p2p/net/player-page.h"
#include "../common/test-certificate.h"
#include "test-helpers.h"

using p2p::GBytesPtr;
using p2p::GCharPtr;
using p2p::GObjectPtr;
using p2p::net::HttpOrigin;
using p2p::net::PlayerPageConfig;
using p2p::test::TestCertificate;

namespace {

const std::string kIndex = "<!doctype html><title>player</title>";
const std::string kPlayerJs = "import './p2p-hls.js';";
const std::string kHlsJs = "export default class Hls {}";

std::string
join (const std::string &a, const std::string &b)
{
  GCharPtr path (g_build_filename (a.c_str (), b.c_str (), nullptr));
  return path.get ();
}

void
write_file (const std::string &root, const std::string &relative,
            const std::string &contents)
{
  std::string path = join (root, relative);
  GCharPtr dir (g_path_get_dirname (path.c_str ()));
  fail_unless (g_mkdir_with_parents (dir.get (), 0755) == 0);
  fail_unless (g_file_set_contents (path.c_str (), contents.data (),
                                    contents.size (), nullptr));
}

void
remove_tree (const std::string &path)
{
  GObjectPtr<GFile> file (g_file_new_for_path (path.c_str ()));
  GObjectPtr<GFileEnumerator> children (g_file_enumerate_children (
      file.get (), G_FILE_ATTRIBUTE_STANDARD_NAME,
      G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, nullptr, nullptr));
  if (children) {
    while (GFileInfo *info
           = g_file_enumerator_next_file (children.get (), nullptr, nullptr)) {
      remove_tree (join (path, g_file_info_get_name (info)));
      g_object_unref (info);
    }
  }
  g_file_delete (file.get (), nullptr, nullptr);
}

struct Response
{
  guint status = 0;
  std::string body;
  std::string content_type;
};

struct Fixture
{
  /* With @cert the origin serves https, and the client trusts only @cert. */
  explicit Fixture (const TestCertificate *cert = nullptr)
      : thread ("test-player-page")
  {
    GCharPtr dir (g_dir_make_tmp ("p2p-web-XXXXXX", nullptr));
    fail_unless (dir != nullptr);
    web_root = dir.get ();
    write_file (web_root, "player/index.html", kIndex);
    write_file (web_root, "player/player.js", kPlayerJs);
    write_file (web_root, "node_modules/hls.js/dist/hls.mjs", kHlsJs);
    write_file (web_root, "node_modules/hls.js/package.json", "{}");
    write_file (web_root,
                "node_modules/p2p-media-loader-core/dist/"
                "p2p-media-loader-core.es.js",
                "export class Core {}");
    write_file (web_root,
                "node_modules/p2p-media-loader-hlsjs/dist/"
                "p2p-media-loader-hlsjs.es.js",
                "export class HlsJsP2PEngine {}");
    write_file (web_root, "node_modules/other/dist/other.js", "secret");
    write_file (web_root, "secret.txt", "secret");

    thread.invoke_sync ([this, cert] {
      origin = new HttpOrigin ();
      GError *error = nullptr;
      if (cert)
        fail_unless (origin->use_tls (cert->certificate_file (),
                                      cert->key_file (), &error),
                     "use_tls: %s", error ? error->message : "");
      fail_unless (origin->listen ("127.0.0.1", 0, &error), "listen: %s",
                   error ? error->message : "");
    });
    session.reset (soup_session_new ());
    soup_session_set_proxy_resolver (session.get (), nullptr);
    if (cert) {
      GObjectPtr<GTlsDatabase> trusted (g_tls_file_database_new (
          cert->certificate_file ().c_str (), nullptr));
      soup_session_set_tls_database (session.get (), trusted.get ());
    }
  }

  ~Fixture ()
  {
    session.reset ();
    thread.invoke_sync ([this] { delete origin; });
    thread.stop ();
    remove_tree (web_root);
  }

  bool
  serve (const PlayerPageConfig &config, GError **error)
  {
    bool served = false;
    thread.invoke_sync ([&] {
      served = p2p::net::serve_player_page (*origin, web_root, config, error);
    });
    return served;
  }

  Response
  request (const char *method, const std::string &path)
  {
    GObjectPtr<SoupMessage> msg (
        soup_message_new (method, (origin->base_url () + path).c_str ()));
    fail_unless (msg != nullptr, "bad path %s", path.c_str ());
    GError *error = nullptr;
    GBytesPtr body (soup_session_send_and_read (session.get (), msg.get (),
                                                nullptr, &error));
    fail_unless (body != nullptr, "%s %s: %s", method, path.c_str (),
                 error ? error->message : "");
    Response response;
    response.status = soup_message_get_status (msg.get ());
    gsize size;
    auto data
        = static_cast<const char *> (g_bytes_get_data (body.get (), &size));
    response.body.assign (data ? data : "", size);
    const char *type = soup_message_headers_get_content_type (
        soup_message_get_response_headers (msg.get ()), nullptr);
    response.content_type = type ? type : "";
    return response;
  }

  Response
  get (const std::string &path)
  {
    return request (SOUP_METHOD_GET, path);
  }

  p2p::EngineThread thread;
  std::string web_root;
  HttpOrigin *origin = nullptr;
  GObjectPtr<SoupSession> session;
};
Fixture *fixture = nullptr;
TestCertificate *certificate = nullptr;

void
setup ()
{
  fixture = new Fixture ();
}

void
setup_https ()
{
  certificate = new TestCertificate ();
  fixture = new Fixture (certificate);
}

void
teardown ()
{
  delete fixture;
  fixture = nullptr;
  delete certificate;
  certificate = nullptr;
}

/* Parses @json and returns its root object (owned by @parser). */
JsonObject *
parse_object (JsonParser *parser, const std::string &json)
{
  GError *error = nullptr;
  fail_unless (json_parser_load_from_data (parser, json.c_str (), -1, &error),
               "%s: %s", json.c_str (), error ? error->message : "");
  JsonNode *root = json_parser_get_root (parser);
  fail_unless (JSON_NODE_HOLDS_OBJECT (root));
  return json_node_get_object (root);
}

} // namespace

GST_START_TEST (test_page_and_modules)
{
  fail_unless (fixture->serve (PlayerPageConfig{}, nullptr));

  for (const char *path : { "/", "/index.html" }) {
    Response page = fixture->get (path);
    fail_unless_equals_int (page.status, 200);
    assert_equals_std_string (page.content_type, "text/html");
    assert_equals_std_string (page.body, kIndex.c_str ());
  }
  Response script = fixture->get ("/player/player.js");
  fail_unless_equals_int (script.status, 200);
  assert_equals_std_string (script.content_type, "text/javascript");
  assert_equals_std_string (script.body, kPlayerJs.c_str ());

  /* .mjs too: module scripts are refused without a JavaScript type. */
  Response library = fixture->get ("/lib/hls.js/hls.mjs");
  fail_unless_equals_int (library.status, 200);
  assert_equals_std_string (library.content_type, "text/javascript");
  assert_equals_std_string (library.body, kHlsJs.c_str ());
  Response core
      = fixture->get ("/lib/p2p-media-loader-core/p2p-media-loader-core.es.js");
  fail_unless_equals_int (core.status, 200);
  assert_equals_std_string (core.body, "export class Core {}");

  fail_unless_equals_int (fixture->get ("/player/missing.js").status, 404);
  fail_unless_equals_int (fixture->get ("/lib/hls.js/missing.js").status, 404);
  fail_unless_equals_int (fixture->get ("/lib/hls.js").status, 404);
}

GST_END_TEST;

GST_START_TEST (test_nothing_outside_the_served_folders)
{
  fail_unless (fixture->serve (PlayerPageConfig{}, nullptr));

  /* Only the three packages, only their dist/ files. Encoded dots and
   * slashes are refused by libsoup (400) or by the page (404). */
  for (const char *path :
       { "/lib/other/other.js", "/lib/hls.js/%2e%2e%2fpackage.json",
         "/lib/hls.js/..%2fpackage.json", "/player/..%2fsecret.txt",
         "/player/%2e%2e%2f%2e%2e%2fsecret.txt", "/player/.hidden",
         "/secret.txt" }) {
    guint status = fixture->get (path).status;
    fail_unless (status == 400 || status == 404, "%s: %u", path, status);
  }

  Response post = fixture->request (SOUP_METHOD_POST, "/player/player.js");
  fail_unless_equals_int (post.status, 405);
}

GST_END_TEST;

GST_START_TEST (test_config)
{
  PlayerPageConfig config;
  config.playlist = "live/playlist.m3u8";
  config.trackers = { "ws://{host}:8000", "wss://tracker.example/" };
  config.swarm_id = "show-42";
  config.playlist_length = 6;
  config.target_duration = 2;
  fail_unless (fixture->serve (config, nullptr));

  Response response = fixture->get ("/p2p-config.json");
  fail_unless_equals_int (response.status, 200);
  assert_equals_std_string (response.content_type, "application/json");
  GObjectPtr<JsonParser> parser (json_parser_new ());
  JsonObject *root = parse_object (parser.get (), response.body);
  fail_unless_equals_string (json_object_get_string_member (root, "playlist"),
                             "live/playlist.m3u8");
  JsonArray *trackers = json_object_get_array_member (root, "trackers");
  fail_unless_equals_int (json_array_get_length (trackers), 2);
  fail_unless_equals_string (json_array_get_string_element (trackers, 0),
                             "ws://{host}:8000");
  fail_unless_equals_string (json_object_get_string_member (root, "swarmId"),
                             "show-42");
  /* Start one segment after the oldest listed; HTTP for two segments. */
  JsonObject *hls = json_object_get_object_member (root, "hls");
  fail_unless_equals_int (
      json_object_get_int_member (hls, "liveSyncDurationCount"), 5);
  JsonObject *p2p = json_object_get_object_member (root, "p2p");
  fail_unless_equals_float (
      json_object_get_double_member (p2p, "highDemandTimeWindow"), 4.0);
}

GST_END_TEST;

GST_START_TEST (test_config_defaults)
{
  PlayerPageConfig config;
  config.playlist = "playlist.m3u8";
  GObjectPtr<JsonParser> parser (json_parser_new ());
  JsonObject *root = parse_object (parser.get (),
                                   p2p::net::player_page_config_json (config));
  fail_unless_equals_int (
      json_array_get_length (json_object_get_array_member (root, "trackers")),
      0);
  /* No swarm id: the page derives it from the playlist URL. */
  fail_if (json_object_has_member (root, "swarmId"));
  fail_unless_equals_int (
      json_object_get_size (json_object_get_object_member (root, "hls")), 0);
  fail_unless_equals_int (
      json_object_get_size (json_object_get_object_member (root, "p2p")), 0);
}

GST_END_TEST;

GST_START_TEST (test_page_host_tracker_url)
{
  assert_equals_std_string (p2p::net::page_host_tracker_url (8000, false),
                            "ws://{host}:8000");
  assert_equals_std_string (p2p::net::page_host_tracker_url (8443, true),
                            "wss://{host}:8443");
}

GST_END_TEST;

/* issue #15: the page on an https origin, naming its embedded tracker as
 * wss:// (the only kind a page on https may use) */
GST_START_TEST (test_page_over_https)
{
  PlayerPageConfig config;
  config.playlist = "playlist.m3u8";
  config.trackers = { p2p::net::page_host_tracker_url (8443, true) };
  GError *error = nullptr;
  fail_unless (fixture->serve (config, &error), "%s",
               error ? error->message : "");
  fail_unless (
      g_str_has_prefix (fixture->origin->base_url ().c_str (), "https://"));
  Response page = fixture->get ("/");
  fail_unless_equals_int (page.status, 200);
  fail_unless (page.body == kIndex);
  Response module = fixture->get ("/lib/hls.js/hls.mjs");
  fail_unless_equals_int (module.status, 200);
  fail_unless (module.body == kHlsJs);

  Response settings = fixture->get ("/p2p-config.json");
  fail_unless_equals_int (settings.status, 200);
  GObjectPtr<JsonParser> parser (json_parser_new ());
  JsonObject *root = parse_object (parser.get (), settings.body);
  JsonArray *trackers = json_object_get_array_member (root, "trackers");
  fail_unless_equals_int (json_array_get_length (trackers), 1);
  fail_unless_equals_string (json_array_get_string_element (trackers, 0),
                             "wss://{host}:8443");
}

GST_END_TEST;

GST_START_TEST (test_missing_files)
{
  std::string web_root = fixture->web_root;
  GError *error = nullptr;
  std::string hlsjs = join (web_root, "node_modules/p2p-media-loader-hlsjs");
  remove_tree (hlsjs);
  fail_if (fixture->serve (PlayerPageConfig{}, &error));
  fail_unless (g_error_matches (error, GST_P2P_ERROR, GST_P2P_ERROR_IO));
  fail_unless (strstr (error->message, "p2p-media-loader-hlsjs") != nullptr,
               "%s", error->message);
  fail_unless (strstr (error->message, "npm") != nullptr, "%s", error->message);
  g_clear_error (&error);

  remove_tree (join (web_root, "player"));
  fail_if (fixture->serve (PlayerPageConfig{}, &error));
  fail_unless (g_error_matches (error, GST_P2P_ERROR, GST_P2P_ERROR_IO));
  g_clear_error (&error);
  /* Nothing was registered. */
  fail_unless_equals_int (fixture->get ("/").status, 404);
  fail_unless_equals_int (fixture->get ("/p2p-config.json").status, 404);
}

GST_END_TEST;

GST_START_TEST (test_find_web_root)
{
  /* Run from a build: the source tree's web/, which holds the page. */
  std::string root = p2p::net::find_web_root ();
  fail_unless (g_str_has_suffix (root.c_str (), "/web"), "%s", root.c_str ());
  fail_unless (g_file_test (join (root, "player/index.html").c_str (),
                            G_FILE_TEST_IS_REGULAR));
}

GST_END_TEST;

static Suite *
player_page_suite (void)
{
  Suite *s = suite_create ("player-page");
  TCase *tc = tcase_create ("general");
  tcase_add_checked_fixture (tc, setup, teardown);
  tcase_add_test (tc, test_page_and_modules);
  tcase_add_test (tc, test_nothing_outside_the_served_folders);
  tcase_add_test (tc, test_config);
  tcase_add_test (tc, test_config_defaults);
  tcase_add_test (tc, test_missing_files);
  tcase_add_test (tc, test_find_web_root);
  tcase_add_test (tc, test_page_host_tracker_url);
  TCase *https = tcase_create ("https");
  tcase_add_checked_fixture (https, setup_https, teardown);
  tcase_add_test (https, test_page_over_https);
  suite_add_tcase (s, https);
  suite_add_tcase (s, tc);
  return s;
}

GST_CHECK_MAIN (player_page);
