/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Whole-swarm tests on loopback: a broadcaster pipeline (live noise, which
 * x264enc turns into its full 1.2 Mbit/s, → mpegtsmux → p2pswarmsink) and
 * viewer pipelines (p2phlssrc → fakesink). The broadcaster's
 * `p2p-segment-added` messages give each segment's SHA-256 (and its file
 * gives the bytes); a pad probe on each viewer records every buffer it
 * outputs (one per segment, offset = media sequence). Everything is read
 * back through the elements' `stats`, no log parsing. Blocking calls, for
 * the test thread.
 */
#pragma once

#include <gst/gst.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <glib/gstdio.h>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::test {

inline gint64
now_ms ()
{
  return g_get_monotonic_time () / 1000;
}

struct PublishedSegment
{
  int64_t sequence = -1;
  std::string sha256;
  guint64 size = 0;
  std::shared_ptr<GBytes> data;
  gint64 time_ms = 0;
};

/* The counters of p2phlssrc's `stats`. */
struct ViewerCounters
{
  guint64 http_bytes = 0;
  guint64 http_segments = 0;
  guint64 peer_bytes = 0;
  guint64 peer_segments = 0;
  guint64 relayed_bytes_arriving = 0;
  guint64 uploaded_bytes = 0;
  guint peers = 0;
  guint64 peer_sessions = 0;
  guint64 peer_connections = 0;
  guint64 stalls = 0;
  guint64 stall_time = 0;
  guint64 segments_skipped = 0;
  guint64 peers_banned = 0;
  guint64 hash_mismatches = 0;
  std::string peer_id;
  std::string swarm_id;

  static ViewerCounters
  from (const GstStructure *s)
  {
    ViewerCounters c;
    auto u64 = [s] (const char *field) {
      guint64 v = 0;
      gst_structure_get_uint64 (s, field, &v);
      return v;
    };
    c.http_bytes = u64 ("http-bytes");
    c.http_segments = u64 ("http-segments");
    c.peer_bytes = u64 ("peer-bytes");
    c.peer_segments = u64 ("peer-segments");
    c.relayed_bytes_arriving = u64 ("relayed-bytes-arriving");
    c.uploaded_bytes = u64 ("uploaded-bytes");
    gst_structure_get_uint (s, "peers", &c.peers);
    c.peer_sessions = u64 ("peer-sessions");
    c.peer_connections = u64 ("peer-connections");
    c.stalls = u64 ("stalls");
    c.stall_time = u64 ("stall-time");
    c.segments_skipped = u64 ("segments-skipped");
    c.peers_banned = u64 ("peers-banned");
    c.hash_mismatches = u64 ("hash-mismatches");
    if (const gchar *id = gst_structure_get_string (s, "peer-id"))
      c.peer_id = id;
    if (const gchar *id = gst_structure_get_string (s, "swarm-id"))
      c.swarm_id = id;
    return c;
  }
};

/* Records the first error a pipeline posts; drops every other message,
 * handing element messages to @on_element first. */
class PipelineWatch
{
public:
  std::function<void (const GstStructure *s)> on_element;

  void
  attach (GstElement *pipeline)
  {
    GstBus *bus = gst_element_get_bus (pipeline);
    gst_bus_set_sync_handler (bus, &PipelineWatch::on_message, this, nullptr);
    gst_object_unref (bus);
  }

  void
  detach (GstElement *pipeline)
  {
    GstBus *bus = gst_element_get_bus (pipeline);
    gst_bus_set_sync_handler (bus, nullptr, nullptr, nullptr);
    gst_object_unref (bus);
  }

  std::string
  error () const
  {
    std::lock_guard<std::mutex> lock (mutex_);
    return error_;
  }

private:
  static GstBusSyncReply
  on_message (GstBus *, GstMessage *msg, gpointer data)
  {
    auto self = static_cast<PipelineWatch *> (data);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR) {
      GError *err = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error (msg, &err, &debug);
      std::lock_guard<std::mutex> lock (self->mutex_);
      if (self->error_.empty ())
        self->error_ = std::string (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)))
                       + ": " + err->message + " (" + (debug ? debug : "")
                       + ")";
      g_error_free (err);
      g_free (debug);
    } else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT
               && self->on_element) {
      self->on_element (gst_message_get_structure (msg));
    }
    /* Dropping is ours to unref: a message holds its source element. */
    gst_message_unref (msg);
    return GST_BUS_DROP;
  }

  mutable std::mutex mutex_;
  std::string error_;
};

