/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The viewer engine behind p2phlssrc: follows a live (or VOD) HLS playlist,
 * fetches segments and hands their bytes, in media-sequence order, to the
 * element's streaming thread. All network work runs on the viewer's engine
 * thread; the streaming thread only pops finished items (STYLE.md #11).
 */
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/net/http-fetcher.h"
#include "gst/p2p/peer/webrtc-peer.h"

namespace p2p::swarm {

struct ViewerConfig
{
  /* http:// or https:// URL of a master or media playlist. */
  std::string url;
  /* Live playback starts this many segments behind the live edge. */
  guint live_delay_segments = 5;
  /* Variant choice in a master playlist: the highest BANDWIDTH not above
   * the smaller non-zero limit (bits per second), else the lowest. */
  guint64 connection_speed = 0;
  guint64 max_bitrate = 0;
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
  /* A segment due within this time comes over HTTP; peers get the rest. */
  GstClockTime http_window = 3 * GST_SECOND;
  /* A peer transfer with no bytes for this long falls back. */
  GstClockTime p2p_timeout = 2 * GST_SECOND;
  /* Memory for segments kept for playback and for uploading. */
  gsize store_max_bytes = 64 * 1024 * 1024;
  /* Milliseconds between on_stats calls (0 = none). */
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
  GBytesPtr data;
  int64_t sequence = -1;
  GstClockTime duration = 0;
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
  guint64 uploaded_bytes = 0;
  guint peers = 0;
  guint64 stalls = 0;
  GstClockTime stall_time = 0;
  guint64 segments_skipped = 0;
  guint64 playlist_reloads = 0;
  guint64 bandwidth = 0; /* variant chosen, bits per second, 0 = media */
  guint64 peers_banned = 0;
  guint64 hash_mismatches = 0;
  std::string media_playlist_url;
  std::string peer_id;
  std::string swarm_id; /* the stream swarm id, once known */
};

class ViewerImpl;

class Viewer
{
public:
  using WarningCallback = std::function<void (const std::string &message)>;
  using StatsCallback = std::function<void (const ViewerStats &stats)>;

  /* Both callbacks run on the engine thread: @on_warning for problems that
   * do not stop playback (bad playlist details, a segment skipped),
   * @on_stats every stats_interval. */
  Viewer (ViewerConfig config, WarningCallback on_warning,
          StatsCallback on_stats);
  ~Viewer ();

  Viewer (const Viewer &) = delete;
  Viewer &operator= (const Viewer &) = delete;

  void start ();

  /* Blocks until the next item is ready. Returns false without an item
   * while unlocked (flushing). */
  bool pop (ViewerItem *item);
  void unlock ();
  void unlock_stop ();

  ViewerStats stats () const;

private:
  std::shared_ptr<ViewerImpl> impl_;
};

} // namespace p2p::swarm
