/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The simulator's own pieces: the event loop's order and cancellation,
 * rates shared on a link, and simulated data channels (open, messages in
 * order and on time, back-pressure, close seen by the remote), and what
 * the wire carries besides messages.
 */
#include <gst/check/gstcheck.h>

#include <memory>
#include <string>
#include <vector>

#include "gst/p2p/common/error.h"
#include "sim/event-loop.h"
#include "sim/network.h"
#include "sim/shared-link.h"

using namespace p2p;
using namespace p2p::sim;

namespace {

GBytes *
bytes_of_size (gsize size)
{
  return g_bytes_new_take (g_malloc0 (size), size);
}

double
seconds (GstClockTime t)
{
  return double (t) / GST_SECOND;
}

} // namespace

GST_START_TEST (test_event_loop_order_and_cancel)
{
  EventLoop loop;
  const GstClockTime start = loop.now ();
  std::vector<int> ran;
  loop.call_later (2 * GST_SECOND, [&] { ran.push_back (3); });
  loop.call_later (GST_SECOND, [&] { ran.push_back (1); });
  /* Same time: in the order scheduled. */
  loop.call_later (GST_SECOND, [&] { ran.push_back (2); });
  TimerId cancelled = loop.call_later (GST_SECOND, [&] { ran.push_back (9); });
  loop.cancel (cancelled);
  loop.run_until (start + GST_SECOND);
  fail_unless_equals_int (ran.size (), 2);
  fail_unless_equals_uint64 (loop.now (), start + GST_SECOND);
  /* A call may schedule more, at 0 delay: it runs after what is due. */
  loop.call_later (0, [&] {
    loop.call_later (0, [&] { ran.push_back (5); });
    ran.push_back (4);
  });
  loop.run_until (start + 3 * GST_SECOND);
  fail_unless (ran == std::vector<int> ({ 1, 2, 4, 5, 3 }));
  /* Cancelling a call that ran does nothing (its slot may be reused). */
  loop.cancel (cancelled);
  fail_unless (!loop.run_one ());
}

GST_END_TEST;

GST_START_TEST (test_link_shares_rate_equally)
{
  EventLoop loop;
  const GstClockTime start = loop.now ();
  SharedLink link (loop, 1000); /* bytes per second */
  GstClockTime a_done = 0, b_done = 0;
  Flow *a = link.open ([&] (Unit) { a_done = loop.now (); });
  Flow *b = link.open ([&] (Unit) { b_done = loop.now (); });
  link.send (a, Unit{ BytesRef (), 1000 });
  link.send (b, Unit{ BytesRef (), 500 });
  loop.run_until (start + 10 * GST_SECOND);
  /* Both at 500 B/s until b is done (1 s), then a alone: 500 more bytes at
   * 1000 B/s. */
  fail_unless (std::abs (seconds (b_done - start) - 1.0) < 1e-6, "%f",
               seconds (b_done - start));
  fail_unless (std::abs (seconds (a_done - start) - 1.5) < 1e-6, "%f",
               seconds (a_done - start));
  fail_unless_equals_uint64 (link.bytes_sent (), 1500);

  /* A closed flow sends nothing more and frees its share. */
  const GstClockTime t = loop.now ();
  bool closed_sent = false;
  GstClockTime c_done = 0;
  Flow *c = link.open ([&] (Unit) { c_done = loop.now (); });
  Flow *d = link.open ([&] (Unit) { closed_sent = true; });
  link.send (c, Unit{ BytesRef (), 1000 });
  link.send (d, Unit{ BytesRef (), 1000 });
  loop.run_until (t + GST_SECOND / 2);
  link.close (d);
  loop.run_until (t + 10 * GST_SECOND);
  fail_if (closed_sent);
  /* 250 bytes in the first half second, 750 alone: 0.75 s more. */
  fail_unless (std::abs (seconds (c_done - t) - 1.25) < 1e-6, "%f",
               seconds (c_done - t));
  link.close (a);
  link.close (b);
  link.close (c);
}

GST_END_TEST;

