/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tracker statistics: a snapshot summed over the workers, rendered as the
 * /stats.json document and as Prometheus text for /metrics.
 */
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace p2p::tracker {

enum class ErrorKind {
  INVALID_JSON,    /* not JSON, or not UTF-8 */
  INVALID_MESSAGE, /* JSON with wrong fields, types or lengths */
  UNKNOWN_ACTION,
  UNKNOWN_OFFER, /* answer to no pending offer */
  SWARM_FULL,
  FULL_SCRAPE,     /* scrape without info_hash: refused */
  TOO_MANY_SWARMS, /* per-connection swarm limit */
  MESSAGE_TOO_BIG,
  PROTOCOL_ERROR, /* WebSocket framing */
  BAD_HANDSHAKE,
  HANDSHAKE_TIMEOUT,
  IDLE_TIMEOUT,
  SLOW_CONSUMER, /* send queue over its limit */
  CONNECTION_LIMIT,
  ADDRESS_LIMIT,
  DESCRIPTOR_LIMIT, /* the worker's descriptor table is full */
  TLS_ERROR,        /* TLS handshake or record failure (wss, https) */
  COUNT,
};

const char *error_kind_name (ErrorKind kind);

struct Stats
{
  uint64_t connections = 0;
  uint64_t swarms = 0;
  uint64_t peers = 0;
  uint64_t seeders = 0;
  uint64_t connections_accepted = 0;
  uint64_t messages_received = 0;
  uint64_t announces = 0;
  uint64_t answers = 0;
  uint64_t scrapes = 0;
  uint64_t offers_relayed = 0;
  uint64_t answers_relayed = 0;
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  double announces_per_second = 0; /* over the last few seconds */
  /* A node of a cluster (ServerConfig::redis_url) */
  bool clustered = false;
  std::string node_id;
  uint64_t redis_up = 0; /* 1 while every worker reaches Redis */
  uint64_t redis_connects = 0;
  uint64_t redis_commands = 0;
  uint64_t cluster_relays_sent = 0;     /* offers, answers to other nodes */
  uint64_t cluster_relays_received = 0; /* and from them */
  uint64_t cluster_publishes = 0;       /* batches of those sent */
  uint64_t local_fallbacks = 0; /* messages served alone: Redis failed */
  std::array<uint64_t, static_cast<size_t> (ErrorKind::COUNT)> errors{};

  uint64_t
  error_count (ErrorKind kind) const
  {
    return errors[static_cast<size_t> (kind)];
  }
  std::string to_json () const;
  std::string to_prometheus () const;
};

} // namespace p2p::tracker
