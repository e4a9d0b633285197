/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Workers with descriptor tables of their own (ServerConfig::
 * private_fd_tables): relays still cross workers, stop leaks nothing, and a
 * worker whose table is full refuses connections without spinning while it
 * keeps serving the ones it holds.
 */
#include <gst/check/gstcheck.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "gst/webtorrent/protocol.h"
#include "gst/tracker/server.h"
#include "tracker-test-client.h"

using namespace p2p::tracker;
using namespace p2p::webtorrent;
using p2p::tracker::test::numbered_id;
using p2p::tracker::test::TestClient;

namespace {

std::string
announce (const Id20 &peer, const Id20 &info_hash, int offers)
{
  AnnounceRequest r;
  r.info_hash = info_hash;
  r.peer_id = peer;
  r.event = AnnounceEvent::STARTED;
  for (int i = 0; i < offers; i++)
    r.offers.push_back ({ numbered_id ("offer---", i), "v=0\r\n" });
  return build_announce (r);
}

int
open_descriptors ()
{
  int n = 0;
  DIR *dir = opendir ("/proc/self/fd");
  while (readdir (dir))
    n++;
  closedir (dir);
  return n;
}

/* The sockets of @task's descriptor table ("self" for the process's). A
 * worker with a table of its own shows its connections under
 * /proc/self/task/TID/fd. */
std::set<std::string>
sockets_of (const std::string &fd_dir)
{
  std::set<std::string> sockets;
  DIR *fds = opendir (fd_dir.c_str ());
  if (!fds)
    return sockets;
  while (dirent *fd = readdir (fds)) {
    char target[64] = "";
    std::string link = fd_dir + "/" + fd->d_name;
    if (readlink (link.c_str (), target, sizeof target - 1) > 0
        && g_str_has_prefix (target, "socket:"))
      sockets.insert (target);
  }
  closedir (fds);
  return sockets;
}

/* Socket counts of the threads whose table is not the process's, less
 * @inherited: the sockets the process held when the workers copied its
 * table (a plugin that the registry scan loaded in-process may hold some). */
std::vector<size_t>
sockets_per_private_table (const std::set<std::string> &inherited)
{
  std::set<std::string> shared = sockets_of ("/proc/self/fd");
  std::vector<size_t> counts;
  DIR *tasks = opendir ("/proc/self/task");
  while (dirent *task = readdir (tasks)) {
    if (task->d_name[0] == '.')
      continue;
    std::set<std::string> sockets
        = sockets_of (std::string ("/proc/self/task/") + task->d_name + "/fd");
    if (sockets == shared)
      continue;
    size_t own = 0;
    for (const std::string &s : sockets)
      own += inherited.count (s) ? 0 : 1;
    counts.push_back (own);
  }
  closedir (tasks);
  return counts;
}

double
cpu_seconds ()
{
  rusage ru;
  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
         + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

ServerConfig
private_config (unsigned workers)
{
  ServerConfig config;
  config.workers = workers;
  config.private_fd_tables = true;
  config.max_connections_per_address = 0;
  return config;
}

} // namespace

GST_START_TEST (test_relay_across_private_tables)
{
  int before = open_descriptors ();
  guint16 port;
  {
    Server server (private_config (3));
    fail_unless (server.start ("127.0.0.1", 0, nullptr));
    port = server.port ();
    /* the process table keeps only the workers' eventfds */
    fail_unless_equals_int (open_descriptors (), before + 3);

    TestClient seeder, leecher;
    fail_unless (seeder.connect (port));
    fail_unless (leecher.connect (port));
    /* 40 swarms land on all three shards: every relay path between the
     * connections' workers and the shards' workers is taken */
    const Id20 seeder_id = numbered_id ("-PM0203-", 1);
    const Id20 leecher_id = numbered_id ("-PM0203-", 2);
    for (int i = 0; i < 40; i++) {
      Id20 hash = numbered_id ("swarm---", i);
      seeder.send_text (announce (seeder_id, hash, 0));
      expect_message (seeder, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
      leecher.send_text (announce (leecher_id, hash, 1));
      expect_message (leecher, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
      TrackerMessage offer
          = expect_message (seeder, TrackerMessage::Kind::OFFER);
      fail_unless (*offer.info_hash == hash);
      seeder.send_text (build_answer (hash, seeder_id, leecher_id,
                                      offer.offer_id, "v=0\r\n"));
      TrackerMessage answer
          = expect_message (leecher, TrackerMessage::Kind::ANSWER);
      fail_unless (answer.peer_id == seeder_id);
    }
    fail_unless_equals_int (server.stats ().answers_relayed, 40);
    server.stop ();
  }
  /* nothing left behind, and every listening socket closed in every
   * table */
  fail_unless_equals_int (open_descriptors (), before);
  TestClient late;
  fail_if (late.connect_tcp (port));
}

GST_END_TEST;

GST_START_TEST (test_full_table_refuses_without_spinning)
{
  rlimit saved;
  getrlimit (RLIMIT_NOFILE, &saved);
  rlimit low = saved;
  low.rlim_cur = 256;
  fail_unless (setrlimit (RLIMIT_NOFILE, &low) == 0);

  /* Descriptors open when the worker takes its table are copied into it:
   * fill the process table up to 200 first, so that the worker has room
   * for about 50 connections and this thread, once they are closed, for
   * far more clients than that. */
  std::vector<int> filler;
  while (true) {
    int fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
    fail_unless (fd >= 0);
    filler.push_back (fd);
    if (fd >= 200)
      break;
  }
  Server server (private_config (1));
  fail_unless (server.start ("127.0.0.1", 0, nullptr));
  for (int fd : filler)
    close (fd);

  std::vector<std::unique_ptr<TestClient>> held;
  int refused = 0;
  for (int i = 0; i < 100; i++) {
    auto c = std::make_unique<TestClient> ();
    if (c->connect (server.port ()))
      held.push_back (std::move (c));
    else
      refused++;
  }
  fail_unless (held.size () >= 30 && held.size () <= 60, "held %zu",
               held.size ());
  fail_unless_equals_int (refused, 100 - held.size ());
  fail_unless_equals_int (
      server.stats ().error_count (ErrorKind::DESCRIPTOR_LIMIT), refused);

  /* a full table is not a busy loop */
  double cpu0 = cpu_seconds ();
  g_usleep (500000);
  fail_unless (cpu_seconds () - cpu0 < 0.1, "%.3f s of CPU while idle",
               cpu_seconds () - cpu0);

  /* the connections held are served */
  held[0]->send_text (
      announce (numbered_id ("-PM0203-", 1), numbered_id ("swarm---", 1), 0));
  expect_message (*held[0], TrackerMessage::Kind::ANNOUNCE_RESPONSE);

  /* and a freed slot takes a new connection */
  held.pop_back ();
  held.pop_back ();
  g_usleep (200000);
  TestClient next;
  fail_unless (next.connect (server.port ()));
  next.send_text (
      announce (numbered_id ("-PM0203-", 2), numbered_id ("swarm---", 1), 0));
  TrackerMessage r
      = expect_message (next, TrackerMessage::Kind::ANNOUNCE_RESPONSE);
  fail_unless_equals_int (*r.incomplete, 2);

  held.clear ();
  server.stop ();
  setrlimit (RLIMIT_NOFILE, &saved);
}

GST_END_TEST;

/* The first listening socket takes SO_REUSEPORT only once it listens (so
 * that a second tracker cannot share the port): the kernel must still
 * spread connections over every worker's socket. */
GST_START_TEST (test_connections_spread_over_workers)
{
  const std::set<std::string> inherited = sockets_of ("/proc/self/fd");
  Server server (private_config (2));
  fail_unless (server.start ("127.0.0.1", 0, nullptr));
  std::vector<std::unique_ptr<TestClient>> clients;
  for (int i = 0; i < 64; i++) {
    clients.push_back (std::make_unique<TestClient> ());
    fail_unless (clients.back ()->connect (server.port ()));
  }
  /* each worker's table: its listening socket and its share of the 64
   * connections (the kernel hashes them; an even split is not required) */
  std::vector<size_t> counts = sockets_per_private_table (inherited);
  fail_unless_equals_int (counts.size (), 2);
  fail_unless (counts[0] + counts[1] == 2 + 64, "%zu + %zu sockets", counts[0],
               counts[1]);
  fail_unless (counts[0] > 8 && counts[1] > 8, "%zu and %zu sockets", counts[0],
               counts[1]);
  clients.clear ();
  server.stop ();
}

GST_END_TEST;

static Suite *
tracker_fd_tables_suite (void)
{
  Suite *s = suite_create ("tracker-fd-tables");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_relay_across_private_tables);
  tcase_add_test (tc, test_connections_spread_over_workers);
  tcase_add_test (tc, test_full_table_refuses_without_spinning);
  return s;
}

GST_CHECK_MAIN (tracker_fd_tables);
