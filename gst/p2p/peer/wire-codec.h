/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * P2P Media Loader 2.x data-channel messages (PROTOCOLS.md §3.5): commands
 * framed "cstr" body "cend" (split across messages when too long) and raw
 * segment payload chunks. Pure code: no sockets, no clock, fuzzable.
 */
#pragma once

#include <cstddef>
#include <vector>

#include <glib.h>

#include "gst/p2p/common/chunked-bytes.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "wire-command.h"

namespace p2p::peer::wire {

/* P2P Media Loader's webRtcMaxMessageSize default, for commands and payload. */
inline constexpr size_t kDefaultMaxMessageSize = 65535;
/* "cstr"/"dstr" before a body slice plus "cend"/"dend" after it. */
inline constexpr size_t kFrameOverhead = 8;
/* A reassembled command larger than this is refused. The largest body our
 * encoder can make (two full SimilarIntArrays) is about 135 KB. */
inline constexpr size_t kMaxCommandBodySize = 1024 * 1024;

/* A message is a command chunk iff it starts with "cstr" or "dstr" and ends
 * with "cend" or "dend"; anything else is segment payload. A payload chunk
 * that happens to look like that is misread by every P2P Media Loader peer
 * too: the protocol has no way to tell them apart. */
bool is_command_chunk (const uint8_t *data, size_t size);

/* Frames @body into messages of at most @max_message_size bytes exactly as
 * P2P Media Loader's BinaryCommandCreator does: one "cstr…cend" message when
 * it fits, else n near-equal slices framed "cstr…dend", "dstr…dend"…,
 * "dstr…cend". @max_message_size must exceed kFrameOverhead. */
std::vector<BytesRef> frame_command_body (const Bytes &body,
                                          size_t max_message_size);

/* encode_command_body() then frame_command_body(). */
gboolean encode_command (const Command &command, size_t max_message_size,
                         std::vector<BytesRef> *messages, GError **error);

/* Cuts @payload from @offset on into messages of at most @max_message_size
 * bytes, sharing @payload's memory; a message never spans two of its
 * chunks, so a segment received from a peer goes on in the messages it came
 * in. An uploader sends these after SegmentData and before
 * SegmentDataSendingCompleted. */
std::vector<BytesRef> split_payload (const ChunkedBytes &payload, size_t offset,
                                     size_t max_message_size);

/* Turns the data-channel messages of one peer, in order, into commands and
 * payload chunks. Errors are per message: after one the receiver is ready
 * for the next message, and the caller decides whether to drop the peer. */
class WireReceiver
{
public:
  enum class Result {
    NEED_MORE, /* part of a split command was taken in */
    COMMAND,   /* *command holds a decoded command */
    PAYLOAD,   /* the message is a segment payload chunk */
    ERROR,     /* *error is set, GST_P2P_ERROR_PROTOCOL */
  };

  /* Reassembly follows P2P Media Loader's BinaryCommandChunksJoiner: a
   * continuation ("dstr…") with no command started, or a new "cstr…" while
   * one is being assembled, is an error that drops the partial command
   * together with the offending chunk. */
  Result feed (GBytes *message, Command *command, GError **error);

  /* A split command is partly received. */
  bool
  assembling () const
  {
    return assembling_;
  }

private:
  Result reject (GError **error, const char *message);

  Bytes partial_;
  bool assembling_ = false;
};

} // namespace p2p::peer::wire
