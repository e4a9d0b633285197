/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The P2P Media Loader 2.x peer wire codec: every hex vector of PROTOCOLS.md
 * §3.7, extra vectors produced by the published p2p-media-loader-core@2.3.1
 * (`lib/p2p/commands/commands.js` serializePeerCommand under node 20),
 * round trips, split commands and malformed input.
 */
#include <gst/check/gstcheck.h>

#include <string>

#include "gst/p2p/common/error.h"
#include "gst/p2p/peer/wire-codec.h"

/* fail_unless_equals_string would keep a pointer into a temporary. */
#define assert_str_eq(actual, expected)                                        \
  do {                                                                         \
    const std::string a_ = (actual), e_ = (expected);                          \
    fail_unless (a_ == e_, "%s is '%s', not '%s'", #actual, a_.c_str (),       \
                 e_.c_str ());                                                 \
  } while (0)

using namespace p2p;
using namespace p2p::peer::wire;

static std::string
to_hex (const uint8_t *data, size_t size)
{
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < size; i++) {
    hex += digits[data[i] >> 4];
    hex += digits[data[i] & 0xf];
  }
  return hex;
}

static std::string
to_hex (GBytes *bytes)
{
  gsize size;
  const auto *data
      = static_cast<const uint8_t *> (g_bytes_get_data (bytes, &size));
  return to_hex (data, size);
}

/* Parses hex, ignoring spaces and the brackets used in PROTOCOLS.md. */
static Bytes
from_hex (const std::string &text)
{
  Bytes out;
  std::string digits;
  for (char c : text)
    if (g_ascii_isxdigit (c))
      digits += c;
  fail_unless (digits.size () % 2 == 0, "odd hex: %s", text.c_str ());
  for (size_t i = 0; i < digits.size (); i += 2)
    out.push_back (uint8_t (g_ascii_xdigit_value (digits[i]) * 16
                            + g_ascii_xdigit_value (digits[i + 1])));
  return out;
}

static GBytesPtr
bytes_of (const Bytes &bytes)
{
  return GBytesPtr (g_bytes_new (bytes.data (), bytes.size ()));
}

static std::string
encode_one (const Command &command)
{
  std::vector<BytesRef> messages;
  GErrorOut err;
  fail_unless (
      encode_command (command, kDefaultMaxMessageSize, &messages, err.out ()));
  fail_unless_equals_int (messages.size (), 1);
  return to_hex (messages[0].get ());
}

static Command
decode_one (const std::string &hex)
{
  WireReceiver receiver;
  Command command;
  GErrorOut err;
  auto message = bytes_of (from_hex (hex));
  auto result = receiver.feed (message.get (), &command, err.out ());
  fail_unless (result == WireReceiver::Result::COMMAND, "%s: %s", hex.c_str (),
               err ? err.get ()->message : "no command");
  return command;
}

static void
check_vector (const Command &command, const std::string &hex)
{
  const std::string expected
      = to_hex (from_hex (hex).data (), from_hex (hex).size ());
  assert_str_eq (encode_one (command), expected);
  fail_unless (decode_one (hex) == command, "decoding %s", hex.c_str ());
}

GST_START_TEST (test_protocols_vectors)
{
  /* PROTOCOLS.md §3.7, verbatim. */
  check_vector (Command::request (1234, 42),
                "63737472 01 69 02 04d2 72 01 2a 63656e64");
  check_vector (Command::request (1234, 42, 65535),
                "63737472 01 69 0204d2 72 012a 62 0300ffff 63656e64");
  check_vector (Command::data (1234, 42, 1500000),
                "63737472 02 69 0204d2 73 0316e360 72 012a 63656e64");
  check_vector (Command::completed (1234, 42),
                "63737472 03 69 0204d2 72 012a 63656e64");
  check_vector (Command::absent (7, 999),
                "63737472 04 69 0107 72 0203e7 63656e64");
  check_vector (Command::cancel (0, 0), "63737472 05 69 0100 72 0100 63656e64");
  check_vector (
      Command::announcement ({ 100, 101, 102, 300 }, { 103 }),
      "63737472 00 6c 10 02 [01 03] 64 65 66 [02 0101] 2c 70 10 01 [01 01] 67 "
      "63656e64");
  check_vector (Command::announcement ({}, {}), "63737472 00 63656e64");
}

