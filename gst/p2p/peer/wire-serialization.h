/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The typed items of P2P Media Loader 2.x peer commands (PROTOCOLS.md §3.5):
 * Int, SimilarIntArray and String. Each item starts with a byte whose top
 * four bits name its type. Values are int64_t: segment ids, request ids and
 * sizes never come near that range, and decoding refuses what does not fit.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <glib.h>

namespace p2p::peer::wire {

enum class ItemType : uint8_t {
  INT = 0,
  SIMILAR_INT_ARRAY = 1,
  STRING = 2,
};

/* Limits of the SimilarIntArray layout: the group count is one byte and a
 * group's entry count lives in the low byte of its Int. */
inline constexpr size_t kMaxArrayGroups = 255;
inline constexpr size_t kMaxGroupEntries = 255;
/* A String's length has 12 bits. */
inline constexpr size_t kMaxStringBytes = 4095;

using Bytes = std::vector<uint8_t>;

/* Int: 0x0N then N bytes of big-endian sign-magnitude, N the smallest count
 * that holds the magnitude's binary digits plus a sign bit. */
void append_int (Bytes &out, int64_t value);

/* SimilarIntArray: values grouped by `v & ~0xff` in first-seen order, each
 * group an Int `high | count` followed by the low bytes.
 *
 * P2P Media Loader stores counts modulo 256 and so corrupts a group of 256
 * entries. We instead split such a group into several groups with the same
 * high part, each of at most 255 entries: its decoder concatenates groups, so
 * the values read back are the same. Returns FALSE (GST_P2P_ERROR_PROTOCOL)
 * if more than 255 groups would still be needed; the caller must then send
 * fewer values (announcements list a live window, far below that). */
gboolean append_similar_int_array (Bytes &out,
                                   const std::vector<int64_t> &values,
                                   GError **error);

/* String: 0x2L LL (12-bit length) then UTF-8. We write the byte count, which
 * equals P2P Media Loader's UTF-16 length for ASCII; longer strings than
 * kMaxStringBytes are refused. No command uses strings today. */
gboolean append_string (Bytes &out, const std::string &value, GError **error);

/* A bounds-checked cursor over one command body. Every read_* call fails
 * with GST_P2P_ERROR_PROTOCOL rather than read past the end. */
class Reader
{
public:
  Reader (const uint8_t *data, size_t size) : data_ (data), size_ (size) {}

  bool
  at_end () const
  {
    return pos_ >= size_;
  }
  size_t
  position () const
  {
    return pos_;
  }

  gboolean read_byte (uint8_t *value, GError **error);
  /* The type of the item that starts at the cursor, without consuming it. */
  gboolean peek_item_type (ItemType *type, GError **error) const;

  /* Accepts N = 0 as 0 (P2P Media Loader does) and N up to 15, but refuses
   * magnitudes beyond int64_t. */
  gboolean read_int (int64_t *value, GError **error);
  gboolean read_similar_int_array (std::vector<int64_t> *values,
                                   GError **error);
  gboolean read_string (std::string *value, GError **error);

private:
  gboolean expect_type (ItemType type, GError **error) const;

  const uint8_t *data_;
  size_t size_;
  size_t pos_ = 0;
};

} // namespace p2p::peer::wire
