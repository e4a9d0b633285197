/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two WebRtcPeers in one process, signalled directly (offer SDP → answerer →
 * answer SDP → offerer), ICE pinned to 127.0.0.1. Registered to run inside a
 * private network namespace where only lo exists (tests/run-in-netns.sh).
 */
#include <gst/check/gstcheck.h>

#include <sched.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/peer/sdp-util.h"
#include "gst/p2p/peer/webrtc-peer.h"
#include "tests/common/change-signal.h"

using p2p::EngineThread;
using p2p::GBytesPtr;
using p2p::GErrorPtr;
using p2p::peer::WebRtcPeer;
using p2p::peer::WebRtcPeerConfig;
using p2p::test::ChangeSignal;

namespace {

constexpr gsize MAX_MESSAGE = 65535;

/* Deterministic content: byte j of message i sent by side @seed. */
guint8
pattern (int seed, guint i, gsize j)
{
  return (guint8)((seed * 101 + i * 131 + j * 7 + (j >> 8)) & 0xff);
}

GBytes *
make_message (int seed, guint i, gsize size)
{
  auto data = static_cast<guint8 *> (g_malloc (size));
  for (gsize j = 0; j < size; j++)
    data[j] = pattern (seed, i, j);
  return g_bytes_new_take (data, size);
}

WebRtcPeerConfig
pinned_config ()
{
  WebRtcPeerConfig config;
  config.local_addresses = { "127.0.0.1" };
  return config;
}

gint64
now_ms ()
{
  return g_get_monotonic_time () / 1000;
}

/* What one side saw. Written on the engine thread, read by the test thread,
 * both under Pair::mutex. */
struct Side
{
  std::string sdp;
  gint64 sdp_ms = -1;
  bool open = false;
  gint64 open_ms = -1;
  bool closed = false;
  GErrorPtr close_error;
  guint messages = 0;
  guint64 bytes = 0;
  guint bad_messages = 0;
  guint writable = 0;
  std::vector<gsize> sizes;
  /* Messages this side still has to send (engine thread only). */
  std::deque<GBytesPtr> outbox;
  guint queued = 0;
  guint refused = 0;
};

struct Pair : ChangeSignal
{
  EngineThread thread{ "test-engine" };
  gint64 start_ms = now_ms ();
  Side side[2];
  /* Engine thread only. */
  std::shared_ptr<WebRtcPeer> peer[2];
  WebRtcPeerConfig config[2] = { pinned_config (), pinned_config () };
  bool answer = true;

  ~Pair ()
  {
    thread.invoke_sync ([this] {
      peer[0].reset ();
      peer[1].reset ();
    });
    thread.stop ();
  }

  /* Sends side @s's outbox until send () refuses; writable () resumes. */
  void
  pump (int s)
  {
    auto &out = side[s].outbox;
    while (!out.empty () && peer[s]) {
      if (!peer[s]->send (out.front ().get ())) {
        update ([&] { side[s].refused++; });
        return;
      }
      out.pop_front ();
    }
  }

  WebRtcPeer::Callbacks
  callbacks (int s)
  {
    WebRtcPeer::Callbacks cb;
    cb.local_description = [this, s] (const std::string &sdp) {
      update ([&] {
        side[s].sdp = sdp;
        side[s].sdp_ms = now_ms () - start_ms;
      });
      if (s == 0 && answer) {
        GError *error = nullptr;
        peer[1] = WebRtcPeer::new_answerer (thread, config[1], sdp,
                                            callbacks (1), &error);
        fail_unless (peer[1] != nullptr, "answerer: %s",
                     error ? error->message : "?");
      } else if (s == 1) {
        GError *error = nullptr;
        fail_unless (peer[0]->set_remote_answer (sdp, &error),
                     "set_remote_answer: %s", error ? error->message : "?");
      }
    };
    cb.open = [this, s] {
      update ([&] {
        side[s].open = true;
        side[s].open_ms = now_ms () - start_ms;
      });
      pump (s);
    };
    cb.message = [this, s] (GBytes *message) {
      gsize size = 0;
      auto data
          = static_cast<const guint8 *> (g_bytes_get_data (message, &size));
      update ([&] {
        auto &me = side[s];
        bool good = true;
        for (gsize j = 0; j < size && good; j++)
          good = data[j] == pattern (1 - s, me.messages, j);
        if (!good)
          me.bad_messages++;
        me.sizes.push_back (size);
        me.messages++;
        me.bytes += size;
      });
    };
    cb.writable = [this, s] {
      update ([&] { side[s].writable++; });
      pump (s);
    };
    cb.closed = [this, s] (const GError *error) {
      update ([&] {
        side[s].closed = true;
        side[s].close_error.reset (error ? g_error_copy (error) : nullptr);
      });
    };
    return cb;
  }

