/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "http-fetcher.h"

#include <algorithm>
#include <cmath>

#include "gst/p2p/common/error.h"

GST_DEBUG_CATEGORY_STATIC (p2p_http_fetcher_debug);
#define GST_CAT_DEFAULT p2p_http_fetcher_debug

namespace p2p::net {

namespace {

/* Body read size: one libsoup socket read is at most this much anyway. */
constexpr gsize kReadChunkSize = 64 * 1024;

void
ensure_debug_category ()
{
  static gsize initialized = 0;
  if (g_once_init_enter (&initialized)) {
    GST_DEBUG_CATEGORY_INIT (p2p_http_fetcher_debug, "p2phttpfetcher", 0,
                             "gst-p2p HTTP fetcher");
    g_once_init_leave (&initialized, 1);
  }
}

/* A one-shot timer on a GMainContext whose deadline moves without creating
 * a new GSource: the watchdog is re-armed on every chunk of body. */
class Timer
{
public:
  Timer (GMainContext *context, std::function<void ()> fn)
      : fn_ (std::move (fn))
  {
    static GSourceFuncs funcs
        = { nullptr, nullptr, &Timer::dispatch, nullptr, nullptr, nullptr };
    source_ = g_source_new (&funcs, sizeof (TimerSource));
    reinterpret_cast<TimerSource *> (source_)->timer = this;
    g_source_set_ready_time (source_, -1);
    g_source_attach (source_, context);
  }

  ~Timer ()
  {
    g_source_destroy (source_);
    g_source_unref (source_);
  }

  Timer (const Timer &) = delete;
  Timer &operator= (const Timer &) = delete;

  void
  start (gint64 delay_us)
  {
    g_source_set_ready_time (source_, g_get_monotonic_time () + delay_us);
  }

  void
  stop ()
  {
    g_source_set_ready_time (source_, -1);
  }

private:
  struct TimerSource
  {
    GSource base;
    Timer *timer;
  };

  static gboolean
  dispatch (GSource *source, GSourceFunc, gpointer) noexcept
  {
    auto timer = reinterpret_cast<TimerSource *> (source)->timer;
    g_source_set_ready_time (source, -1);
    try {
      timer->fn_ ();
    } catch (const std::exception &e) {
      GST_ERROR ("timer callback threw: %s", e.what ());
    } catch (...) {
      GST_ERROR ("timer callback threw");
    }
    return G_SOURCE_CONTINUE;
  }

