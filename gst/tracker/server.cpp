/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Why epoll and our own WebSocket framing rather than libsoup: a
 * GMainContext polls every one of its file descriptors with poll() on each
 * iteration, so a loop holding thousands of sockets slows down with each
 * one it adds. Measured here, a bare SoupServer WebSocket endpoint accepted
 * 2,795 connections in 120 s, at 4.4 KB each; this server takes 19,000 in
 * about a second at under 0.5 KB each (docs/tracker-benchmark.md). An idle
 * connection here is one Connection struct and no buffers.
 */
#include "gst/tracker/server.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gst/gst.h>

#include "gst/webtorrent/protocol.h"
#include "gst/tracker/cluster.h"
#include "gst/tracker/socket-batch.h"
#include "gst/tracker/swarm-shard.h"
#include "gst/tracker/tls.h"
#include "gst/tracker/websocket.h"

/* shared with cluster.cpp */
GST_DEBUG_CATEGORY (p2p_tracker_debug);
#define GST_CAT_DEFAULT p2p_tracker_debug

namespace p2p::tracker {

using namespace webtorrent;

namespace {

constexpr size_t kReadChunk = 64 * 1024;
/* a batched read per readable socket and loop turn; what does not fit
 * stays readable for the next turn */
constexpr size_t kBatchReadSize = 16 * 1024;
/* output buffers kept for reuse, and the largest kept */
constexpr size_t kSpareOutputs = 256;
constexpr size_t kMaxSpareOutput = 16 * 1024;
constexpr size_t kMaxRequestHead = 8 * 1024;
constexpr int kMaxEvents = 256;
constexpr int kWorkerShift = 48;
constexpr int64_t kSweepIntervalMs = 1000;
constexpr int64_t kExpireIntervalMs = 5000;
constexpr int64_t kCloseGraceMs = 2000;
constexpr uint64_t kListenTag = 1;
constexpr uint64_t kWakeTag = 2;

int64_t
now_ms ()
{
  return g_get_monotonic_time () / 1000;
}

/* An address for the per-address limit: IPv4 as v4-mapped IPv6. */
struct AddressKey
{
  std::array<uint8_t, 16> bytes{};
  bool
  operator== (const AddressKey &o) const
  {
    return bytes == o.bytes;
  }
};

struct AddressKeyHash
{
  size_t
  operator() (const AddressKey &a) const noexcept
  {
    uint64_t x, y;
    memcpy (&x, a.bytes.data (), 8);
    memcpy (&y, a.bytes.data () + 8, 8);
    return std::hash<uint64_t> () (x * 31 + y);
  }
};

AddressKey
address_key (const sockaddr_storage &ss)
{
  AddressKey key;
  if (ss.ss_family == AF_INET) {
    auto *sin = reinterpret_cast<const sockaddr_in *> (&ss);
    key.bytes[10] = key.bytes[11] = 0xff;
    memcpy (key.bytes.data () + 12, &sin->sin_addr, 4);
  } else if (ss.ss_family == AF_INET6) {
    auto *sin6 = reinterpret_cast<const sockaddr_in6 *> (&ss);
    memcpy (key.bytes.data (), &sin6->sin6_addr, 16);
  }
  return key;
}

struct Membership
{
  Id20 info_hash;
  Id20 peer_id;
};

struct Connection
{
  enum class State : uint8_t { HANDSHAKE, OPEN, CLOSING };

  ConnectionId id = 0;
  int fd = -1;
  State state = State::HANDSHAKE;
  bool dead = false;
  bool dirty = false;         /* has output to flush this round */
  bool writable_wait = false; /* EPOLLOUT armed */
  /* TLS needs the other direction before a read or write can go on */
  bool tls_read_wants_write = false;
  bool tls_write_wants_read = false;
  uint8_t fragment_opcode = 0;
  AddressKey address;
  int64_t since_ms = 0; /* accept, or start of the close */
  int64_t last_message_ms = 0;
  int64_t partial_since_ms = 0; /* an unfinished frame or request head */
  std::string in;               /* unparsed bytes, usually empty */
  std::string out;              /* unsent bytes, usually empty */
  size_t out_offset = 0;
  std::string fragments; /* a fragmented message being assembled */
  std::vector<Membership> memberships;
  std::unique_ptr<TlsStream> tls; /* wss:// only */
};

/* Per-worker counters, summed by Server::stats(). */
struct Counters
{
  std::atomic<uint64_t> connections{ 0 };
  std::atomic<uint64_t> connections_accepted{ 0 };
  std::atomic<uint64_t> messages_received{ 0 };
  std::atomic<uint64_t> announces{ 0 };
  std::atomic<uint64_t> answers{ 0 };
  std::atomic<uint64_t> scrapes{ 0 };
  std::atomic<uint64_t> offers_relayed{ 0 };
  std::atomic<uint64_t> answers_relayed{ 0 };
  std::atomic<uint64_t> bytes_received{ 0 };
  std::atomic<uint64_t> bytes_sent{ 0 };
  std::atomic<uint64_t> swarms{ 0 };
  std::atomic<uint64_t> peers{ 0 };
  std::atomic<uint64_t> seeders{ 0 };
  std::array<std::atomic<uint64_t>, static_cast<size_t> (ErrorKind::COUNT)>
      errors{};

  void
  add (std::atomic<uint64_t> &c, uint64_t n = 1)
  {
    c.fetch_add (n, std::memory_order_relaxed);
  }
  void
  error (ErrorKind kind)
  {
    add (errors[static_cast<size_t> (kind)]);
  }
};

/* A scrape spanning several shards: each fills its slots, the last one
 * to finish sends the reply. */
struct ScrapeGather
{
  ConnectionId conn;
  std::vector<TrackerMessage::ScrapeFile> files;
  std::atomic<size_t> remaining;
};

} // namespace

class Worker;

class Server::Impl
{
public:
  explicit Impl (const ServerConfig &config);
  ~Impl ();

  bool start (const std::string &address, guint16 port, GError **error);
  void stop ();
  Stats stats () const;
  bool prepare_cluster (GError **error);
  void wait_for_cluster ();

  size_t shard_of (const Id20 &info_hash) const;
  Worker &
  worker (size_t i)
  {
    return *workers_[i];
  }
  /* The epoll and listening descriptors of every worker: a worker with a
   * private table closes its copies of the others'. */
  const std::vector<int> &
  worker_descriptors () const
  {
    return worker_descriptors_;
  }
  size_t
  worker_count () const
  {
    return workers_.size ();
  }

  bool admit (const AddressKey &address, ErrorKind &refused);
  void release (const AddressKey &address);
  void sample_rate (int64_t now);

  ServerConfig config;
  std::atomic<guint16> bound_port{ 0 };
  std::unique_ptr<TlsContext> tls;      /* set while running with TLS */
  std::optional<ClusterConfig> cluster; /* set while running in a cluster */

private:
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<int> worker_descriptors_;
  std::mutex address_mutex_;
  std::unordered_map<AddressKey, uint32_t, AddressKeyHash> per_address_;
  std::atomic<size_t> connections_{ 0 };
  /* announces/s: totals sampled once a second by worker 0 */
  std::mutex rate_mutex_;
  std::vector<std::pair<int64_t, uint64_t>> rate_samples_;
  std::atomic<double> rate_{ 0 };
  bool running_ = false;
};

class Worker : private SwarmShard::Output, private Cluster::Host
{
public:
  using Task = std::function<void (Worker &)>;
  /* What one worker hands another: a task, or a run of messages for its
   * connections (one allocation for the run, not one per message). */
  struct Post
  {
    Task task;
    std::vector<std::pair<ConnectionId, std::string>> messages;
  };

  Worker (Server::Impl &server, unsigned index, const ShardLimits &limits);
  ~Worker () override;

  bool open (int listen_fd, GError **error);
  /* Starts the thread; the future is ready once it has its descriptor
   * table: true if private, false if shared with the process. */
  std::future<bool>
  start ()
  {
    thread_ = std::thread ([this] { run (); });
    return table_ready_.get_future ();
  }
  int
  epoll_fd () const
  {
    return epoll_fd_;
  }
  int
  listen_fd () const
  {
    return listen_fd_;
  }
  void request_stop ();
  void
  join ()
  {
    if (thread_.joinable ())
      thread_.join ();
  }