namespace {

struct ChannelSide
{
  std::string description;
  bool open = false;
  bool closed = false;
  bool closed_with_error = false;
  guint writable = 0;
  std::vector<gsize> messages;
  std::vector<GstClockTime> arrivals;
};

peer::ChannelEvents
events_for (ChannelSide &side, EventLoop &loop)
{
  peer::ChannelEvents events;
  events.local_description
      = [&side] (const std::string &sdp) { side.description = sdp; };
  events.open = [&side] { side.open = true; };
  events.message = [&side, &loop] (GBytes *message) {
    side.messages.push_back (g_bytes_get_size (message));
    side.arrivals.push_back (loop.now ());
  };
  events.writable = [&side] { side.writable++; };
  events.closed = [&side] (const GError *error) {
    side.closed = true;
    side.closed_with_error = error != nullptr;
  };
  return events;
}

struct ChannelPair
{
  std::unique_ptr<peer::PeerTransport> transport_a, transport_b;
  std::unique_ptr<peer::PeerChannel> offerer, answerer;
};

/* A channel from @a (the offerer, events to @sa) to @b, open. */
ChannelPair
open_channel (EventLoop &loop, Network &network, Host &a, Host &b,
              ChannelSide &sa, ChannelSide &sb)
{
  ChannelPair pair;
  pair.transport_a = network.transport (a);
  pair.transport_b = network.transport (b);
  pair.offerer = pair.transport_a->offer (events_for (sa, loop), nullptr);
  loop.run_until (loop.now () + GST_SECOND);
  fail_if (sa.description.empty ());
  pair.answerer = pair.transport_b->answer (sa.description,
                                            events_for (sb, loop), nullptr);
  loop.run_until (loop.now () + GST_SECOND);
  fail_if (sb.description.empty ());
  fail_if (sa.open);
  fail_unless (pair.offerer->set_remote_answer (sb.description, nullptr));
  loop.run_until (loop.now () + GST_SECOND);
  fail_unless (sa.open && sb.open);
  return pair;
}

} // namespace

GST_START_TEST (test_channel_messages_timing_and_close)
{
  EventLoop loop;
  Network network (loop);
  LinkSpec fast;
  fast.up_bytes_per_s = 1e6;
  fast.down_bytes_per_s = 10e6;
  fast.delay = 10 * GST_MSECOND;
  LinkSpec slow = fast;
  slow.up_bytes_per_s = 100e3;
  slow.delay = 20 * GST_MSECOND;
  Host &a = network.add_host (fast);
  Host &b = network.add_host (slow);
  ChannelSide sa, sb;
  ChannelPair pair = open_channel (loop, network, a, b, sa, sb);
  auto &offerer = pair.offerer;
  auto &answerer = pair.answerer;

  /* 100 kB from the slow uplink: 1 s on it, 30 ms across, 10 ms on the
   * receiver's downlink. */
  const GstClockTime sent = loop.now ();
  GBytes *message = bytes_of_size (100000);
  fail_unless (answerer->send (message));
  g_bytes_unref (message);
  loop.run_until (sent + 2 * GST_SECOND);
  fail_unless_equals_int (sa.messages.size (), 1);
  fail_unless (std::abs (seconds (sa.arrivals[0] - sent) - 1.04) < 1e-3, "%f",
               seconds (sa.arrivals[0] - sent));

  /* Back-pressure: beyond the low-water mark send () refuses, and writable
   * follows once the buffer drains. */
  const guint64 threshold = network.timing ().buffered_low_threshold;
  guint accepted = 0;
  while (accepted < 100) {
    GBytes *m = bytes_of_size (60000);
    const bool ok = answerer->send (m);
    g_bytes_unref (m);
    if (!ok)
      break;
    accepted++;
  }
  fail_unless (answerer->buffered_amount () > threshold);
  fail_unless (accepted < 100);
  loop.run_until (loop.now () + 20 * GST_SECOND);
  fail_unless_equals_int (sb.writable, 1);
  fail_unless_equals_int (sa.messages.size (), 1 + accepted);
  fail_unless_equals_uint64 (answerer->buffered_amount (), 0);

  /* Closing one end: the other sees it after the one-way delay, without
   * an error; the closing end hears nothing. */
  offerer->close ();
  loop.run_until (loop.now () + GST_SECOND);
  fail_unless (sb.closed);
  fail_if (sb.closed_with_error);
  fail_if (sa.closed);
  fail_if (answerer->send (g_bytes_new_static ("x", 1)));
}

GST_END_TEST;

/* A path slower than the sender's uplink (here a lossy one, whose rate
 * SCTP's congestion control caps) pushes back on the sender, as a
 * congestion window does: what does not fit waits in the sender's buffer,
 * where back-pressure sees it, instead of queueing inside the network
 * until every message is seconds late. */
