/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
/**
 * SECTION:element-p2phlssrc
 * @title: p2phlssrc
 *
 * Plays a live (or VOD) HLS stream and outputs the segments' bytes in
 * order, ready for `tsdemux` (MPEG-TS) or `qtdemux` (fMP4, initialisation
 * section first). Each buffer holds one segment, with the segment's media
 * sequence number as its offset; a segment that playback waits for (at
 * start-up, or in a stall) is pushed in several buffers as it downloads.
 * A playlist with an end (VOD) answers the duration query and seeks in
 * time, from the start of the segment that holds the position; it plays
 * in a TIME segment, each segment's first buffer stamped with where it
 * starts, so that the demuxer after it places what follows.
 * Live playback starts `live-delay` segments behind the live edge. In a
 * master playlist, playback starts with the highest variant `max-bitrate`
 * allows and then adapts (ABR): the throughput of segments delivered over
 * HTTP and from peers alike is estimated, the variant goes down as soon as
 * it no longer fits (or a download runs too slowly for it) and back up once
 * a higher one has fitted with room to spare for a few seconds. Switching
 * follows the other variant's playlist and joins its swarm, as a
 * discontinuity. A `connection-speed` fixes the variant instead.
 *
 * It handles the `p2phls+http://` and `p2phls+https://` URI schemes, so it
 * plays in `playbin`, `gst-play-1.0` and `uridecodebin`; `location` also
 * takes plain http(s) URLs.
 *
 * A playlist the server answers 404 for at start-up (a broadcaster that has
 * not published yet), or a live playlist that stops loading (a broadcaster
 * restarting), is waited for up to 20 seconds; a restarted stream is
 * followed as a discontinuity. Live, a segment the server does not give is
 * skipped with a warning, and a variant whose playlist fails is replaced by
 * another one.
 *
 * Every `stats-interval` it posts a "p2p-statistics" element message with
 * the same fields as the `stats` property: bytes and segments from HTTP and
 * from peers, bytes uploaded, peers connected, stalls and the P2P ratio.
 *
 * ## Example launch line
 * |[
 * gst-play-1.0 p2phls+http://127.0.0.1:8080/playlist.m3u8
 * ]| Plays a broadcast from p2pswarmsink (or any live HLS stream).
 * |[
 * gst-launch-1.0 p2phlssrc location=http://127.0.0.1:8080/playlist.m3u8 ! \
 *     tsdemux ! h264parse ! avdec_h264 ! videoconvert ! autovideosink
 * ]| The same with an explicit pipeline.
 *
 * Since: 0.1
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstp2phlssrc.h"

#include <memory>
#include <string>

#include "gstp2pelements.h"
#include "gstp2ppeersettings.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/common/string-list.h"
#include "gst/p2p/viewer/viewer.h"

GST_DEBUG_CATEGORY_STATIC (gst_p2p_hls_src_debug);
#define GST_CAT_DEFAULT gst_p2p_hls_src_debug

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS,
    GST_STATIC_CAPS ("video/mpegts, systemstream = (boolean) true; "
                     "video/quicktime"));

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_LIVE_DELAY,
  PROP_STARTUP_WAIT,
  PROP_CONNECTION_SPEED,
  PROP_MAX_BITRATE,
  PROP_USER_AGENT,
  PROP_EXTRA_HEADERS,
  PROP_TIMEOUT,
  PROP_RETRIES,
  PROP_STATS_INTERVAL,
  PROP_STATS,
  PROP_HTTP_WINDOW,
  PROP_P2P_TIMEOUT,
  PROP_MAX_PEERS,
  PROP_UPLOAD,
  PROP_SSL_CA_FILE,
  PROP_TLS_DATABASE,
  /* The shared peer properties (gstp2ppeersettings.h) follow. */
  PROP_PEER_SETTINGS,
};

#define DEFAULT_LOCATION NULL
#define DEFAULT_LIVE_DELAY 5
#define DEFAULT_STARTUP_WAIT 0
#define DEFAULT_CONNECTION_SPEED 0
#define DEFAULT_MAX_BITRATE 0
#define DEFAULT_USER_AGENT "GStreamer p2phlssrc " PACKAGE_VERSION
#define DEFAULT_TIMEOUT 15
#define DEFAULT_RETRIES 3
#define DEFAULT_STATS_INTERVAL 1000
#define DEFAULT_HTTP_WINDOW 2000
#define DEFAULT_P2P_TIMEOUT 2000
#define DEFAULT_MAX_PEERS 20
#define DEFAULT_UPLOAD TRUE

static const gchar *const uri_protocols[]
    = { "p2phls+http", "p2phls+https", nullptr };

struct GstP2PHLSSrcPrivate
{
  /* Settings, under GST_OBJECT_LOCK. */
  std::string location;
  /* Why the location property refused its last value: the element error
   * when it starts. */
  std::string location_error;
  guint live_delay = DEFAULT_LIVE_DELAY;
  guint startup_wait = DEFAULT_STARTUP_WAIT;
  guint connection_speed = DEFAULT_CONNECTION_SPEED;
  guint64 max_bitrate = DEFAULT_MAX_BITRATE;
  std::string user_agent = DEFAULT_USER_AGENT;
  GstStructure *extra_headers = nullptr;
  guint timeout = DEFAULT_TIMEOUT;
  gint retries = DEFAULT_RETRIES;
  guint stats_interval = DEFAULT_STATS_INTERVAL;
  guint http_window = DEFAULT_HTTP_WINDOW;
  guint p2p_timeout = DEFAULT_P2P_TIMEOUT;
  guint max_peers = DEFAULT_MAX_PEERS;
  gboolean upload = DEFAULT_UPLOAD;
  std::string ssl_ca_file;
  std::shared_ptr<GTlsDatabase> tls_database;