  void
  start ()
  {
    thread.invoke_sync ([this] {
      GError *error = nullptr;
      peer[0]
          = WebRtcPeer::new_offerer (thread, config[0], callbacks (0), &error);
      fail_unless (peer[0] != nullptr, "offerer: %s",
                   error ? error->message : "?");
    });
  }

  void
  connect ()
  {
    start ();
    fail_unless (wait ([this] { return side[0].open && side[1].open; }),
                 "data channel did not open on both sides");
  }

  /* Queues @count messages of @size bytes on side @s and starts sending. */
  void
  queue (int s, guint count, gsize size)
  {
    thread.invoke_sync ([&] {
      for (guint i = 0; i < count; i++)
        side[s].outbox.emplace_back (make_message (s, side[s].queued++, size));
      pump (s);
    });
  }
};

void
assert_only_loopback (const std::string &sdp)
{
  auto addresses = p2p::peer::sdp_candidate_addresses (sdp);
  fail_if (addresses.empty (), "no candidate in SDP:\n%s", sdp.c_str ());
  for (const auto &address : addresses)
    fail_unless (address == "127.0.0.1", "unpinned candidate %s in:\n%s",
                 address.c_str (), sdp.c_str ());
  fail_unless (sdp.find ("a=ice-options:trickle") == std::string::npos);
}

/* Threads of this process whose name ends in @suffix. webrtcbin names the
 * thread of its ICE agent "<webrtcbin>:ice"; it ends when webrtcbin is
 * finalized. */
int
count_threads_named (const std::string &suffix)
{
  int count = 0;
  GDir *tasks = g_dir_open ("/proc/self/task", 0, nullptr);
  fail_unless (tasks != nullptr);
  while (const gchar *task = g_dir_read_name (tasks)) {
    gchar *path = g_build_filename ("/proc/self/task", task, "comm", nullptr);
    gchar *contents = nullptr;
    std::string name;
    if (g_file_get_contents (path, &contents, nullptr, nullptr))
      name = g_strchomp (contents);
    g_free (contents);
    g_free (path);
    if (name.size () >= suffix.size ()
        && name.compare (name.size () - suffix.size (), suffix.size (), suffix)
               == 0)
      count++;
  }
  g_dir_close (tasks);
  return count;
}

/* Polls until no ICE thread is left; false after @timeout_ms. */
bool
wait_for_no_ice_thread (gint64 timeout_ms)
{
  gint64 deadline = now_ms () + timeout_ms;
  while (count_threads_named (":ice") > 0) {
    if (now_ms () >= deadline)
      return false;
    g_usleep (50 * 1000);
  }
  return true;
}

} // namespace

GST_START_TEST (test_connect_pinned)
{
  Pair pair;
  pair.connect ();
  std::lock_guard<std::mutex> lock (pair.mutex);
  assert_only_loopback (pair.side[0].sdp);
  assert_only_loopback (pair.side[1].sdp);
  fail_unless (pair.side[0].sdp.find ("a=setup:actpass") != std::string::npos);
  fail_unless (p2p::peer::sdp_has_data_channel (pair.side[1].sdp));

  std::string label[2];
  pair.thread.invoke_sync ([&] {
    label[0] = pair.peer[0]->label ();
    label[1] = pair.peer[1]->label ();
    fail_unless (pair.peer[0]->is_offerer ());
    fail_if (pair.peer[1]->is_offerer ());
  });
  ck_assert_uint_eq (label[0].size (), 40);
  fail_unless (label[0].find_first_not_of ("0123456789abcdef")
               == std::string::npos);
  ck_assert_str_eq (label[0].c_str (), label[1].c_str ());
  g_print ("loopback timings: offer SDP %" G_GINT64_FORMAT
           " ms, answer SDP %" G_GINT64_FORMAT " ms, open %" G_GINT64_FORMAT
           "/%" G_GINT64_FORMAT " ms\n",
           pair.side[0].sdp_ms, pair.side[1].sdp_ms, pair.side[0].open_ms,
           pair.side[1].open_ms);
}
GST_END_TEST;