/* The broadcaster. Segment files go to a temporary directory, removed at
 * the end. */
class Broadcast
{
public:
  /* Called on the streaming thread for each segment, after it was
   * recorded. */
  std::function<void (const PublishedSegment &segment)> on_segment;

  /* @sink_properties: e.g. "tracker-port=0" or "trackers=ws://…";
   * @muxer: mpegtsmux, or mp4mux with a fragment-duration for fragmented
   * MP4. */
  explicit Broadcast (const std::string &sink_properties,
                      const std::string &muxer = "mpegtsmux")
  {
    GError *error = nullptr;
    dir_ = g_dir_make_tmp ("p2p-swarm-test-XXXXXX", &error);
    g_assert_no_error (error);
    gchar *description = g_strdup_printf (
        "videotestsrc is-live=true pattern=snow ! "
        "video/x-raw,width=320,height=240,framerate=25/1 ! "
        "x264enc tune=zerolatency speed-preset=ultrafast bitrate=1200 "
        "key-int-max=25 ! %s ! p2pswarmsink name=sink http-port=0 "
        "ice-addresses=127.0.0.1 target-duration=2 stats-interval=0 "
        "location=%s/segment%%05d.ts playlist-location=%s/playlist.m3u8 %s",
        muxer.c_str (), dir_, dir_, sink_properties.c_str ());
    pipeline_ = gst_parse_launch (description, &error);
    g_free (description);
    g_assert_no_error (error);
    sink_ = gst_bin_get_by_name (GST_BIN (pipeline_), "sink");
    watch_.on_element = [this] (const GstStructure *s) { on_element (s); };
    watch_.attach (pipeline_);
  }

  ~Broadcast ()
  {
    stop ();
    watch_.detach (pipeline_);
    gst_object_unref (sink_);
    gst_object_unref (pipeline_);
    if (GDir *d = g_dir_open (dir_, 0, nullptr)) {
      while (const gchar *name = g_dir_read_name (d)) {
        gchar *path = g_build_filename (dir_, name, nullptr);
        g_unlink (path);
        g_free (path);
      }
      g_dir_close (d);
    }
    g_rmdir (dir_);
    g_free (dir_);
  }

  bool
  start ()
  {
    return gst_element_set_state (pipeline_, GST_STATE_PLAYING)
           != GST_STATE_CHANGE_FAILURE;
  }

  void
  stop ()
  {
    gst_element_set_state (pipeline_, GST_STATE_NULL);
  }

  GstElement *
  sink () const
  {
    return sink_;
  }

  std::string
  playlist_url () const
  {
    gint port = 0;
    g_object_get (sink_, "http-port", &port, nullptr);
    return "http://127.0.0.1:" + std::to_string (port) + "/playlist.m3u8";
  }

  std::string
  embedded_tracker_url () const
  {
    gint port = 0;
    g_object_get (sink_, "tracker-port", &port, nullptr);
    return "ws://127.0.0.1:" + std::to_string (port);
  }

  bool
  wait_published (size_t count, guint timeout_ms)
  {
    std::unique_lock<std::mutex> lock (mutex_);
    return cond_.wait_for (lock, std::chrono::milliseconds (timeout_ms),
                           [&] { return published_.size () >= count; });
  }

  std::map<int64_t, PublishedSegment>
  published () const
  {
    std::lock_guard<std::mutex> lock (mutex_);
    return published_;
  }

  int64_t
  last_sequence () const
  {
    std::lock_guard<std::mutex> lock (mutex_);
    return published_.empty () ? -1 : published_.rbegin ()->first;
  }

  std::string
  error () const
  {
    return watch_.error ();
  }

  /* The sink's `stats` counters. */
  guint64
  stat (const char *field) const
  {
    GstStructure *s = nullptr;
    g_object_get (sink_, "stats", &s, nullptr);
    guint64 v = 0;
    if (s) {
      gst_structure_get_uint64 (s, field, &v);
      gst_structure_free (s);
    }
    return v;
  }

private:
  void
  on_element (const GstStructure *s)
  {
    if (!gst_structure_has_name (s, "p2p-segment-added"))
      return;
    PublishedSegment seg;
    gst_structure_get_int64 (s, "sequence", &seg.sequence);
    gst_structure_get_uint64 (s, "size", &seg.size);
    seg.sha256 = gst_structure_get_string (s, "sha256");
    seg.time_ms = now_ms ();
    gchar *contents = nullptr;
    gsize length = 0;
    if (g_file_get_contents (gst_structure_get_string (s, "location"),
                             &contents, &length, nullptr))
      seg.data.reset (g_bytes_new_take (contents, length), g_bytes_unref);
    {
      std::lock_guard<std::mutex> lock (mutex_);
      published_[seg.sequence] = seg;
      cond_.notify_all ();
    }
    if (on_segment)
      on_segment (seg);
  }

