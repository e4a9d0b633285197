/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The relay planner (swarm/relay-plan.h), state in and decisions out:
 * parents near the root, a relay of the stripe taking a leaf's place under
 * a full parent, HTTP ranges for just the missing bytes inside the HTTP
 * window, one segment after the other (earlier for a stripe we relay,
 * and at once for one that nothing else will bring),
 * none for a stripe whose parent keeps up, and strong relays moving up
 * to the seeder.
 */
#include <vector>

#include "gst/p2p/swarm/relay-plan.h"
#include "gst/p2p/swarm/swarm-identity.h"

#include <gst/check/gstcheck.h>

using namespace p2p::swarm;

namespace {

constexpr gsize kStripe = 100000;

struct Peer
{
  std::string id;
  std::vector<int64_t> depths;
  std::vector<std::vector<uint32_t>> paths{ 4 };
  SegmentSet announced;
};

struct Fixture
{
  RelayConfig config;
  RelayState state;
  std::vector<Peer> peers;
  std::string self = "-GP0200-selfselfself";

  Fixture ()
  {
    /* The times in the tests are set against these, not the defaults. */
    config.http_window = 3 * GST_SECOND;
    config.relay_lead = GST_SECOND;
    state.now = 100 * GST_SECOND;
    state.self_id = self;
    state.self_relay_id = relay_id (self);
    state.self_relay_slots = 4;
    state.self_interior = interior_stripe (self, 4);
    state.parents.resize (4);
    state.subscribe_from.assign (4, 50);
  }

  /* A peer relaying every stripe at @depth with @free_slots. */
  void
  add_peer (const std::string &id, int64_t depth, int64_t free_slots,
            int interior)
  {
    Peer p;
    p.id = id;
    p.depths.assign (4, depth);
    peers.push_back (p);
    PeerView v;
    v.relays = true;
    v.free_slots = free_slots;
    v.relay_slots = 8;
    v.interior = interior;
    views.push_back (v);
  }

  /* Segment @sequence due in @due_s with @received bytes of each stripe. */
  void
  add_segment (int64_t sequence, double due_s, gsize received)
  {
    RelaySegment s;
    s.sequence = sequence;
    s.deadline = state.now + GstClockTime (due_s * GST_SECOND);
    s.listed = state.now - GST_SECOND;
    for (guint j = 0; j < 4; j++)
      s.stripes.push_back ({ j * kStripe, (j + 1) * kStripe, received });
    state.segments.push_back (s);
  }

  /* Every stripe comes from the first peer, from segment 50 on. */
  void
  subscribe_to_first_peer ()
  {
    for (guint j = 0; j < 4; j++)
      state.parents[j] = { peers[0].id, 50, 0 };
  }

  std::vector<RelayDecision>
  plan ()
  {
    state.peers.clear ();
    for (size_t i = 0; i < peers.size (); i++) {
      PeerView v = views[i];
      v.id = peers[i].id;
      v.depths = &peers[i].depths;
      v.paths = &peers[i].paths;
      v.announced = &peers[i].announced;
      state.peers.push_back (v);
    }
    return plan_relay (config, state);
  }

  std::vector<PeerView> views;
};

std::vector<RelayDecision>
of_kind (const std::vector<RelayDecision> &all, RelayDecisionKind kind)
{
  std::vector<RelayDecision> out;
  for (const RelayDecision &d : all)
    if (d.kind == kind)
      out.push_back (d);
  return out;
}

} // namespace