GST_START_TEST (test_small_messages_both_ways)
{
  Pair pair;
  pair.connect ();
  pair.queue (0, 20, 1);
  pair.queue (1, 20, 1000);
  pair.queue (0, 1, 16384);
  fail_unless (pair.wait ([&] {
    return pair.side[1].messages == 21 && pair.side[0].messages == 20;
  }));
  std::lock_guard<std::mutex> lock (pair.mutex);
  ck_assert_uint_eq (pair.side[0].bad_messages, 0);
  ck_assert_uint_eq (pair.side[1].bad_messages, 0);
  ck_assert_uint_eq (pair.side[1].sizes[0], 1);
  ck_assert_uint_eq (pair.side[1].sizes[20], 16384);
  ck_assert_uint_eq (pair.side[0].sizes[19], 1000);
}
GST_END_TEST;

/* PROTOCOLS.md §6 was unsure webrtcbin takes 65535-byte messages: it does,
 * many of them, in order and byte-exact, with the send buffer bounded. */
GST_START_TEST (test_max_size_bulk_both_ways)
{
  const guint count = 80; /* 80 × 65535 ≈ 5 MB each way */
  Pair pair;
  pair.connect ();
  gint64 start = now_ms ();
  pair.queue (0, count, MAX_MESSAGE);
  pair.queue (1, count, MAX_MESSAGE);
  fail_unless (pair.wait (
                   [&] {
                     return pair.side[0].messages == count
                            && pair.side[1].messages == count;
                   },
                   60000),
               "bulk transfer did not finish");
  gint64 elapsed = now_ms () - start;
  /* What SCTP sent is counted exactly (sctp-send-meter.h): with everything
   * received, nothing is left to wait for. */
  guint64 unsent[2];
  pair.thread.invoke_sync ([&] {
    for (int s = 0; s < 2; s++)
      unsent[s] = pair.peer[s]->buffered_amount ();
  });
  ck_assert_uint_eq (unsent[0], 0);
  ck_assert_uint_eq (unsent[1], 0);
  std::lock_guard<std::mutex> lock (pair.mutex);
  for (int s = 0; s < 2; s++) {
    ck_assert_uint_eq (pair.side[s].bad_messages, 0);
    ck_assert_uint_eq (pair.side[s].bytes, (guint64)count * MAX_MESSAGE);
    for (auto size : pair.side[s].sizes)
      ck_assert_uint_eq (size, MAX_MESSAGE);
    /* The threshold held: the senders had to wait for writable (). */
    fail_unless (pair.side[s].refused > 0);
    fail_unless (pair.side[s].writable > 0);
  }
  g_print ("bulk: 2 x %u x %" G_GSIZE_FORMAT " bytes in %" G_GINT64_FORMAT
           " ms (%u/%u refusals)\n",
           count, MAX_MESSAGE, elapsed, pair.side[0].refused,
           pair.side[1].refused);
}
GST_END_TEST;

/* Runs @command line; fails the test if it does not succeed. */
void
run (const char *command)
{
  gchar *err = nullptr;
  gint status = -1;
  GError *error = nullptr;
  gboolean ran
      = g_spawn_command_line_sync (command, nullptr, &err, &status, &error);
  fail_unless (ran && g_spawn_check_wait_status (status, nullptr), "%s: %s",
               command, ran ? err : error->message);
  g_free (err);
}

/* usrsctp keeps what sctpenc took in its send buffer (1 MiB) until the link
 * lets it out; buffered_amount () counts it (sctp-send-meter.h), where
 * webrtcbin's buffered-amount has long dropped it. On lo shaped to 2 Mbit/s
 * (in a network namespace of this test's own), a quarter of a megabyte given
 * at once still shows 300 ms later, and a sender refused on that count is
 * woken as SCTP drains (webrtcbin's own low-buffer signal came long before). */