  /* From any thread: queue tasks for this worker. */
  void post (std::vector<Post> &&posts);

  Counters counters;
  ClusterCounters cluster_counters;

private:
  void run ();
  int wait_ms () const;
  bool take_private_fd_table ();
  void release_private_fd_table ();
  enum class Refusal { REFUSED, NOTHING_WAITING, NO_RESERVE };
  Refusal refuse_one ();
  void wake ();
  void drain_inbox ();
  void flush_outboxes ();
  void flush_dirty ();

  void accept_all ();
  void on_event (Connection *conn, uint32_t events);
  void on_readable (Connection *conn);
  void on_received (Connection *conn, char *data, size_t n);
  void receive_batch ();
  void bury ();
  enum class Io { MOVED, BLOCKED, CLOSED };
  Io read_some (Connection *conn, size_t &done);
  Io write_some (Connection *conn, size_t &done);
  Io tls_io (Connection *conn, TlsStatus status, bool reading);
  void watch_writable (Connection *conn, bool writable);
  size_t consume (Connection *conn, char *data, size_t size);
  size_t consume_handshake (Connection *conn, char *data, size_t size);
  size_t consume_frames (Connection *conn, char *data, size_t size);
  void on_message (Connection *conn, std::string_view text);
  void on_announce (Connection *conn, ClientMessage &msg);
  void on_answer (Connection *conn, ClientMessage &msg);
  void on_scrape (Connection *conn, ClientMessage &msg);

  /* The swarm's side, on the worker that owns its shard: alone, or through
   * the cluster when it is up. */
  void shard_announce (ConnectionId conn, const Id20 &info_hash,
                       const Id20 &peer_id, AnnounceEvent event,
                       bool left_is_zero, std::vector<PreparedOffer> &offers);
  void shard_answer (ConnectionId conn, const Id20 &info_hash,
                     const Id20 &peer_id, const Id20 &to_peer_id,
                     const Id20 &offer_id, std::string &message);
  void shard_leave (ConnectionId conn, const Id20 &info_hash,
                    const Id20 &peer_id);
  void shard_scrape (const std::shared_ptr<ScrapeGather> &gather,
                     const std::vector<size_t> &slots);
  void scrape_part_done (const std::shared_ptr<ScrapeGather> &gather);
  size_t relay_to_picks (const Id20 &info_hash, const Id20 &from_peer_id,
                         const std::vector<Cluster::Pick> &picks,
                         std::vector<PreparedOffer> &offers);
  void reply_http (Connection *conn, const char *status,
                   const char *content_type, const std::string &body);

  void take_output (Connection *conn);
  void release_output (Connection *conn);
  void queue_raw (Connection *conn, std::string_view bytes);
  void queue_text (Connection *conn, std::string_view text);
  void queued (Connection *conn);
  void flush (Connection *conn);
  void close_gracefully (Connection *conn, uint16_t code);
  void close_now (Connection *conn);
  void leave_swarms (Connection *conn);
  void fail (Connection *conn, ErrorKind kind, uint16_t code);

  void sweep (int64_t now);
  void shutdown_connections ();

  /* Cluster::Host */
  void on_relay (const RelayItem &item,
                 SwarmShard::MemberIndex reply_to) override;
  const SwarmShard &
  shard () const override
  {
    return shard_;
  }

  /* SwarmShard::Output, and its cross-worker path */
  void send (ConnectionId to, std::string message) override;
  void deliver (ConnectionId to, std::string_view message);
  void to_worker (size_t index, Task task);
  void to_shard (const Id20 &info_hash, Task task);
  void count_outcome (const SwarmShard::Outcome &outcome);

  Server::Impl &server_;
  const ServerConfig &config_;
  unsigned index_;
  int epoll_fd_ = -1;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  int reserve_fd_ = -1; /* spent to refuse when the table is full */
  bool private_table_ = false;
  std::promise<bool> table_ready_;
  bool listening_ = false;
  int64_t listen_paused_until_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{ false };
  uint64_t next_id_ = 1;
  int64_t now_ = 0;
  int64_t last_sweep_ = 0;
  int64_t last_expire_ = 0;

  std::unordered_map<ConnectionId, Connection *> connections_;
  std::vector<Connection *> dirty_;
  std::vector<Connection *> graveyard_;
  std::vector<char> scratch_;

  std::mutex inbox_mutex_;
  std::vector<Post> inbox_;
  std::vector<std::vector<Post>> outboxes_;
  /* output buffers connections gave back, for the next to write */
  std::vector<std::string> spare_outputs_;

  SwarmShard shard_;
  std::unique_ptr<Cluster> cluster_;   /* made by run () */
  std::unique_ptr<SocketBatch> batch_; /* made by run () */
};

/* ------------------------------------------------------------------ Worker */

Worker::Worker (Server::Impl &server, unsigned index, const ShardLimits &limits)
    : server_ (server), config_ (server.config), index_ (index),
      scratch_ (kReadChunk),
      shard_ (limits,
              std::random_device{}() ^ (static_cast<uint64_t> (index) << 32))
{
}

Worker::~Worker ()
{
  join ();
  for (auto &entry : connections_) {
    if (entry.second->fd >= 0)
      close (entry.second->fd);
    delete entry.second;
  }
  bury ();
  /* With a private table the worker closed its own copies, and the server
   * the process table's copies of epoll and listen once the thread had
   * its table; the eventfd stays in every table, for post(). */
  if (!private_table_) {
    if (epoll_fd_ >= 0)
      close (epoll_fd_);
    if (listen_fd_ >= 0)
      close (listen_fd_);
  }
  if (wake_fd_ >= 0)
    close (wake_fd_);
}

bool
Worker::open (int listen_fd, GError **error)
{
  listen_fd_ = listen_fd;
  epoll_fd_ = epoll_create1 (EPOLL_CLOEXEC);
  wake_fd_ = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    int e = errno;
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                 "tracker worker set-up failed: %s", g_strerror (e));
    return false;
  }
  outboxes_.resize (server_.worker_count ());
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  epoll_ctl (epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  ev.data.u64 = kListenTag;
  epoll_ctl (epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  listening_ = true;
  return true;
}

void
Worker::wake ()
{
  uint64_t one = 1;
  ssize_t r = write (wake_fd_, &one, sizeof one);
  (void)r;
}

void
Worker::request_stop ()
{
  stopping_.store (true);
  wake ();
}

void
Worker::post (std::vector<Post> &&tasks)
{
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock (inbox_mutex_);
    was_empty = inbox_.empty ();
    if (was_empty) {
      inbox_.swap (tasks);
    } else {
      for (Post &t : tasks)
        inbox_.push_back (std::move (t));
    }
  }
  if (was_empty)
    wake ();
}

void
Worker::drain_inbox ()
{
  std::vector<Post> posts;
  {
    std::lock_guard<std::mutex> lock (inbox_mutex_);
    posts.swap (inbox_);
  }
  for (Post &p : posts) {
    if (p.task)
      p.task (*this);
    for (auto &[to, message] : p.messages)
      deliver (to, message);
  }
}

void
Worker::to_worker (size_t index, Task task)
{
  if (index == index_)
    task (*this);
  else
    outboxes_[index].push_back ({ std::move (task), {} });
}

void
Worker::to_shard (const Id20 &info_hash, Task task)
{
  to_worker (server_.shard_of (info_hash), std::move (task));
}

void
Worker::flush_outboxes ()
{
  for (size_t i = 0; i < outboxes_.size (); i++) {
    if (!outboxes_[i].empty ()) {
      std::vector<Post> batch;
      batch.swap (outboxes_[i]);
      server_.worker (i).post (std::move (batch));
    }
  }
}