  GstP2PPeerSettings peer;

  /* ssl-ca-file loaded, from NULL to READY until back to NULL. */
  std::shared_ptr<GTlsDatabase> ca_file_database;

  /* Between start() and stop(). Shared with a stats reader, which asks
   * the engine thread without GST_OBJECT_LOCK held: that thread takes the
   * lock to post messages. */
  std::shared_ptr<p2p::viewer::Viewer> viewer;
  bool caps_set = false;
  bool first_buffer = true;
};

struct _GstP2PHLSSrc
{
  GstPushSrc parent;
  GstP2PHLSSrcPrivate *priv;
};

static void gst_p2p_hls_src_uri_handler_init (gpointer g_iface,
                                              gpointer iface_data);

#define gst_p2p_hls_src_parent_class parent_class
G_DEFINE_TYPE_WITH_CODE (
    GstP2PHLSSrc, gst_p2p_hls_src, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
                           gst_p2p_hls_src_uri_handler_init));

static gboolean
p2phlssrc_element_init (GstPlugin *plugin)
{
  GST_DEBUG_CATEGORY_INIT (gst_p2p_hls_src_debug, "p2phlssrc", 0,
                           "P2P HLS source");
  p2p_element_init (plugin);
  /* Secondary: only the p2phls+ schemes are ours, no need to outrank. */
  return gst_element_register (plugin, "p2phlssrc", GST_RANK_SECONDARY,
                               GST_TYPE_P2P_HLS_SRC);
}

GST_ELEMENT_REGISTER_DEFINE_CUSTOM (p2phlssrc, p2phlssrc_element_init);

static void gst_p2p_hls_src_finalize (GObject *object);
static void gst_p2p_hls_src_set_property (GObject *object, guint prop_id,
                                          const GValue *value,
                                          GParamSpec *pspec);
static void gst_p2p_hls_src_get_property (GObject *object, guint prop_id,
                                          GValue *value, GParamSpec *pspec);
static GstStateChangeReturn
gst_p2p_hls_src_change_state (GstElement *element, GstStateChange transition);
static gboolean gst_p2p_hls_src_start (GstBaseSrc *src);
static gboolean gst_p2p_hls_src_stop (GstBaseSrc *src);
static gboolean gst_p2p_hls_src_unlock (GstBaseSrc *src);
static gboolean gst_p2p_hls_src_unlock_stop (GstBaseSrc *src);
static gboolean gst_p2p_hls_src_is_seekable (GstBaseSrc *src);
static gboolean gst_p2p_hls_src_negotiate (GstBaseSrc *src);
static gboolean gst_p2p_hls_src_query (GstBaseSrc *src, GstQuery *query);
static gboolean gst_p2p_hls_src_do_seek (GstBaseSrc *src, GstSegment *segment);
static GstFlowReturn gst_p2p_hls_src_create (GstPushSrc *src,
                                             GstBuffer **buffer);
static GstStructure *gst_p2p_hls_src_create_stats (GstP2PHLSSrc *self);

