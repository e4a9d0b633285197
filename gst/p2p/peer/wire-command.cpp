/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "wire-command.h"

#include <algorithm>
#include <array>

#include "gst/p2p/common/error.h"

namespace p2p::peer::wire {

namespace {

constexpr uint8_t kFieldSegmentId = 'i';
constexpr uint8_t kFieldRequestId = 'r';
constexpr uint8_t kFieldByteFrom = 'b';
constexpr uint8_t kFieldSize = 's';
constexpr uint8_t kFieldLoaded = 'l';
constexpr uint8_t kFieldLoadingByHttp = 'p';
constexpr uint8_t kFieldByteTo = 'e';
constexpr uint8_t kFieldStripe = 'k';
constexpr uint8_t kFieldOffset = 'o';
constexpr uint8_t kFieldSegmentSize = 'z';
constexpr uint8_t kFieldChunkHashes = 'h';
constexpr uint8_t kFieldDepths = 'd';
constexpr uint8_t kFieldAncestors = 'a';
constexpr uint8_t kFieldFreeSlots = 'c';
constexpr uint8_t kFieldRelaySlots = 'm';
constexpr uint8_t kFieldCutThrough = 'w';

constexpr uint8_t kLastCommandCode
    = static_cast<uint8_t> (CommandType::CANCEL_SEGMENT_REQUEST);

enum FieldBit : unsigned {
  HAS_SEGMENT_ID = 1 << 0,
  HAS_REQUEST_ID = 1 << 1,
  HAS_SIZE = 1 << 2,
};

unsigned
required_fields (CommandType type)
{
  switch (type) {
  case CommandType::SEGMENTS_ANNOUNCEMENT:
    return 0;
  case CommandType::SEGMENT_DATA:
    return HAS_SEGMENT_ID | HAS_REQUEST_ID | HAS_SIZE;
  case CommandType::UNKNOWN:
    return 0;
  default:
    return HAS_SEGMENT_ID | HAS_REQUEST_ID;
  }
}

/* Whether field @name means something in a command of @type (P2P Media
 * Loader's fields and ours); other fields are skipped whatever their type. */
bool
field_used (CommandType type, uint8_t name)
{
  switch (type) {
  case CommandType::SEGMENTS_ANNOUNCEMENT:
    return name == kFieldLoaded || name == kFieldLoadingByHttp
           || name == kFieldDepths || name == kFieldAncestors
           || name == kFieldFreeSlots || name == kFieldRelaySlots;
  case CommandType::SEGMENT_REQUEST:
    return name == kFieldSegmentId || name == kFieldRequestId
           || name == kFieldByteFrom || name == kFieldByteTo
           || name == kFieldStripe;
  case CommandType::SEGMENT_DATA:
    return name == kFieldSegmentId || name == kFieldRequestId
           || name == kFieldSize || name == kFieldOffset
           || name == kFieldSegmentSize || name == kFieldChunkHashes
           || name == kFieldCutThrough;
  case CommandType::UNKNOWN:
    return false;
  default:
    return name == kFieldSegmentId || name == kFieldRequestId
           || name == kFieldStripe;
  }
}

void
append_int_field (Bytes &body, uint8_t name, int64_t value)
{
  body.push_back (name);
  append_int (body, value);
}

/* Our fields are written only when set. */
void
append_optional_int_field (Bytes &body, uint8_t name, int64_t value,
                           int64_t unset = 0)
{
  if (value != unset)
    append_int_field (body, name, value);
}

gboolean
append_array_field (Bytes &body, uint8_t name,
                    const std::vector<int64_t> &values, GError **error)
{
  if (values.empty ())
    return TRUE;
  body.push_back (name);
  return append_similar_int_array (body, values, error);
}

gboolean
append_string_field (Bytes &body, uint8_t name, const std::string &value,
                     GError **error)
{
  if (value.empty ())
    return TRUE;
  body.push_back (name);
  return append_string (body, value, error);
}

/* Reads a field's item whatever its type, for fields we do not use. */
gboolean
skip_item (Reader &reader, GError **error)
{
  ItemType type;
  if (!reader.peek_item_type (&type, error))
    return FALSE;
  switch (type) {
  case ItemType::INT: {
    int64_t ignored;
    return reader.read_int (&ignored, error);
  }
  case ItemType::SIMILAR_INT_ARRAY: {
    std::vector<int64_t> ignored;
    return reader.read_similar_int_array (&ignored, error);
  }
  case ItemType::STRING: {
    std::string ignored;
    return reader.read_string (&ignored, error);
  }
  }
  return FALSE;
}

/* A depth per character: 'a' + depth, '-' for none. */
std::string
depths_to_string (const std::vector<int64_t> &depths)
{
  std::string text;
  for (int64_t d : depths)
    text += d < 0 ? '-' : char ('a' + std::min (d, kMaxDepth));
  return text;
}

bool
depths_from_string (const std::string &text, std::vector<int64_t> *depths)
{
  depths->clear ();
  for (char c : text) {
    if (c != '-' && (c < 'a' || c > 'a' + kMaxDepth))
      return false;
    depths->push_back (c == '-' ? -1 : c - 'a');
  }
  return true;
}

/* Eight hex digits per id. */
std::string
ancestors_to_string (const std::vector<uint32_t> &ancestors)
{
  std::string text;
  for (uint32_t id : ancestors) {
    char hex[9];
    g_snprintf (hex, sizeof hex, "%08x", id);
    text += hex;
  }
  return text;
}

/* Each byte's value as a hex digit, -1 if none: g_ascii_xdigit_value ()
 * as a table, without a branch per digit (announcements carry many). */
constexpr std::array<int8_t, 256> kHexDigits = [] {
  std::array<int8_t, 256> digits{};
  for (int c = 0; c < 256; c++)
    digits[c] = c >= '0' && c <= '9'   ? int8_t (c - '0')
                : c >= 'a' && c <= 'f' ? int8_t (c - 'a' + 10)
                : c >= 'A' && c <= 'F' ? int8_t (c - 'A' + 10)
                                       : int8_t (-1);
  return digits;
}();

bool
ancestors_from_string (const std::string &text,
                       std::vector<uint32_t> *ancestors)
{
  ancestors->clear ();
  if (text.size () % 8 != 0)
    return false;
  ancestors->reserve (text.size () / 8);
  for (size_t at = 0; at < text.size (); at += 8) {
    uint32_t id = 0;
    int8_t invalid = 0;
    for (size_t i = at; i < at + 8; i++) {
      const int8_t digit = kHexDigits[guint8 (text[i])];
      invalid |= digit;
      id = id << 4 | uint32_t (digit & 0xf);
    }
    if (invalid < 0)
      return false;
    ancestors->push_back (id);
  }
  return true;
}

gboolean
protocol_error (GError **error, const char *message, CommandType type)
{
  g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL, "%s: %s",
               command_type_name (type), message);
  return FALSE;
}

} // namespace

