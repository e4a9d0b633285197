/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes the tracker's TLS streams (tls.h), the layer between a wss://
 * client's socket and the WebSocket parser, over a non-blocking socket pair
 * as the workers use them. The first input byte picks the case:
 *  - even: the rest is what a client sends before or instead of a
 *    handshake (a ClientHello or anything else). The server stream reads
 *    until it wants more or gives up; once the client has hung up it must
 *    end with CLOSED or FAILED, never OK forever.
 *  - odd: an OpenSSL client completes a handshake, then sends the rest as
 *    application data in records whose sizes come from the input; the
 *    server reads it with buffers of varying size and must get exactly
 *    those bytes, in order.
 * The certificate is made at start (tests/common/test-certificate.h).
 */
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "gst/tracker/tls.h"
#include "tests/common/test-certificate.h"

using namespace p2p::tracker;

namespace {

void
check (bool ok)
{
  if (!ok)
    abort ();
}

struct Fixture
{
  p2p::test::TestCertificate certificate;
  std::unique_ptr<TlsContext> server;
  SSL_CTX *client = nullptr;

  Fixture ()
  {
    GError *error = nullptr;
    server = TlsContext::load (certificate.certificate_file (),
                               certificate.key_file (), &error);
    check (server != nullptr);
    client = SSL_CTX_new (TLS_client_method ());
    check (client != nullptr);
    SSL_CTX_set_verify (client, SSL_VERIFY_PEER, nullptr);
    check (SSL_CTX_load_verify_locations (
               client, certificate.certificate_file ().c_str (), nullptr)
           == 1);
    SSL_CTX_set_mode (client, SSL_MODE_ENABLE_PARTIAL_WRITE
                                  | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  }
};

Fixture &
fixture ()
{
  static Fixture f;
  return f;
}

struct SocketPair
{
  int server = -1;
  int client = -1;

  SocketPair ()
  {
    int fds[2];
    check (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    server = fds[0];
    client = fds[1];
    for (int fd : fds)
      fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) | O_NONBLOCK);
  }

  ~SocketPair ()
  {
    close (server);
    close (client);
  }
};

void
before_handshake (std::string_view bytes)
{
  SocketPair pair;
  auto stream = fixture ().server->accept (pair.server);
  check (stream != nullptr);
  /* a socket pair holds more than the largest input */
  check (write (pair.client, bytes.data (), bytes.size ())
         == (ssize_t)bytes.size ());
  shutdown (pair.client, SHUT_WR);
  char buffer[4096];
  TlsStatus status = TlsStatus::OK;
  for (int i = 0;
       i < 1000 && status != TlsStatus::CLOSED && status != TlsStatus::FAILED;
       i++) {
    size_t done = 0;
    status = stream->read (buffer, sizeof buffer, done);
    /* no handshake: nothing can decrypt */
    check (status != TlsStatus::OK);
    if (status == TlsStatus::WANT_WRITE) {
      /* the server's flight went out; drain it as a client would */
      char sink[16384];
      while (read (pair.client, sink, sizeof sink) > 0)
        ;
    }
  }
  check (status == TlsStatus::CLOSED || status == TlsStatus::FAILED);
  stream->close_notify ();
}

/* Runs the client's and the server's side of the handshake in turns. */
bool
handshake (SSL *client, TlsStream &server)
{
  bool client_done = false;
  for (int i = 0; i < 100; i++) {
    if (!client_done) {
      int r = SSL_do_handshake (client);
      if (r == 1)
        client_done = true;
      else if (SSL_get_error (client, r) != SSL_ERROR_WANT_READ)
        return false;
    }
    /* a read with nothing to decrypt drives the server's handshake */
    char byte;
    size_t done = 0;
    TlsStatus status = server.read (&byte, 1, done);
    check (status != TlsStatus::OK);
    if (status == TlsStatus::FAILED || status == TlsStatus::CLOSED)
      return false;
    if (client_done)
      return true;
  }
  return false;
}

void
after_handshake (std::string_view input)
{
  SocketPair pair;
  auto stream = fixture ().server->accept (pair.server);
  SSL *client = SSL_new (fixture ().client);
  SSL_set_fd (client, pair.client);
  SSL_set_connect_state (client);
  check (handshake (client, *stream));

  /* input: [record size, read size] pairs, the rest is the data */
  size_t n_sizes = std::min<size_t> (input.size () / 2, 8);
  std::string_view sizes = input.substr (0, 2 * n_sizes);
  std::string_view data = input.substr (2 * n_sizes);
  std::string received;
  size_t sent = 0;
  char buffer[1024];
  for (size_t round = 0; received.size () < data.size () && round < 100000;
       round++) {
    size_t k = n_sizes ? round % n_sizes : 0;
    size_t record = n_sizes ? 1 + (uint8_t)sizes[2 * k] * 64 : 16384;
    size_t want = n_sizes ? 1 + (uint8_t)sizes[2 * k + 1] % sizeof buffer
                          : sizeof buffer;
    if (sent < data.size ()) {
      int w = SSL_write (client, data.data () + sent,
                         (int)std::min (record, data.size () - sent));
      if (w > 0)
        sent += w;
      else
        check (SSL_get_error (client, w) == SSL_ERROR_WANT_WRITE);
    }
    size_t done = 0;
    TlsStatus status = stream->read (buffer, want, done);
    if (status == TlsStatus::OK) {
      check (done > 0 && done <= want);
      received.append (buffer, done);
    } else {
      check (status == TlsStatus::WANT_READ);
    }
  }
  check (received == data);
  /* and back: what the server writes, the client reads */
  size_t done = 0;
  if (stream->write ("pong", 4, done) == TlsStatus::OK) {
    check (done == 4);
    char back[4];
    check (SSL_read (client, back, 4) == 4
           && std::string_view (back, 4) == "pong");
  }
  stream->close_notify ();
  SSL_free (client);
  ERR_clear_error ();
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size == 0 || size > 65536)
    return 0;
  std::string_view input (reinterpret_cast<const char *> (data + 1), size - 1);
  if (data[0] % 2 == 0)
    before_handshake (input);
  else
    after_handshake (input);
  return 0;
}
