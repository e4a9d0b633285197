/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes the peer wire receiver. The input is a sequence of data-channel
 * messages, each a 2-byte big-endian length then that many bytes (the first
 * byte also picks the frame size for re-encoding). Every decoded command must
 * survive encode → frame → receive unchanged, up to the order of announced
 * values: groups with the same high part are merged on re-encoding.
 */
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "gst/p2p/peer/wire-codec.h"

using namespace p2p;
using namespace p2p::peer::wire;

static Command
sorted (Command command)
{
  std::sort (command.loaded.begin (), command.loaded.end ());
  std::sort (command.loading_by_http.begin (), command.loading_by_http.end ());
  return command;
}

static void
check_round_trip (const Command &command, size_t max_message_size)
{
  std::vector<BytesRef> messages;
  GError *error = nullptr;
  /* A decoded array had at most 255 groups of at most 255 values; merging
   * groups by high part never needs more, so encoding cannot fail. */
  if (!encode_command (command, max_message_size, &messages, &error))
    abort ();
  WireReceiver receiver;
  Command decoded;
  WireReceiver::Result result = WireReceiver::Result::NEED_MORE;
  for (auto &message : messages) {
    if (result != WireReceiver::Result::NEED_MORE)
      abort ();
    result = receiver.feed (message.get (), &decoded, &error);
  }
  if (result != WireReceiver::Result::COMMAND
      || sorted (decoded) != sorted (command))
    abort ();
}

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  WireReceiver receiver;
  const size_t max_message_size = 9 + (size ? data[0] : 0) * 64;
  size_t pos = 0;
  while (size - pos >= 2) {
    const size_t length
        = std::min<size_t> ((data[pos] << 8) | data[pos + 1], size - pos - 2);
    GBytesPtr message (g_bytes_new (data + pos + 2, length));
    pos += 2 + length;

    Command command;
    GError *error = nullptr;
    switch (receiver.feed (message.get (), &command, &error)) {
    case WireReceiver::Result::COMMAND:
      /* A newer peer's command: nothing of it is kept to write again. */
      if (command.type != CommandType::UNKNOWN)
        check_round_trip (command, max_message_size);
      break;
    case WireReceiver::Result::ERROR:
      if (!error)
        abort ();
      g_error_free (error);
      break;
    case WireReceiver::Result::PAYLOAD:
    case WireReceiver::Result::NEED_MORE:
      break;
    }
  }
  return 0;
}
