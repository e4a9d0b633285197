/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "http-origin.h"

#include <cstring>

#include <gst/gst.h>

#include "gst/p2p/common/error.h"

GST_DEBUG_CATEGORY_STATIC (p2p_http_origin_debug);
#define GST_CAT_DEFAULT p2p_http_origin_debug

namespace p2p::net {

namespace {

constexpr const char *kAllowedMethods = "GET, HEAD, OPTIONS";

struct ContentTypeByExtension
{
  const char *extension;
  const char *content_type;
};

/* RFC 8216 §4 for playlists; RFC 8216 §3 and the IANA registry for
 * segments. */
constexpr ContentTypeByExtension kContentTypes[] = {
  { ".m3u8", "application/vnd.apple.mpegurl" },
  { ".ts", "video/mp2t" },
  { ".m4s", "video/iso.segment" },
  { ".mp4", "video/mp4" },
  { ".m4a", "audio/mp4" },
  { ".aac", "audio/aac" },
  { ".vtt", "text/vtt" },
  { ".html", "text/html; charset=utf-8" },
  { ".js", "text/javascript" },
  { ".json", "application/json" },
};

struct BodyByteCounter
{
  std::shared_ptr<HttpOriginStats> stats;
  OriginResourceKind kind;
};

void
set_cors_headers (SoupMessageHeaders *headers)
{
  soup_message_headers_replace (headers, "Access-Control-Allow-Origin", "*");
  /* hls.js reads these on cross-origin byte-range and size checks. */
  soup_message_headers_replace (headers, "Access-Control-Expose-Headers",
                                "Content-Length, Content-Range");
}

void
set_text_response (SoupServerMessage *msg, guint status, const char *text)
{
  soup_server_message_set_status (msg, status, nullptr);
  soup_server_message_set_response (msg, "text/plain; charset=utf-8",
                                    SOUP_MEMORY_STATIC, text, strlen (text));
}

} // namespace

const HttpOriginCounters &
HttpOriginStats::of (OriginResourceKind kind) const
{
  switch (kind) {
  case OriginResourceKind::PLAYLIST:
    return playlist;
  case OriginResourceKind::SEGMENT:
    return segment;
  case OriginResourceKind::OTHER:
    break;
  }
  return other;
}

HttpOriginCounters &
HttpOriginStats::of (OriginResourceKind kind)
{
  return const_cast<HttpOriginCounters &> (
      static_cast<const HttpOriginStats *> (this)->of (kind));
}

HttpOrigin::HttpOrigin ()
    : context_ (g_main_context_ref_thread_default ()),
      stats_ (std::make_shared<HttpOriginStats> ())
{
  static gsize initialized = 0;
  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (p2p_http_origin_debug, "p2phttporigin", 0,
                             "gst-p2p HTTP origin");
    g_once_init_leave (&initialized, 1);
  }
  server_.reset (SOUP_SERVER (
      g_object_new (SOUP_TYPE_SERVER, "server-header", "gst-p2p ", nullptr)));
  soup_server_add_handler (server_.get (), nullptr, &HttpOrigin::on_request_cb,
                           this, nullptr);
}

HttpOrigin::~HttpOrigin ()
{
  soup_server_disconnect (server_.get ());
  server_.reset ();
  g_main_context_unref (context_);
}

bool
HttpOrigin::use_tls (const std::string &certificate_file,
                     const std::string &key_file, GError **error)
{
  g_return_val_if_fail (port_ == 0, false);
  GErrorOut load_error;
  GObjectPtr<GTlsCertificate> certificate (g_tls_certificate_new_from_files (
      certificate_file.c_str (), key_file.c_str (), load_error.out ()));
  if (!certificate) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_IO,
                 "cannot use TLS certificate %s with key %s: %s",
                 certificate_file.c_str (), key_file.c_str (),
                 load_error.get ()->message);
    return false;
  }
  soup_server_set_tls_certificate (server_.get (), certificate.get ());
  tls_ = true;
  return true;
}

bool
HttpOrigin::listen (const std::string &address, guint16 port, GError **error)
{
  g_return_val_if_fail (port_ == 0, false);
  GObjectPtr<GSocketAddress> socket_address (
      g_inet_socket_address_new_from_string (address.c_str (), port));
  if (!socket_address) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_IO,
                 "'%s' is not an IP address", address.c_str ());
    return false;
  }

  GErrorOut listen_error;
  if (!soup_server_listen (server_.get (), socket_address.get (),
                           tls_ ? SOUP_SERVER_LISTEN_HTTPS
                                : (SoupServerListenOptions)0,
                           listen_error.out ())) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_IO,
                 "cannot listen on %s port %u: %s", address.c_str (), port,
                 listen_error.get ()->message);
    return false;
  }

  GSList *listeners = soup_server_get_listeners (server_.get ());
  GObjectPtr<GSocketAddress> bound (listeners ? g_socket_get_local_address (
                                        G_SOCKET (listeners->data), nullptr)
                                              : nullptr);
  g_slist_free (listeners);
  if (!bound) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_IO,
                 "cannot read the bound port on %s", address.c_str ());
    soup_server_disconnect (server_.get ());
    return false;
  }
  address_ = address;
  port_ = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound.get ()));
  GST_INFO ("HTTP origin listening on %s", base_url ().c_str ());
  return true;
}

std::string
HttpOrigin::base_url () const
{
  bool ipv6 = address_.find (':') != std::string::npos;
  return std::string (tls_ ? "https://" : "http://")
         + (ipv6 ? "[" + address_ + "]" : address_) + ":"
         + std::to_string (port_);
}

