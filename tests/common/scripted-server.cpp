/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "scripted-server.h"

#include <algorithm>
#include <stdexcept>

namespace p2p::test {

namespace {

std::shared_ptr<GBytes>
share_bytes (GBytes *bytes)
{
  return std::shared_ptr<GBytes> (g_bytes_ref (bytes), g_bytes_unref);
}

/* An answer written by hand on the stolen connection: its headers and the
 * first half of the body; then either nothing more (TRUNCATE) or, after
 * rest_delay_ms, the second half (PAUSE_HALFWAY). */
struct HalfAnswer
{
  GObjectPtr<SoupServerMessage> msg;
  std::string content_type;
  std::shared_ptr<GBytes> body;
  bool send_rest = false;
  guint rest_delay_ms = 0;
  GObjectPtr<GIOStream> stream;
};

gboolean
send_rest (gpointer data) noexcept
{
  auto a = static_cast<HalfAnswer *> (data);
  gsize size = 0;
  const guint8 *body
      = static_cast<const guint8 *> (g_bytes_get_data (a->body.get (), &size));
  GOutputStream *out = g_io_stream_get_output_stream (a->stream.get ());
  g_output_stream_write_all (out, body + size / 2, size - size / 2, nullptr,
                             nullptr, nullptr);
  g_io_stream_close (a->stream.get (), nullptr, nullptr);
  return G_SOURCE_REMOVE;
}

/* Runs from the main loop, not inside the request handler: stealing the
 * connection drops libsoup's reference to the message, which the handler's
 * caller still uses. */
gboolean
send_half (gpointer data) noexcept
{
  std::unique_ptr<HalfAnswer> a (static_cast<HalfAnswer *> (data));
  a->stream.reset (soup_server_message_steal_connection (a->msg.get ()));
  if (!a->stream)
    return G_SOURCE_REMOVE;
  gsize size = 0;
  const guint8 *body
      = static_cast<const guint8 *> (g_bytes_get_data (a->body.get (), &size));
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: " + a->content_type
                     + "\r\nContent-Length: " + std::to_string (size)
                     + "\r\nConnection: close\r\n\r\n";
  GOutputStream *out = g_io_stream_get_output_stream (a->stream.get ());
  g_output_stream_write_all (out, head.data (), head.size (), nullptr, nullptr,
                             nullptr);
  g_output_stream_write_all (out, body, size / 2, nullptr, nullptr, nullptr);
  if (!a->send_rest) {
    g_io_stream_close (a->stream.get (), nullptr, nullptr);
    return G_SOURCE_REMOVE;
  }
  GSourcePtr later (g_timeout_source_new (a->rest_delay_ms));
  /* Freed with the source, also when the server goes away first. */
  g_source_set_callback (
      later.get (), send_rest, a.release (),
      [] (gpointer d) { delete static_cast<HalfAnswer *> (d); });
  g_source_attach (later.get (), g_main_context_get_thread_default ());
  return G_SOURCE_REMOVE;
}

} // namespace

ScriptedServer::ScriptedServer ()
{
  GErrorOut error;
  bool listening = false;
  engine_.invoke_sync ([&] {
    origin_ = std::make_unique<net::HttpOrigin> ();
    origin_->add_handler (
        "/", [this] (SoupServerMessage *msg, const std::string &path) {
          handle (msg, path);
        });
    listening = origin_->listen ("127.0.0.1", 0, error.out ());
  });
  if (!listening)
    throw std::runtime_error (std::string ("scripted server: ")
                              + error.get ()->message);
}

/* An answer whose body goes out in pieces, paced. */
struct ScriptedServer::ThrottledAnswer
{
  GObjectPtr<SoupServerMessage> msg;
  std::string path;
  std::string client;
  std::shared_ptr<GBytes> body;
  gsize sent = 0;
  /* The client went away (or the answer ended). */
  bool finished = false;
};

namespace {

constexpr guint kPaceIntervalMs = 20;

} // namespace

ScriptedServer::~ScriptedServer ()
{
  engine_.invoke_sync ([this] {
    if (pacer_) {
      g_source_destroy (pacer_);
      g_source_unref (pacer_);
    }
    throttled_.clear ();
    origin_.reset ();
  });
  engine_.stop ();
}

void
ScriptedServer::on_request (
    std::function<void (const std::string &, const std::string &)> observer)
{
  std::lock_guard<std::mutex> lock (mutex_);
  observer_ = std::move (observer);
}

void
ScriptedServer::throttle (const std::string &prefix, guint bytes_per_second)
{
  std::lock_guard<std::mutex> lock (mutex_);
  throttles_[prefix] = bytes_per_second;
}

guint
ScriptedServer::rate_for (const std::string &path) const
{
  std::lock_guard<std::mutex> lock (mutex_);
  for (const auto &t : throttles_) {
    if (t.second > 0 && path.compare (0, t.first.size (), t.first) == 0)
      return t.second;
  }
  return 0;
}

void
ScriptedServer::send_throttled (SoupServerMessage *msg, const std::string &path,
                                std::shared_ptr<GBytes> body)
{
  const char *agent = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "User-Agent");
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  soup_message_headers_set_content_length (headers,
                                           g_bytes_get_size (body.get ()));
  soup_server_message_pause (msg);
  auto answer = std::make_shared<ThrottledAnswer> (ThrottledAnswer{
      GObjectPtr<SoupServerMessage> (SOUP_SERVER_MESSAGE (g_object_ref (msg))),
      path, agent ? agent : "", std::move (body), 0, false });
  /* A client that cancels leaves nothing to send to. */
  g_signal_connect_data (
      msg, "finished",
      G_CALLBACK (+[] (SoupServerMessage *, gpointer data) noexcept {
        if (auto a
            = static_cast<std::weak_ptr<ThrottledAnswer> *> (data)->lock ())
          a->finished = true;
      }),
      new std::weak_ptr<ThrottledAnswer> (answer),
      [] (gpointer data, GClosure *) {
        delete static_cast<std::weak_ptr<ThrottledAnswer> *> (data);
      },
      GConnectFlags (0));
  throttled_.push_back (std::move (answer));
  if (pacer_)
    return;
  pacer_ = g_timeout_source_new (kPaceIntervalMs);
  g_source_set_callback (pacer_, pace, this, nullptr);
  g_source_attach (pacer_, engine_.context ());
}

