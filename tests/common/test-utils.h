/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Small helpers shared by the element and integration tests: waiting on a
 * bus or a harness with a deadline (a test must fail, never hang), a
 * blocking HTTP GET, temporary directories and test payloads.
 */
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <gst/check/gstharness.h>
#include <gst/gst.h>

#include "gst/p2p/common/gobject-ptr.h"

/* Compares two byte strings (segments are binary: their sizes are printed,
 * not their bytes). Unlike fail_unless_equals_string, temporaries are safe. */
#define assert_bytes_equal(actual, expected)                                   \
  do {                                                                         \
    const std::string actual_ = (actual), expected_ = (expected);              \
    fail_unless (actual_ == expected_,                                         \
                 "%s: %zu bytes, not the expected %zu bytes of %s", #actual,   \
                 actual_.size (), expected_.size (), #expected);               \
  } while (0)

/* fail_unless_equals_string for std::string values. */
#define assert_strings_equal(actual, expected)                                 \
  do {                                                                         \
    const std::string actual_ = (actual), expected_ = (expected);              \
    fail_unless (actual_ == expected_, "%s is \"%s\", not \"%s\"", #actual,    \
                 actual_.c_str (), expected_.c_str ());                        \
  } while (0)

namespace p2p::test {

using MessageFilter = std::function<bool (GstMessage *message)>;

/* The next message of @types for which @filter (if any) is true, dropping
 * the others; nullptr after @timeout_ms. */
GstMessagePtr wait_message (GstBus *bus, int types, guint timeout_ms,
                            const MessageFilter &filter = {});

/* The next element message with structure name @name. */
GstMessagePtr wait_element_message (GstBus *bus, const char *name,
                                    guint timeout_ms);

/* Sets @element (with a bus of its own) to PLAYING, which must fail, and
 * returns the element errors that failure posted, in order (at least
 * one); leaves it in NULL. */
std::vector<GErrorPtr> start_errors (GstElement *element);

/* The next buffer that reached the harness sink pad; nullptr after
 * @timeout_ms. */
GstBufferPtr pull_buffer (GstHarness *h, guint timeout_ms);

/* Whether an EOS event reaches the harness sink pad within @timeout_ms. */
bool wait_eos (GstHarness *h, guint timeout_ms);

/* Whether @pred, asked every 20 ms, holds within @timeout_ms: for state
 * nothing signals a change of. */
template <typename Pred>
bool
poll_until (Pred pred, guint timeout_ms)
{
  gint64 deadline
      = g_get_monotonic_time () + timeout_ms * G_TIME_SPAN_MILLISECOND;
  while (!pred ()) {
    if (g_get_monotonic_time () >= deadline)
      return pred ();
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  }
  return true;
}

struct HttpAnswer
{
  guint status = 0;
  std::string content_type;
  std::string cache_control;
  std::string body;
};

/* A blocking GET on a private session without proxy. With @ca_file, https
 * trusts the certificates in that PEM file only. No answer (refused, TLS
 * failed): status 0 (SOUP_STATUS_NONE). */
HttpAnswer http_get (const std::string &url, const std::string &ca_file = {});

std::string bytes_to_string (GBytes *bytes);
std::string buffer_to_string (GstBuffer *buffer);
/* The file's contents, or "<missing>" when it cannot be read. */
std::string read_file (const std::string &path);
bool file_exists (const std::string &path);

/* Made with g_dir_make_tmp, removed with everything in it. */
class TempDir
{
public:
  explicit TempDir (const char *name_template);
  ~TempDir ();
  TempDir (const TempDir &) = delete;
  TempDir &operator= (const TempDir &) = delete;

  const std::string &
  path () const
  {
    return path_;
  }
  std::string file (const std::string &name) const;

private:
  std::string path_;
};

/* A TCP port of 127.0.0.1 that was free a moment ago, nobody listening. */
guint16 free_loopback_port ();

/* @size bytes starting with the MPEG-TS sync byte, the rest derived from
 * @seed so that different segments differ. */
GBytesPtr make_payload (gsize size, guint seed);

} // namespace p2p::test
