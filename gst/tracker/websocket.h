/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RFC 6455 framing and the HTTP/1.1 upgrade handshake, as pure functions
 * over byte buffers. The tracker server runs them on its own epoll loops
 * (see server.cpp for why not libsoup); the load generator and the tests
 * use the client side (masked frames).
 */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace p2p::tracker::ws {

enum Opcode : uint8_t {
  OPCODE_CONTINUATION = 0x0,
  OPCODE_TEXT = 0x1,
  OPCODE_BINARY = 0x2,
  OPCODE_CLOSE = 0x8,
  OPCODE_PING = 0x9,
  OPCODE_PONG = 0xA,
};

/* Close codes we send. */
enum CloseCode : uint16_t {
  CLOSE_NORMAL = 1000,
  CLOSE_GOING_AWAY = 1001,
  CLOSE_PROTOCOL_ERROR = 1002,
  CLOSE_UNSUPPORTED = 1003,
  CLOSE_INVALID_DATA = 1007,
  CLOSE_POLICY = 1008,
  CLOSE_TOO_BIG = 1009,
};

struct Frame
{
  bool fin = false;
  uint8_t opcode = 0;
  char *payload = nullptr; /* points into the parsed buffer, unmasked */
  size_t length = 0;
  size_t frame_size = 0; /* header + payload bytes consumed */
};

enum class FrameStatus { COMPLETE, NEED_MORE, INVALID, TOO_LARGE };

/* Parses one frame at @data. With @masked (server side) the frame must be
 * masked and is unmasked in place. Reserved bits, unknown opcodes, and
 * fragmented or long control frames are Invalid; a payload above
 * @max_payload is TooLarge as soon as the header says so. */
FrameStatus parse_frame (char *data, size_t size, bool masked,
                         size_t max_payload, Frame &out);

/* Appends a final frame. @mask (4 bytes) makes a client frame. */
void append_frame (std::string &out, uint8_t opcode, std::string_view payload,
                   const uint8_t *mask = nullptr);
void append_close (std::string &out, uint16_t code,
                   const uint8_t *mask = nullptr);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
std::string accept_key (std::string_view key);

struct HttpRequest
{
  std::string_view method;
  std::string_view target;
  std::vector<std::pair<std::string_view, std::string_view>> headers;

  /* Case-insensitive header lookup; empty if absent. */
  std::string_view header (std::string_view name) const;
  /* True if a comma-separated header lists @token (case-insensitive). */
  bool header_has_token (std::string_view name, std::string_view token) const;
};

enum class HttpStatus { COMPLETE, NEED_MORE, INVALID };

/* Parses a request head ending in an empty line; @consumed is its size.
 * The views point into @data. */
HttpStatus parse_http_request (std::string_view data, HttpRequest &out,
                               size_t &consumed);

} // namespace p2p::tracker::ws
