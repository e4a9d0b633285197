/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "wire-codec.h"

#include <cstring>

#include "gst/p2p/common/error.h"

namespace p2p::peer::wire {

namespace {

constexpr size_t kMarkerSize = 4;
constexpr char kCommandStart[] = "cstr";
constexpr char kCommandEnd[] = "cend";
constexpr char kSliceStart[] = "dstr";
constexpr char kSliceEnd[] = "dend";

bool
starts_with (const uint8_t *data, size_t size, const char *marker)
{
  return size >= kMarkerSize && memcmp (data, marker, kMarkerSize) == 0;
}

bool
ends_with (const uint8_t *data, size_t size, const char *marker)
{
  return size >= kMarkerSize
         && memcmp (data + size - kMarkerSize, marker, kMarkerSize) == 0;
}

BytesRef
framed_slice (const uint8_t *slice, size_t size, const char *start,
              const char *end)
{
  auto *message = static_cast<uint8_t *> (g_malloc (size + kFrameOverhead));
  memcpy (message, start, kMarkerSize);
  if (size > 0)
    memcpy (message + kMarkerSize, slice, size);
  memcpy (message + kMarkerSize + size, end, kMarkerSize);
  return BytesRef::adopt (g_bytes_new_take (message, size + kFrameOverhead));
}

size_t
ceil_div (size_t a, size_t b)
{
  return (a + b - 1) / b;
}

} // namespace

bool
is_command_chunk (const uint8_t *data, size_t size)
{
  /* The markers cannot overlap: a chunk is at least 8 bytes. */
  return (starts_with (data, size, kCommandStart)
          || starts_with (data, size, kSliceStart))
         && (ends_with (data, size, kCommandEnd)
             || ends_with (data, size, kSliceEnd));
}

std::vector<BytesRef>
frame_command_body (const Bytes &body, size_t max_message_size)
{
  g_return_val_if_fail (max_message_size > kFrameOverhead,
                        std::vector<BytesRef> ());

  std::vector<BytesRef> messages;
  if (body.size () + kFrameOverhead <= max_message_size) {
    messages.push_back (
        framed_slice (body.data (), body.size (), kCommandStart, kCommandEnd));
    return messages;
  }

  /* P2P Media Loader adds one slice when the first guess overflows; looping
   * gives the same count whenever one is enough (any realistic size). */
  size_t count = ceil_div (body.size (), max_message_size);
  while (ceil_div (body.size (), count) + kFrameOverhead > max_message_size)
    count++;
  const size_t slice_size = ceil_div (body.size (), count);

  for (size_t i = 0; i < count; i++) {
    /* The last slice may be shorter, as in P2P Media Loader. */
    const size_t start = std::min (body.size (), i * slice_size);
    const size_t size = std::min (slice_size, body.size () - start);
    messages.push_back (framed_slice (
        body.data () + start, size, i == 0 ? kCommandStart : kSliceStart,
        i == count - 1 ? kCommandEnd : kSliceEnd));
  }
  return messages;
}

gboolean
encode_command (const Command &command, size_t max_message_size,
                std::vector<BytesRef> *messages, GError **error)
{
  Bytes body;
  if (!encode_command_body (command, &body, error))
    return FALSE;
  *messages = frame_command_body (body, max_message_size);
  return TRUE;
}

std::vector<BytesRef>
split_payload (const ChunkedBytes &payload, size_t offset,
               size_t max_message_size)
{
  g_return_val_if_fail (max_message_size > 0, std::vector<BytesRef> ());

  std::vector<BytesRef> messages;
  const ChunkedBytes rest = payload.slice (offset, G_MAXSIZE);
  for (const BytesRef &chunk : rest.chunks ()) {
    const size_t size = chunk.size ();
    if (size <= max_message_size) {
      messages.push_back (chunk);
      continue;
    }
    for (size_t start = 0; start < size; start += max_message_size)
      messages.push_back (BytesRef::adopt (g_bytes_new_from_bytes (
          chunk.get (), start, std::min (max_message_size, size - start))));
  }
  return messages;
}

WireReceiver::Result
WireReceiver::reject (GError **error, const char *message)
{
  partial_.clear ();
  assembling_ = false;
  g_set_error_literal (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL, message);
  return Result::ERROR;
}

WireReceiver::Result
WireReceiver::feed (GBytes *message, Command *command, GError **error)
{
  gsize size;
  const auto *data
      = static_cast<const uint8_t *> (g_bytes_get_data (message, &size));
  if (!is_command_chunk (data, size))
    return Result::PAYLOAD;

  const bool first = starts_with (data, size, kCommandStart);
  if (first && assembling_)
    return reject (error, "new peer command before the previous one ended");
  if (!first && !assembling_)
    return reject (error, "peer command continuation without a first chunk");

  const size_t slice_size = size - kFrameOverhead;
  if (partial_.size () + slice_size > kMaxCommandBodySize)
    return reject (error, "peer command too large");
  if (first && ends_with (data, size, kCommandEnd)) {
    /* A whole command in one message, as nearly all are: decoded where it
     * lies, not copied first. */
    if (!decode_command_body (data + kMarkerSize, slice_size, command, error))
      return Result::ERROR;
    return Result::COMMAND;
  }
  partial_.insert (partial_.end (), data + kMarkerSize,
                   data + kMarkerSize + slice_size);

  if (!ends_with (data, size, kCommandEnd)) {
    assembling_ = true;
    return Result::NEED_MORE;
  }

  Bytes body;
  body.swap (partial_);
  assembling_ = false;
  if (!decode_command_body (body.data (), body.size (), command, error))
    return Result::ERROR;
  return Result::COMMAND;
}

} // namespace p2p::peer::wire
