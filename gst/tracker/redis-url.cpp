/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/redis-url.h"

#include <cstring>

namespace p2p::tracker {

namespace {

bool
fail (std::string *error, const char *reason)
{
  if (error)
    *error = reason;
  return false;
}

/* An IP literal without a zone, or a DNS name. */
bool
valid_host (const char *host)
{
  if (!*host || strchr (host, '%'))
    return false;
  if (g_hostname_is_ip_address (host))
    return true;
  for (const char *c = host; *c; c++) {
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != '.' && *c != '_')
      return false;
  }
  return true;
}

/* Databases are numbered 0..15 by default; a server may have more. */
constexpr unsigned kMaxDatabase = 1 << 16;

} // namespace

std::string
RedisEndpoint::to_string () const
{
  bool ipv6 = host.find (':') != std::string::npos;
  return "redis://" + (ipv6 ? "[" + host + "]" : host) + ":"
         + std::to_string (port) + "/" + std::to_string (database);
}

bool
parse_redis_url (std::string_view url, RedisEndpoint &out, std::string *error)
{
  /* GUri reads C strings: a NUL inside would hide the rest */
  if (url.find ('\0') != std::string_view::npos)
    return fail (error, "NUL in the URL");
  std::string text (url);
  GError *parse_error = nullptr;
  GUri *uri
      = g_uri_parse (text.c_str (), G_URI_FLAGS_HAS_PASSWORD, &parse_error);
  if (!uri) {
    g_error_free (parse_error);
    return fail (error, "not a URL");
  }
  bool ok = false;
  const char *scheme = g_uri_get_scheme (uri);
  const char *host = g_uri_get_host (uri);
  const char *path = g_uri_get_path (uri);
  const char *user = g_uri_get_user (uri);
  const char *password = g_uri_get_password (uri);
  RedisEndpoint endpoint;
  if (g_ascii_strcasecmp (scheme, "redis") != 0) {
    fail (error, "the scheme is not redis://");
  } else if (!host || !valid_host (host)) {
    fail (error, "no host name or IP address");
  } else if (g_uri_get_query (uri) || g_uri_get_fragment (uri)) {
    fail (error, "a query or fragment");
  } else if (g_uri_get_port (uri) == 0) {
    fail (error, "port 0");
  } else {
    endpoint.host = host;
    if (g_uri_get_port (uri) > 0)
      endpoint.port = static_cast<guint16> (g_uri_get_port (uri));
    endpoint.user = user ? user : "";
    endpoint.password = password ? password : "";
    ok = true;
    if (*path && strcmp (path, "/") != 0) {
      /* "/N": a database number */
      const char *digits = path + 1;
      char *end = nullptr;
      guint64 db = g_ascii_strtoull (digits, &end, 10);
      if (!g_ascii_isdigit (*digits) || *end || db >= kMaxDatabase)
        ok = fail (error, "the path is not a database number");
      else
        endpoint.database = static_cast<unsigned> (db);
    }
  }
  g_uri_unref (uri);
  if (ok)
    out = std::move (endpoint);
  return ok;
}

} // namespace p2p::tracker