  gchar *dir_ = nullptr;
  GstElement *pipeline_ = nullptr;
  GstElement *sink_ = nullptr;
  PipelineWatch watch_;
  mutable std::mutex mutex_;
  std::condition_variable cond_;
  std::map<int64_t, PublishedSegment> published_;
};

struct ReceivedSegment
{
  int64_t sequence = -1;
  std::string sha256;
  gsize size = 0;
  bool discont = false;
  gint64 time_ms = 0;
};

/* One viewer: p2phlssrc ! fakesink. */
class ViewerPipeline
{
public:
  ViewerPipeline (const std::string &name, const std::string &url,
                  const std::string &trackers,
                  const std::string &extra_properties = "")
      : name_ (name)
  {
    std::string description = "p2phlssrc name=src location=" + url
                              + " trackers=" + trackers
                              + " ice-addresses=127.0.0.1 stats-interval=0 "
                              + extra_properties + " ! fakesink sync=false";
    GError *error = nullptr;
    pipeline_ = gst_parse_launch (description.c_str (), &error);
    g_assert_no_error (error);
    source_ = gst_bin_get_by_name (GST_BIN (pipeline_), "src");
    GstPad *pad = gst_element_get_static_pad (source_, "src");
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER,
                       &ViewerPipeline::on_buffer, this, nullptr);
    gst_object_unref (pad);
    watch_.attach (pipeline_);
  }

  ~ViewerPipeline ()
  {
    stop ();
    watch_.detach (pipeline_);
    gst_object_unref (source_);
    gst_object_unref (pipeline_);
  }

  const std::string &
  name () const
  {
    return name_;
  }

  void
  start ()
  {
    started_ms_ = now_ms ();
    gst_element_set_state (pipeline_, GST_STATE_PLAYING);
  }

  /* Takes the last counters, then goes to NULL (which resets them). */
  void
  stop ()
  {
    if (stopped_)
      return;
    final_ = counters ();
    gst_element_set_state (pipeline_, GST_STATE_NULL);
    stopped_ = true;
  }

  bool
  stopped () const
  {
    return stopped_;
  }

  gint64
  started_ms () const
  {
    return started_ms_;
  }

  ViewerCounters
  counters () const
  {
    if (stopped_)
      return final_;
    GstStructure *s = nullptr;
    g_object_get (source_, "stats", &s, nullptr);
    ViewerCounters c = ViewerCounters::from (s);
    gst_structure_free (s);
    return c;
  }

  std::vector<ReceivedSegment>
  received () const
  {
    std::lock_guard<std::mutex> lock (mutex_);
    return received_;
  }

  /* Segments output since @since_ms. */
  size_t
  received_since (gint64 since_ms) const
  {
    std::lock_guard<std::mutex> lock (mutex_);
    size_t n = 0;
    for (const ReceivedSegment &r : received_)
      n += r.time_ms >= since_ms ? 1 : 0;
    return n;
  }

  std::string
  error () const
  {
    return watch_.error ();
  }

