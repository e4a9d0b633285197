/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A small JSON reader and writer for tracker messages. Strings are
 * length-aware std::string (UTF-8, may hold U+0000), because the 20-byte
 * binary ids of the WebTorrent protocol carry \u0000 (PROTOCOLS.md §1.2) and
 * NUL-terminated JSON libraries cut them. The writer escapes exactly as
 * JavaScript's JSON.stringify, so relayed messages match bittorrent-tracker
 * byte for byte.
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace p2p::webtorrent::json {

struct Member;

class Value
{
public:
  enum class Type { NULL_VALUE, BOOL, NUMBER, STRING, ARRAY, OBJECT };

  Type type = Type::NULL_VALUE;
  bool boolean = false;
  double number = 0;
  std::string string;          /* UTF-8; lone surrogates as WTF-8 */
  std::vector<Value> items;    /* Array */
  std::vector<Member> members; /* Object, in source order */
  /* Set by parse(): this value's text in the parsed input (a view that
   * dangles once that input is gone), and whether write() would give
   * exactly these bytes back, so that a relay can copy them instead of
   * writing the value again. Conservative: any whitespace, number, \/ or
   * \u escape, or duplicate key makes it false. */
  std::string_view source;
  bool canonical = false;
  /* False for a string parse() only checked (ParseOptions::
   * defer_strings_over): `string` is empty, its JSON text is `source`. */
  bool decoded = true;

  /* A string's text, decoded now if parse() deferred it. */
  std::string decoded_string () const;

  bool
  is_string () const
  {
    return type == Type::STRING;
  }
  bool
  is_number () const
  {
    return type == Type::NUMBER;
  }
  bool
  is_object () const
  {
    return type == Type::OBJECT;
  }
  bool
  is_array () const
  {
    return type == Type::ARRAY;
  }
  bool
  is_null () const
  {
    return type == Type::NULL_VALUE;
  }

  /* The last member named @key (JSON.parse keeps the last duplicate), or
   * nullptr. Only meaningful on objects. */
  const Value *find (std::string_view key) const;

  static Value make_string (std::string s);
  static Value make_number (double n);
  static Value make_object ();
  /* Appends a member to an object and returns it. */
  Value &add (std::string key, Value value);
};

struct Member
{
  std::string key;
  Value value;
};

struct ParseOptions
{
  size_t max_depth = 16;
  /* Strings nested below the root's own members whose JSON text is longer
   * than this are checked but not decoded (Value::decoded), for a reader
   * that only relays them: a tracker never reads an SDP. */
  size_t defer_strings_over = SIZE_MAX;
};

/* Parses exactly one JSON text (RFC 8259, surrounding whitespace allowed).
 * The input must be valid UTF-8 without raw NUL, as a WebSocket text frame
 * is. On failure returns false and, if @error is set, a short reason. */
bool parse (std::string_view text, Value &out, std::string *error = nullptr,
            const ParseOptions &options = {});

/* Writers append to @out, JSON.stringify style (no whitespace). */
void write (std::string &out, const Value &value);
void write_string (std::string &out, std::string_view utf8);
void write_number (std::string &out, double n);

/* Binary strings (PROTOCOLS.md §1.2): each byte is one code point
 * U+0000..U+00FF. write_binary_string() writes @bytes as such a JSON string;
 * binary_from_utf8() turns a decoded string back into exactly @size bytes,
 * failing on any code point above U+00FF or any other count. */
void write_binary_string (std::string &out, std::string_view bytes);
bool binary_from_utf8 (std::string_view utf8, uint8_t *bytes, size_t size);

/* Number of UTF-16 code units of a UTF-8/WTF-8 string: JavaScript's
 * String.prototype.length, which bittorrent-tracker checks. */
size_t utf16_length (std::string_view utf8);

} // namespace p2p::webtorrent::json
