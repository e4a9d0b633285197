/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2p-tracker: the standalone WebTorrent tracker. Prints
 * "p2p-tracker: listening on ADDRESS port PORT" once bound (followed by
 * " (TLS: wss://, https)" with --tls-cert), and stops gracefully on SIGTERM
 * or SIGINT.
 */
#include <csignal>
#include <cstdio>
#include <string>

#include <sys/resource.h>

#include <gst/gst.h>

#include "gst/tracker/server.h"
#include "command-line.h"

namespace {

/* Many connections need many descriptors: take the whole hard limit
 * (which then applies to each worker's own descriptor table). */
void
raise_file_limit ()
{
  rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
}

} // namespace

int
main (int argc, char **argv)
{
  p2p::tracker::ServerConfig config;
  /* GOption replaces a string option's value without freeing it: the
   * defaults are applied after parsing. */
  gchar *address = nullptr;
  gint port = 8000;
  gchar *log_level = nullptr;
  gint workers = 0, max_message = config.max_message_size;
  gint max_offers = config.max_offers_per_announce;
  gint max_peers = config.max_peers_per_swarm;
  gint interval = config.announce_interval_s;
  gint peer_expiry = config.peer_expiry_s;
  gint offer_ttl = config.offer_ttl_s;
  gint idle = config.idle_timeout_s;
  gint handshake = config.handshake_timeout_s;
  gint max_connections = config.max_connections;
  gint per_address = config.max_connections_per_address;
  gint max_swarms = config.max_swarms_per_connection;
  gint max_send_queue = config.max_send_queue;
  gboolean shared_fd_table = FALSE;
  gchar *tls_cert = nullptr, *tls_key = nullptr;
  gchar *redis = nullptr;
  gint redis_ttl = config.redis_member_ttl_s;

  GOptionEntry entries[] = {
    { "address", 'a', 0, G_OPTION_ARG_STRING, &address,
      "IP address to bind (default 0.0.0.0; :: for IPv6)", "ADDR" },
    { "port", 'p', 0, G_OPTION_ARG_INT, &port,
      "TCP port, 0 = any free port (default 8000)", "PORT" },
    { "workers", 'w', 0, G_OPTION_ARG_INT, &workers,
      "Worker threads (default: one per CPU)", "N" },
    { "shared-fd-table", 0, 0, G_OPTION_ARG_NONE, &shared_fd_table,
      "All workers share the process descriptor table, so the "
      "descriptor limit bounds all connections together (default: one "
      "table per worker, the limit bounds each worker)",
      nullptr },
    { "max-message-size", 0, 0, G_OPTION_ARG_INT, &max_message,
      "Largest WebSocket message in bytes (default 65536)", "BYTES" },
    { "max-offers", 0, 0, G_OPTION_ARG_INT, &max_offers,
      "Offers relayed per announce (default 10)", "N" },
    { "max-peers-per-swarm", 0, 0, G_OPTION_ARG_INT, &max_peers,
      "Peers per info_hash (default 100000)", "N" },
    { "interval", 'i', 0, G_OPTION_ARG_INT, &interval,
      "Announce interval sent to clients, seconds (default 120)", "S" },
    { "peer-expiry", 0, 0, G_OPTION_ARG_INT, &peer_expiry,
      "Drop peers silent this long, seconds (default 300)", "S" },
    { "offer-ttl", 0, 0, G_OPTION_ARG_INT, &offer_ttl,
      "Accept answers this long after the offer, seconds (default 120)", "S" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle,
      "Close connections silent this long, seconds (default 240)", "S" },
    { "handshake-timeout", 0, 0, G_OPTION_ARG_INT, &handshake,
      "Time for the upgrade or an unfinished frame, seconds (default 10)",
      "S" },
    { "max-connections", 0, 0, G_OPTION_ARG_INT, &max_connections,
      "Open connections in total (default 200000)", "N" },
    { "max-connections-per-address", 0, 0, G_OPTION_ARG_INT, &per_address,
      "Open connections per client IP, 0 = unlimited (default 128)", "N" },
    { "max-swarms-per-connection", 0, 0, G_OPTION_ARG_INT, &max_swarms,
      "Swarms one connection may join (default 64)", "N" },
    { "max-send-queue", 0, 0, G_OPTION_ARG_INT, &max_send_queue,
      "Bytes queued for a slow reader before it is dropped "
      "(default 1048576)",
      "BYTES" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
      "Serve wss:// and https with this PEM certificate chain (needs "
      "--tls-key)",
      "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key,
      "The PEM private key of --tls-cert", "FILE" },
    { "redis", 0, 0, G_OPTION_ARG_STRING, &redis,
      "Be a node of a cluster: share swarms with the other nodes through "
      "this Redis server (redis://HOST[:PORT][/DB])",
      "URL" },
    { "redis-ttl", 0, 0, G_OPTION_ARG_INT, &redis_ttl,
      "A dead node's peers leave the cluster's swarms this long after its "
      "last heartbeat, seconds (default 15)",
      "S" },
    { "log-level", 'l', 0, G_OPTION_ARG_STRING, &log_level,
      "none, error, warning, info, debug, log (default warning)", "LEVEL" },
    { nullptr }
  };

  if (!p2p::tools::parse_command_line (&argc, &argv, "- WebTorrent tracker",
                                       entries, gst_init_get_option_group ()))
    return 2;
  if (!address)
    address = g_strdup ("0.0.0.0");
  if (!log_level)
    log_level = g_strdup ("warning");
  if (port < 0 || port > 65535 || workers < 0 || max_message < 16
      || max_offers < 0 || max_peers < 1 || interval < 1 || peer_expiry < 1
      || offer_ttl < 1 || idle < 1 || handshake < 1 || max_connections < 1
      || per_address < 0 || max_swarms < 1 || max_send_queue < 4096
      || redis_ttl < 3) {
    g_printerr ("p2p-tracker: an option is out of range (see --help)\n");
    return 2;
  }
  if (!tls_cert != !tls_key) {
    g_printerr ("p2p-tracker: --tls-cert and --tls-key go together\n");
    return 2;
  }
  static const char *levels[] = { "none", "error", "warning", "fixme",
                                  "info", "debug", "log",     "trace" };
  int level = -1;
  for (int i = 0; i < 8; i++) {
    if (g_ascii_strcasecmp (log_level, levels[i]) == 0)
      level = i;
  }
  if (level < 0) {
    g_printerr ("p2p-tracker: unknown log level %s\n", log_level);
    return 2;
  }
  gst_init (nullptr, nullptr);
  std::string threshold = "p2ptracker:" + std::to_string (level);
  gst_debug_set_active (TRUE);
  gst_debug_set_threshold_from_string (threshold.c_str (), FALSE);

  config.workers = workers;
  config.max_message_size = max_message;
  config.max_offers_per_announce = max_offers;
  config.max_peers_per_swarm = max_peers;
  config.announce_interval_s = interval;
  config.peer_expiry_s = peer_expiry;
  config.offer_ttl_s = offer_ttl;
  config.idle_timeout_s = idle;
  config.handshake_timeout_s = handshake;
  config.max_connections = max_connections;
  config.max_connections_per_address = per_address;
  config.max_swarms_per_connection = max_swarms;
  config.max_send_queue = max_send_queue;
  config.private_fd_tables = !shared_fd_table;
  if (tls_cert) {
    config.tls_certificate_file = tls_cert;
    config.tls_key_file = tls_key;
  }
  if (redis)
    config.redis_url = redis;
  config.redis_member_ttl_s = redis_ttl;

  /* Block the stop signals before the workers exist, so they all inherit
   * the mask and only sigwait() below sees them. */
  sigset_t stop_signals;
  sigemptyset (&stop_signals);
  sigaddset (&stop_signals, SIGINT);
  sigaddset (&stop_signals, SIGTERM);
  pthread_sigmask (SIG_BLOCK, &stop_signals, nullptr);
  signal (SIGPIPE, SIG_IGN);
  raise_file_limit ();

  int status = 0;
  {
    p2p::tracker::Server server (config);
    GError *error = nullptr;
    if (!server.start (address, port, &error)) {
      g_printerr ("p2p-tracker: %s\n", error->message);
      g_error_free (error);
      return 1;
    }
    p2p::tracker::Stats started = server.stats ();
    printf ("p2p-tracker: listening on %s port %u%s%s%s\n", address,
            server.port (), server.tls () ? " (TLS: wss://, https)" : "",
            started.clustered ? ", cluster node " : "",
            started.node_id.c_str ());
    fflush (stdout);

    int sig = 0;
    sigwait (&stop_signals, &sig);
    p2p::tracker::Stats stats = server.stats ();
    server.stop ();
    printf ("p2p-tracker: stopped by %s after %" G_GUINT64_FORMAT
            " connections, %" G_GUINT64_FORMAT " announces\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM", stats.connections_accepted,
            stats.announces);
  }
  g_free (address);
  g_free (log_level);
  g_free (tls_cert);
  g_free (tls_key);
  g_free (redis);
  return status;
}
