/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "origin.h"

#include <algorithm>

#include "gst/p2p/common/error.h"

namespace p2p::sim {

namespace {

/* The body crosses the links in pieces this big, each reported as
 * progress. */
constexpr gsize kPieceBytes = 64 * 1024;

bool
is_playlist (const std::string &path)
{
  return g_str_has_suffix (path.c_str (), ".m3u8");
}

} // namespace

/* One GET: request to the origin, body back in pieces. */
class OriginTransfer : public net::HttpFetchControl,
                       public std::enable_shared_from_this<OriginTransfer>
{
public:
  OriginTransfer (Origin &origin, Host &client, net::HttpRequest request,
                  net::HttpFetchCallback callback)
      : origin_ (origin), client_ (client), request_ (std::move (request)),
        callback_ (std::move (callback)),
        started_ (origin.network_.loop ().now ())
  {
  }

  ~OriginTransfer () override { release (); }

  void
  start ()
  {
    std::weak_ptr<OriginTransfer> weak = shared_from_this ();
    Network &network = origin_.network_;
    network.loop ().call_later (network.delay (client_, origin_.host_), [weak] {
      if (auto self = weak.lock ())
        self->on_request ();
    });
  }

  void
  cancel () override
  {
    active_ = false;
    release ();
    callback_ = nullptr;
    self_.reset ();
  }
  bool
  active () const override
  {
    return active_;
  }

  /* Alive until done or cancelled. */
  std::shared_ptr<OriginTransfer> self_;

private:
  void
  on_request ()
  {
    if (!active_)
      return;
    const std::string path = path_of (request_.url);
    const bool playlist = is_playlist (path);
    auto it = origin_.content_.find (path);
    if (it == origin_.content_.end ()) {
      origin_.stats_.not_found++;
      respond_error (404);
      return;
    }
    const BytesRef &content = it->second;
    gsize offset = 0, length = content.size ();
    if (request_.range) {
      offset = std::min<gsize> (request_.range->offset, content.size ());
      length
          = std::min<gsize> (request_.range->length, content.size () - offset);
    }
    body_ = BytesRef::adopt (
        g_bytes_new_from_bytes (content.get (), offset, length));
    (playlist ? origin_.stats_.playlist_requests
              : origin_.stats_.segment_requests)++;
    (playlist ? origin_.stats_.playlist_bytes : origin_.stats_.segment_bytes)
        += length;
    content_type_ = playlist ? "application/vnd.apple.mpegurl" : "video/mp2t";
    /* The headers go first, on their own: they are back after one way. */
    headers_at_ = origin_.network_.loop ().now ()
                  + origin_.network_.delay (origin_.host_, client_);

    std::weak_ptr<OriginTransfer> weak = shared_from_this ();
    Network &network = origin_.network_;
    up_ = origin_.host_.uplink ().open (
        [weak, &network, client = &client_, origin = &origin_.host_] (Unit u) {
          network.loop ().call_later (network.delay (*origin, *client),
                                      [weak, u] () mutable {
                                        if (auto self = weak.lock ())
                                          self->on_crossed (std::move (u));
                                      });
        });
    down_ = client_.downlink ().open ([weak] (Unit u) {
      if (auto self = weak.lock ()) {
        self->client_.acknowledge (u.size, wire::kTcpSegment,
                                   wire::kTcpHeaders);
        self->on_piece (u.size);
      }
    });
    if (length == 0) {
      /* Nothing to send: the headers still take their way back. */
      origin_.host_.uplink ().send (up_, Unit{ BytesRef (), 0 });
      return;
    }
    for (gsize at = 0; at < length; at += kPieceBytes) {
      const gsize piece = std::min (kPieceBytes, length - at);
      const gsize headers
          = network.wire_costs ()
                ? wire::packets (piece, wire::kTcpSegment) * wire::kTcpHeaders
                : 0;
      origin_.host_.uplink ().send (up_, Unit{ BytesRef (), piece, headers });
    }
  }

  void
  on_crossed (Unit unit)
  {
    if (active_ && down_)
      client_.downlink ().send (down_, std::move (unit));
  }

  void
  on_piece (gsize size)
  {
    if (!active_)
      return;
    received_ += size;
    const gsize total = body_.size ();
    if (request_.on_progress) {
      net::HttpProgress progress;
      progress.received = received_;
      progress.expected = gint64 (total);
      progress.body = body_.data ();
      request_.on_progress (progress);
      if (!active_)
        return;
    }
    if (received_ < total)
      return;
    net::HttpResult result;
    result.status = 200;
    result.content_type = content_type_;
    result.final_url = request_.url;
    result.body.reset (g_bytes_ref (body_.get ()));
    result.bytes = total;
    result.attempts = 1;
    const GstClockTime now = origin_.network_.loop ().now ();
    result.elapsed_us = gint64 (now - started_) / GST_USECOND;
    /* As the production fetcher says them: what throughput is made of. */
    result.latency_us = gint64 (headers_at_ - started_) / GST_USECOND;
    result.download_us
        = gint64 (now > headers_at_ ? now - headers_at_ : 0) / GST_USECOND;
    finish (std::move (result));
  }

  void
  respond_error (guint status)
  {
    std::weak_ptr<OriginTransfer> weak = shared_from_this ();
    Network &network = origin_.network_;
    network.loop ().call_later (
        network.delay (origin_.host_, client_), [weak, status] {
          auto self = weak.lock ();
          if (!self || !self->active_)
            return;
          net::HttpResult result;
          result.status = status;
          result.final_url = self->request_.url;
          result.attempts = 1;
          result.error.reset (
              g_error_new (GST_P2P_ERROR, GST_P2P_ERROR_HTTP_STATUS,
                           "%s: HTTP %u %s", self->request_.url.c_str (),
                           status, status == 404 ? "Not Found" : "Error"));
          self->finish (std::move (result));
        });
  }

  void
  finish (net::HttpResult result)
  {
    active_ = false;
    release ();
    net::HttpFetchCallback callback = std::move (callback_);
    auto keep = std::move (self_);
    if (callback)
      callback (std::move (result));
  }

  void
  release ()
  {
    if (up_)
      origin_.host_.uplink ().close (std::exchange (up_, nullptr));
    if (down_)
      client_.downlink ().close (std::exchange (down_, nullptr));
  }

  static std::string
  path_of (const std::string &url)
  {
    const std::string base = Origin::kBaseUrl;
    std::string path = url.compare (0, base.size (), base) == 0
                           ? url.substr (base.size ())
                           : url;
    const size_t query = path.find ('?');
    return query == std::string::npos ? path : path.substr (0, query);
  }

  Origin &origin_;
  Host &client_;
  net::HttpRequest request_;
  net::HttpFetchCallback callback_;
  const GstClockTime started_;
  GstClockTime headers_at_ = 0;
  bool active_ = true;
  BytesRef body_;
  std::string content_type_;
  gsize received_ = 0;
  Flow *up_ = nullptr;
  Flow *down_ = nullptr;
};

/* A viewer's client: cancels what it started when it goes, as libsoup's
 * session does. */
class OriginClient : public net::HttpClient
{
public:
  OriginClient (Origin &origin, Host &host) : origin_ (origin), host_ (host) {}

