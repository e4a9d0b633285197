#!/bin/sh
# gst-p2p
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Lays out the player page (web/player, with its npm bundles from
# web/node_modules) in DEST for any static web server, playing STREAM (a
# playlist URL; its server must send CORS headers, as p2pswarmsink's origin
# does) and sharing it through the TRACKER URLs (ws:// or wss://; none:
# HTTP only). SWARM_ID in the environment sets the swarm id; unset, it is
# derived from STREAM as p2phlssrc derives it.
#
# Usage: host-player-page.sh DEST STREAM [TRACKER...]
# Example:
#   examples/player-page/host-player-page.sh /tmp/site \
#       http://127.0.0.1:8080/playlist.m3u8 ws://127.0.0.1:8000
#   python3 -m http.server -b 127.0.0.1 -d /tmp/site 9000
#   # open http://127.0.0.1:9000/
set -eu
[ $# -ge 2 ] || { sed -n '3,18p' "$0"; exit 2; }
dest=$1 stream=$2
shift 2
web=$(cd "$(dirname "$0")/../../web" && pwd)
[ -d "$web/node_modules/hls.js" ] \
  || { echo "run scripts/setup.sh (npm ci in web/) first" >&2; exit 1; }

mkdir -p "$dest/player"
cp "$web/player/index.html" "$dest/"
cp "$web/player/"*.js "$dest/player/"
for package in hls.js p2p-media-loader-core p2p-media-loader-hlsjs; do
  mkdir -p "$dest/lib/$package"
  cp "$web/node_modules/$package/dist/"* "$dest/lib/$package/"
done

# The same settings p2pswarmsink serves (gst/p2p/net/player-page.h), for
# its defaults: a 6-segment playlist of 2 s segments.
json_string () { printf '"%s"' "$(printf '%s' "$1" | sed 's/[\\"]/\\&/g')"; }
{
  printf '{"playlist":%s,"trackers":[' "$(json_string "$stream")"
  sep=""
  for tracker in "$@"; do
    printf '%s%s' "$sep" "$(json_string "$tracker")"
    sep=","
  done
  printf ']'
  [ -z "${SWARM_ID:-}" ] || printf ',"swarmId":%s' "$(json_string "$SWARM_ID")"
  printf ',"hls":{"liveSyncDurationCount":5},"p2p":{"highDemandTimeWindow":4}}\n'
} > "$dest/p2p-config.json"
echo "player page in $dest: serve it over http(s) and open /"