GST_START_TEST (test_parents_near_the_root)
{
  Fixture f;
  f.add_peer ("-GP0200-deepdeepdeep", 5, 6, 0);
  f.add_peer ("-GP0200-nearnearnear", 1, 2, 1);
  auto subscribed = of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE);
  fail_unless_equals_int (subscribed.size (), 4);
  /* The near peer first; once its two slots are asked for, the deep one
   * (nothing nearer has room). */
  guint near = 0;
  for (const RelayDecision &d : subscribed) {
    near += d.peer_id == "-GP0200-nearnearnear";
    fail_unless_equals_int (d.sequence, 50);
  }
  fail_unless_equals_int (near, 2);

  /* While playback waits for a segment, no new parent takes the downlink
   * from it. */
  f.state.new_parents = false;
  fail_unless (of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE).empty ());

  /* Nor while a segment due inside the HTTP window has to come over HTTP
   * (a newcomer's backlog on a slow link) ... */
  f.state.new_parents = true;
  f.add_segment (48, 2.0, 0);
  fail_unless (of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE).empty ());
  /* ... until it is in. */
  f.state.segments.clear ();
  f.add_segment (48, 2.0, kStripe);
  fail_unless_equals_int (
      of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE).size (), 4);

  /* Nor while a segment due inside the HTTP window comes whole over HTTP
   * (a newcomer's first ones), but one due later does not hold them. */
  f.state.whole_http_due = f.state.now + 2 * GST_SECOND;
  fail_unless (of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE).empty ());
  f.state.whole_http_due = f.state.now + 4 * GST_SECOND;
  fail_unless_equals_int (
      of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE).size (), 4);
}

GST_END_TEST;

GST_START_TEST (test_relay_pushes_a_leaf_down)
{
  Fixture f;
  const guint mine = f.state.self_interior;
  /* A full relay of our stripe near the root, and room only deep down. */
  f.add_peer ("-GP0200-fullfullfull", 0, 0, int (mine));
  f.add_peer ("-GP0200-deepdeepdeep", 6, 8, int ((mine + 1) % 4));
  auto subscribed = of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE);
  bool pushed = false;
  for (const RelayDecision &d : subscribed) {
    if (d.stripe == mine)
      pushed = d.peer_id == "-GP0200-fullfullfull";
    else
      fail_unless (d.peer_id == "-GP0200-deepdeepdeep");
  }
  fail_unless (pushed, "our stripe not asked of the full relay near the root");

  /* A viewer that uploads nothing (no relay slots) has no child to push
   * down: asking it would be refused, again and again. */
  f.views[0].relay_slots = 0;
  for (const RelayDecision &d :
       of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE))
    fail_unless (d.peer_id == "-GP0200-deepdeepdeep");
  f.views[0].relay_slots = 8;

  /* A viewer that relays nothing does not push anyone. */
  f.state.self_relay_slots = 0;
  for (const RelayDecision &d :
       of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE))
    fail_unless (d.peer_id == "-GP0200-deepdeepdeep");
}

GST_END_TEST;

/* Our interior stripe's parent is @parent_depth deep and relays
 * @parent_slots stripes (we relay 8): whether the plan moves that stripe
 * to the seeder. */
static bool
moves_to_seeder (int64_t parent_depth, int64_t parent_slots)
{
  Fixture f;
  f.state.self_relay_slots = 8;
  const guint mine = f.state.self_interior;
  f.add_peer ("-GS0200-seederseeder", 0, 4, -1);
  f.views.back ().seeder = true;
  f.add_peer ("-GP0200-parentparent", parent_depth, 2, int (mine));
  f.views.back ().relay_slots = parent_slots;
  for (guint j = 0; j < 4; j++)
    f.state.parents[j] = { "-GP0200-parentparent", 40, 0 };
  bool left = false, asked = false;
  for (const RelayDecision &d : f.plan ()) {
    fail_unless (d.stripe == mine, "stripe %u moved", d.stripe);
    left |= d.kind == RelayDecisionKind::UNSUBSCRIBE;
    asked |= d.kind == RelayDecisionKind::SUBSCRIBE
             && d.peer_id == "-GS0200-seederseeder";
  }
  fail_unless_equals_int (left, asked);
  return asked;
}

/* A strong relay under a weak child of the seeder takes that child's copy
 * (Swarm::accept_child hands it over). */
GST_START_TEST (test_strong_relay_moves_up_to_the_seeder)
{
  fail_unless (moves_to_seeder (1, 2));
  fail_if (moves_to_seeder (1, 4)); /* not much weaker than us */
  fail_if (moves_to_seeder (2, 2)); /* not the seeder's child */
}

