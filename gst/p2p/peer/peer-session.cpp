/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "peer-session.h"

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC (p2p_peer_session_debug);
#define GST_CAT_DEFAULT p2p_peer_session_debug

namespace p2p::peer {

namespace {

constexpr size_t kMaxMessageSize = wire::kDefaultMaxMessageSize;

/* P2P Media Loader picks request ids from 0-999. */
constexpr gint32 kMaxRequestId = 1000;

/* Bytes of a relayed transfer queued ahead of the channel: enough to keep
 * it busy, little enough that a cancel or a newer segment waits little. */
constexpr guint64 kRelayQueueBytes = 16 * 1024;
/* What a relay channel keeps queued: relayed bytes wait behind it, at each
 * hop, while one relay's uplink is shared by all its children. */
constexpr guint64 kRelayChannelBytes = 4 * 1024;
/* Bytes of one slice: transfers to one peer interleave slice by slice, so
 * a segment's bytes wait at most this long behind an older one's. */
constexpr gsize kSliceBytes = 16 * 1024;
/* Segments ahead of a push that a child may ask to skip: a few live ones. */
constexpr size_t kMaxSkipped = 8;

wire::Command
segment_command (wire::CommandType type, int64_t sequence, int64_t request_id,
                 int64_t stripe)
{
  wire::Command c;
  c.type = type;
  c.segment_id = sequence;
  c.request_id = request_id;
  c.stripe = stripe;
  return c;
}

/* @set becomes the segments of @list. An announcement mostly adds the
 * newest segment and drops the oldest: a sorted list (as ours are) keeps
 * the set's other nodes instead of allocating them all again. */
void
assign_segments (std::set<int64_t> &set, const std::vector<int64_t> &list)
{
  if (!std::is_sorted (list.begin (), list.end ())) {
    set = std::set<int64_t> (list.begin (), list.end ());
    return;
  }
  auto it = set.begin ();
  for (int64_t sequence : list) {
    while (it != set.end () && *it < sequence)
      it = set.erase (it);
    if (it != set.end () && *it == sequence)
      ++it;
    else
      set.insert (it, sequence);
  }
  set.erase (it, set.end ());
}

} // namespace

PeerSession::PeerSession (Clock &clock, Random &random,
                          PeerSessionCallbacks callbacks)
    : clock_ (clock), random_ (random), callbacks_ (std::move (callbacks))
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_peer_session_debug, "p2ppeer", 0,
                             "gst-p2p peer protocol session");
    g_once_init_leave (&debug_init, 1);
  }
}

PeerSession::~PeerSession ()
{
  *alive_ = false;
  if (pacer_)
    pacer_->forget (this);
  for (RelayTransfer &t : transfers_)
    if (t.watch)
      source_->unwatch (t.watch);
  close ();
}

AnnouncementRef
encode_announcement (const std::set<int64_t> &loaded,
                     const std::set<int64_t> &loading_by_http)
{
  auto encoded = std::make_shared<EncodedAnnouncement> ();
  GErrorOut error;
  if (!wire::encode_command (
          wire::Command::announcement (
              std::vector<int64_t> (loaded.begin (), loaded.end ()),
              std::vector<int64_t> (loading_by_http.begin (),
                                    loading_by_http.end ())),
          kMaxMessageSize, &encoded->messages, error.out ()))
    GST_WARNING ("cannot encode an announcement: %s", error.get ()->message);
  return encoded;
}

AnnouncementRef
encode_announcement (const std::set<int64_t> &loaded,
                     const std::set<int64_t> &loading_by_http,
                     const RelayInfo &relay)
{
  wire::Command command = wire::Command::announcement (
      std::vector<int64_t> (loaded.begin (), loaded.end ()),
      std::vector<int64_t> (loading_by_http.begin (), loading_by_http.end ()));
  command.depths = relay.depths;
  for (size_t j = 0; j < relay.depths.size (); j++)
    if (relay.depths[j] >= 0 && j < relay.ancestors.size ())
      command.ancestors.insert (command.ancestors.end (),
                                relay.ancestors[j].begin (),
                                relay.ancestors[j].end ());
  command.free_slots = relay.free_slots;
  command.relay_slots = relay.relay_slots;
  auto encoded = std::make_shared<EncodedAnnouncement> ();
  GErrorOut error;
  if (!wire::encode_command (command, kMaxMessageSize, &encoded->messages,
                             error.out ()))
    GST_WARNING ("cannot encode an announcement: %s", error.get ()->message);
  return encoded;
}

