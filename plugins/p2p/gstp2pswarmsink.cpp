/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-p2pswarmsink
 * @title: p2pswarmsink
 *
 * A live HLS broadcaster. It takes a muxed MPEG-TS stream (for example from
 * `mpegtsmux`), cuts it into segments on key frames once `target-duration`
 * is reached, writes the segments and a sliding-window media playlist to
 * files, and serves both from a built-in HTTP origin. Each segment's SHA-256
 * goes into the playlist (`#EXT-X-P2P-SHA256`) so that viewers can verify
 * segments they get from peers.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency
 * key-int-max=30 ! \
 *     mpegtsmux ! p2pswarmsink http-port=8080 location=/tmp/live/segment%05d.ts
 * \ playlist-location=/tmp/live/playlist.m3u8
 * ]| Broadcasts a test pattern, writing segments and playlist to /tmp/live and
 * serving them at http://127.0.0.1:8080/playlist.m3u8.
 * |[
 * gst-play-1.0 p2phls+http://127.0.0.1:8080/playlist.m3u8
 * ]| Plays that broadcast (any HLS player can, too).
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency
 * key-int-max=30 ! \
 *     mpegtsmux ! p2pswarmsink http-address=0.0.0.0 http-port=8443 \
 *     tracker-port=8000 tls-certificate-file=cert.pem tls-key-file=key.pem
 * ]| The same on https: the origin serves https://HOST:8443/ (the player
 * page, playlist and segments) and the embedded tracker wss://HOST:8000,
 * which the player page names.
 *
 * Since: 0.1
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2pswarmsink.h"

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "gstp2pelements.h"
#include "gstp2ppeersettings.h"
#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/net/http-origin.h"
#include "gst/p2p/net/player-page.h"
#include "gst/p2p/swarm/live-publisher.h"
#include "gst/p2p/swarm/segment-store.h"
#include "gst/p2p/swarm/segmenter.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/p2p/swarm/swarm.h"
#include "gst/p2p/common/string-list.h"
#include "gst/tracker/server.h"

GST_DEBUG_CATEGORY_STATIC (gst_p2p_swarm_sink_debug);
#define GST_CAT_DEFAULT gst_p2p_swarm_sink_debug

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/mpegts, systemstream = (boolean) true"));

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_PLAYLIST_LOCATION,
  PROP_PLAYLIST_LENGTH,
  PROP_MAX_FILES,
  PROP_TARGET_DURATION,
  PROP_HTTP_ADDRESS,
  PROP_HTTP_PORT,
  PROP_STATS_INTERVAL,
  PROP_STATS,
  PROP_TRACKER_PORT,
  PROP_MAX_UPLOAD_PEERS,
  PROP_WEB_ROOT,
  PROP_TLS_CERTIFICATE_FILE,
  PROP_TLS_KEY_FILE,
  /* The shared peer properties (gstp2ppeersettings.h) follow. */
  PROP_PEER_SETTINGS,
};

#define DEFAULT_LOCATION "segment%05d.ts"
#define DEFAULT_PLAYLIST_LOCATION "playlist.m3u8"
#define DEFAULT_PLAYLIST_LENGTH 6
#define DEFAULT_MAX_FILES 10
#define DEFAULT_TARGET_DURATION 2
#define DEFAULT_HTTP_ADDRESS "127.0.0.1"
#define DEFAULT_HTTP_PORT 8080
#define DEFAULT_STATS_INTERVAL 1000
#define DEFAULT_TRACKER_PORT -1
#define DEFAULT_MAX_UPLOAD_PEERS 4

/* Segments the seeder keeps behind the playlist window for late peers. */
#define SEED_TAIL_SEGMENTS 3

struct GstP2PSwarmSinkPrivate
{
  /* Settings, under GST_OBJECT_LOCK. */
  std::string location = DEFAULT_LOCATION;
  std::string playlist_location = DEFAULT_PLAYLIST_LOCATION;
  guint playlist_length = DEFAULT_PLAYLIST_LENGTH;
  guint max_files = DEFAULT_MAX_FILES;
  guint target_duration = DEFAULT_TARGET_DURATION;
  std::string http_address = DEFAULT_HTTP_ADDRESS;
  gint http_port = DEFAULT_HTTP_PORT;
  guint stats_interval = DEFAULT_STATS_INTERVAL;
  gint tracker_port = DEFAULT_TRACKER_PORT;
  guint max_upload_peers = DEFAULT_MAX_UPLOAD_PEERS;
  std::string web_root;
  std::string tls_certificate_file;
  std::string tls_key_file;