GST_START_TEST (test_backlog_held_by_sctp_counts)
{
  fail_unless (unshare (CLONE_NEWNET) == 0, "unshare: %s", g_strerror (errno));
  run ("ip link set lo mtu 1500 up");
  run ("tc qdisc add dev lo root tbf rate 2mbit burst 4kb latency 1s");
  const guint count = 16; /* 256 KiB: all taken before the threshold */
  Pair pair;
  pair.connect ();
  pair.queue (0, count, 16384);
  g_usleep (300 * 1000);
  guint64 backlog = 0;
  pair.thread.invoke_sync ([&] { backlog = pair.peer[0]->buffered_amount (); });
  fail_unless (backlog >= 128 * 1024,
               "only %" G_GUINT64_FORMAT " bytes counted as not sent", backlog);
  /* Past the threshold: send () refuses, and only SCTP's progress can say
   * when to go on. */
  pair.queue (0, count, 16384);
  fail_unless (
      pair.wait ([&] { return pair.side[1].messages == 2 * count; }, 30000),
      "the second quarter megabyte did not arrive");
  std::lock_guard<std::mutex> lock (pair.mutex);
  fail_unless (pair.side[0].refused > 0);
  fail_unless (pair.side[0].writable > 0);
  ck_assert_uint_eq (pair.side[1].bad_messages, 0);
}
GST_END_TEST;

/* webrtcbin 1.22 writes no a=max-message-size, so between two of them the
 * limit is RFC 8841's default of 65536 bytes: one more is refused by send ()
 * and the channel stays usable. */
GST_START_TEST (test_message_size_limit)
{
  Pair pair;
  pair.connect ();
  bool sent[3] = {};
  pair.thread.invoke_sync ([&] {
    GBytesPtr fits (make_message (0, 0, 65536));
    GBytesPtr too_large (make_message (0, 1, 65537));
    GBytesPtr next (make_message (0, 1, 10));
    sent[0] = pair.peer[0]->send (fits.get ());
    sent[1] = pair.peer[0]->send (too_large.get ());
    sent[2] = pair.peer[0]->send (next.get ());
  });
  fail_unless (sent[0]);
  fail_if (sent[1]);
  fail_unless (sent[2]);
  fail_unless (pair.wait ([&] { return pair.side[1].messages == 2; }));
  std::lock_guard<std::mutex> lock (pair.mutex);
  ck_assert_uint_eq (pair.side[1].bad_messages, 0);
  ck_assert_uint_eq (pair.side[1].sizes[0], 65536);
  ck_assert_uint_eq (pair.side[1].sizes[1], 10);
  fail_if (pair.side[0].closed || pair.side[1].closed);
}
GST_END_TEST;

static void
check_close_noticed (int closer)
{
  Pair pair;
  pair.connect ();
  pair.thread.invoke_sync ([&] {
    pair.peer[closer]->close ();
    fail_unless (pair.peer[closer]->is_closed ());
    GBytesPtr message (g_bytes_new_static ("x", 1));
    fail_if (pair.peer[closer]->send (message.get ()));
  });
  int other = 1 - closer;
  gint64 start = now_ms ();
  fail_unless (pair.wait ([&] { return pair.side[other].closed; }),
               "the remote did not notice the close");
  g_print ("close by %s noticed after %" G_GINT64_FORMAT " ms: %s\n",
           closer ? "answerer" : "offerer", now_ms () - start,
           pair.side[other].close_error ? pair.side[other].close_error->message
                                        : "channel closed");
  std::lock_guard<std::mutex> lock (pair.mutex);
  /* No callback on the side that called close (). */
  fail_if (pair.side[closer].closed);
}

GST_START_TEST (test_close_by_offerer) { check_close_noticed (0); }
GST_END_TEST;

GST_START_TEST (test_close_by_answerer) { check_close_noticed (1); }
GST_END_TEST;

/* Messages made by counted_message () and freed so far. */
std::atomic<int> counted_made{ 0 };
std::atomic<int> counted_freed{ 0 };

GBytes *
counted_message ()
{
  counted_made++;
  gchar *data = g_strdup ("x");
  return g_bytes_new_with_free_func (
      data, 1,
      [] (gpointer string) {
        g_free (string);
        counted_freed++;
      },
      data);
}

