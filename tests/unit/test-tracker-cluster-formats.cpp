/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The two formats of tracker clustering: the Redis URL of p2p-tracker
 * --redis, and the relay batches nodes publish to each other.
 */
#include <gst/check/gstcheck.h>

#include <string>
#include <vector>

#include "gst/tracker/redis-url.h"
#include "gst/tracker/relay-batch.h"
#include "test-helpers.h"

using namespace p2p::tracker;
using p2p::webtorrent::Id20;

namespace {

Id20
id_from (const std::string &s)
{
  return *Id20::from_bytes (s);
}

} // namespace

GST_START_TEST (test_redis_urls)
{
  RedisEndpoint e;
  fail_unless (parse_redis_url ("redis://127.0.0.1", e));
  assert_equals_std_string (e.host, "127.0.0.1");
  fail_unless_equals_int (e.port, 6379);
  fail_unless_equals_int (e.database, 0);
  fail_unless (e.password.empty () && e.user.empty ());

  fail_unless (parse_redis_url ("redis://tracker:p%40ss@[::1]:7000/3", e));
  assert_equals_std_string (e.host, "::1");
  fail_unless_equals_int (e.port, 7000);
  fail_unless_equals_int (e.database, 3);
  assert_equals_std_string (e.user, "tracker");
  assert_equals_std_string (e.password, "p@ss");
  /* the logs never see the password */
  assert_equals_std_string (e.to_string (), "redis://[::1]:7000/3");

  fail_unless (parse_redis_url ("REDIS://:secret@redis.example:6380/", e));
  assert_equals_std_string (e.host, "redis.example");
  assert_equals_std_string (e.password, "secret");
  fail_unless (e.user.empty ());

  std::string why;
  for (const char *bad :
       { "", "127.0.0.1:6379", "rediss://127.0.0.1", "http://127.0.0.1",
         "redis://", "redis://:6379", "redis://host:0", "redis://host:70000",
         "redis://host/x", "redis://host/1/2", "redis://host/65536",
         "redis://host?db=1", "redis://h%2Fst", "redis://[fe80::1%25eth0]" }) {
    why.clear ();
    fail_if (parse_redis_url (bad, e, &why), "%s parsed", bad);
    fail_if (why.empty (), "no reason for %s", bad);
  }
  fail_if (parse_redis_url (std::string ("redis://a\0b", 11), e));
}

GST_END_TEST;

GST_START_TEST (test_relay_batches)
{
  const Id20 swarm = id_from ("L2uYwMcHhsstZuLv8ZqU");
  const Id20 a = id_from ("-PM0203-AAAAAAAAAAAA");
  const Id20 b = id_from ("-PM0203-BBBBBBBBBBBB");
  const Id20 offer
      = id_from (std::string ("\0\1\"\\\x80\xff\n\r\0abcdefghijk", 20));
  static const char kMessage[] = "{\"offer\":\"\0 and \xc3\xa9\"}";
  const std::string message (kMessage, sizeof kMessage - 1);

  RelayItem first;
  first.kind = RelayItem::Kind::OFFER;
  first.info_hash = swarm;
  first.to_peer_id = a;
  first.from_peer_id = b;
  first.offer_id = offer;
  first.reply_to = "0123456789abcdef-1";
  first.message = message;
  RelayItem second = first;
  second.kind = RelayItem::Kind::ANSWER;
  second.to_peer_id = b;
  second.from_peer_id = a;
  second.reply_to = {};
  second.message = "answer";

  std::string batch;
  append_relay_item (batch, first);
  append_relay_item (batch, second);
  std::vector<RelayItem> items;
  fail_unless (parse_relay_batch (batch, items));
  fail_unless_equals_int (items.size (), 2);
  fail_unless (items[0].kind == RelayItem::Kind::OFFER);
  fail_unless (items[0].info_hash == swarm && items[0].to_peer_id == a
               && items[0].from_peer_id == b && items[0].offer_id == offer);
  fail_unless (items[0].reply_to == "0123456789abcdef-1");
  fail_unless (items[0].message == message, "the message is not byte-exact");
  fail_unless (items[1].kind == RelayItem::Kind::ANSWER);
  fail_unless (items[1].to_peer_id == b && items[1].reply_to.empty ());
  fail_unless (items[1].message == "answer");

  /* anything cut, extended or unknown is refused as a whole; only the
   * cut right after the first item is a batch (of one) */
  std::string first_only;
  append_relay_item (first_only, first);
  for (size_t cut = 0; cut < batch.size (); cut++)
    fail_unless (parse_relay_batch (batch.substr (0, cut), items)
                     == (cut == first_only.size ()),
                 "a batch cut at %zu", cut);
  fail_if (parse_relay_batch (batch + "x", items));
  fail_unless (items.empty ());
  std::string unknown = batch;
  unknown[5] = 9;
  fail_if (parse_relay_batch (unknown, items));
}

GST_END_TEST;

static Suite *
tracker_cluster_formats_suite (void)
{
  Suite *s = suite_create ("tracker-cluster-formats");
  TCase *tc = tcase_create ("formats");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_redis_urls);
  tcase_add_test (tc, test_relay_batches);
  return s;
}

GST_CHECK_MAIN (tracker_cluster_formats);