  GstP2PPeerSettings peer;

  /* Running state, created in start() and dropped in stop(). The origin
   * lives on the engine thread; segmenter and publisher on the streaming
   * thread. */
  std::unique_ptr<p2p::EngineThread> engine;
  std::unique_ptr<p2p::net::HttpOrigin> origin;
  std::unique_ptr<p2p::tracker::Server> tracker;
  /* Engine thread: the seeder and the segments it serves. */
  std::unique_ptr<p2p::swarm::SegmentStore> seed_store;
  std::unique_ptr<p2p::swarm::Swarm> seeder;
  std::unique_ptr<p2p::swarm::Segmenter> segmenter;
  std::unique_ptr<p2p::swarm::LivePublisher> publisher;
  GSource *stats_source = nullptr;

  std::atomic<guint64> segments_published{ 0 };
  std::atomic<guint64> bytes_published{ 0 };
};

struct _GstP2PSwarmSink
{
  GstBaseSink parent;
  GstP2PSwarmSinkPrivate *priv;
};

#define gst_p2p_swarm_sink_parent_class parent_class
G_DEFINE_TYPE (GstP2PSwarmSink, gst_p2p_swarm_sink, GST_TYPE_BASE_SINK);

static gboolean
p2pswarmsink_element_init (GstPlugin *plugin)
{
  GST_DEBUG_CATEGORY_INIT (gst_p2p_swarm_sink_debug, "p2pswarmsink", 0,
                           "P2P swarm broadcaster sink");
  p2p_element_init (plugin);
  return gst_element_register (plugin, "p2pswarmsink", GST_RANK_NONE,
                               GST_TYPE_P2P_SWARM_SINK);
}

GST_ELEMENT_REGISTER_DEFINE_CUSTOM (p2pswarmsink, p2pswarmsink_element_init);

static void gst_p2p_swarm_sink_finalize (GObject *object);
static void gst_p2p_swarm_sink_set_property (GObject *object, guint prop_id,
                                             const GValue *value,
                                             GParamSpec *pspec);
static void gst_p2p_swarm_sink_get_property (GObject *object, guint prop_id,
                                             GValue *value, GParamSpec *pspec);
static gboolean gst_p2p_swarm_sink_start (GstBaseSink *sink);
static gboolean gst_p2p_swarm_sink_stop (GstBaseSink *sink);
static GstFlowReturn gst_p2p_swarm_sink_render (GstBaseSink *sink,
                                                GstBuffer *buffer);
static gboolean gst_p2p_swarm_sink_event (GstBaseSink *sink, GstEvent *event);
static GstStructure *gst_p2p_swarm_sink_create_stats (GstP2PSwarmSink *self);

