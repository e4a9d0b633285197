/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The value grammar of RFC 8216 §4.2: attribute lists and the number formats
 * used in tags. Strict on purpose: strtod/strtoull would also take signs,
 * spaces, hex floats, "nan" and "inf", none of which a playlist may hold.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gst/gst.h>

namespace p2p::hls {

/* decimal-integer: [0-9]+ within 0 .. 2^64-1. */
std::optional<uint64_t> parse_decimal_integer (std::string_view text);

/* decimal-floating-point seconds ([0-9]+ or [0-9]+.[0-9]*) as nanoseconds,
 * exact to the nanosecond and rounded beyond; nullopt when malformed or
 * beyond the range of GstClockTime. */
std::optional<GstClockTime> parse_decimal_seconds (std::string_view text);

/* decimal-floating-point as a double (FRAME-RATE). */
std::optional<double> parse_decimal_float (std::string_view text);

/* decimal-resolution: <width>x<height>, each within int. */
bool parse_decimal_resolution (std::string_view text, int *width, int *height);

/* <length>[@<offset>], the value of EXT-X-BYTERANGE and of MAP's BYTERANGE. */
bool parse_byte_range (std::string_view text, uint64_t *length,
                       std::optional<uint64_t> *offset);

struct Attribute
{
  std::string_view name;
  std::string_view value; /* without the quotes of a quoted-string */
  bool quoted = false;
};

/* An AttributeName=AttributeValue list. Views point into the parsed text,
 * which must outlive the list. */
class AttributeList
{
public:
  /* Parses @text; on malformed input returns nullopt and says why in
   * @problem. Repeated names keep their first value and are listed in
   * duplicates(). */
  static std::optional<AttributeList> parse (std::string_view text,
                                             std::string *problem);

  const Attribute *find (std::string_view name) const;
  const std::vector<std::string_view> &
  duplicates () const
  {
    return duplicates_;
  }

private:
  std::vector<Attribute> attributes_;
  std::vector<std::string_view> duplicates_;
};

} // namespace p2p::hls
