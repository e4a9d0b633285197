#!/usr/bin/env bash
# A whole broadcasting platform in one gst-launch line: a live test pattern,
# cut into 2 s HLS segments, served by the built-in HTTP origin on port 8080,
# with an embedded WebTorrent tracker on port 8000 and the broadcaster seeding
# every segment into the swarm.
#
#   examples/broadcast.sh [OUTPUT_DIR]
#
# Then watch it with examples/watch.sh (any number of times, on this machine;
# set ADDRESS=0.0.0.0 to serve other hosts, and drop ICE pinning on viewers).
set -euo pipefail
out=${1:-/tmp/gst-p2p-live}
address=${ADDRESS:-127.0.0.1}
mkdir -p "$out"
exec gst-launch-1.0 -e \
  videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1 ! \
  x264enc tune=zerolatency speed-preset=ultrafast bitrate=2500 key-int-max=60 ! mpegtsmux ! \
  p2pswarmsink http-address="$address" http-port=8080 tracker-port=8000 \
    ice-addresses="${ICE_ADDRESSES:-127.0.0.1}" \
    location="$out/segment%05d.ts" playlist-location="$out/playlist.m3u8" target-duration=2
