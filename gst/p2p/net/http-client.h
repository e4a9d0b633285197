/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HTTP GET of playlists and segments as the engine sees it: requests,
 * progress, results and the HttpClient seam that HttpFetcher (libsoup) and
 * the simulator's origin implement.
 */
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <glib.h>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::net {

struct HttpByteRange
{
  guint64 offset = 0;
  guint64 length = 0;
};

struct HttpProgress
{
  /* Body bytes received so far in the current attempt. */
  gsize received = 0;
  /* Content-Length of the current attempt, -1 when unknown. */
  gint64 expected = -1;
  /* 1 for the first attempt, 2 for the first retry, ... */
  guint attempt = 1;
  /* The @received body bytes of this attempt as the server sent them
   * (a Range the server ignored not cut out yet). Valid during the
   * callback only. */
  const guint8 *body = nullptr;
};

using HttpProgressCallback = std::function<void (const HttpProgress &)>;

struct HttpRequest
{
  std::string url;
  /* Only these bytes of the resource (EXT-X-BYTERANGE; length > 0). A server
   * that ignores Range and answers 200 still works: the range is cut out. */
  std::optional<HttpByteRange> range;
  /* Per-request overrides of the fetcher's options. */
  std::optional<gsize> max_body_size;
  std::optional<std::vector<std::string>> accepted_content_types;
  /* Called on the engine thread when the response headers arrive
   * (received = 0) and after every chunk of body. It may cancel the fetch. */
  HttpProgressCallback on_progress;
};

struct HttpResult
{
  /* nullptr on success, otherwise GST_P2P_ERROR: HTTP_STATUS, NETWORK,
   * TIMEOUT, BAD_CONTENT (truncated, wrong content type, too big) or FAILED
   * (unusable URL). */
  GErrorPtr error;
  /* Status of the last response, 0 if none arrived. */
  guint status = 0;
  std::string content_type;
  /* The URL the body came from, after redirects. */
  std::string final_url;
  /* The body on success (never nullptr then, maybe empty). */
  GBytesPtr body;
  /* Body bytes received in the last attempt. */
  gsize bytes = 0;
  guint attempts = 0;
  /* From fetch() to the callback, retries and backoff included. */
  gint64 elapsed_us = 0;
  /* Of the last attempt: request sent to headers received, and headers to
   * last body byte (throughput = bytes / download_us). */
  gint64 latency_us = 0;
  gint64 download_us = 0;

  bool
  ok () const
  {
    return !error;
  }
};

using HttpFetchCallback = std::function<void (HttpResult result)>;

/* What an HttpClient implementation keeps for one fetch. */
class HttpFetchControl
{
public:
  virtual ~HttpFetchControl () = default;
  virtual void cancel () = 0;
  virtual bool active () const = 0;
};

/* A fetch in flight. Copyable; dropping it does not cancel. Engine thread
 * only. */
class HttpFetch
{
public:
  HttpFetch () = default;
  explicit HttpFetch (std::weak_ptr<HttpFetchControl> control)
      : control_ (std::move (control))
  {
  }

  /* Stops the transfer; its callbacks are never called afterwards. No-op when
   * the fetch already completed or was cancelled. */
  void
  cancel ()
  {
    if (auto control = control_.lock ())
      control->cancel ();
  }
  /* True until the callback has run or the fetch was cancelled. */
  bool
  active () const
  {
    auto control = control_.lock ();
    return control && control->active ();
  }

private:
  std::weak_ptr<HttpFetchControl> control_;
};

/* The HTTP seam (DESIGN.md §3a): GET with Range, for playlists and
 * segments. Production: HttpFetcher (libsoup 3); simulation: an origin
 * behind a simulated link (sim/). Engine thread only. */
class HttpClient
{
public:
  virtual ~HttpClient () = default;

  /* Starts a GET. @callback runs exactly once on the engine thread, never
   * from within fetch() itself, unless the fetch is cancelled first. */
  virtual HttpFetch fetch (HttpRequest request, HttpFetchCallback callback) = 0;
  HttpFetch fetch (const std::string &url, HttpFetchCallback callback);
};

} // namespace p2p::net