static void
gst_p2p_hls_src_class_init (GstP2PHLSSrcClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *basesrc_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *pushsrc_class = GST_PUSH_SRC_CLASS (klass);

  gobject_class->finalize = gst_p2p_hls_src_finalize;
  gobject_class->set_property = gst_p2p_hls_src_set_property;
  gobject_class->get_property = gst_p2p_hls_src_get_property;

  /**
   * GstP2PHLSSrc:location:
   *
   * URL of the HLS master or media playlist: http://, https://, or the
   * same with the p2phls+ prefix.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_LOCATION,
      g_param_spec_string (
          "location", "Location",
          "URL of the HLS playlist (http, https, p2phls+http, p2phls+https)",
          DEFAULT_LOCATION,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:live-delay:
   *
   * Live playback starts this many segments behind the live edge. More
   * leaves more time to get segments from peers.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_LIVE_DELAY,
      g_param_spec_uint (
          "live-delay", "Live Delay",
          "Start live playback this many segments behind the live edge", 1, 100,
          DEFAULT_LIVE_DELAY,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:startup-wait:
   *
   * Playback starts no sooner than this many milliseconds after the
   * playlist is loaded, so that the first segments can come from peers,
   * which connect after that, rather than over HTTP. Start-up takes that
   * much longer; lowering live-delay by one segment for each segment
   * duration of wait keeps the live latency. 0: playback starts as soon
   * as the first segment's bytes arrive.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_STARTUP_WAIT,
      g_param_spec_uint (
          "startup-wait", "Startup Wait",
          "Milliseconds after the playlist is loaded before playback starts, "
          "so that the first segments can come from peers (0 = at once)",
          0, 60000, DEFAULT_STARTUP_WAIT,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:connection-speed:
   *
   * Network speed in kbit/s for the variant choice (0 = unknown: the
   * variant adapts to the measured throughput). Set, it fixes the variant
   * to the highest one it allows, as with hlsdemux2.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_CONNECTION_SPEED,
      g_param_spec_uint (
          "connection-speed", "Connection Speed",
          "Network speed in kbit/s for choosing a variant (0 = measured, "
          "adaptive)",
          0, G_MAXUINT / 1000, DEFAULT_CONNECTION_SPEED,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:max-bitrate:
   *
   * Highest variant bitrate to choose, in bit/s (0 = no limit).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_MAX_BITRATE,
      g_param_spec_uint64 (
          "max-bitrate", "Max Bitrate",
          "Highest variant bitrate to choose in bit/s (0 = no limit)", 0,
          G_MAXUINT64, DEFAULT_MAX_BITRATE,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:user-agent:
   *
   * Value of the User-Agent HTTP request header.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_USER_AGENT,
      g_param_spec_string (
          "user-agent", "User-Agent",
          "Value of the User-Agent HTTP request header", DEFAULT_USER_AGENT,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:extra-headers:
   *
   * Extra headers for every HTTP request: field names are header names,
   * string values their values.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_EXTRA_HEADERS,
      g_param_spec_boxed (
          "extra-headers", "Extra Headers",
          "Extra headers for every HTTP request", GST_TYPE_STRUCTURE,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:timeout:
   *
   * Seconds without any byte before an HTTP attempt fails (0 = none).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_TIMEOUT,
      g_param_spec_uint (
          "timeout", "Timeout",
          "Seconds without any byte before an HTTP attempt fails (0 = none)", 0,
          3600, DEFAULT_TIMEOUT,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:retries:
   *
   * Retries of a failed HTTP download before it is an error (-1 = forever).
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_RETRIES,
      g_param_spec_int ("retries", "Retries",
                        "Retries of a failed HTTP download (-1 = forever)", -1,
                        G_MAXINT, DEFAULT_RETRIES,
                        (GParamFlags)(G_PARAM_READWRITE
                                      | GST_PARAM_MUTABLE_READY
                                      | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:stats-interval:
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
   * GstP2PHLSSrc:stats:
   *
   * Transfer statistics as an "application/x-p2p-hls-src-stats" structure:
   * http-bytes, http-segments, peer-bytes, peer-segments,
   * relayed-bytes-arriving (peer bytes a relay passed on while it was still
   * receiving the segment), uploaded-bytes, peers, stalls, stall-time,
   * segments-skipped, p2p-ratio.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_STATS,
      g_param_spec_boxed (
          "stats", "Statistics",
          "Bytes and segments by source, uploads, peers and stalls",
          GST_TYPE_STRUCTURE,
          (GParamFlags)(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:http-window:
   *
   * A segment due within this many milliseconds is fetched over HTTP;
   * segments further ahead come from peers. A stripe this viewer relays
   * to others is fetched 3 s earlier (at most half the time peers have
   * for the segment), so that its children get it in time. On a slow downlink
   * the window grows to three times what a whole segment took over HTTP, up
   * to 1.5 times this value.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_HTTP_WINDOW,
      g_param_spec_uint (
          "http-window", "HTTP Window",
          "Milliseconds before its deadline within which a segment comes "
          "over HTTP",
          0, 600000, DEFAULT_HTTP_WINDOW,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:p2p-timeout:
   *
   * A peer transfer with no bytes for this many milliseconds is cancelled
   * and the segment fetched elsewhere.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_P2P_TIMEOUT,
      g_param_spec_uint (
          "p2p-timeout", "P2P Timeout",
          "Milliseconds without bytes before a peer transfer falls back", 100,
          600000, DEFAULT_P2P_TIMEOUT,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:max-peers:
   *
   * Peers connected at most. The element offers to connect up to one
   * fewer; at the limit, a newcomer's offer takes the place of a peer
   * connected for 5 s that nothing is exchanged with, so that viewers
   * joining a full swarm still find parents.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_MAX_PEERS,
      g_param_spec_uint ("max-peers", "Max Peers", "Peers connected at most", 0,
                         1000, DEFAULT_MAX_PEERS,
                         (GParamFlags)(G_PARAM_READWRITE
                                       | GST_PARAM_MUTABLE_READY
                                       | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:upload:
   *
   * Share segments with peers. Turn off on metered links: the viewer then
   * uploads nothing and still plays.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_UPLOAD,
      g_param_spec_boolean (
          "upload", "Upload",
          "Share segments with peers (off for metered links)", DEFAULT_UPLOAD,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:ssl-ca-file:
   *
   * A file of PEM certificate authorities that https origins and wss://
   * trackers are checked against instead of the system's, as with
   * souphttpsrc. tls-database takes precedence.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_SSL_CA_FILE,
      g_param_spec_string (
          "ssl-ca-file", "SSL CA File",
          "PEM file of the certificate authorities https origins and wss:// "
          "trackers are checked against (unset: the system's)",
          nullptr,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  /**
   * GstP2PHLSSrc:tls-database:
   *
   * The TLS database https origins and wss:// trackers are checked against
   * (unset: ssl-ca-file, else the system's), as with souphttpsrc.
   *
   * Since: 0.1
   */
  g_object_class_install_property (
      gobject_class, PROP_TLS_DATABASE,
      g_param_spec_object (
          "tls-database", "TLS Database",
          "TLS database with the anchor certificate authorities for https "
          "origins and wss:// trackers",
          G_TYPE_TLS_DATABASE,
          (GParamFlags)(G_PARAM_READWRITE | GST_PARAM_MUTABLE_READY
                        | G_PARAM_STATIC_STRINGS)));

  gst_p2p_peer_settings_install_properties (gobject_class, PROP_PEER_SETTINGS);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (
      element_class, "P2P HLS source", "Source/Network",
      "Plays live HLS, fetching urgent segments from the CDN and the rest "
      "from peers",
      "gst-p2p developers");

  element_class->change_state
      = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_change_state);
  basesrc_class->start = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_start);
  basesrc_class->stop = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_stop);
  basesrc_class->unlock = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_unlock);
  basesrc_class->unlock_stop = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_unlock_stop);
  basesrc_class->is_seekable = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_is_seekable);
  basesrc_class->negotiate = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_negotiate);
  basesrc_class->query = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_query);
  basesrc_class->do_seek = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_do_seek);
  pushsrc_class->create = GST_DEBUG_FUNCPTR (gst_p2p_hls_src_create);
}

