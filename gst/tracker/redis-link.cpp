/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/redis-link.h"

#include <sys/epoll.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "gst/tracker/redis-reply.h"

namespace p2p::tracker {

RedisLink::RedisLink (int epoll_fd, uint64_t tag)
    : epoll_fd_ (epoll_fd), tag_ (tag)
{
}

RedisLink::~RedisLink ()
{
  waiting_.clear ();
  channels_.clear ();
  if (context_)
    redisAsyncFree (context_);
}

bool
RedisLink::connect (const std::string &ip, uint16_t port, std::string *error)
{
  redisAsyncContext *ac = redisAsyncConnect (ip.c_str (), port);
  if (!ac || ac->err) {
    if (error)
      *error = ac ? ac->errstr : "out of memory";
    if (ac)
      redisAsyncFree (ac);
    return false;
  }
  context_ = ac;
  fd_ = ac->c.fd;
  ac->data = this;
  ac->ev.data = this;
  ac->ev.addRead = &RedisLink::add_read;
  ac->ev.delRead = &RedisLink::del_read;
  ac->ev.addWrite = &RedisLink::add_write;
  ac->ev.delWrite = &RedisLink::del_write;
  ac->ev.cleanup = &RedisLink::cleanup;
  redisAsyncSetDisconnectCallback (ac, &RedisLink::on_disconnect_cb);
  /* arms EPOLLOUT: writable means connected (or failed) */
  redisAsyncSetConnectCallback (ac, &RedisLink::on_connect_cb);
  return true;
}

bool
RedisLink::command (const std::vector<std::string_view> &args, Reply reply)
{
  auto refuse = [&reply] {
    if (reply)
      reply (nullptr);
    return false;
  };
  if (!context_ || (context_->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING)))
    return refuse ();
  std::vector<const char *> argv;
  std::vector<size_t> lengths;
  argv.reserve (args.size ());
  lengths.reserve (args.size ());
  for (std::string_view arg : args) {
    argv.push_back (arg.data ());
    lengths.push_back (arg.size ());
  }
  if (redisAsyncCommandArgv (context_, &RedisLink::on_reply_cb, this,
                             static_cast<int> (argv.size ()), argv.data (),
                             lengths.data ())
      != REDIS_OK)
    return refuse ();
  waiting_.emplace_back (now_ms_, std::move (reply));
  return true;
}

bool
RedisLink::subscribe (std::string_view channel,
                      std::function<void ()> subscribed, Message message)
{
  if (!context_)
    return false;
  const char *argv[] = { "SUBSCRIBE", channel.data () };
  const size_t lengths[] = { 9, channel.size () };
  if (redisAsyncCommandArgv (context_, &RedisLink::on_message_cb, this, 2, argv,
                             lengths)
      != REDIS_OK)
    return false;
  channels_.push_back (
      { std::string (channel), std::move (subscribed), std::move (message) });
  return true;
}

int64_t
RedisLink::oldest_waiting_ms () const
{
  return waiting_.empty () ? -1 : waiting_.front ().first;
}

void
RedisLink::flush ()
{
  if (!write_queued_ || !context_)
    return;
  write_queued_ = false;
  flushing_ = true;
  redisAsyncHandleWrite (context_);
  flushing_ = false;
}

void
RedisLink::on_event (uint32_t events)
{
  if (context_ && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
    redisAsyncHandleWrite (context_);
  /* the write may have dropped the context */
  if (context_ && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
    redisAsyncHandleRead (context_);
}

void
RedisLink::close (const std::string &reason)
{
  if (!context_)
    return;
  if (error_.empty ())
    error_ = reason;
  redisAsyncFree (context_);
}

void
RedisLink::died (const char *reason)
{
  if (error_.empty ())
    error_ = reason && *reason ? reason : "connection lost";
}

void
RedisLink::on_reply_cb (redisAsyncContext *, void *reply, void *data)
{
  auto self = static_cast<RedisLink *> (data);
  if (self->waiting_.empty ())
    return; /* the link is being destroyed */
  Reply callback = std::move (self->waiting_.front ().second);
  self->waiting_.pop_front ();
  if (callback)
    callback (static_cast<redisReply *> (reply));
}

void
RedisLink::on_message_cb (redisAsyncContext *, void *reply, void *data)
{
  auto self = static_cast<RedisLink *> (data);
  /* ["subscribe", channel, count], then ["message", channel, payload] */
  std::string_view channel, payload;
  PushKind kind
      = read_push (static_cast<redisReply *> (reply), channel, payload);
  if (kind == PushKind::OTHER)
    return;
  for (Channel &entry : self->channels_) {
    if (entry.name != channel)
      continue;
    if (kind == PushKind::SUBSCRIBE && entry.subscribed)
      entry.subscribed ();
    else if (kind == PushKind::MESSAGE)
      entry.message (payload);
  }
}

void
RedisLink::on_connect_cb (const redisAsyncContext *ac, int status)
{
  auto self = static_cast<RedisLink *> (ac->data);
  if (status == REDIS_OK)
    self->connected_ = true;
  else
    self->died (ac->errstr);
}

void
RedisLink::on_disconnect_cb (const redisAsyncContext *ac, int)
{
  static_cast<RedisLink *> (ac->data)->died (ac->errstr);
}

void
RedisLink::watch (bool read, bool write)
{
  if (read == reading_ && write == writing_ && registered_)
    return;
  reading_ = read;
  writing_ = write;
  epoll_event ev{};
  ev.events = (read ? EPOLLIN : 0) | (write ? EPOLLOUT : 0);
  ev.data.u64 = tag_;
  epoll_ctl (epoll_fd_, registered_ ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd_, &ev);
  registered_ = true;
}

void
RedisLink::add_read (void *data)
{
  auto self = static_cast<RedisLink *> (data);
  self->watch (true, self->writing_);
}

void
RedisLink::del_read (void *data)
{
  auto self = static_cast<RedisLink *> (data);
  self->watch (false, self->writing_);
}

void
RedisLink::add_write (void *data)
{
  auto self = static_cast<RedisLink *> (data);
  /* Connected: wait for flush (), so one write carries a loop turn's
   * commands. A write that flush () could not finish, or a connection
   * still being made, waits for the socket instead. */
  if (self->connected_ && !self->flushing_)
    self->write_queued_ = true;
  else
    self->watch (self->reading_, true);
}

void
RedisLink::del_write (void *data)
{
  auto self = static_cast<RedisLink *> (data);
  self->write_queued_ = false;
  self->watch (self->reading_, false);
}

void
RedisLink::cleanup (void *data)
{
  auto self = static_cast<RedisLink *> (data);
  if (self->registered_)
    epoll_ctl (self->epoll_fd_, EPOLL_CTL_DEL, self->fd_, nullptr);
  self->registered_ = self->reading_ = self->writing_ = false;
  self->write_queued_ = false;
  self->connected_ = false;
  self->context_ = nullptr;
}

} // namespace p2p::tracker