private:
  /* A segment comes in one buffer, or in several with its number when it
   * was streamed while downloading: those add up to one record. */
  static GstPadProbeReturn
  on_buffer (GstPad *, GstPadProbeInfo *info, gpointer data)
  {
    auto self = static_cast<ViewerPipeline *> (data);
    GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
    const bool discont
        = GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DISCONT);
    std::lock_guard<std::mutex> lock (self->mutex_);
    /* An initialisation section (fMP4) has no number: its discontinuity
     * is the next segment's. */
    if (GST_BUFFER_OFFSET (buffer) == GST_BUFFER_OFFSET_NONE) {
      self->init_discont_ = self->init_discont_ || discont;
      return GST_PAD_PROBE_OK;
    }
    const auto sequence = static_cast<int64_t> (GST_BUFFER_OFFSET (buffer));
    if (self->received_.empty ()
        || self->received_.back ().sequence != sequence) {
      ReceivedSegment r;
      r.sequence = sequence;
      r.discont = discont || std::exchange (self->init_discont_, false);
      self->received_.push_back (std::move (r));
      g_checksum_reset (self->checksum_.get ());
    }
    ReceivedSegment &r = self->received_.back ();
    r.size += gst_buffer_get_size (buffer);
    r.time_ms = now_ms ();
    GstMapInfo map;
    if (gst_buffer_map (buffer, &map, GST_MAP_READ)) {
      g_checksum_update (self->checksum_.get (), map.data, map.size);
      gst_buffer_unmap (buffer, &map);
    }
    std::unique_ptr<GChecksum, decltype (&g_checksum_free)> so_far (
        g_checksum_copy (self->checksum_.get ()), g_checksum_free);
    r.sha256 = g_checksum_get_string (so_far.get ());
    return GST_PAD_PROBE_OK;
  }

  std::string name_;
  GstElement *pipeline_ = nullptr;
  GstElement *source_ = nullptr;
  PipelineWatch watch_;
  mutable std::mutex mutex_;
  std::vector<ReceivedSegment> received_;
  bool init_discont_ = false;
  /* Of the bytes of received_.back () so far. */
  std::unique_ptr<GChecksum, decltype (&g_checksum_free)> checksum_{
    g_checksum_new (G_CHECKSUM_SHA256), g_checksum_free
  };
  gint64 started_ms_ = 0;
  bool stopped_ = false;
  ViewerCounters final_;
};

/* Empty if @viewer output a gap-free run of published segments, each byte
 * for byte as published (by SHA-256), in order, one DISCONT at the start,
 * ending no earlier than @min_last; else the first problem. */
inline std::string
check_segments (const ViewerPipeline &viewer,
                const std::map<int64_t, PublishedSegment> &published,
                int64_t min_last)
{
  std::vector<ReceivedSegment> got = viewer.received ();
  const std::string who = viewer.name () + ": ";
  if (got.empty ())
    return who + "no segment";
  for (size_t i = 0; i < got.size (); i++) {
    const ReceivedSegment &r = got[i];
    const std::string at = who + "segment " + std::to_string (r.sequence);
    if (i > 0 && r.sequence != got[i - 1].sequence + 1)
      return at + " follows " + std::to_string (got[i - 1].sequence);
    if (r.discont != (i == 0))
      return at + (r.discont ? " marked DISCONT" : " first, without DISCONT");
    auto p = published.find (r.sequence);
    if (p == published.end ())
      return at + " was never published";
    if (r.size != p->second.size || r.sha256 != p->second.sha256)
      return at + " differs from the published one (" + std::to_string (r.size)
             + " bytes, sha256 " + r.sha256 + " instead of "
             + std::to_string (p->second.size) + " bytes, " + p->second.sha256
             + ")";
  }
  if (got.back ().sequence < min_last)
    return who + "ended at " + std::to_string (got.back ().sequence)
           + ", expected at least " + std::to_string (min_last);
  return {};
}

} // namespace p2p::test

/* GST_CHECK_MAIN for a suite whose unchecked fixture runs the broadcast in
 * this process and whose tests only read its results.
 * - The tests run here too, not in one forked child each (check's
 *   default): forking copies a process whose GStreamer streaming threads
 *   are still ending after their pipelines stopped, each freeing its
 *   thread-local GSlice and OpenSSL state under process-wide locks; a child
 *   forked while one is held can never take it, and hangs in exit () (seen
 *   in g_slice_free1 under gst_deinit, and in OPENSSL_cleanup).
 * - Idle pool threads stay parked instead of ending after a while. exit ()
 *   may run while other threads still end: the engine keeps OpenSSL's state
 *   until the process ends (engine-thread.cpp), so no exit handler frees it
 *   under their feet any more. */
#define P2P_SWARM_CHECK_MAIN(name)                                             \
  int main (int argc, char **argv)                                             \
  {                                                                            \
    g_setenv ("CK_FORK", "no", TRUE);                                          \
    g_thread_pool_set_max_unused_threads (-1);                                 \
    g_thread_pool_set_max_idle_time (0);                                       \
    gst_check_init (&argc, &argv);                                             \
    int failed = gst_check_run_suite (name##_suite (), #name, __FILE__);       \
    return failed;                                                             \
  }