  GSource *source_ = nullptr;
  std::function<void ()> fn_;
};

bool
is_retryable_status (guint status)
{
  return status >= 500 || status == 429 /* Too Many Requests */
         || status == SOUP_STATUS_REQUEST_TIMEOUT;
}

/* A TLS failure that the next attempt would meet again: a certificate the
 * session does not trust (a private CA without ssl-ca-file, say), a server
 * that does not speak TLS, or one that wants a client certificate. Retrying
 * such an error only delays it by the retries and their backoff. */
bool
is_permanent_tls_error (const GError *error)
{
  return error && error->domain == G_TLS_ERROR
         && (error->code == G_TLS_ERROR_BAD_CERTIFICATE
             || error->code == G_TLS_ERROR_NOT_TLS
             || error->code == G_TLS_ERROR_CERTIFICATE_REQUIRED);
}

GErrorPtr make_error (GstP2PError code, const char *format, ...)
    G_GNUC_PRINTF (2, 3);

GErrorPtr
make_error (GstP2PError code, const char *format, ...)
{
  va_list args;
  va_start (args, format);
  GError *error = g_error_new_valist (GST_P2P_ERROR, code, format, args);
  va_end (args);
  return GErrorPtr (error);
}

std::string
uri_to_string (GUri *uri)
{
  GCharPtr str (g_uri_to_string (uri));
  return str ? str.get () : "";
}

} // namespace

/* One fetch: a sequence of attempts, each with its own message, stream and
 * body buffer. An attempt's state lives until its last async callback has
 * run, because GIO may still write into its buffer after a cancel. */
class HttpTransfer : public HttpFetchControl,
                     public std::enable_shared_from_this<HttpTransfer>
{
public:
  HttpTransfer (HttpFetcher *owner, HttpRequest request,
                HttpFetchCallback callback);
  ~HttpTransfer ();

  void start ();
  void cancel () override;
  bool
  active () const override
  {
    return !finished_;
  }
  void
  detach_owner ()
  {
    owner_ = nullptr;
  }

private:
  struct Attempt
  {
    ~Attempt ()
    {
      if (body)
        g_byte_array_unref (body);
    }

    guint number = 0;
    GObjectPtr<SoupMessage> msg;
    GObjectPtr<GCancellable> cancellable;
    GObjectPtr<GInputStream> stream;
    GByteArray *body = nullptr;
    gsize received = 0;
    gint64 expected = -1;
    gint64 start_us = 0;
    gint64 headers_us = 0;
    bool op_pending = false;
  };

  /* What an async libsoup/GIO call carries to its callback. */
  struct Pending
  {
    std::shared_ptr<HttpTransfer> transfer;
    std::shared_ptr<Attempt> attempt;
  };

  static void on_sent_cb (GObject *source, GAsyncResult *res,
                          gpointer data) noexcept;
  static void on_read_cb (GObject *source, GAsyncResult *res,
                          gpointer data) noexcept;

  void start_attempt ();
  void on_sent (const std::shared_ptr<Attempt> &attempt, GAsyncResult *res);
  void read_next ();
  void on_read (const std::shared_ptr<Attempt> &attempt, GAsyncResult *res);
  bool is_current (const std::shared_ptr<Attempt> &attempt) const;
  bool check_headers ();
  void report_progress ();
  void on_watchdog ();
  GErrorPtr transport_error (const GError *error) const;
  void abandon_attempt ();
  void fail_attempt (GErrorPtr error, bool retryable);
  void complete ();
  void finish (HttpResult result);
  void release_from_owner ();

  HttpFetcher *owner_;
  GObjectPtr<SoupSession> session_;
  HttpRequest request_;
  HttpFetchCallback callback_;
  GUri *uri_ = nullptr;

  std::chrono::milliseconds timeout_;
  int retries_;
  double backoff_factor_;
  double backoff_max_;
  gsize max_body_size_;
  std::vector<std::string> accepted_content_types_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;

  Timer watchdog_;
  Timer retry_timer_;
  std::shared_ptr<Attempt> attempt_;
  guint attempts_ = 0;
  gint64 start_us_ = 0;
  bool finished_ = false;

  /* From the last response. */
  guint status_ = 0;
  std::string content_type_;
  std::string final_url_;
};

HttpTransfer::HttpTransfer (HttpFetcher *owner, HttpRequest request,
                            HttpFetchCallback callback)
    : owner_ (owner), session_ (GObjectPtr<SoupSession> (SOUP_SESSION (
                          g_object_ref (owner->session_.get ())))),
      request_ (std::move (request)), callback_ (std::move (callback)),
      timeout_ (owner->options_.timeout), retries_ (owner->options_.retries),
      backoff_factor_ (owner->options_.retry_backoff_factor),
      backoff_max_ (owner->options_.retry_backoff_max),
      max_body_size_ (
          request_.max_body_size.value_or (owner->options_.max_body_size)),
      accepted_content_types_ (request_.accepted_content_types.value_or (
          owner->options_.accepted_content_types)),
      extra_headers_ (owner->options_.extra_headers),
      watchdog_ (owner->context_, [this] { on_watchdog (); }),
      retry_timer_ (owner->context_, [this] {
        auto self = shared_from_this ();
        start_attempt ();
      })
{
}

HttpTransfer::~HttpTransfer ()
{
  if (uri_)
    g_uri_unref (uri_);
}

void
HttpTransfer::start ()
{
  start_us_ = g_get_monotonic_time ();
  /* Even the first attempt starts from the main loop, so that the callback
   * can never run inside fetch(). */
  retry_timer_.start (0);
}

void
HttpTransfer::start_attempt ()
{
  if (!uri_) {
    uri_ = g_uri_parse (request_.url.c_str (), (GUriFlags)SOUP_HTTP_URI_FLAGS,
                        nullptr);
    const char *scheme = uri_ ? g_uri_get_scheme (uri_) : nullptr;
    if (!scheme
        || (g_ascii_strcasecmp (scheme, "http") != 0
            && g_ascii_strcasecmp (scheme, "https") != 0)) {
      fail_attempt (make_error (GST_P2P_ERROR_FAILED, "not an HTTP URL: %s",
                                request_.url.c_str ()),
                    false);
      return;
    }
  }

  attempt_ = std::make_shared<Attempt> ();
  Attempt &attempt = *attempt_;
  attempt.number = ++attempts_;
  attempt.start_us = g_get_monotonic_time ();
  attempt.msg.reset (soup_message_new_from_uri (SOUP_METHOD_GET, uri_));
  attempt.cancellable.reset (g_cancellable_new ());

  SoupMessageHeaders *headers
      = soup_message_get_request_headers (attempt.msg.get ());
  for (const auto &header : extra_headers_)
    soup_message_headers_append (headers, header.first.c_str (),
                                 header.second.c_str ());
  if (request_.range) {
    const HttpByteRange &range = *request_.range;
    soup_message_headers_set_range (headers, range.offset,
                                    range.offset + range.length - 1);
  }

  GST_DEBUG ("GET %s (attempt %u)", request_.url.c_str (), attempt.number);
  if (timeout_.count () > 0)
    watchdog_.start (timeout_.count () * 1000);
  attempt.op_pending = true;
  soup_session_send_async (session_.get (), attempt.msg.get (),
                           G_PRIORITY_DEFAULT, attempt.cancellable.get (),
                           &HttpTransfer::on_sent_cb,
                           new Pending{ shared_from_this (), attempt_ });
}

bool
HttpTransfer::is_current (const std::shared_ptr<Attempt> &attempt) const
{
  return !finished_ && attempt == attempt_;
}

void
HttpTransfer::on_sent_cb (GObject *, GAsyncResult *res, gpointer data) noexcept
{
  std::unique_ptr<Pending> pending (static_cast<Pending *> (data));
  try {
    pending->transfer->on_sent (pending->attempt, res);
  } catch (const std::exception &e) {
    GST_ERROR ("HTTP callback threw: %s", e.what ());
  } catch (...) {
    GST_ERROR ("HTTP callback threw");
  }
}

void
HttpTransfer::on_read_cb (GObject *, GAsyncResult *res, gpointer data) noexcept
{
  std::unique_ptr<Pending> pending (static_cast<Pending *> (data));
  try {
    pending->transfer->on_read (pending->attempt, res);
  } catch (const std::exception &e) {
    GST_ERROR ("HTTP callback threw: %s", e.what ());
  } catch (...) {
    GST_ERROR ("HTTP callback threw");
  }
}

void
HttpTransfer::on_sent (const std::shared_ptr<Attempt> &attempt,
                       GAsyncResult *res)
{
  attempt->op_pending = false;
  GErrorOut error;
  attempt->stream.reset (
      soup_session_send_finish (session_.get (), res, error.out ()));
  if (!is_current (attempt)) {
    if (attempt->stream)
      g_input_stream_close_async (attempt->stream.get (), G_PRIORITY_DEFAULT,
                                  nullptr, nullptr, nullptr);
    return;
  }
  if (!attempt->stream) {
    fail_attempt (transport_error (error.get ()),
                  !is_permanent_tls_error (error.get ()));
    return;
  }

  attempt->headers_us = g_get_monotonic_time ();
  if (timeout_.count () > 0)
    watchdog_.start (timeout_.count () * 1000);
  if (!check_headers ())
    return;

  report_progress ();
  if (is_current (attempt))
    read_next ();
}

/* Looks at status, type and size before any body byte is read. Returns
 * false after failing the attempt. */
bool
HttpTransfer::check_headers ()
{
  Attempt &attempt = *attempt_;
  SoupMessage *msg = attempt.msg.get ();
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);