gboolean
ScriptedServer::pace (gpointer data) noexcept
{
  static_cast<ScriptedServer *> (data)->pace_throttled ();
  return G_SOURCE_CONTINUE;
}

void
ScriptedServer::pace_throttled ()
{
  /* Each client's budget for this tick, split among its answers. */
  std::map<std::string, guint> answers_of;
  for (const auto &a : throttled_)
    answers_of[a->client]++;
  for (auto it = throttled_.begin (); it != throttled_.end ();) {
    ThrottledAnswer &a = **it;
    if (a.finished) {
      it = throttled_.erase (it);
      continue;
    }
    const guint rate = rate_for (a.path);
    gsize size = 0;
    const guint8 *data
        = static_cast<const guint8 *> (g_bytes_get_data (a.body.get (), &size));
    gsize share = rate == 0
                      ? size
                      : std::max<gsize> (1, gsize (rate) * kPaceIntervalMs
                                                / 1000 / answers_of[a.client]);
    gsize n = std::min (share, size - a.sent);
    SoupMessageBody *out = soup_server_message_get_response_body (a.msg.get ());
    soup_message_body_append (out, SOUP_MEMORY_COPY, data + a.sent, n);
    a.sent += n;
    if (a.sent == size)
      soup_message_body_complete (out);
    soup_server_message_unpause (a.msg.get ());
    it = a.sent == size ? throttled_.erase (it) : it + 1;
  }
}

std::string
ScriptedServer::url (const std::string &path) const
{
  return origin_->base_url () + path;
}

void
ScriptedServer::set (const std::string &path, ScriptedResponse response)
{
  set_sequence (path, { std::move (response) });
}

void
ScriptedServer::set_sequence (const std::string &path,
                              std::vector<ScriptedResponse> responses)
{
  g_return_if_fail (!responses.empty ());
  std::lock_guard<std::mutex> lock (mutex_);
  responses_[path] = std::move (responses);
}

void
ScriptedServer::set_text (const std::string &path, const std::string &body,
                          const std::string &content_type)
{
  GBytesPtr bytes (g_bytes_new (body.data (), body.size ()));
  set_bytes (path, bytes.get (), content_type);
}

void
ScriptedServer::set_bytes (const std::string &path, GBytes *body,
                           const std::string &content_type)
{
  ScriptedResponse response;
  response.content_type = content_type;
  response.body = share_bytes (body);
  set (path, std::move (response));
}

void
ScriptedServer::set_status (const std::string &path, guint status)
{
  ScriptedResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body
      = share_bytes (GBytesPtr (g_bytes_new_static ("error\n", 6)).get ());
  set (path, std::move (response));
}

void
ScriptedServer::remove (const std::string &path)
{
  std::lock_guard<std::mutex> lock (mutex_);
  responses_.erase (path);
}

void
ScriptedServer::serve_directory (const std::string &directory)
{
  std::lock_guard<std::mutex> lock (mutex_);
  directory_ = directory;
}

guint
ScriptedServer::requests (const std::string &path) const
{
  std::lock_guard<std::mutex> lock (mutex_);
  auto it = requests_.find (path);
  return it == requests_.end () ? 0 : it->second;
}

struct ScriptedServer::LateAnswer
{
  ScriptedServer *server;
  std::string path;
  GObjectPtr<SoupServerMessage> msg;
};

