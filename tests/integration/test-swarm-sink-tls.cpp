/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2pswarmsink on TLS (issue #15): with tls-certificate-file and
 * tls-key-file (a self-signed certificate made at run time) a live
 * broadcast serves its player page, playlist and segments over https, its
 * embedded tracker over wss://, the page names that tracker wss://, and the
 * seeder joins its own tracker there, in the swarm a browser derives from
 * the https playlist URL. Clients trust only that certificate.
 */
#include <gst/check/gstcheck.h>

#include <string>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "../common/test-certificate.h"
#include "../common/test-utils.h"
#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/packaging/live-publisher.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/webtorrent/protocol.h"
#include "swarm-test-harness.h"
#include "tracker-test-client.h"

using namespace p2p::webtorrent;
using p2p::test::Broadcast;
using p2p::test::HttpAnswer;
using p2p::test::TempDir;
using p2p::test::TestCertificate;
using p2p::tracker::test::id_from;
using p2p::tracker::test::TestClient;

namespace {

/* The player page's files, enough for serve_player_page (). */
void
write_web_root (const TempDir &dir)
{
  const char *files[][2] = {
    { "player/index.html", "<!doctype html><title>player</title>" },
    { "node_modules/hls.js/dist/hls.mjs", "export default class Hls {}" },
    { "node_modules/p2p-media-loader-core/dist/p2p-media-loader-core.es.js",
      "export class Core {}" },
    { "node_modules/p2p-media-loader-hlsjs/dist/"
      "p2p-media-loader-hlsjs.es.js",
      "export class HlsJsP2PEngine {}" },
  };
  for (const auto &f : files) {
    std::string path = dir.file (f[0]);
    p2p::GCharPtr parent (g_path_get_dirname (path.c_str ()));
    fail_unless (g_mkdir_with_parents (parent.get (), 0755) == 0);
    fail_unless (g_file_set_contents (path.c_str (), f[1], -1, nullptr));
  }
}

/* The info_hash a browser (and p2phlssrc) joins for the media playlist at
 * @playlist_url. */
Id20
info_hash_for (const std::string &playlist_url)
{
  namespace swarm = p2p::swarm;
  std::string stream_id = swarm::stream_swarm_id (
      swarm::swarm_id_from_manifest_url (playlist_url), swarm::StreamType::MAIN,
      swarm::stream_short_id (swarm::stream_attributes_for_media_playlist ()));
  return id_from (swarm::swarm_info_hash (stream_id));
}

} // namespace

GST_START_TEST (test_https_origin_and_wss_tracker)
{
  TestCertificate cert;
  TempDir web ("p2p-tls-web-XXXXXX");
  write_web_root (web);
  Broadcast broadcast ("tracker-port=0 web-root=" + web.path ()
                       + " tls-certificate-file=" + cert.certificate_file ()
                       + " tls-key-file=" + cert.key_file ());
  fail_unless (broadcast.start (), "%s", broadcast.error ().c_str ());
  fail_unless (broadcast.wait_published (2, 30000), "no segments: %s",
               broadcast.error ().c_str ());
  gint http_port = 0, tracker_port = 0;
  g_object_get (broadcast.sink (), "http-port", &http_port, "tracker-port",
                &tracker_port, nullptr);
  gchar *certificate_file = nullptr;
  g_object_get (broadcast.sink (), "tls-certificate-file", &certificate_file,
                nullptr);
  fail_unless_equals_string (certificate_file,
                             cert.certificate_file ().c_str ());
  g_free (certificate_file);
  std::string base = "https://127.0.0.1:" + std::to_string (http_port);
  const std::string &ca = cert.certificate_file ();

  /* The playlist and a segment over https, the bytes the sink published. */
  HttpAnswer playlist_answer
      = p2p::test::http_get (base + "/playlist.m3u8", ca);
  fail_unless_equals_int (playlist_answer.status, 200);
  p2p::GErrorOut error;
  auto playlist = p2p::hls::parse_media_playlist (playlist_answer.body, nullptr,
                                                  error.out ());
  fail_unless (playlist.has_value () && !playlist->segments.empty (), "%s",
               playlist_answer.body.c_str ());
  const auto &oldest = playlist->segments.front ();
  HttpAnswer segment = p2p::test::http_get (base + "/" + oldest.uri, ca);
  fail_unless_equals_int (segment.status, 200);
  auto published = broadcast.published ();
  fail_unless (published.count (oldest.sequence) == 1);
  p2p::GBytesPtr segment_bytes (
      g_bytes_new (segment.body.data (), segment.body.size ()));
  std::string sha256 = p2p::packaging::sha256_hex (segment_bytes.get ());
  assert_strings_equal (sha256, published[oldest.sequence].sha256);
  assert_strings_equal (sha256, oldest.sha256);
  /* Nothing over plain http, nothing for a client that trusts another
   * certificate. */
  fail_unless_equals_int (
      p2p::test::http_get ("http://127.0.0.1:" + std::to_string (http_port)
                           + "/playlist.m3u8")
          .status,
      SOUP_STATUS_NONE);
  TestCertificate other;
  fail_unless_equals_int (
      p2p::test::http_get (base + "/playlist.m3u8", other.certificate_file ())
          .status,
      SOUP_STATUS_NONE);

  /* The player page over https names the embedded tracker wss://. */
  HttpAnswer page = p2p::test::http_get (base + "/", ca);
  fail_unless_equals_int (page.status, 200);
  fail_unless (page.body.find ("<title>player</title>") != std::string::npos);
  HttpAnswer config = p2p::test::http_get (base + "/p2p-config.json", ca);
  fail_unless_equals_int (config.status, 200);
  std::string wss = "\"wss://{host}:" + std::to_string (tracker_port) + "\"";
  fail_unless (config.body.find (wss) != std::string::npos, "no %s in %s",
               wss.c_str (), config.body.c_str ());
  fail_unless (config.body.find ("\"ws://") == std::string::npos, "%s",
               config.body.c_str ());

  /* A peer on the tracker over wss://, trusting the certificate (for
   * 127.0.0.1), in the swarm of the https playlist URL: the seeder is
   * there, the one complete peer. */
  TestClient peer;
  fail_unless (peer.connect (static_cast<guint16> (tracker_port), "/", ca),
               "no wss:// connection to the embedded tracker");
  AnnounceRequest request;
  request.info_hash = info_hash_for (base + "/playlist.m3u8");
  request.peer_id = id_from ("-PM0203-tlspeer00001");
  gint64 complete = -1;
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (complete < 1 && g_get_monotonic_time () < deadline) {
    peer.send_text (build_announce (request));
    request.event = AnnounceEvent::NONE;
    /* The seeder's offers may come first. */
    for (int i = 0; i < 10; i++) {
      auto text = peer.receive_text (2000);
      fail_unless (text.has_value (), "the tracker did not answer");
      TrackerMessage m;
      fail_unless (parse_tracker_message (*text, m), "%s", text->c_str ());
      if (m.kind == TrackerMessage::Kind::ANNOUNCE_RESPONSE) {
        complete = m.complete.value_or (-1);
        break;
      }
    }
    if (complete < 1)
      g_usleep (200 * 1000);
  }
  fail_unless_equals_int64 (complete, 1);
  /* A copy: the macro keeps the pointer past the temporary's end. */
  const std::string broadcast_error = broadcast.error ();
  fail_unless_equals_string (broadcast_error.c_str (), "");
  broadcast.stop ();
}
GST_END_TEST;

static Suite *
swarm_sink_tls_suite (void)
{
  Suite *s = suite_create ("swarm-sink-tls");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_https_origin_and_wss_tracker);
  return s;
}

GST_CHECK_MAIN (swarm_sink_tls);