  status_ = soup_message_get_status (msg);
  final_url_ = uri_to_string (soup_message_get_uri (msg));
  const char *content_type
      = soup_message_headers_get_content_type (headers, nullptr);
  content_type_ = content_type ? content_type : "";

  if (!SOUP_STATUS_IS_SUCCESSFUL (status_)) {
    const char *reason = soup_message_get_reason_phrase (msg);
    fail_attempt (make_error (GST_P2P_ERROR_HTTP_STATUS, "HTTP %u %s: %s",
                              status_, reason ? reason : "",
                              final_url_.c_str ()),
                  is_retryable_status (status_));
    return false;
  }

  if (!accepted_content_types_.empty ()) {
    bool accepted = std::any_of (
        accepted_content_types_.begin (), accepted_content_types_.end (),
        [&] (const std::string &type) {
          return content_type
                 && g_ascii_strcasecmp (type.c_str (), content_type) == 0;
        });
    if (!accepted) {
      fail_attempt (make_error (GST_P2P_ERROR_BAD_CONTENT,
                                "unexpected Content-Type '%s' from %s",
                                content_type_.c_str (), final_url_.c_str ()),
                    false);
      return false;
    }
  }

  /* With a Content-Encoding, Content-Length counts encoded bytes, not the
   * decoded ones we read. */
  if (soup_message_headers_get_encoding (headers)
          == SOUP_ENCODING_CONTENT_LENGTH
      && !soup_message_headers_get_one (headers, "Content-Encoding"))
    attempt.expected = soup_message_headers_get_content_length (headers);

