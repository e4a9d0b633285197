/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * SocketBatch on loopback TCP pairs, through io_uring and through plain
 * system calls: the results of a turn's reads and writes, in order, with
 * -EAGAIN for an empty socket and 0 at the end of a stream.
 */
#include <gst/check/gstcheck.h>

#include <string>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gst/tracker/socket-batch.h"

using p2p::tracker::SocketBatch;

namespace {

/* Connected (client, server) descriptors on 127.0.0.1, non-blocking. */
std::vector<std::pair<int, int>>
tcp_pairs (int count)
{
  int listener = socket (AF_INET, SOCK_STREAM, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  fail_unless (bind (listener, reinterpret_cast<sockaddr *> (&sin), sizeof sin)
               == 0);
  socklen_t len = sizeof sin;
  getsockname (listener, reinterpret_cast<sockaddr *> (&sin), &len);
  listen (listener, count);
  std::vector<std::pair<int, int>> pairs;
  for (int i = 0; i < count; i++) {
    int client = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect (client, reinterpret_cast<sockaddr *> (&sin), sizeof sin);
    int server = accept4 (listener, nullptr, nullptr, SOCK_NONBLOCK);
    fail_unless (server >= 0);
    pairs.emplace_back (client, server);
  }
  close (listener);
  return pairs;
}

void
exercise (bool use_io_uring)
{
  SocketBatch batch (2, 64, use_io_uring);
  auto pairs = tcp_pairs (3);
  int owners[3];

  /* three writes in one turn, each to its own socket */
  const std::string texts[3] = { "first", "second message", "3" };
  for (int i = 0; i < 3; i++)
    fail_unless (batch.queue_send (pairs[i].first, texts[i].data (),
                                   texts[i].size (), &owners[i]));
  const auto &sent = batch.run_sends ();
  fail_unless_equals_int (sent.size (), 3);
  for (int i = 0; i < 3; i++) {
    fail_unless (sent[i].owner == &owners[i]);
    fail_unless_equals_int (sent[i].result, texts[i].size ());
  }

  /* reads: two slots a turn; results in the order queued */
  fail_unless (batch.queue_recv (pairs[1].second, &owners[1]));
  fail_unless (batch.queue_recv (pairs[0].second, &owners[0]));
  fail_if (batch.queue_recv (pairs[2].second, &owners[2]), "a third slot");
  const auto &read = batch.run_recvs ();
  fail_unless_equals_int (read.size (), 2);
  fail_unless (read[0].owner == &owners[1]);
  fail_unless (std::string (read[0].data, read[0].result) == texts[1]);
  fail_unless (read[1].owner == &owners[0]);
  fail_unless (std::string (read[1].data, read[1].result) == texts[0]);

  /* nothing to read yet: -EAGAIN; a closed peer: 0; a read larger than
   * its slot: the slot's size, the rest stays */
  close (pairs[2].first);
  pairs[2].first = -1;
  std::string big (100, 'x');
  fail_unless (send (pairs[1].first, big.data (), big.size (), 0) == 100);
  fail_unless (batch.queue_recv (pairs[0].second, &owners[0]));
  fail_unless (batch.queue_recv (pairs[2].second, &owners[2]));
  const auto &second = batch.run_recvs ();
  fail_unless_equals_int (second[0].result, -EAGAIN);
  /* the first turn left "3" unread on pair 2: it comes before the end */
  fail_unless_equals_int (second[1].result, 1);
  fail_unless (batch.queue_recv (pairs[2].second, &owners[2]));
  fail_unless (batch.queue_recv (pairs[1].second, &owners[1]));
  const auto &third = batch.run_recvs ();
  fail_unless_equals_int (third[0].result, 0);
  fail_unless_equals_int (third[1].result, 64);

  for (auto &p : pairs) {
    if (p.first >= 0)
      close (p.first);
    close (p.second);
  }
}

} // namespace

GST_START_TEST (test_through_io_uring)
{
  /* io_uring is used unless the kernel says it is turned off (Linux 6.6+
   * has the switch; where it is off, the fallback below is what runs) */
  gchar *disabled = nullptr;
  bool switched_off = g_file_get_contents ("/proc/sys/kernel/io_uring_disabled",
                                           &disabled, nullptr, nullptr)
                      && disabled[0] != '0';
  g_free (disabled);
  SocketBatch probe (1, 16, true);
  fail_unless (probe.uses_io_uring () || switched_off,
               "io_uring is not used although the kernel allows it");
  if (probe.uses_io_uring ())
    exercise (true);
}

GST_END_TEST;

GST_START_TEST (test_through_system_calls)
{
  SocketBatch batch (1, 16, false);
  fail_if (batch.uses_io_uring ());
  exercise (false);
}

GST_END_TEST;

static Suite *
tracker_socket_batch_suite (void)
{
  Suite *s = suite_create ("tracker-socket-batch");
  TCase *tc = tcase_create ("batch");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_through_io_uring);
  tcase_add_test (tc, test_through_system_calls);
  return s;
}

GST_CHECK_MAIN (tracker_socket_batch);