ChannelEvents
PeerSession::channel_events ()
{
  /* The channel never calls back after close(), which our destructor
   * does, so `this` stays valid in these. */
  ChannelEvents events;
  events.local_description = [this] (const std::string &sdp) {
    if (callbacks_.local_description)
      callbacks_.local_description (sdp);
  };
  events.open = [this] { on_open (); };
  events.message = [this] (GBytes *message) { on_message (message); };
  events.writable = [this] { pump (); };
  events.closed = [this] (const GError *error) { on_closed (error); };
  return events;
}

std::unique_ptr<PeerSession>
PeerSession::offer (PeerTransport &transport, Clock &clock, Random &random,
                    PeerSessionCallbacks callbacks, GError **error)
{
  std::unique_ptr<PeerSession> session (
      new PeerSession (clock, random, std::move (callbacks)));
  session->channel_ = transport.offer (session->channel_events (), error);
  if (!session->channel_)
    return nullptr;
  return session;
}

std::unique_ptr<PeerSession>
PeerSession::answer (PeerTransport &transport, Clock &clock, Random &random,
                     const std::string &remote_id,
                     const std::string &remote_offer,
                     PeerSessionCallbacks callbacks, GError **error)
{
  std::unique_ptr<PeerSession> session (
      new PeerSession (clock, random, std::move (callbacks)));
  session->remote_id_ = remote_id;
  session->channel_
      = transport.answer (remote_offer, session->channel_events (), error);
  if (!session->channel_)
    return nullptr;
  return session;
}

bool
PeerSession::set_remote_answer (const std::string &remote_id,
                                const std::string &sdp, GError **error)
{
  if (!channel_->set_remote_answer (sdp, error))
    return false;
  remote_id_ = remote_id;
  return true;
}

void
PeerSession::close ()
{
  if (channel_) {
    channel_->close ();
    channel_.reset ();
  }
  open_ = false;
}

void
PeerSession::on_open ()
{
  open_ = true;
  GST_DEBUG_ID (log_id_.c_str (), "channel to %s open", remote_id_.c_str ());
  if (AnnouncementRef pending = std::move (announced_))
    announce (pending);
  if (callbacks_.open)
    callbacks_.open ();
}

void
PeerSession::announce (const AnnouncementRef &announcement)
{
  if (announcement == announced_)
    return;
  announced_ = announcement;
  if (!open_)
    return;
  for (const BytesRef &message : announcement->messages)
    queue (Outgoing{ message, false, false });
  pump ();
}

bool
PeerSession::request (int64_t sequence)
{
  if (!open_ || download_.active)
    return false;
  download_ = Download ();
  download_.active = true;
  download_.sequence = sequence;
  download_.request_id = random_.range (0, kMaxRequestId);
  download_.started = clock_.now ();
  send_command (wire::Command::request (sequence, download_.request_id), false);
  return true;
}

void
PeerSession::cancel_download ()
{
  if (!download_.active)
    return;
  send_command (
      wire::Command::cancel (download_.sequence, download_.request_id), false);
  download_ = Download ();
}

void
PeerSession::fail_download (const std::string &why, bool absent)
{
  int64_t sequence = download_.sequence;
  download_ = Download ();
  if (callbacks_.download_failed)
    callbacks_.download_failed (sequence, why, absent);
}

void
PeerSession::protocol_error (const std::string &why)
{
  GST_INFO_ID (log_id_.c_str (), "peer %s broke the protocol: %s",
               remote_id_.c_str (), why.c_str ());
  std::weak_ptr<bool> alive = alive_;
  if (download_.active)
    fail_download (why);
  if (alive.expired ())
    return;
  GError *error
      = g_error_new (GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL, "%s", why.c_str ());
  close ();
  if (callbacks_.closed)
    callbacks_.closed (error);
  g_error_free (error);
}

