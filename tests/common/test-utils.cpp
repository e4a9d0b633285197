/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test-utils.h"

#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>

namespace p2p::test {

namespace {

gint64
deadline_after (guint timeout_ms)
{
  return g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
}

void
remove_tree (const std::string &path)
{
  GDir *dir = g_dir_open (path.c_str (), 0, nullptr);
  if (dir) {
    while (const gchar *name = g_dir_read_name (dir)) {
      GCharPtr child (g_build_filename (path.c_str (), name, nullptr));
      if (g_file_test (child.get (), G_FILE_TEST_IS_DIR))
        remove_tree (child.get ());
      else
        g_remove (child.get ());
    }
    g_dir_close (dir);
  }
  g_rmdir (path.c_str ());
}

} // namespace

GstMessagePtr
wait_message (GstBus *bus, int types, guint timeout_ms,
              const MessageFilter &filter)
{
  gint64 deadline = deadline_after (timeout_ms);
  for (;;) {
    gint64 left = deadline - g_get_monotonic_time ();
    if (left <= 0)
      return nullptr;
    GstMessagePtr message (gst_bus_timed_pop_filtered (
        bus, left * GST_USECOND, static_cast<GstMessageType> (types)));
    if (!message)
      return nullptr;
    if (!filter || filter (message.get ()))
      return message;
  }
}

GstMessagePtr
wait_element_message (GstBus *bus, const char *name, guint timeout_ms)
{
  return wait_message (bus, GST_MESSAGE_ELEMENT, timeout_ms,
                       [name] (GstMessage *message) {
                         return gst_message_has_name (message, name);
                       });
}

std::vector<GErrorPtr>
start_errors (GstElement *element)
{
  GstBus *bus = gst_bus_new ();
  gst_element_set_bus (element, bus);
  fail_unless_equals_int (gst_element_set_state (element, GST_STATE_PLAYING),
                          GST_STATE_CHANGE_FAILURE);
  /* A failed state change has posted its errors by the time it returns. */
  std::vector<GErrorPtr> errors;
  while (
      GstMessagePtr message{ gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR) }) {
    GError *error = nullptr;
    gst_message_parse_error (message.get (), &error, nullptr);
    errors.emplace_back (error);
  }
  fail_if (errors.empty (), "no error message");
  gst_element_set_state (element, GST_STATE_NULL);
  gst_element_set_bus (element, nullptr);
  gst_object_unref (bus);
  return errors;
}

GstBufferPtr
pull_buffer (GstHarness *h, guint timeout_ms)
{
  gint64 deadline = deadline_after (timeout_ms);
  do {
    if (GstBuffer *buffer = gst_harness_try_pull (h))
      return GstBufferPtr (buffer);
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
  } while (g_get_monotonic_time () < deadline);
  return nullptr;
}

bool
wait_eos (GstHarness *h, guint timeout_ms)
{
  gint64 deadline = deadline_after (timeout_ms);
  do {
    while (GstEvent *event = gst_harness_try_pull_event (h)) {
      GstEventPtr owned (event);
      if (GST_EVENT_TYPE (event) == GST_EVENT_EOS)
        return true;
    }
    g_usleep (5 * G_TIME_SPAN_MILLISECOND);
  } while (g_get_monotonic_time () < deadline);
  return false;
}

HttpAnswer
http_get (const std::string &url, const std::string &ca_file)
{
  HttpAnswer answer;
  GObjectPtr<SoupSession> session (
      soup_session_new_with_options ("timeout", 10u, nullptr));
  soup_session_set_proxy_resolver (session.get (), nullptr);
  if (!ca_file.empty ()) {
    GObjectPtr<GTlsDatabase> trusted (
        g_tls_file_database_new (ca_file.c_str (), nullptr));
    if (!trusted)
      return answer;
    soup_session_set_tls_database (session.get (), trusted.get ());
  }
  GObjectPtr<SoupMessage> msg (
      soup_message_new (SOUP_METHOD_GET, url.c_str ()));
  if (!msg)
    return answer;
  GBytesPtr body (soup_session_send_and_read (session.get (), msg.get (),
                                              nullptr, nullptr));
  answer.status = soup_message_get_status (msg.get ());
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg.get ());
  const char *type = soup_message_headers_get_one (headers, "Content-Type");
  const char *cache = soup_message_headers_get_one (headers, "Cache-Control");
  answer.content_type = type ? type : "";
  answer.cache_control = cache ? cache : "";
  if (body)
    answer.body = bytes_to_string (body.get ());
  return answer;
}

std::string
bytes_to_string (GBytes *bytes)
{
  gsize size = 0;
  const char *data
      = static_cast<const char *> (g_bytes_get_data (bytes, &size));
  return std::string (data ? data : "", size);
}

std::string
buffer_to_string (GstBuffer *buffer)
{
  GstMapInfo map;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return "";
  std::string text (reinterpret_cast<const char *> (map.data), map.size);
  gst_buffer_unmap (buffer, &map);
  return text;
}

std::string
read_file (const std::string &path)
{
  gchar *contents = nullptr;
  gsize length = 0;
  if (!g_file_get_contents (path.c_str (), &contents, &length, nullptr))
    return "<missing>";
  std::string text (contents, length);
  g_free (contents);
  return text;
}

bool
file_exists (const std::string &path)
{
  return g_file_test (path.c_str (), G_FILE_TEST_EXISTS);
}

TempDir::TempDir (const char *name_template)
{
  GCharPtr path (g_dir_make_tmp (name_template, nullptr));
  g_assert (path);
  path_ = path.get ();
}

TempDir::~TempDir () { remove_tree (path_); }

std::string
TempDir::file (const std::string &name) const
{
  GCharPtr path (g_build_filename (path_.c_str (), name.c_str (), nullptr));
  return path.get ();
}

guint16
free_loopback_port ()
{
  GObjectPtr<GSocket> socket (g_socket_new (G_SOCKET_FAMILY_IPV4,
                                            G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, nullptr));
  GObjectPtr<GInetAddress> loopback (
      g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
  GObjectPtr<GSocketAddress> any_port (
      g_inet_socket_address_new (loopback.get (), 0));
  g_assert (g_socket_bind (socket.get (), any_port.get (), FALSE, nullptr));
  GObjectPtr<GSocketAddress> bound (
      g_socket_get_local_address (socket.get (), nullptr));
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound.get ()));
}

GBytesPtr
make_payload (gsize size, guint seed)
{
  guint8 *data = static_cast<guint8 *> (g_malloc (size));
  guint32 state = seed * 2654435761u + 1;
  for (gsize i = 0; i < size; i++) {
    state = state * 1103515245u + 12345u;
    data[i] = static_cast<guint8> (state >> 16);
  }
  if (size > 0)
    data[0] = 0x47;
  return GBytesPtr (g_bytes_new_take (data, size));
}

} // namespace p2p::test