  if (max_body_size_ > 0 && attempt.expected > (gint64)max_body_size_) {
    fail_attempt (
        make_error (GST_P2P_ERROR_BAD_CONTENT,
                    "body of %" G_GINT64_FORMAT " bytes from %s is over the "
                    "%" G_GSIZE_FORMAT " byte limit",
                    attempt.expected, final_url_.c_str (), max_body_size_),
        false);
    return false;
  }

  /* One byte more than Content-Length: the read that finds the end. */
  attempt.body = g_byte_array_sized_new (
      attempt.expected >= 0 ? (guint)attempt.expected + 1 : kReadChunkSize);
  return true;
}

void
HttpTransfer::read_next ()
{
  Attempt &attempt = *attempt_;
  gsize count = kReadChunkSize;
  /* With a Content-Length, the body is read up to libsoup's end of stream,
   * one read after the last byte: only that read finishes the message and
   * gives its connection back to the session, before our callback runs.
   * The next fetch (a segment after its playlist, say) then reuses that
   * connection instead of opening one more, with a TLS handshake on
   * https. */
  if (attempt.expected >= 0)
    count = std::min (count, (gsize)attempt.expected + 1 - attempt.received);
  /* Grow to exactly what the next read may fill, no more: with a known
   * Content-Length the buffer then never reallocates. */
  g_byte_array_set_size (attempt.body, attempt.received + count);
  attempt.op_pending = true;
  g_input_stream_read_async (
      attempt.stream.get (), attempt.body->data + attempt.received, count,
      G_PRIORITY_DEFAULT, attempt.cancellable.get (), &HttpTransfer::on_read_cb,
      new Pending{ shared_from_this (), attempt_ });
}

void
HttpTransfer::on_read (const std::shared_ptr<Attempt> &attempt,
                       GAsyncResult *res)
{
  attempt->op_pending = false;
  GErrorOut error;
  gssize n
      = g_input_stream_read_finish (attempt->stream.get (), res, error.out ());
  if (!is_current (attempt)) {
    g_input_stream_close_async (attempt->stream.get (), G_PRIORITY_DEFAULT,
                                nullptr, nullptr, nullptr);
    return;
  }
  if (n < 0) {
    fail_attempt (transport_error (error.get ()), true);
    return;
  }

  attempt->received += n;
  g_byte_array_set_size (attempt->body, attempt->received);
  if (n == 0) {
    if (attempt->expected >= 0
        && (gint64)attempt->received < attempt->expected) {
      /* A cut connection, worth another try. */
      fail_attempt (make_error (GST_P2P_ERROR_BAD_CONTENT,
                                "truncated body from %s: %" G_GSIZE_FORMAT
                                " of %" G_GINT64_FORMAT " bytes",
                                final_url_.c_str (), attempt->received,
                                attempt->expected),
                    true);
      return;
    }
    complete ();
    return;
  }

  if (timeout_.count () > 0)
    watchdog_.start (timeout_.count () * 1000);
  if (attempt->expected >= 0 && (gint64)attempt->received > attempt->expected) {
    fail_attempt (make_error (GST_P2P_ERROR_BAD_CONTENT,
                              "body from %s is over its Content-Length of "
                              "%" G_GINT64_FORMAT " bytes",
                              final_url_.c_str (), attempt->expected),
                  false);
    return;
  }
  if (max_body_size_ > 0 && attempt->received > max_body_size_) {
    fail_attempt (make_error (GST_P2P_ERROR_BAD_CONTENT,
                              "body from %s is over the %" G_GSIZE_FORMAT
                              " byte limit",
                              final_url_.c_str (), max_body_size_),
                  false);
    return;
  }
  report_progress ();
  if (!is_current (attempt))
    return;
  read_next ();
}

