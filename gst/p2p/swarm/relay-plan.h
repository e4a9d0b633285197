/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Delivery of segments that are relayed stripe by stripe (DELIVERY.md §4,
 * gst-p2p 2 peers): pure logic, state in, decisions out, like scheduler.h
 * for whole segments.
 *
 *  - Each stripe comes from one parent we subscribe to: a peer that
 *    receives it (a finite depth), has room (free slots), and does not
 *    receive it through us. Near the root first, each stripe's own relays
 *    first (SplitStream), parents of no other stripe of ours first (one
 *    slow uplink holds one stripe back, not several). A relay of a stripe
 *    may ask a full parent much nearer the root, which pushes a leaf down
 *    for it. No new parent while playback waits for a segment, nor while
 *    a segment due inside the HTTP window still has to come over HTTP. A parent
 *    that is gone, receives the stripe through us, or brought nothing of a
 *    segment HTTP then had to bring, is left.
 *  - A stripe of a segment that no subscription brings (segments before
 *    it) is asked of a peer that holds the segment, as a byte range: the
 *    missing bytes only, and not while an earlier segment comes over
 *    HTTP (on a slow downlink the range would make that one late).
 *  - Inside the HTTP window, whatever is still missing of a stripe comes
 *    over HTTP as a Range request for just those bytes, one segment after
 *    the other, unless the parent delivers fast enough to finish before
 *    the deadline: the repair that keeps playback going whoever left. A
 *    stripe we relay is repaired earlier, so that the repair reaches our
 *    children in time and one miss does not spread down the tree. A
 *    stripe that nothing else will bring (no subscription, too late for a
 *    range) comes over HTTP at once, still one segment after the other.
 */
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gst/gst.h>

#include "gst/p2p/swarm/scheduler.h"

namespace p2p::swarm {

struct RelayConfig
{
  GstClockTime http_window = 2 * GST_SECOND;
  /* Inside the HTTP window, a stripe still flowing from its parent fast
   * enough to be in this long before its deadline is left to it, until
   * the last @min_http_time. */
  GstClockTime flow_margin = GST_SECOND / 2;
  GstClockTime min_http_time = 1 * GST_SECOND;
  /* A range from a peer with no bytes for this long goes elsewhere. */
  GstClockTime p2p_timeout = 2 * GST_SECOND;
  /* Ranges are asked only while this much is left before the HTTP
   * window. */
  GstClockTime min_p2p_time = 1 * GST_SECOND;
  guint max_parallel_http = 4;
  guint max_parallel_ranges = 4;
  /* HTTP stood in for a parent this often: the parent is left. */
  guint max_parent_misses = 1;
  /* A stripe we relay to children is repaired this much earlier than one
   * we only play: our HTTP bytes then reach them before their own
   * windows open, and a miss stops at us instead of going down the tree.
   * At most half the time peers have for the segment (listed to window),
   * so that a short live delay leaves our own parent its turn. Three
   * seconds: a relay forwards its repair to several children at a share
   * of its uplink, which takes longer than one HTTP range (in the
   * simulator, with wire costs, 3 s and the half gave 0.75 points more
   * steady offload than a fixed 2 s at N = 100, 32 seeds, and 3 points
   * more with live-delay 3). */
  GstClockTime relay_lead = 3 * GST_SECOND;
  /* A new parent streams an older segment we miss of its stripe if it has
   * this long before our HTTP window opens. */
  GstClockTime min_catch_up_time = 2 * GST_SECOND;
  guint64 election_seed = 0;
};

struct StripeState
{
  gsize begin = 0; /* of the stripe, in the segment */
  gsize end = 0;
  gsize received = 0;          /* checked bytes from its start */
  GstClockTime last_bytes = 0; /* when bytes of it last came, 0: never */
  double rate = 0;             /* bytes/s it came at from a peer, 0: unknown */
};

struct RelaySegment
{
  int64_t sequence = 0;
  GstClockTime deadline = 0;
  GstClockTime listed = 0; /* when our playlist first listed it */
  std::vector<StripeState> stripes;
};

struct RelayParent
{
  std::string_view peer_id; /* empty: none */
  /* The first segment it was asked to bring. */
  int64_t from = 0;
  /* Times HTTP had to fetch what it should have brought. */
  guint misses = 0;
};

struct RelayState
{
  GstClockTime now = 0;
  std::string_view self_id;
  uint32_t self_relay_id = 0;
  /* Stripes we can relay: none, and the seeder's copies are not for us. */
  guint self_relay_slots = 0;
  /* The stripe we relay. */
  guint self_interior = 0;
  std::vector<RelaySegment> segments; /* by deadline */
  std::vector<RelayParent> parents;   /* per stripe */
  /* Per stripe: the newest segment with none of the stripe yet. A new
   * subscription starts there, or at an older segment still missing the
   * stripe with time for the parent to bring it. */
  std::vector<int64_t> subscribe_from;
  /* False while playback waits for a segment: new subscriptions would
   * take the downlink from it. */
  bool new_parents = true;
  /* Ranges running (Transfer::stripe >= 0), over HTTP or from peers. */
  std::vector<Transfer> ranges;
  /* HTTP downloads running that are not ranges, and the earliest deadline
   * among them. */
  guint http_busy = 0;
  GstClockTime whole_http_due = GST_CLOCK_TIME_NONE;
  /* Per stripe: whether we relay it to children. */
  std::vector<bool> relayed_stripes;
  std::vector<PeerView> peers;
};

enum class RelayDecisionKind {
  SUBSCRIBE,
  UNSUBSCRIBE,
  PULL_RANGE, /* from a peer */
  HTTP_RANGE,
  CANCEL_RANGE,
};

struct RelayDecision
{
  RelayDecisionKind kind;
  guint stripe = 0;
  int64_t sequence = 0;
  std::string peer_id; /* SUBSCRIBE, PULL_RANGE */
  gsize from = 0, to = 0;
};

std::vector<RelayDecision> plan_relay (const RelayConfig &config,
                                       const RelayState &state);

} // namespace p2p::swarm
