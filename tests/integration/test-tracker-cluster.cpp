/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tracker nodes sharing swarms through Redis (issue #15): p2p-tracker
 * processes with --redis and a redis-server, all started by the test on
 * 127.0.0.1 and stopped by pid. A peer on one node and a peer on another
 * meet as on one tracker (offer and answer relayed byte for byte, counts
 * and scrapes over the cluster); a node killed with SIGKILL leaves the
 * swarms by expiry; with Redis gone each node serves alone and says so,
 * and the cluster is whole again once Redis is back.
 *
 * Needs P2P_TRACKER and P2P_REDIS_SERVER in the environment (meson sets
 * them).
 */
#include <gio/gio.h>
#include <gst/check/gstcheck.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "../common/test-utils.h"
#include "gst/webtorrent/protocol.h"
#include "tracker-test-client.h"

using namespace p2p::webtorrent;
using p2p::test::poll_until;
using p2p::tracker::test::expect_message;
using p2p::tracker::test::id_from;
using p2p::tracker::test::numbered_id;
using p2p::tracker::test::TestClient;

namespace {

constexpr int kMemberTtlS = 3;

/* A child process with its output in files of a temporary directory. */
class Process
{
public:
  Process (const std::string &dir, const std::string &name,
           const std::vector<std::string> &argv)
      : out_path_ (dir + "/" + name + ".out"),
        err_path_ (dir + "/" + name + ".err")
  {
    GSubprocessLauncher *launcher
        = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
    g_subprocess_launcher_set_stdout_file_path (launcher, out_path_.c_str ());
    g_subprocess_launcher_set_stderr_file_path (launcher, err_path_.c_str ());
    std::vector<const gchar *> args;
    for (const std::string &a : argv)
      args.push_back (a.c_str ());
    args.push_back (nullptr);
    GError *error = nullptr;
    process_ = g_subprocess_launcher_spawnv (launcher, args.data (), &error);
    g_object_unref (launcher);
    fail_unless (process_ != nullptr, "%s: %s", argv[0].c_str (),
                 error ? error->message : "");
  }

  ~Process () { stop (SIGTERM); }

  void
  stop (int signal)
  {
    if (!process_)
      return;
    g_subprocess_send_signal (process_, signal);
    g_subprocess_wait (process_, nullptr, nullptr);
    g_clear_object (&process_);
  }

  std::string
  output () const
  {
    return p2p::test::read_file (out_path_);
  }
  std::string
  log () const
  {
    return p2p::test::read_file (err_path_);
  }

private:
  std::string out_path_, err_path_;
  GSubprocess *process_ = nullptr;
};

/* A redis-server of the test's own, without persistence. */
std::unique_ptr<Process>
start_redis (const std::string &dir, guint16 port)
{
  auto redis = std::make_unique<Process> (
      dir, "redis",
      std::vector<std::string>{ g_getenv ("P2P_REDIS_SERVER"), "--port",
                                std::to_string (port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir",
                                dir });
  TestClient probe;
  fail_unless (poll_until ([&] { return probe.connect_tcp (port); }, 5000),
               "redis-server did not start: %s", redis->output ().c_str ());
  return redis;
}

struct Node
{
  std::unique_ptr<Process> process;
  guint16 port = 0;
};

Node
start_node (const std::string &dir, const std::string &name, guint16 redis_port)
{
  Node node;
  node.process = std::make_unique<Process> (
      dir, name,
      std::vector<std::string>{
          g_getenv ("P2P_TRACKER"), "--address", "127.0.0.1", "--port", "0",
          "--workers", "2", "--redis",
          "redis://127.0.0.1:" + std::to_string (redis_port), "--redis-ttl",
          std::to_string (kMemberTtlS), "--max-connections-per-address", "0" });
  fail_unless (
      poll_until (
          [&] {
            std::string out = node.process->output ();
            size_t at = out.find (" port ");
            if (at == std::string::npos)
              return false;
            node.port = static_cast<guint16> (std::stoi (out.substr (at + 6)));
            return true;
          },
          5000),
      "%s did not start: %s", name.c_str (), node.process->log ().c_str ());
  return node;
}

const Id20 kSwarm = id_from ("L2uYwMcHhsstZuLv8ZqU");

/* An offer id with NUL, a quote and bytes above 0x7f */
Id20
offer_id (int n)
{
  std::string raw (20, '\0');
  raw[1] = '"';
  raw[2] = static_cast<char> (0x80 + n);
  raw[19] = static_cast<char> (0xff);
  return id_from (raw);
}

const std::string kSdp = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=x:\"é\"\r\n";

std::string
announce (const Id20 &peer, AnnounceEvent event, int offers,
          bool seeder = false)
{
  AnnounceRequest r;
  r.info_hash = kSwarm;
  r.peer_id = peer;
  r.event = event;
  if (seeder)
    r.left = 0;
  for (int i = 0; i < offers; i++)
    r.offers.push_back ({ offer_id (i), kSdp });
  return build_announce (r);
}

/* A connected peer that announced @event and read the response. */
TrackerMessage
join (TestClient &c, guint16 port, const Id20 &peer, int offers = 0,
      bool seeder = false)
{
  fail_unless (c.connect (port));
  c.send_text (announce (peer, AnnounceEvent::STARTED, offers, seeder));
  return expect_message (c, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
}

TrackerMessage::ScrapeFile
scrape (guint16 port)
{
  TestClient c;
  fail_unless (c.connect (port));
  c.send_text (build_scrape ({ kSwarm }));
  TrackerMessage m = expect_message (c, TrackerMessage::Kind::SCRAPE_RESPONSE);
  fail_unless_equals_int (m.files.size (), 1);
  return m.files[0];
}

std::string
metrics (guint16 port)
{
  TestClient c;
  fail_unless (c.connect_tcp (port));
  c.send_raw ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  return c.read_all (2000);
}

/* The test's directory, Redis and two nodes; the processes stop before
 * the directory goes. */
struct Cluster
{
  Cluster ()
      : temp ("gst-p2p-cluster-XXXXXX"), dir (temp.path ()),
        redis_port (p2p::test::free_loopback_port ()),
        redis (start_redis (dir, redis_port)),
        one (start_node (dir, "node1", redis_port)),
        two (start_node (dir, "node2", redis_port))
  {
  }

  p2p::test::TempDir temp;
  std::string dir;
  guint16 redis_port = 0;
  std::unique_ptr<Process> redis;
  Node one, two;
};

} // namespace

GST_START_TEST (test_cross_node_offer_answer_and_scrape)
{
  Cluster cluster;
  const Id20 a = numbered_id ("-PM0203-", 1), b = numbered_id ("-PM0203-", 2);
  TestClient on_one, on_two;

  TrackerMessage r = join (on_one, cluster.one.port, a, 0, true);
  fail_unless_equals_int (*r.complete, 1);
  fail_unless_equals_int (*r.incomplete, 0);
  /* b's counts include a, on the other node */
  r = join (on_two, cluster.two.port, b, 1);
  fail_unless_equals_int (*r.complete, 1);
  fail_unless_equals_int (*r.incomplete, 1);

  /* b's offer reaches a through node two, Redis and node one, byte for
   * byte what one tracker relays */
  auto relayed = on_one.receive_text ();
  fail_unless (relayed.has_value (), "no offer crossed the nodes");
  json::Value description = json::Value::make_object ();
  description.add ("type", json::Value::make_string ("offer"));
  description.add ("sdp", json::Value::make_string (kSdp));
  std::string description_text;
  json::write (description_text, description);
  fail_unless (
      *relayed
          == build_relayed_offer (kSwarm, b, offer_id (0), description_text),
      "relayed %s", relayed->c_str ());

  /* a's answer goes back to b on the other node */
  on_one.send_text (build_answer (kSwarm, a, b, offer_id (0), "v=0 answer"));
  TrackerMessage answer = expect_message (on_two, TrackerMessage::Kind::ANSWER);
  fail_unless (answer.peer_id == a);
  fail_unless (answer.offer_id == offer_id (0));
  assert_strings_equal (answer.sdp, "v=0 answer");
  fail_if (on_one.receive_text (300).has_value (), "the answerer got a reply");
  /* the offer is used up, on the answerer's node */
  on_one.send_text (build_answer (kSwarm, a, b, offer_id (0), "again"));
  expect_message (on_one, TrackerMessage::Kind::FAILURE);

  /* either node scrapes the whole cluster */
  for (guint16 port : { cluster.one.port, cluster.two.port }) {
    TrackerMessage::ScrapeFile f = scrape (port);
    fail_unless_equals_int (f.complete, 1);
    fail_unless_equals_int (f.incomplete, 1);
  }
  /* a stop on one node counts on the other at once */
  on_two.send_text (announce (b, AnnounceEvent::STOPPED, 0));
  r = expect_message (on_two, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  fail_unless_equals_int (*r.incomplete, 0);
  fail_unless_equals_int (scrape (cluster.one.port).incomplete, 0);

  std::string m = metrics (cluster.one.port);
  fail_unless (m.find ("\np2p_tracker_redis_up 1\n") != std::string::npos, "%s",
               m.c_str ());
  fail_unless (m.find ("\np2p_tracker_cluster_relays_received_total 1\n")
               != std::string::npos);
}

GST_END_TEST;

/* A third node of @cluster, @a a peer on node one, @c a peer on the third
 * node, in the same swarm. */
static Node
third_node_with_peers (Cluster &cluster, TestClient &a, TestClient &c)
{
  Node third = start_node (cluster.dir, "node3", cluster.redis_port);
  join (a, cluster.one.port, numbered_id ("-PM0203-", 1));
  TrackerMessage r = join (c, third.port, numbered_id ("-PM0203-", 3));
  fail_unless_equals_int (*r.incomplete, 2);
  return third;
}

GST_START_TEST (test_killed_node_leaves_the_swarms)
{
  Cluster cluster;
  TestClient a, c;
  Node doomed = third_node_with_peers (cluster, a, c);

  doomed.process->stop (SIGKILL);
  /* c notices, as a browser would, and goes to another node */
  fail_unless (c.wait_closed ());

  /* the dead node's peer leaves the cluster's counts by expiry */
  fail_unless (
      poll_until ([&] { return scrape (cluster.two.port).incomplete == 1; },
                  (kMemberTtlS + 3) * 1000),
      "the killed node's peer is still counted");

  /* c comes back through node two; an offer from a new peer reaches both
   * live peers, and nothing goes to the dead node */
  TestClient back, d;
  TrackerMessage r = join (back, cluster.two.port, numbered_id ("-PM0203-", 3));
  fail_unless_equals_int (*r.incomplete, 2);
  r = join (d, cluster.one.port, numbered_id ("-PM0203-", 4), 5);
  fail_unless_equals_int (*r.incomplete, 3);
  expect_message (a, TrackerMessage::Kind::OFFER);
  expect_message (back, TrackerMessage::Kind::OFFER);
}

GST_END_TEST;

/* A node stopped gracefully takes its peers out of the cluster at once,
 * long before they would expire. */
GST_START_TEST (test_stopped_node_leaves_at_once)
{
  Cluster cluster;
  TestClient a, c;
  Node leaving = third_node_with_peers (cluster, a, c);
  const gint64 stopped_at = g_get_monotonic_time ();
  leaving.process->stop (SIGTERM);
  fail_unless_equals_int (scrape (cluster.two.port).incomplete, 1);
  fail_unless (g_get_monotonic_time () - stopped_at
                   < kMemberTtlS * G_TIME_SPAN_SECOND / 2,
               "not at once");
}

GST_END_TEST;

GST_START_TEST (test_redis_restarted)
{
  Cluster cluster;
  TestClient a, b;
  join (a, cluster.one.port, numbered_id ("-PM0203-", 1));
  join (b, cluster.two.port, numbered_id ("-PM0203-", 2));

  cluster.redis->stop (SIGTERM);
  /* each node says so in its log and its metrics... */
  fail_unless (poll_until (
                   [&] {
                     return metrics (cluster.one.port)
                                .find ("\np2p_tracker_redis_up 0\n")
                            != std::string::npos;
                   },
                   5000),
               "redis_up stayed 1");
  fail_unless (poll_until (
      [&] {
        return cluster.one.process->log ().find ("unreachable")
               != std::string::npos;
      },
      2000));

  /* ...and serves its own swarms alone: a new peer on node one meets a */
  TestClient alone;
  TrackerMessage r
      = join (alone, cluster.one.port, numbered_id ("-PM0203-", 5), 1);
  fail_unless_equals_int (*r.incomplete, 2);
  TrackerMessage offer = expect_message (a, TrackerMessage::Kind::OFFER);
  fail_unless (offer.peer_id == numbered_id ("-PM0203-", 5));

  /* Redis comes back empty on the same port: the nodes reconnect and
   * register their peers again */
  cluster.redis = start_redis (cluster.dir, cluster.redis_port);
  for (guint16 port : { cluster.one.port, cluster.two.port })
    fail_unless (poll_until (
                     [&] {
                       return metrics (port).find ("\np2p_tracker_redis_up 1\n")
                              != std::string::npos;
                     },
                     15000),
                 "a node did not reconnect");
  fail_unless (cluster.one.process->log ().find ("reachable again")
               != std::string::npos);
  fail_unless_equals_int (scrape (cluster.two.port).incomplete, 3);

  /* and the nodes relay across again */
  TestClient c;
  r = join (c, cluster.two.port, numbered_id ("-PM0203-", 6), 5);
  fail_unless_equals_int (*r.incomplete, 4);
  for (TestClient *peer : { &a, &b, &alone }) {
    offer = expect_message (*peer, TrackerMessage::Kind::OFFER);
    fail_unless (offer.peer_id == numbered_id ("-PM0203-", 6));
  }
}

GST_END_TEST;

static Suite *
tracker_cluster_suite (void)
{
  Suite *s = suite_create ("tracker-cluster");
  TCase *tc = tcase_create ("cluster");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_cross_node_offer_answer_and_scrape);
  tcase_add_test (tc, test_killed_node_leaves_the_swarms);
  tcase_add_test (tc, test_stopped_node_leaves_at_once);
  tcase_add_test (tc, test_redis_restarted);
  return s;
}

GST_CHECK_MAIN (tracker_cluster);
