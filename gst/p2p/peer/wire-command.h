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
};

const char *command_type_name (CommandType type);

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
 * leaving out empty arrays and a zero `b`. Fails only when an announcement
 * holds too many values for a SimilarIntArray. */
gboolean encode_command_body (const Command &command, Bytes *body,
                              GError **error);

/* Reads a body. Fields may come in any order and a repeated field replaces
 * the earlier one, as in P2P Media Loader; fields the command type does not
 * use are skipped whatever their name and type. Fails with
 * GST_P2P_ERROR_PROTOCOL on an unknown command code, a truncated or mistyped
 * item, a missing required field, or a negative size or byte offset. */
gboolean decode_command_body (const uint8_t *body, size_t size,
                              Command *command, GError **error);

} // namespace p2p::peer::wire
