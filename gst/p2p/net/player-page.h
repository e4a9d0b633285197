/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The player page on the broadcaster's HTTP origin: hls.js with P2P Media
 * Loader 2.3 at "/", joining the sink's swarm (DESIGN.md §1). The page's own
 * files come from WEB_ROOT/player, the npm bundles it imports from
 * WEB_ROOT/node_modules (the README's set-up runs npm in web/); both are read
 * from disk per request, so nothing from npm is built in. Layout served:
 *   /  /index.html         WEB_ROOT/player/index.html
 *   /player/NAME           WEB_ROOT/player/NAME
 *   /lib/PACKAGE/NAME      WEB_ROOT/node_modules/PACKAGE/dist/NAME, for
 *                          hls.js, p2p-media-loader-core and -hlsjs only
 *   /p2p-config.json       PlayerPageConfig, as JSON
 */
#pragma once

#include <string>
#include <vector>

#include <glib.h>

#include "gst/p2p/net/http-origin.h"

namespace p2p::net {

/* What the page needs to play the stream and join the sink's swarm. */
struct PlayerPageConfig
{
  /* Playlist URL, relative to the page ("playlist.m3u8") or absolute. */
  std::string playlist;
  /* WebTorrent tracker URLs; "{host}" stands for the host the browser used
   * to reach the page. None: the page plays over HTTP only. */
  std::vector<std::string> trackers;
  /* Empty: derived from the playlist URL, as p2phlssrc does. */
  std::string swarm_id;
  /* The live playlist's shape, from which the page's timing is derived
   * (player_page_config_json()); 0 leaves the page's defaults. */
  guint playlist_length = 0;
  double target_duration = 0;
};

/* The page's URL for a tracker on the page's own host (an embedded
 * tracker) at @port: "ws://{host}:PORT", or "wss://{host}:PORT" when the
 * tracker serves TLS. A page served over https must name wss:// trackers:
 * browsers' WebTorrent client drops ws:// ones there (PROTOCOLS.md §1.1). */
std::string page_host_tracker_url (guint16 port, bool tls);

/* The first directory holding player/index.html among the installed web
 * root (DATADIR/gst-p2p/web) and the source tree's web/; empty if none. */
std::string find_web_root ();

/* The page's settings: playlist, trackers, swarmId, and the timing that
 * lets browsers share a short live playlist: hls.js starts as far behind
 * the live edge as the playlist allows (liveSyncDurationCount = length - 1)
 * and P2P Media Loader fetches over HTTP only the next two segments
 * (highDemandTimeWindow = 2 target durations), the rest from peers. */
std::string player_page_config_json (const PlayerPageConfig &config);

/* Registers the page on @origin (engine thread, like every HttpOrigin
 * call). GST_P2P_ERROR_IO if @web_root lacks the page or the npm bundles. */
bool serve_player_page (HttpOrigin &origin, const std::string &web_root,
                        const PlayerPageConfig &config, GError **error);

} // namespace p2p::net
