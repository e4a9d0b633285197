/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * UplinkPacer (gst/p2p/peer/uplink-pacer.h): one send rate shared by the
 * senders waiting in its line, in virtual time; and PeerSessions over the
 * simulated network that hand their uploads to the channel at its rate.
 */
#include <memory>
#include <string>
#include <vector>

#include "gst/p2p/common/chunked-bytes.h"
#include "gst/p2p/common/random.h"
#include "gst/p2p/peer/peer-session.h"
#include "gst/p2p/peer/uplink-pacer.h"
#include "sim/event-loop.h"
#include "sim/network.h"

#include <gst/check/gstcheck.h>

using namespace p2p;
using p2p::peer::PeerSession;
using p2p::peer::PeerSessionCallbacks;
using p2p::peer::UplinkPacer;
using p2p::sim::EventLoop;
using p2p::sim::Host;
using p2p::sim::LinkSpec;
using p2p::sim::Network;

namespace {

/* Sends @message bytes at a time while the pacer allows, then waits. */
struct Sender
{
  UplinkPacer &pacer;
  guint64 message;
  guint64 sent = 0;
  guint wakes = 0;

  void
  send ()
  {
    while (pacer.may_send ()) {
      pacer.sent (message);
      sent += message;
    }
    pacer.wait (this, [this] {
      wakes++;
      send ();
    });
  }
};

} // namespace

GST_START_TEST (test_senders_share_the_rate)
{
  EventLoop loop;
  UplinkPacer pacer (loop);
  pacer.set_rate (10000);
  Sender a{ pacer, 1000 }, b{ pacer, 1000 };
  a.send ();
  b.send ();
  loop.run_until (loop.now () + 10 * GST_SECOND);
  /* 100 kB in 10 s, give or take the burst and one message. */
  const guint64 total = a.sent + b.sent;
  fail_unless (total >= 99000 && total <= 101500, "sent %" G_GUINT64_FORMAT,
               total);
  /* In turn: neither gets more than a message ahead of the other. */
  fail_unless (a.sent <= b.sent + 1000 && b.sent <= a.sent + 1000,
               "%" G_GUINT64_FORMAT " against %" G_GUINT64_FORMAT, a.sent,
               b.sent);
  fail_unless (a.wakes >= 40);

  /* Commands go anyway, and what follows pays for them. */
  pacer.forget (&a);
  pacer.forget (&b);
  const GstClockTime before = loop.now ();
  pacer.sent (20000);
  fail_if (pacer.may_send ());
  Sender c{ pacer, 1000 };
  c.send ();
  loop.run_until (before + 1900 * GST_MSECOND);
  fail_unless_equals_uint64 (c.sent, 0);
  loop.run_until (before + 2100 * GST_MSECOND);
  fail_unless (c.sent > 0);
  /* The others left the line: only c was woken. */
  fail_unless (a.wakes < 60 && a.sent <= 51000);
}
GST_END_TEST;

GST_START_TEST (test_unpaced_lets_everything_through)
{
  EventLoop loop;
  UplinkPacer pacer (loop);
  fail_unless (pacer.may_send ());
  pacer.sent (1 << 30);
  fail_unless (pacer.may_send ());
  fail_unless_equals_uint64 (pacer.message_bytes (65535), 65535);

  /* Paced, then unpaced: the waiters go at once. */
  pacer.set_rate (1000);
  /* A message is at most what may go in a short burst, and a packet. */
  fail_unless_equals_uint64 (pacer.message_bytes (65535), 1200);
  pacer.sent (5000);
  Sender s{ pacer, 500 };
  s.send ();
  fail_unless_equals_uint64 (s.sent, 0);
  pacer.set_rate (0);
  s.pacer.forget (&s);
  bool woken = false;
  pacer.wait (&woken, [&woken] { woken = true; });
  loop.run_until (loop.now () + GST_MSECOND);
  fail_unless (woken);
}
GST_END_TEST;