GST_END_TEST;

GST_START_TEST (test_http_for_missing_bytes_one_segment_at_a_time)
{
  Fixture f;
  /* Inside the HTTP window with no parent: the missing bytes over HTTP. */
  f.add_segment (60, 2.5, 40000);
  f.add_segment (61, 4.5, 0);
  f.config.max_parallel_http = 16;
  auto http = of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE);
  fail_unless_equals_int (http.size (), 4);
  for (const RelayDecision &d : http) {
    fail_unless_equals_int (d.sequence, 60);
    fail_unless_equals_int (d.from, d.stripe * kStripe + 40000);
    fail_unless_equals_int (d.to, (d.stripe + 1) * kStripe);
  }

  /* The next segment, also inside the window, waits for the first to be
   * over HTTP ... */
  f.state.segments.clear ();
  f.add_segment (60, 1.5, 40000);
  f.add_segment (61, 2.9, 0);
  http = of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE);
  fail_unless_equals_int (http.size (), 4);
  for (const RelayDecision &d : http)
    fail_unless_equals_int (d.sequence, 60);
  /* ... unless its own deadline is near. */
  f.state.segments.clear ();
  f.add_segment (60, 0.2, 40000);
  f.add_segment (61, 0.9, 0);
  http = of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE);
  fail_unless_equals_int (http.size (), 8);
}

GST_END_TEST;

GST_START_TEST (test_no_range_while_http_brings_an_earlier_segment)
{
  Fixture f;
  f.add_peer ("-GP0200-holderholder", 1, 0, 0);
  f.peers[0].announced = { 60, 61 };
  /* Segment 61 is far enough ahead to come from a peer as ranges ... */
  f.add_segment (61, 6.0, 0);
  fail_unless_equals_int (
      of_kind (f.plan (), RelayDecisionKind::PULL_RANGE).size (), 1);
  /* ... but not while segment 60 comes over HTTP: on a thin downlink the
   * range would make 60 late. */
  f.state.segments.clear ();
  f.add_segment (60, 2.0, 0);
  f.add_segment (61, 6.0, 0);
  auto decisions = f.plan ();
  fail_unless (of_kind (decisions, RelayDecisionKind::PULL_RANGE).empty ());
  fail_unless_equals_int (
      of_kind (decisions, RelayDecisionKind::HTTP_RANGE).size (), 4);
}

GST_END_TEST;

GST_START_TEST (test_parent_keeping_up_is_left_alone)
{
  Fixture f;
  f.add_peer ("-GP0200-parentparent", 1, 3, 0);
  f.subscribe_to_first_peer ();
  /* Half of each stripe in, at 100 kB/s, the last bytes just now: the
   * other half takes 0.5 s, the deadline is 2 s away. */
  f.add_segment (60, 2.0, kStripe / 2);
  for (StripeState &s : f.state.segments[0].stripes) {
    s.rate = 100000;
    s.last_bytes = f.state.now - 10 * GST_MSECOND;
  }
  fail_unless (of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).empty ());

  /* Too slow to make it: HTTP takes the rest. */
  for (StripeState &s : f.state.segments[0].stripes)
    s.rate = 20000;
  fail_unless_equals_int (
      of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).size (), 4);
  /* Quiet for a while: the same. */
  for (StripeState &s : f.state.segments[0].stripes) {
    s.rate = 100000;
    s.last_bytes = f.state.now - GST_SECOND;
  }
  fail_unless_equals_int (
      of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).size (), 4);
}

GST_END_TEST;

