/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Embedding the engine without GStreamer elements: a viewer that follows a
 * live HLS stream over HTTP and peers and writes the segments, in order, to
 * standard output (pipe it into a player or a file). Statistics go to
 * standard error every second.
 *
 *   embed-viewer http://127.0.0.1:8080/playlist.m3u8 ws://127.0.0.1:8000 >
 * out.ts
 */
#include <cstdio>

#include <gst/gst.h>

#include "gst/p2p/viewer/viewer.h"

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  if (argc < 2) {
    g_printerr ("usage: %s PLAYLIST_URL [TRACKER_URL]\n", argv[0]);
    return 2;
  }
  p2p::viewer::ViewerConfig config;
  config.url = argv[1];
  if (argc > 2) {
    config.trackers.push_back (argv[2]);
    /* Peers on this machine only; leave empty to use every interface. */
    config.webrtc.local_addresses.push_back ("127.0.0.1");
  }
  p2p::viewer::Viewer viewer (
      config,
      [] (const std::string &warning) {
        g_printerr ("warning: %s\n", warning.c_str ());
      },
      [] (const p2p::viewer::ViewerStats &s) {
        g_printerr ("http %" G_GUINT64_FORMAT " B, peers %" G_GUINT64_FORMAT
                    " B from %u peers, uploaded %" G_GUINT64_FORMAT
                    " B, stalls %" G_GUINT64_FORMAT "\n",
                    s.http_bytes, s.peer_bytes, s.peers, s.uploaded_bytes,
                    s.stalls);
      });
  viewer.start ();

  p2p::viewer::ViewerItem item;
  while (viewer.pop (&item)) {
    if (item.kind == p2p::viewer::ViewerItem::Kind::END)
      return 0;
    if (item.kind == p2p::viewer::ViewerItem::Kind::ERROR) {
      g_printerr ("error: %s\n", item.error->message);
      return 1;
    }
    /* The bytes as they arrived, in one or more chunks. */
    for (const p2p::BytesRef &chunk : item.data.chunks ())
      if (fwrite (chunk.data (), 1, chunk.size (), stdout) != chunk.size ())
        return 1;
    fflush (stdout);
  }
  return 0;
}