void
PeerSession::on_message (GBytes *message)
{
  wire::Command command;
  GErrorOut error;
  switch (receiver_.feed (message, &command, error.out ())) {
  case wire::WireReceiver::Result::NEED_MORE:
    break;
  case wire::WireReceiver::Result::COMMAND:
    on_command (command);
    break;
  case wire::WireReceiver::Result::PAYLOAD:
    on_payload (message);
    break;
  case wire::WireReceiver::Result::ERROR:
    GST_INFO_ID (log_id_.c_str (), "bad message from %s: %s",
                 remote_id_.c_str (), error.get ()->message);
    break;
  }
}

void
PeerSession::on_command (const wire::Command &command)
{
  switch (command.type) {
  case wire::CommandType::SEGMENTS_ANNOUNCEMENT:
    /* Mostly what it said last time: kept rather than built again. */
    if (command.loaded != remote_loaded_list_) {
      remote_loaded_list_ = command.loaded;
      assign_segments (remote_loaded_, command.loaded);
    }
    if (command.loading_by_http != remote_loading_list_) {
      remote_loading_list_ = command.loading_by_http;
      assign_segments (remote_loading_, command.loading_by_http);
    }
    if (source_)
      read_relay_info (command);
    if (callbacks_.announcement)
      callbacks_.announcement ();
    break;
  case wire::CommandType::SEGMENT_REQUEST:
    if (source_ && (command.stripe > 0 || command.byte_to > 0))
      on_relay_request (command);
    else
      serve_request (command);
    break;
  case wire::CommandType::CANCEL_SEGMENT_REQUEST:
    if (command.request_id == upload_request_id_
        && command.segment_id == upload_sequence_)
      stop_upload ();
    else if (source_)
      on_relay_command (command);
    break;
  case wire::CommandType::SEGMENT_DATA:
    if (!download_.active || command.segment_id != download_.sequence
        || command.request_id != download_.request_id) {
      if (source_)
        on_relay_command (command);
      break;
    }
    if (command.size <= 0) {
      /* A browser whose buffer hls.js detached sends 0 bytes: never pass
       * that on, fall back instead. */
      fail_download ("peer announced an empty segment");
      break;
    }
    download_.expected = command.size;
    incoming_ = Incoming (); /* payload that follows is the download's */
    if (callbacks_.progress)
      callbacks_.progress (download_.sequence, download_.data.size (),
                           static_cast<guint64> (download_.expected));
    break;
  case wire::CommandType::SEGMENT_DATA_SENDING_COMPLETED: {
    if (!download_.active || command.segment_id != download_.sequence
        || command.request_id != download_.request_id) {
      if (source_)
        on_relay_command (command);
      break;
    }
    if (download_.expected < 0
        || download_.data.size ()
               != static_cast<guint64> (download_.expected)) {
      protocol_error ("segment " + std::to_string (download_.sequence)
                      + " ended after "
                      + std::to_string (download_.data.size ()) + " of "
                      + std::to_string (download_.expected) + " bytes");
      break;
    }
    int64_t sequence = download_.sequence;
    const double elapsed = std::max<double> (
        GST_USECOND, double (clock_.now () - download_.started));
    ChunkedBytes data = std::move (download_.data);
    const double rate = double (data.size ()) * GST_SECOND / elapsed;
    throughput_ = throughput_ > 0 ? 0.7 * throughput_ + 0.3 * rate : rate;
    bytes_downloaded_ += data.size ();
    download_ = Download ();
    if (callbacks_.downloaded)
      callbacks_.downloaded (sequence, data);
    break;
  }
  case wire::CommandType::SEGMENT_ABSENT:
    if (download_.active && command.segment_id == download_.sequence
        && command.request_id == download_.request_id)
      fail_download ("peer does not have it", true);
    else if (source_)
      on_relay_command (command);
    break;
  case wire::CommandType::UNKNOWN:
    break; /* from a newer peer */
  }
}