GST_START_TEST (test_relayed_stripe_repaired_earlier)
{
  Fixture f;
  f.add_peer ("-GP0200-parentparent", 1, 3, 0);
  f.subscribe_to_first_peer ();
  f.state.relayed_stripes.assign (4, false);
  /* Due just outside the HTTP window, nothing in yet: a stripe we only
   * play waits for its parent ... */
  f.add_segment (60, 3.5, 0);
  fail_unless (of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).empty ());
  /* ... one we relay is repaired now, so that our children get it from us
   * before their own windows open. */
  f.state.relayed_stripes[2] = true;
  auto http = of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE);
  fail_unless_equals_int (http.size (), 1);
  fail_unless_equals_int (http[0].stripe, 2);
  fail_unless_equals_int (http[0].from, 2 * kStripe);
  /* Not while its parent brings it in time. */
  StripeState &flowing = f.state.segments[0].stripes[2];
  flowing.received = kStripe / 2;
  flowing.rate = 100000;
  flowing.last_bytes = f.state.now - 10 * GST_MSECOND;
  fail_unless (of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).empty ());
  /* Nor before the lead. */
  flowing = { 2 * kStripe, 3 * kStripe, 0 };
  f.state.segments[0].deadline
      = f.state.now + f.config.http_window + f.config.relay_lead + GST_SECOND;
  fail_unless (of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).empty ());
}

GST_END_TEST;

/* With a short live delay a segment is listed shortly before its HTTP
 * window: a stripe we relay is then repaired half-way between the two,
 * not a whole lead early, so that our parent has time to bring it. */
GST_START_TEST (test_relay_lead_leaves_the_parent_half_the_time)
{
  Fixture f;
  f.add_peer ("-GP0200-parentparent", 1, 8, 0);
  f.subscribe_to_first_peer ();
  f.state.relayed_stripes.assign (4, false);
  f.state.relayed_stripes[2] = true;
  /* Listed now, due 0.8 s after the window opens (3 s): the lead is
   * 0.4 s, not the configured 1 s. */
  f.add_segment (60, 3.8, 0);
  f.state.segments[0].listed = f.state.now;
  fail_unless (of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).empty ());
  f.state.now += 300 * GST_MSECOND; /* 0.5 s before the window */
  fail_unless (of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).empty ());
  f.state.now += 200 * GST_MSECOND; /* 0.3 s before */
  auto http = of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE);
  fail_unless_equals_int (http.size (), 1);
  fail_unless_equals_int (http[0].stripe, 2);
  /* Listed long before, the whole configured lead applies. */
  f.state.segments[0].listed = f.state.now - 10 * GST_SECOND;
  f.state.segments[0].deadline = f.state.now + 3900 * GST_MSECOND;
  http = of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE);
  fail_unless_equals_int (http.size (), 1);
}

GST_END_TEST;

GST_START_TEST (test_new_parent_streams_a_missed_segment)
{
  Fixture f;
  f.add_peer ("-GP0200-parentparent", 1, 8, 0);
  f.state.subscribe_from.assign (4, 50);
  /* Segment 49 misses every stripe but is far from its HTTP window: the
   * new parent's stream starts there, not at 50 ... */
  f.add_segment (49, 6.0, 0);
  f.add_segment (50, 8.0, 0);
  auto subscribed = of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE);
  fail_unless_equals_int (subscribed.size (), 4);
  for (const RelayDecision &d : subscribed)
    fail_unless_equals_int (d.sequence, 49);
  /* ... except for a stripe of it already coming as a range, or partly
   * in ... */
  Transfer range;
  range.sequence = 49;
  range.stripe = 1;
  range.source = TransferSource::PEER;
  range.peer_id = "-GP0200-holderholder";
  f.state.ranges.push_back (range);
  f.state.segments[0].stripes[2].received = 1000;
  for (const RelayDecision &d :
       of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE))
    fail_unless_equals_int (d.sequence,
                            d.stripe == 1 || d.stripe == 2 ? 50 : 49);
  /* A holder of 49 is not asked for a range of what the new parent will
   * stream. */
  f.state.ranges.clear ();
  f.state.segments[0].stripes[2].received = 0;
  f.add_peer ("-GP0200-holderholder", 5, 0, 1);
  f.peers[1].announced = { 49, 50 };
  auto decisions = f.plan ();
  fail_unless_equals_int (
      of_kind (decisions, RelayDecisionKind::SUBSCRIBE).size (), 4);
  fail_unless (of_kind (decisions, RelayDecisionKind::PULL_RANGE).empty ());
  /* ... and when the parent could not bring it before the window opens. */
  f.state.ranges.clear ();
  f.state.segments.clear ();
  f.add_segment (49, 4.5, 0);
  f.add_segment (50, 8.0, 0);
  for (const RelayDecision &d :
       of_kind (f.plan (), RelayDecisionKind::SUBSCRIBE))
    fail_unless_equals_int (d.sequence, 50);
}