static void
gst_p2p_swarm_sink_class_init (GstP2PSwarmSinkClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *basesink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->finalize = gst_p2p_swarm_sink_finalize;
  gobject_class->set_property = gst_p2p_swarm_sink_set_property;
  gobject_class->get_property = gst_p2p_swarm_sink_get_property;

  /**
   * GstP2PSwarmSink:location:
   *
   * Segment file pattern with one integer conversion for the media sequence
   * number. Empty keeps segments in memory only (served by the origin).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_LOCATION,
      g_param_spec_string (
          "location", "Segment Location",
          "Segment file pattern, e.g. /tmp/live/segment%05d.ts "
          "(empty: in memory only)",
          DEFAULT_LOCATION,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:playlist-location:
   *
   * Media playlist file. Empty writes no playlist file; the origin still
   * serves it as /playlist.m3u8.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_PLAYLIST_LOCATION,
      g_param_spec_string (
          "playlist-location", "Playlist Location",
          "Media playlist file (empty: none; the HTTP origin serves "
          "/playlist.m3u8 either way)",
          DEFAULT_PLAYLIST_LOCATION,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:playlist-length:
   *
   * Number of segments listed in the live playlist window (0 = all).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_PLAYLIST_LENGTH,
      g_param_spec_uint ("playlist-length", "Playlist Length",
                         "Segments in the live playlist window (0 = all)", 0,
                         G_MAXUINT, DEFAULT_PLAYLIST_LENGTH,
                         (GParamFlags)(G_PARAM_READWRITE
                                       | GST_PARAM_MUTABLE_READY
                                       | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:max-files:
   *
   * Segment files kept on disk; older ones are deleted (0 = keep all).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_MAX_FILES,
      g_param_spec_uint (
          "max-files", "Max Files",
          "Segment files kept on disk, older ones are deleted (0 = all)", 0,
          G_MAXUINT, DEFAULT_MAX_FILES,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:target-duration:
   *
   * A new segment starts on the first key frame after this many seconds.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_TARGET_DURATION,
      g_param_spec_uint (
          "target-duration", "Target Duration",
          "Start a new segment on the first key frame after this many "
          "seconds",
          1, 3600, DEFAULT_TARGET_DURATION,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:http-address:
   *
   * Address the built-in HTTP origin binds to. Use 0.0.0.0 or :: to serve
   * other hosts.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_HTTP_ADDRESS,
      g_param_spec_string (
          "http-address", "HTTP Address",
          "Address the built-in HTTP origin binds to", DEFAULT_HTTP_ADDRESS,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:http-port:
   *
   * Port of the built-in HTTP origin: -1 = no origin, 0 = any free port.
   * Once the sink has started, reading it gives the bound port.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_HTTP_PORT,
      g_param_spec_int (
          "http-port", "HTTP Port",
          "Port of the built-in HTTP origin (-1 = off, 0 = any free port; "
          "reads back the bound port once started)",
          -1, 65535, DEFAULT_HTTP_PORT,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:stats-interval:
   *
   * Milliseconds between "p2p-statistics" element messages (0 = none).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_STATS_INTERVAL,
      g_param_spec_uint (
          "stats-interval", "Statistics Interval",
          "Milliseconds between p2p-statistics element messages (0 = none)", 0,
          G_MAXUINT, DEFAULT_STATS_INTERVAL,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:web-root:
   *
   * Directory holding the player page (player/) and its npm packages
   * (node_modules/), served by the HTTP origin at "/". Unset: the installed
   * one, or the source tree's web/ when running from a build.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_WEB_ROOT,
      g_param_spec_string (
          "web-root", "Web Root",
          "Directory with the player page served at / (unset: found "
          "automatically)",
          nullptr,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:stats:
   *
   * What the broadcaster published and served so far, as a
   * "application/x-p2p-swarm-sink-stats" structure.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_STATS,
      g_param_spec_boxed (
          "stats", "Statistics", "Segments and bytes published and served",
          GST_TYPE_STRUCTURE,
          (GParamFlags)(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:tracker-port:
   *
   * Port of an embedded WebTorrent tracker on http-address: -1 = none, 0 =
   * any free port (reads back the bound port once started). Viewers then
   * use ws://HTTP-ADDRESS:PORT, or wss:// with
   * #GstP2PSwarmSink:tls-certificate-file.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_TRACKER_PORT,
      g_param_spec_int (
          "tracker-port", "Tracker Port",
          "Port of the embedded tracker (-1 = none, 0 = any free port; reads "
          "back the bound port once started)",
          -1, 65535, DEFAULT_TRACKER_PORT,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:max-upload-peers:
   *
   * Peers the seeder serves at most; they pass segments on to the rest.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_MAX_UPLOAD_PEERS,
      g_param_spec_uint (
          "max-upload-peers", "Max Upload Peers",
          "Peers the seeder serves at most", 0, 1000, DEFAULT_MAX_UPLOAD_PEERS,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:tls-certificate-file:
   *
   * PEM file with the certificate chain for TLS, with
   * #GstP2PSwarmSink:tls-key-file. Set, the HTTP origin serves https (player
   * page, playlist, segments), the embedded tracker serves wss://, and the
   * player page names that tracker as wss://, as browsers require on an
   * https page. The seeder accepts this certificate from its own tracker
   * whatever names it holds. Unset: http and ws://.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_TLS_CERTIFICATE_FILE,
      g_param_spec_string (
          "tls-certificate-file", "TLS Certificate File",
          "PEM certificate chain: the origin serves https and the embedded "
          "tracker wss:// (with tls-key-file; unset: http, ws://)",
          nullptr,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:tls-key-file:
   *
   * PEM file with the private key of #GstP2PSwarmSink:tls-certificate-file.
   * Both are set, or neither.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_TLS_KEY_FILE,
      g_param_spec_string ("tls-key-file", "TLS Key File",
                           "PEM private key of tls-certificate-file", nullptr,
                           (GParamFlags)(G_PARAM_READWRITE
                                         | GST_PARAM_MUTABLE_READY
                                         | G_PARAM_STATIC_STRINGS)));

  gst_p2p_peer_settings_install_properties (gobject_class, PROP_PEER_SETTINGS);

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (
      element_class, "P2P swarm HLS broadcaster", "Sink/Network",
      "Cuts a live MPEG-TS stream into HLS segments, publishes them from a "
      "built-in HTTP origin and seeds them into a peer-to-peer swarm",
      "gst-p2p developers");

  basesink_class->start = GST_DEBUG_FUNCPTR (gst_p2p_swarm_sink_start);
  basesink_class->stop = GST_DEBUG_FUNCPTR (gst_p2p_swarm_sink_stop);
  basesink_class->render = GST_DEBUG_FUNCPTR (gst_p2p_swarm_sink_render);
  basesink_class->event = GST_DEBUG_FUNCPTR (gst_p2p_swarm_sink_event);
}

static void
gst_p2p_swarm_sink_init (GstP2PSwarmSink *self)
{
  self->priv = new GstP2PSwarmSinkPrivate ();
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}

static void
gst_p2p_swarm_sink_finalize (GObject *object)
{
  auto self = GST_P2P_SWARM_SINK (object);
  delete self->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

static void
set_string (GstP2PSwarmSink *self, std::string *field, const GValue *value)
{
  const gchar *s = g_value_get_string (value);
  GST_OBJECT_LOCK (self);
  *field = s ? s : "";
  GST_OBJECT_UNLOCK (self);
}

static void
gst_p2p_swarm_sink_set_property (GObject *object, guint prop_id,
                                 const GValue *value, GParamSpec *pspec)
{
  auto self = GST_P2P_SWARM_SINK (object);
  auto priv = self->priv;

  switch (prop_id) {
  case PROP_LOCATION:
    set_string (self, &priv->location, value);
    break;
  case PROP_PLAYLIST_LOCATION:
    set_string (self, &priv->playlist_location, value);
    break;
  case PROP_HTTP_ADDRESS:
    set_string (self, &priv->http_address, value);
    break;
  case PROP_WEB_ROOT:
    set_string (self, &priv->web_root, value);
    break;
  case PROP_TLS_CERTIFICATE_FILE:
    set_string (self, &priv->tls_certificate_file, value);
    break;
  case PROP_TLS_KEY_FILE:
    set_string (self, &priv->tls_key_file, value);
    break;
  case PROP_TRACKER_PORT:
    GST_OBJECT_LOCK (self);
    priv->tracker_port = g_value_get_int (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_MAX_UPLOAD_PEERS:
    GST_OBJECT_LOCK (self);
    priv->max_upload_peers = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_PLAYLIST_LENGTH:
    GST_OBJECT_LOCK (self);
    priv->playlist_length = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_MAX_FILES:
    GST_OBJECT_LOCK (self);
    priv->max_files = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_TARGET_DURATION:
    GST_OBJECT_LOCK (self);
    priv->target_duration = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_HTTP_PORT:
    GST_OBJECT_LOCK (self);
    priv->http_port = g_value_get_int (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_STATS_INTERVAL:
    GST_OBJECT_LOCK (self);
    priv->stats_interval = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  default:
    if (!gst_p2p_peer_settings_set_property (&priv->peer, object, prop_id,
                                             PROP_PEER_SETTINGS, value))
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
gst_p2p_swarm_sink_get_property (GObject *object, guint prop_id, GValue *value,
                                 GParamSpec *pspec)
{
  auto self = GST_P2P_SWARM_SINK (object);
  auto priv = self->priv;

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_p2p_swarm_sink_create_stats (self));
    return;
  }

  if (gst_p2p_peer_settings_get_property (&priv->peer, object, prop_id,
                                          PROP_PEER_SETTINGS, value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_value_set_string (value, priv->location.c_str ());
    break;
  case PROP_PLAYLIST_LOCATION:
    g_value_set_string (value, priv->playlist_location.c_str ());
    break;
  case PROP_HTTP_ADDRESS:
    g_value_set_string (value, priv->http_address.c_str ());
    break;
  case PROP_WEB_ROOT:
    g_value_set_string (
        value, priv->web_root.empty () ? nullptr : priv->web_root.c_str ());
    break;
  case PROP_TLS_CERTIFICATE_FILE:
    g_value_set_string (value, priv->tls_certificate_file.empty ()
                                   ? nullptr
                                   : priv->tls_certificate_file.c_str ());
    break;
  case PROP_TLS_KEY_FILE:
    g_value_set_string (value, priv->tls_key_file.empty ()
                                   ? nullptr
                                   : priv->tls_key_file.c_str ());
    break;
  case PROP_TRACKER_PORT:
    g_value_set_int (value, priv->tracker_port);
    break;
  case PROP_MAX_UPLOAD_PEERS:
    g_value_set_uint (value, priv->max_upload_peers);
    break;
  case PROP_PLAYLIST_LENGTH:
    g_value_set_uint (value, priv->playlist_length);
    break;
  case PROP_MAX_FILES:
    g_value_set_uint (value, priv->max_files);
    break;
  case PROP_TARGET_DURATION:
    g_value_set_uint (value, priv->target_duration);
    break;
  case PROP_HTTP_PORT:
    g_value_set_int (value, priv->http_port);
    break;
  case PROP_STATS_INTERVAL:
    g_value_set_uint (value, priv->stats_interval);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStructure *
gst_p2p_swarm_sink_create_stats (GstP2PSwarmSink *self)
{
  auto priv = self->priv;
  p2p::net::HttpOriginStats origin_stats;
  p2p::swarm::SwarmStats seed_stats;
  using Kind = p2p::net::OriginResourceKind;
  GST_OBJECT_LOCK (self);
  bool running = priv->engine != nullptr;
  GST_OBJECT_UNLOCK (self);
  if (running) {
    priv->engine->invoke_sync ([&] {
      if (priv->origin)
        origin_stats = priv->origin->stats ();
      if (priv->seeder)
        seed_stats = priv->seeder->stats ();
    });
  }
  return gst_structure_new (
      "application/x-p2p-swarm-sink-stats", "segments-published", G_TYPE_UINT64,
      priv->segments_published.load (), "bytes-published", G_TYPE_UINT64,
      priv->bytes_published.load (), "http-playlist-requests", G_TYPE_UINT64,
      origin_stats.of (Kind::PLAYLIST).requests, "http-playlist-bytes",
      G_TYPE_UINT64, origin_stats.of (Kind::PLAYLIST).bytes,
      "http-segment-requests", G_TYPE_UINT64,
      origin_stats.of (Kind::SEGMENT).requests, "http-segment-bytes",
      G_TYPE_UINT64, origin_stats.of (Kind::SEGMENT).bytes, "peers",
      G_TYPE_UINT, seed_stats.peers, "uploaded-bytes", G_TYPE_UINT64,
      seed_stats.uploaded_bytes, nullptr);
}

static gboolean
post_statistics (gpointer data) noexcept
{
  auto self = GST_P2P_SWARM_SINK (data);
  GstStructure *stats = gst_p2p_swarm_sink_create_stats (self);
  gst_structure_set_name (stats, GST_P2P_STATISTICS_MESSAGE);
  gst_element_post_message (GST_ELEMENT (self),
                            gst_message_new_element (GST_OBJECT (self), stats));
  return G_SOURCE_CONTINUE;
}

/* Engine thread. @page holds the trackers and swarm id; the playlist and
 * its timing come from @config. A missing page is no reason to stop
 * broadcasting: the stream is served all the same. */
static void
gst_p2p_swarm_sink_serve_player_page (GstP2PSwarmSink *self,
                                      p2p::net::HttpOrigin &origin,
                                      const p2p::swarm::PublisherConfig &config,
                                      p2p::net::PlayerPageConfig page,
                                      const std::string &web_root_setting)
{
  std::string web_root = web_root_setting.empty () ? p2p::net::find_web_root ()
                                                   : web_root_setting;
  if (web_root.empty ()) {
    GST_INFO_OBJECT (self, "no player page found, none served");
    return;
  }
  page.playlist = config.playlist_name;
  page.playlist_length = config.playlist_length;
  page.target_duration = (double)config.target_duration / GST_SECOND;
  p2p::GErrorOut error;
  if (!p2p::net::serve_player_page (origin, web_root, page, error.out ()))
    GST_ELEMENT_WARNING (self, RESOURCE, NOT_FOUND,
                         ("No player page: %s", error.get ()->message),
                         (nullptr));
}

static gboolean
gst_p2p_swarm_sink_start (GstBaseSink *sink)
{
  auto self = GST_P2P_SWARM_SINK (sink);
  auto priv = self->priv;

  GST_OBJECT_LOCK (self);
  p2p::swarm::PublisherConfig config;
  config.location = priv->location;
  config.playlist_location = priv->playlist_location;
  config.playlist_length = priv->playlist_length;
  config.max_files = priv->max_files;
  config.target_duration = priv->target_duration * GST_SECOND;
  std::string http_address = priv->http_address;
  gint http_port = priv->http_port;
  guint stats_interval = priv->stats_interval;
  gint tracker_port = priv->tracker_port;
  std::vector<std::string> trackers = p2p::split_list (priv->peer.trackers);
  p2p::swarm::SwarmConfig seed_config;
  seed_config.webrtc = priv->peer.webrtc_config ();
  seed_config.max_peers = priv->max_upload_peers;
  seed_config.max_upload_rate = priv->peer.max_upload_rate;
  /* max-upload-peers already bounds the seeder's uploads. */
  seed_config.max_concurrent_uploads = 0;
  std::string swarm_id = priv->peer.swarm_id;
  std::string web_root = priv->web_root;
  std::string tls_certificate_file = priv->tls_certificate_file;
  std::string tls_key_file = priv->tls_key_file;
  /* Without a swarm id set, browsers derive it from the playlist URL they
   * load, as p2phlssrc does. */
  p2p::net::PlayerPageConfig page;
  page.trackers = trackers;
  page.swarm_id = swarm_id;
  GST_OBJECT_UNLOCK (self);

  p2p::GErrorOut error;
  if (!p2p::swarm::LivePublisher::validate_location (config.location,
                                                     error.out ())) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error.get ()->message),
                       (nullptr));
    return FALSE;
  }
  if (tls_certificate_file.empty () != tls_key_file.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
                       ("tls-certificate-file and tls-key-file go together: "
                        "set both or neither"),
                       (nullptr));
    return FALSE;
  }
  bool tls = !tls_certificate_file.empty ();
  if (!config.playlist_location.empty ()) {
    p2p::GCharPtr name (
        g_path_get_basename (config.playlist_location.c_str ()));
    config.playlist_name = name.get ();
  }

  auto engine = std::make_unique<p2p::EngineThread> ("p2pswarmsink");
  std::unique_ptr<p2p::net::HttpOrigin> origin;
  if (http_port >= 0) {
    bool listening = false;
    guint bound_port = 0;
    engine->invoke_sync ([&] {
      origin = std::make_unique<p2p::net::HttpOrigin> ();
      listening
          = (!tls
             || origin->use_tls (tls_certificate_file, tls_key_file,
                                 error.out ()))
            && origin->listen (http_address, static_cast<guint16> (http_port),
                               error.out ());
      bound_port = origin->port ();
      if (!listening)
        origin.reset ();
    });
    if (!listening) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
                         ("Could not start the HTTP origin on %s:%d",
                          http_address.c_str (), http_port),
                         ("%s", error.get ()->message));
      return FALSE;
    }
    GST_INFO_OBJECT (self, "HTTP origin on %s://%s:%u/%s",
                     tls ? "https" : "http", http_address.c_str (), bound_port,
                     config.playlist_name.c_str ());
    GST_OBJECT_LOCK (self);
    priv->http_port = static_cast<gint> (bound_port);
    GST_OBJECT_UNLOCK (self);
    g_object_notify (G_OBJECT (self), "http-port");
  }

  /* Peers and browsers reach this host under the address it binds, or the
   * loopback when it binds every address. */
  std::string public_host = http_address == "0.0.0.0" ? "127.0.0.1"
                            : http_address == "::"    ? "::1"
                                                      : http_address;
  if (public_host.find (':') != std::string::npos)
    public_host = "[" + public_host + "]";

  std::unique_ptr<p2p::tracker::Server> tracker;
  if (tracker_port >= 0) {
    p2p::tracker::ServerConfig tracker_config;
    /* A broadcaster's own tracker: one worker is plenty and leaves the
     * cores to the encoder. */
    tracker_config.workers = 1;
    tracker_config.announce_interval_s = 20;
    tracker_config.tls_certificate_file = tls_certificate_file;
    tracker_config.tls_key_file = tls_key_file;
    tracker = std::make_unique<p2p::tracker::Server> (tracker_config);
    if (!tracker->start (http_address, static_cast<guint16> (tracker_port),
                         error.out ())) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
                         ("Could not start the tracker on %s:%d",
                          http_address.c_str (), tracker_port),
                         ("%s", error.get ()->message));
      engine.reset ();
      return FALSE;
    }
    GST_OBJECT_LOCK (self);
    priv->tracker_port = tracker->port ();
    GST_OBJECT_UNLOCK (self);
    g_object_notify (G_OBJECT (self), "tracker-port");
    trackers.push_back ((tls ? "wss://" : "ws://") + public_host + ":"
                        + std::to_string (tracker->port ()));
    /* The seeder reaches its tracker at an address the certificate need
     * not name: it takes that certificate as it is. */
    if (tls)
      seed_config.tls_accept_certificate_file = tls_certificate_file;
    /* The page's host is this one, under whatever name the browser used;
     * a page loaded over https may only use wss:// trackers. */
    page.trackers.push_back (
        p2p::net::page_host_tracker_url (tracker->port (), tls));
  }

  std::unique_ptr<p2p::swarm::SegmentStore> seed_store;
  std::unique_ptr<p2p::swarm::Swarm> seeder;
  if (!trackers.empty ()) {
    gint port = 0;
    GST_OBJECT_LOCK (self);
    port = priv->http_port;
    GST_OBJECT_UNLOCK (self);
    if (swarm_id.empty ()) {
      swarm_id = p2p::swarm::swarm_id_from_manifest_url (
          (tls ? "https://" : "http://") + public_host + ":"
          + std::to_string (port) + "/" + config.playlist_name);
    }
    std::string stream_id = p2p::swarm::stream_swarm_id (
        swarm_id, p2p::swarm::StreamType::MAIN,
        p2p::swarm::stream_short_id (
            p2p::swarm::stream_attributes_for_media_playlist ()));
    GST_INFO_OBJECT (self, "seeding swarm %s", stream_id.c_str ());
    seed_config.trackers = trackers;
    seed_config.info_hash = p2p::swarm::swarm_info_hash (stream_id);
    GRand *rng = g_rand_new ();
    seed_config.peer_id
        = p2p::swarm::generate_peer_id (rng, p2p::swarm::kSeederPeerIdPrefix);
    g_rand_free (rng);
    seed_config.seeder = true;
    seed_store = std::make_unique<p2p::swarm::SegmentStore> (
        G_MAXSIZE, SEED_TAIL_SEGMENTS);
    p2p::swarm::SegmentStore *store_ptr = seed_store.get ();
    p2p::swarm::SwarmCallbacks callbacks;
    callbacks.lookup = [store_ptr] (int64_t sequence) -> GBytes * {
      return store_ptr->get (sequence).release ();
    };
    callbacks.warning = [self] (const std::string &message) {
      GST_DEBUG_OBJECT (self, "seeder: %s", message.c_str ());
    };
    engine->invoke_sync ([&] {
      seeder = std::make_unique<p2p::swarm::Swarm> (*engine, seed_config,
                                                    callbacks);
      seeder->start ();
    });
  }

  if (origin)
    engine->invoke_sync ([&] {
      gst_p2p_swarm_sink_serve_player_page (self, *origin, config, page,
                                            web_root);
    });

  p2p::net::HttpOrigin *origin_ptr = origin.get ();
  p2p::EngineThread *engine_ptr = engine.get ();
  auto origin_update
      = [engine_ptr, origin_ptr] (const std::string &name, GBytes *bytes) {
          if (!origin_ptr)
            return;
          GBytes *ref = bytes ? g_bytes_ref (bytes) : nullptr;
          std::string path = "/" + name;
          bool posted = engine_ptr->post ([origin_ptr, path, ref] {
            p2p::GBytesPtr owned (ref);
            if (owned)
              origin_ptr->publish (path, owned.get ());
            else
              origin_ptr->remove (path);
          });
          if (!posted && ref)
            g_bytes_unref (ref);
        };

  GST_OBJECT_LOCK (self);
  priv->engine = std::move (engine);
  priv->origin = std::move (origin);
  priv->tracker = std::move (tracker);
  priv->seed_store = std::move (seed_store);
  priv->seeder = std::move (seeder);
  priv->segmenter
      = std::make_unique<p2p::swarm::Segmenter> (config.target_duration);
  priv->publisher
      = std::make_unique<p2p::swarm::LivePublisher> (config, origin_update);
  priv->segments_published = 0;
  priv->bytes_published = 0;
  GST_OBJECT_UNLOCK (self);

  if (stats_interval > 0) {
    priv->stats_source = g_timeout_source_new (stats_interval);
    g_source_set_callback (priv->stats_source, post_statistics, self, nullptr);
    g_source_attach (priv->stats_source, priv->engine->context ());
  }
  return TRUE;
}