void
PeerSession::on_payload (GBytes *chunk)
{
  /* Chunks before the header, or of a cancelled request, are ignored, as
   * P2P Media Loader does. */
  if (incoming_.active) {
    on_relay_payload (chunk);
    return;
  }
  if (!download_.active || download_.expected < 0)
    return;
  if (download_.data.size () + g_bytes_get_size (chunk)
      > static_cast<guint64> (download_.expected)) {
    protocol_error ("peer sent more bytes than announced for segment "
                    + std::to_string (download_.sequence));
    return;
  }
  download_.data.append (chunk);
  if (callbacks_.progress)
    callbacks_.progress (download_.sequence, download_.data.size (),
                         static_cast<guint64> (download_.expected));
}

void
PeerSession::serve_request (const wire::Command &command)
{
  /* One upload at a time: a new request replaces the running one. */
  stop_upload ();
  ChunkedBytes segment = callbacks_.lookup
                             ? callbacks_.lookup (command.segment_id)
                             : ChunkedBytes ();
  const gsize size = segment.size ();
  if (command.byte_from < 0 || static_cast<gsize> (command.byte_from) >= size) {
    send_command (
        wire::Command::absent (command.segment_id, command.request_id), false);
    return;
  }
  upload_request_id_ = command.request_id;
  upload_sequence_ = command.segment_id;
  gsize offset = static_cast<gsize> (command.byte_from);
  send_command (wire::Command::data (command.segment_id, command.request_id,
                                     static_cast<int64_t> (size - offset)),
                true);
  for (BytesRef &chunk :
       wire::split_payload (segment, offset, payload_message_bytes ()))
    queue (Outgoing{ std::move (chunk), true, true });
  send_command (
      wire::Command::completed (command.segment_id, command.request_id), true);
}

void
PeerSession::stop_upload ()
{
  upload_request_id_ = -1;
  upload_sequence_ = -1;
  outgoing_.erase (std::remove_if (outgoing_.begin (), outgoing_.end (),
                                   [] (const Outgoing &o) { return o.upload; }),
                   outgoing_.end ());
  upload_messages_ = 0;
}

void
PeerSession::send_command (const wire::Command &command, bool with_upload)
{
  std::vector<BytesRef> messages;
  GErrorOut error;
  if (!wire::encode_command (command, kMaxMessageSize, &messages,
                             error.out ())) {
    GST_WARNING_ID (log_id_.c_str (), "cannot encode %s: %s",
                    wire::command_type_name (command.type),
                    error.get ()->message);
    return;
  }
  for (BytesRef &m : messages)
    queue (Outgoing{ std::move (m), with_upload, false });
  flush ();
}

void
PeerSession::queue (Outgoing outgoing)
{
  upload_messages_ += outgoing.upload ? 1 : 0;
  outgoing_bytes_ += outgoing.message.size ();
  outgoing_.push_back (std::move (outgoing));
}

void
PeerSession::pump ()
{
  flush ();
  if (!transfers_.empty ())
    feed_transfers ();
}

gsize
PeerSession::payload_message_bytes () const
{
  return pacer_ ? pacer_->message_bytes (kMaxMessageSize) : kMaxMessageSize;
}

void
PeerSession::flush ()
{
  while (channel_ && open_ && !outgoing_.empty ()) {
    Outgoing &next = outgoing_.front ();
    if (next.payload && pacer_ && !pacer_->may_send ()) {
      pacer_->wait (this, [this] { pump (); });
      return;
    }
    if (!channel_->send (next.message.get ()))
      return; /* wait for writable */
    const gsize size = next.message.size ();
    if (pacer_)
      pacer_->sent (size);
    const bool payload = next.payload;
    upload_messages_ -= next.upload ? 1 : 0;
    outgoing_bytes_ -= size;
    outgoing_.pop_front ();
    if (payload) {
      bytes_uploaded_ += size;
      if (callbacks_.uploaded)
        callbacks_.uploaded (size);
    }
  }
}

guint64
PeerSession::backlog () const
{
  return outgoing_bytes_ + (channel_ ? channel_->buffered_amount () : 0);
}

/* ---------------------------------------------------- gst-p2p 2 relaying */

void
PeerSession::enable_relay (StripeSource *source)
{
  source_ = source;
  if (channel_)
    channel_->set_buffered_low_threshold (kRelayChannelBytes);
}

