/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A loopback HTTP server for element and integration tests: the test says
 * what each path answers (body, content type, status, or a misbehaviour such
 * as stalling or cutting the body short), possibly a different answer for
 * each request, or serves a directory; requests are counted per path and
 * the latest one's headers kept. Paths under a prefix can be throttled, each
 * client (User-Agent) getting at most a rate for all its answers there, as
 * a congested link would give it. It binds 127.0.0.1 on any free port and
 * runs the engine's HttpOrigin on its own EngineThread, so tests stay
 * hermetic.
 */
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <libsoup/soup.h>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/net/http-origin.h"

namespace p2p::test {

enum class Misbehaviour {
  NONE,
  /* Never answers: the request hangs until the server goes away. */
  STALL,
  /* Announces the full Content-Length, sends half the body, closes. */
  TRUNCATE,
  /* Sends the first half of the body, the rest delay_ms later. */
  PAUSE_HALFWAY,
};

struct ScriptedResponse
{
  guint status = SOUP_STATUS_OK;
  /* Empty: from the path's extension (HttpOrigin::content_type_for_path). */
  std::string content_type;
  /* Null: an empty body. */
  std::shared_ptr<GBytes> body;
  /* Sent as the Location header, for a redirect status. */
  std::string location;
  /* Chunked transfer encoding instead of a Content-Length. */
  bool chunked = false;
  Misbehaviour misbehaviour = Misbehaviour::NONE;
  /* A normal answer, sent this many milliseconds late (see PAUSE_HALFWAY
   * too). */
  guint delay_ms = 0;
};

class ScriptedServer
{
public:
  ScriptedServer ();
  ~ScriptedServer ();

  ScriptedServer (const ScriptedServer &) = delete;
  ScriptedServer &operator= (const ScriptedServer &) = delete;

  /* "http://127.0.0.1:PORT" + @path. */
  std::string url (const std::string &path) const;

  void set (const std::string &path, ScriptedResponse response);
  /* The n-th request for @path (counted as requests () counts) gets the
   * n-th of @responses, later requests the last one. */
  void set_sequence (const std::string &path,
                     std::vector<ScriptedResponse> responses);
  void set_text (const std::string &path, const std::string &body,
                 const std::string &content_type = {});
  void set_bytes (const std::string &path, GBytes *body,
                  const std::string &content_type = {});
  void set_status (const std::string &path, guint status);
  void remove (const std::string &path);
  /* Paths without a script are read from @directory at request time. */
  void serve_directory (const std::string &directory);
  /* Bodies of paths starting with @prefix go out at @bytes_per_second at
   * most per client (User-Agent), shared by its answers in progress; 0
   * lifts the limit, also for answers in progress. */
  void throttle (const std::string &prefix, guint bytes_per_second);

  guint requests (const std::string &path) const;
  /* Called for every request, on the server's thread, with the path and
   * the User-Agent (empty when none). */
  void on_request (std::function<void (const std::string &path,
                                       const std::string &user_agent)>
                       observer);
  /* Most requests for @path answered late (delay_ms) at the same time. */
  guint max_in_flight (const std::string &path) const;
  /* The @name header of the latest request for @path; empty when it had
   * none. */
  std::string request_header (const std::string &path,
                              const std::string &name) const;

private:
  struct LateAnswer;
  struct ThrottledAnswer;
  void handle (SoupServerMessage *msg, const std::string &path);
  static gboolean send_late (gpointer data) noexcept;
  /* The rate limit of @path, 0 if none. */
  guint rate_for (const std::string &path) const;
  /* Sends @body throttled (engine thread). */
  void send_throttled (SoupServerMessage *msg, const std::string &path,
                       std::shared_ptr<GBytes> body);
  /* Every tick, each throttled client's share of its rate. */
  static gboolean pace (gpointer data) noexcept;
  void pace_throttled ();

  EngineThread engine_{ "scripted-server" };
  std::unique_ptr<net::HttpOrigin> origin_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<ScriptedResponse>> responses_;
  std::map<std::string, guint> requests_;
  std::map<std::string, std::shared_ptr<SoupMessageHeaders>> request_headers_;
  std::map<std::string, guint> in_flight_;
  std::map<std::string, guint> max_in_flight_;
  std::string directory_;
  std::map<std::string, guint> throttles_;
  std::function<void (const std::string &, const std::string &)> observer_;
  /* Engine thread. */
  std::vector<std::shared_ptr<ThrottledAnswer>> throttled_;
  GSource *pacer_ = nullptr;
};

} // namespace p2p::test
