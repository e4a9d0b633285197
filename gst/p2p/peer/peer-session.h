/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One remote peer of the swarm speaking P2P Media Loader 2.x's peer
 * protocol (PROTOCOLS.md §3.5-3.6) over a PeerChannel: announcements both
 * ways, one download at a time from it (request ids, SegmentData header,
 * payload chunks, the mandatory SendingCompleted), and uploads of what we
 * hold with backpressure. It owns the wire state of its download; what the
 * download means to playback is the viewer's. Engine thread only.
 */
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "gst/p2p/common/chunked-bytes.h"
#include "gst/p2p/common/clock.h"
#include "gst/p2p/common/random.h"
#include "gst/p2p/peer/peer-transport.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/peer/wire-codec.h"

namespace p2p::peer {

/* Our announcement, encoded once for every peer it goes to. */
struct EncodedAnnouncement
{
  std::vector<BytesRef> messages;
};
using AnnouncementRef = std::shared_ptr<const EncodedAnnouncement>;

/* Encodes what we hold (`l`) and what we load over HTTP (`p`). */
AnnouncementRef encode_announcement (const std::set<int64_t> &loaded,
                                     const std::set<int64_t> &loading_by_http);

struct PeerSessionCallbacks
{
  /* Our complete SDP (offer or answer) for the tracker. */
  std::function<void (const std::string &sdp)> local_description;
  /* The data channel opened. */
  std::function<void ()> open;
  /* The remote's announcement replaced what it holds / loads over HTTP. */
  std::function<void ()> announcement;
  /* The segment to upload, or empty if we lack it. */
  std::function<ChunkedBytes (int64_t sequence)> lookup;
  /* Bytes of the running download so far, and the total once known (0
   * before the SegmentData header). */
  std::function<void (int64_t sequence, guint64 received, guint64 total)>
      progress;
  /* A complete download. */
  std::function<void (int64_t sequence, const ChunkedBytes &data)> downloaded;
  /* The remote sent nothing usable, or answered SegmentAbsent (@absent):
   * it lacks the segment or is busy serving others, which is no fault. */
  std::function<void (int64_t sequence, const std::string &why, bool absent)>
      download_failed;
  /* Payload bytes handed to the channel for an upload. */
  std::function<void (guint64 bytes)> uploaded;
  /* The connection ended (@error nullptr: closed by the remote). */
  std::function<void (const GError *error)> closed;
};

class PeerSession
{
public:
  /* Offerer: call set_remote_answer() with the answer the tracker relays. */
  static std::unique_ptr<PeerSession> offer (PeerTransport &transport,
                                             Clock &clock, Random &random,
                                             PeerSessionCallbacks callbacks,
                                             GError **error);
  /* Answerer for a remote offer relayed by the tracker. */
  static std::unique_ptr<PeerSession>
  answer (PeerTransport &transport, Clock &clock, Random &random,
          const std::string &remote_id, const std::string &remote_offer,
          PeerSessionCallbacks callbacks, GError **error);
  ~PeerSession ();

  bool set_remote_answer (const std::string &remote_id, const std::string &sdp,
                          GError **error);

  const std::string &
  remote_id () const
  {
    return remote_id_;
  }
  bool
  is_open () const
  {
    return open_;
  }
  const std::set<int64_t> &
  remote_loaded () const
  {
    return remote_loaded_;
  }
  const std::set<int64_t> &
  remote_loading () const
  {
    return remote_loading_;
  }

  /* Sends @announcement unless it is the one sent last (again on open). */
  void announce (const AnnouncementRef &announcement);
  /* Starts downloading @sequence; false when a download is running. */
  bool request (int64_t sequence);
  /* Stops the running download (sends CancelSegmentRequest). */
  void cancel_download ();
  bool
  downloading () const
  {
    return download_.active;
  }
  /* Bytes of an upload wait to be handed to the channel. */
  bool
  uploading () const
  {
    return upload_messages_ > 0;
  }
  int64_t
  download_sequence () const
  {
    return download_.sequence;
  }

  /* Bytes per second measured over finished downloads, 0 if unknown. */
  double
  throughput () const
  {
    return throughput_;
  }
  guint64
  bytes_downloaded () const
  {
    return bytes_downloaded_;
  }
  guint64
  bytes_uploaded () const
  {
    return bytes_uploaded_;
  }

  void close ();

private:
  PeerSession (Clock &clock, Random &random, PeerSessionCallbacks callbacks);
  ChannelEvents channel_events ();
  void on_open ();
  void on_message (GBytes *message);
  void on_command (const wire::Command &command);
  void on_payload (GBytes *chunk);
  void on_closed (const GError *error);
  void serve_request (const wire::Command &command);
  void send_command (const wire::Command &command, bool with_upload);
  struct Outgoing;
  void queue (Outgoing outgoing);
  void pump ();
  void stop_upload ();
  void fail_download (const std::string &why, bool absent = false);
  void protocol_error (const std::string &why);

  struct Download
  {
    bool active = false;
    int64_t sequence = -1;
    int64_t request_id = -1;
    gint64 expected = -1; /* from SegmentData */
    ChunkedBytes data;
    GstClockTime started = 0;
  };

  Clock &clock_;
  Random &random_;
  PeerSessionCallbacks callbacks_;
  std::unique_ptr<PeerChannel> channel_;
  std::string remote_id_;
  bool open_ = false;
  wire::WireReceiver receiver_;
  std::set<int64_t> remote_loaded_;
  std::set<int64_t> remote_loading_;
  AnnouncementRef announced_;
  Download download_;
  /* Messages not yet accepted by the channel, in order; `upload` marks the
   * running upload's, dropped when a new request replaces it, and `payload`
   * its segment bytes (counted as uploaded once sent). */
  struct Outgoing
  {
    BytesRef message;
    bool upload = false;
    bool payload = false;
  };
  std::deque<Outgoing> outgoing_;
  size_t upload_messages_ = 0;
  int64_t upload_request_id_ = -1;
  int64_t upload_sequence_ = -1;
  double throughput_ = 0;
  guint64 bytes_downloaded_ = 0;
  guint64 bytes_uploaded_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool> (true);
};

} // namespace p2p::peer
