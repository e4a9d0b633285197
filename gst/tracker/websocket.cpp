/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/websocket.h"

#include <cstring>

#include <glib.h>

namespace p2p::tracker::ws {

namespace {

bool
iequals (std::string_view a, std::string_view b)
{
  return a.size () == b.size ()
         && g_ascii_strncasecmp (a.data (), b.data (), a.size ()) == 0;
}

std::string_view
trim (std::string_view s)
{
  while (!s.empty () && (s.front () == ' ' || s.front () == '\t'))
    s.remove_prefix (1);
  while (!s.empty () && (s.back () == ' ' || s.back () == '\t'))
    s.remove_suffix (1);
  return s;
}

} // namespace

namespace {

/* XORs @data with the 4-byte @mask, eight bytes at a time. */
void
apply_mask (char *data, size_t size, const char *mask)
{
  uint32_t m32;
  memcpy (&m32, mask, 4);
  const uint64_t m64 = (static_cast<uint64_t> (m32) << 32) | m32;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    memcpy (&w, data + i, 8);
    w ^= m64;
    memcpy (data + i, &w, 8);
  }
  for (; i < size; i++)
    data[i] ^= mask[i & 3];
}

} // namespace

FrameStatus
parse_frame (char *data, size_t size, bool masked, size_t max_payload,
             Frame &out)
{
  if (size < 2)
    return FrameStatus::NEED_MORE;
  auto b0 = static_cast<uint8_t> (data[0]);
  auto b1 = static_cast<uint8_t> (data[1]);
  out.fin = (b0 & 0x80) != 0;
  out.opcode = b0 & 0x0F;
  if (b0 & 0x70)
    return FrameStatus::INVALID; /* no extension was negotiated */
  bool is_masked = (b1 & 0x80) != 0;
  if (is_masked != masked)
    return FrameStatus::INVALID;
  bool control = (out.opcode & 0x08) != 0;
  switch (out.opcode) {
  case OPCODE_CONTINUATION:
  case OPCODE_TEXT:
  case OPCODE_BINARY:
  case OPCODE_CLOSE:
  case OPCODE_PING:
  case OPCODE_PONG:
    break;
  default:
    return FrameStatus::INVALID;
  }

  uint64_t length = b1 & 0x7F;
  size_t header = 2;
  if (length == 126) {
    if (size < 4)
      return FrameStatus::NEED_MORE;
    length = (static_cast<uint64_t> (static_cast<uint8_t> (data[2])) << 8)
             | static_cast<uint8_t> (data[3]);
    header = 4;
  } else if (length == 127) {
    if (size < 10)
      return FrameStatus::NEED_MORE;
    length = 0;
    for (int i = 2; i < 10; i++)
      length = (length << 8) | static_cast<uint8_t> (data[i]);
    if (length >> 63)
      return FrameStatus::INVALID;
    header = 10;
  }
  if (control && (!out.fin || length > 125))
    return FrameStatus::INVALID;
  if (length > max_payload)
    return FrameStatus::TOO_LARGE;
  size_t mask_at = header;
  if (masked)
    header += 4;
  if (size < header + length)
    return FrameStatus::NEED_MORE;

  out.payload = data + header;
  out.length = static_cast<size_t> (length);
  out.frame_size = header + out.length;
  if (masked)
    apply_mask (out.payload, out.length, data + mask_at);
  return FrameStatus::COMPLETE;
}

void
append_frame (std::string &out, uint8_t opcode, std::string_view payload,
              const uint8_t *mask)
{
  uint8_t mask_bit = mask ? 0x80 : 0;
  out += static_cast<char> (0x80 | opcode);
  size_t n = payload.size ();
  if (n < 126) {
    out += static_cast<char> (mask_bit | n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char> (mask_bit | 126);
    out += static_cast<char> (n >> 8);
    out += static_cast<char> (n & 0xFF);
  } else {
    out += static_cast<char> (mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out += static_cast<char> ((static_cast<uint64_t> (n) >> shift) & 0xFF);
  }
  if (!mask) {
    out.append (payload);
    return;
  }
  out.append (reinterpret_cast<const char *> (mask), 4);
  size_t at = out.size ();
  out.append (payload);
  apply_mask (&out[at], n, reinterpret_cast<const char *> (mask));
}

void
append_close (std::string &out, uint16_t code, const uint8_t *mask)
{
  char payload[2]
      = { static_cast<char> (code >> 8), static_cast<char> (code & 0xFF) };
  append_frame (out, OPCODE_CLOSE, std::string_view (payload, 2), mask);
}

std::string
accept_key (std::string_view key)
{
  static const char kGuid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  GChecksum *sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (sha1, reinterpret_cast<const guchar *> (key.data ()),
                     key.size ());
  g_checksum_update (sha1, reinterpret_cast<const guchar *> (kGuid),
                     sizeof kGuid - 1);
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  g_checksum_get_digest (sha1, digest, &digest_len);
  g_checksum_free (sha1);
  gchar *b64 = g_base64_encode (digest, digest_len);
  std::string result (b64);
  g_free (b64);
  return result;
}

std::string_view
HttpRequest::header (std::string_view name) const
{
  for (const auto &h : headers) {
    if (iequals (h.first, name))
      return h.second;
  }
  return {};
}

bool
HttpRequest::header_has_token (std::string_view name,
                               std::string_view token) const
{
  for (const auto &h : headers) {
    if (!iequals (h.first, name))
      continue;
    std::string_view rest = h.second;
    while (!rest.empty ()) {
      size_t comma = rest.find (',');
      if (iequals (trim (rest.substr (0, comma)), token))
        return true;
      if (comma == std::string_view::npos)
        break;
      rest.remove_prefix (comma + 1);
    }
  }
  return false;
}

HttpStatus
parse_http_request (std::string_view data, HttpRequest &out, size_t &consumed)
{
  size_t end = data.find ("\r\n\r\n");
  if (end == std::string_view::npos)
    return HttpStatus::NEED_MORE;
  consumed = end + 4;
  out = HttpRequest ();
  std::string_view head = data.substr (0, end + 2);

  size_t eol = head.find ("\r\n");
  std::string_view line = head.substr (0, eol);
  size_t sp1 = line.find (' ');
  size_t sp2 = line.rfind (' ');
  if (sp1 == std::string_view::npos || sp2 == sp1
      || line.substr (sp2 + 1).substr (0, 5) != "HTTP/")
    return HttpStatus::INVALID;
  out.method = line.substr (0, sp1);
  out.target = line.substr (sp1 + 1, sp2 - sp1 - 1);
  if (out.method.empty () || out.target.empty ())
    return HttpStatus::INVALID;

  head.remove_prefix (eol + 2);
  while (!head.empty ()) {
    eol = head.find ("\r\n");
    line = head.substr (0, eol);
    head.remove_prefix (eol + 2);
    size_t colon = line.find (':');
    if (colon == 0 || colon == std::string_view::npos)
      return HttpStatus::INVALID;
    out.headers.emplace_back (line.substr (0, colon),
                              trim (line.substr (colon + 1)));
  }
  return HttpStatus::COMPLETE;
}

} // namespace p2p::tracker::ws