static gboolean
gst_p2p_swarm_sink_stop (GstBaseSink *sink)
{
  auto self = GST_P2P_SWARM_SINK (sink);
  auto priv = self->priv;

  if (priv->stats_source) {
    g_source_destroy (priv->stats_source);
    g_source_unref (priv->stats_source);
    priv->stats_source = nullptr;
  }
  GST_OBJECT_LOCK (self);
  auto engine = std::move (priv->engine);
  auto origin = std::move (priv->origin);
  auto tracker = std::move (priv->tracker);
  auto seeder = std::move (priv->seeder);
  auto seed_store = std::move (priv->seed_store);
  priv->publisher.reset ();
  priv->segmenter.reset ();
  GST_OBJECT_UNLOCK (self);

  if (engine) {
    /* The origin's server is attached to the engine context: drop it there. */
    engine->invoke_sync ([&] {
      seeder.reset ();
      seed_store.reset ();
      origin.reset ();
    });
    engine->stop ();
  }
  if (tracker)
    tracker->stop ();
  return TRUE;
}

/* Hands a published segment to the seeder, on the engine thread. */
static void
seed_segment (GstP2PSwarmSink *self,
              const p2p::swarm::PublishedSegment &published)
{
  auto priv = self->priv;
  if (!priv->seeder || !published.data)
    return;
  int64_t sequence = published.sequence;
  int64_t window_start = priv->publisher->playlist ().media_sequence;
  GBytes *data = g_bytes_ref (published.data.get ());
  bool posted = priv->engine->post ([priv, sequence, window_start, data] {
    p2p::GBytesPtr owned (data);
    if (!priv->seeder)
      return;
    priv->seed_store->put (sequence, owned.get (),
                           p2p::swarm::SegmentSource::LOCAL);
    priv->seed_store->set_window_start (window_start);
    std::set<int64_t> loaded;
    for (gint64 seq : priv->seed_store->sequences ())
      loaded.insert (seq);
    priv->seeder->set_holdings (loaded, {});
  });
  if (!posted)
    g_bytes_unref (data);
}