static void
gst_p2p_hls_src_init (GstP2PHLSSrc *self)
{
  self->priv = new GstP2PHLSSrcPrivate ();
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_BYTES);
}

static void
gst_p2p_hls_src_finalize (GObject *object)
{
  auto self = GST_P2P_HLS_SRC (object);
  if (self->priv->extra_headers)
    gst_structure_free (self->priv->extra_headers);
  delete self->priv;
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* Accepts http(s) URLs with or without our p2phls+ prefix; returns the
 * plain URL, or an empty string when @uri is not one. */
static std::string
plain_http_url (const gchar *uri)
{
  if (!uri)
    return "";
  std::string s = uri;
  const std::string prefix = "p2phls+";
  if (g_ascii_strncasecmp (s.c_str (), prefix.c_str (), prefix.size ()) == 0)
    s = s.substr (prefix.size ());
  if (g_ascii_strncasecmp (s.c_str (), "http://", 7) != 0
      && g_ascii_strncasecmp (s.c_str (), "https://", 8) != 0)
    return "";
  /* g_uri_is_valid () accepts "http://" without a host. */
  GUri *parsed = g_uri_parse (s.c_str (), G_URI_FLAGS_NONE, nullptr);
  bool has_host
      = parsed && g_uri_get_host (parsed) && g_uri_get_host (parsed)[0] != '\0';
  if (parsed)
    g_uri_unref (parsed);
  return has_host ? s : "";
}

static gboolean
gst_p2p_hls_src_set_location (GstP2PHLSSrc *self, const gchar *uri,
                              GError **error)
{
  GstState state;
  GST_OBJECT_LOCK (self);
  state = GST_STATE (self);
  GST_OBJECT_UNLOCK (self);
  if (state != GST_STATE_READY && state != GST_STATE_NULL) {
    g_set_error (
        error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "Changing the location of a playing p2phlssrc is not supported");
    return FALSE;
  }
  std::string url = plain_http_url (uri);
  if (uri && url.empty ()) {
    g_set_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
                 "Not an http(s) or p2phls+http(s) URL: %s", uri);
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  self->priv->location = url;
  self->priv->location_error.clear ();
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static void
gst_p2p_hls_src_set_property (GObject *object, guint prop_id,
                              const GValue *value, GParamSpec *pspec)
{
  auto self = GST_P2P_HLS_SRC (object);
  auto priv = self->priv;

  switch (prop_id) {
  case PROP_LOCATION: {
    p2p::GErrorOut error;
    if (gst_p2p_hls_src_set_location (self, g_value_get_string (value),
                                      error.out ()))
      break;
    GST_WARNING_OBJECT (self, "%s", error.get ()->message);
    if (error.get ()->code != GST_URI_ERROR_BAD_STATE) {
      /* Kept for the element error at start, which "No URL set" would
       * not explain. */
      GST_OBJECT_LOCK (self);
      priv->location.clear ();
      priv->location_error = error.get ()->message;
      GST_OBJECT_UNLOCK (self);
    }
    break;
  }
  case PROP_SSL_CA_FILE: {
    const gchar *file = g_value_get_string (value);
    GST_OBJECT_LOCK (self);
    priv->ssl_ca_file = file ? file : "";
    GST_OBJECT_UNLOCK (self);
    break;
  }
  case PROP_TLS_DATABASE: {
    auto database = static_cast<GTlsDatabase *> (g_value_dup_object (value));
    GST_OBJECT_LOCK (self);
    priv->tls_database.reset (database, g_object_unref);
    GST_OBJECT_UNLOCK (self);
    break;
  }
  case PROP_USER_AGENT: {
    const gchar *ua = g_value_get_string (value);
    GST_OBJECT_LOCK (self);
    priv->user_agent = ua ? ua : "";
    GST_OBJECT_UNLOCK (self);
    break;
  }
  case PROP_EXTRA_HEADERS: {
    const GstStructure *s = gst_value_get_structure (value);
    GST_OBJECT_LOCK (self);
    if (priv->extra_headers)
      gst_structure_free (priv->extra_headers);
    priv->extra_headers = s ? gst_structure_copy (s) : nullptr;
    GST_OBJECT_UNLOCK (self);
    break;
  }
  case PROP_HTTP_WINDOW:
    GST_OBJECT_LOCK (self);
    priv->http_window = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_P2P_TIMEOUT:
    GST_OBJECT_LOCK (self);
    priv->p2p_timeout = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_MAX_PEERS:
    GST_OBJECT_LOCK (self);
    priv->max_peers = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_UPLOAD:
    GST_OBJECT_LOCK (self);
    priv->upload = g_value_get_boolean (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_LIVE_DELAY:
    GST_OBJECT_LOCK (self);
    priv->live_delay = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_STARTUP_WAIT:
    GST_OBJECT_LOCK (self);
    priv->startup_wait = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_CONNECTION_SPEED:
    GST_OBJECT_LOCK (self);
    priv->connection_speed = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_MAX_BITRATE:
    GST_OBJECT_LOCK (self);
    priv->max_bitrate = g_value_get_uint64 (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_TIMEOUT:
    GST_OBJECT_LOCK (self);
    priv->timeout = g_value_get_uint (value);
    GST_OBJECT_UNLOCK (self);
    break;
  case PROP_RETRIES:
    GST_OBJECT_LOCK (self);
    priv->retries = g_value_get_int (value);
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
gst_p2p_hls_src_get_property (GObject *object, guint prop_id, GValue *value,
                              GParamSpec *pspec)
{
  auto self = GST_P2P_HLS_SRC (object);
  auto priv = self->priv;

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, gst_p2p_hls_src_create_stats (self));
    return;
  }

  if (gst_p2p_peer_settings_get_property (&priv->peer, object, prop_id,
                                          PROP_PEER_SETTINGS, value))
    return;

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
  case PROP_LOCATION:
    g_value_set_string (
        value, priv->location.empty () ? nullptr : priv->location.c_str ());
    break;
  case PROP_USER_AGENT:
    g_value_set_string (value, priv->user_agent.c_str ());
    break;
  case PROP_EXTRA_HEADERS:
    gst_value_set_structure (value, priv->extra_headers);
    break;
  case PROP_HTTP_WINDOW:
    g_value_set_uint (value, priv->http_window);
    break;
  case PROP_P2P_TIMEOUT:
    g_value_set_uint (value, priv->p2p_timeout);
    break;
  case PROP_MAX_PEERS:
    g_value_set_uint (value, priv->max_peers);
    break;
  case PROP_UPLOAD:
    g_value_set_boolean (value, priv->upload);
    break;
  case PROP_LIVE_DELAY:
    g_value_set_uint (value, priv->live_delay);
    break;
  case PROP_STARTUP_WAIT:
    g_value_set_uint (value, priv->startup_wait);
    break;
  case PROP_CONNECTION_SPEED:
    g_value_set_uint (value, priv->connection_speed);
    break;
  case PROP_MAX_BITRATE:
    g_value_set_uint64 (value, priv->max_bitrate);
    break;
  case PROP_TIMEOUT:
    g_value_set_uint (value, priv->timeout);
    break;
  case PROP_RETRIES:
    g_value_set_int (value, priv->retries);
    break;
  case PROP_STATS_INTERVAL:
    g_value_set_uint (value, priv->stats_interval);
    break;
  case PROP_SSL_CA_FILE:
    g_value_set_string (value, priv->ssl_ca_file.empty ()
                                   ? nullptr
                                   : priv->ssl_ca_file.c_str ());
    break;
  case PROP_TLS_DATABASE:
    g_value_set_object (value, priv->tls_database.get ());
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
  GST_OBJECT_UNLOCK (self);
}

static GstStructure *
stats_to_structure (const p2p::viewer::ViewerStats &stats, const gchar *name)
{
  guint64 total = stats.http_bytes + stats.peer_bytes;
  gdouble ratio = total ? static_cast<gdouble> (stats.peer_bytes) / total : 0;
  return gst_structure_new (
      name, "http-bytes", G_TYPE_UINT64, stats.http_bytes, "http-segments",
      G_TYPE_UINT64, stats.http_segments, "peer-bytes", G_TYPE_UINT64,
      stats.peer_bytes, "peer-segments", G_TYPE_UINT64, stats.peer_segments,
      "relayed-bytes-arriving", G_TYPE_UINT64, stats.relayed_bytes_arriving,
      "uploaded-bytes", G_TYPE_UINT64, stats.uploaded_bytes, "duplicate-bytes",
      G_TYPE_UINT64, stats.duplicate_bytes, "peers", G_TYPE_UINT, stats.peers,
      "peer-sessions", G_TYPE_UINT64, stats.peer_sessions, "peer-connections",
      G_TYPE_UINT64, stats.peer_connections, "stalls", G_TYPE_UINT64,
      stats.stalls, "stall-time", G_TYPE_UINT64, stats.stall_time,
      "segments-skipped", G_TYPE_UINT64, stats.segments_skipped,
      "playlist-reloads", G_TYPE_UINT64, stats.playlist_reloads, "peers-banned",
      G_TYPE_UINT64, stats.peers_banned, "hash-mismatches", G_TYPE_UINT64,
      stats.hash_mismatches, "peer-id", G_TYPE_STRING, stats.peer_id.c_str (),
      "swarm-id", G_TYPE_STRING, stats.swarm_id.c_str (), "bandwidth",
      G_TYPE_UINT64, stats.bandwidth, "bandwidth-estimate", G_TYPE_UINT64,
      stats.bandwidth_estimate, "variant-switches", G_TYPE_UINT64,
      stats.variant_switches, "p2p-ratio", G_TYPE_DOUBLE, ratio, nullptr);
}

static GstStructure *
gst_p2p_hls_src_create_stats (GstP2PHLSSrc *self)
{
  p2p::viewer::ViewerStats stats;
  auto viewer = gst_p2p_share_engine (GST_OBJECT (self), self->priv->viewer);
  if (viewer)
    stats = viewer->stats ();
  return stats_to_structure (stats, "application/x-p2p-hls-src-stats");
}

static std::vector<std::pair<std::string, std::string>>
headers_from_structure (const GstStructure *s)
{
  std::vector<std::pair<std::string, std::string>> headers;
  if (!s)
    return headers;
  for (gint i = 0; i < gst_structure_n_fields (s); i++) {
    const gchar *name = gst_structure_nth_field_name (s, i);
    const GValue *v = gst_structure_get_value (s, name);
    if (G_VALUE_HOLDS_STRING (v)) {
      headers.emplace_back (name, g_value_get_string (v));
    } else {
      p2p::GCharPtr text (gst_value_serialize (v));
      if (text)
        headers.emplace_back (name, text.get ());
    }
  }
  return headers;
}

/* What can be known wrong before starting, as one element error each, so
 * that a bad setting is not reported as something else later. */
static gboolean
gst_p2p_hls_src_check_settings (GstP2PHLSSrc *self)
{
  auto priv = self->priv;
  GST_OBJECT_LOCK (self);
  std::string location = priv->location;
  std::string location_error = priv->location_error;
  std::string ca_file = priv->tls_database ? "" : priv->ssl_ca_file;
  GST_OBJECT_UNLOCK (self);

  if (!location_error.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
                       ("%s", location_error.c_str ()), (nullptr));
    return FALSE;
  }
  if (location.empty ()) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("No URL set."),
                       ("Set the location property or a p2phls+http(s) URI"));
    return FALSE;
  }
  if (!gst_p2p_peer_settings_check (&priv->peer, GST_ELEMENT (self)))
    return FALSE;
  std::shared_ptr<GTlsDatabase> database;
  if (!ca_file.empty ()) {
    p2p::GErrorOut error;
    GTlsDatabase *loaded
        = g_tls_file_database_new (ca_file.c_str (), error.out ());
    if (!loaded) {
      GST_ELEMENT_ERROR (
          self, RESOURCE, OPEN_READ,
          ("Could not read the CA file \"%s\".", ca_file.c_str ()),
          ("%s", error.get ()->message));
      return FALSE;
    }
    database.reset (loaded, g_object_unref);
  }
  GST_OBJECT_LOCK (self);
  priv->ca_file_database = std::move (database);
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static GstStateChangeReturn
gst_p2p_hls_src_change_state (GstElement *element, GstStateChange transition)
{
  auto self = GST_P2P_HLS_SRC (element);
  if (transition == GST_STATE_CHANGE_NULL_TO_READY
      && !gst_p2p_hls_src_check_settings (self))
    return GST_STATE_CHANGE_FAILURE;
  GstStateChangeReturn ret
      = GST_ELEMENT_CLASS (parent_class)->change_state (element, transition);
  if (transition == GST_STATE_CHANGE_READY_TO_NULL) {
    GST_OBJECT_LOCK (self);
    self->priv->ca_file_database.reset ();
    GST_OBJECT_UNLOCK (self);
  }
  return ret;
}

static gboolean
gst_p2p_hls_src_start (GstBaseSrc *src)
{
  auto self = GST_P2P_HLS_SRC (src);
  auto priv = self->priv;

  p2p::viewer::ViewerConfig config;
  GST_OBJECT_LOCK (self);
  config.url = priv->location;
  config.live_delay_segments = priv->live_delay;
  config.startup_wait = priv->startup_wait * GST_MSECOND;
  config.connection_speed
      = static_cast<guint64> (priv->connection_speed) * 1000;
  config.max_bitrate = priv->max_bitrate;
  config.http.user_agent = priv->user_agent;
  config.http.extra_headers = headers_from_structure (priv->extra_headers);
  config.http.timeout = std::chrono::seconds (priv->timeout);
  config.http.retries = priv->retries;
  config.stats_interval = priv->stats_interval;
  config.trackers = p2p::split_list (priv->peer.trackers);
  config.swarm_id = priv->peer.swarm_id;
  config.webrtc = priv->peer.webrtc_config ();
  config.http_window = priv->http_window * GST_MSECOND;
  config.p2p_timeout = priv->p2p_timeout * GST_MSECOND;
  config.max_peers = priv->max_peers;
  config.upload = priv->upload;
  config.max_upload_rate = priv->peer.max_upload_rate;
  config.http.tls_database
      = priv->tls_database ? priv->tls_database : priv->ca_file_database;
  GST_OBJECT_UNLOCK (self);

  GstElement *element = GST_ELEMENT (self);
  auto on_warning = [element] (const std::string &message) {
    GST_ELEMENT_WARNING (element, STREAM, DEMUX, ("%s", message.c_str ()),
                         (nullptr));
  };
  auto on_stats = [element] (const p2p::viewer::ViewerStats &stats) {
    gst_element_post_message (
        element, gst_message_new_element (
                     GST_OBJECT (element),
                     stats_to_structure (stats, GST_P2P_STATISTICS_MESSAGE)));
  };
  auto viewer
      = std::make_unique<p2p::viewer::Viewer> (config, on_warning, on_stats);
  viewer->start ();

  GST_OBJECT_LOCK (self);
  priv->viewer = std::move (viewer);
  priv->caps_set = false;
  priv->first_buffer = true;
  GST_OBJECT_UNLOCK (self);
  return TRUE;
}

static gboolean
gst_p2p_hls_src_stop (GstBaseSrc *src)
{
  auto self = GST_P2P_HLS_SRC (src);
  gst_p2p_drop_engine (GST_OBJECT (self), self->priv->viewer);
  return TRUE;
}

static gboolean
gst_p2p_hls_src_unlock (GstBaseSrc *src)
{
  auto self = GST_P2P_HLS_SRC (src);
  if (self->priv->viewer)
    self->priv->viewer->unlock ();
  return TRUE;
}

static gboolean
gst_p2p_hls_src_unlock_stop (GstBaseSrc *src)
{
  auto self = GST_P2P_HLS_SRC (src);
  if (self->priv->viewer)
    self->priv->viewer->unlock_stop ();
  return TRUE;
}

/* The stream's duration, GST_CLOCK_TIME_NONE while unknown or live. */
static GstClockTime
stream_duration (GstP2PHLSSrc *self)
{
  return self->priv->viewer ? self->priv->viewer->duration ()
                            : GST_CLOCK_TIME_NONE;
}

/* A stream with an end (VOD) seeks in time: the segments' durations say
 * where each one starts. */
static gboolean
gst_p2p_hls_src_is_seekable (GstBaseSrc *src)
{
  return GST_CLOCK_TIME_IS_VALID (stream_duration (GST_P2P_HLS_SRC (src)));
}

static gboolean
gst_p2p_hls_src_query (GstBaseSrc *src, GstQuery *query)
{
  auto self = GST_P2P_HLS_SRC (src);
  GstFormat format = GST_FORMAT_UNDEFINED;
  switch (GST_QUERY_TYPE (query)) {
  case GST_QUERY_DURATION: {
    gst_query_parse_duration (query, &format, nullptr);
    const GstClockTime duration = stream_duration (self);
    if (format != GST_FORMAT_TIME || !GST_CLOCK_TIME_IS_VALID (duration))
      break;
    gst_query_set_duration (query, GST_FORMAT_TIME, duration);
    return TRUE;
  }
  case GST_QUERY_SEEKING: {
    gst_query_parse_seeking (query, &format, nullptr, nullptr, nullptr);
    if (format != GST_FORMAT_TIME)
      break;
    const GstClockTime duration = stream_duration (self);
    gst_query_set_seeking (query, GST_FORMAT_TIME,
                           GST_CLOCK_TIME_IS_VALID (duration), 0,
                           GST_CLOCK_TIME_IS_VALID (duration) ? duration : -1);
    return TRUE;
  }
  default:
    break;
  }
  return GST_BASE_SRC_CLASS (parent_class)->query (src, query);
}

/* A stream with an end plays in a TIME segment, as adaptivedemux's: a
 * seek in time (the demuxer after us passes it up) goes on from the start
 * of the segment that holds the position. */
static gboolean
gst_p2p_hls_src_do_seek (GstBaseSrc *src, GstSegment *segment)
{
  auto self = GST_P2P_HLS_SRC (src);
  auto priv = self->priv;
  if (segment->format != GST_FORMAT_TIME || !priv->viewer)
    return GST_BASE_SRC_CLASS (parent_class)->do_seek (src, segment);
  const GstClockTime start = priv->viewer->seek (segment->start);
  if (!GST_CLOCK_TIME_IS_VALID (start))
    return FALSE;
  GST_INFO_OBJECT (self, "seek to %" GST_TIME_FORMAT ": from %" GST_TIME_FORMAT,
                   GST_TIME_ARGS (segment->start), GST_TIME_ARGS (start));
  segment->start = segment->time = segment->position = start;
  priv->first_buffer = true;
  return TRUE;
}

static void
post_viewer_error (GstP2PHLSSrc *self, const GError *error)
{
  if (error->domain != GST_P2P_ERROR) {
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("%s", error->message), (nullptr));
    return;
  }
  switch (error->code) {
  case GST_P2P_ERROR_HTTP_STATUS:
    if (strstr (error->message, "404")) {
      GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND, ("%s", error->message),
                         (nullptr));
    } else {
      GST_ELEMENT_ERROR (self, RESOURCE, READ, ("%s", error->message),
                         (nullptr));
    }
    break;
  case GST_P2P_ERROR_NETWORK:
  case GST_P2P_ERROR_TIMEOUT:
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ, ("%s", error->message),
                       (nullptr));
    break;
  case GST_P2P_ERROR_PLAYLIST_UNSUPPORTED:
    GST_ELEMENT_ERROR (self, STREAM, DECRYPT, ("%s", error->message),
                       (nullptr));
    break;
  case GST_P2P_ERROR_PLAYLIST_INVALID:
  case GST_P2P_ERROR_BAD_CONTENT:
    GST_ELEMENT_ERROR (self, STREAM, DEMUX, ("%s", error->message), (nullptr));
    break;
  default:
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED, ("%s", error->message),
                       (nullptr));
    break;
  }
}

