/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * HTTP GET of playlists and segments for the viewer engine (DESIGN.md §3),
 * on libsoup 3. One fetcher owns one SoupSession and lives on the engine
 * thread: it is created, used and destroyed on the thread whose
 * thread-default GMainContext it captured at construction, and every callback
 * runs there. The HTTP controls mirror souphttpsrc's properties (user-agent,
 * extra-headers, timeout, retries, retry-backoff-factor, retry-backoff-max).
 */
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include <libsoup/soup.h>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::net {

struct HttpFetcherOptions
{
  std::string user_agent = "gst-p2p";
  /* Appended to every request, in order (name, value). */
  std::vector<std::pair<std::string, std::string>> extra_headers;
  /* Fail an attempt when no byte (headers or body) arrives for this long,
   * like souphttpsrc's `timeout` but in milliseconds; 0 = never. */
  std::chrono::milliseconds timeout = std::chrono::seconds (15);
  /* Extra attempts after the first on transient failures; -1 = unlimited. */
  int retries = 3;
  /* Wait before retry n (1-based): factor * 2^(n-1) seconds, at most
   * retry_backoff_max. A live segment has a deadline of a few seconds, so the
   * defaults are shorter than souphttpsrc's 60 s maximum. 0 = retry at once. */
  double retry_backoff_factor = 0.25;
  double retry_backoff_max = 4.0;
  /* Bodies above this size are refused (BAD_CONTENT); 0 = no limit. */
  gsize max_body_size = 64 * 1024 * 1024;
  /* Media types accepted in Content-Type (parameters ignored, case
   * insensitive); empty = any. */
  std::vector<std::string> accepted_content_types;
  /* Parallel connections to one origin; libsoup's default is 2, too few for
   * segments fetched in parallel with playlist refreshes. */
  int max_connections_per_host = 6;
  /* Proxy URI for every request; empty = direct connections. The system or
   * environment proxy settings are used only when use_system_proxy is set,
   * so that nothing in a test leaves the loopback by accident. */
  std::string proxy;
  bool use_system_proxy = false;
};

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

class HttpTransfer;

/* A fetch in flight. Copyable; dropping it does not cancel. Engine thread
 * only. */
class HttpFetch
{
public:
  HttpFetch () = default;

  /* Stops the transfer; its callbacks are never called afterwards. No-op when
   * the fetch already completed or was cancelled. */
  void cancel ();
  /* True until the callback has run or the fetch was cancelled. */
  bool active () const;

private:
  friend class HttpFetcher;
  explicit HttpFetch (std::weak_ptr<HttpTransfer> transfer)
      : transfer_ (std::move (transfer))
  {
  }

  std::weak_ptr<HttpTransfer> transfer_;
};

class HttpFetcher
{
public:
  explicit HttpFetcher (HttpFetcherOptions options = {});
  /* Cancels every fetch in flight without calling its callback. */
  ~HttpFetcher ();

  HttpFetcher (const HttpFetcher &) = delete;
  HttpFetcher &operator= (const HttpFetcher &) = delete;

  /* Starts a GET. @callback runs exactly once on the engine thread, never
   * from within fetch() itself, unless the fetch is cancelled first. */
  HttpFetch fetch (HttpRequest request, HttpFetchCallback callback);
  HttpFetch fetch (const std::string &url, HttpFetchCallback callback);

  const HttpFetcherOptions &
  options () const
  {
    return options_;
  }
  /* Fetches started and not yet completed or cancelled. */
  gsize
  active_count () const
  {
    return transfers_.size ();
  }

private:
  friend class HttpTransfer;

  HttpFetcherOptions options_;
  GMainContext *context_ = nullptr;
  GObjectPtr<SoupSession> session_;
  std::unordered_set<std::shared_ptr<HttpTransfer>> transfers_;
};

} // namespace p2p::net
