/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "broadcaster.h"

#include "gst/p2p/broadcaster/broadcaster-core.h"
#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/net/player-page.h"
#include "gst/p2p/packaging/segmenter.h"
#include "gst/p2p/runtime/production-runtime.h"
#include "gst/p2p/swarm/swarm-identity.h"
#include "gst/tracker/server.h"

GST_DEBUG_CATEGORY_STATIC (p2p_broadcaster_debug);
#define GST_CAT_DEFAULT p2p_broadcaster_debug

namespace p2p::broadcaster {

class BroadcasterImpl
{
public:
  BroadcasterImpl (BroadcasterConfig config, Broadcaster::Events events)
      : config_ (std::move (config)), events_ (std::move (events)),
        segmenter_ (packaging::Segmenter::create (
            packaging::Container::MPEG_TS, config_.publisher.target_duration)),
        publisher_ (config_.publisher)
  {
    static gsize debug_init = 0;
    if (g_once_init_enter (&debug_init)) {
      GST_DEBUG_CATEGORY_INIT (p2p_broadcaster_debug, "p2pbroadcaster", 0,
                               "gst-p2p broadcaster");
      g_once_init_leave (&debug_init, 1);
    }
  }

  ~BroadcasterImpl ()
  {
    engine_.invoke_sync ([this] {
      stats_timer_.reset ();
      core_.reset ();
      origin_.reset ();
      runtime_.reset ();
    });
    engine_.stop ();
    if (tracker_)
      tracker_->stop ();
  }

  bool start (GError **error);
  bool set_container (packaging::Container container, GError **error);
  bool push (const guint8 *data, gsize size, GstClockTime timestamp,
             bool key_frame,
             std::optional<packaging::PublishedSegment> *published,
             GError **error);
  bool finish (std::optional<packaging::PublishedSegment> *published,
               GError **error);
  BroadcasterStats stats () const;

  guint16
  http_port () const
  {
    return http_port_;
  }
  guint16
  tracker_port () const
  {
    return tracker_port_;
  }

private:
  bool publish (std::optional<packaging::CutSegment> cut,
                std::optional<packaging::PublishedSegment> *published,
                bool last, GError **error);
  bool start_origin (GError **error);
  bool start_tracker (GError **error);
  bool tls () const;
  std::string public_host () const;
  void serve_player_page (net::PlayerPageConfig page);

  const BroadcasterConfig config_;
  const Broadcaster::Events events_;
  mutable EngineThread engine_{ "p2pbroadcaster" };
  std::unique_ptr<tracker::Server> tracker_;
  guint16 http_port_ = 0;
  guint16 tracker_port_ = 0;
  /* Streaming thread. */
  packaging::Container container_ = packaging::Container::MPEG_TS;
  bool data_pushed_ = false;
  std::unique_ptr<packaging::Segmenter> segmenter_;
  packaging::LivePublisher publisher_;
  GBytes *published_init_ = nullptr; /* owned by segmenter_ */
  std::atomic<guint64> segments_published_{ 0 };
  std::atomic<guint64> bytes_published_{ 0 };
  /* Engine thread. */
  std::unique_ptr<ProductionRuntime> runtime_;
  std::unique_ptr<net::HttpOrigin> origin_;
  std::unique_ptr<BroadcasterCore> core_;
  std::unique_ptr<Timer> stats_timer_;
};

bool
BroadcasterImpl::tls () const
{
  return !config_.tls_certificate_file.empty ();
}

std::string
BroadcasterImpl::public_host () const
{
  /* Peers and browsers reach this host under the address it binds, or the
   * loopback when it binds every address. */
  const std::string &address = config_.http_address;
  std::string host = address == "0.0.0.0" ? "127.0.0.1"
                     : address == "::"    ? "::1"
                                          : address;
  return host.find (':') != std::string::npos ? "[" + host + "]" : host;
}

bool
BroadcasterImpl::start_origin (GError **error)
{
  if (config_.http_port < 0)
    return true;
  bool listening = false;
  engine_.invoke_sync ([&] {
    origin_ = std::make_unique<net::HttpOrigin> ();
    listening
        = (!tls ()
           || origin_->use_tls (config_.tls_certificate_file,
                                config_.tls_key_file, error))
          && origin_->listen (config_.http_address,
                              static_cast<guint16> (config_.http_port), error);
    http_port_ = origin_->port ();
    if (!listening)
      origin_.reset ();
  });
  if (!listening) {
    g_prefix_error (error, "Could not start the HTTP origin on %s:%d: ",
                    config_.http_address.c_str (), config_.http_port);
    return false;
  }
  GST_INFO ("HTTP origin on %s://%s:%u/%s", tls () ? "https" : "http",
            config_.http_address.c_str (), http_port_,
            config_.publisher.playlist_name.c_str ());
  return true;
}

bool
BroadcasterImpl::start_tracker (GError **error)
{
  if (config_.tracker_port < 0)
    return true;
  tracker::ServerConfig tracker_config;
  /* A broadcaster's own tracker: one worker is plenty and leaves the
   * cores to the encoder. */
  tracker_config.workers = 1;
  tracker_config.announce_interval_s = 20;
  tracker_config.tls_certificate_file = config_.tls_certificate_file;
  tracker_config.tls_key_file = config_.tls_key_file;
  tracker_ = std::make_unique<tracker::Server> (tracker_config);
  if (!tracker_->start (config_.http_address,
                        static_cast<guint16> (config_.tracker_port), error)) {
    g_prefix_error (error, "Could not start the tracker on %s:%d: ",
                    config_.http_address.c_str (), config_.tracker_port);
    tracker_.reset ();
    return false;
  }
  tracker_port_ = tracker_->port ();
  return true;
}

void
BroadcasterImpl::serve_player_page (net::PlayerPageConfig page)
{
  /* A missing page is no reason to stop broadcasting: the stream is served
   * all the same. */
  std::string web_root
      = config_.web_root.empty () ? net::find_web_root () : config_.web_root;
  if (web_root.empty ()) {
    GST_INFO ("no player page found, none served");
    return;
  }
  page.playlist = config_.publisher.playlist_name;
  page.playlist_length = config_.publisher.playlist_length;
  page.target_duration = (double)config_.publisher.target_duration / GST_SECOND;
  GErrorOut error;
  if (!net::serve_player_page (*origin_, web_root, page, error.out ())
      && events_.warning)
    events_.warning (std::string ("No player page: ") + error.get ()->message);
}

bool
BroadcasterImpl::start (GError **error)
{
  if (config_.tls_certificate_file.empty () != config_.tls_key_file.empty ()) {
    g_set_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_SETTINGS,
                 "tls-certificate-file and tls-key-file go together: set "
                 "both or neither");
    return false;
  }
  if (!start_origin (error) || !start_tracker (error))
    return false;

