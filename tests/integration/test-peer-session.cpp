/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * PeerSession against PeerSession, and against a hand-driven wire peer, in
 * one process over real WebRTC data channels (ICE pinned to 127.0.0.1, run
 * inside a private network namespace): announcements both ways, a
 * download, SegmentAbsent, cancel, the exact messages of a 1 MB upload, and
 * a new request replacing a running upload.
 */
#include <gst/check/gstcheck.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/peer/peer-session.h"
#include "tests/common/change-signal.h"
#include "wire-test-peer.h"

using p2p::EngineThread;
using p2p::GBytesPtr;
using p2p::peer::encode_announcement;
using p2p::peer::PeerSession;
using p2p::peer::PeerSessionCallbacks;
using p2p::peer::WebRtcPeerConfig;
using p2p::peer::wire::Command;
using p2p::peer::wire::CommandType;
using p2p::test::ChangeSignal;
using p2p::test::WirePeer;

namespace {

constexpr gsize kChunk = 65535;

GBytes *
make_segment (int seed, gsize size)
{
  auto data = static_cast<guint8 *> (g_malloc (size));
  for (gsize j = 0; j < size; j++)
    data[j] = (guint8)((seed * 131 + j * 7 + (j >> 9)) & 0xff);
  return g_bytes_new_take (data, size);
}

WebRtcPeerConfig
pinned_config ()
{
  WebRtcPeerConfig config;
  config.local_addresses = { "127.0.0.1" };
  return config;
}

/* What one side saw, written on the engine thread, read by the test. */
struct Side
{
  bool open = false;
  bool closed = false;
  guint announcements = 0;
  std::set<int64_t> remote_loaded;
  std::set<int64_t> remote_loading;
  std::map<int64_t, GBytesPtr> downloaded;
  std::vector<std::pair<int64_t, std::string>> failed;
  std::vector<bool> failed_absent;
  guint64 received = 0; /* last progress */
  guint64 total = 0;
  std::vector<guint64> uploaded_chunks;
  guint64 uploaded = 0;
};

/* One message the wire peer received, in order. */
struct WireEvent
{
  bool is_command = false;
  Command command;
  GBytesPtr payload;
};

/* Side 0 is a PeerSession (the offerer) or a WirePeer; side 1 is always a
 * PeerSession (the answerer) holding `held`. */
struct Fixture : ChangeSignal
{
  EngineThread thread{ "test-peer-session" };
  p2p::peer::WebRtcTransport transport{ thread, pinned_config () };
  /* Used on the engine thread only (PeerSession reads the time). */
  p2p::GLibClock clock{ thread.context () };
  p2p::Random random{ 1 };
  Side side[2];
  std::vector<WireEvent> wire_events;
  /* Set before connecting, read on the engine thread by lookup. */
  std::map<int64_t, GBytesPtr> held[2];
  /* Engine thread only. */
  std::unique_ptr<PeerSession> session[2];
  std::unique_ptr<WirePeer> wire;

  ~Fixture ()
  {
    thread.invoke_sync ([this] {
      session[0].reset ();
      session[1].reset ();
      wire.reset ();
    });
    thread.stop ();
  }

  PeerSessionCallbacks
  callbacks (int s)
  {
    PeerSessionCallbacks cb;
    cb.open = [this, s] { update ([&] { side[s].open = true; }); };
    cb.announcement = [this, s] {
      update ([&] {
        side[s].announcements++;
        side[s].remote_loaded = session[s]->remote_loaded ();
        side[s].remote_loading = session[s]->remote_loading ();
      });
    };
    cb.lookup = [this, s] (int64_t sequence) {
      auto it = held[s].find (sequence);
      return it == held[s].end () ? p2p::ChunkedBytes ()
                                  : p2p::ChunkedBytes (it->second.get ());
    };
    cb.progress = [this, s] (int64_t, guint64 received, guint64 total) {
      update ([&] {
        side[s].received = received;
        side[s].total = total;
      });
    };
    cb.downloaded
        = [this, s] (int64_t sequence, const p2p::ChunkedBytes &data) {
            update ([&] { side[s].downloaded[sequence] = data.flatten (); });
          };
    cb.download_failed
        = [this, s] (int64_t sequence, const std::string &why, bool absent) {
            update ([&] {
              side[s].failed.emplace_back (sequence, why);
              side[s].failed_absent.push_back (absent);
            });
          };
    cb.uploaded = [this, s] (guint64 bytes) {
      update ([&] {
        side[s].uploaded_chunks.push_back (bytes);
        side[s].uploaded += bytes;
      });
    };
    cb.closed = [this, s] (const GError *) {
      update ([&] { side[s].closed = true; });
    };
    return cb;
  }