void
PeerSession::read_relay_info (const wire::Command &command)
{
  remote_depths_ = command.depths;
  remote_free_slots_ = command.free_slots;
  remote_relay_slots_ = command.relay_slots;
  /* Paths are assigned in place: their storage is kept from one
   * announcement to the next. */
  remote_ancestors_.resize (remote_depths_.size ());
  size_t at = 0;
  for (size_t j = 0; j < remote_depths_.size (); j++) {
    remote_ancestors_[j].clear ();
    if (remote_depths_[j] < 0)
      continue;
    const size_t count = size_t (remote_depths_[j]) + 1;
    if (at + count > command.ancestors.size ()) {
      remote_depths_[j] = -1; /* inconsistent: taken as not relaying */
      continue;
    }
    remote_ancestors_[j].assign (command.ancestors.begin () + at,
                                 command.ancestors.begin () + at + count);
    at += count;
  }
}

int64_t
PeerSession::new_request_id ()
{
  for (;;) {
    const int64_t id = random_.range (0, kMaxRequestId);
    bool used = ranges_.count (id) != 0 || id == download_.request_id;
    for (const auto &s : subscriptions_)
      used |= s.second == id;
    if (!used)
      return id;
  }
}

bool
PeerSession::subscribe (guint stripe, int64_t from)
{
  if (!source_ || !open_ || subscriptions_.count (stripe))
    return false;
  const int64_t id = new_request_id ();
  subscriptions_[stripe] = id;
  send_command (segment_command (wire::CommandType::SEGMENT_REQUEST, from, id,
                                 int64_t (stripe) + 1),
                false);
  return true;
}

void
PeerSession::unsubscribe (guint stripe)
{
  auto it = subscriptions_.find (stripe);
  if (it == subscriptions_.end ())
    return;
  if (incoming_.active && incoming_.request_id == it->second)
    incoming_.discard = true;
  send_command (segment_command (wire::CommandType::CANCEL_SEGMENT_REQUEST, 0,
                                 it->second, int64_t (stripe) + 1),
                false);
  subscriptions_.erase (it);
}

void
PeerSession::skip_segment (guint stripe, int64_t sequence)
{
  auto it = subscriptions_.find (stripe);
  if (!open_ || it == subscriptions_.end ())
    return;
  /* A cancel without a stripe: that one segment of the subscription. */
  send_command (segment_command (wire::CommandType::CANCEL_SEGMENT_REQUEST,
                                 sequence, it->second, 0),
                false);
}

bool
PeerSession::request_range (int64_t sequence, gsize from, gsize to)
{
  if (!source_ || !open_ || to <= from)
    return false;
  const int64_t id = new_request_id ();
  ranges_[id] = RangeWanted{ sequence, from };
  wire::Command c = wire::Command::request (sequence, id, int64_t (from));
  c.byte_to = int64_t (to);
  send_command (c, false);
  return true;
}

void
PeerSession::cancel_range (int64_t sequence, gsize from)
{
  for (auto it = ranges_.begin (); it != ranges_.end (); ++it) {
    if (it->second.sequence != sequence || it->second.from != from)
      continue;
    if (incoming_.active && incoming_.request_id == it->first)
      incoming_.discard = true;
    send_command (wire::Command::cancel (sequence, it->first), false);
    ranges_.erase (it);
    return;
  }
}

/* The stripe of the subscription with request id @id, -1 if none. */
int
PeerSession::subscription_stripe (int64_t id) const
{
  for (const auto &s : subscriptions_)
    if (s.second == id)
      return int (s.first);
  return -1;
}

