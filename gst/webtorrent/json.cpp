/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/webtorrent/json.h"

#include <cmath>
#include <cstring>

#include <glib.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace p2p::webtorrent::json {

namespace {

void
append_utf8 (std::string &out, uint32_t cp)
{
  /* Code points D800..DFFF (lone surrogates) come out as WTF-8, which
   * write_string() turns back into \uXXXX as JavaScript does. */
  if (cp < 0x80) {
    out += static_cast<char> (cp);
  } else if (cp < 0x800) {
    out += static_cast<char> (0xC0 | (cp >> 6));
    out += static_cast<char> (0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char> (0xE0 | (cp >> 12));
    out += static_cast<char> (0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char> (0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char> (0xF0 | (cp >> 18));
    out += static_cast<char> (0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char> (0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char> (0x80 | (cp & 0x3F));
  }
}

int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* The first byte from @p on that is '"', '\\' or below 0x20, or @end:
 * sixteen (SSE2) or eight bytes at a time. SDPs make most of a tracker
 * message, so this loop is most of the parser's time. */
const char *
skip_plain (const char *p, const char *end)
{
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8 ('"');
  const __m128i backslash = _mm_set1_epi8 ('\\');
  const __m128i control_max = _mm_set1_epi8 (0x1F);
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128 (reinterpret_cast<const __m128i *> (p));
    /* max(v, 0x1F) == 0x1F exactly for the bytes below 0x20 (unsigned) */
    __m128i stop = _mm_or_si128 (
        _mm_or_si128 (_mm_cmpeq_epi8 (v, quote), _mm_cmpeq_epi8 (v, backslash)),
        _mm_cmpeq_epi8 (_mm_max_epu8 (v, control_max), control_max));
    if (int mask = _mm_movemask_epi8 (stop))
      return p + __builtin_ctz (static_cast<unsigned> (mask));
    p += 16;
  }
#endif
  constexpr uint64_t kLow = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [] (uint64_t x) { return (x - kLow) & ~x & kHigh; };
  while (end - p >= 8) {
    uint64_t w;
    memcpy (&w, p, 8);
    /* bytes < 0x20: (w & 0xE0..) has a zero byte there */
    if (has_zero (w ^ (kLow * '"')) || has_zero (w ^ (kLow * '\\'))
        || has_zero (w & (kLow * 0xE0)))
      break;
    p += 8;
  }
  while (p < end && *p != '"' && *p != '\\'
         && static_cast<unsigned char> (*p) >= 0x20)
    ++p;
  return p;
}

class Parser
{
public:
  Parser (std::string_view text, const ParseOptions &options)
      : p_ (text.data ()), end_ (text.data () + text.size ()),
        options_ (options)
  {
  }

  bool
  parse_document (Value &out)
  {
    bool spaced;
    if (!parse_value (out, 0, spaced))
      return false;
    skip_whitespace ();
    if (p_ != end_)
      return fail ("trailing characters");
    return true;
  }

  const std::string &
  error () const
  {
    return error_;
  }

private:
  bool
  fail (const char *why)
  {
    error_ = why;
    return false;
  }

  /* True if there was any. */
  bool
  skip_whitespace ()
  {
    const char *start = p_;
    while (p_ < end_
           && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      ++p_;
    return p_ != start;
  }

  bool
  expect_literal (const char *word)
  {
    size_t n = strlen (word);
    if (static_cast<size_t> (end_ - p_) < n || memcmp (p_, word, n) != 0)
      return fail ("invalid literal");
    p_ += n;
    return true;
  }

  /* Parses a value after any whitespace; @spaced tells whether there was
   * some (which makes the enclosing container non-canonical). */
  bool
  parse_value (Value &v, size_t depth, bool &spaced)
  {
    spaced = skip_whitespace ();
    const char *start = p_;
    bool ok = parse_bare_value (v, depth);
    if (ok)
      v.source = std::string_view (start, p_ - start);
    return ok;
  }

  bool
  parse_bare_value (Value &v, size_t depth)
  {
    if (p_ == end_)
      return fail ("unexpected end of input");
    v.canonical = true;
    switch (*p_) {
    case '{':
      return parse_object (v, depth + 1);
    case '[':
      return parse_array (v, depth + 1);
    case '"':
      v.type = Value::Type::STRING;
      v.decoded = depth <= 1 || !long_string_ahead ();
      return parse_string (v.decoded ? &v.string : nullptr, v.canonical);
    case 't':
      v.type = Value::Type::BOOL;
      v.boolean = true;
      return expect_literal ("true");
    case 'f':
      v.type = Value::Type::BOOL;
      v.boolean = false;
      return expect_literal ("false");
    case 'n':
      v.type = Value::Type::NULL_VALUE;
      return expect_literal ("null");
    default:
      if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
        v.canonical = false; /* 1.0, 1e2: not worth checking */
        return parse_number (v);
      }
      return fail ("unexpected character");
    }
  }

  bool
  parse_object (Value &v, size_t depth)
  {
    if (depth > options_.max_depth)
      return fail ("nesting too deep");
    v.type = Value::Type::OBJECT;
    /* an announce has 8 members, the objects in it 2 */
    v.members.reserve (depth == 1 ? 8 : 2);
    ++p_;
    if (skip_whitespace ())
      v.canonical = false;
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    while (true) {
      if (skip_whitespace ())
        v.canonical = false;
      if (p_ == end_ || *p_ != '"')
        return fail ("expected member name");
      Member member;
      bool key_canonical = true, spaced;
      if (!parse_string (&member.key, key_canonical))
        return false;
      if (skip_whitespace ())
        v.canonical = false;
      if (p_ == end_ || *p_ != ':')
        return fail ("expected ':'");
      ++p_;
      if (!parse_value (member.value, depth, spaced))
        return false;
      if (v.canonical) {
        v.canonical = key_canonical && !spaced && member.value.canonical
                      && !v.find (member.key);
      }
      v.members.push_back (std::move (member));
      if (skip_whitespace ())
        v.canonical = false;
      if (p_ == end_)
        return fail ("unterminated object");
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_ != ',')
        return fail ("expected ',' or '}'");
      ++p_;
    }
  }

  bool
  parse_array (Value &v, size_t depth)
  {
    if (depth > options_.max_depth)
      return fail ("nesting too deep");
    v.type = Value::Type::ARRAY;
    v.items.reserve (8);
    ++p_;
    if (skip_whitespace ())
      v.canonical = false;
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    while (true) {
      v.items.emplace_back ();
      bool spaced;
      if (!parse_value (v.items.back (), depth, spaced))
        return false;
      if (spaced || !v.items.back ().canonical)
        v.canonical = false;
      if (skip_whitespace ())
        v.canonical = false;
      if (p_ == end_)
        return fail ("unterminated array");
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_ != ',')
        return fail ("expected ',' or ']'");
      ++p_;
    }
  }

  bool
  parse_hex4 (uint32_t &cu)
  {
    if (end_ - p_ < 4)
      return fail ("truncated \\u escape");
    cu = 0;
    for (int i = 0; i < 4; i++) {
      int h = hex_value (p_[i]);
      if (h < 0)
        return fail ("invalid \\u escape");
      cu = (cu << 4) | static_cast<uint32_t> (h);
    }
    p_ += 4;
    return true;
  }

  /* Whether the string at p_ has more than options_.defer_strings_over
   * bytes of JSON text. Any quote within that many bytes, even an escaped
   * one, counts as its end: a long string may be decoded, never a short
   * one deferred. */
  bool
  long_string_ahead () const
  {
    size_t limit = options_.defer_strings_over;
    if (limit == SIZE_MAX || static_cast<size_t> (end_ - p_) <= limit)
      return false;
    return !memchr (p_ + 1, '"', limit);
  }

  /* Decodes into @out, or only checks the string if @out is null. Clears
   * @canonical on an escape JSON.stringify might not write (\/, and any
   * \u, to keep it simple). */
  bool
  parse_string (std::string *out, bool &canonical)
  {
    auto put = [out] (char decoded) {
      if (out)
        *out += decoded;
    };
    ++p_; /* opening quote */
    /* the decoded text is no longer than the source up to the next quote */
    if (auto *quote
        = out ? static_cast<const char *> (memchr (p_, '"', end_ - p_))
              : nullptr)
      out->reserve (quote - p_);
    while (true) {
      const char *run = p_;
      p_ = skip_plain (p_, end_);
      if (out)
        out->append (run, p_ - run);
      if (p_ == end_)
        return fail ("unterminated string");
      char c = *p_++;
      if (c == '"')
        return true;
      if (c != '\\')
        return fail ("control character in string");
      if (p_ == end_)
        return fail ("unterminated string");
      char e = *p_++;
      switch (e) {
      case '/':
        canonical = false;
        put (e);
        break;
      case '"':
      case '\\':
        put (e);
        break;
      case 'b':
        put ('\b');
        break;
      case 'f':
        put ('\f');
        break;
      case 'n':
        put ('\n');
        break;
      case 'r':
        put ('\r');
        break;
      case 't':
        put ('\t');
        break;
      case 'u': {
        canonical = false;
        uint32_t cu;
        if (!parse_hex4 (cu))
          return false;
        if (cu >= 0xD800 && cu <= 0xDBFF && end_ - p_ >= 6 && p_[0] == '\\'
            && p_[1] == 'u') {
          const char *save = p_;
          p_ += 2;
          uint32_t low;
          if (!parse_hex4 (low))
            return false;
          if (low >= 0xDC00 && low <= 0xDFFF)
            cu = 0x10000 + ((cu - 0xD800) << 10) + (low - 0xDC00);
          else
            p_ = save; /* lone high surrogate, low read next */
        }
        if (out)
          append_utf8 (*out, cu);
        break;
      }
      default:
        return fail ("invalid escape");
      }
    }
  }

  bool
  parse_number (Value &v)
  {
    const char *start = p_;
    if (*p_ == '-')
      ++p_;
    if (p_ == end_)
      return fail ("invalid number");
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
        ++p_;
    } else {
      return fail ("invalid number");
    }
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9')
        return fail ("invalid number");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
        ++p_;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-'))
        ++p_;
      if (p_ == end_ || *p_ < '0' || *p_ > '9')
        return fail ("invalid number");
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
        ++p_;
    }
    std::string digits (start, p_ - start);
    v.type = Value::Type::NUMBER;
    v.number = g_ascii_strtod (digits.c_str (), nullptr);
    return true;
  }

  const char *p_;
  const char *end_;
  const ParseOptions &options_;
  std::string error_;
};

} // namespace