namespace {

struct Viewer
{
  std::unique_ptr<peer::PeerTransport> transport;
  std::unique_ptr<PeerSession> session;
  GstClockTime downloaded = GST_CLOCK_TIME_NONE;
  guint64 downloaded_bytes = 0;
};

/* The segment the uploader serves. */
ChunkedBytes
segment (gsize size)
{
  GBytes *bytes = g_bytes_new_take (g_malloc0 (size), size);
  ChunkedBytes data (bytes);
  g_bytes_unref (bytes);
  return data;
}

/* A session of @uploader's, paced by @pacer, to a new viewer on @network, open;
 * the viewer asks for segment 1 once open. */
void
connect (EventLoop &loop, Network &network, Random &random,
         peer::PeerTransport &uploader_transport, UplinkPacer &pacer,
         std::unique_ptr<PeerSession> &uploader_session, Viewer &viewer,
         const ChunkedBytes &data, const std::string &id)
{
  LinkSpec link;
  link.down_bytes_per_s = 10e6;
  Host &host = network.add_host (link);
  viewer.transport = network.transport (host);

  std::string offer, answer;
  PeerSessionCallbacks up;
  up.local_description = [&offer] (const std::string &sdp) { offer = sdp; };
  up.lookup = [data] (int64_t) { return data; };
  uploader_session = PeerSession::offer (uploader_transport, loop, random,
                                         std::move (up), nullptr);
  uploader_session->set_pacer (&pacer);
  loop.run_until (loop.now () + GST_SECOND);
  fail_if (offer.empty ());

  PeerSessionCallbacks down;
  down.local_description = [&answer] (const std::string &sdp) { answer = sdp; };
  down.downloaded = [&viewer, &loop] (int64_t, const ChunkedBytes &bytes) {
    viewer.downloaded = loop.now ();
    viewer.downloaded_bytes = bytes.size ();
  };
  viewer.session
      = PeerSession::answer (*viewer.transport, loop, random, "uploader", offer,
                             std::move (down), nullptr);
  loop.run_until (loop.now () + GST_SECOND);
  fail_if (answer.empty ());
  fail_unless (uploader_session->set_remote_answer (id, answer, nullptr));
  loop.run_until (loop.now () + GST_SECOND);
  fail_unless (viewer.session->is_open ());
}

/* Seconds until both viewers have a 200 kB segment from one uploader, its
 * sessions paced at @rate (0: not paced). */
double
upload_to_two (double rate)
{
  EventLoop loop;
  Network network (loop);
  Random random (1);
  UplinkPacer pacer (loop);
  pacer.set_rate (rate);
  LinkSpec uplink;
  uplink.up_bytes_per_s = 1.25e6;
  Host &uploader = network.add_host (uplink);
  auto transport = network.transport (uploader);
  const ChunkedBytes data = segment (200000);

  std::unique_ptr<PeerSession> to_first, to_second;
  Viewer near, far;
  connect (loop, network, random, *transport, pacer, to_first, near, data,
           "first");
  connect (loop, network, random, *transport, pacer, to_second, far, data,
           "second");
  const GstClockTime start = loop.now ();
  fail_unless (near.session->request (1) && far.session->request (1));
  loop.run_until (start + 60 * GST_SECOND);
  fail_unless_equals_uint64 (near.downloaded_bytes, 200000);
  fail_unless_equals_uint64 (far.downloaded_bytes, 200000);
  /* The sessions go before the pacer, leaving its line. */
  near.session.reset ();
  far.session.reset ();
  to_first.reset ();
  to_second.reset ();
  return double (std::max (near.downloaded, far.downloaded) - start)
         / GST_SECOND;
}

} // namespace

GST_START_TEST (test_sessions_upload_at_the_pacers_rate)
{
  /* The two uploads share 50 kB/s: 400 kB take 8 s. */
  const double paced = upload_to_two (50000);
  fail_unless (paced > 7.5 && paced < 9, "%.2f s", paced);
  /* Unpaced, the 1.25 MB/s uplink takes them in well under a second. */
  const double unpaced = upload_to_two (0);
  fail_unless (unpaced < 1.5, "%.2f s", unpaced);
}
GST_END_TEST;

static Suite *
uplink_pacer_suite (void)
{
  Suite *s = suite_create ("uplink-pacer");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_senders_share_the_rate);
  tcase_add_test (tc, test_unpaced_lets_everything_through);
  tcase_add_test (tc, test_sessions_upload_at_the_pacers_rate);
  return s;
}

GST_CHECK_MAIN (uplink_pacer);