/* basesrc would fixate the template's first caps, video/mpegts, before
 * anything is known, and again on every reconfigure: decodebin would plug
 * tsdemux for fMP4. The caps are set once, from the stream, before the
 * first buffer (ensure_caps). */
static gboolean
gst_p2p_hls_src_negotiate (GstBaseSrc *src)
{
  return TRUE;
}

/* Caps from the stream itself: MPEG-TS starts with the 0x47 sync byte;
 * an initialisation section means fragmented MP4. */
static bool
ensure_caps (GstP2PHLSSrc *self, const p2p::viewer::ViewerItem &item)
{
  if (self->priv->caps_set)
    return true;
  const guint8 *data
      = item.data.empty () ? nullptr : item.data.chunks ().front ().data ();
  p2p::GstCapsPtr caps;
  if (item.kind == p2p::viewer::ViewerItem::Kind::INIT
      || (data && data[0] != 0x47)) {
    caps.reset (gst_caps_new_empty_simple ("video/quicktime"));
  } else {
    caps.reset (gst_caps_new_simple ("video/mpegts", "systemstream",
                                     G_TYPE_BOOLEAN, TRUE, "packetsize",
                                     G_TYPE_INT, 188, nullptr));
  }
  if (!gst_base_src_set_caps (GST_BASE_SRC (self), caps.get ()))
    return false;
  self->priv->caps_set = true;
  return true;
}