const Value *
Value::find (std::string_view key) const
{
  for (auto it = members.rbegin (); it != members.rend (); ++it) {
    if (it->key == key)
      return &it->value;
  }
  return nullptr;
}

std::string
Value::decoded_string () const
{
  if (decoded)
    return string;
  /* the source of a deferred string was checked when it was parsed */
  Value whole;
  parse (source, whole);
  return whole.string;
}

Value
Value::make_string (std::string s)
{
  Value v;
  v.type = Type::STRING;
  v.string = std::move (s);
  return v;
}

Value
Value::make_number (double n)
{
  Value v;
  v.type = Type::NUMBER;
  v.number = n;
  return v;
}

Value
Value::make_object ()
{
  Value v;
  v.type = Type::OBJECT;
  return v;
}

Value &
Value::add (std::string key, Value value)
{
  members.push_back (Member{ std::move (key), std::move (value) });
  return members.back ().value;
}

namespace {

/* UTF-8 without raw NUL (what g_utf8_validate_len() accepts), with ASCII,
 * nearly all of a tracker message, checked sixteen (SSE2) or eight bytes at
 * a time. */
bool
valid_utf8 (std::string_view text)
{
  constexpr uint64_t kLow = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto *s = reinterpret_cast<const unsigned char *> (text.data ());
  size_t n = text.size (), i = 0;
  while (i < n) {
#ifdef __SSE2__
    if (i + 16 <= n) {
      __m128i v = _mm_loadu_si128 (reinterpret_cast<const __m128i *> (s + i));
      /* no byte >= 0x80 (sign bits) and no zero byte */
      if (!_mm_movemask_epi8 (
              _mm_or_si128 (v, _mm_cmpeq_epi8 (v, _mm_setzero_si128 ())))) {
        i += 16;
        continue;
      }
    }
#endif
    if (i + 8 <= n) {
      uint64_t w;
      memcpy (&w, s + i, 8);
      /* no byte >= 0x80 and no zero byte */
      if (!((w | ((w - kLow) & ~w)) & kHigh)) {
        i += 8;
        continue;
      }
    }
    unsigned char c = s[i];
    if (c >= 0x01 && c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0)
        lo = 0xA0;
      else if (c == 0xED)
        hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0)
        lo = 0x90;
      else if (c == 0xF4)
        hi = 0x8F;
    } else {
      return false; /* NUL, a continuation byte, C0, C1, F5+ */
    }
    if (i + len > n || s[i + 1] < lo || s[i + 1] > hi)
      return false;
    for (size_t k = 2; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return false;
    }
    i += len;
  }
  return true;
}

} // namespace