GST_END_TEST;

GST_START_TEST (test_npm_231_vectors)
{
  check_vector (Command::data (-7, 0, 0),
                "637374720269018773010072010063656e64");
  check_vector (Command::announcement ({ -1, -300, 5, 1000000 }, {}),
                "63737472006c10040280ffff0281ffd4010105030f42014063656e64");
  check_vector (Command::request (9007199254740991, 999, 1),
                "637374720169071fffffffffffff720203e762010163656e64");
  check_vector (Command::announcement ({ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, {}),
                "63737472006c1001010a0102030405060708090a63656e64");

  /* The same announcement split with webRtcMaxMessageSize = 20. */
  Command split = Command::announcement ({ 1,  2,  3,  4,  5,   6,   7,  8,
                                           9,  10, 11, 12, 13,  14,  15, 16,
                                           17, 18, 19, 20, 300, 301, 302 },
                                         {});
  std::vector<BytesRef> messages;
  GErrorOut err;
  fail_unless (encode_command (split, 20, &messages, err.out ()));
  fail_unless_equals_int (messages.size (), 3);
  assert_str_eq (to_hex (messages[0].get ()),
                 "63737472006c10020114010203040564656e64");
  assert_str_eq (to_hex (messages[1].get ()),
                 "64737472060708090a0b0c0d0e0f1064656e64");
  assert_str_eq (to_hex (messages[2].get ()),
                 "64737472111213140201032c2d2e63656e64");
}

GST_END_TEST;

static std::string
int_hex (int64_t value)
{
  Bytes out;
  append_int (out, value);
  return to_hex (out.data (), out.size ());
}

static int64_t
read_back (const Bytes &bytes)
{
  Reader reader (bytes.data (), bytes.size ());
  int64_t value = 0;
  GErrorOut err;
  fail_unless (reader.read_int (&value, err.out ()));
  fail_unless (reader.at_end ());
  return value;
}

GST_START_TEST (test_int)
{
  assert_str_eq (int_hex (42), "012a");
  assert_str_eq (int_hex (1234), "0204d2");
  assert_str_eq (int_hex (65535), "0300ffff");
  assert_str_eq (int_hex (-5), "0185");
  assert_str_eq (int_hex (0), "0100");
  assert_str_eq (int_hex (127), "017f");
  assert_str_eq (int_hex (128), "020080");
  assert_str_eq (int_hex (32767), "027fff");
  assert_str_eq (int_hex (32768), "03008000");
  assert_str_eq (int_hex (G_MAXINT64), "087fffffffffffffff");
  assert_str_eq (int_hex (G_MININT64), "09808000000000000000");

  for (int64_t v :
       { int64_t (0), int64_t (1), int64_t (-1), int64_t (255), int64_t (-256),
         int64_t (1) << 40, G_MAXINT64, G_MININT64 }) {
    Bytes out;
    append_int (out, v);
    fail_unless (read_back (out) == v, "round trip of %" G_GINT64_FORMAT, v);
  }

  /* N = 0 reads as 0, as in P2P Media Loader; "negative zero" as 0. */
  fail_unless (read_back ({ 0x00 }) == 0);
  fail_unless (read_back ({ 0x01, 0x80 }) == 0);
  /* Leading zero bytes are tolerated. */
  fail_unless (read_back ({ 0x04, 0x00, 0x00, 0x00, 0x2a }) == 42);

  struct
  {
    Bytes bytes;
    const char *why;
  } bad[] = {
    { { 0x02, 0x01 }, "truncated" },
    { {}, "empty" },
    { { 0x09, 0x7f, 0xff, 0, 0, 0, 0, 0, 0, 0 }, "beyond 64 bits" },
    { { 0x09, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0 }, "2^63 positive" },
    { { 0x09, 0x80, 0x80, 0, 0, 0, 0, 0, 0, 1 }, "below INT64_MIN" },
    { { 0x10, 0x00 }, "wrong type" },
  };
  for (const auto &b : bad) {
    Reader reader (b.bytes.data (), b.bytes.size ());
    int64_t value;
    GErrorOut err;
    fail_if (reader.read_int (&value, err.out ()), "accepted: %s", b.why);
    fail_unless (
        g_error_matches (err.get (), GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL),
        "%s", b.why);
  }
}

GST_END_TEST;

static std::vector<int64_t>
array_round_trip (const std::vector<int64_t> &values, Bytes *encoded)
{
  GErrorOut err;
  fail_unless (append_similar_int_array (*encoded, values, err.out ()));
  Reader reader (encoded->data (), encoded->size ());
  std::vector<int64_t> decoded;
  fail_unless (reader.read_similar_int_array (&decoded, err.out ()));
  fail_unless (reader.at_end ());
  return decoded;
}

GST_START_TEST (test_similar_int_array)
{
  /* Groups in first-seen order, values in input order inside a group. */
  Bytes encoded;
  auto decoded = array_round_trip ({ 300, 5, 301, 6 }, &encoded);
  assert_str_eq (to_hex (encoded.data (), encoded.size ()), "1002020102"
                                                            "2c2d"
                                                            "0102"
                                                            "0506");
  std::vector<int64_t> expected = { 300, 301, 5, 6 };
  fail_unless (decoded == expected);

  /* A full block of 256 values (and duplicates) splits into groups of at
   * most 255 with the same high part; the values read back unchanged. */
  std::vector<int64_t> block;
  for (int64_t v = 512; v < 768; v++)
    block.push_back (v);
  block.push_back (600);
  encoded.clear ();
  decoded = array_round_trip (block, &encoded);
  fail_unless (decoded == block);
  fail_unless_equals_int (encoded[1], 2);    /* two wire groups */
  fail_unless_equals_int (encoded[2], 0x02); /* Int of 2 bytes */
  fail_unless_equals_int (encoded[3], 0x02); /* 512 | 255 = 0x02ff */
  fail_unless_equals_int (encoded[4], 0xff);

  /* 255 groups fit, 256 are refused (P2P Media Loader would write 0). */
  std::vector<int64_t> spread;
  for (int64_t g = 0; g < 255; g++)
    spread.push_back (g * 256);
  encoded.clear ();
  fail_unless (array_round_trip (spread, &encoded) == spread);
  spread.push_back (255 * 256);
  GErrorOut err;
  encoded.clear ();
  fail_if (append_similar_int_array (encoded, spread, err.out ()));
  fail_unless (
      g_error_matches (err.get (), GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL));
  fail_if (encode_command_body (Command::announcement (spread, {}), &encoded,
                                err.out ()));

  /* Truncated group bytes and a group header of the wrong type. */
  for (const char *hex : { "1001"
                           "0103"
                           "6465",
                           "1001"
                           "2003",
                           "1002"
                           "0101"
                           "05" }) {
    Bytes bytes = from_hex (hex);
    Reader reader (bytes.data (), bytes.size ());
    fail_if (reader.read_similar_int_array (&decoded, err.out ()), "%s", hex);
  }
}

GST_END_TEST;

GST_START_TEST (test_string)
{
  Bytes out;
  GErrorOut err;
  fail_unless (append_string (out, "abc", err.out ()));
  assert_str_eq (to_hex (out.data (), out.size ()), "2003616263");
  std::string long_text (kMaxStringBytes, 'x');
  out.clear ();
  fail_unless (append_string (out, long_text, err.out ()));
  fail_unless_equals_int (out[0], 0x2f);
  fail_unless_equals_int (out[1], 0xff);
  Reader reader (out.data (), out.size ());
  std::string read;
  fail_unless (reader.read_string (&read, err.out ()));
  fail_unless (read == long_text);
  fail_if (append_string (out, long_text + "x", err.out ()));

  /* A request carrying an extra string field still decodes. */
  fail_unless (decode_one ("63737472 01 78 2003616263 69 0107 72 0101 "
                           "63656e64")
               == Command::request (7, 1));
}

GST_END_TEST;

GST_START_TEST (test_field_order_and_repeats)
{
  /* r before i, and a repeated i: the last one wins. */
  fail_unless (decode_one ("63737472 04 72 0109 69 0101 69 0102 63656e64")
               == Command::absent (2, 9));
  /* A zero b written explicitly is accepted. */
  fail_unless (decode_one ("63737472 01 69 0101 72 0101 62 0100 63656e64")
               == Command::request (1, 1));
  /* Fields a command does not use are skipped, whatever their type. */
  fail_unless (decode_one ("63737472 00 69 0101 6c 1001 0101 07 63656e64")
               == Command::announcement ({ 7 }, {}));
}

GST_END_TEST;

static Command
big_announcement ()
{
  /* 255 groups of 255 values in each list: a body of ~132 KB. */
  std::vector<int64_t> loaded, loading;
  for (int64_t g = 0; g < 255; g++) {
    for (int64_t low = 0; low < 255; low++) {
      loaded.push_back (4000 * 256 + g * 256 + low);
      loading.push_back (9000 * 256 + g * 256 + low);
    }
  }
  return Command::announcement (loaded, loading);
}

GST_START_TEST (test_split_command)
{
  const Command command = big_announcement ();
  Bytes body;
  GErrorOut err;
  fail_unless (encode_command_body (command, &body, err.out ()));
  fail_unless (body.size () > 2 * kDefaultMaxMessageSize);

  std::vector<BytesRef> messages;
  fail_unless (
      encode_command (command, kDefaultMaxMessageSize, &messages, err.out ()));
  fail_unless_equals_int (messages.size (), 3);
  const size_t slice = (body.size () + 2) / 3;
  for (size_t i = 0; i < messages.size (); i++) {
    gsize size;
    const auto *data = static_cast<const uint8_t *> (
        g_bytes_get_data (messages[i].get (), &size));
    fail_unless (size <= kDefaultMaxMessageSize);
    fail_unless (is_command_chunk (data, size));
    fail_unless_equals_int (memcmp (data, i == 0 ? "cstr" : "dstr", 4), 0);
    fail_unless_equals_int (
        memcmp (data + size - 4, i == 2 ? "cend" : "dend", 4), 0);
    fail_unless_equals_int (size - kFrameOverhead,
                            i < 2 ? slice : body.size () - 2 * slice);
  }

  /* Reassembly, with a payload chunk interleaved (it passes through). */
  WireReceiver receiver;
  Command decoded;
  fail_unless (receiver.feed (messages[0].get (), &decoded, err.out ())
               == WireReceiver::Result::NEED_MORE);
  fail_unless (receiver.assembling ());
  auto payload = bytes_of ({ 0x47, 0x40, 0x00, 0x10 });
  fail_unless (receiver.feed (payload.get (), &decoded, err.out ())
               == WireReceiver::Result::PAYLOAD);
  fail_unless (receiver.feed (messages[1].get (), &decoded, err.out ())
               == WireReceiver::Result::NEED_MORE);
  fail_unless (receiver.feed (messages[2].get (), &decoded, err.out ())
               == WireReceiver::Result::COMMAND);
  fail_if (receiver.assembling ());
  fail_unless (decoded == command);
}

GST_END_TEST;

GST_START_TEST (test_split_sizes)
{
  /* P2P Media Loader's slice count: ceil(200/100) = 2 slices of 100 do not
   * fit with the 8 frame bytes, so 3 slices of 67, 67 and 66. */
  Bytes body (200, 0xab);
  auto messages = frame_command_body (body, 100);
  fail_unless_equals_int (messages.size (), 3);
  fail_unless_equals_int (g_bytes_get_size (messages[0].get ()), 75);
  fail_unless_equals_int (g_bytes_get_size (messages[1].get ()), 75);
  fail_unless_equals_int (g_bytes_get_size (messages[2].get ()), 74);

  /* Exactly max - 8 bytes still fits one message. */
  Bytes fits (92, 0x01);
  fail_unless_equals_int (frame_command_body (fits, 100).size (), 1);
  Bytes over (93, 0x01);
  fail_unless_equals_int (frame_command_body (over, 100).size (), 2);

  /* Tiny slices reassemble too: 10 bytes in slices of 4, 4 and 2. The
   * body repeats i, so the last slice's value wins. */
  Bytes body10 = { 0x05, 0x69, 0x01, 0x03, 0x72, 0x01, 0x04, 0x69, 0x01, 0x05 };
  auto slices = frame_command_body (body10, 12);
  fail_unless_equals_int (slices.size (), 3);
  fail_unless_equals_int (g_bytes_get_size (slices[2].get ()), 10);
  WireReceiver receiver;
  Command decoded;
  GErrorOut err;
  WireReceiver::Result result = WireReceiver::Result::NEED_MORE;
  for (auto &slice : slices)
    result = receiver.feed (slice.get (), &decoded, err.out ());
  fail_unless (result == WireReceiver::Result::COMMAND);
  fail_unless (decoded == Command::cancel (5, 4));
}

GST_END_TEST;

GST_START_TEST (test_payload_chunks)
{
  const size_t total = 150000;
  auto *data = static_cast<uint8_t *> (g_malloc (total));
  for (size_t i = 0; i < total; i++)
    data[i] = uint8_t (i * 7);
  GBytesPtr whole (g_bytes_new_take (data, total));
  ChunkedBytes segment (whole.get ());

  auto chunks = split_payload (segment, 0, kDefaultMaxMessageSize);
  fail_unless_equals_int (chunks.size (), 3);
  fail_unless_equals_int (chunks[0].size (), 65535);
  fail_unless_equals_int (chunks[1].size (), 65535);
  fail_unless_equals_int (chunks[2].size (), 18930);
  /* Zero-copy: the chunks point into the segment. */
  fail_unless (chunks[1].data () == data + 65535);

  /* A resumed upload starts at the requested byte. */
  chunks = split_payload (segment, 140000, kDefaultMaxMessageSize);
  fail_unless_equals_int (chunks.size (), 1);
  fail_unless_equals_int (chunks[0].size (), 10000);
  fail_unless (split_payload (segment, total, 65535).empty ());

  /* A segment received in messages goes on in the same messages. */
  ChunkedBytes received;
  for (const BytesRef &message : split_payload (segment, 0, 16384))
    received.append (message.get ());
  chunks = split_payload (received, 1000, kDefaultMaxMessageSize);
  fail_unless_equals_int (chunks.size (), 10);
  fail_unless_equals_int (chunks[0].size (), 16384 - 1000);
  fail_unless (chunks[0].data () == data + 1000);
  fail_unless (chunks[1].data () == data + 16384);

  /* The receiver hands payload back untouched. */
  WireReceiver receiver;
  Command command;
  GErrorOut err;
  for (auto &chunk : split_payload (segment, 0, 65535))
    fail_unless (receiver.feed (chunk.get (), &command, err.out ())
                 == WireReceiver::Result::PAYLOAD);
}

GST_END_TEST;

/* gst-p2p 2 fields: written only when set (so P2P Media Loader's vectors
 * stay as they are), read back, and skipped by a reader of another
 * command type; a command code from a newer peer is tolerated. */
GST_START_TEST (test_gst_p2p_fields)
{
  Command request = Command::request (42, 7, 1000);
  request.byte_to = 200000;
  request.stripe = 3;
  fail_unless (decode_one (encode_one (request)) == request);
  /* "e" and "k" follow P2P Media Loader's own fields. */
  assert_str_eq (encode_one (request).substr (0, 30),
                 encode_one (Command::request (42, 7, 1000)).substr (0, 30));

  Command data = Command::data (42, 7, 187500);
  data.offset = 187500;
  data.segment_size = 750000;
  data.chunk_hashes = std::string (64 * 12, 'a');
  data.cut_through = 1;
  fail_unless (decode_one (encode_one (data)) == data);

  Command announcement = Command::announcement ({ 40, 41 }, { 42 });
  announcement.depths = { 0, 2, -1, 1 };
  announcement.ancestors = { 123456789, 987654321, 55555 };
  announcement.free_slots = 3;
  announcement.relay_slots = 7;
  fail_unless (decode_one (encode_one (announcement)) == announcement);
  /* Unset, they are not written: the plain announcement's bytes. */
  announcement.depths.clear ();
  announcement.ancestors.clear ();
  announcement.free_slots = -1;
  announcement.relay_slots = -1;
  assert_str_eq (encode_one (announcement),
                 encode_one (Command::announcement ({ 40, 41 }, { 42 })));

  /* A request's fields mean nothing in an announcement: skipped. */
  std::string one = encode_one (Command::announcement ({ 1 }, {}));
  Command plain = decode_one (one.substr (0, one.size () - 8) + "6501056b0102"
                              + "63656e64");
  fail_unless (plain.loaded == std::vector<int64_t> ({ 1 }));
  fail_unless_equals_int64 (plain.byte_to, 0);
  fail_unless_equals_int64 (plain.stripe, 0);

  Command unknown = decode_one ("63737472 09 69 0101 7a 0102 63656e64");
  fail_unless (unknown.type == CommandType::UNKNOWN);
}

GST_END_TEST;

GST_START_TEST (test_command_detection)
{
  auto check = [] (const char *text, bool expected) {
    fail_unless (is_command_chunk (reinterpret_cast<const uint8_t *> (text),
                                   strlen (text))
                     == expected,
                 "%s", text);
  };
  check ("cstrcend", true);
  check ("dstrxdend", true);
  check ("cstrxxdend", true);
  check ("dstrcend", true);
  check ("cstrcen", false);
  check ("cstr", false);
  check ("cstrcenx", false);
  check ("xstrcend", false);
  check ("", false);
}

GST_END_TEST;

static void
expect_error (WireReceiver &receiver, const Bytes &message, const char *why)
{
  Command command;
  GErrorOut err;
  auto bytes = bytes_of (message);
  fail_unless (receiver.feed (bytes.get (), &command, err.out ())
                   == WireReceiver::Result::ERROR,
               "no error for %s", why);
  fail_unless (
      g_error_matches (err.get (), GST_P2P_ERROR, GST_P2P_ERROR_PROTOCOL), "%s",
      why);
  fail_if (receiver.assembling (), "%s", why);
}

/* Relay paths travel as eight hex digits per relay id: either case is
 * read, any other byte is a protocol error (the digits are read through a
 * table, so its edges are checked: '/', ':', '@', 'G', '`', 'g'). */
GST_START_TEST (test_relay_path_digits)
{
  Command announcement = Command::announcement ({ 40 }, {});
  announcement.depths = { 1 };
  announcement.ancestors = { 0x075bcd15, 0xabcdef09 };
  const std::string hex = encode_one (announcement);
  auto text_hex = [] (const char *text) {
    return to_hex (reinterpret_cast<const uint8_t *> (text), strlen (text));
  };
  const std::string written = text_hex ("075bcd15abcdef09");
  const size_t at = hex.find (written);
  fail_unless (at != std::string::npos, "paths not found in %s", hex.c_str ());
  auto with_paths = [&] (const char *text) {
    std::string changed = hex;
    changed.replace (at, written.size (), text_hex (text));
    return changed;
  };
  fail_unless (decode_one (with_paths ("075BCD15ABCDEF09")) == announcement);
  for (const char *bad :
       { "075bcd15abcdef0/", "075bcd15abcdef0:", "075bcd15abcdef0@",
         "075bcd15abcdef0G", "075bcd15abcdef0`", "g75bcd15abcdef09" }) {
    WireReceiver receiver;
    expect_error (receiver, from_hex (with_paths (bad)), bad);
  }
}

GST_END_TEST;

GST_START_TEST (test_malformed)
{
  WireReceiver receiver;
  struct
  {
    const char *hex;
    const char *why;
  } bad[] = {
    { "63737472 63656e64", "empty body" },
    { "63737472 01 69 3001 72 0101 63656e64", "unknown item type" },
    { "63737472 01 69 0204 63656e64", "truncated Int" },
    { "63737472 01 69 0101 63656e64", "request without r" },
    { "63737472 02 69 0101 72 0101 63656e64", "data without s" },
    { "63737472 02 69 0101 73 0181 72 0101 63656e64", "negative size" },
    { "63737472 01 69 0101 72 0101 62 0181 63656e64", "negative offset" },
    { "63737472 01 69 1000 72 0101 63656e64", "array where Int expected" },
    { "63737472 00 6c 0101 63656e64", "Int where array expected" },
    { "63737472 00 6c 63656e64", "field name without item" },
    { "64737472 0101 63656e64", "continuation without first chunk" },
    { "64737472 0101 64656e64", "middle chunk without first chunk" },
  };
  for (const auto &b : bad)
    expect_error (receiver, from_hex (b.hex), b.why);

  /* A new command while one is being assembled drops both; the receiver
   * then works again. */
  Command command;
  GErrorOut err;
  auto first = bytes_of (from_hex ("63737472 01 69 64656e64"));
  fail_unless (receiver.feed (first.get (), &command, err.out ())
               == WireReceiver::Result::NEED_MORE);
  expect_error (receiver, from_hex ("63737472 05 69 0101 72 0101 63656e64"),
                "cstr while assembling");
  fail_unless (decode_one ("63737472 05 69 0101 72 0101 63656e64")
               == Command::cancel (1, 1));

  /* A reassembled command may not grow without bound. */
  auto start = bytes_of (from_hex ("63737472 00 64656e64"));
  fail_unless (receiver.feed (start.get (), &command, err.out ())
               == WireReceiver::Result::NEED_MORE);
  Bytes middle = from_hex ("64737472");
  middle.resize (4 + 65000, 0);
  Bytes end = from_hex ("64656e64");
  middle.insert (middle.end (), end.begin (), end.end ());
  auto middle_bytes = bytes_of (middle);
  WireReceiver::Result result = WireReceiver::Result::NEED_MORE;
  for (int i = 0; i < 20 && result == WireReceiver::Result::NEED_MORE; i++)
    result = receiver.feed (middle_bytes.get (), &command, err.out ());
  fail_unless (result == WireReceiver::Result::ERROR);
  fail_if (receiver.assembling ());
}

GST_END_TEST;

GST_START_TEST (test_round_trips)
{
  const Command commands[] = {
    Command::announcement ({ 5, 6, 7, 1000, 1001, -3 }, { 8 }),
    Command::announcement ({}, { 1, 2 }),
    Command::request (G_MAXINT64, 0, 123456789),
    Command::data (42, 999, G_MAXINT64),
    Command::completed (-1, -999),
    Command::absent (G_MININT64, 500),
    Command::cancel (1 << 20, 1),
  };
  for (const Command &c : commands) {
    std::vector<BytesRef> messages;
    GErrorOut err;
    fail_unless (
        encode_command (c, kDefaultMaxMessageSize, &messages, err.out ()));
    fail_unless_equals_int (messages.size (), 1);
    WireReceiver receiver;
    Command decoded;
    fail_unless (receiver.feed (messages[0].get (), &decoded, err.out ())
                 == WireReceiver::Result::COMMAND);
    fail_unless (decoded == c, "%s", command_type_name (c.type));
  }
}

GST_END_TEST;

static Suite *
wire_codec_suite (void)
{
  Suite *s = suite_create ("wire-codec");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_protocols_vectors);
  tcase_add_test (tc, test_npm_231_vectors);
  tcase_add_test (tc, test_int);
  tcase_add_test (tc, test_similar_int_array);
  tcase_add_test (tc, test_string);
  tcase_add_test (tc, test_field_order_and_repeats);
  tcase_add_test (tc, test_split_command);
  tcase_add_test (tc, test_split_sizes);
  tcase_add_test (tc, test_payload_chunks);
  tcase_add_test (tc, test_command_detection);
  tcase_add_test (tc, test_gst_p2p_fields);
  tcase_add_test (tc, test_relay_path_digits);
  tcase_add_test (tc, test_malformed);
  tcase_add_test (tc, test_round_trips);
  return s;
}

GST_CHECK_MAIN (wire_codec);
