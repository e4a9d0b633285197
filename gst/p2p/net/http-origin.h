/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The broadcaster's built-in HTTP origin (DESIGN.md §4 p2pswarmsink): a
 * libsoup 3 SoupServer serving a live HLS stream from memory. Browsers load
 * the stream from pages on other origins, so every answer carries
 * `Access-Control-Allow-Origin: *` and CORS preflights are answered. GET and
 * HEAD are served, byte ranges included (libsoup cuts a complete 200 body
 * into a 206 itself); other methods get 405, unknown paths 404.
 *
 * Engine thread only: create, use and destroy it on the thread whose
 * thread-default GMainContext it captured at construction; requests are
 * handled there. Per-kind counters measure origin egress for the benchmarks.
 */
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <libsoup/soup.h>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::net {

enum class OriginResourceKind {
  PLAYLIST,
  SEGMENT,
  OTHER, /* anything else, extra handlers included */
};

struct HttpOriginCounters
{
  guint64 requests = 0;
  /* Body bytes written to sockets (ranges count their length, HEAD 0). */
  guint64 bytes = 0;
};

struct HttpOriginStats
{
  HttpOriginCounters playlist;
  HttpOriginCounters segment;
  HttpOriginCounters other;
  guint64 not_found = 0;
  guint64 method_not_allowed = 0;

  const HttpOriginCounters &of (OriginResourceKind kind) const;
  HttpOriginCounters &of (OriginResourceKind kind);
};

class HttpOrigin
{
public:
  /* Answers one request under a registered prefix: set the status, headers
   * and body of @msg. @path is the request path. CORS headers are already
   * set. */
  using Handler
      = std::function<void (SoupServerMessage *msg, const std::string &path)>;

  HttpOrigin ();
  ~HttpOrigin ();

  HttpOrigin (const HttpOrigin &) = delete;
  HttpOrigin &operator= (const HttpOrigin &) = delete;

  /* Serves https instead of http, with the PEM certificate chain in
   * @certificate_file and its key in @key_file (a page on https may only
   * use wss:// trackers and https resources). Call before listen ().
   * GST_P2P_ERROR_IO if the files cannot be used. */
  bool use_tls (const std::string &certificate_file,
                const std::string &key_file, GError **error);
  bool
  tls () const
  {
    return tls_;
  }

  /* Binds @address (an IPv4 or IPv6 literal; "0.0.0.0"/"::" for all) and
   * @port (0 = any free port). GST_P2P_ERROR_IO on failure. */
  bool listen (const std::string &address, guint16 port, GError **error);
  /* The bound port, 0 before listen(). */
  guint16
  port () const
  {
    return port_;
  }
  /* "http://ADDRESS:PORT" ("https://" with TLS), the IPv6 address in
   * brackets. */
  std::string base_url () const;

  /* Serves @body (a new reference is taken; in-flight answers keep the old
   * one) at @path, which starts with '/'. An empty @content_type is derived
   * from the extension; an empty @cache_control is "no-cache" for playlists
   * and left out otherwise. */
  void publish (const std::string &path, GBytes *body,
                const std::string &content_type = {},
                const std::string &cache_control = {});
  /* Returns whether @path was published. */
  bool remove (const std::string &path);
  bool contains (const std::string &path) const;

  /* Routes requests whose path starts with @prefix to @handler; the longest
   * matching prefix wins, published paths go first. */
  void add_handler (const std::string &prefix, Handler handler);

  const HttpOriginStats &
  stats () const
  {
    return *stats_;
  }

  /* application/vnd.apple.mpegurl for .m3u8, video/mp2t for .ts, video/mp4
   * for .mp4, video/iso.segment for .m4s, ...; application/octet-stream when
   * unknown. */
  static std::string content_type_for_path (const std::string &path);
  static OriginResourceKind kind_of_content_type (const std::string &type);

private:
  struct Resource
  {
    GBytesPtr body;
    std::string content_type;
    std::string cache_control;
    OriginResourceKind kind = OriginResourceKind::OTHER;
  };

  static void on_request_cb (SoupServer *server, SoupServerMessage *msg,
                             const char *path, GHashTable *query,
                             gpointer data) noexcept;
  void on_request (SoupServerMessage *msg, const std::string &path);
  void serve_resource (SoupServerMessage *msg, const Resource &resource);
  const Handler *find_handler (const std::string &path) const;
  void count_body_bytes (SoupServerMessage *msg, OriginResourceKind kind);

  GMainContext *context_ = nullptr;
  GObjectPtr<SoupServer> server_;
  std::string address_;
  guint16 port_ = 0;
  bool tls_ = false;
  std::map<std::string, Resource> resources_;
  std::vector<std::pair<std::string, Handler>> handlers_;
  /* Shared with the byte-counting signal closures, which may outlive a
   * request handler. */
  std::shared_ptr<HttpOriginStats> stats_;
};

} // namespace p2p::net