  SeederConfig seeder;
  seeder.trackers = config_.trackers;
  seeder.max_upload_peers = config_.max_upload_peers;
  seeder.viewers_per_copy = config_.viewers_per_copy;
  seeder.max_upload_rate = config_.max_upload_rate;
  /* Without a swarm id set, browsers derive it from the playlist URL they
   * load, as p2phlssrc does. */
  net::PlayerPageConfig page;
  page.trackers = config_.trackers;
  page.swarm_id = config_.swarm_id;
  if (tracker_) {
    seeder.trackers.push_back ((tls () ? "wss://" : "ws://") + public_host ()
                               + ":" + std::to_string (tracker_port_));
    /* The page's host is this one, under whatever name the browser used;
     * a page loaded over https may only use wss:// trackers. */
    page.trackers.push_back (
        net::page_host_tracker_url (tracker_port_, tls ()));
  }
  std::string swarm_id = config_.swarm_id;
  if (swarm_id.empty ())
    swarm_id = swarm::swarm_id_from_manifest_url (
        (tls () ? "https://" : "http://") + public_host () + ":"
        + std::to_string (http_port_) + "/" + config_.publisher.playlist_name);
  seeder.stream_swarm_id = swarm::stream_swarm_id (
      swarm_id, swarm::StreamType::MAIN,
      swarm::stream_short_id (swarm::stream_attributes_for_media_playlist ()));
  if (!seeder.trackers.empty ())
    GST_INFO ("seeding swarm %s", seeder.stream_swarm_id.c_str ());

  engine_.invoke_sync ([&] {
    runtime_ = std::make_unique<ProductionRuntime> (
        engine_, net::HttpFetcherOptions (), config_.webrtc);
    /* The seeder reaches its own tracker at an address the certificate
     * need not name: it takes that certificate as it is. */
    if (tls () && tracker_) {
      GErrorOut cert_error;
      GObjectPtr<GTlsCertificate> own (g_tls_certificate_new_from_file (
          config_.tls_certificate_file.c_str (), cert_error.out ()));
      if (own)
        runtime_->trackers ().accept_certificate (own.get ());
    }
    OriginSink sink;
    if (origin_) {
      net::HttpOrigin *origin = origin_.get ();
      sink.publish = [origin] (const std::string &path, GBytes *bytes) {
        origin->publish (path, bytes);
      };
      sink.remove
          = [origin] (const std::string &path) { origin->remove (path); };
      serve_player_page (page);
    }
    core_ = std::make_unique<BroadcasterCore> (
        runtime_->get (), std::move (sink), seeder,
        [] (const std::string &message) {
          GST_DEBUG ("seeder: %s", message.c_str ());
        });
    core_->start ();
    if (config_.stats_interval > 0 && events_.stats) {
      stats_timer_ = std::make_unique<Timer> (runtime_->get ().clock);
      stats_timer_->start_repeating (config_.stats_interval * GST_MSECOND,
                                     [this] { events_.stats (stats ()); });
    }
  });
  return true;
}