bool
parse (std::string_view text, Value &out, std::string *error,
       const ParseOptions &options)
{
  out = Value ();
  /* One pass of UTF-8 validation up front (also refuses raw NUL), so the
   * parser can copy string runs without decoding them. */
  if (!valid_utf8 (text)) {
    if (error)
      *error = "invalid UTF-8";
    return false;
  }
  Parser parser (text, options);
  if (!parser.parse_document (out)) {
    if (error)
      *error = parser.error ();
    out = Value ();
    return false;
  }
  return true;
}

namespace {

const char kHexDigits[] = "0123456789abcdef";

void
write_escape (std::string &out, uint32_t cu)
{
  out += "\\u";
  out += kHexDigits[(cu >> 12) & 0xF];
  out += kHexDigits[(cu >> 8) & 0xF];
  out += kHexDigits[(cu >> 4) & 0xF];
  out += kHexDigits[cu & 0xF];
}

/* JSON.stringify's escape of a code point < 0x80 into @buf (6 bytes at
 * most); returns its length, 0 if @c is written as itself. */
size_t
ascii_escape (unsigned char c, char *buf)
{
  char letter = 0;
  switch (c) {
  case '"':
    letter = '"';
    break;
  case '\\':
    letter = '\\';
    break;
  case '\b':
    letter = 'b';
    break;
  case '\f':
    letter = 'f';
    break;
  case '\n':
    letter = 'n';
    break;
  case '\r':
    letter = 'r';
    break;
  case '\t':
    letter = 't';
    break;
  default:
    if (c >= 0x20)
      return 0;
    memcpy (buf, "\\u00", 4);
    buf[4] = kHexDigits[c >> 4];
    buf[5] = kHexDigits[c & 0xF];
    return 6;
  }
  buf[0] = '\\';
  buf[1] = letter;
  return 2;
}

} // namespace

