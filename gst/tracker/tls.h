/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * TLS for the tracker's sockets (wss://, and https for /stats.json and
 * /metrics), with OpenSSL over the non-blocking sockets of the epoll
 * workers. One TlsContext holds the certificate and key for every worker;
 * each connection gets a TlsStream that reads and writes its socket.
 */
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <glib.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace p2p::tracker {

class TlsStream;

class TlsContext
{
public:
  /* A server context for the PEM certificate chain in @certificate_file
   * and the PEM private key in @key_file; nullptr and G_IO_ERROR with
   * OpenSSL's reason when they cannot be read or do not match. */
  static std::unique_ptr<TlsContext> load (const std::string &certificate_file,
                                           const std::string &key_file,
                                           GError **error);
  ~TlsContext ();

  TlsContext (const TlsContext &) = delete;
  TlsContext &operator= (const TlsContext &) = delete;

  /* A server-side stream over the connected socket @fd; thread-safe. */
  std::unique_ptr<TlsStream> accept (int fd) const;

private:
  explicit TlsContext (SSL_CTX *ctx) : ctx_ (ctx) {}
  SSL_CTX *ctx_;
};

/* What a read or write did, beyond moving bytes. */
enum class TlsStatus {
  OK,         /* bytes moved */
  WANT_READ,  /* retry once the socket is readable */
  WANT_WRITE, /* retry once the socket is writable */
  CLOSED,     /* the peer ended the TLS session or the TCP connection */
  FAILED,     /* protocol or socket error: drop the connection */
};

/* The TLS session of one connection; the handshake happens within the
 * first reads and writes. Not thread-safe: one worker owns it. */
class TlsStream
{
public:
  explicit TlsStream (SSL *ssl) : ssl_ (ssl) {}
  ~TlsStream ();

  TlsStream (const TlsStream &) = delete;
  TlsStream &operator= (const TlsStream &) = delete;

  /* Decrypts into @buffer; @done is the bytes read (OK only). */
  TlsStatus read (char *buffer, size_t size, size_t &done);
  /* Encrypts and sends from @data; @done is the bytes taken (OK only). */
  TlsStatus write (const char *data, size_t size, size_t &done);
  /* Sends close_notify, without waiting for the peer's. */
  void close_notify ();

private:
  TlsStatus status_of (int result);
  SSL *ssl_;
};

} // namespace p2p::tracker
