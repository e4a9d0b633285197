/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-p2pswarmsink
 * @title: p2pswarmsink
 *
 * A live HLS broadcaster. It takes a muxed MPEG-TS stream (from
 * `mpegtsmux`) or fragmented MP4 (from `mp4mux fragment-duration=...`),
 * cuts it into segments on key frames once `target-duration` is reached
 * (a stream without video on any audio frame, as hlssink2 does), writes the
 * segments and a sliding-window media playlist to files, and serves both
 * from a built-in HTTP origin under the playlist file's name. Fragmented MP4
 * segments are `.m4s` files after an initialisation section, `init.mp4`,
 * named by `#EXT-X-MAP`. Each segment's SHA-256 goes into the playlist
 * (`#EXT-X-P2P-SHA256`) so that viewers can verify segments they get from
 * peers.
 *
 * At the end of the stream the playlist gets `#EXT-X-ENDLIST` and the origin
 * keeps serving until viewers stopped asking for two target durations, at
 * most `linger` seconds: the sink posts EOS after that, so that a pipeline
 * (and gst-launch-1.0) ending at EOS leaves viewers time to get the end.
 * Going to READY meanwhile stops serving at once.
 *
 * Input it cannot cut is an element error: no caps (CORE/NEGOTIATION), an
 * MP4 that is not fragmented (STREAM/FORMAT); so is a segment or playlist
 * location where files cannot be created (RESOURCE/OPEN_WRITE, when the
 * sink starts) or written (RESOURCE/WRITE).
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
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency
 * key-int-max=30 ! \
 *     mp4mux fragment-duration=1000 ! p2pswarmsink http-port=8080 location=""
 * ]| The same as fragmented MP4, in memory only.
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

#include <memory>
#include <string>

#include "gstp2pelements.h"
#include "gstp2ppeersettings.h"
#include "gst/p2p/broadcaster/broadcaster.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/common/string-list.h"

GST_DEBUG_CATEGORY_STATIC (gst_p2p_swarm_sink_debug);
#define GST_CAT_DEFAULT gst_p2p_swarm_sink_debug

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/mpegts, systemstream = (boolean) true; "
                     "video/quicktime"));

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_PLAYLIST_LOCATION,
  PROP_PLAYLIST_LENGTH,
  PROP_MAX_FILES,
  PROP_STRIPES,
  PROP_TARGET_DURATION,
  PROP_HTTP_ADDRESS,
  PROP_HTTP_PORT,
  PROP_STATS_INTERVAL,
  PROP_STATS,
  PROP_TRACKER_PORT,
  PROP_MAX_UPLOAD_PEERS,
  PROP_VIEWERS_PER_COPY,
  PROP_WEB_ROOT,
  PROP_LINGER,
  PROP_TLS_CERTIFICATE_FILE,
  PROP_TLS_KEY_FILE,
  /* The shared peer properties (gstp2ppeersettings.h) follow. */
  PROP_PEER_SETTINGS,
};

#define DEFAULT_LOCATION "segment%05d.ts"
#define DEFAULT_PLAYLIST_LOCATION "playlist.m3u8"
#define DEFAULT_PLAYLIST_LENGTH 6
#define DEFAULT_MAX_FILES 10
#define DEFAULT_STRIPES 4
#define DEFAULT_TARGET_DURATION 2
#define DEFAULT_HTTP_ADDRESS "127.0.0.1"
#define DEFAULT_HTTP_PORT 8080
#define DEFAULT_STATS_INTERVAL 1000
#define DEFAULT_TRACKER_PORT -1
#define DEFAULT_MAX_UPLOAD_PEERS                                               \
  (p2p::broadcaster::SeederConfig ().max_upload_peers)
#define DEFAULT_VIEWERS_PER_COPY                                               \
  (p2p::broadcaster::SeederConfig ().viewers_per_copy)
#define DEFAULT_LINGER 30

struct GstP2PSwarmSinkPrivate
{
  /* Settings, under GST_OBJECT_LOCK. */
  std::string location = DEFAULT_LOCATION;
  std::string playlist_location = DEFAULT_PLAYLIST_LOCATION;
  guint playlist_length = DEFAULT_PLAYLIST_LENGTH;
  guint max_files = DEFAULT_MAX_FILES;
  guint stripes = DEFAULT_STRIPES;
  guint target_duration = DEFAULT_TARGET_DURATION;
  std::string http_address = DEFAULT_HTTP_ADDRESS;
  gint http_port = DEFAULT_HTTP_PORT;
  guint stats_interval = DEFAULT_STATS_INTERVAL;
  gint tracker_port = DEFAULT_TRACKER_PORT;
  guint max_upload_peers = DEFAULT_MAX_UPLOAD_PEERS;
  guint viewers_per_copy = DEFAULT_VIEWERS_PER_COPY;
  std::string web_root;
  guint linger = DEFAULT_LINGER;
  std::string tls_certificate_file;
  std::string tls_key_file;

