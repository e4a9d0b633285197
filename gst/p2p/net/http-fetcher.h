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
#include "gst/p2p/net/http-client.h"

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
  /* The certificate authorities https servers (and wss:// trackers) are
   * checked against, like souphttpsrc's tls-database; null = the
   * system's. */
  std::shared_ptr<GTlsDatabase> tls_database;
};

class HttpTransfer;

class HttpFetcher : public HttpClient
{
public:
  explicit HttpFetcher (HttpFetcherOptions options = {});
  /* Cancels every fetch in flight without calling its callback. */
  ~HttpFetcher ();

  HttpFetcher (const HttpFetcher &) = delete;
  HttpFetcher &operator= (const HttpFetcher &) = delete;

  HttpFetch fetch (HttpRequest request, HttpFetchCallback callback) override;
  using HttpClient::fetch;

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
