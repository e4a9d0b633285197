/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * SwarmShard with injected time: seeder counting as bittorrent-tracker,
 * random distinct receivers, answer routing rules, peer and offer expiry.
 */
#include <gst/check/gstcheck.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gst/tracker/swarm-shard.h"

using namespace p2p::tracker;
using namespace p2p::webtorrent;

namespace {

class Recorder : public SwarmShard::Output
{
public:
  void
  send (ConnectionId to, std::string message) override
  {
    sent.emplace_back (to, std::move (message));
  }
  std::vector<std::pair<ConnectionId, std::string>> sent;
};

Id20
id (const char *prefix, int n)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%s%012d", prefix, n);
  return *Id20::from_bytes (std::string_view (buf, 20));
}

const Id20 kHash = id ("infohash", 1);

std::vector<PreparedOffer>
offers (int n, int tag)
{
  std::vector<PreparedOffer> v;
  for (int i = 0; i < n; i++)
    v.push_back ({ id ("offer---", tag * 100 + i),
                   "offer " + std::to_string (tag * 100 + i) });
  return v;
}

SwarmShard::Outcome
join (SwarmShard &shard, Recorder &out, int peer, int64_t now,
      AnnounceEvent event = AnnounceEvent::STARTED, bool seeder = false,
      int offer_count = 0)
{
  auto o = offers (offer_count, peer);
  return shard.announce (peer, kHash, id ("peer----", peer), event, seeder, o,
                         now, out);
}

SwarmShard::Outcome
answer (SwarmShard &shard, Recorder &out, ConnectionId conn, const Id20 &from,
        const Id20 &to, const Id20 &offer_id, const char *text, int64_t now)
{
  std::string message = text;
  return shard.answer (conn, kHash, from, to, offer_id, message, now, out);
}

} // namespace

GST_START_TEST (test_counts_follow_bittorrent_tracker)
{
  SwarmShard shard ({}, 1);
  Recorder out;
  join (shard, out, 1, 0);
  join (shard, out, 2, 0, AnnounceEvent::STARTED, true);
  /* completed from a known leecher makes a seeder even without left=0 */
  join (shard, out, 3, 0);
  join (shard, out, 3, 0, AnnounceEvent::COMPLETED);
  /* completed from an unknown peer is a start: leecher */
  join (shard, out, 4, 0, AnnounceEvent::COMPLETED);
  TrackerMessage::ScrapeFile f = shard.scrape (kHash);
  fail_unless_equals_int (f.complete, 2);
  fail_unless_equals_int (f.incomplete, 2);
  fail_unless_equals_int (f.downloaded, 2);
  fail_unless_equals_int (shard.peer_count (), 4);
  fail_unless_equals_int (shard.seeder_count (), 2);

  /* a stop from another connection than the owner's is ignored */
  auto none = offers (0, 0);
  shard.announce (99, kHash, id ("peer----", 2), AnnounceEvent::STOPPED, false,
                  none, 0, out);
  fail_unless_equals_int (shard.peer_count (), 4);
  join (shard, out, 2, 0, AnnounceEvent::STOPPED);
  fail_unless_equals_int (shard.seeder_count (), 1);
  fail_unless (out.sent.back ().second.find ("\"complete\":1,"
                                             "\"incomplete\":2")
               != std::string::npos);
}

GST_END_TEST;

GST_START_TEST (test_offers_go_to_distinct_random_peers)
{
  SwarmShard shard ({}, 7);
  Recorder out;
  for (int p = 1; p <= 20; p++)
    join (shard, out, p, 0);
  std::map<ConnectionId, int> received;
  for (int round = 0; round < 200; round++) {
    out.sent.clear ();
    SwarmShard::Outcome o
        = join (shard, out, 1, 0, AnnounceEvent::NONE, false, 5);
    fail_unless_equals_int (o.offers_relayed, 5);
    std::set<ConnectionId> targets;
    for (size_t i = 1; i < out.sent.size (); i++) {
      fail_if (out.sent[i].first == 1, "offer sent back to its sender");
      targets.insert (out.sent[i].first);
      received[out.sent[i].first]++;
    }
    fail_unless_equals_int (targets.size (), 5);
  }
  /* 1000 offers over 19 peers: each gets some, none gets most */
  fail_unless_equals_int (received.size (), 19);
  for (auto &r : received)
    fail_unless (r.second > 20 && r.second < 100, "peer %d got %d",
                 (int)r.first, r.second);
}

GST_END_TEST;

GST_START_TEST (test_answers_need_a_pending_offer)
{
  ShardLimits limits;
  limits.offer_ttl_ms = 1000;
  SwarmShard shard (limits, 3);
  Recorder out;
  join (shard, out, 1, 0);
  join (shard, out, 2, 0, AnnounceEvent::STARTED, false, 1);
  Id20 offer_id = id ("offer---", 200);
  Id20 a = id ("peer----", 1), b = id ("peer----", 2);

  /* wrong connection, wrong offerer, wrong offer id: refused */
  fail_unless (answer (shard, out, 5, a, b, offer_id, "x", 10).error
               == SwarmShard::Error::UNKNOWN_OFFER);
  fail_unless (answer (shard, out, 1, a, a, offer_id, "x", 10).error
               == SwarmShard::Error::UNKNOWN_OFFER);
  fail_unless (answer (shard, out, 1, a, b, id ("offer---", 9), "x", 10).error
               == SwarmShard::Error::UNKNOWN_OFFER);
  fail_unless_equals_string (
      out.sent.back ().second.c_str (),
      "{\"action\":\"announce\",\"failure reason\":\"unknown offer (expired, "
      "or not sent to this peer)\",\"info_hash\":\"infohash000000000001\"}");

  out.sent.clear ();
  SwarmShard::Outcome o = answer (shard, out, 1, a, b, offer_id, "answer", 10);
  fail_unless (o.answer_relayed);
  fail_unless_equals_int (out.sent.size (), 1);
  fail_unless_equals_int (out.sent[0].first, 2);
  fail_unless_equals_string (out.sent[0].second.c_str (), "answer");

  /* an offer past its TTL cannot be answered */
  join (shard, out, 2, 100, AnnounceEvent::NONE, false, 1);
  fail_unless (answer (shard, out, 1, a, b, offer_id, "late", 1200).error
               == SwarmShard::Error::UNKNOWN_OFFER);
}

