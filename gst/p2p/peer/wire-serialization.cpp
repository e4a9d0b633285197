/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "wire-serialization.h"

#include <algorithm>
#include <limits>

#include "gst/p2p/common/error.h"

namespace p2p::peer::wire {

namespace {

constexpr uint64_t kInt64MinMagnitude = uint64_t (1) << 63;

uint8_t
item_header (ItemType type, uint8_t low_nibble)
{
  return static_cast<uint8_t> ((static_cast<uint8_t> (type) << 4)
                               | (low_nibble & 0x0f));
}

int
binary_digits (uint64_t magnitude)
{
  /* Like JS BigInt#toString(2): "0" has one digit. */
  int digits = 1;
  while (digits < 64 && (magnitude >> digits))
    digits++;
  return digits;
}

gboolean
truncated (GError **error, const char *what)
{
  g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
               "peer command truncated inside %s", what);
  return FALSE;
}

} // namespace

void
append_int (Bytes &out, int64_t value)
{
  const bool negative = value < 0;
  const uint64_t magnitude
      = negative ? uint64_t (0) - uint64_t (value) : uint64_t (value);
  /* One more bit for the sign. */
  const int byte_count = (binary_digits (magnitude) + 1 + 7) / 8;

  out.push_back (item_header (ItemType::INT, byte_count));
  const size_t first = out.size ();
  for (int i = byte_count - 1; i >= 0; i--)
    out.push_back (i < 8 ? uint8_t (magnitude >> (8 * i)) : 0);
  if (negative)
    out[first] |= 0x80;
}

gboolean
append_similar_int_array (Bytes &out, const std::vector<int64_t> &values,
                          GError **error)
{
  struct Group
  {
    int64_t high;
    Bytes lows;
  };
  std::vector<Group> groups;
  for (int64_t value : values) {
    const int64_t high = value & ~int64_t (0xff);
    auto it = groups.begin ();
    while (it != groups.end () && it->high != high)
      ++it;
    if (it == groups.end ())
      it = groups.insert (it, Group{ high, {} });
    it->lows.push_back (uint8_t (value & 0xff));
  }

  size_t wire_groups = 0;
  for (const Group &group : groups)
    wire_groups
        += (group.lows.size () + kMaxGroupEntries - 1) / kMaxGroupEntries;
  if (wire_groups > kMaxArrayGroups) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                 "%zu values need %zu SimilarIntArray groups, more than %zu",
                 values.size (), wire_groups, kMaxArrayGroups);
    return FALSE;
  }

  out.push_back (item_header (ItemType::SIMILAR_INT_ARRAY, 0));
  out.push_back (uint8_t (wire_groups));
  for (const Group &group : groups) {
    for (size_t start = 0; start < group.lows.size ();
         start += kMaxGroupEntries) {
      const size_t count
          = std::min (kMaxGroupEntries, group.lows.size () - start);
      append_int (out, group.high | int64_t (count));
      out.insert (out.end (), group.lows.begin () + start,
                  group.lows.begin () + start + count);
    }
  }
  return TRUE;
}

gboolean
append_string (Bytes &out, const std::string &value, GError **error)
{
  if (value.size () > kMaxStringBytes) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                 "string of %zu bytes exceeds the %zu-byte limit",
                 value.size (), kMaxStringBytes);
    return FALSE;
  }
  out.push_back (item_header (ItemType::STRING, uint8_t (value.size () >> 8)));
  out.push_back (uint8_t (value.size () & 0xff));
  out.insert (out.end (), value.begin (), value.end ());
  return TRUE;
}

gboolean
Reader::read_byte (uint8_t *value, GError **error)
{
  if (pos_ >= size_)
    return truncated (error, "a field");
  *value = data_[pos_++];
  return TRUE;
}

gboolean
Reader::peek_item_type (ItemType *type, GError **error) const
{
  if (pos_ >= size_)
    return truncated (error, "a field");
  const uint8_t code = data_[pos_] >> 4;
  if (code > static_cast<uint8_t> (ItemType::STRING)) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                 "unknown item type %u at offset %zu", code, pos_);
    return FALSE;
  }
  *type = static_cast<ItemType> (code);
  return TRUE;
}

gboolean
Reader::expect_type (ItemType expected, GError **error) const
{
  ItemType type;
  if (!peek_item_type (&type, error))
    return FALSE;
  if (type != expected) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                 "item type %u where %u was expected at offset %zu",
                 unsigned (type), unsigned (expected), pos_);
    return FALSE;
  }
  return TRUE;
}

gboolean
Reader::read_int (int64_t *value, GError **error)
{
  if (!expect_type (ItemType::INT, error))
    return FALSE;
  const size_t byte_count = data_[pos_] & 0x0f;
  if (size_ - pos_ - 1 < byte_count)
    return truncated (error, "an Int");

  const uint8_t *bytes = data_ + pos_ + 1;
  const bool negative = byte_count > 0 && (bytes[0] & 0x80);
  uint64_t magnitude = 0;
  for (size_t i = 0; i < byte_count; i++) {
    if (magnitude > (std::numeric_limits<uint64_t>::max () >> 8)) {
      g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                   "Int of %zu bytes does not fit 64 bits", byte_count);
      return FALSE;
    }
    magnitude = (magnitude << 8) | (i == 0 ? bytes[0] & 0x7f : bytes[i]);
  }
  if (magnitude > (negative ? kInt64MinMagnitude : kInt64MinMagnitude - 1)) {
    g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL,
                 "Int magnitude %" G_GUINT64_FORMAT " out of range", magnitude);
    return FALSE;
  }
  *value = negative ? int64_t (uint64_t (0) - magnitude) : int64_t (magnitude);
  pos_ += 1 + byte_count;
  return TRUE;
}

gboolean
Reader::read_similar_int_array (std::vector<int64_t> *values, GError **error)
{
  if (!expect_type (ItemType::SIMILAR_INT_ARRAY, error))
    return FALSE;
  if (size_ - pos_ < 2)
    return truncated (error, "a SimilarIntArray");
  const unsigned group_count = data_[pos_ + 1];
  pos_ += 2;

  values->clear ();
  for (unsigned g = 0; g < group_count; g++) {
    int64_t high_and_count;
    if (!read_int (&high_and_count, error))
      return FALSE;
    const size_t count = size_t (high_and_count & 0xff);
    const int64_t high = high_and_count & ~int64_t (0xff);
    if (size_ - pos_ < count)
      return truncated (error, "a SimilarIntArray group");
    for (size_t i = 0; i < count; i++)
      values->push_back (high | data_[pos_ + i]);
    pos_ += count;
  }
  return TRUE;
}

gboolean
Reader::read_string (std::string *value, GError **error)
{
  if (!expect_type (ItemType::STRING, error))
    return FALSE;
  if (size_ - pos_ < 2)
    return truncated (error, "a String");
  const size_t length = (size_t (data_[pos_] & 0x0f) << 8) | data_[pos_ + 1];
  if (size_ - pos_ - 2 < length)
    return truncated (error, "a String");
  value->assign (reinterpret_cast<const char *> (data_ + pos_ + 2), length);
  pos_ += 2 + length;
  return TRUE;
}

} // namespace p2p::peer::wire