void
HttpTransfer::report_progress ()
{
  if (!request_.on_progress)
    return;
  HttpProgress progress;
  progress.received = attempt_->received;
  progress.expected = attempt_->expected;
  progress.attempt = attempt_->number;
  progress.body = attempt_->body ? attempt_->body->data : nullptr;
  /* A copy: the callback may cancel us, which drops request_.on_progress. */
  HttpProgressCallback on_progress = request_.on_progress;
  on_progress (progress);
}

void
HttpTransfer::on_watchdog ()
{
  auto self = shared_from_this ();
  if (finished_ || !attempt_)
    return;
  fail_attempt (make_error (GST_P2P_ERROR_TIMEOUT,
                            "GET %s: no data for %" G_GINT64_FORMAT " ms",
                            request_.url.c_str (), (gint64)timeout_.count ()),
                true);
}

/* A failure below HTTP: libsoup reports a connection closed before the end
 * of the body (Content-Length or chunked) as PARTIAL_INPUT. */
GErrorPtr
HttpTransfer::transport_error (const GError *error) const
{
  const char *url
      = final_url_.empty () ? request_.url.c_str () : final_url_.c_str ();
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return make_error (GST_P2P_ERROR_TIMEOUT, "GET %s: %s", url,
                       error->message);
  if (attempt_ && attempt_->headers_us
      && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT))
    return make_error (GST_P2P_ERROR_BAD_CONTENT,
                       "truncated body from %s after %" G_GSIZE_FORMAT
                       " bytes: %s",
                       url, attempt_->received, error->message);
  return make_error (GST_P2P_ERROR_NETWORK, "GET %s: %s", url, error->message);
}

/* Ends the current attempt's I/O. A pending async call still completes and
 * closes the stream from its callback (a stream with a pending operation
 * cannot be closed). */
void
HttpTransfer::abandon_attempt ()
{
  watchdog_.stop ();
  if (!attempt_)
    return;
  g_cancellable_cancel (attempt_->cancellable.get ());
  if (!attempt_->op_pending && attempt_->stream)
    g_input_stream_close_async (attempt_->stream.get (), G_PRIORITY_DEFAULT,
                                nullptr, nullptr, nullptr);
  attempt_.reset ();
}

void
HttpTransfer::fail_attempt (GErrorPtr error, bool retryable)
{
  abandon_attempt ();
  bool may_retry = retries_ < 0 || attempts_ <= (guint)retries_;
  if (retryable && may_retry && attempts_ > 0) {
    double delay_s = 0;
    if (backoff_factor_ > 0)
      delay_s = std::min (backoff_factor_ * std::ldexp (1.0, attempts_ - 1),
                          backoff_max_);
    GST_INFO ("%s; retry %u in %.3f s", error->message, attempts_, delay_s);
    retry_timer_.start ((gint64)(delay_s * G_USEC_PER_SEC));
    return;
  }

  GST_INFO ("%s", error->message);
  HttpResult result;
  result.error = std::move (error);
  finish (std::move (result));
}