void
HttpOrigin::publish (const std::string &path, GBytes *body,
                     const std::string &content_type,
                     const std::string &cache_control)
{
  g_return_if_fail (body != nullptr && !path.empty () && path[0] == '/');
  Resource resource;
  resource.body.reset (g_bytes_ref (body));
  resource.content_type
      = content_type.empty () ? content_type_for_path (path) : content_type;
  resource.kind = kind_of_content_type (resource.content_type);
  resource.cache_control = cache_control;
  if (cache_control.empty () && resource.kind == OriginResourceKind::PLAYLIST)
    resource.cache_control = "no-cache";
  resources_[path] = std::move (resource);
}

bool
HttpOrigin::remove (const std::string &path)
{
  return resources_.erase (path) > 0;
}

bool
HttpOrigin::contains (const std::string &path) const
{
  return resources_.count (path) > 0;
}

void
HttpOrigin::add_handler (const std::string &prefix, Handler handler)
{
  handlers_.emplace_back (prefix, std::move (handler));
}

std::string
HttpOrigin::content_type_for_path (const std::string &path)
{
  for (const auto &entry : kContentTypes) {
    if (g_str_has_suffix (path.c_str (), entry.extension))
      return entry.content_type;
  }
  return "application/octet-stream";
}

OriginResourceKind
HttpOrigin::kind_of_content_type (const std::string &type)
{
  const char *t = type.c_str ();
  if (g_ascii_strncasecmp (t, "application/vnd.apple.mpegurl", 29) == 0
      || g_ascii_strncasecmp (t, "application/x-mpegurl", 21) == 0
      || g_ascii_strncasecmp (t, "audio/mpegurl", 13) == 0)
    return OriginResourceKind::PLAYLIST;
  if (g_ascii_strncasecmp (t, "video/", 6) == 0
      || g_ascii_strncasecmp (t, "audio/", 6) == 0)
    return OriginResourceKind::SEGMENT;
  return OriginResourceKind::OTHER;
}

void
HttpOrigin::on_request_cb (SoupServer *, SoupServerMessage *msg,
                           const char *path, GHashTable *,
                           gpointer data) noexcept
{
  auto self = static_cast<HttpOrigin *> (data);
  try {
    self->on_request (msg, path ? path : "/");
  } catch (const std::exception &e) {
    GST_ERROR ("request handler for %s threw: %s", path, e.what ());
    set_text_response (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                       "internal error\n");
  } catch (...) {
    GST_ERROR ("request handler for %s threw", path);
    set_text_response (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR,
                       "internal error\n");
  }
}

void
HttpOrigin::on_request (SoupServerMessage *msg, const std::string &path)
{
  const char *method = soup_server_message_get_method (msg);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  set_cors_headers (headers);
  GST_LOG ("%s %s", method, path.c_str ());

  if (method == SOUP_METHOD_OPTIONS) {
    soup_message_headers_replace (headers, "Access-Control-Allow-Methods",
                                  kAllowedMethods);
    soup_message_headers_replace (headers, "Access-Control-Allow-Headers",
                                  "Range");
    soup_message_headers_replace (headers, "Allow", kAllowedMethods);
    soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return;
  }

  auto resource = resources_.find (path);
  if (resource == resources_.end ()) {
    if (const Handler *handler = find_handler (path)) {
      stats_->other.requests++;
      count_body_bytes (msg, OriginResourceKind::OTHER);
      (*handler) (msg, path);
      return;
    }
  }

  if (method != SOUP_METHOD_GET && method != SOUP_METHOD_HEAD) {
    stats_->method_not_allowed++;
    soup_message_headers_replace (headers, "Allow", kAllowedMethods);
    set_text_response (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                       "method not allowed\n");
    return;
  }
  if (resource == resources_.end ()) {
    stats_->not_found++;
    set_text_response (msg, SOUP_STATUS_NOT_FOUND, "not found\n");
    return;
  }
  serve_resource (msg, resource->second);
}

void
HttpOrigin::serve_resource (SoupServerMessage *msg, const Resource &resource)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_replace (headers, "Content-Type",
                                resource.content_type.c_str ());
  soup_message_headers_replace (headers, "Accept-Ranges", "bytes");
  if (!resource.cache_control.empty ())
    soup_message_headers_replace (headers, "Cache-Control",
                                  resource.cache_control.c_str ());
  soup_server_message_set_status (msg, SOUP_STATUS_OK, nullptr);
  /* Zero-copy: the response holds a reference to the published bytes. For
   * HEAD, libsoup sends the Content-Length of this body and no body. */
  soup_message_body_append_bytes (soup_server_message_get_response_body (msg),
                                  resource.body.get ());
  stats_->of (resource.kind).requests++;
  count_body_bytes (msg, resource.kind);
}

const HttpOrigin::Handler *
HttpOrigin::find_handler (const std::string &path) const
{
  const Handler *best = nullptr;
  gsize best_length = 0;
  for (const auto &entry : handlers_) {
    const std::string &prefix = entry.first;
    if (path.compare (0, prefix.size (), prefix) == 0
        && (!best || prefix.size () > best_length)) {
      best = &entry.second;
      best_length = prefix.size ();
    }
  }
  return best;
}

void
HttpOrigin::count_body_bytes (SoupServerMessage *msg, OriginResourceKind kind)
{
  auto on_wrote_body_data
      = +[] (SoupServerMessage *, guint chunk_size, gpointer data) noexcept {
          auto counter = static_cast<BodyByteCounter *> (data);
          counter->stats->of (counter->kind).bytes += chunk_size;
        };
  g_signal_connect_data (
      msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data),
      new BodyByteCounter{ stats_, kind },
      [] (gpointer data, GClosure *) noexcept {
        delete static_cast<BodyByteCounter *> (data);
      },
      (GConnectFlags)0);
}

} // namespace p2p::net