const char *
command_type_name (CommandType type)
{
  switch (type) {
  case CommandType::SEGMENTS_ANNOUNCEMENT:
    return "SegmentsAnnouncement";
  case CommandType::SEGMENT_REQUEST:
    return "SegmentRequest";
  case CommandType::SEGMENT_DATA:
    return "SegmentData";
  case CommandType::SEGMENT_DATA_SENDING_COMPLETED:
    return "SegmentDataSendingCompleted";
  case CommandType::SEGMENT_ABSENT:
    return "SegmentAbsent";
  case CommandType::CANCEL_SEGMENT_REQUEST:
    return "CancelSegmentRequest";
  case CommandType::UNKNOWN:
    break;
  }
  return "unknown";
}

Command
Command::announcement (std::vector<int64_t> loaded,
                       std::vector<int64_t> loading_by_http)
{
  Command c;
  c.type = CommandType::SEGMENTS_ANNOUNCEMENT;
  c.loaded = std::move (loaded);
  c.loading_by_http = std::move (loading_by_http);
  return c;
}

Command
Command::request (int64_t segment_id, int64_t request_id, int64_t byte_from)
{
  Command c;
  c.type = CommandType::SEGMENT_REQUEST;
  c.segment_id = segment_id;
  c.request_id = request_id;
  c.byte_from = byte_from;
  return c;
}