bool
Worker::take_private_fd_table ()
{
  /* The copy holds every descriptor of the process: drop the other
   * workers' epoll and listening sockets, so that a listening socket
   * really closes when its worker closes it. The eventfds stay, for
   * post(); the rest (stdio, a log file) costs nothing. */
  if (unshare (CLONE_FILES) != 0) {
    GST_WARNING ("worker %u: unshare(CLONE_FILES): %s; sharing the "
                 "process descriptor table",
                 index_, g_strerror (errno));
    return false;
  }
  for (int fd : server_.worker_descriptors ()) {
    if (fd != epoll_fd_ && fd != listen_fd_)
      close (fd);
  }
  return true;
}

void
Worker::release_private_fd_table ()
{
  /* What the worker still holds in its own table; the kernel would drop
   * the table at thread exit anyway, but not before join() returns. */
  if (epoll_fd_ >= 0)
    close (epoll_fd_);
  epoll_fd_ = -1;
  for (size_t i = 0; i < server_.worker_count (); i++)
    close (server_.worker (i).wake_fd_);
}

/* The loop's wait: the sweep's second, or sooner for the cluster. */
int
Worker::wait_ms () const
{
  int64_t wait = kSweepIntervalMs;
  if (cluster_)
    wait = std::min (wait, cluster_->next_timer_ms () - now_ms ());
  return static_cast<int> (std::max<int64_t> (wait, 0));
}

void
Worker::run ()
{
  if (config_.private_fd_tables)
    private_table_ = take_private_fd_table ();
  reserve_fd_ = ::open ("/dev/null", O_RDONLY | O_CLOEXEC);
  table_ready_.set_value (private_table_);

  std::vector<epoll_event> events (kMaxEvents);
  now_ = now_ms ();
  last_sweep_ = last_expire_ = now_;
  /* made on this thread, so its descriptors are in this worker's table */
  batch_ = std::make_unique<SocketBatch> (kMaxEvents, kBatchReadSize,
                                          config_.io_uring);
  if (server_.cluster) {
    ClusterConfig cluster_config = *server_.cluster;
    cluster_config.worker_index = index_;
    Cluster::Host &host = *this;
    cluster_ = std::make_unique<Cluster> (cluster_config, epoll_fd_, host,
                                          cluster_counters);
  }
  while (!stopping_.load (std::memory_order_relaxed)) {
    int n = epoll_wait (epoll_fd_, events.data (), kMaxEvents, wait_ms ());
    now_ = now_ms ();
    for (int i = 0; i < n; i++) {
      uint64_t tag = events[i].data.u64;
      if (tag == kListenTag) {
        accept_all ();
      } else if (tag == kWakeTag) {
        uint64_t count;
        ssize_t r = read (wake_fd_, &count, sizeof count);
        (void)r;
        drain_inbox ();
      } else if (tag == Cluster::kCommandTag
                 || tag == Cluster::kSubscriberTag) {
        cluster_->on_event (tag, events[i].events);
      } else {
        auto *conn = static_cast<Connection *> (events[i].data.ptr);
        /* plain reads wait for the turn's batch; anything else now */
        const uint32_t ev = events[i].events;
        if (conn->tls || conn->dead || (ev & EPOLLOUT)
            || !batch_->queue_recv (conn->fd, conn))
          on_event (conn, ev);
      }
    }
    receive_batch ();
    if (now_ - last_sweep_ >= kSweepIntervalMs)
      sweep (now_);
    if (cluster_) {
      cluster_->tick (now_);
      cluster_->flush ();
    }
    flush_outboxes ();
    flush_dirty ();
    bury ();
  }
  shutdown_connections ();
  if (cluster_) {
    /* this node's peers leave the cluster's swarms now, not at expiry */
    cluster_->leave_all ();
    cluster_.reset ();
  }
  if (reserve_fd_ >= 0)
    close (reserve_fd_);
  reserve_fd_ = -1;
  if (private_table_)
    release_private_fd_table ();
}

/* ------------------------------------------------------------ connections */

