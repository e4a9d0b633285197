/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The broadcaster as p2pswarmsink (and any application) embeds it: cuts a
 * muxed MPEG-TS or fragmented MP4 stream into segments (Segmenter),
 * publishes them as files
 * and a sliding playlist (LivePublisher), serves them from a built-in HTTP
 * origin, seeds them into the swarm (BroadcasterCore) and can run an
 * embedded tracker, so that one object is a whole platform. Segments are
 * cut and written on the caller's (streaming) thread; origin and seeder
 * live on the broadcaster's engine thread, which each published segment
 * reaches in one posted call.
 */
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gst/p2p/broadcaster/broadcaster-core.h"
#include "gst/p2p/net/http-origin.h"
#include "gst/p2p/packaging/live-publisher.h"
#include "gst/p2p/peer/webrtc-peer.h"
#include "gst/p2p/swarm/swarm.h"

namespace p2p::broadcaster {

struct BroadcasterConfig
{
  packaging::PublisherConfig publisher;
  /* The built-in HTTP origin: an IPv4 or IPv6 literal, and a port (0 = any
   * free one, -1 = no origin). */
  std::string http_address = "127.0.0.1";
  gint http_port = 8080;
  /* An embedded tracker on http_address: -1 = none, 0 = any free port. */
  gint tracker_port = -1;
  /* More trackers to seed on (the embedded one is added). */
  std::vector<std::string> trackers;
  /* Empty: the origin's playlist URL, which is what viewers derive. */
  std::string swarm_id;
  peer::WebRtcPeerConfig webrtc;
  /* The seeder's: see SeederConfig. */
  guint max_upload_peers = SeederConfig ().max_upload_peers;
  guint viewers_per_copy = SeederConfig ().viewers_per_copy;
  guint64 max_upload_rate = 0;
  /* The player page's directory; empty: found at run time. */
  std::string web_root;
  /* PEM certificate chain and key: the origin serves https, the embedded
   * tracker wss://, and the player page names that tracker as wss://.
   * Empty: http and ws://. */
  std::string tls_certificate_file;
  std::string tls_key_file;
  /* Milliseconds between stats reports (0 = none). */
  guint stats_interval = 1000;
};

struct BroadcasterStats
{
  guint64 segments_published = 0;
  guint64 bytes_published = 0;
  net::HttpOriginStats origin;
  swarm::SwarmStats seeder;
};

class BroadcasterImpl;

class Broadcaster
{
public:
  struct Events
  {
    /* Problems that do not stop the broadcast (no player page). */
    std::function<void (const std::string &message)> warning;
    /* Every stats_interval, on the engine thread. */
    std::function<void (const BroadcasterStats &stats)> stats;
  };

  Broadcaster (BroadcasterConfig config, Events events);
  /* Stops, if started. */
  ~Broadcaster ();

  Broadcaster (const Broadcaster &) = delete;
  Broadcaster &operator= (const Broadcaster &) = delete;

  /* Binds the origin and the embedded tracker and starts seeding. False
   * with @error when a port cannot be bound. */
  bool start (GError **error);
  /* The bound ports, once started (0 when off). */
  guint16 http_port () const;
  guint16 tracker_port () const;

  /* What the stream is (streaming thread): MPEG-TS unless told otherwise
   * before the first push (). False with @error when data of another
   * container already came. */
  bool set_container (packaging::Container container, GError **error);

  /* One buffer of the muxed stream (streaming thread). When it closes a
   * segment, that segment is published and returned in @published. False
   * with @error when the stream cannot be segmented (GST_P2P_ERROR_BAD_CONTENT)
   * or a file could not be written (GST_P2P_ERROR_IO; the segment is served
   * by the origin all the same). */
  bool push (const guint8 *data, gsize size, GstClockTime timestamp,
             bool key_frame,
             std::optional<packaging::PublishedSegment> *published,
             GError **error);
  /* The end of the stream: the last segment is published and the playlist
   * ends (EXT-X-ENDLIST). */
  bool finish (std::optional<packaging::PublishedSegment> *published,
               GError **error);

  /* Any thread. */
  BroadcasterStats stats () const;

private:
  std::unique_ptr<BroadcasterImpl> impl_;
};

} // namespace p2p::broadcaster