Command
Command::data (int64_t segment_id, int64_t request_id, int64_t size)
{
  Command c;
  c.type = CommandType::SEGMENT_DATA;
  c.segment_id = segment_id;
  c.request_id = request_id;
  c.size = size;
  return c;
}

static Command
segment_command (CommandType type, int64_t segment_id, int64_t request_id)
{
  Command c;
  c.type = type;
  c.segment_id = segment_id;
  c.request_id = request_id;
  return c;
}

Command
Command::completed (int64_t segment_id, int64_t request_id)
{
  return segment_command (CommandType::SEGMENT_DATA_SENDING_COMPLETED,
                          segment_id, request_id);
}

Command
Command::absent (int64_t segment_id, int64_t request_id)
{
  return segment_command (CommandType::SEGMENT_ABSENT, segment_id, request_id);
}

Command
Command::cancel (int64_t segment_id, int64_t request_id)
{
  return segment_command (CommandType::CANCEL_SEGMENT_REQUEST, segment_id,
                          request_id);
}

bool
Command::operator== (const Command &o) const
{
  return type == o.type && segment_id == o.segment_id
         && request_id == o.request_id && byte_from == o.byte_from
         && size == o.size && loaded == o.loaded
         && loading_by_http == o.loading_by_http && byte_to == o.byte_to
         && stripe == o.stripe && offset == o.offset
         && segment_size == o.segment_size && chunk_hashes == o.chunk_hashes
         && depths == o.depths && ancestors == o.ancestors
         && free_slots == o.free_slots && relay_slots == o.relay_slots
         && cut_through == o.cut_through;
}

gboolean
encode_command_body (const Command &command, Bytes *body, GError **error)
{
  body->clear ();
  body->push_back (static_cast<uint8_t> (command.type));
  switch (command.type) {
  case CommandType::SEGMENTS_ANNOUNCEMENT:
    if (!append_array_field (*body, kFieldLoaded, command.loaded, error)
        || !append_array_field (*body, kFieldLoadingByHttp,
                                command.loading_by_http, error))
      return FALSE;
    if (!append_string_field (*body, kFieldDepths,
                              depths_to_string (command.depths), error)
        || !append_string_field (*body, kFieldAncestors,
                                 ancestors_to_string (command.ancestors),
                                 error))
      return FALSE;
    append_optional_int_field (*body, kFieldFreeSlots, command.free_slots, -1);
    append_optional_int_field (*body, kFieldRelaySlots, command.relay_slots,
                               -1);
    return TRUE;
  case CommandType::SEGMENT_REQUEST:
    append_int_field (*body, kFieldSegmentId, command.segment_id);
    append_int_field (*body, kFieldRequestId, command.request_id);
    append_optional_int_field (*body, kFieldByteFrom, command.byte_from);
    append_optional_int_field (*body, kFieldByteTo, command.byte_to);
    append_optional_int_field (*body, kFieldStripe, command.stripe);
    return TRUE;
  case CommandType::SEGMENT_DATA:
    append_int_field (*body, kFieldSegmentId, command.segment_id);
    append_int_field (*body, kFieldSize, command.size);
    append_int_field (*body, kFieldRequestId, command.request_id);
    append_optional_int_field (*body, kFieldOffset, command.offset);
    append_optional_int_field (*body, kFieldSegmentSize, command.segment_size);
    append_optional_int_field (*body, kFieldCutThrough, command.cut_through);
    return append_string_field (*body, kFieldChunkHashes, command.chunk_hashes,
                                error);
  case CommandType::SEGMENT_DATA_SENDING_COMPLETED:
  case CommandType::SEGMENT_ABSENT:
  case CommandType::CANCEL_SEGMENT_REQUEST:
    append_int_field (*body, kFieldSegmentId, command.segment_id);
    append_int_field (*body, kFieldRequestId, command.request_id);
    append_optional_int_field (*body, kFieldStripe, command.stripe);
    return TRUE;
  case CommandType::UNKNOWN:
    break;
  }
  g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
               "cannot encode command code %u", unsigned (command.type));
  return FALSE;
}

