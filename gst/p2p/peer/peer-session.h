/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One remote peer of the swarm speaking P2P Media Loader 2.x's peer
 * protocol (PROTOCOLS.md §3.5-3.6) over a PeerChannel: announcements both
 * ways, one download at a time from it (request ids, SegmentData header,
 * payload chunks, the mandatory SendingCompleted), and uploads of what we
 * hold with backpressure. It owns the wire state of its download; what the
 * download means to playback is the viewer's. Engine thread only.
 *
 * Between gst-p2p 2 peers it also relays stripes (DELIVERY.md §4): a peer
 * subscribes to a stripe of ours from some segment on, and we push that
 * stripe of every segment as its checked bytes arrive here (cut-through),
 * hashes first; and a peer may ask for a byte range of a segment, served
 * the same way. Relayed bytes go in slices, each a SegmentData naming its
 * offset and size followed by its bytes, so that the transfers to one peer
 * share its channel, the oldest segment's bytes first.
 */
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <map>
#include <set>
#include <string>

#include "gst/p2p/common/chunked-bytes.h"
#include "gst/p2p/common/clock.h"
#include "gst/p2p/common/random.h"
#include "gst/p2p/peer/peer-transport.h"
#include "gst/p2p/common/error.h"
#include "gst/p2p/peer/stripe-source.h"
#include "gst/p2p/peer/uplink-pacer.h"
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

/* How we relay stripes, for our own peers' announcements. */
struct RelayInfo
{
  /* Per stripe: hops from the broadcaster (0: from it), -1 if none. */
  std::vector<int64_t> depths;
  /* Per stripe, depth + 1 ids from the broadcaster's down to our
   * parent's: who we receive it through. */
  std::vector<std::vector<uint32_t>> ancestors;
  /* Stripes we can still relay to someone new, and at most. */
  int64_t free_slots = 0;
  int64_t relay_slots = 0;
};

