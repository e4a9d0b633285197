/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/stats.h"

#include "gst/webtorrent/json.h"

namespace p2p::tracker {

namespace {

struct Field
{
  const char *name;
  uint64_t Stats::*member;
  bool gauge;
  const char *help;
};

const Field kFields[] = {
  { "connections", &Stats::connections, true, "Open connections" },
  { "swarms", &Stats::swarms, true, "Swarms (info_hashes) with peers" },
  { "peers", &Stats::peers, true, "Peers in all swarms" },
  { "seeders", &Stats::seeders, true, "Peers that announced left=0" },
  { "connections_accepted", &Stats::connections_accepted, false,
    "Connections accepted" },
  { "messages_received", &Stats::messages_received, false,
    "WebSocket messages received" },
  { "announces", &Stats::announces, false, "Announces received" },
  { "answers", &Stats::answers, false, "Answers received" },
  { "scrapes", &Stats::scrapes, false, "Scrapes received" },
  { "offers_relayed", &Stats::offers_relayed, false, "Offers relayed" },
  { "answers_relayed", &Stats::answers_relayed, false, "Answers relayed" },
  { "bytes_received", &Stats::bytes_received, false, "Bytes received" },
  { "bytes_sent", &Stats::bytes_sent, false, "Bytes sent" },
};

/* Only for a node of a cluster. */
const Field kClusterFields[] = {
  { "redis_up", &Stats::redis_up, true,
    "1 while every worker reaches Redis, 0 while some serve alone" },
  { "redis_connects", &Stats::redis_connects, false,
    "Connections to Redis made ready (first and after outages)" },
  { "redis_commands", &Stats::redis_commands, false, "Redis commands sent" },
  { "cluster_relays_sent", &Stats::cluster_relays_sent, false,
    "Offers and answers sent to peers on other nodes" },
  { "cluster_relays_received", &Stats::cluster_relays_received, false,
    "Offers and answers received for this node's peers" },
  { "cluster_publishes", &Stats::cluster_publishes, false,
    "Redis PUBLISH batches of relays" },
  { "local_fallbacks", &Stats::local_fallbacks, false,
    "Announces and scrapes answered by this node alone: Redis failed" },
};

template <size_t N>
void
append_json (std::string &out, const Stats &stats, const Field (&fields)[N])
{
  for (const Field &f : fields) {
    webtorrent::json::write_string (out, f.name);
    out += ':';
    out += std::to_string (stats.*f.member);
    out += ',';
  }
}

template <size_t N>
void
append_prometheus (std::string &out, const Stats &stats,
                   const Field (&fields)[N])
{
  for (const Field &f : fields) {
    std::string name = std::string ("p2p_tracker_") + f.name;
    if (!f.gauge)
      name += "_total";
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + (f.gauge ? " gauge\n" : " counter\n");
    out += name + " " + std::to_string (stats.*f.member) + "\n";
  }
}

} // namespace

const char *
error_kind_name (ErrorKind kind)
{
  static const char *names[] = {
    "invalid_json",     "invalid_message",   "unknown_action",
    "unknown_offer",    "swarm_full",        "full_scrape",
    "too_many_swarms",  "message_too_big",   "protocol_error",
    "bad_handshake",    "handshake_timeout", "idle_timeout",
    "slow_consumer",    "connection_limit",  "address_limit",
    "descriptor_limit", "tls_error",
  };
  static_assert (sizeof names / sizeof names[0]
                     == static_cast<size_t> (ErrorKind::COUNT),
                 "one name per error kind");
  return names[static_cast<size_t> (kind)];
}

std::string
Stats::to_json () const
{
  std::string out = "{";
  append_json (out, *this, kFields);
  if (clustered) {
    out += "\"node_id\":";
    webtorrent::json::write_string (out, node_id);
    out += ',';
    append_json (out, *this, kClusterFields);
  }
  out += "\"announces_per_second\":";
  webtorrent::json::write_number (out, announces_per_second);
  out += ",\"errors\":{";
  for (size_t i = 0; i < errors.size (); i++) {
    if (i)
      out += ',';
    webtorrent::json::write_string (
        out, error_kind_name (static_cast<ErrorKind> (i)));
    out += ':';
    out += std::to_string (errors[i]);
  }
  out += "}}";
  return out;
}

std::string
Stats::to_prometheus () const
{
  std::string out;
  append_prometheus (out, *this, kFields);
  if (clustered)
    append_prometheus (out, *this, kClusterFields);
  out += "# HELP p2p_tracker_announces_per_second Announce rate over the "
         "last seconds\n# TYPE p2p_tracker_announces_per_second gauge\n"
         "p2p_tracker_announces_per_second ";
  webtorrent::json::write_number (out, announces_per_second);
  out += "\n# HELP p2p_tracker_errors_total Refused messages and closed "
         "connections, by kind\n# TYPE p2p_tracker_errors_total counter\n";
  for (size_t i = 0; i < errors.size (); i++) {
    out += "p2p_tracker_errors_total{kind=\"";
    out += error_kind_name (static_cast<ErrorKind> (i));
    out += "\"} " + std::to_string (errors[i]) + "\n";
  }
  return out;
}

} // namespace p2p::tracker