  GstP2PPeerSettings peer;

  /* From start() to stop(); used by the streaming thread in between.
   * Shared with a stats reader, which asks the engine thread without
   * GST_OBJECT_LOCK held: that thread takes the lock to post messages. */
  std::shared_ptr<p2p::broadcaster::Broadcaster> broadcaster;
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
static GstStateChangeReturn
gst_p2p_swarm_sink_change_state (GstElement *element,
                                 GstStateChange transition);
static gboolean gst_p2p_swarm_sink_start (GstBaseSink *sink);
static gboolean gst_p2p_swarm_sink_set_caps (GstBaseSink *sink, GstCaps *caps);
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
   * Media playlist file. The HTTP origin serves the playlist under this
   * file's name (/playlist.m3u8 by default, and when empty: no file is
   * written then).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_PLAYLIST_LOCATION,
      g_param_spec_string (
          "playlist-location", "Playlist Location",
          "Media playlist file; the HTTP origin serves it under the file's "
          "name (empty: no file, served as /playlist.m3u8)",
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
   * GstP2PSwarmSink:stripes:
   *
   * Stripes each segment is cut into for gst-p2p viewers, which relay them
   * chunk by chunk as they arrive; the playlist's #EXT-X-P2P-CHUNKS tag
   * carries their hashes. 0: no tag, segments are shared whole only, as
   * P2P Media Loader peers share them (browsers do so in any case).
   *
   * Since: 0.2
   */
  g_object_class_install_property (
      gobject_class, PROP_STRIPES,
      g_param_spec_uint (
          "stripes", "Stripes",
          "Stripes per segment relayed chunk by chunk between gst-p2p "
          "viewers (0 = whole segments only)",
          0, 16, DEFAULT_STRIPES,
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
   * Peers the seeder serves at most for each copy of the stream it hands
   * out (see #GstP2PSwarmSink:viewers-per-copy); they pass segments on to
   * the rest.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_MAX_UPLOAD_PEERS,
      g_param_spec_uint (
          "max-upload-peers", "Max Upload Peers",
          "Peers the seeder serves at most, per copy of the stream", 0, 1000,
          DEFAULT_MAX_UPLOAD_PEERS,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:viewers-per-copy:
   *
   * The seeder hands out one copy of the stream (and serves
   * #GstP2PSwarmSink:max-upload-peers peers) for each whole this many
   * viewers the tracker counts, at least one and up to 8 copies: each copy
   * starts one more tree of relays, so a large audience gets segments
   * through fewer hops, while a small one, for which a copy costs more,
   * keeps one. 0: always one copy.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_VIEWERS_PER_COPY,
      g_param_spec_uint ("viewers-per-copy", "Viewers Per Copy",
                         "One copy of the stream from the seeder per this "
                         "many viewers, 1 to 8 (0 = one copy)",
                         0, G_MAXUINT, DEFAULT_VIEWERS_PER_COPY,
                         (GParamFlags)(G_PARAM_READWRITE
                                       | GST_PARAM_MUTABLE_READY
                                       | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PSwarmSink:linger:
   *
   * After the end of the stream, the HTTP origin serves the ended playlist
   * until no request came for two target durations, at most this many
   * seconds, before the sink posts EOS (0 = posts EOS at once).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_LINGER,
      g_param_spec_uint (
          "linger", "Linger",
          "Seconds the origin serves at most after the end of the stream, "
          "before EOS, while viewers fetch the end (0 = none)",
          0, 3600, DEFAULT_LINGER,
          (GParamFlags)(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));

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
   * Since: 0.2
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
   * Since: 0.2
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

  element_class->change_state
      = GST_DEBUG_FUNCPTR (gst_p2p_swarm_sink_change_state);
  basesink_class->start = GST_DEBUG_FUNCPTR (gst_p2p_swarm_sink_start);
  basesink_class->set_caps = GST_DEBUG_FUNCPTR (gst_p2p_swarm_sink_set_caps);
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
  case PROP_VIEWERS_PER_COPY:
    GST_OBJECT_LOCK (self);
    priv->viewers_per_copy = g_value_get_uint (value);
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
  case PROP_STRIPES:
    GST_OBJECT_LOCK (self);
    priv->stripes = g_value_get_uint (value);
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
  case PROP_LINGER:
    GST_OBJECT_LOCK (self);
    priv->linger = g_value_get_uint (value);
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
  case PROP_VIEWERS_PER_COPY:
    g_value_set_uint (value, priv->viewers_per_copy);
    break;
  case PROP_PLAYLIST_LENGTH:
    g_value_set_uint (value, priv->playlist_length);
    break;
  case PROP_MAX_FILES:
    g_value_set_uint (value, priv->max_files);
    break;
  case PROP_STRIPES:
    g_value_set_uint (value, priv->stripes);
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
  case PROP_LINGER:
    g_value_set_uint (value, priv->linger);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStructure *
stats_to_structure (const p2p::broadcaster::BroadcasterStats &stats,
                    const gchar *name)
{
  using Kind = p2p::net::OriginResourceKind;
  return gst_structure_new (
      name, "segments-published", G_TYPE_UINT64, stats.segments_published,
      "bytes-published", G_TYPE_UINT64, stats.bytes_published,
      "http-playlist-requests", G_TYPE_UINT64,
      stats.origin.of (Kind::PLAYLIST).requests, "http-playlist-bytes",
      G_TYPE_UINT64, stats.origin.of (Kind::PLAYLIST).bytes,
      "http-segment-requests", G_TYPE_UINT64,
      stats.origin.of (Kind::SEGMENT).requests, "http-segment-bytes",
      G_TYPE_UINT64, stats.origin.of (Kind::SEGMENT).bytes, "peers",
      G_TYPE_UINT, stats.seeder.peers, "peer-sessions", G_TYPE_UINT64,
      stats.seeder.peer_sessions, "peer-connections", G_TYPE_UINT64,
      stats.seeder.peer_connections, "uploaded-bytes", G_TYPE_UINT64,
      stats.seeder.uploaded_bytes, nullptr);
}

static GstStructure *
gst_p2p_swarm_sink_create_stats (GstP2PSwarmSink *self)
{
  p2p::broadcaster::BroadcasterStats stats;
  auto broadcaster
      = gst_p2p_share_engine (GST_OBJECT (self), self->priv->broadcaster);
  if (broadcaster)
    stats = broadcaster->stats ();
  return stats_to_structure (stats, "application/x-p2p-swarm-sink-stats");
}

/* What to publish where, from the properties. */
static p2p::packaging::PublisherConfig
publisher_config (GstP2PSwarmSink *self)
{
  auto priv = self->priv;
  p2p::packaging::PublisherConfig config;
  GST_OBJECT_LOCK (self);
  config.location = priv->location;
  config.playlist_location = priv->playlist_location;
  config.playlist_length = priv->playlist_length;
  config.max_files = priv->max_files;
  config.stripes = priv->stripes;
  config.target_duration = priv->target_duration * GST_SECOND;
  GST_OBJECT_UNLOCK (self);
  if (!config.playlist_location.empty ()) {
    p2p::GCharPtr name (
        g_path_get_basename (config.playlist_location.c_str ()));
    config.playlist_name = name.get ();
  }
  return config;
}

/* What can be known wrong before starting, as one element error each
 * instead of a warning per segment later. */
static gboolean
gst_p2p_swarm_sink_check_settings (GstP2PSwarmSink *self)
{
  p2p::packaging::PublisherConfig config = publisher_config (self);
  p2p::GErrorOut error;
  if (!p2p::packaging::LivePublisher::validate_location (config.location,
                                                         error.out ())) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", error.get ()->message),
                       (nullptr));
    return FALSE;
  }
  if (!p2p::packaging::LivePublisher (config).check_writable (error.out ())) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
                       ("%s", error.get ()->message), (nullptr));
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  const bool tls_halfway = self->priv->tls_certificate_file.empty ()
                           != self->priv->tls_key_file.empty ();
  GST_OBJECT_UNLOCK (self);
  if (tls_halfway) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
                       ("tls-certificate-file and tls-key-file go together: "
                        "set both or neither"),
                       (nullptr));
    return FALSE;
  }
  return gst_p2p_peer_settings_check (&self->priv->peer, GST_ELEMENT (self));
}

static GstStateChangeReturn
gst_p2p_swarm_sink_change_state (GstElement *element, GstStateChange transition)
{
  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && !gst_p2p_swarm_sink_check_settings (GST_P2P_SWARM_SINK (element)))
    return GST_STATE_CHANGE_FAILURE;
  return GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
}

static gboolean
gst_p2p_swarm_sink_start (GstBaseSink *sink)
{
  auto self = GST_P2P_SWARM_SINK (sink);
  auto priv = self->priv;

  p2p::broadcaster::BroadcasterConfig config;
  config.publisher = publisher_config (self);
  GST_OBJECT_LOCK (self);
  config.http_address = priv->http_address;
  config.http_port = priv->http_port;
  config.tracker_port = priv->tracker_port;
  config.trackers = p2p::split_list (priv->peer.trackers);
  config.swarm_id = priv->peer.swarm_id;
  config.webrtc = priv->peer.webrtc_config ();
  config.max_upload_peers = priv->max_upload_peers;
  config.viewers_per_copy = priv->viewers_per_copy;
  config.max_upload_rate = priv->peer.max_upload_rate;
  config.web_root = priv->web_root;
  config.stats_interval = priv->stats_interval;
  config.tls_certificate_file = priv->tls_certificate_file;
  config.tls_key_file = priv->tls_key_file;
  GST_OBJECT_UNLOCK (self);

  GstElement *element = GST_ELEMENT (self);
  p2p::broadcaster::Broadcaster::Events events;
  events.warning = [element] (const std::string &message) {
    GST_ELEMENT_WARNING (element, RESOURCE, NOT_FOUND, ("%s", message.c_str ()),
                         (nullptr));
  };
  events.stats = [element] (const p2p::broadcaster::BroadcasterStats &stats) {
    gst_element_post_message (
        element, gst_message_new_element (
                     GST_OBJECT (element),
                     stats_to_structure (stats, GST_P2P_STATISTICS_MESSAGE)));
  };
  auto broadcaster = std::make_unique<p2p::broadcaster::Broadcaster> (
      config, std::move (events));
  p2p::GErrorOut error;
  if (!broadcaster->start (error.out ())) {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ_WRITE,
                       ("%s", error.get ()->message), (nullptr));
    return FALSE;
  }

  GST_OBJECT_LOCK (self);
  if (priv->http_port >= 0)
    priv->http_port = broadcaster->http_port ();
  if (priv->tracker_port >= 0)
    priv->tracker_port = broadcaster->tracker_port ();
  priv->broadcaster = std::move (broadcaster);
  GST_OBJECT_UNLOCK (self);
  if (config.http_port >= 0)
    g_object_notify (G_OBJECT (self), "http-port");
  if (config.tracker_port >= 0)
    g_object_notify (G_OBJECT (self), "tracker-port");
  return TRUE;
}

static gboolean
gst_p2p_swarm_sink_stop (GstBaseSink *sink)
{
  auto self = GST_P2P_SWARM_SINK (sink);
  gst_p2p_drop_engine (GST_OBJECT (self), self->priv->broadcaster);
  return TRUE;
}

/* Posts p2p-segment-added for a published segment. */
static void
post_segment_added (GstP2PSwarmSink *self,
                    const p2p::packaging::PublishedSegment &published)
{
  /* Fragmented MP4 comes in a BYTES segment: its times are media times. */
  const GstSegment *segment = &GST_BASE_SINK (self)->segment;
  GstClockTime running_time = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (published.start)
      && segment->format == GST_FORMAT_TIME) {
    running_time = gst_segment_to_running_time (segment, GST_FORMAT_TIME,
                                                published.start);
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

/* What a push or the final flush published; the element error when it
 * failed (the error says which file, or what in the stream). */
static GstFlowReturn
handle_published (GstP2PSwarmSink *self, bool ok,
                  const std::optional<p2p::packaging::PublishedSegment> &seg,
                  const GError *error)
{
  if (seg)
    post_segment_added (self, *seg);
  if (ok)
    return GST_FLOW_OK;
  if (g_error_matches (error, GST_P2P_ERROR, GST_P2P_ERROR_BAD_CONTENT))
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, ("%s", error->message), (nullptr));
  else
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("%s", error->message),
                       (nullptr));
  return GST_FLOW_ERROR;
}