gboolean
ScriptedServer::send_late (gpointer data) noexcept
{
  auto late = static_cast<LateAnswer *> (data);
  {
    std::lock_guard<std::mutex> lock (late->server->mutex_);
    late->server->in_flight_[late->path]--;
  }
  soup_server_message_unpause (late->msg.get ());
  return G_SOURCE_REMOVE;
}

guint
ScriptedServer::max_in_flight (const std::string &path) const
{
  std::lock_guard<std::mutex> lock (mutex_);
  auto it = max_in_flight_.find (path);
  return it == max_in_flight_.end () ? 0 : it->second;
}

std::string
ScriptedServer::request_header (const std::string &path,
                                const std::string &name) const
{
  std::lock_guard<std::mutex> lock (mutex_);
  auto it = request_headers_.find (path);
  if (it == request_headers_.end ())
    return {};
  const char *value
      = soup_message_headers_get_one (it->second.get (), name.c_str ());
  return value ? value : "";
}

void
ScriptedServer::handle (SoupServerMessage *msg, const std::string &path)
{
  ScriptedResponse response;
  bool found = false;
  std::string directory;
  std::function<void (const std::string &, const std::string &)> observer;
  {
    std::lock_guard<std::mutex> lock (mutex_);
    observer = observer_;
    guint count = ++requests_[path];
    request_headers_[path].reset (
        soup_message_headers_ref (
            soup_server_message_get_request_headers (msg)),
        soup_message_headers_unref);
    auto it = responses_.find (path);
    if (it != responses_.end ()) {
      const std::vector<ScriptedResponse> &turns = it->second;
      response = turns[std::min<size_t> (count, turns.size ()) - 1];
      found = true;
    }
    directory = directory_;
  }
  if (observer) {
    const char *agent = soup_message_headers_get_one (
        soup_server_message_get_request_headers (msg), "User-Agent");
    observer (path, agent ? agent : "");
  }

  if (!found && !directory.empty () && path.find ("..") == std::string::npos) {
    GCharPtr file (
        g_build_filename (directory.c_str (), path.c_str (), nullptr));
    gchar *contents = nullptr;
    gsize length = 0;
    if (g_file_get_contents (file.get (), &contents, &length, nullptr)) {
      response.body.reset (g_bytes_new_take (contents, length), g_bytes_unref);
      found = true;
    }
  }
  if (!found) {
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, nullptr);
    return;
  }

  std::string content_type = response.content_type.empty ()
                                 ? net::HttpOrigin::content_type_for_path (path)
                                 : response.content_type;
  switch (response.misbehaviour) {
  case Misbehaviour::STALL:
    soup_server_message_pause (msg);
    return;
  case Misbehaviour::TRUNCATE:
  case Misbehaviour::PAUSE_HALFWAY: {
    soup_server_message_pause (msg);
    auto a = new HalfAnswer{
      GObjectPtr<SoupServerMessage> (SOUP_SERVER_MESSAGE (g_object_ref (msg))),
      content_type,
      response.body,
      response.misbehaviour == Misbehaviour::PAUSE_HALFWAY,
      response.delay_ms,
      {}
    };
    GSourcePtr idle (g_idle_source_new ());
    g_source_set_callback (idle.get (), send_half, a, nullptr);
    g_source_attach (idle.get (), engine_.context ());
    return;
  }
  case Misbehaviour::NONE:
    break;
  }
  soup_server_message_set_status (msg, response.status, nullptr);
  if (response.status == SOUP_STATUS_OK && response.body && rate_for (path)) {
    soup_message_headers_set_content_type (
        soup_server_message_get_response_headers (msg), content_type.c_str (),
        nullptr);
    send_throttled (msg, path, response.body);
    return;
  }
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  if (!response.location.empty ())
    soup_message_headers_replace (headers, "Location",
                                  response.location.c_str ());
  if (response.chunked)
    soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  gsize size = 0;
  const char *data = response.body ? static_cast<const char *> (
                         g_bytes_get_data (response.body.get (), &size))
                                   : "";
  soup_server_message_set_response (msg, content_type.c_str (),
                                    SOUP_MEMORY_COPY, data, size);
  if (response.chunked)
    soup_message_body_complete (soup_server_message_get_response_body (msg));
  if (response.delay_ms > 0) {
    {
      std::lock_guard<std::mutex> lock (mutex_);
      guint &max = max_in_flight_[path];
      max = std::max (max, ++in_flight_[path]);
    }
    soup_server_message_pause (msg);
    auto late = new LateAnswer{ this, path,
                                GObjectPtr<SoupServerMessage> (
                                    SOUP_SERVER_MESSAGE (g_object_ref (msg))) };
    GSourcePtr timeout (g_timeout_source_new (response.delay_ms));
    g_source_set_callback (timeout.get (), send_late, late, [] (gpointer d) {
      delete static_cast<LateAnswer *> (d);
    });
    g_source_attach (timeout.get (), engine_.context ());
  }
}

} // namespace p2p::test
