/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "attribute-list.h"

#include <climits>

namespace p2p::hls {

namespace {

/* Real tags carry about a dozen; the cap keeps duplicate detection cheap. */
constexpr size_t kMaxAttributes = 128;

bool
is_digit (char c)
{
  return c >= '0' && c <= '9';
}

bool
is_attribute_name_char (char c)
{
  return (c >= 'A' && c <= 'Z') || is_digit (c) || c == '-';
}

bool
all_digits (std::string_view text)
{
  if (text.empty ())
    return false;
  for (char c : text) {
    if (!is_digit (c))
      return false;
  }
  return true;
}

} // namespace

std::optional<uint64_t>
parse_decimal_integer (std::string_view text)
{
  if (!all_digits (text))
    return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    uint64_t digit = static_cast<uint64_t> (c - '0');
    if (value > (UINT64_MAX - digit) / 10)
      return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::optional<GstClockTime>
parse_decimal_seconds (std::string_view text)
{
  size_t dot = text.find ('.');
  std::string_view whole = text.substr (0, dot);
  std::string_view fraction = dot == std::string_view::npos
                                  ? std::string_view ()
                                  : text.substr (dot + 1);
  if (!all_digits (whole) || (!fraction.empty () && !all_digits (fraction)))
    return std::nullopt;

  std::optional<uint64_t> seconds = parse_decimal_integer (whole);
  /* GST_CLOCK_TIME_NONE is UINT64_MAX: stay clearly below it. */
  if (!seconds || *seconds >= (UINT64_MAX / GST_SECOND) - 1)
    return std::nullopt;

  uint64_t nanoseconds = 0;
  uint64_t scale = GST_SECOND / 10;
  for (size_t i = 0; i < fraction.size () && scale > 0; i++, scale /= 10)
    nanoseconds += static_cast<uint64_t> (fraction[i] - '0') * scale;
  if (fraction.size () > 9 && fraction[9] >= '5')
    nanoseconds++;
  return *seconds * GST_SECOND + nanoseconds;
}

std::optional<double>
parse_decimal_float (std::string_view text)
{
  size_t dot = text.find ('.');
  std::string_view whole = text.substr (0, dot);
  std::string_view fraction = dot == std::string_view::npos
                                  ? std::string_view ()
                                  : text.substr (dot + 1);
  if (!all_digits (whole) || (!fraction.empty () && !all_digits (fraction)))
    return std::nullopt;
  /* The syntax is checked, so strtod cannot wander off: copy for its NUL. */
  return g_ascii_strtod (std::string (text).c_str (), nullptr);
}

bool
parse_decimal_resolution (std::string_view text, int *width, int *height)
{
  size_t x = text.find ('x');
  if (x == std::string_view::npos)
    return false;
  std::optional<uint64_t> w = parse_decimal_integer (text.substr (0, x));
  std::optional<uint64_t> h = parse_decimal_integer (text.substr (x + 1));
  if (!w || !h || *w > INT_MAX || *h > INT_MAX)
    return false;
  *width = static_cast<int> (*w);
  *height = static_cast<int> (*h);
  return true;
}

bool
parse_byte_range (std::string_view text, uint64_t *length,
                  std::optional<uint64_t> *offset)
{
  size_t at = text.find ('@');
  std::optional<uint64_t> n = parse_decimal_integer (text.substr (0, at));
  if (!n)
    return false;
  std::optional<uint64_t> o;
  if (at != std::string_view::npos) {
    o = parse_decimal_integer (text.substr (at + 1));
    if (!o)
      return false;
  }
  *length = *n;
  *offset = o;
  return true;
}

std::optional<AttributeList>
AttributeList::parse (std::string_view text, std::string *problem)
{
  AttributeList list;
  size_t pos = 0;
  auto fail = [&] (std::string why) -> std::optional<AttributeList> {
    *problem = std::move (why);
    return std::nullopt;
  };

  while (pos < text.size ()) {
    /* Tolerate the blanks some packagers put after commas. */
    while (pos < text.size () && (text[pos] == ' ' || text[pos] == '\t'))
      pos++;
    if (pos == text.size ())
      break;

    size_t name_start = pos;
    while (pos < text.size () && is_attribute_name_char (text[pos]))
      pos++;
    Attribute attribute;
    attribute.name = text.substr (name_start, pos - name_start);
    if (attribute.name.empty ())
      return fail ("expected an attribute name at column "
                   + std::to_string (pos + 1));
    if (pos == text.size () || text[pos] != '=')
      return fail ("attribute " + std::string (attribute.name)
                   + " has no '=' and value");
    pos++;

    if (pos < text.size () && text[pos] == '"') {
      size_t close = text.find ('"', pos + 1);
      if (close == std::string_view::npos)
        return fail ("attribute " + std::string (attribute.name)
                     + " has an unterminated quoted string");
      attribute.value = text.substr (pos + 1, close - pos - 1);
      attribute.quoted = true;
      pos = close + 1;
    } else {
      size_t end = text.find (',', pos);
      if (end == std::string_view::npos)
        end = text.size ();
      attribute.value = text.substr (pos, end - pos);
      while (!attribute.value.empty ()
             && (attribute.value.back () == ' '
                 || attribute.value.back () == '\t'))
        attribute.value.remove_suffix (1);
      pos = end;
    }

    while (pos < text.size () && (text[pos] == ' ' || text[pos] == '\t'))
      pos++;
    if (pos < text.size ()) {
      if (text[pos] != ',')
        return fail ("unexpected character after attribute "
                     + std::string (attribute.name));
      pos++;
    }

    if (list.attributes_.size () + list.duplicates_.size () >= kMaxAttributes)
      return fail ("more than " + std::to_string (kMaxAttributes)
                   + " attributes");
    if (list.find (attribute.name))
      list.duplicates_.push_back (attribute.name);
    else
      list.attributes_.push_back (attribute);
  }
  return list;
}

const Attribute *
AttributeList::find (std::string_view name) const
{
  for (const Attribute &attribute : attributes_) {
    if (attribute.name == name)
      return &attribute;
  }
  return nullptr;
}

} // namespace p2p::hls