static gboolean
gst_p2p_swarm_sink_set_caps (GstBaseSink *sink, GstCaps *caps)
{
  auto self = GST_P2P_SWARM_SINK (sink);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  auto container = gst_structure_has_name (s, "video/quicktime")
                       ? p2p::packaging::Container::FRAGMENTED_MP4
                       : p2p::packaging::Container::MPEG_TS;
  p2p::GErrorOut error;
  if (!self->priv->broadcaster->set_container (container, error.out ())) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, ("%s", error.get ()->message),
                       ("caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  return TRUE;
}

static GstFlowReturn
gst_p2p_swarm_sink_render (GstBaseSink *sink, GstBuffer *buffer)
{
  auto self = GST_P2P_SWARM_SINK (sink);
  auto priv = self->priv;

  /* Without caps nothing says what the bytes are: a file or random bytes
   * would be published as a segment. */
  if (!gst_pad_has_current_caps (GST_BASE_SINK_PAD (sink))) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION,
                       ("No caps on the input: p2pswarmsink takes MPEG-TS "
                        "(video/mpegts) or fragmented MP4 (video/quicktime)."),
                       (nullptr));
    return GST_FLOW_NOT_NEGOTIATED;
  }

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
    std::optional<p2p::packaging::PublishedSegment> published;
    p2p::GErrorOut error;
    bool ok = priv->broadcaster->push (map.data, map.size, timestamp, key_frame,
                                       &published, error.out ());
    gst_buffer_unmap (buffer, &map);
    return handle_published (self, ok, published, error.get ());
  } catch (const std::exception &e) {
    gst_buffer_unmap (buffer, &map);
    GST_ELEMENT_ERROR (self, CORE, FAILED, (nullptr), ("%s", e.what ()));
    return GST_FLOW_ERROR;
  }
}

