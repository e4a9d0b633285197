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
  GST_DEBUG ("channel to %s open", remote_id_.c_str ());
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
  GST_INFO ("peer %s broke the protocol: %s", remote_id_.c_str (),
            why.c_str ());
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
    GST_INFO ("bad message from %s: %s", remote_id_.c_str (),
              error.get ()->message);
    break;
  }
}

void
PeerSession::on_command (const wire::Command &command)
{
  switch (command.type) {
  case wire::CommandType::SEGMENTS_ANNOUNCEMENT:
    remote_loaded_
        = std::set<int64_t> (command.loaded.begin (), command.loaded.end ());
    remote_loading_ = std::set<int64_t> (command.loading_by_http.begin (),
                                         command.loading_by_http.end ());
    if (callbacks_.announcement)
      callbacks_.announcement ();
    break;
  case wire::CommandType::SEGMENT_REQUEST:
    serve_request (command);
    break;
  case wire::CommandType::CANCEL_SEGMENT_REQUEST:
    if (command.request_id == upload_request_id_
        && command.segment_id == upload_sequence_)
      stop_upload ();
    break;
  case wire::CommandType::SEGMENT_DATA:
    if (!download_.active || command.segment_id != download_.sequence
        || command.request_id != download_.request_id)
      break;
    if (command.size <= 0) {
      /* A browser whose buffer hls.js detached sends 0 bytes: never pass
       * that on, fall back instead. */
      fail_download ("peer announced an empty segment");
      break;
    }
    download_.expected = command.size;
    if (callbacks_.progress)
      callbacks_.progress (download_.sequence, download_.data.size (),
                           static_cast<guint64> (download_.expected));
    break;
  case wire::CommandType::SEGMENT_DATA_SENDING_COMPLETED: {
    if (!download_.active || command.segment_id != download_.sequence
        || command.request_id != download_.request_id)
      break;
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
  for (BytesRef &chunk : wire::split_payload (segment, offset, kMaxMessageSize))
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
    GST_WARNING ("cannot encode %s: %s", wire::command_type_name (command.type),
                 error.get ()->message);
    return;
  }
  for (BytesRef &m : messages)
    queue (Outgoing{ std::move (m), with_upload, false });
  pump ();
}

void
PeerSession::queue (Outgoing outgoing)
{
  upload_messages_ += outgoing.upload ? 1 : 0;
  outgoing_.push_back (std::move (outgoing));
}

void
PeerSession::pump ()
{
  while (channel_ && open_ && !outgoing_.empty ()) {
    Outgoing &next = outgoing_.front ();
    if (!channel_->send (next.message.get ()))
      return; /* wait for writable */
    const gsize size = next.message.size ();
    const bool payload = next.payload;
    upload_messages_ -= next.upload ? 1 : 0;
    outgoing_.pop_front ();
    if (payload) {
      bytes_uploaded_ += size;
      if (callbacks_.uploaded)
        callbacks_.uploaded (size);
    }
  }
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