void
PeerSession::on_relay_command (const wire::Command &command)
{
  switch (command.type) {
  case wire::CommandType::SEGMENT_DATA: {
    /* One slice of a push or a range: the payload that follows. */
    const bool ours = subscription_stripe (command.request_id) >= 0
                      || ranges_.count (command.request_id);
    incoming_ = Incoming ();
    incoming_.active = true;
    incoming_.discard = !ours;
    incoming_.sequence = command.segment_id;
    incoming_.request_id = command.request_id;
    incoming_.offset = gsize (command.offset);
    incoming_.end = gsize (command.offset + command.size);
    incoming_.cut_through = command.cut_through != 0;
    GST_LOG_ID (log_id_.c_str (),
                "from %s: %" G_GINT64_FORMAT " [%" G_GSIZE_FORMAT
                ", %" G_GSIZE_FORMAT ")%s",
                remote_id_.c_str (), incoming_.sequence, incoming_.offset,
                incoming_.end, ours ? "" : ", not ours");
    if (!ours || command.chunk_hashes.empty ())
      return;
    std::vector<Digest> hashes;
    if (!digests_from_hex (command.chunk_hashes, &hashes)
        || !callbacks_.stripe_hashes
        || !callbacks_.stripe_hashes (command.segment_id, incoming_.offset,
                                      hashes)) {
      misbehaved ("hashes of segment " + std::to_string (command.segment_id)
                  + " that do not check");
    }
    return;
  }
  case wire::CommandType::SEGMENT_DATA_SENDING_COMPLETED:
  case wire::CommandType::SEGMENT_ABSENT: {
    const bool completed
        = command.type == wire::CommandType::SEGMENT_DATA_SENDING_COMPLETED;
    if (!completed && command.stripe > 0) {
      /* The remote refused or ended our subscription. */
      const guint stripe = guint (command.stripe - 1);
      auto it = subscriptions_.find (stripe);
      if (it == subscriptions_.end () || it->second != command.request_id)
        return;
      subscriptions_.erase (it);
      if (callbacks_.unsubscribed)
        callbacks_.unsubscribed (stripe);
      return;
    }
    /* One segment of a push, or a range, ended: every byte was sent
     * (completed), or the remote gave up on it. */
    auto range = ranges_.find (command.request_id);
    const bool push = subscription_stripe (command.request_id) >= 0;
    if (!push && range == ranges_.end ())
      return;
    gsize from = 0;
    if (range != ranges_.end ()) {
      from = range->second.from;
      ranges_.erase (range);
    }
    if (callbacks_.stripe_ended)
      callbacks_.stripe_ended (command.segment_id, from, !push, completed);
    return;
  }
  case wire::CommandType::CANCEL_SEGMENT_REQUEST: {
    if (command.stripe > 0) {
      auto it = pushes_.find (guint (command.stripe - 1));
      if (it == pushes_.end () || it->second.request_id != command.request_id)
        return;
      pushes_.erase (it);
    }
    /* A range, a subscription, or one segment of it is not wanted now; a
     * push goes on with its next segment. */
    bool running = false;
    for (size_t i = 0; i < transfers_.size ();)
      if (transfers_[i].request_id == command.request_id
          && (command.stripe > 0
              || transfers_[i].sequence == command.segment_id)) {
        const bool push = transfers_[i].stripe >= 0;
        running |= push;
        end_transfer (i, push);
      } else {
        i++;
      }
    /* A segment of a push that we have not reached yet is passed over
     * when we do. */
    if (!running && command.stripe <= 0)
      for (auto &push : pushes_)
        if (push.second.request_id == command.request_id
            && command.segment_id >= push.second.next
            && push.second.skipped.size () < kMaxSkipped)
          push.second.skipped.insert (command.segment_id);
    if (running)
      feed_transfers ();
    return;
  }
  default:
    return;
  }
}

void
PeerSession::on_relay_payload (GBytes *chunk)
{
  const gsize size = g_bytes_get_size (chunk);
  if (incoming_.offset + size > incoming_.end) {
    protocol_error ("peer sent more bytes than announced for segment "
                    + std::to_string (incoming_.sequence));
    return;
  }
  const int64_t sequence = incoming_.sequence;
  const gsize offset = incoming_.offset;
  incoming_.offset += size;
  const bool discard = incoming_.discard;
  const bool cut_through = incoming_.cut_through;
  if (incoming_.offset == incoming_.end)
    incoming_ = Incoming ();
  if (discard)
    return;
  last_payload_ = clock_.now ();
  bytes_downloaded_ += size;
  if (callbacks_.stripe_bytes
      && !callbacks_.stripe_bytes (sequence, offset, chunk, cut_through))
    misbehaved ("bytes of segment " + std::to_string (sequence)
                + " that do not match their hashes");
}