void
write_string (std::string &out, std::string_view utf8)
{
  out += '"';
  size_t i = 0;
  size_t n = utf8.size ();
  while (i < n) {
    size_t run = i;
    while (run < n) {
      auto c = static_cast<unsigned char> (utf8[run]);
      if (c < 0x20 || c == '"' || c == '\\' || c == 0xED)
        break;
      ++run;
    }
    out.append (utf8.data () + i, run - i);
    i = run;
    if (i == n)
      break;
    auto c = static_cast<unsigned char> (utf8[i]);
    if (c == 0xED && i + 2 < n
        && static_cast<unsigned char> (utf8[i + 1]) >= 0xA0) {
      /* WTF-8 lone surrogate: JSON.stringify writes it as \udXXX */
      uint32_t cu = ((c & 0x0F) << 12)
                    | ((static_cast<unsigned char> (utf8[i + 1]) & 0x3F) << 6)
                    | (static_cast<unsigned char> (utf8[i + 2]) & 0x3F);
      write_escape (out, cu);
      i += 3;
      continue;
    }
    char escape[6];
    if (size_t n = ascii_escape (c, escape))
      out.append (escape, n);
    else
      out += static_cast<char> (c);
    ++i;
  }
  out += '"';
}

void
write_binary_string (std::string &out, std::string_view bytes)
{
  /* Built in a buffer and appended once: the tracker writes three 20-byte
   * ids into every message it relays. */
  char buf[6 * 32]; /* "\u00XX" per byte at worst */
  out += '"';
  for (size_t at = 0; at < bytes.size (); at += 32) {
    size_t n = 0;
    for (char ch : bytes.substr (at, 32)) {
      auto b = static_cast<unsigned char> (ch);
      if (b >= 0x80) {
        buf[n++] = static_cast<char> (0xC0 | (b >> 6));
        buf[n++] = static_cast<char> (0x80 | (b & 0x3F));
        continue;
      }
      if (size_t escaped = ascii_escape (b, buf + n))
        n += escaped;
      else
        buf[n++] = static_cast<char> (b);
    }
    out.append (buf, n);
  }
  out += '"';
}

