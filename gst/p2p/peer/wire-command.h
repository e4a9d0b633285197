/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * P2P Media Loader 2.x peer commands (PROTOCOLS.md §3.6) and their bodies:
 * one command-code byte, then fields, each a one-letter ASCII name followed
 * by a typed item (wire-serialization.h). Framing is in wire-codec.h.
 */
#pragma once

#include <cstdint>
#include <vector>

#include <glib.h>

#include "wire-serialization.h"

namespace p2p::peer::wire {

enum class CommandType : uint8_t {
  SEGMENTS_ANNOUNCEMENT = 0,
  SEGMENT_REQUEST = 1,
  SEGMENT_DATA = 2,
  SEGMENT_DATA_SENDING_COMPLETED = 3,
  SEGMENT_ABSENT = 4,
  CANCEL_SEGMENT_REQUEST = 5,
  /* A code a newer peer sent: skipped, as P2P Media Loader does. */
  UNKNOWN = 255,
};

const char *command_type_name (CommandType type);

/* The deepest a stripe can be relayed (and the depth field's range). */
inline constexpr int64_t kMaxDepth = 25;

/* One command. Which members mean something depends on @type; the others
 * stay zero or empty. Segment ids are P2P Media Loader "externalId"s: the
 * media sequence number for live streams. */
struct Command
{
  CommandType type = CommandType::SEGMENTS_ANNOUNCEMENT;
  int64_t segment_id = 0;      /* i: all but the announcement */
  int64_t request_id = 0;      /* r: all but the announcement */
  int64_t byte_from = 0;       /* b: SegmentRequest, resume offset */
  int64_t size = 0;            /* s: SegmentData, payload bytes to follow */
  std::vector<int64_t> loaded; /* l: announcement, segments held */
  std::vector<int64_t> loading_by_http; /* p: announcement, HTTP downloads */

  /* gst-p2p 2 fields, sent only to our own peers (peer ids -GP0200-,
   * -GS0200-): P2P Media Loader skips fields it does not know. Stripes and
   * chunks are those of swarm/chunk-tree.h. */
  int64_t byte_to = 0;      /* e: SegmentRequest, end (exclusive), 0 = all */
  int64_t stripe = 0;       /* k: SegmentRequest, 1 + the stripe to relay
                             * from segment i on, 0 = just this request;
                             * CancelSegmentRequest: ends that subscription,
                             * and without it (r = a subscription's id)
                             * its segment i is skipped;
                             * SegmentAbsent: refuses or ends it */
  int64_t offset = 0;       /* o: SegmentData, where its bytes start */
  int64_t segment_size = 0; /* z: SegmentData, the whole segment's size */
  std::string chunk_hashes; /* h: SegmentData, the stripe's chunk hashes */
  int64_t cut_through = 0;  /* w: SegmentData, 1: the relay sends bytes it
                             * is still receiving */
  /* d: announcement, per stripe how far from the broadcaster we receive it
   * (0 = from it, up to kMaxDepth; -1: we do not), a: the 32-bit ids of
   * those we receive it through, stripe after stripe, depths[j] + 1 of them
   * for stripe j (the broadcaster first). Both travel as strings, which
   * keep their order (an int array does not). */
  std::vector<int64_t> depths;
  std::vector<uint32_t> ancestors;
  int64_t free_slots = -1;  /* c: announcement, stripes we can still relay */
  int64_t relay_slots = -1; /* m: announcement, stripes we relay at most */

  static Command announcement (std::vector<int64_t> loaded,
                               std::vector<int64_t> loading_by_http);
  static Command request (int64_t segment_id, int64_t request_id,
                          int64_t byte_from = 0);
  static Command data (int64_t segment_id, int64_t request_id, int64_t size);
  static Command completed (int64_t segment_id, int64_t request_id);
  static Command absent (int64_t segment_id, int64_t request_id);
  static Command cancel (int64_t segment_id, int64_t request_id);

  bool operator== (const Command &other) const;
  bool
  operator!= (const Command &other) const
  {
    return !(*this == other);
  }
};

/* Writes the body in P2P Media Loader's field order (i r b, i s r, i r, l p),
 * leaving out empty arrays and a zero `b`; gst-p2p 2 fields follow when set.
 * Fails only when an announcement holds too many values for a SimilarIntArray.
 */
gboolean encode_command_body (const Command &command, Bytes *body,
                              GError **error);

/* Reads a body. Fields may come in any order and a repeated field replaces
 * the earlier one, as in P2P Media Loader; fields the command type does not
 * use are skipped whatever their name and type, and an unknown command
 * code gives an UNKNOWN command (both as a newer peer may send). Fails with
 * GST_P2P_ERROR_PROTOCOL on a truncated or mistyped item, a missing
 * required field, or a negative size or byte offset. */
gboolean decode_command_body (const uint8_t *body, size_t size,
                              Command *command, GError **error);

} // namespace p2p::peer::wire
