/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/tls.h"

#include <climits>

#include <gio/gio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace p2p::tracker {

namespace {

/* The oldest error on this thread's OpenSSL queue, as text. */
std::string
openssl_reason ()
{
  unsigned long code = ERR_get_error ();
  ERR_clear_error ();
  if (!code)
    return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n (code, text, sizeof text);
  return text;
}

} // namespace

std::unique_ptr<TlsContext>
TlsContext::load (const std::string &certificate_file,
                  const std::string &key_file, GError **error)
{
  ERR_clear_error ();
  SSL_CTX *ctx = SSL_CTX_new (TLS_server_method ());
  if (!ctx) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "TLS set-up: %s",
                 openssl_reason ().c_str ());
    return nullptr;
  }
  std::unique_ptr<TlsContext> context (new TlsContext (ctx));
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  /* Partial writes and a moving buffer: the worker sends from its output
   * string, which may grow between retries. Idle connections give their
   * record buffers (about 34 KiB) back. A peer closing without close_notify is
   * an ordinary close here, as it is for a plain socket. */
  SSL_CTX_set_mode (ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                             | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                             | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options (ctx,
                       SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (SSL_CTX_use_certificate_chain_file (ctx, certificate_file.c_str ())
      != 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "cannot use TLS certificate %s: %s", certificate_file.c_str (),
                 openssl_reason ().c_str ());
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file (ctx, key_file.c_str (), SSL_FILETYPE_PEM)
          != 1
      || SSL_CTX_check_private_key (ctx) != 1) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                 "cannot use TLS key %s: %s", key_file.c_str (),
                 openssl_reason ().c_str ());
    return nullptr;
  }
  return context;
}

TlsContext::~TlsContext () { SSL_CTX_free (ctx_); }

std::unique_ptr<TlsStream>
TlsContext::accept (int fd) const
{
  SSL *ssl = SSL_new (ctx_);
  if (!ssl)
    return nullptr;
  SSL_set_fd (ssl, fd);
  SSL_set_accept_state (ssl);
  return std::make_unique<TlsStream> (ssl);
}

TlsStream::~TlsStream () { SSL_free (ssl_); }

TlsStatus
TlsStream::status_of (int result)
{
  int code = SSL_get_error (ssl_, result);
  ERR_clear_error ();
  switch (code) {
  case SSL_ERROR_WANT_READ:
    return TlsStatus::WANT_READ;
  case SSL_ERROR_WANT_WRITE:
    return TlsStatus::WANT_WRITE;
  case SSL_ERROR_ZERO_RETURN:
    return TlsStatus::CLOSED;
  default: /* SSL_ERROR_SYSCALL, SSL_ERROR_SSL */
    return TlsStatus::FAILED;
  }
}

TlsStatus
TlsStream::read (char *buffer, size_t size, size_t &done)
{
  int result = SSL_read (ssl_, buffer, static_cast<int> (MIN (size, INT_MAX)));
  if (result <= 0)
    return status_of (result);
  done = result;
  return TlsStatus::OK;
}

TlsStatus
TlsStream::write (const char *data, size_t size, size_t &done)
{
  int result = SSL_write (ssl_, data, static_cast<int> (MIN (size, INT_MAX)));
  if (result <= 0)
    return status_of (result);
  done = result;
  return TlsStatus::OK;
}

void
TlsStream::close_notify ()
{
  if (SSL_is_init_finished (ssl_))
    SSL_shutdown (ssl_);
  ERR_clear_error ();
}

} // namespace p2p::tracker