/* The announcement for gst-p2p 2 peers: holdings and @relay. */
AnnouncementRef encode_announcement (const std::set<int64_t> &loaded,
                                     const std::set<int64_t> &loading_by_http,
                                     const RelayInfo &relay);

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

  /* gst-p2p 2. The remote subscribes to @stripe: true to accept. */
  std::function<bool (guint stripe)> subscribe_request;
  /* Hashes for the stripe holding byte @offset of @sequence, then bytes
   * from @offset on: false when they are wrong (the remote lied: the
   * session then closes and lied () runs). */
  std::function<bool (int64_t sequence, gsize offset,
                      const std::vector<Digest> &chunk_hashes)>
      stripe_hashes;
  /* @cut_through: the relay was still receiving them when it started. */
  std::function<bool (int64_t sequence, gsize offset, GBytes *bytes,
                      bool cut_through)>
      stripe_bytes;
  /* A stripe push (@range false) or a range of @sequence that started at
   * byte @from ended: @complete when all its bytes came, else the remote
   * gave up on it. */
  std::function<void (int64_t sequence, gsize from, bool range, bool complete)>
      stripe_ended;
  /* The remote refused or ended our subscription to @stripe. */
  std::function<void (guint stripe)> unsubscribed;
  /* The remote sent bytes or hashes that do not check. */
  std::function<void (const std::string &why)> lied;
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

  /* Our peer id, which names us in logs. */
  void
  set_log_id (std::string id)
  {
    log_id_ = std::move (id);
  }

  /* The remote speaks gst-p2p 2 (by its peer id): stripes may be relayed,
   * from and to @source. */
  void enable_relay (StripeSource *source);
  bool
  relays () const
  {
    return source_ != nullptr;
  }
  /* Payload goes to the channel as @pacer allows (it outlives us). */
  void
  set_pacer (UplinkPacer *pacer)
  {
    pacer_ = pacer;
  }

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

  /* gst-p2p 2, as a receiver. Subscribes to @stripe of the remote's from
   * segment @from on. False when not possible now. */
  bool subscribe (guint stripe, int64_t from);
  void unsubscribe (guint stripe);
  /* Segment @sequence of our subscription to @stripe comes another way
   * (HTTP): the remote's uplink goes to its other children instead. */
  void skip_segment (guint stripe, int64_t sequence);
  bool
  subscribed (guint stripe) const
  {
    return subscriptions_.count (stripe) != 0;
  }
  size_t
  subscription_count () const
  {
    return subscriptions_.size ();
  }
  /* Asks for bytes [@from, @to) of @sequence (within one stripe). */
  bool request_range (int64_t sequence, gsize from, gsize to);
  void cancel_range (int64_t sequence, gsize from);
  /* Ranges asked and not ended. */
  size_t
  ranges_pending () const
  {
    return ranges_.size ();
  }
  /* The remote's relay announcement. */
  const std::vector<int64_t> &
  remote_depths () const
  {
    return remote_depths_;
  }
  const std::vector<std::vector<uint32_t>> &
  remote_ancestors () const
  {
    return remote_ancestors_;
  }
  int64_t
  remote_free_slots () const
  {
    return remote_free_slots_;
  }
  int64_t
  remote_relay_slots () const
  {
    return remote_relay_slots_;
  }
  /* Last time payload came, 0 if never. */
  GstClockTime
  last_payload () const
  {
    return last_payload_;
  }

  /* gst-p2p 2, as a relay: the stripes the remote subscribed to. */
  size_t
  children () const
  {
    return pushes_.size ();
  }
  bool
  relays_stripe_to (guint stripe) const
  {
    return pushes_.count (stripe) != 0;
  }
  /* The same for every stripe, a bit each. */
  guint32 child_stripes () const;
  /* Stops relaying @stripe to the remote (it is told). */
  void drop_child (guint stripe);
  /* Bytes queued for the remote and not taken by the channel yet. */
  guint64 backlog () const;
  /* That, and checked bytes here that the remote's pushes and ranges have
   * not had yet: how far the uplink is behind. */
  guint64 relay_backlog () const;
  /* What the source holds changed (a segment listed or completed): pushes
   * waiting for a segment look again. */
  void source_changed ();

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
  void flush ();
  gsize payload_message_bytes () const;
  /* gst-p2p 2. */
  void read_relay_info (const wire::Command &command);
  int subscription_stripe (int64_t request_id) const;
  void on_relay_command (const wire::Command &command);
  void on_relay_payload (GBytes *chunk);
  void on_relay_request (const wire::Command &command);
  void misbehaved (const std::string &why);
  /* Transfers for pushes whose next segment is here, then feeding. */
  void start_pushes ();
  void add_push_transfers ();
  /* Queues slices of the transfers with bytes here, oldest segment first,
   * while the channel takes them. */
  void feed_transfers ();
  void send_slice (size_t index, const ChunkedBytes &bytes);
  /* @next_segment: a push goes on with its next segment now. */
  void end_transfer (size_t index, bool next_segment);
  int64_t new_request_id ();

  struct Download
  {
    bool active = false;
    int64_t sequence = -1;
    int64_t request_id = -1;
    gint64 expected = -1; /* from SegmentData */
    ChunkedBytes data;
    GstClockTime started = 0;
  };

  struct RangeWanted
  {
    int64_t sequence;
    gsize from;
  };
  struct Push
  {
    int64_t request_id = -1;
    int64_t next = 0;
    /* Segments the remote asked us to skip that we have not reached. */
    std::set<int64_t> skipped;
  };

  Clock &clock_;
  Random &random_;
  /* What the swarm reads of every peer on each scheduling pass, first and
   * together: in a large simulated swarm each cache line of a session it
   * touches is a miss. */
  bool open_ = false;
  StripeSource *source_ = nullptr; /* gst-p2p 2 */
  UplinkPacer *pacer_ = nullptr;
  std::string remote_id_;
  double throughput_ = 0;
  int64_t remote_free_slots_ = 0;
  int64_t remote_relay_slots_ = 0;
  /* As a receiver, our ranges (request id → where they start); as a relay,
   * the remote's subscriptions (stripe → request id and next segment). */
  std::map<int64_t, RangeWanted> ranges_;
  std::map<guint, Push> pushes_;
  PeerSessionCallbacks callbacks_;
  std::string log_id_;
  std::unique_ptr<PeerChannel> channel_;
  wire::WireReceiver receiver_;
  std::set<int64_t> remote_loaded_;
  std::set<int64_t> remote_loading_;
  /* The lists of the last announcement as they came: a new one is
   * compared with these (contiguous) rather than with the sets. */
  std::vector<int64_t> remote_loaded_list_;
  std::vector<int64_t> remote_loading_list_;
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
  guint64 outgoing_bytes_ = 0;
  size_t upload_messages_ = 0;
  int64_t upload_request_id_ = -1;
  int64_t upload_sequence_ = -1;
  guint64 bytes_downloaded_ = 0;
  guint64 bytes_uploaded_ = 0;

  /* gst-p2p 2. */
  std::vector<int64_t> remote_depths_;
  std::vector<std::vector<uint32_t>> remote_ancestors_;
  /* As a receiver: our subscriptions (stripe → request id), and the slice
   * arriving now. */
  std::map<guint, int64_t> subscriptions_;
  struct Incoming
  {
    bool active = false;
    /* Of a request we cancelled: read and dropped. */
    bool discard = false;
    int64_t sequence = -1;
    int64_t request_id = -1;
    gsize offset = 0; /* of the next byte */
    gsize end = 0;
    bool cut_through = false;
  };
  Incoming incoming_;
  GstClockTime last_payload_ = 0;
  /* As a relay, the transfers running, pushes' and ranges'. Transfers go
   * out as slices (a SegmentData for [offset, offset + size), then its
   * bytes), so several run at once on the one channel. */
  struct RelayTransfer
  {
    int64_t sequence = -1;
    int64_t request_id = -1;
    int stripe = -1; /* the push's, -1 for a range */
    gsize next = 0;  /* next byte to send */
    gsize end = 0;
    bool hashes_sent = false;
    guint64 watch = 0;
  };
  std::vector<RelayTransfer> transfers_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool> (true);
};

} // namespace p2p::peer