void
PeerSession::misbehaved (const std::string &why)
{
  std::weak_ptr<bool> alive = alive_;
  if (callbacks_.lied)
    callbacks_.lied (why);
  if (!alive.expired ())
    protocol_error (why);
}

void
PeerSession::on_relay_request (const wire::Command &command)
{
  if (command.stripe > 0) {
    const guint stripe = guint (command.stripe - 1);
    const bool accepted = !pushes_.count (stripe)
                          && callbacks_.subscribe_request
                          && callbacks_.subscribe_request (stripe);
    if (!accepted) {
      send_command (segment_command (wire::CommandType::SEGMENT_ABSENT,
                                     command.segment_id, command.request_id,
                                     command.stripe),
                    false);
      return;
    }
    pushes_[stripe] = Push{ command.request_id, command.segment_id };
    start_pushes ();
    return;
  }
  const ChunkLayout *layout = source_->layout (command.segment_id);
  const gsize from = gsize (command.byte_from);
  std::vector<Digest> hashes;
  if (!layout || from >= layout->size
      || !source_->stripe_hashes (command.segment_id, layout->stripe_of (from),
                                  &hashes)) {
    send_command (segment_command (wire::CommandType::SEGMENT_ABSENT,
                                   command.segment_id, command.request_id, 0),
                  false);
    return;
  }
  /* Within one stripe: its hashes go with it. */
  const gsize to = std::min<gsize> (
      gsize (command.byte_to), layout->stripe_end (layout->stripe_of (from)));
  transfers_.push_back (
      RelayTransfer{ command.segment_id, command.request_id, -1, from, to });
  feed_transfers ();
}

void
PeerSession::drop_child (guint stripe)
{
  auto it = pushes_.find (stripe);
  if (it == pushes_.end ())
    return;
  const int64_t request_id = it->second.request_id;
  send_command (segment_command (wire::CommandType::SEGMENT_ABSENT,
                                 it->second.next, request_id,
                                 int64_t (stripe) + 1),
                false);
  pushes_.erase (it);
  for (size_t i = 0; i < transfers_.size ();)
    if (transfers_[i].request_id == request_id)
      end_transfer (i, false);
    else
      i++;
}

void
PeerSession::source_changed ()
{
  start_pushes ();
}

void
PeerSession::start_pushes ()
{
  add_push_transfers ();
  feed_transfers ();
}

void
PeerSession::add_push_transfers ()
{
  if (!source_ || !open_)
    return;
  std::vector<Digest> hashes;
  for (auto &p : pushes_) {
    const guint stripe = p.first;
    Push &push = p.second;
    bool running = false;
    for (const RelayTransfer &t : transfers_)
      running |= t.request_id == push.request_id;
    if (running)
      continue;
    /* A segment we will never have (it went by before we had it) is
     * skipped for the next one we know. */
    for (int64_t ahead = 1; ahead <= 4 && !source_->layout (push.next); ahead++)
      if (source_->layout (push.next + ahead)) {
        push.next += ahead;
        break;
      }
    while (!push.skipped.empty () && *push.skipped.begin () <= push.next) {
      if (*push.skipped.begin () == push.next)
        push.next++;
      push.skipped.erase (push.skipped.begin ());
    }
    const ChunkLayout *layout = source_->layout (push.next);
    /* Its hashes come with its first bytes: until then, nothing to send. */
    if (!layout || !source_->stripe_hashes (push.next, stripe, &hashes))
      continue;
    transfers_.push_back (RelayTransfer{
        push.next, push.request_id, int (stripe), layout->stripe_begin (stripe),
        layout->stripe_end (stripe) });
  }
}