/* The remote closes; webrtcbin's threads start closing this side's channel
 * while the engine thread, busy here, has not heard of it yet: this peer
 * still counts as open, the channel is not. A message sent then is refused
 * and released like any other. webrtcbin 1.22.0 and 1.22.1 refuse one for a
 * channel that is not open without dropping the buffer they wrapped it in,
 * so the message, that buffer and its SCTP meta would leak (issue #11, the
 * last sanitizer reports of test-swarm-broadcast). */
GST_START_TEST (test_message_refused_while_closing_released)
{
  counted_made = 0;
  counted_freed = 0;
  bool refused = false;
  {
    Pair pair;
    pair.connect ();
    pair.thread.invoke_sync ([&] {
      pair.peer[1]->close ();
      gint64 deadline = now_ms () + 10000;
      while (!refused && now_ms () < deadline) {
        GBytesPtr message (counted_message ());
        refused = !pair.peer[0]->send (message.get ());
        if (!refused)
          g_usleep (1000);
      }
      fail_unless (pair.peer[0]->is_open ());
    });
    fail_unless (refused, "the closing channel took every message");
    fail_unless (pair.wait ([&] { return pair.side[0].closed; }),
                 "the close was not noticed");
  }
  /* Both webrtcbins are stopped: nothing holds a message any more. */
  ck_assert_int_eq (counted_freed.load (), counted_made.load ());
}
GST_END_TEST;

GST_START_TEST (test_unanswered_offer_times_out)
{
  Pair pair;
  pair.answer = false;
  pair.config[0].connect_timeout_ms = 1500;
  pair.start ();
  fail_unless (pair.wait ([&] { return pair.side[0].closed; }));
  std::lock_guard<std::mutex> lock (pair.mutex);
  fail_unless (pair.side[0].close_error != nullptr);
  fail_unless (g_error_matches (pair.side[0].close_error.get (), GST_P2P_ERROR,
                                GST_P2P_ERROR_TIMEOUT));
  fail_if (pair.side[0].open);
}
GST_END_TEST;

GST_START_TEST (test_bad_remote_sdp)
{
  Pair pair;
  pair.answer = false;
  pair.start ();
  fail_unless (pair.wait ([&] { return !pair.side[0].sdp.empty (); }));
  pair.thread.invoke_sync ([&] {
    /* Not SDP at all: the answerer is refused up front. */
    GError *error = nullptr;
    auto peer = WebRtcPeer::new_answerer (pair.thread, pinned_config (),
                                          "hello", {}, &error);
    fail_unless (peer == nullptr);
    fail_unless (
        g_error_matches (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL));
    g_clear_error (&error);

    /* Our own offer is no answer: webrtcbin refuses it, the peer fails. */
    fail_unless (pair.peer[0]->set_remote_answer (pair.side[0].sdp, &error));
    /* Only one answer is taken. */
    fail_if (pair.peer[0]->set_remote_answer (pair.side[0].sdp, &error));
    g_clear_error (&error);
  });
  fail_unless (pair.wait ([&] { return pair.side[0].closed; }));
  std::lock_guard<std::mutex> lock (pair.mutex);
  fail_unless (pair.side[0].close_error != nullptr);
  g_print ("bad answer: %s\n", pair.side[0].close_error->message);
  fail_unless (g_error_matches (pair.side[0].close_error.get (), GST_P2P_ERROR,
                                GST_P2P_ERROR_PROTOCOL));
}
GST_END_TEST;

GST_START_TEST (test_bad_local_address)
{
  EngineThread thread ("test-engine");
  thread.invoke_sync ([&] {
    WebRtcPeerConfig config;
    config.local_addresses = { "not-an-address" };
    GError *error = nullptr;
    auto peer = WebRtcPeer::new_offerer (thread, config, {}, &error);
    fail_unless (peer == nullptr);
    fail_unless (g_error_matches (error, GST_P2P_ERROR, GST_P2P_ERROR_FAILED));
    g_clear_error (&error);
  });
}
GST_END_TEST;

/* No address configured, in this namespace where only lo is up: ICE falls
 * back to loopback. libnice alone gathers nothing here (it skips loopback
 * interfaces), and the peers never connect ("data channel not open after
 * 50000 ms"). */