void
Worker::accept_all ()
{
  for (int i = 0; i < 256; i++) {
    sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept4 (listen_fd_, reinterpret_cast<sockaddr *> (&ss), &len,
                      SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int e = errno;
      if (e == EMFILE || e == ENFILE) {
        Refusal r = refuse_one ();
        if (r == Refusal::REFUSED)
          continue;
        if (r == Refusal::NOTHING_WAITING)
          return;
      }
      if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM) {
        /* Out of descriptors: stop accepting for a moment rather than
         * spin on a listening socket that stays readable. */
        GST_WARNING ("accept: %s, pausing", g_strerror (e));
        epoll_ctl (epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        listening_ = false;
        listen_paused_until_ = now_ + 100;
      }
      return;
    }
    AddressKey address = address_key (ss);
    ErrorKind refused;
    if (!server_.admit (address, refused)) {
      counters.error (refused);
      close (fd);
      continue;
    }
    int one = 1;
    setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    auto *conn = new Connection ();
    if (server_.tls) {
      conn->tls = server_.tls->accept (fd);
      if (!conn->tls) {
        counters.error (ErrorKind::TLS_ERROR);
        server_.release (address);
        close (fd);
        delete conn;
        continue;
      }
    }
    conn->id = (static_cast<uint64_t> (index_) << kWorkerShift) | next_id_++;
    conn->fd = fd;
    conn->address = address;
    conn->since_ms = conn->last_message_ms = now_;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = conn;
    epoll_ctl (epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    connections_.emplace (conn->id, conn);
    counters.add (counters.connections);
    counters.add (counters.connections_accepted);
  }
}

/* The descriptor table is full: spend the reserve descriptor to take the
 * waiting connection and refuse it with a 503, so that the client learns
 * at once and the listening socket does not stay readable (which would
 * spin the loop). */
Worker::Refusal
Worker::refuse_one ()
{
  if (reserve_fd_ < 0)
    return Refusal::NO_RESERVE;
  close (reserve_fd_);
  int fd = accept4 (listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd >= 0) {
    /* counted before the client can see the refusal: whoever reads the
     * stats once the client has its answer finds it there */
    counters.error (ErrorKind::DESCRIPTOR_LIMIT);
    static const char kBusy[]
        = "HTTP/1.1 503 Service Unavailable\r\n"
          "Content-Length: 0\r\nConnection: close\r\n\r\n";
    ssize_t r = ::send (fd, kBusy, sizeof kBusy - 1, MSG_NOSIGNAL);
    (void)r;
    close (fd);
  }
  /* in a shared table another thread may have taken the slot */
  reserve_fd_ = ::open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return reserve_fd_ >= 0 ? Refusal::NOTHING_WAITING : Refusal::NO_RESERVE;
  return reserve_fd_ >= 0 ? Refusal::REFUSED : Refusal::NO_RESERVE;
}

void
Worker::on_event (Connection *conn, uint32_t events)
{
  if (conn->dead)
    return;
  const bool readable = events & (EPOLLIN | EPOLLHUP | EPOLLERR);
  const bool writable = events & EPOLLOUT;
  if (writable || (readable && conn->tls_write_wants_read))
    flush (conn);
  if (!conn->dead && (readable || (writable && conn->tls_read_wants_write)))
    on_readable (conn);
}

/* Reads into scratch_, from the socket or through its TLS session. */
Worker::Io
Worker::read_some (Connection *conn, size_t &done)
{
  if (!conn->tls) {
    ssize_t n = recv (conn->fd, scratch_.data (), scratch_.size (), 0);
    if (n > 0) {
      done = n;
      return Io::MOVED;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return Io::BLOCKED;
    return Io::CLOSED;
  }
  conn->tls_read_wants_write = false;
  return tls_io (
      conn, conn->tls->read (scratch_.data (), scratch_.size (), done), true);
}

/* Sends the unsent part of conn->out, to the socket or through TLS. */
Worker::Io
Worker::write_some (Connection *conn, size_t &done)
{
  const char *data = conn->out.data () + conn->out_offset;
  size_t size = conn->out.size () - conn->out_offset;
  if (!conn->tls) {
    ssize_t n = ::send (conn->fd, data, size, MSG_NOSIGNAL);
    if (n >= 0) {
      done = n;
      return Io::MOVED;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
      return Io::BLOCKED;
    return Io::CLOSED;
  }
  conn->tls_write_wants_read = false;
  return tls_io (conn, conn->tls->write (data, size, done), false);
}

/* A TLS read or write that must wait for the other direction notes it,
 * for on_event () to retry it then. */
Worker::Io
Worker::tls_io (Connection *conn, TlsStatus status, bool reading)
{
  switch (status) {
  case TlsStatus::OK:
    return Io::MOVED;
  case TlsStatus::WANT_READ:
    conn->tls_write_wants_read = !reading;
    return Io::BLOCKED;
  case TlsStatus::WANT_WRITE:
    if (reading) {
      conn->tls_read_wants_write = true;
      watch_writable (conn, true);
    }
    return Io::BLOCKED;
  case TlsStatus::FAILED:
    counters.error (ErrorKind::TLS_ERROR);
    return Io::CLOSED;
  case TlsStatus::CLOSED:
    break;
  }
  return Io::CLOSED;
}

void
Worker::watch_writable (Connection *conn, bool writable)
{
  if (conn->writable_wait == writable)
    return;
  epoll_event ev{};
  ev.events = writable ? EPOLLIN | EPOLLOUT : EPOLLIN;
  ev.data.ptr = conn;
  epoll_ctl (epoll_fd_, EPOLL_CTL_MOD, conn->fd, &ev);
  conn->writable_wait = writable;
}

void
Worker::on_readable (Connection *conn)
{
  /* A few reads per wake-up at most, so one busy socket cannot starve the
   * others sharing this worker. */
  for (int round = 0; round < 4 && !conn->dead; round++) {
    size_t n = 0;
    switch (read_some (conn, n)) {
    case Io::MOVED:
      break;
    case Io::BLOCKED:
      return;
    case Io::CLOSED:
      close_now (conn);
      return;
    }
    on_received (conn, scratch_.data (), n);
    /* a short read drained the socket; TLS reads one record at a time */
    if (!conn->tls && n < scratch_.size ())
      return;
  }
}

/* @n bytes read from the connection, at @data (parsed in place). */
void
Worker::on_received (Connection *conn, char *data, size_t n)
{
  counters.add (counters.bytes_received, n);
  if (conn->state == Connection::State::CLOSING)
    return; /* draining until the peer closes */
  if (conn->in.empty ()) {
    size_t used = consume (conn, data, n);
    if (!conn->dead && used < n) {
      conn->in.assign (data + used, n - used);
      conn->partial_since_ms = now_;
    }
    return;
  }
  conn->in.append (data, n);
  size_t used = consume (conn, &conn->in[0], conn->in.size ());
  if (!conn->dead) {
    conn->in.erase (0, used);
    if (conn->in.empty ()) {
      std::string ().swap (conn->in);
      conn->partial_since_ms = 0;
    } else if (used) {
      conn->partial_since_ms = now_;
    }
  }
}

/* The turn's batched reads, in the order the events came. */
void
Worker::receive_batch ()
{
  for (const SocketBatch::Result &r : batch_->run_recvs ()) {
    auto *conn = static_cast<Connection *> (r.owner);
    if (conn->dead)
      continue;
    if (r.result > 0)
      on_received (conn, const_cast<char *> (r.data), r.result);
    else if (r.result == 0 || (r.result != -EAGAIN && r.result != -EINTR))
      close_now (conn);
  }
}

size_t
Worker::consume (Connection *conn, char *data, size_t size)
{
  size_t used = 0;
  if (conn->state == Connection::State::HANDSHAKE) {
    used = consume_handshake (conn, data, size);
    if (conn->dead || conn->state != Connection::State::OPEN)
      return used;
  }
  return used + consume_frames (conn, data + used, size - used);
}

size_t
Worker::consume_handshake (Connection *conn, char *data, size_t size)
{
  ws::HttpRequest request;
  size_t head_size = 0;
  ws::HttpStatus status = ws::parse_http_request (std::string_view (data, size),
                                                  request, head_size);
  if (status == ws::HttpStatus::NEED_MORE) {
    if (size > kMaxRequestHead)
      fail (conn, ErrorKind::BAD_HANDSHAKE, 0);
    return 0;
  }
  if (status == ws::HttpStatus::INVALID || request.method != "GET") {
    counters.error (ErrorKind::BAD_HANDSHAKE);
    reply_http (conn, "400 Bad Request", "text/plain", "bad request\n");
    return size;
  }

  if (!request.header_has_token ("Upgrade", "websocket")) {
    std::string_view path
        = request.target.substr (0, request.target.find ('?'));
    if (path == "/stats.json") {
      reply_http (conn, "200 OK", "application/json",
                  server_.stats ().to_json ());
    } else if (path == "/metrics") {
      reply_http (conn, "200 OK", "text/plain; version=0.0.4",
                  server_.stats ().to_prometheus ());
    } else {
      reply_http (conn, "404 Not Found", "text/plain", "404 Not Found");
    }
    return size;
  }

  std::string_view key = request.header ("Sec-WebSocket-Key");
  if (key.empty () || request.header ("Sec-WebSocket-Version") != "13"
      || !request.header_has_token ("Connection", "upgrade")) {
    counters.error (ErrorKind::BAD_HANDSHAKE);
    reply_http (conn, "426 Upgrade Required", "text/plain",
                "WebSocket version 13 required\n");
    return size;
  }
  std::string response = "HTTP/1.1 101 Switching Protocols\r\n"
                         "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: "
                         + ws::accept_key (key) + "\r\n\r\n";
  queue_raw (conn, response);
  conn->state = Connection::State::OPEN;
  conn->last_message_ms = now_;
  return head_size;
}

size_t
Worker::consume_frames (Connection *conn, char *data, size_t size)
{
  size_t pos = 0;
  while (pos < size && !conn->dead && conn->state == Connection::State::OPEN) {
    ws::Frame frame;
    switch (ws::parse_frame (data + pos, size - pos, true,
                             config_.max_message_size, frame)) {
    case ws::FrameStatus::NEED_MORE:
      return pos;
    case ws::FrameStatus::INVALID:
      fail (conn, ErrorKind::PROTOCOL_ERROR, ws::CLOSE_PROTOCOL_ERROR);
      return size;
    case ws::FrameStatus::TOO_LARGE:
      fail (conn, ErrorKind::MESSAGE_TOO_BIG, ws::CLOSE_TOO_BIG);
      return size;
    case ws::FrameStatus::COMPLETE:
      break;
    }
    pos += frame.frame_size;
    conn->last_message_ms = now_;
    std::string_view payload (frame.payload, frame.length);
    switch (frame.opcode) {
    case ws::OPCODE_TEXT:
    case ws::OPCODE_BINARY:
      if (conn->fragment_opcode) {
        fail (conn, ErrorKind::PROTOCOL_ERROR, ws::CLOSE_PROTOCOL_ERROR);
        return size;
      }
      if (frame.fin) {
        on_message (conn, payload);
      } else {
        conn->fragment_opcode = frame.opcode;
        conn->fragments.assign (payload);
      }
      break;
    case ws::OPCODE_CONTINUATION:
      if (!conn->fragment_opcode) {
        fail (conn, ErrorKind::PROTOCOL_ERROR, ws::CLOSE_PROTOCOL_ERROR);
        return size;
      }
      if (conn->fragments.size () + payload.size ()
          > config_.max_message_size) {
        fail (conn, ErrorKind::MESSAGE_TOO_BIG, ws::CLOSE_TOO_BIG);
        return size;
      }
      conn->fragments.append (payload);
      if (frame.fin) {
        std::string message;
        message.swap (conn->fragments);
        conn->fragment_opcode = 0;
        on_message (conn, message);
      }
      break;
    case ws::OPCODE_PING: {
      std::string pong;
      ws::append_frame (pong, ws::OPCODE_PONG, payload);
      queue_raw (conn, pong);
      break;
    }
    case ws::OPCODE_PONG:
      break;
    case ws::OPCODE_CLOSE:
      close_gracefully (conn, ws::CLOSE_NORMAL);
      return size;
    }
  }
  return pos;
}

void
Worker::reply_http (Connection *conn, const char *status,
                    const char *content_type, const std::string &body)
{
  std::string response
      = std::string ("HTTP/1.1 ") + status + "\r\nContent-Type: " + content_type
        + "\r\nContent-Length: " + std::to_string (body.size ())
        + "\r\nConnection: close\r\n\r\n" + body;
  queue_raw (conn, response);
  conn->state = Connection::State::CLOSING;
  conn->since_ms = now_;
}

/* ----------------------------------------------------------------- output */

/* A connection about to write takes a spare buffer rather than allocate. */
void
Worker::take_output (Connection *conn)
{
  if (conn->out.empty () && !spare_outputs_.empty ()) {
    conn->out.swap (spare_outputs_.back ());
    spare_outputs_.pop_back ();
  }
}

/* All sent: the buffer goes back, so an idle connection holds none. */
void
Worker::release_output (Connection *conn)
{
  conn->out_offset = 0;
  if (spare_outputs_.size () < kSpareOutputs
      && conn->out.capacity () <= kMaxSpareOutput) {
    conn->out.clear ();
    spare_outputs_.emplace_back ().swap (conn->out);
  } else {
    std::string ().swap (conn->out);
  }
}

void
Worker::queue_raw (Connection *conn, std::string_view bytes)
{
  if (conn->dead)
    return;
  take_output (conn);
  conn->out.append (bytes);
  queued (conn);
}

void
Worker::queue_text (Connection *conn, std::string_view text)
{
  if (conn->dead || conn->state != Connection::State::OPEN)
    return;
  take_output (conn);
  ws::append_frame (conn->out, ws::OPCODE_TEXT, text);
  queued (conn);
}

/* Output goes out once per loop iteration, all of a connection's frames
 * in one send(). */
void
Worker::queued (Connection *conn)
{
  if (conn->out.size () - conn->out_offset > config_.max_send_queue) {
    /* A reader this slow would hold memory without bound: let it go. */
    counters.error (ErrorKind::SLOW_CONSUMER);
    close_now (conn);
    return;
  }
  if (!conn->dirty) {
    conn->dirty = true;
    dirty_.push_back (conn);
  }
}

void
Worker::flush (Connection *conn)
{
  while (conn->out_offset < conn->out.size ()) {
    size_t n = 0;
    switch (write_some (conn, n)) {
    case Io::MOVED:
      counters.add (counters.bytes_sent, n);
      conn->out_offset += n;
      continue;
    case Io::BLOCKED:
      if (!conn->tls_write_wants_read)
        watch_writable (conn, true);
      return;
    case Io::CLOSED:
      close_now (conn);
      return;
    }
  }
  release_output (conn);
  watch_writable (conn, conn->tls_read_wants_write);
  if (conn->state == Connection::State::CLOSING) {
    /* Half-close and let the peer close: the close frame or the HTTP
     * reply is not lost to a reset. The sweep ends it if it never does. */
    if (conn->tls)
      conn->tls->close_notify ();
    shutdown (conn->fd, SHUT_WR);
  }
}

void
Worker::flush_dirty ()
{
  /* plain sockets write in one batch, TLS through its session */
  for (Connection *conn : dirty_) {
    conn->dirty = false;
    if (conn->dead)
      continue;
    if (conn->tls
        || !batch_->queue_send (conn->fd, conn->out.data () + conn->out_offset,
                                conn->out.size () - conn->out_offset, conn))
      flush (conn);
  }
  dirty_.clear ();
  for (const SocketBatch::Result &r : batch_->run_sends ()) {
    auto *conn = static_cast<Connection *> (r.owner);
    if (r.result < 0 && r.result != -EAGAIN && r.result != -EINTR) {
      close_now (conn);
      continue;
    }
    if (r.result > 0) {
      counters.add (counters.bytes_sent, r.result);
      conn->out_offset += r.result;
    }
    /* done (output released), or the rest waits for EPOLLOUT */
    flush (conn);
  }
}

void
Worker::close_gracefully (Connection *conn, uint16_t code)
{
  if (conn->dead || conn->state == Connection::State::CLOSING)
    return;
  if (conn->state == Connection::State::OPEN) {
    std::string frame;
    ws::append_close (frame, code);
    queue_raw (conn, frame);
  }
  conn->state = Connection::State::CLOSING;
  conn->since_ms = now_;
  /* its peers are gone now, not when the TCP close completes */
  leave_swarms (conn);
  std::string ().swap (conn->in);
  std::string ().swap (conn->fragments);
}

void
Worker::fail (Connection *conn, ErrorKind kind, uint16_t code)
{
  counters.error (kind);
  GST_INFO ("connection %" G_GUINT64_FORMAT ": %s", conn->id,
            error_kind_name (kind));
  if (code)
    close_gracefully (conn, code);
  else
    close_now (conn);
}

void
Worker::leave_swarms (Connection *conn)
{
  for (const Membership &m : conn->memberships) {
    ConnectionId id = conn->id;
    Id20 info_hash = m.info_hash, peer_id = m.peer_id;
    to_shard (info_hash, [id, info_hash, peer_id] (Worker &w) {
      w.shard_leave (id, info_hash, peer_id);
    });
  }
  std::vector<Membership> ().swap (conn->memberships);
}

void
Worker::close_now (Connection *conn)
{
  if (conn->dead)
    return;
  conn->dead = true;
  leave_swarms (conn);
  epoll_ctl (epoll_fd_, EPOLL_CTL_DEL, conn->fd, nullptr);
  /* the descriptor closes in bury (): a read queued for it this turn must
   * not reach a new connection that took its number */
  connections_.erase (conn->id);
  server_.release (conn->address);
  counters.connections.fetch_sub (1, std::memory_order_relaxed);
  graveyard_.push_back (conn);
}

/* The connections closed this turn: descriptors and memory. */
void
Worker::bury ()
{
  for (Connection *c : graveyard_) {
    close (c->fd);
    delete c;
  }
  graveyard_.clear ();
}

void
Worker::send (ConnectionId to, std::string message)
{
  size_t owner = static_cast<size_t> (to >> kWorkerShift);
  if (owner == index_) {
    deliver (to, message);
    return;
  }
  /* in order with the turn's tasks for that worker */
  std::vector<Post> &box = outboxes_[owner];
  if (box.empty () || box.back ().task)
    box.emplace_back ();
  box.back ().messages.emplace_back (to, std::move (message));
}

void
Worker::deliver (ConnectionId to, std::string_view message)
{
  auto it = connections_.find (to);
  if (it != connections_.end ())
    queue_text (it->second, message);
}

/* --------------------------------------------------------------- messages */

void
Worker::on_message (Connection *conn, std::string_view text)
{
  counters.add (counters.messages_received);
  ClientParseLimits limits;
  limits.max_offers = config_.max_offers_per_announce;
  limits.max_scrape_hashes = config_.max_scrape_hashes;
  ClientMessage msg;
  ClientParseError error;
  if (!parse_client_message (text, limits, msg, error)) {
    switch (error.kind) {
    case ClientParseError::Kind::INVALID_JSON:
      counters.error (ErrorKind::INVALID_JSON);
      break;
    case ClientParseError::Kind::UNKNOWN_ACTION:
      counters.error (ErrorKind::UNKNOWN_ACTION);
      break;
    case ClientParseError::Kind::INVALID_MESSAGE:
      counters.error (ErrorKind::INVALID_MESSAGE);
      break;
    }
    queue_text (conn,
                build_failure (error.reason, error.action,
                               error.info_hash ? &*error.info_hash : nullptr));
    return;
  }
  switch (msg.kind) {
  case ClientMessage::Kind::ANNOUNCE:
    on_announce (conn, msg);
    break;
  case ClientMessage::Kind::ANSWER:
    on_answer (conn, msg);
    break;
  case ClientMessage::Kind::SCRAPE:
    on_scrape (conn, msg);
    break;
  }
}

void
Worker::count_outcome (const SwarmShard::Outcome &outcome)
{
  if (outcome.offers_relayed)
    counters.add (counters.offers_relayed, outcome.offers_relayed);
  if (outcome.answer_relayed)
    counters.add (counters.answers_relayed);
  if (outcome.error == SwarmShard::Error::SWARM_FULL)
    counters.error (ErrorKind::SWARM_FULL);
  else if (outcome.error == SwarmShard::Error::UNKNOWN_OFFER)
    counters.error (ErrorKind::UNKNOWN_OFFER);
  counters.swarms.store (shard_.swarm_count (), std::memory_order_relaxed);
  counters.peers.store (shard_.peer_count (), std::memory_order_relaxed);
  counters.seeders.store (shard_.seeder_count (), std::memory_order_relaxed);
}

void
Worker::on_announce (Connection *conn, ClientMessage &msg)
{
  counters.add (counters.announces);
  auto &members = conn->memberships;
  auto it = std::find_if (
      members.begin (), members.end (), [&] (const Membership &m) {
        return m.info_hash == msg.info_hash && m.peer_id == msg.peer_id;
      });
  if (msg.event == AnnounceEvent::STOPPED) {
    if (it != members.end ())
      members.erase (it);
  } else if (it == members.end ()) {
    if (members.size () >= config_.max_swarms_per_connection) {
      counters.error (ErrorKind::TOO_MANY_SWARMS);
      queue_text (conn, build_failure ("too many swarms on one connection",
                                       "announce", &msg.info_hash));
      return;
    }
    members.push_back ({ msg.info_hash, msg.peer_id });
  }

  std::vector<PreparedOffer> offers;
  if (msg.event != AnnounceEvent::STOPPED) {
    offers.reserve (msg.offers.size ());
    RelayBuilder relay (RelayBuilder::Kind::OFFER, msg.info_hash, msg.peer_id);
    for (const ReceivedOffer &o : msg.offers)
      offers.push_back ({ o.offer_id, relay.build (o.offer_id, o.offer) });
  }
  ConnectionId id = conn->id;
  to_shard (msg.info_hash,
            [id, info_hash = msg.info_hash, peer_id = msg.peer_id,
             event = msg.event, seeder = msg.left_is_zero,
             offers = std::move (offers)] (Worker &w) mutable {
              w.shard_announce (id, info_hash, peer_id, event, seeder, offers);
            });
}

void
Worker::on_answer (Connection *conn, ClientMessage &msg)
{
  counters.add (counters.answers);
  std::string relayed = build_relayed_answer (msg.info_hash, msg.peer_id,
                                              msg.offer_id, msg.answer);
  ConnectionId id = conn->id;
  to_shard (msg.info_hash,
            [id, info_hash = msg.info_hash, peer_id = msg.peer_id,
             to = msg.to_peer_id, offer_id = msg.offer_id,
             relayed = std::move (relayed)] (Worker &w) mutable {
              w.shard_answer (id, info_hash, peer_id, to, offer_id, relayed);
            });
}

void
Worker::on_scrape (Connection *conn, ClientMessage &msg)
{
  counters.add (counters.scrapes);
  if (msg.scrape_info_hashes.empty ()) {
    /* Every swarm in one message is unbounded work and size: refused, as
     * aquatic_ws does. */
    counters.error (ErrorKind::FULL_SCRAPE);
    queue_text (conn, build_failure ("full scrapes are not allowed"));
    return;
  }
  auto gather = std::make_shared<ScrapeGather> ();
  gather->conn = conn->id;
  gather->files.resize (msg.scrape_info_hashes.size ());
  std::vector<std::vector<size_t>> by_shard (server_.worker_count ());
  for (size_t i = 0; i < msg.scrape_info_hashes.size (); i++) {
    gather->files[i].info_hash = msg.scrape_info_hashes[i];
    by_shard[server_.shard_of (msg.scrape_info_hashes[i])].push_back (i);
  }
  size_t shards = std::count_if (
      by_shard.begin (), by_shard.end (),
      [] (const std::vector<size_t> &v) { return !v.empty (); });
  gather->remaining.store (shards);
  for (size_t s = 0; s < by_shard.size (); s++) {
    if (by_shard[s].empty ())
      continue;
    to_worker (s, [gather, slots = std::move (by_shard[s])] (Worker &w) {
      w.shard_scrape (gather, slots);
    });
  }
}

/* ----------------------------------------------------------- shard side */

void
Worker::shard_announce (ConnectionId conn, const Id20 &info_hash,
                        const Id20 &peer_id, AnnounceEvent event,
                        bool left_is_zero, std::vector<PreparedOffer> &offers)
{
  if (!cluster_ || !cluster_->up ()) {
    count_outcome (shard_.announce (conn, info_hash, peer_id, event,
                                    left_is_zero, offers, now_, *this));
    return;
  }
  /* This node's view first (ownership, seeding, the swarm's limit), then
   * the cluster's counts and receivers. */
  SwarmShard::Joined joined = shard_.join (conn, info_hash, peer_id, event,
                                           left_is_zero, now_, *this);
  if (joined.error != SwarmShard::Error::NONE) {
    SwarmShard::Outcome refused;
    refused.error = joined.error;
    count_outcome (refused);
    return;
  }
  const bool stopped = event == AnnounceEvent::STOPPED;
  Cluster::Change change = !stopped         ? Cluster::Change::ADD
                           : joined.removed ? Cluster::Change::REMOVE
                                            : Cluster::Change::NONE;
  const size_t want = stopped ? 0 : offers.size ();
  cluster_->announce (
      info_hash, peer_id, joined.seeder, change, want,
      [this, conn, info_hash, peer_id, offers = std::move (offers)] (
          const Cluster::AnnounceResult *result) mutable {
        SwarmShard::Outcome outcome;
        if (!result) {
          /* Redis failed: what this node knows */
          shard_.respond (conn, info_hash, *this);
          outcome.offers_relayed
              = shard_.relay_offers (info_hash, peer_id, offers, now_, *this);
        } else {
          send (conn,
                build_announce_response (info_hash, result->counts.complete,
                                         result->counts.incomplete,
                                         config_.announce_interval_s));
          outcome.offers_relayed
              = relay_to_picks (info_hash, peer_id, result->picks, offers);
        }
        count_outcome (outcome);
      });
}

/* The offers go to the receivers the cluster picked: this worker's peers
 * directly, other members' through their relay batch. */
size_t
Worker::relay_to_picks (const Id20 &info_hash, const Id20 &from_peer_id,
                        const std::vector<Cluster::Pick> &picks,
                        std::vector<PreparedOffer> &offers)
{
  size_t relayed = 0;
  for (size_t i = 0; i < picks.size () && i < offers.size (); i++) {
    PreparedOffer &offer = offers[i];
    if (picks[i].member == 0) {
      relayed += shard_.deliver_offer (info_hash, picks[i].peer_id,
                                       from_peer_id, offer.offer_id, 0,
                                       std::move (offer.message), now_, *this);
      continue;
    }
    RelayItem item;
    item.kind = RelayItem::Kind::OFFER;
    item.info_hash = info_hash;
    item.to_peer_id = picks[i].peer_id;
    item.from_peer_id = from_peer_id;
    item.offer_id = offer.offer_id;
    item.reply_to = cluster_->member ();
    item.message = offer.message;
    cluster_->relay (picks[i].member, item);
    relayed++;
  }
  return relayed;
}

void
Worker::shard_answer (ConnectionId conn, const Id20 &info_hash,
                      const Id20 &peer_id, const Id20 &to_peer_id,
                      const Id20 &offer_id, std::string &message)
{
  SwarmShard::Outcome outcome = shard_.answer (
      conn, info_hash, peer_id, to_peer_id, offer_id, message, now_, *this);
  if (outcome.forward_to && cluster_) {
    RelayItem item;
    item.kind = RelayItem::Kind::ANSWER;
    item.info_hash = info_hash;
    item.to_peer_id = to_peer_id;
    item.from_peer_id = peer_id;
    item.offer_id = offer_id;
    item.message = message;
    cluster_->relay (outcome.forward_to, item);
  }
  count_outcome (outcome);
}

void
Worker::shard_leave (ConnectionId conn, const Id20 &info_hash,
                     const Id20 &peer_id)
{
  if (shard_.leave (conn, info_hash, peer_id) && cluster_)
    cluster_->leave (info_hash, peer_id);
  count_outcome ({});
}

void
Worker::shard_scrape (const std::shared_ptr<ScrapeGather> &gather,
                      const std::vector<size_t> &slots)
{
  auto alone = [this, gather, slots] {
    for (size_t i : slots)
      gather->files[i] = shard_.scrape (gather->files[i].info_hash);
    scrape_part_done (gather);
  };
  if (!cluster_ || !cluster_->up ()) {
    alone ();
    return;
  }
  std::vector<Id20> hashes;
  for (size_t i : slots)
    hashes.push_back (gather->files[i].info_hash);
  cluster_->scrape (hashes, [this, gather, slots, alone] (
                                const std::vector<Cluster::Counts> *counts) {
    if (!counts) {
      alone ();
      return;
    }
    for (size_t k = 0; k < slots.size (); k++) {
      TrackerMessage::ScrapeFile &file = gather->files[slots[k]];
      file.complete = (*counts)[k].complete;
      file.incomplete = (*counts)[k].incomplete;
      /* as bittorrent-tracker: a lower bound, the current seeders */
      file.downloaded = file.complete;
    }
    scrape_part_done (gather);
  });
}

void
Worker::scrape_part_done (const std::shared_ptr<ScrapeGather> &gather)
{
  if (gather->remaining.fetch_sub (1, std::memory_order_acq_rel) == 1)
    send (gather->conn,
          build_scrape_response (gather->files, config_.scrape_interval_s));
}

void
Worker::on_relay (const RelayItem &item, SwarmShard::MemberIndex reply_to)
{
  switch (item.kind) {
  case RelayItem::Kind::OFFER:
    shard_.deliver_offer (item.info_hash, item.to_peer_id, item.from_peer_id,
                          item.offer_id, reply_to, std::string (item.message),
                          now_, *this);
    break;
  case RelayItem::Kind::ANSWER:
    shard_.deliver (item.info_hash, item.to_peer_id, std::string (item.message),
                    *this);
    break;
  }
}

/* -------------------------------------------------------------- lifecycle */

void
Worker::sweep (int64_t now)
{
  last_sweep_ = now;
  if (!listening_ && now >= listen_paused_until_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenTag;
    listening_ = epoll_ctl (epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) == 0;
  }
  const int64_t handshake_ms = config_.handshake_timeout_s * 1000LL;
  const int64_t idle_ms = config_.idle_timeout_s * 1000LL;
  std::vector<Connection *> expired;
  std::vector<ErrorKind> reasons;
  for (auto &entry : connections_) {
    Connection *c = entry.second;
    switch (c->state) {
    case Connection::State::HANDSHAKE:
      if (now - c->since_ms > handshake_ms) {
        expired.push_back (c);
        reasons.push_back (ErrorKind::HANDSHAKE_TIMEOUT);
      }
      break;
    case Connection::State::OPEN:
      if (now - c->last_message_ms > idle_ms) {
        expired.push_back (c);
        reasons.push_back (ErrorKind::IDLE_TIMEOUT);
      } else if (c->partial_since_ms
                 && now - c->partial_since_ms > handshake_ms) {
        /* a frame that never completes: slow or stalled sender */
        expired.push_back (c);
        reasons.push_back (ErrorKind::HANDSHAKE_TIMEOUT);
      }
      break;
    case Connection::State::CLOSING:
      if (now - c->since_ms > kCloseGraceMs) {
        expired.push_back (c);
        reasons.push_back (ErrorKind::COUNT);
      }
      break;
    }
  }
  for (size_t i = 0; i < expired.size (); i++) {
    if (reasons[i] == ErrorKind::COUNT)
      close_now (expired[i]);
    else if (reasons[i] == ErrorKind::IDLE_TIMEOUT)
      fail (expired[i], reasons[i], ws::CLOSE_GOING_AWAY);
    else
      fail (expired[i], reasons[i], 0);
  }

  if (now - last_expire_ >= kExpireIntervalMs) {
    last_expire_ = now;
    std::vector<std::pair<Id20, Id20>> expired_peers;
    size_t dropped = shard_.expire (now, cluster_ ? &expired_peers : nullptr);
    for (const auto &[info_hash, peer_id] : expired_peers)
      cluster_->leave (info_hash, peer_id);
    if (dropped)
      GST_DEBUG ("worker %u: %zu silent peers expired", index_, dropped);
    count_outcome ({});
  }
  if (index_ == 0)
    server_.sample_rate (now);
}

void
Worker::shutdown_connections ()
{
  if (listen_fd_ >= 0) {
    close (listen_fd_);
    listen_fd_ = -1;
  }
  std::vector<Connection *> all;
  for (auto &entry : connections_)
    all.push_back (entry.second);
  for (Connection *c : all) {
    close_gracefully (c, ws::CLOSE_GOING_AWAY);
    if (!c->dead)
      flush (c);
    close_now (c);
  }
  bury ();
  dirty_.clear ();
}

/* ----------------------------------------------------------- Server::Impl */

Server::Impl::Impl (const ServerConfig &cfg) : config (cfg)
{
  if (config.workers == 0)
    config.workers = std::max (1u, std::thread::hardware_concurrency ());
}

Server::Impl::~Impl () { stop (); }

size_t
Server::Impl::shard_of (const Id20 &info_hash) const
{
  return (Id20Hash () (info_hash) >> 32) % workers_.size ();
}

bool
Server::Impl::admit (const AddressKey &address, ErrorKind &refused)
{
  if (connections_.fetch_add (1) >= config.max_connections) {
    connections_.fetch_sub (1);
    refused = ErrorKind::CONNECTION_LIMIT;
    return false;
  }
  std::lock_guard<std::mutex> lock (address_mutex_);
  uint32_t &count = per_address_[address];
  if (config.max_connections_per_address
      && count >= config.max_connections_per_address) {
    if (count == 0)
      per_address_.erase (address);
    connections_.fetch_sub (1);
    refused = ErrorKind::ADDRESS_LIMIT;
    return false;
  }
  count++;
  return true;
}

void
Server::Impl::release (const AddressKey &address)
{
  connections_.fetch_sub (1);
  std::lock_guard<std::mutex> lock (address_mutex_);
  auto it = per_address_.find (address);
  if (it != per_address_.end () && --it->second == 0)
    per_address_.erase (it);
}

void
Server::Impl::sample_rate (int64_t now)
{
  uint64_t total = 0;
  for (auto &w : workers_)
    total += w->counters.announces.load (std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock (rate_mutex_);
  rate_samples_.emplace_back (now, total);
  if (rate_samples_.size () > 6)
    rate_samples_.erase (rate_samples_.begin ());
  const auto &first = rate_samples_.front ();
  if (now > first.first)
    rate_.store ((total - first.second) * 1000.0 / (now - first.first));
}

/* A node answers its first clients with the cluster's view: start ()
 * returns once every worker has joined, or failed to reach Redis once. */
void
Server::Impl::wait_for_cluster ()
{
  const gint64 deadline
      = g_get_monotonic_time ()
        + (cluster->command_timeout_ms + 500) * G_TIME_SPAN_MILLISECOND;
  while (g_get_monotonic_time () < deadline
         && !std::all_of (workers_.begin (), workers_.end (),
                          [] (const std::unique_ptr<Worker> &w) {
                            return w->cluster_counters.settled.load ();
                          }))
    g_usleep (2 * G_TIME_SPAN_MILLISECOND);
}

/* The Redis URL read and its host resolved now, once: a worker must never
 * wait on DNS. */
bool
Server::Impl::prepare_cluster (GError **error)
{
  ClusterConfig cluster_config;
  std::string reason;
  if (!parse_redis_url (config.redis_url, cluster_config.endpoint, &reason)) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "not a Redis URL (redis://HOST[:PORT][/DB]): %s: %s",
                 config.redis_url.c_str (), reason.c_str ());
    return false;
  }
  GResolver *resolver = g_resolver_get_default ();
  GList *addresses = g_resolver_lookup_by_name (
      resolver, cluster_config.endpoint.host.c_str (), nullptr, error);
  g_object_unref (resolver);
  if (!addresses)
    return false;
  gchar *ip = g_inet_address_to_string (G_INET_ADDRESS (addresses->data));
  cluster_config.address = ip;
  g_free (ip);
  g_resolver_free_addresses (addresses);

  std::random_device random;
  gchar node_id[17];
  g_snprintf (node_id, sizeof node_id, "%08x%08x", random (), random ());
  cluster_config.node_id = node_id;
  cluster_config.member_ttl_ms = config.redis_member_ttl_s * 1000LL;
  cluster = cluster_config;
  return true;
}

bool
Server::Impl::start (const std::string &address, guint16 port, GError **error)
{
  if (running_) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY, "already running");
    return false;
  }
  GInetAddress *inet = g_inet_address_new_from_string (address.c_str ());
  if (!inet) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "not an IP address: %s", address.c_str ());
    return false;
  }
  GSocketAddress *socket_address = g_inet_socket_address_new (inet, port);
  g_object_unref (inet);
  sockaddr_storage ss{};
  gssize ss_len = g_socket_address_get_native_size (socket_address);
  g_socket_address_to_native (socket_address, &ss, sizeof ss, nullptr);
  g_object_unref (socket_address);

  if (config.tls_certificate_file.empty () != config.tls_key_file.empty ()) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "TLS needs both a certificate and a key file");
    return false;
  }
  if (!config.tls_certificate_file.empty ()) {
    tls = TlsContext::load (config.tls_certificate_file, config.tls_key_file,
                            error);
    if (!tls)
      return false;
  }

  if (!config.redis_url.empty () && !prepare_cluster (error))
    return false;

  ShardLimits limits;
  limits.max_peers_per_swarm = config.max_peers_per_swarm;
  limits.announce_interval_s = config.announce_interval_s;
  limits.peer_expiry_ms = config.peer_expiry_s * 1000LL;
  limits.offer_ttl_ms = config.offer_ttl_s * 1000LL;

  std::vector<int> fds;
  auto fail_errno = [&] (const char *what) {
    int e = errno;
    if (e == EADDRINUSE)
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE,
                   "%s port %u is already in use (another tracker or "
                   "program listens there)",
                   address.c_str (), port);
    else
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), "%s %s:%u: %s",
                   what, address.c_str (), port, g_strerror (e));
    for (int fd : fds)
      close (fd);
    return false;
  };
  for (unsigned i = 0; i < config.workers; i++) {
    int fd
        = socket (ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
      return fail_errno ("socket for");
    fds.push_back (fd);
    int one = 1;
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* The first socket listens without SO_REUSEPORT, so listen() fails if
     * anything else listens on the port, SO_REUSEPORT or not: two trackers
     * must not split one port's clients between them. Only then does it
     * take SO_REUSEPORT, for its own workers to join; the kernel checks
     * the flag at each bind and listen, and any later first socket (ours
     * or another process's) still conflicts with a listener. */
    if (i > 0)
      setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (bind (fd, reinterpret_cast<sockaddr *> (&ss), ss_len) < 0)
      return fail_errno ("cannot bind");
    if (listen (fd, 4096) < 0)
      return fail_errno ("cannot listen on");
    if (i == 0) {
      setsockopt (fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
      /* the other workers join the port the first one got */
      socklen_t len = sizeof ss;
      getsockname (fd, reinterpret_cast<sockaddr *> (&ss), &len);
      ss_len = len;
      port = ntohs (ss.ss_family == AF_INET
                        ? reinterpret_cast<sockaddr_in *> (&ss)->sin_port
                        : reinterpret_cast<sockaddr_in6 *> (&ss)->sin6_port);
    }
  }

  for (unsigned i = 0; i < config.workers; i++)
    workers_.push_back (std::make_unique<Worker> (*this, i, limits));
  for (unsigned i = 0; i < config.workers; i++) {
    if (!workers_[i]->open (fds[i], error)) {
      for (unsigned j = i + 1; j < config.workers; j++)
        close (fds[j]);
      workers_.clear ();
      return false;
    }
  }
  for (auto &w : workers_) {
    worker_descriptors_.push_back (w->epoll_fd ());
    worker_descriptors_.push_back (w->listen_fd ());
  }
  std::vector<std::future<bool>> tables;
  for (auto &w : workers_)
    tables.push_back (w->start ());
  for (size_t i = 0; i < tables.size (); i++) {
    /* a worker with a table of its own holds its descriptors there: the
     * process table's copies go */
    if (tables[i].get ()) {
      close (workers_[i]->epoll_fd ());
      close (workers_[i]->listen_fd ());
    }
  }
  bound_port.store (port);
  running_ = true;
  if (cluster)
    wait_for_cluster ();
  GST_INFO ("tracker listening on %s port %u with %u workers%s%s%s",
            address.c_str (), port, config.workers, tls ? ", TLS" : "",
            cluster ? ", cluster node " : "",
            cluster ? cluster->node_id.c_str () : "");
  return true;
}

void
Server::Impl::stop ()
{
  if (!running_)
    return;
  for (auto &w : workers_)
    w->request_stop ();
  for (auto &w : workers_)
    w->join ();
  workers_.clear ();
  worker_descriptors_.clear ();
  per_address_.clear ();
  connections_.store (0);
  bound_port.store (0);
  tls.reset ();
  cluster.reset ();
  running_ = false;
  GST_INFO ("tracker stopped");
}

Stats
Server::Impl::stats () const
{
  Stats s;
  auto sum = [] (const std::atomic<uint64_t> &c, uint64_t &to) {
    to += c.load (std::memory_order_relaxed);
  };
  for (const auto &w : workers_) {
    const Counters &c = w->counters;
    sum (c.connections, s.connections);
    sum (c.swarms, s.swarms);
    sum (c.peers, s.peers);
    sum (c.seeders, s.seeders);
    sum (c.connections_accepted, s.connections_accepted);
    sum (c.messages_received, s.messages_received);
    sum (c.announces, s.announces);
    sum (c.answers, s.answers);
    sum (c.scrapes, s.scrapes);
    sum (c.offers_relayed, s.offers_relayed);
    sum (c.answers_relayed, s.answers_relayed);
    sum (c.bytes_received, s.bytes_received);
    sum (c.bytes_sent, s.bytes_sent);
    for (size_t i = 0; i < s.errors.size (); i++)
      sum (c.errors[i], s.errors[i]);
    const ClusterCounters &cc = w->cluster_counters;
    sum (cc.connects, s.redis_connects);
    sum (cc.commands, s.redis_commands);
    sum (cc.relays_sent, s.cluster_relays_sent);
    sum (cc.relays_received, s.cluster_relays_received);
    sum (cc.publishes, s.cluster_publishes);
    sum (cc.local_fallbacks, s.local_fallbacks);
  }
  s.announces_per_second = rate_.load ();
  if (cluster) {
    s.clustered = true;
    s.node_id = cluster->node_id;
    s.redis_up = !workers_.empty ()
                 && std::all_of (workers_.begin (), workers_.end (),
                                 [] (const std::unique_ptr<Worker> &w) {
                                   return w->cluster_counters.up.load ();
                                 });
  }
  return s;
}

/* ----------------------------------------------------------------- Server */

Server::Server (const ServerConfig &config)
    : impl_ (std::make_unique<Impl> (config))
{
  static gsize once = 0;
  if (g_once_init_enter (&once)) {
    GST_DEBUG_CATEGORY_INIT (p2p_tracker_debug, "p2ptracker", 0,
                             "WebTorrent tracker");
    g_once_init_leave (&once, 1);
  }
}

Server::~Server () = default;

bool
Server::start (const std::string &address, guint16 port, GError **error)
{
  return impl_->start (address, port, error);
}

guint16
Server::port () const
{
  return impl_->bound_port.load ();
}

bool
Server::tls () const
{
  return !impl_->config.tls_certificate_file.empty ();
}

void
Server::stop ()
{
  impl_->stop ();
}

Stats
Server::stats () const
{
  return impl_->stats ();
}

const ServerConfig &
Server::config () const
{
  return impl_->config;
}

} // namespace p2p::tracker