  /* Side 1 answers whatever side 0 offers. */
  void
  answer_with_session (const std::string &offer, const std::string &offerer_id,
                       std::function<void (const std::string &)> set_answer)
  {
    auto cb = callbacks (1);
    cb.local_description = set_answer;
    GError *error = nullptr;
    session[1] = PeerSession::answer (transport, clock, random, offerer_id,
                                      offer, std::move (cb), &error);
    fail_unless (session[1] != nullptr, "answer: %s",
                 error ? error->message : "?");
  }

  void
  connect_sessions (const std::function<void ()> &before_open = {})
  {
    thread.invoke_sync ([&] {
      auto cb = callbacks (0);
      cb.local_description = [this] (const std::string &offer) {
        answer_with_session (offer, "offerer-peer-id-0000",
                             [this] (const std::string &answer) {
                               GError *error = nullptr;
                               fail_unless (session[0]->set_remote_answer (
                                   "answerer-peer-id-000", answer, &error));
                             });
      };
      GError *error = nullptr;
      session[0] = PeerSession::offer (transport, clock, random, std::move (cb),
                                       &error);
      fail_unless (session[0] != nullptr);
      if (before_open)
        before_open ();
    });
    fail_unless (wait ([&] { return side[0].open && side[1].open; }),
                 "the sessions did not connect");
  }

  void
  connect_wire ()
  {
    thread.invoke_sync ([&] {
      WirePeer::Callbacks cb;
      cb.local_description = [this] (const std::string &offer) {
        answer_with_session (
            offer, "wire-peer-id-0000000", [this] (const std::string &answer) {
              GError *error = nullptr;
              fail_unless (wire->set_remote_answer (answer, &error));
            });
      };
      cb.open = [this] { update ([&] { side[0].open = true; }); };
      cb.command = [this] (const Command &command) {
        update ([&] { wire_events.push_back ({ true, command, {} }); });
      };
      cb.payload = [this] (GBytes *payload) {
        update ([&] {
          wire_events.push_back (
              { false, Command (), GBytesPtr (g_bytes_ref (payload)) });
        });
      };
      GError *error = nullptr;
      wire = WirePeer::offer (thread, pinned_config (), std::move (cb), &error);
      fail_unless (wire != nullptr);
    });
    fail_unless (wait ([&] { return side[0].open && side[1].open; }),
                 "the wire peer did not connect");
  }

  /* The index of the first command of @type for @request_id from @from on,
   * or -1. Call with the mutex held. */
  int
  find_command (CommandType type, int64_t request_id, size_t from = 0)
  {
    for (size_t i = from; i < wire_events.size (); i++) {
      const WireEvent &e = wire_events[i];
      if (e.is_command && e.command.type == type
          && e.command.request_id == request_id)
        return (int)i;
    }
    return -1;
  }
};

bool
same_bytes (GBytes *a, GBytes *b)
{
  return a && b && g_bytes_equal (a, b);
}

} // namespace

GST_START_TEST (test_announcements_both_ways)
{
  Fixture f;
  /* Announced before the channel opens: sent once it does. */
  f.connect_sessions ([&] {
    f.session[0]->announce (encode_announcement ({ 1, 2, 3 }, { 4 }));
  });
  fail_unless (f.wait ([&] { return f.side[1].announcements > 0; }));
  {
    std::lock_guard<std::mutex> lock (f.mutex);
    fail_unless (f.side[1].remote_loaded == std::set<int64_t> ({ 1, 2, 3 }));
    fail_unless (f.side[1].remote_loading == std::set<int64_t> ({ 4 }));
  }

  f.thread.invoke_sync ([&] {
    auto seven_eight = encode_announcement ({ 7, 8 }, {});
    f.session[1]->announce (seven_eight);
    /* The same announcement again is not sent twice. */
    f.session[1]->announce (seven_eight);
    f.session[0]->announce (encode_announcement ({ 1, 2, 3, 4 }, {}));
  });
  fail_unless (f.wait ([&] {
    return f.side[0].announcements > 0
           && f.side[1].remote_loaded.count (4) == 1;
  }));
  g_usleep (200 * 1000);
  std::lock_guard<std::mutex> lock (f.mutex);
  fail_unless_equals_int (f.side[0].announcements, 1);
  fail_unless (f.side[0].remote_loaded == std::set<int64_t> ({ 7, 8 }));
  fail_unless (f.side[0].remote_loading.empty ());
  fail_unless (f.side[1].remote_loading.empty ());
  fail_unless_equals_int (f.side[1].announcements, 2);
}

GST_END_TEST;

