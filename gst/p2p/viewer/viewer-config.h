/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What the viewer is told (ViewerConfig), what it hands out in order
 * (ViewerItem) and what it counts (ViewerStats): shared by the engine core
 * (viewer-core.h), the production front (viewer.h) and the simulator.
 */
#pragma once

#include <string>
#include <vector>

#include <gst/gst.h>

#include "gst/p2p/common/chunked-bytes.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/net/http-fetcher.h"
#include "gst/p2p/peer/webrtc-peer.h"

namespace p2p::viewer {

struct ViewerConfig
{
  /* http:// or https:// URL of a master or media playlist. */
  std::string url;
  /* Live playback starts this many segments behind the live edge. */
  guint live_delay_segments = 5;
  /* Playback starts no sooner than this after the playlist is loaded, so
   * that the first segments can come from peers rather than over HTTP (a
   * newcomer's peers connect after it has its playlist). Each segment
   * duration of wait with live_delay_segments one lower keeps the live
   * latency; start-up takes that much longer. 0: playback starts with the
   * first segment's first bytes. */
  GstClockTime startup_wait = 0;
  /* Variant choice in a master playlist: the highest BANDWIDTH not above
   * the smaller non-zero limit (bits per second), else the lowest. */
  guint64 connection_speed = 0;
  guint64 max_bitrate = 0;
  /* How long a playlist that cannot be loaded is retried before playback
   * fails: at start-up while the server answers (an early broadcaster), and
   * during live playback (a broadcaster restarting). */
  GstClockTime playlist_outage_limit = 20 * GST_SECOND;
  /* Segments downloaded over HTTP at the same time. */
  guint max_parallel_http = 2;
  net::HttpFetcherOptions http;

  /* Peer-to-peer: off without trackers (ws:// or wss:// URLs). */
  std::vector<std::string> trackers;
  /* Replaces the playlist URL in the swarm id (P2P Media Loader's
   * swarmId); empty = derived from the URL, as browsers do. */
  std::string swarm_id;
  peer::WebRtcPeerConfig webrtc;
  guint max_peers = 20;
  bool upload = true;
  guint64 max_upload_rate = 0; /* bytes/s, 0 = unlimited */
  /* A segment due within this time comes over HTTP; peers get the rest.
   * A stripe we relay comes relay_lead (relay-plan.h) earlier. */
  GstClockTime http_window = 2 * GST_SECOND;
  /* A peer transfer with no bytes for this long falls back. */
  GstClockTime p2p_timeout = 2 * GST_SECOND;
  /* Memory for segments kept for playback and for uploading. */
  gsize store_max_bytes = 64 * 1024 * 1024;
  /* Milliseconds between stats reports (0 = none). */
  guint stats_interval = 1000;
};

/* What the streaming thread receives, in order. */
struct ViewerItem
{
  enum class Kind {
    SEGMENT, /* media segment bytes */
    INIT,    /* initialisation section (EXT-X-MAP), before its segments */
    END,     /* the playlist ended (EXT-X-ENDLIST) and all was delivered */
    ERROR,   /* playback cannot go on */
  };
  Kind kind = Kind::SEGMENT;
  ChunkedBytes data;
  int64_t sequence = -1;
  GstClockTime duration = 0;
  /* Where the segment starts in a stream with an end (VOD): the durations
   * of the segments before it; GST_CLOCK_TIME_NONE when live, and on the
   * later parts of a segment handed out in several. */
  GstClockTime start = GST_CLOCK_TIME_NONE;
  /* Segments were skipped before this one, or a discontinuity tag. */
  bool discont = false;
  /* More bytes of this segment follow in the next item: playback waits
   * for a segment coming over HTTP, which is handed out as it arrives.
   * The last item of a segment carries its duration. */
  bool partial = false;
  GErrorPtr error;
};

struct ViewerStats
{
  guint64 http_bytes = 0;
  guint64 http_segments = 0;
  guint64 peer_bytes = 0;
  guint64 peer_segments = 0;
  /* Of peer_bytes: relayed by peers that were still receiving them. */
  guint64 relayed_bytes_arriving = 0;
  guint64 uploaded_bytes = 0;
  /* Bytes peers sent that were here already (a parent's stripe that HTTP
   * brought first): not in peer_bytes. */
  guint64 duplicate_bytes = 0;
  guint peers = 0;
  /* WebRTC sessions set up, and connected (SwarmStats). */
  guint64 peer_sessions = 0;
  guint64 peer_connections = 0;
  guint64 stalls = 0;
  GstClockTime stall_time = 0;
  guint64 segments_skipped = 0;
  guint64 playlist_reloads = 0;
  guint64 bandwidth = 0; /* variant chosen, bits per second, 0 = media */
  /* Bits per second segments arrive at (HTTP and peers), 0 without
   * adaptive bitrate; variants followed after the first. */
  guint64 bandwidth_estimate = 0;
  guint64 variant_switches = 0;
  guint64 peers_banned = 0;
  guint64 hash_mismatches = 0;
  /* Scheduling passes that planned (the simulator counts them). */
  guint64 passes = 0;
  std::string media_playlist_url;
  std::string peer_id;
  std::string swarm_id; /* the stream swarm id, once known */
};

} // namespace p2p::viewer
