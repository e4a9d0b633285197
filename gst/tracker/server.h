/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The embeddable WebTorrent tracker (DESIGN.md §5): used by tools/p2p-tracker
 * and by p2pswarmsink's `tracker-port`.
 *
 *   p2p::tracker::Server server (config);
 *   if (!server.start ("0.0.0.0", 0, &error)) …   // 0 = any free port
 *   guint16 port = server.port ();
 *   p2p::tracker::Stats s = server.stats ();        // any thread
 *   server.stop ();                                 // graceful, joins
 *
 * The server runs its own worker threads (one per core by default), each
 * with an epoll loop and its own SO_REUSEPORT listening socket, so the
 * kernel spreads connections. Swarm state is sharded by info_hash across
 * the same workers; the worker holding a connection parses its messages
 * and passes them to the swarm's worker, which relays to the receivers'
 * workers. WebSocket upgrade on any path; GET /stats.json and /metrics on
 * the same port; all of it over TLS when the config names a certificate.
 * With a Redis URL, several servers (nodes) share their swarms as one
 * tracker (cluster.h).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <glib.h>

#include "gst/tracker/stats.h"

namespace p2p::tracker {

struct ServerConfig
{
  unsigned workers = 0; /* 0 = one per online CPU */
  size_t max_message_size = 64 * 1024;
  size_t max_offers_per_announce = 10; /* extra offers are not relayed */
  size_t max_peers_per_swarm = 100000;
  unsigned announce_interval_s = 120; /* the `interval` sent */
  unsigned peer_expiry_s = 300;       /* silent peers leave their swarm */
  unsigned offer_ttl_s = 120;         /* an offer can be answered this long */
  unsigned idle_timeout_s = 240;      /* no message: the connection closes */
  unsigned handshake_timeout_s = 10;  /* also for a frame left unfinished */
  size_t max_connections = 200000;
  size_t max_connections_per_address = 128; /* 0 = unlimited */
  size_t max_send_queue = 1024 * 1024;      /* bytes queued for a slow reader */
  size_t max_swarms_per_connection = 64;
  size_t max_scrape_hashes = 64;
  unsigned scrape_interval_s = 600; /* flags.min_request_interval */
  /* Each worker thread takes a descriptor table of its own
   * (unshare(CLONE_FILES)) once its epoll, eventfd and listening socket
   * exist. RLIMIT_NOFILE then bounds each worker, not the process, so N
   * workers hold N times as many connections. Meant for a process of its
   * own (tools/p2p-tracker): descriptors the host process opens later are
   * not visible to the workers. */
  bool private_fd_tables = false;
  /* Each worker reads and writes its sockets of a loop turn in one system
   * call through io_uring where the kernel allows it (socket-batch.h);
   * false: one call per socket. */
  bool io_uring = true;
  /* TLS: the PEM certificate chain and private key. Set both to serve
   * wss:// (and /stats.json, /metrics over https); empty: ws:// and http. */
  std::string tls_certificate_file;
  std::string tls_key_file;
  /* A cluster: "redis://HOST[:PORT][/DB]" (redis-url.h), shared with the
   * other nodes. Empty: this node alone. */
  std::string redis_url;
  /* A node's peers stay in the cluster's swarms this long after its last
   * heartbeat (every third of it): how soon a dead node is forgotten. */
  unsigned redis_member_ttl_s = 15;
};

class Server
{
public:
  explicit Server (const ServerConfig &config = {});
  /* Stops if running. */
  ~Server ();

  Server (const Server &) = delete;
  Server &operator= (const Server &) = delete;

  /* Binds @address (an IPv4 or IPv6 literal) and @port (0 = any free port)
   * and starts the workers. Errors are in G_IO_ERROR: ADDRESS_IN_USE when
   * something listens on the port, INVALID_DATA for a TLS certificate or
   * key that cannot be used, INVALID_ARGUMENT for a Redis URL that is none
   * and NOT_FOUND for its host unknown. A Redis server that does not answer
   * is no error: the server works alone until it does. With Redis, it
   * returns once every worker is in the cluster or has failed to reach
   * Redis once (about 2 s at most). */
  bool start (const std::string &address, guint16 port, GError **error);

  /* The bound port, 0 when not running. */
  guint16 port () const;
  /* Whether it serves TLS (wss://, https). */
  bool tls () const;

  /* Sends a WebSocket close (1001 going away) to every connection, closes
   * them and joins the workers. Idempotent; safe from any thread but a
   * worker. */
  void stop ();

  /* A snapshot of the counters; safe from any thread. */
  Stats stats () const;

  const ServerConfig &config () const;

  class Impl;

private:
  std::unique_ptr<Impl> impl_;
};

} // namespace p2p::tracker
