#!/usr/bin/env bash
# Watches the broadcast of examples/broadcast.sh as a peer: urgent segments
# over HTTP, the rest from other viewers, uploading what it has.
#
#   examples/watch.sh [HOST]
set -euo pipefail
host=${1:-127.0.0.1}
exec gst-launch-1.0 \
  p2phlssrc location="http://$host:8080/playlist.m3u8" trackers="ws://$host:8000" \
    ice-addresses="${ICE_ADDRESSES:-127.0.0.1}" ! \
  tsdemux ! h264parse ! avdec_h264 ! videoconvert ! autovideosink
