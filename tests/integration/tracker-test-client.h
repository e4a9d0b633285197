/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A blocking WebSocket client for tracker tests: connect to 127.0.0.1
 * (plain or TLS), send text or raw bytes, receive frames with a timeout;
 * and expect_message (), the next message, parsed and of the kind
 * expected.
 */
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gst/check/gstcheck.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "gst/webtorrent/protocol.h"
#include "gst/tracker/websocket.h"

namespace p2p::tracker::test {

using namespace webtorrent;

class TestClient
{
public:
  struct Frame
  {
    uint8_t opcode = 0;
    std::string payload;
  };

  ~TestClient ()
  {
    if (ssl_)
      SSL_free (ssl_);
    if (ssl_ctx_)
      SSL_CTX_free (ssl_ctx_);
    if (fd_ >= 0)
      close (fd_);
  }

  /* Opens a TCP connection, without the WebSocket handshake. */
  bool
  connect_tcp (guint16 port)
  {
    fd_ = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons (port);
    sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    return ::connect (fd_, reinterpret_cast<sockaddr *> (&sin), sizeof sin)
           == 0;
  }

  /* Opens a TLS session that trusts only @ca_file and checks that the
   * certificate is for 127.0.0.1, without the WebSocket handshake. */
  bool
  connect_tls (guint16 port, const std::string &ca_file)
  {
    if (!connect_tcp (port))
      return false;
    ssl_ctx_ = SSL_CTX_new (TLS_client_method ());
    SSL_CTX_set_verify (ssl_ctx_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations (ssl_ctx_, ca_file.c_str (), nullptr)
        != 1)
      return false;
    ssl_ = SSL_new (ssl_ctx_);
    X509_VERIFY_PARAM_set1_ip_asc (SSL_get0_param (ssl_), "127.0.0.1");
    SSL_set_fd (ssl_, fd_);
    return SSL_connect (ssl_) == 1;
  }

  /* A WebSocket over TCP, or over TLS when @ca_file is given. */
  bool
  connect (guint16 port, const char *path = "/announce",
           const std::string &ca_file = {})
  {
    if (!(ca_file.empty () ? connect_tcp (port) : connect_tls (port, ca_file)))
      return false;
    send_raw (std::string ("GET ") + path
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n");
    std::string head = read_until ("\r\n\r\n", 5000);
    if (head.find ("101 Switching Protocols") == std::string::npos
        || head.find ("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == std::string::npos)
      return false;
    buffer_.erase (0, head.size ());
    return true;
  }

  void
  send_raw (const std::string &bytes)
  {
    size_t off = 0;
    while (off < bytes.size ()) {
      ssize_t n = ssl_ ? SSL_write (ssl_, bytes.data () + off,
                                    static_cast<int> (bytes.size () - off))
                       : ::send (fd_, bytes.data () + off, bytes.size () - off,
                                 MSG_NOSIGNAL);
      if (n <= 0)
        return;
      off += n;
    }
  }

  void
  send_text (const std::string &text)
  {
    static const uint8_t mask[4] = { 0x12, 0x34, 0x56, 0x78 };
    std::string frame;
    ws::append_frame (frame, ws::OPCODE_TEXT, text, mask);
    send_raw (frame);
  }

  /* The next frame within @timeout_ms, or nullopt on timeout or close of
   * the TCP connection. */
  std::optional<Frame>
  receive (int timeout_ms = 3000)
  {
    gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;
    while (true) {
      ws::Frame f;
      if (!buffer_.empty ()
          && ws::parse_frame (&buffer_[0], buffer_.size (), false, 1 << 24, f)
                 == ws::FrameStatus::COMPLETE) {
        Frame out{ f.opcode, std::string (f.payload, f.length) };
        buffer_.erase (0, f.frame_size);
        return out;
      }
      if (!fill (deadline))
        return std::nullopt;
    }
  }

  /* The next text message, skipping nothing: nullopt if the next frame is
   * not text. */
  std::optional<std::string>
  receive_text (int timeout_ms = 3000)
  {
    auto f = receive (timeout_ms);
    if (!f || f->opcode != ws::OPCODE_TEXT)
      return std::nullopt;
    return f->payload;
  }

  /* True once the server has closed the TCP connection. */
  bool
  wait_closed (int timeout_ms = 3000)
  {
    gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;
    while (fill (deadline))
      buffer_.clear ();
    return closed_;
  }

  std::string
  read_until (const char *marker, int timeout_ms)
  {
    gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;
    while (buffer_.find (marker) == std::string::npos) {
      if (!fill (deadline))
        return buffer_;
    }
    return buffer_.substr (0, buffer_.find (marker) + strlen (marker));
  }

  std::string
  read_all (int timeout_ms)
  {
    gint64 deadline = g_get_monotonic_time () + timeout_ms * 1000LL;
    while (fill (deadline)) {
    }
    return buffer_;
  }

private:
  bool
  fill (gint64 deadline)
  {
    gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
    if (left <= 0 || closed_)
      return false;
    pollfd p{ fd_, POLLIN, 0 };
    if (!(ssl_ && SSL_pending (ssl_))
        && poll (&p, 1, static_cast<int> (left)) <= 0)
      return false;
    char buf[65536];
    ssize_t n = ssl_ ? SSL_read (ssl_, buf, sizeof buf)
                     : recv (fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buffer_.append (buf, n);
    return true;
  }

  int fd_ = -1;
  SSL_CTX *ssl_ctx_ = nullptr;
  SSL *ssl_ = nullptr; /* after connect_tls () */
  bool closed_ = false;
  std::string buffer_;
};

/* @s must be 20 bytes */
inline Id20
id_from (std::string_view s)
{
  return *Id20::from_bytes (s);
}

/* PREFIX (8 characters) then @n in 12 digits */
inline Id20
numbered_id (const char *prefix, int n)
{
  char buf[32];
  g_snprintf (buf, sizeof buf, "%s%012d", prefix, n);
  return id_from (std::string_view (buf, 20));
}

inline TrackerMessage
expect_message (TestClient &c, TrackerMessage::Kind kind)
{
  auto text = c.receive_text ();
  fail_unless (text.has_value (), "no message");
  TrackerMessage m;
  fail_unless (parse_tracker_message (*text, m), "unparsable %s",
               text->c_str ());
  fail_unless (m.kind == kind, "unexpected %s", text->c_str ());
  return m;
}

} // namespace p2p::tracker::test