static void
publish_segment (GstP2PSwarmSink *self, p2p::swarm::CutSegment cut)
{
  auto priv = self->priv;
  p2p::swarm::PublishedSegment published;
  p2p::GErrorOut error;
  bool ok
      = priv->publisher->publish (std::move (cut), &published, error.out ());
  if (!ok) {
    GST_ELEMENT_WARNING (
        self, RESOURCE, WRITE,
        ("Could not write segment %" G_GINT64_FORMAT, published.sequence),
        ("%s", error.get ()->message));
  }
  priv->segments_published++;
  priv->bytes_published += published.size;
  seed_segment (self, published);

  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (published.start)) {
    running_time = gst_segment_to_running_time (
        &GST_BASE_SINK (self)->segment, GST_FORMAT_TIME, published.start);
  }
  GstStructure *s = gst_structure_new (
      GST_P2P_SEGMENT_ADDED_MESSAGE, "location", G_TYPE_STRING,
      published.file.c_str (), "uri", G_TYPE_STRING, published.uri.c_str (),
      "sequence", G_TYPE_INT64, published.sequence, "running-time",
      G_TYPE_UINT64, running_time, "duration", G_TYPE_UINT64,
      published.duration, "size", G_TYPE_UINT64,
      static_cast<guint64> (published.size), "sha256", G_TYPE_STRING,
      published.sha256.c_str (), nullptr);
  gst_element_post_message (GST_ELEMENT (self),
                            gst_message_new_element (GST_OBJECT (self), s));
}