gboolean
decode_command_body (const uint8_t *body, size_t size, Command *command,
                     GError **error)
{
  if (size == 0) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                 "empty peer command");
    return FALSE;
  }
  Command c;
  c.type = body[0] > kLastCommandCode ? CommandType::UNKNOWN
                                      : static_cast<CommandType> (body[0]);
  unsigned seen = 0;
  std::string text;
  Reader reader (body + 1, size - 1);
  while (!reader.at_end ()) {
    uint8_t name;
    if (!reader.read_byte (&name, error))
      return FALSE;
    gboolean ok;
    switch (field_used (c.type, name) ? name : 0) {
    case kFieldSegmentId:
      ok = reader.read_int (&c.segment_id, error);
      seen |= HAS_SEGMENT_ID;
      break;
    case kFieldRequestId:
      ok = reader.read_int (&c.request_id, error);
      seen |= HAS_REQUEST_ID;
      break;
    case kFieldSize:
      ok = reader.read_int (&c.size, error);
      seen |= HAS_SIZE;
      break;
    case kFieldByteFrom:
      ok = reader.read_int (&c.byte_from, error);
      break;
    case kFieldLoaded:
      ok = reader.read_similar_int_array (&c.loaded, error);
      break;
    case kFieldLoadingByHttp:
      ok = reader.read_similar_int_array (&c.loading_by_http, error);
      break;
    case kFieldByteTo:
      ok = reader.read_int (&c.byte_to, error);
      break;
    case kFieldStripe:
      ok = reader.read_int (&c.stripe, error);
      break;
    case kFieldOffset:
      ok = reader.read_int (&c.offset, error);
      break;
    case kFieldSegmentSize:
      ok = reader.read_int (&c.segment_size, error);
      break;
    case kFieldChunkHashes:
      ok = reader.read_string (&c.chunk_hashes, error);
      break;
    case kFieldDepths:
      ok = reader.read_string (&text, error)
           && (depths_from_string (text, &c.depths)
               || protocol_error (error, "malformed depths", c.type));
      break;
    case kFieldAncestors:
      ok = reader.read_string (&text, error)
           && (ancestors_from_string (text, &c.ancestors)
               || protocol_error (error, "malformed ancestors", c.type));
      break;
    case kFieldFreeSlots:
      ok = reader.read_int (&c.free_slots, error);
      break;
    case kFieldRelaySlots:
      ok = reader.read_int (&c.relay_slots, error);
      break;
    case kFieldCutThrough:
      ok = reader.read_int (&c.cut_through, error);
      break;
    default:
      ok = skip_item (reader, error);
      break;
    }
    if (!ok)
      return FALSE;
  }

  if ((seen & required_fields (c.type)) != required_fields (c.type))
    return protocol_error (error, "required field missing", c.type);
  if (c.size < 0 || c.byte_from < 0 || c.byte_to < 0 || c.offset < 0
      || c.segment_size < 0 || c.stripe < 0)
    return protocol_error (error, "negative size or byte offset", c.type);

  *command = std::move (c);
  return TRUE;
}

} // namespace p2p::peer::wire
