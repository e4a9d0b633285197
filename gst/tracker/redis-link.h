/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One connection to Redis, driven by a tracker worker's epoll loop through
 * hiredis's asynchronous API. Commands are only queued when issued; the
 * worker writes them all with flush () once per loop turn, so the commands
 * of many messages share one write (pipelining) and a worker never waits
 * on Redis. Replies come back in order, each to its command's callback.
 *
 * Not thread-safe: one worker owns it. A link that fails or times out is
 * dead for good (every waiting callback gets nullptr first); its owner
 * makes a new one to reconnect.
 */
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace p2p::tracker {

class RedisLink
{
public:
  /* A command's reply; nullptr when the link failed before it came. */
  using Reply = std::function<void (redisReply *reply)>;
  /* A message published on a subscribed channel. */
  using Message = std::function<void (std::string_view payload)>;

  /* Watches its socket on @epoll_fd with @tag as the event's data; the
   * loop passes events with that tag to on_event (). */
  RedisLink (int epoll_fd, uint64_t tag);
  /* Drops the connection; the waiting callbacks are not called. */
  ~RedisLink ();

  RedisLink (const RedisLink &) = delete;
  RedisLink &operator= (const RedisLink &) = delete;

  /* Starts a non-blocking connection to @ip (a literal) and @port; false
   * with @error if it cannot even start. */
  bool connect (const std::string &ip, uint16_t port, std::string *error);

  /* Queues a command. @reply is called once: with the reply, or with
   * nullptr if the link fails first, or at once (and false returned) if
   * the link is dead already. An empty @reply ignores the reply. */
  bool command (const std::vector<std::string_view> &args, Reply reply);
  /* Subscribes to @channel: @subscribed once Redis confirms, then
   * @message for each payload. The link must carry nothing else but
   * subscriptions from then on (RESP2). */
  bool subscribe (std::string_view channel, std::function<void ()> subscribed,
                  Message message);

  /* Writes the queued commands; once per loop turn. */
  void flush ();
  void on_event (uint32_t events);

  bool
  dead () const
  {
    return context_ == nullptr;
  }
  /* Why it died, once dead. */
  const std::string &
  error () const
  {
    return error_;
  }
  /* Whether the TCP connection is established. */
  bool
  connected () const
  {
    return connected_;
  }
  /* When the oldest command still waiting for its reply was queued (the
   * caller's clock, see command ()), or -1 if none waits. */
  int64_t oldest_waiting_ms () const;
  /* The clock for the next commands' timestamps. */
  void
  set_now (int64_t now_ms)
  {
    now_ms_ = now_ms;
  }

  /* Drops the connection now: waiting callbacks get nullptr. Not from
   * inside one of this link's callbacks. */
  void close (const std::string &reason);

private:
  static void on_reply_cb (redisAsyncContext *ac, void *reply, void *data);
  static void on_message_cb (redisAsyncContext *ac, void *reply, void *data);
  static void on_connect_cb (const redisAsyncContext *ac, int status);
  static void on_disconnect_cb (const redisAsyncContext *ac, int status);
  static void add_read (void *data);
  static void del_read (void *data);
  static void add_write (void *data);
  static void del_write (void *data);
  static void cleanup (void *data);
  void watch (bool read, bool write);
  void died (const char *reason);

  int epoll_fd_;
  uint64_t tag_;
  redisAsyncContext *context_ = nullptr;
  int fd_ = -1;
  bool reading_ = false;
  bool writing_ = false; /* EPOLLOUT armed */
  bool registered_ = false;
  bool connected_ = false;
  bool write_queued_ = false; /* commands to write at the next flush () */
  bool flushing_ = false;
  int64_t now_ms_ = 0;
  std::deque<std::pair<int64_t, Reply>> waiting_;
  struct Channel
  {
    std::string name;
    std::function<void ()> subscribed;
    Message message;
  };
  std::vector<Channel> channels_;
  std::string error_;
};

} // namespace p2p::tracker