static GstFlowReturn
gst_p2p_hls_src_create (GstPushSrc *src, GstBuffer **buffer)
{
  auto self = GST_P2P_HLS_SRC (src);
  auto priv = self->priv;

  p2p::viewer::ViewerItem item;
  /* The end of a segment streamed while it downloaded may hold no byte. */
  do {
    if (!priv->viewer->pop (&item))
      return GST_FLOW_FLUSHING;
  } while (item.kind == p2p::viewer::ViewerItem::Kind::SEGMENT
           && item.data.empty ());

  switch (item.kind) {
  case p2p::viewer::ViewerItem::Kind::END:
    GST_INFO_OBJECT (self, "playlist ended");
    return GST_FLOW_EOS;
  case p2p::viewer::ViewerItem::Kind::ERROR:
    post_viewer_error (self, item.error.get ());
    return GST_FLOW_ERROR;
  case p2p::viewer::ViewerItem::Kind::INIT:
  case p2p::viewer::ViewerItem::Kind::SEGMENT:
    break;
  }

  if (!ensure_caps (self, item)) {
    GST_ELEMENT_ERROR (self, CORE, NEGOTIATION, (nullptr),
                       ("downstream refused the stream's caps"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  /* The segment's bytes as they arrived, one memory per chunk: no copy. */
  GstBuffer *out = gst_buffer_new ();
  for (const p2p::BytesRef &chunk : item.data.chunks ())
    gst_buffer_append_memory (
        out, gst_memory_new_wrapped (
                 GST_MEMORY_FLAG_READONLY, const_cast<guint8 *> (chunk.data ()),
                 chunk.size (), 0, chunk.size (), g_bytes_ref (chunk.get ()),
                 (GDestroyNotify)g_bytes_unref));
  if (item.discont || priv->first_buffer)
    GST_BUFFER_FLAG_SET (out, GST_BUFFER_FLAG_DISCONT);
  /* A stream with an end is in a TIME segment, from the first buffer on:
   * each segment's first buffer says where it starts, so that the demuxer
   * after a seek places what follows. */
  GstSegment *segment = &GST_BASE_SRC (self)->segment;
  if (priv->first_buffer && segment->format != GST_FORMAT_TIME
      && GST_CLOCK_TIME_IS_VALID (stream_duration (self))) {
    GST_OBJECT_LOCK (self);
    gst_segment_init (segment, GST_FORMAT_TIME);
    GST_OBJECT_UNLOCK (self);
  }
  if (segment->format == GST_FORMAT_TIME)
    GST_BUFFER_PTS (out) = item.start;
  priv->first_buffer = false;
  GST_BUFFER_OFFSET (out) = static_cast<guint64> (item.sequence);
  GST_LOG_OBJECT (self,
                  "segment %" G_GINT64_FORMAT ": %" G_GSIZE_FORMAT " bytes",
                  item.sequence, gst_buffer_get_size (out));
  *buffer = out;
  return GST_FLOW_OK;
}

/* GstURIHandler */

static GstURIType
gst_p2p_hls_src_uri_get_type (GType type)
{
  return GST_URI_SRC;
}

static const gchar *const *
gst_p2p_hls_src_uri_get_protocols (GType type)
{
  return uri_protocols;
}

static gchar *
gst_p2p_hls_src_uri_get_uri (GstURIHandler *handler)
{
  auto self = GST_P2P_HLS_SRC (handler);
  GST_OBJECT_LOCK (self);
  gchar *uri
      = self->priv->location.empty ()
            ? nullptr
            : g_strconcat ("p2phls+", self->priv->location.c_str (), nullptr);
  GST_OBJECT_UNLOCK (self);
  return uri;
}

static gboolean
gst_p2p_hls_src_uri_set_uri (GstURIHandler *handler, const gchar *uri,
                             GError **error)
{
  return gst_p2p_hls_src_set_location (GST_P2P_HLS_SRC (handler), uri, error);
}

static void
gst_p2p_hls_src_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = (GstURIHandlerInterface *)g_iface;
  iface->get_type = gst_p2p_hls_src_uri_get_type;
  iface->get_protocols = gst_p2p_hls_src_uri_get_protocols;
  iface->get_uri = gst_p2p_hls_src_uri_get_uri;
  iface->set_uri = gst_p2p_hls_src_uri_set_uri;
}