/* After the end was published, called with the preroll lock held: lets
 * viewers fetch the end until the origin got no request for two target
 * durations, at most `linger` seconds, or until the sink flushes (going
 * to READY). The lock is released while waiting, so state changes go
 * through. FALSE when flushing ended it. */
static bool
linger_after_end (GstP2PSwarmSink *self)
{
  auto priv = self->priv;
  GST_OBJECT_LOCK (self);
  const gint64 linger = priv->linger * G_TIME_SPAN_SECOND;
  const gint64 idle_limit = 2 * priv->target_duration * G_TIME_SPAN_SECOND;
  const bool serving = priv->http_port > 0;
  GST_OBJECT_UNLOCK (self);
  if (!serving || linger == 0)
    return true;

  auto requests = [priv] {
    const p2p::net::HttpOriginStats origin = priv->broadcaster->stats ().origin;
    return origin.playlist.requests + origin.segment.requests
           + origin.other.requests + origin.not_found;
  };
  GstBaseSink *sink = GST_BASE_SINK (self);
  const gint64 start = g_get_monotonic_time ();
  gint64 last_request = start;
  guint64 seen = requests ();
  GST_INFO_OBJECT (self, "serving the ended stream for up to %u s",
                   priv->linger);
  while (!sink->flushing) {
    const gint64 now = g_get_monotonic_time ();
    const guint64 count = requests ();
    if (count != seen) {
      seen = count;
      last_request = now;
    }
    if (now - start >= linger || now - last_request >= idle_limit)
      break;
    GST_BASE_SINK_PREROLL_WAIT_UNTIL (
        sink, std::min (now + 100 * G_TIME_SPAN_MILLISECOND, start + linger));
  }
  GST_INFO_OBJECT (self, "stopped lingering after %" G_GINT64_FORMAT " ms",
                   (g_get_monotonic_time () - start) / 1000);
  return !sink->flushing;
}

static gboolean
gst_p2p_swarm_sink_event (GstBaseSink *sink, GstEvent *event)
{
  auto self = GST_P2P_SWARM_SINK (sink);
  auto priv = self->priv;

  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && priv->broadcaster) {
    try {
      std::optional<p2p::packaging::PublishedSegment> published;
      p2p::GErrorOut error;
      bool ok = priv->broadcaster->finish (&published, error.out ());
      /* Flushing: basesink would wait for a preroll that never comes. */
      if (handle_published (self, ok, published, error.get ()) != GST_FLOW_OK
          || !linger_after_end (self)) {
        gst_event_unref (event);
        return FALSE;
      }
    } catch (const std::exception &e) {
      GST_ELEMENT_ERROR (self, CORE, FAILED, (nullptr), ("%s", e.what ()));
    }
  }
  return GST_BASE_SINK_CLASS (parent_class)->event (sink, event);
}
