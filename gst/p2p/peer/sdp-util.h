/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Small SDP text helpers for non-trickle signalling (PROTOCOLS.md §1.7).
 * Pure functions: no webrtcbin involved, safe on any input.
 */
#pragma once

#include <string>
#include <vector>

namespace p2p::peer {

/* The connection addresses of every `a=candidate` line of @sdp, in order,
 * duplicates kept (one entry per candidate). Lines that do not parse are
 * skipped. */
std::vector<std::string> sdp_candidate_addresses (const std::string &sdp);

/* @sdp without its `a=ice-options:trickle` lines, as simple-peer sends it
 * when trickle is off (its `filterTrickle`). Other lines are kept verbatim. */
std::string sdp_without_trickle_option (const std::string &sdp);

/* Whether @sdp has a WebRTC data channel section: `m=application` with
 * protocol `UDP/DTLS/SCTP` or `DTLS/SCTP`. */
bool sdp_has_data_channel (const std::string &sdp);

} // namespace p2p::peer