void
PeerSession::feed_transfers ()
{
  if (!open_)
    return;
  while (outgoing_bytes_ < kRelayQueueBytes && !transfers_.empty ()) {
    /* The oldest segment's bytes first: the nearest deadline. */
    size_t best = transfers_.size ();
    ChunkedBytes best_bytes;
    for (size_t i = 0; i < transfers_.size (); i++) {
      RelayTransfer &t = transfers_[i];
      if (best < transfers_.size () && transfers_[best].sequence <= t.sequence)
        continue;
      ChunkedBytes bytes = source_->available (
          t.sequence, t.next, std::min (t.end, t.next + kSliceBytes));
      if (bytes.empty ()) {
        if (!source_->layout (t.sequence)) {
          /* The segment went (left the window): the rest will not come. */
          send_command (segment_command (wire::CommandType::SEGMENT_ABSENT,
                                         t.sequence, t.request_id, 0),
                        false);
          end_transfer (i, true);
          return feed_transfers ();
        }
        /* Cut-through: wait for the next checked bytes. */
        if (!t.watch)
          t.watch = source_->watch (t.sequence, [this] { feed_transfers (); });
        continue;
      }
      best = i;
      best_bytes = std::move (bytes);
    }
    if (best == transfers_.size ())
      break;
    send_slice (best, best_bytes);
    /* Until the channel refuses: it says when it takes more (pump ()). */
    flush ();
  }
}

void
PeerSession::send_slice (size_t index, const ChunkedBytes &bytes)
{
  RelayTransfer &t = transfers_[index];
  const ChunkLayout *layout = source_->layout (t.sequence);
  wire::Command data
      = wire::Command::data (t.sequence, t.request_id, int64_t (bytes.size ()));
  data.offset = int64_t (t.next);
  data.segment_size = int64_t (layout->size);
  data.cut_through
      = source_->available (t.sequence, t.next, t.end).size () < t.end - t.next;
  if (!t.hashes_sent) {
    std::vector<Digest> hashes;
    source_->stripe_hashes (t.sequence, layout->stripe_of (t.next), &hashes);
    data.chunk_hashes = digests_to_hex (hashes);
    t.hashes_sent = true;
  }
  std::vector<BytesRef> header;
  GErrorOut error;
  if (!wire::encode_command (data, kMaxMessageSize, &header, error.out ())) {
    GST_WARNING_ID (log_id_.c_str (), "cannot encode a slice: %s",
                    error.get ()->message);
    end_transfer (index, false);
    return;
  }
  for (BytesRef &m : header)
    queue (Outgoing{ std::move (m), false, false });
  for (BytesRef &m : wire::split_payload (bytes, 0, payload_message_bytes ()))
    queue (Outgoing{ std::move (m), false, true });
  GST_LOG_ID (log_id_.c_str (),
              "to %s: %" G_GINT64_FORMAT " [%" G_GSIZE_FORMAT
              ", %" G_GSIZE_FORMAT "), %" G_GUINT64_FORMAT " waiting",
              remote_id_.c_str (), t.sequence, t.next, t.next + bytes.size (),
              backlog ());
  t.next += bytes.size ();
  if (t.next == t.end) {
    send_command (wire::Command::completed (t.sequence, t.request_id), false);
    end_transfer (index, true);
  }
}

void
PeerSession::end_transfer (size_t index, bool next_segment)
{
  RelayTransfer ended = transfers_[index];
  transfers_.erase (transfers_.begin () + index);
  if (ended.watch)
    source_->unwatch (ended.watch);
  if (ended.stripe < 0)
    return;
  auto push = pushes_.find (guint (ended.stripe));
  if (push == pushes_.end () || push->second.request_id != ended.request_id)
    return;
  /* The push goes on with the next segment, whether this one went out
   * whole or the remote got it elsewhere. */
  push->second.next = ended.sequence + 1;
  if (next_segment)
    add_push_transfers ();
}

guint32
PeerSession::child_stripes () const
{
  guint32 stripes = 0;
  for (const auto &push : pushes_)
    if (push.first < 32)
      stripes |= 1u << push.first;
  return stripes;
}

guint64
PeerSession::relay_backlog () const
{
  /* What waits for the channel, and checked bytes not yet queued. */
  guint64 waiting = backlog ();
  for (const RelayTransfer &t : transfers_)
    waiting += source_->available (t.sequence, t.next, t.end).size ();
  return waiting;
}

void
PeerSession::on_closed (const GError *error)
{
  open_ = false;
  std::weak_ptr<bool> alive = alive_;
  if (download_.active)
    fail_download ("connection closed");
  if (alive.expired ())
    return;
  if (callbacks_.closed)
    callbacks_.closed (error);
}

} // namespace p2p::peer