  ~OriginClient () override
  {
    for (auto &weak : transfers_)
      if (auto transfer = weak.lock ())
        transfer->cancel ();
  }

  net::HttpFetch
  fetch (net::HttpRequest request, net::HttpFetchCallback callback) override
  {
    auto transfer = std::make_shared<OriginTransfer> (
        origin_, host_, std::move (request), std::move (callback));
    transfer->self_ = transfer;
    transfer->start ();
    transfers_.erase (
        std::remove_if (transfers_.begin (), transfers_.end (),
                        [] (const auto &w) { return w.expired (); }),
        transfers_.end ());
    transfers_.push_back (transfer);
    return net::HttpFetch (transfer);
  }

private:
  Origin &origin_;
  Host &host_;
  std::vector<std::weak_ptr<OriginTransfer>> transfers_;
};

Origin::Origin (Network &network, Host &host) : network_ (network), host_ (host)
{
}

broadcaster::OriginSink
Origin::sink ()
{
  broadcaster::OriginSink sink;
  sink.publish = [this] (const std::string &path, GBytes *bytes) {
    publish (path, bytes);
  };
  sink.remove = [this] (const std::string &path) { remove (path); };
  return sink;
}

void
Origin::publish (const std::string &path, GBytes *bytes)
{
  content_[path] = BytesRef (bytes);
}

void
Origin::remove (const std::string &path)
{
  content_.erase (path);
}

std::unique_ptr<net::HttpClient>
Origin::client (Host &host)
{
  return std::make_unique<OriginClient> (*this, host);
}

} // namespace p2p::sim