bool
binary_from_utf8 (std::string_view utf8, uint8_t *bytes, size_t size)
{
  size_t n = 0;
  for (size_t i = 0; i < utf8.size (); i++, n++) {
    auto c = static_cast<unsigned char> (utf8[i]);
    if (n == size)
      return false;
    if (c < 0x80) {
      bytes[n] = c;
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < utf8.size ()) {
      auto c2 = static_cast<unsigned char> (utf8[i + 1]);
      bytes[n] = static_cast<uint8_t> (((c & 0x03) << 6) | (c2 & 0x3F));
      ++i;
    } else {
      return false; /* code point above U+00FF */
    }
  }
  return n == size;
}

size_t
utf16_length (std::string_view utf8)
{
  size_t units = 0;
  for (char ch : utf8) {
    auto c = static_cast<unsigned char> (ch);
    if ((c & 0xC0) != 0x80)
      units += c >= 0xF0 ? 2 : 1;
  }
  return units;
}

void
write_number (std::string &out, double n)
{
  /* Number.prototype.toString: shortest round-trip digits, then the
   * ECMAScript choice between plain and exponent notation. */
  if (!std::isfinite (n)) {
    out += "null";
    return;
  }
  if (n == 0) {
    out += '0';
    return;
  }
  if (n < 0) {
    out += '-';
    n = -n;
  }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  for (int precision = 1; precision <= 17; precision++) {
    char format[8];
    g_snprintf (format, sizeof format, "%%.%de", precision - 1);
    g_ascii_formatd (buf, sizeof buf, format, n);
    if (g_ascii_strtod (buf, nullptr) == n)
      break;
  }
  std::string digits;
  const char *p = buf;
  for (; *p && *p != 'e'; ++p) {
    if (*p >= '0' && *p <= '9')
      digits += *p;
  }
  int exponent = *p == 'e' ? atoi (p + 1) : 0;
  while (digits.size () > 1 && digits.back () == '0')
    digits.pop_back ();
  int k = static_cast<int> (digits.size ());
  int point = exponent + 1;
  if (k <= point && point <= 21) {
    out += digits;
    out.append (point - k, '0');
  } else if (0 < point && point <= 21) {
    out.append (digits, 0, point);
    out += '.';
    out.append (digits, point, std::string::npos);
  } else if (-6 < point && point <= 0) {
    out += "0.";
    out.append (-point, '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append (digits, 1, std::string::npos);
    }
    out += 'e';
    out += point - 1 >= 0 ? '+' : '-';
    out += std::to_string (std::abs (point - 1));
  }
}

void
write (std::string &out, const Value &value)
{
  switch (value.type) {
  case Value::Type::NULL_VALUE:
    out += "null";
    break;
  case Value::Type::BOOL:
    out += value.boolean ? "true" : "false";
    break;
  case Value::Type::NUMBER:
    write_number (out, value.number);
    break;
  case Value::Type::STRING:
    if (value.decoded)
      write_string (out, value.string);
    else
      write_string (out, value.decoded_string ());
    break;
  case Value::Type::ARRAY: {
    out += '[';
    bool first = true;
    for (const Value &item : value.items) {
      if (!first)
        out += ',';
      first = false;
      write (out, item);
    }
    out += ']';
    break;
  }
  case Value::Type::OBJECT: {
    /* JSON.parse keeps the last of duplicate keys, at the position of the
     * first; duplicates are rare enough to handle quadratically. */
    out += '{';
    bool first = true;
    for (size_t i = 0; i < value.members.size (); i++) {
      const Member &m = value.members[i];
      bool seen_before = false;
      for (size_t j = 0; j < i && !seen_before; j++)
        seen_before = value.members[j].key == m.key;
      if (seen_before)
        continue;
      if (!first)
        out += ',';
      first = false;
      write_string (out, m.key);
      out += ':';
      write (out, *value.find (m.key));
    }
    out += '}';
    break;
  }
  }
}

} // namespace p2p::webtorrent::json