GST_END_TEST;

GST_START_TEST (test_expiry_and_leave)
{
  ShardLimits limits;
  limits.peer_expiry_ms = 1000;
  limits.max_peers_per_swarm = 3;
  SwarmShard shard (limits, 5);
  Recorder out;
  join (shard, out, 1, 0);
  join (shard, out, 2, 500);
  join (shard, out, 3, 900);
  fail_unless (join (shard, out, 4, 900).error
               == SwarmShard::Error::SWARM_FULL);
  fail_unless_equals_int (shard.expire (1200), 1);
  fail_unless_equals_int (shard.peer_count (), 2);
  /* a leave from a stale connection does not remove the new owner */
  join (shard, out, 2, 1300);
  shard.leave (77, kHash, id ("peer----", 2));
  fail_unless_equals_int (shard.peer_count (), 2);
  shard.leave (2, kHash, id ("peer----", 2));
  shard.leave (3, kHash, id ("peer----", 3));
  fail_unless_equals_int (shard.peer_count (), 0);
  fail_unless_equals_int (shard.swarm_count (), 0);
}

GST_END_TEST;

/* The parts a worker uses in a cluster: receivers picked elsewhere, offers
 * whose answers go back to another node's member, peers listed for Redis. */
GST_START_TEST (test_cluster_parts)
{
  SwarmShard shard ({}, 9);
  Recorder out;
  const Id20 a = id ("peer----", 1), remote = id ("peer----", 50);
  const Id20 offer_id = id ("offer---", 7);

  SwarmShard::Joined joined
      = shard.join (1, kHash, a, AnnounceEvent::STARTED, false, 0, out);
  fail_unless (joined.error == SwarmShard::Error::NONE && !joined.seeder);
  fail_unless (out.sent.empty (), "join () replies nothing");
  joined = shard.join (1, kHash, a, AnnounceEvent::COMPLETED, false, 0, out);
  fail_unless (joined.seeder);

  /* an offer from a peer on member 3, for our peer a */
  fail_unless (
      shard.deliver_offer (kHash, a, remote, offer_id, 3, "offer", 0, out));
  fail_unless_equals_int (out.sent.size (), 1);
  fail_unless_equals_int (out.sent[0].first, 1);
  fail_if (shard.deliver_offer (kHash, id ("peer----", 2), remote, offer_id, 3,
                                "nobody", 0, out));
  /* its answer is not sent here: it goes to member 3, message untouched */
  std::string message = "the answer";
  SwarmShard::Outcome o
      = shard.answer (1, kHash, a, remote, offer_id, message, 10, out);
  fail_unless (o.answer_relayed);
  fail_unless_equals_int (o.forward_to, 3);
  fail_unless (message == "the answer");
  fail_unless_equals_int (out.sent.size (), 1);
  /* once */
  o = shard.answer (1, kHash, a, remote, offer_id, message, 10, out);
  fail_unless (o.error == SwarmShard::Error::UNKNOWN_OFFER);

  /* an answer from another node for our offerer a */
  fail_unless (shard.deliver (kHash, a, "relayed answer", out));
  fail_unless_equals_string (out.sent.back ().second.c_str (),
                             "relayed answer");
  fail_if (shard.deliver (kHash, remote, "x", out));

  std::vector<Id20> listed, seeding;
  shard.for_each_swarm ([&] (const Id20 &info_hash,
                             const std::vector<Id20> &peers,
                             const std::vector<Id20> &seeders) {
    fail_unless (info_hash == kHash);
    listed = peers;
    seeding = seeders;
  });
  fail_unless (listed.size () == 1 && listed[0] == a);
  fail_unless (seeding.size () == 1 && seeding[0] == a);

  /* a stop from another connection changes nothing, its own removes */
  fail_if (
      shard.join (9, kHash, a, AnnounceEvent::STOPPED, false, 0, out).removed);
  fail_unless (
      shard.join (1, kHash, a, AnnounceEvent::STOPPED, false, 0, out).removed);
  fail_unless_equals_int (shard.swarm_count (), 0);

  /* expiry names the peers it drops, for Redis */
  join (shard, out, 4, 0);
  std::vector<std::pair<Id20, Id20>> dropped;
  fail_unless_equals_int (shard.expire (400 * 1000, &dropped), 1);
  fail_unless (dropped.size () == 1 && dropped[0].first == kHash
               && dropped[0].second == id ("peer----", 4));
  fail_if (shard.leave (4, kHash, id ("peer----", 4)));
}

GST_END_TEST;

static Suite *
tracker_swarm_suite (void)
{
  Suite *s = suite_create ("tracker-swarm");
  TCase *tc = tcase_create ("shard");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_counts_follow_bittorrent_tracker);
  tcase_add_test (tc, test_offers_go_to_distinct_random_peers);
  tcase_add_test (tc, test_answers_need_a_pending_offer);
  tcase_add_test (tc, test_expiry_and_leave);
  tcase_add_test (tc, test_cluster_parts);
  return s;
}

GST_CHECK_MAIN (tracker_swarm);