bool
BroadcasterImpl::publish (std::optional<packaging::CutSegment> cut,
                          std::optional<packaging::PublishedSegment> *published,
                          bool last, GError **error)
{
  Publication publication;
  bool ok = true;
  if (cut) {
    GBytes *init = segmenter_->init_section ();
    if (init && init != published_init_) {
      ok = publisher_.publish_init_section (init, &publication.origin_changes,
                                            error);
      published_init_ = init;
    }
    packaging::PublishedSegment segment;
    GErrorOut segment_error;
    bool segment_ok = publisher_.publish (std::move (*cut), &segment,
                                          &publication.origin_changes,
                                          ok ? error : segment_error.out ());
    ok = ok && segment_ok;
    segments_published_++;
    bytes_published_ += segment.size;
    publication.sequence = segment.sequence;
    publication.data = ChunkedBytes (segment.data.get ());
    publication.chunk_tree = segment.chunk_tree;
    publication.window_start = publisher_.playlist ().media_sequence;
    *published = std::move (segment);
  }
  if (last) {
    GErrorOut finish_error;
    bool finished = publisher_.finish (&publication.origin_changes,
                                       ok ? error : finish_error.out ());
    ok = ok && finished;
  }
  if (publication.origin_changes.empty ())
    return ok;
  /* The whole publication in one call to the engine thread. */
  auto shared = std::make_shared<Publication> (std::move (publication));
  engine_.post ([this, shared] {
    if (core_)
      core_->publish (*shared);
  });
  return ok;
}

bool
BroadcasterImpl::set_container (packaging::Container container, GError **error)
{
  if (container == container_)
    return true;
  if (data_pushed_) {
    g_set_error_literal (error, GST_P2P_ERROR, GST_P2P_ERROR_BAD_CONTENT,
                         "The stream cannot change from MPEG-TS to MP4 or "
                         "back once it started");
    return false;
  }
  container_ = container;
  segmenter_ = packaging::Segmenter::create (container,
                                             config_.publisher.target_duration);
  publisher_.set_container (container);
  return true;
}

bool
BroadcasterImpl::push (const guint8 *data, gsize size, GstClockTime timestamp,
                       bool key_frame,
                       std::optional<packaging::PublishedSegment> *published,
                       GError **error)
{
  data_pushed_ = true;
  std::optional<packaging::CutSegment> cut;
  if (!segmenter_->push (data, size, timestamp, key_frame, &cut, error))
    return false;
  return !cut || publish (std::move (cut), published, false, error);
}

bool
BroadcasterImpl::finish (std::optional<packaging::PublishedSegment> *published,
                         GError **error)
{
  return publish (segmenter_->finish (), published, true, error);
}

BroadcasterStats
BroadcasterImpl::stats () const
{
  BroadcasterStats stats;
  stats.segments_published = segments_published_;
  stats.bytes_published = bytes_published_;
  engine_.invoke_sync ([&] {
    if (origin_)
      stats.origin = origin_->stats ();
    if (core_)
      stats.seeder = core_->seeder_stats ();
  });
  return stats;
}

Broadcaster::Broadcaster (BroadcasterConfig config, Events events)
    : impl_ (std::make_unique<BroadcasterImpl> (std::move (config),
                                                std::move (events)))
{
}

Broadcaster::~Broadcaster () = default;

bool
Broadcaster::start (GError **error)
{
  return impl_->start (error);
}

guint16
Broadcaster::http_port () const
{
  return impl_->http_port ();
}

guint16
Broadcaster::tracker_port () const
{
  return impl_->tracker_port ();
}

bool
Broadcaster::set_container (packaging::Container container, GError **error)
{
  return impl_->set_container (container, error);
}

bool
Broadcaster::push (const guint8 *data, gsize size, GstClockTime timestamp,
                   bool key_frame,
                   std::optional<packaging::PublishedSegment> *published,
                   GError **error)
{
  return impl_->push (data, size, timestamp, key_frame, published, error);
}

bool
Broadcaster::finish (std::optional<packaging::PublishedSegment> *published,
                     GError **error)
{
  return impl_->finish (published, error);
}

BroadcasterStats
Broadcaster::stats () const
{
  return impl_->stats ();
}

} // namespace p2p::broadcaster