GST_END_TEST;

GST_START_TEST (test_orphaned_stripes_over_http_at_once)
{
  Fixture f;
  /* A parent with no room left: no new subscription in these plans. */
  f.add_peer ("-GP0200-parentparent", 1, 0, 0);
  f.state.parents[0] = RelayParent{ f.peers[0].id, 61, 0 };
  f.state.parents[1] = RelayParent{ f.peers[0].id, 60, 0 };
  /* Segment 60 is due in 3.5 s: outside the 3 s window, but too late to
   * ask a peer for a range (1 s before the window). Its stripe 1 comes
   * from the parent; nothing brings the others, so they come over HTTP
   * now rather than in half a second. */
  f.add_segment (60, 3.5, 0);
  f.add_segment (61, 5.5, 0);
  auto http = of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE);
  fail_unless_equals_int (http.size (), 3);
  for (const RelayDecision &d : http) {
    fail_unless_equals_int (d.sequence, 60);
    fail_if (d.stripe == 1);
  }
  /* With time left to ask a peer, they wait. */
  f.state.segments.clear ();
  f.add_segment (60, 4.5, 0);
  f.add_segment (61, 6.5, 0);
  fail_unless (of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).empty ());
  /* One segment after the other: not while an earlier one comes over
   * HTTP. */
  f.state.segments.clear ();
  f.add_segment (59, 1.5, 0);
  f.add_segment (60, 3.5, 0);
  for (guint j = 0; j < 4; j++) {
    Transfer t;
    t.sequence = 59;
    t.stripe = int (j);
    t.source = TransferSource::HTTP;
    f.state.ranges.push_back (t);
  }
  fail_unless (of_kind (f.plan (), RelayDecisionKind::HTTP_RANGE).empty ());
}

GST_END_TEST;

GST_START_TEST (test_lost_parents_left)
{
  Fixture f;
  f.add_peer ("-GP0200-parentparent", 1, 3, 0);
  f.state.parents[0] = { "-GP0200-goneparentxx", 50, 0 };
  f.state.parents[1] = { f.peers[0].id, 50, f.config.max_parent_misses };
  f.state.parents[2] = { f.peers[0].id, 50, 0 };
  /* A parent that receives stripe 3 through us: a loop. */
  f.peers[0].paths[3] = { 7, f.state.self_relay_id };
  f.state.parents[3] = { f.peers[0].id, 50, 0 };
  std::vector<guint> left;
  for (const RelayDecision &d :
       of_kind (f.plan (), RelayDecisionKind::UNSUBSCRIBE))
    left.push_back (d.stripe);
  fail_unless (left == std::vector<guint> ({ 0, 1, 3 }));
}

GST_END_TEST;

static Suite *
relay_plan_suite (void)
{
  Suite *s = suite_create ("relay-plan");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_parents_near_the_root);
  tcase_add_test (tc, test_relay_pushes_a_leaf_down);
  tcase_add_test (tc, test_strong_relay_moves_up_to_the_seeder);
  tcase_add_test (tc, test_http_for_missing_bytes_one_segment_at_a_time);
  tcase_add_test (tc, test_no_range_while_http_brings_an_earlier_segment);
  tcase_add_test (tc, test_parent_keeping_up_is_left_alone);
  tcase_add_test (tc, test_lost_parents_left);
  tcase_add_test (tc, test_orphaned_stripes_over_http_at_once);
  tcase_add_test (tc, test_relayed_stripe_repaired_earlier);
  tcase_add_test (tc, test_relay_lead_leaves_the_parent_half_the_time);
  tcase_add_test (tc, test_new_parent_streams_a_missed_segment);
  return s;
}

GST_CHECK_MAIN (relay_plan);