void
HttpTransfer::complete ()
{
  Attempt &attempt = *attempt_;
  gint64 now = g_get_monotonic_time ();
  HttpResult result;
  result.latency_us = attempt.headers_us - attempt.start_us;
  result.download_us = now - attempt.headers_us;
  result.bytes = attempt.received;

  GBytesPtr body (g_byte_array_free_to_bytes (attempt.body));
  attempt.body = nullptr;
  g_input_stream_close_async (attempt.stream.get (), G_PRIORITY_DEFAULT,
                              nullptr, nullptr, nullptr);
  attempt_.reset ();
  watchdog_.stop ();

  if (request_.range && status_ != SOUP_STATUS_PARTIAL_CONTENT) {
    /* The server ignored Range and sent the whole resource. */
    const HttpByteRange &range = *request_.range;
    if (range.offset + range.length > g_bytes_get_size (body.get ())) {
      result.error
          = make_error (GST_P2P_ERROR_BAD_CONTENT,
                        "%s has %" G_GSIZE_FORMAT
                        " bytes, the range ends at %" G_GUINT64_FORMAT,
                        final_url_.c_str (), g_bytes_get_size (body.get ()),
                        range.offset + range.length);
      finish (std::move (result));
      return;
    }
    body.reset (
        g_bytes_new_from_bytes (body.get (), range.offset, range.length));
  }

  GST_DEBUG ("GET %s: %" G_GSIZE_FORMAT " bytes in %" G_GINT64_FORMAT " us",
             final_url_.c_str (), result.bytes, now - start_us_);
  result.body = std::move (body);
  finish (std::move (result));
}

void
HttpTransfer::finish (HttpResult result)
{
  auto self = shared_from_this ();
  finished_ = true;
  retry_timer_.stop ();
  watchdog_.stop ();
  release_from_owner ();

  result.status = status_;
  result.content_type = content_type_;
  result.final_url = final_url_.empty () ? request_.url : final_url_;
  result.attempts = attempts_;
  result.elapsed_us = g_get_monotonic_time () - start_us_;

  HttpFetchCallback callback = std::move (callback_);
  callback_ = nullptr;
  request_.on_progress = nullptr;
  if (callback)
    callback (std::move (result));
}

void
HttpTransfer::cancel ()
{
  if (finished_)
    return;
  auto self = shared_from_this ();
  GST_DEBUG ("cancel GET %s", request_.url.c_str ());
  finished_ = true;
  retry_timer_.stop ();
  abandon_attempt ();
  callback_ = nullptr;
  request_.on_progress = nullptr;
  release_from_owner ();
}

void
HttpTransfer::release_from_owner ()
{
  if (owner_) {
    owner_->transfers_.erase (shared_from_this ());
    owner_ = nullptr;
  }
}

HttpFetcher::HttpFetcher (HttpFetcherOptions options)
    : options_ (std::move (options)),
      context_ (g_main_context_ref_thread_default ())
{
  ensure_debug_category ();
  session_.reset (soup_session_new_with_options (
      "user-agent", options_.user_agent.c_str (), "max-conns-per-host",
      std::max (1, options_.max_connections_per_host), "max-conns",
      std::max (10, 2 * options_.max_connections_per_host),
      /* The watchdog handles inactivity; libsoup's own 60 s I/O timeout
       * would override a longer or disabled one. */
      "timeout", 0u, nullptr));
  if (options_.tls_database)
    soup_session_set_tls_database (session_.get (),
                                   options_.tls_database.get ());
  if (!options_.use_system_proxy) {
    GObjectPtr<GProxyResolver> resolver;
    if (!options_.proxy.empty ())
      resolver.reset (
          g_simple_proxy_resolver_new (options_.proxy.c_str (), nullptr));
    soup_session_set_proxy_resolver (session_.get (), resolver.get ());
  }
}

HttpFetcher::~HttpFetcher ()
{
  auto transfers = std::move (transfers_);
  transfers_.clear ();
  for (const auto &transfer : transfers) {
    transfer->detach_owner ();
    transfer->cancel ();
  }
  g_main_context_unref (context_);
}

HttpFetch
HttpFetcher::fetch (HttpRequest request, HttpFetchCallback callback)
{
  GMainContext *current = g_main_context_ref_thread_default ();
  g_main_context_unref (current);
  g_return_val_if_fail (current == context_, HttpFetch ());
  g_return_val_if_fail (!request.range || request.range->length > 0,
                        HttpFetch ());
  auto transfer = std::make_shared<HttpTransfer> (this, std::move (request),
                                                  std::move (callback));
  transfers_.insert (transfer);
  transfer->start ();
  return HttpFetch (transfer);
}

HttpFetch
HttpClient::fetch (const std::string &url, HttpFetchCallback callback)
{
  HttpRequest request;
  request.url = url;
  return fetch (std::move (request), std::move (callback));
}

} // namespace p2p::net