/* A 1 MB download between two sessions: the bytes arrive intact, the
 * uploader hands them out in 65535-byte chunks, both count them. */
GST_START_TEST (test_download)
{
  Fixture f;
  const gsize size = 1024 * 1024;
  f.held[1][5].reset (make_segment (5, size));
  f.connect_sessions ();

  bool requested = false;
  f.thread.invoke_sync ([&] { requested = f.session[0]->request (5); });
  fail_unless (requested);
  fail_unless (f.wait ([&] { return f.side[0].downloaded.count (5) == 1; }),
               "the download did not complete");

  guint64 downloaded = 0, uploaded = 0;
  bool downloading = true;
  double throughput = 0;
  f.thread.invoke_sync ([&] {
    downloaded = f.session[0]->bytes_downloaded ();
    uploaded = f.session[1]->bytes_uploaded ();
    downloading = f.session[0]->downloading ();
    throughput = f.session[0]->throughput ();
  });
  std::lock_guard<std::mutex> lock (f.mutex);
  fail_unless (
      same_bytes (f.side[0].downloaded[5].get (), f.held[1][5].get ()));
  fail_unless (!downloading);
  fail_unless_equals_uint64 (downloaded, size);
  fail_unless_equals_uint64 (uploaded, size);
  fail_unless_equals_uint64 (f.side[0].received, size);
  fail_unless_equals_uint64 (f.side[0].total, size);
  fail_unless (throughput > 0);
  fail_unless_equals_uint64 (f.side[1].uploaded, size);
  fail_unless_equals_int (f.side[1].uploaded_chunks.size (),
                          (size + kChunk - 1) / kChunk);
  for (size_t i = 0; i + 1 < f.side[1].uploaded_chunks.size (); i++)
    fail_unless_equals_uint64 (f.side[1].uploaded_chunks[i], kChunk);
  fail_unless_equals_uint64 (f.side[1].uploaded_chunks.back (), size % kChunk);
  fail_unless (f.side[0].failed.empty ());
}

GST_END_TEST;

GST_START_TEST (test_segment_absent)
{
  Fixture f;
  f.held[1][5].reset (make_segment (5, 1000));
  f.connect_sessions ();

  f.thread.invoke_sync ([&] { fail_unless (f.session[0]->request (99)); });
  fail_unless (f.wait ([&] { return !f.side[0].failed.empty (); }));
  bool downloading = true;
  f.thread.invoke_sync ([&] {
    downloading = f.session[0]->downloading ();
    /* The session is free for the next request. */
    fail_unless (f.session[0]->request (5));
  });
  fail_unless (!downloading);
  fail_unless (f.wait ([&] { return f.side[0].downloaded.count (5) == 1; }));
  std::lock_guard<std::mutex> lock (f.mutex);
  fail_unless_equals_int (f.side[0].failed.size (), 1);
  fail_unless_equals_int (f.side[0].failed[0].first, 99);
  fail_unless (f.side[0].failed_absent[0], "SegmentAbsent is reported as such");
  fail_unless (f.side[0].downloaded.count (99) == 0);
  fail_unless_equals_uint64 (f.side[1].uploaded, 1000);
}

GST_END_TEST;

/* Cancelling stops the uploader early, and the next download on the same
 * channel is not disturbed by chunks of the cancelled one still in flight. */
GST_START_TEST (test_cancel)
{
  Fixture f;
  const gsize big = 8 * 1024 * 1024;
  f.held[1][1].reset (make_segment (1, big));
  f.held[1][2].reset (make_segment (2, 200 * 1000));
  f.connect_sessions ();

  f.thread.invoke_sync ([&] { fail_unless (f.session[0]->request (1)); });
  fail_unless (f.wait ([&] { return f.side[0].received > 0; }));
  bool downloading = true;
  f.thread.invoke_sync ([&] {
    f.session[0]->cancel_download ();
    downloading = f.session[0]->downloading ();
    fail_unless (f.session[0]->request (2));
  });
  fail_unless (!downloading);
  fail_unless (f.wait ([&] { return f.side[0].downloaded.count (2) == 1; }));
  /* Let anything of segment 1 still queued arrive (it must not). */
  g_usleep (500 * 1000);
  std::lock_guard<std::mutex> lock (f.mutex);
  fail_unless (
      same_bytes (f.side[0].downloaded[2].get (), f.held[1][2].get ()));
  fail_unless (f.side[0].downloaded.count (1) == 0);
  fail_unless (f.side[0].failed.empty ());
  fail_unless (f.side[1].uploaded < big,
               "the cancelled upload ran to the end (%" G_GUINT64_FORMAT
               " bytes)",
               f.side[1].uploaded);
}