static GstFlowReturn
gst_p2p_swarm_sink_render (GstBaseSink *sink, GstBuffer *buffer)
{
  auto self = GST_P2P_SWARM_SINK (sink);
  auto priv = self->priv;

  GstClockTime timestamp = GST_BUFFER_PTS (buffer);
  if (!GST_CLOCK_TIME_IS_VALID (timestamp))
    timestamp = GST_BUFFER_DTS (buffer);
  bool key_frame = !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);

  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ)) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, (nullptr),
                       ("Could not map the buffer"));
    return GST_FLOW_ERROR;
  }
  try {
    auto cut = priv->segmenter->push (map.data, map.size, timestamp, key_frame);
    gst_buffer_unmap (buffer, &map);
    if (cut)
      publish_segment (self, std::move (*cut));
  } catch (const std::exception &e) {
    gst_buffer_unmap (buffer, &map);
    GST_ELEMENT_ERROR (self, CORE, FAILED, (nullptr), ("%s", e.what ()));
    return GST_FLOW_ERROR;
  }
  return GST_FLOW_OK;
}

static gboolean
gst_p2p_swarm_sink_event (GstBaseSink *sink, GstEvent *event)
{
  auto self = GST_P2P_SWARM_SINK (sink);
  auto priv = self->priv;

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && priv->publisher) {
    try {
      if (auto last = priv->segmenter->finish ())
        publish_segment (self, std::move (*last));
      p2p::GErrorOut error;
      if (!priv->publisher->finish (error.out ())) {
        GST_ELEMENT_WARNING (self, RESOURCE, WRITE,
                             ("Could not write the final playlist"),
                             ("%s", error.get ()->message));
      }
    } catch (const std::exception &e) {
      GST_ELEMENT_ERROR (self, CORE, FAILED, (nullptr), ("%s", e.what ()));
    }
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}