GST_START_TEST (test_unpinned_in_loopback_only_namespace_connects)
{
  Pair pair;
  pair.config[0].local_addresses.clear ();
  pair.config[1].local_addresses.clear ();
  pair.connect ();
  std::lock_guard<std::mutex> lock (pair.mutex);
  for (const Side &side : pair.side) {
    auto addresses = p2p::peer::sdp_candidate_addresses (side.sdp);
    bool has_ipv4_loopback = false;
    for (const auto &address : addresses) {
      fail_unless (address == "127.0.0.1" || address == "::1",
                   "candidate %s in:\n%s", address.c_str (), side.sdp.c_str ());
      has_ipv4_loopback = has_ipv4_loopback || address == "127.0.0.1";
    }
    fail_unless (has_ipv4_loopback, "no 127.0.0.1 candidate in:\n%s",
                 side.sdp.c_str ());
  }
}
GST_END_TEST;

/* A remote that vanishes without closing its channel (close_timeout_ms = 0
 * stops its webrtcbin before the SCTP stream reset gets out) is noticed
 * through ICE: keepalives are connectivity checks, which fail after ~50 s. */
GST_START_TEST (test_vanished_remote_noticed)
{
  Pair pair;
  pair.config[1].close_timeout_ms = 0;
  pair.connect ();
  pair.thread.invoke_sync ([&] { pair.peer[1]->close (); });
  gint64 start = now_ms ();
  fail_unless (pair.wait ([&] { return pair.side[0].closed; }, 90000));
  std::lock_guard<std::mutex> lock (pair.mutex);
  g_print ("vanished remote noticed after %" G_GINT64_FORMAT " ms: %s\n",
           now_ms () - start, pair.side[0].close_error->message);
  fail_unless (g_error_matches (pair.side[0].close_error.get (), GST_P2P_ERROR,
                                GST_P2P_ERROR_NETWORK));
}
GST_END_TEST;

/* A closed peer releases its webrtcbin: nothing of it (pipeline, ICE thread)
 * lives on, here or after the close timeout. A leaked one keeps its threads
 * running until the process exits, and they crash or deadlock it there. */
GST_START_TEST (test_closed_peers_release_webrtcbin)
{
  {
    Pair pair;
    pair.connect ();
    fail_unless_equals_int (count_threads_named (":ice"), 2);
    pair.thread.invoke_sync ([&] {
      pair.peer[0].reset ();
      pair.peer[1].reset ();
    });
    /* Within the close timeout, with the engine thread still running. */
    fail_unless (
        wait_for_no_ice_thread (pinned_config ().close_timeout_ms + 2000),
        "%d ICE threads left after both peers closed",
        count_threads_named (":ice"));
  }
  {
    /* Never answered: stopped at once. */
    Pair pair;
    pair.answer = false;
    pair.start ();
    fail_unless (pair.wait ([&] { return !pair.side[0].sdp.empty (); }));
    pair.thread.invoke_sync ([&] { pair.peer[0].reset (); });
    fail_unless (wait_for_no_ice_thread (2000),
                 "the unanswered offerer's ICE thread is still running");
  }
}
GST_END_TEST;

static Suite *
webrtc_peer_suite (void)
{
  Suite *s = suite_create ("webrtc-peer");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_connect_pinned);
  tcase_add_test (tc, test_small_messages_both_ways);
  tcase_add_test (tc, test_max_size_bulk_both_ways);
  tcase_add_test (tc, test_message_size_limit);
  tcase_add_test (tc, test_close_by_offerer);
  tcase_add_test (tc, test_close_by_answerer);
  tcase_add_test (tc, test_message_refused_while_closing_released);
  tcase_add_test (tc, test_unanswered_offer_times_out);
  tcase_add_test (tc, test_bad_remote_sdp);
  tcase_add_test (tc, test_bad_local_address);
  tcase_add_test (tc, test_unpinned_in_loopback_only_namespace_connects);
  tcase_add_test (tc, test_closed_peers_release_webrtcbin);
  tcase_add_test (tc, test_backlog_held_by_sctp_counts);

  TCase *slow = tcase_create ("slow");
  suite_add_tcase (s, slow);
  tcase_set_timeout (slow, 120);
  tcase_add_test (slow, test_vanished_remote_noticed);
  return s;
}

GST_CHECK_MAIN (webrtc_peer);