GST_END_TEST;

/* The exact messages of a 1 MB upload: SegmentData with the size, 65535-byte
 * payload messages (the last one shorter), SegmentDataSendingCompleted. */
GST_START_TEST (test_upload_chunks_on_the_wire)
{
  Fixture f;
  const gsize size = 1024 * 1024;
  f.held[1][42].reset (make_segment (42, size));
  f.connect_wire ();

  f.thread.invoke_sync (
      [&] { f.wire->send_command (Command::request (42, 7)); });
  fail_unless (f.wait ([&] {
    return f.find_command (CommandType::SEGMENT_DATA_SENDING_COMPLETED, 7) >= 0;
  }));
  std::lock_guard<std::mutex> lock (f.mutex);
  const size_t chunks = (size + kChunk - 1) / kChunk;
  fail_unless_equals_int (f.wire_events.size (), chunks + 2);
  const WireEvent &header = f.wire_events.front ();
  fail_unless (header.is_command);
  fail_unless (header.command == Command::data (42, 7, size));
  GByteArray *joined = g_byte_array_new ();
  for (size_t i = 1; i <= chunks; i++) {
    const WireEvent &e = f.wire_events[i];
    fail_unless (!e.is_command, "message %zu is a command", i);
    gsize n = 0;
    auto data
        = static_cast<const guint8 *> (g_bytes_get_data (e.payload.get (), &n));
    fail_unless_equals_uint64 (n, i < chunks ? kChunk : size % kChunk);
    g_byte_array_append (joined, data, n);
  }
  GBytesPtr received (g_byte_array_free_to_bytes (joined));
  fail_unless (same_bytes (received.get (), f.held[1][42].get ()));
  fail_unless (f.wire_events.back ().command == Command::completed (42, 7));
}

GST_END_TEST;

/* P2P Media Loader sends a new request without cancelling the running one:
 * the uploader drops what is left of the old upload (no
 * SendingCompleted for it) and serves the new one whole. */
GST_START_TEST (test_new_request_replaces_running_upload)
{
  Fixture f;
  const gsize big = 4 * 1024 * 1024;
  const gsize small = 300 * 1000;
  f.held[1][1].reset (make_segment (1, big));
  f.held[1][2].reset (make_segment (2, small));
  f.connect_wire ();

  f.thread.invoke_sync ([&] {
    f.wire->send_command (Command::request (1, 11));
    f.wire->send_command (Command::request (2, 22));
  });
  fail_unless (f.wait ([&] {
    return f.find_command (CommandType::SEGMENT_DATA_SENDING_COMPLETED, 22)
           >= 0;
  }));
  g_usleep (300 * 1000);
  std::lock_guard<std::mutex> lock (f.mutex);
  int header = f.find_command (CommandType::SEGMENT_DATA, 22);
  int completed
      = f.find_command (CommandType::SEGMENT_DATA_SENDING_COMPLETED, 22);
  fail_unless (header >= 0);
  fail_unless (f.wire_events[header].command == Command::data (2, 22, small));
  fail_unless_equals_int (
      f.find_command (CommandType::SEGMENT_DATA_SENDING_COMPLETED, 11), -1);

  guint64 old_bytes = 0;
  for (int i = 0; i < header; i++) {
    if (!f.wire_events[i].is_command)
      old_bytes += g_bytes_get_size (f.wire_events[i].payload.get ());
  }
  fail_unless (old_bytes < big, "the old upload was not replaced");
  GByteArray *joined = g_byte_array_new ();
  for (int i = header + 1; i < completed; i++) {
    const WireEvent &e = f.wire_events[i];
    fail_unless (!e.is_command, "command inside the new upload");
    gsize n = 0;
    auto data
        = static_cast<const guint8 *> (g_bytes_get_data (e.payload.get (), &n));
    g_byte_array_append (joined, data, n);
  }
  GBytesPtr received (g_byte_array_free_to_bytes (joined));
  fail_unless (same_bytes (received.get (), f.held[1][2].get ()));
  /* Nothing after the new upload's end. */
  fail_unless_equals_int (completed, (int)f.wire_events.size () - 1);
}

GST_END_TEST;

static Suite *
peer_session_suite (void)
{
  Suite *s = suite_create ("peer-session");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_announcements_both_ways);
  tcase_add_test (tc, test_download);
  tcase_add_test (tc, test_segment_absent);
  tcase_add_test (tc, test_cancel);
  tcase_add_test (tc, test_upload_chunks_on_the_wire);
  tcase_add_test (tc, test_new_request_replaces_running_upload);
  return s;
}

GST_CHECK_MAIN (peer_session);
