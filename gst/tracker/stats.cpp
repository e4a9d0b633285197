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
  for (const Field &f : kFields) {
    webtorrent::json::write_string (out, f.name);
    out += ':';
    out += std::to_string (this->*f.member);
    out += ',';
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
  for (const Field &f : kFields) {
    std::string name = std::string ("p2p_tracker_") + f.name;
    if (!f.gauge)
      name += "_total";
    out += "# HELP " + name + " " + f.help + "\n";
    out += "# TYPE " + name + (f.gauge ? " gauge\n" : " counter\n");
    out += name + " " + std::to_string (this->*f.member) + "\n";
  }
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