GST_START_TEST (test_slow_path_pushes_back_on_the_sender)
{
  EventLoop loop;
  Network network (loop);
  LinkSpec sender_link;
  sender_link.up_bytes_per_s = 1e6;
  sender_link.delay = 20 * GST_MSECOND;
  LinkSpec lossy = sender_link;
  lossy.down_bytes_per_s = 10e6;
  lossy.loss = 0.005;
  Host &a = network.add_host (sender_link);
  Host &b = network.add_host (lossy);
  ChannelSide sa, sb;
  ChannelPair pair = open_channel (loop, network, a, b, sa, sb);

  /* The sender fills its buffer whenever it may, for 10 s. */
  std::vector<GstClockTime> sent_at;
  auto fill = [&] {
    for (;;) {
      GBytes *m = bytes_of_size (16384);
      const bool ok = pair.offerer->send (m);
      g_bytes_unref (m);
      if (!ok)
        break;
      sent_at.push_back (loop.now ());
    }
  };
  const GstClockTime start = loop.now ();
  fill ();
  guint refills = 0;
  while (loop.now () < start + 10 * GST_SECOND) {
    loop.run_until (loop.now () + 10 * GST_MSECOND);
    if (sa.writable > refills) {
      refills = sa.writable;
      fill ();
    }
  }
  /* About 258 kB/s get through (1,200 B / 80 ms × 1.22 / √0.005). */
  fail_unless (sb.messages.size () > 100, "%zu messages", sb.messages.size ());
  fail_unless (sent_at.size () < sb.messages.size () + 32,
               "%zu sent, %zu delivered", sent_at.size (), sb.messages.size ());
  /* The last message delivered waited its turn in the sender's buffer
   * (256 KiB, about a second) and the window, not ten seconds of
   * uplink-rate sending in the network. */
  const size_t last = sb.messages.size () - 1;
  fail_unless (seconds (sb.arrivals[last] - sent_at[last]) < 2.0, "%f s",
               seconds (sb.arrivals[last] - sent_at[last]));
  fail_unless (pair.offerer->buffered_amount ()
               > network.timing ().buffered_low_threshold / 2);
}

GST_END_TEST;

/* With wire costs a message takes its packets' headers of the sender's
 * uplink, and the receiver's uplink sends a SACK for every second packet;
 * without, only the message's bytes travel. Packets are counted either
 * way. */
GST_START_TEST (test_wire_costs_charge_headers_and_acknowledgements)
{
  for (const bool costs : { false, true }) {
    EventLoop loop;
    Network network (loop);
    network.set_wire_costs (costs);
    LinkSpec link;
    link.up_bytes_per_s = 100e3;
    link.down_bytes_per_s = 10e6;
    link.delay = 10 * GST_MSECOND;
    Host &a = network.add_host (link);
    Host &b = network.add_host (link);
    ChannelSide sa, sb;
    ChannelPair pair = open_channel (loop, network, a, b, sa, sb);

    const GstClockTime sent = loop.now ();
    GBytes *message = bytes_of_size (100000);
    fail_unless (pair.offerer->send (message));
    g_bytes_unref (message);
    loop.run_until (sent + 3 * GST_SECOND);
    fail_unless_equals_int (sb.messages.size (), 1);

    /* 86 packets of at most 1,172 bytes, acknowledged by 43 SACKs. */
    const gsize packets = 86, sacks = 43;
    fail_unless_equals_uint64 (a.uplink_packets (), packets);
    fail_unless_equals_uint64 (b.uplink_packets (), sacks);
    const gsize headers = costs ? packets * wire::kSctpHeaders : 0;
    fail_unless_equals_uint64 (a.uplink ().bytes_sent (), 100000 + headers);
    fail_unless_equals_uint64 (b.uplink ().bytes_sent (),
                               costs ? sacks * wire::kSctpAck : 0);
    /* The headers take the links' time too: on the uplink 1 s for the
     * bytes and 80 ms for 86 headers of 93 bytes, 20 ms across, a
     * hundredth of that on the downlink. */
    const double wire_bytes = 100000.0 + headers;
    const double expected = wire_bytes / 100e3 + 0.02 + wire_bytes / 10e6;
    fail_unless (std::abs (seconds (sb.arrivals[0] - sent) - expected) < 1e-3,
                 "%f s, expected %f s", seconds (sb.arrivals[0] - sent),
                 expected);
  }
}

GST_END_TEST;

GST_START_TEST (test_unanswered_offer_times_out)
{
  EventLoop loop;
  Network network (loop);
  Host &a = network.add_host (LinkSpec ());
  auto transport = network.transport (a);
  ChannelSide side;
  auto offerer = transport->offer (events_for (side, loop), nullptr);
  loop.run_until (loop.now () + network.timing ().connect_timeout - GST_SECOND);
  fail_if (side.closed);
  loop.run_until (loop.now () + 2 * GST_SECOND);
  fail_unless (side.closed && side.closed_with_error);
  GError *error = nullptr;
  fail_if (transport->answer ("v=0 not a simulated offer",
                              peer::ChannelEvents (), &error)
           != nullptr);
  fail_unless (g_error_matches (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL));
  g_error_free (error);
}

GST_END_TEST;

static Suite *
sim_network_suite (void)
{
  Suite *s = suite_create ("sim-network");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_event_loop_order_and_cancel);
  tcase_add_test (tc, test_link_shares_rate_equally);
  tcase_add_test (tc, test_channel_messages_timing_and_close);
  tcase_add_test (tc, test_slow_path_pushes_back_on_the_sender);
  tcase_add_test (tc, test_wire_costs_charge_headers_and_acknowledgements);
  tcase_add_test (tc, test_unanswered_offer_times_out);
  return s;
}

GST_CHECK_MAIN (sim_network);
