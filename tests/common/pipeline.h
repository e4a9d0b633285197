/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A pipeline from a launch line for element and integration tests, its bus
 * drained by the test's own loop (run_until), so that several pipelines
 * (a broadcaster and its viewers) run side by side in one test.
 */
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include <gst/gst.h>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::test {

class Pipeline
{
public:
  using MessageHandler = std::function<void (GstMessage *message)>;

  /* @what names the pipeline in failures. */
  Pipeline (const char *what, const std::string &description);
  ~Pipeline ();

  Pipeline (const Pipeline &) = delete;
  Pipeline &operator= (const Pipeline &) = delete;

  GstElement *
  top ()
  {
    return pipeline_;
  }
  /* The element named @name; the pipeline keeps it alive. */
  GstElement *element (const char *name);

  void play ();
  void send_eos ();
  /* Sets the pipeline to NULL, as gst-launch-1.0 does after EOS. */
  void stop ();

  /* Handles what is on the bus now: an error fails the test. */
  void drain (const MessageHandler &on_message = {});
  /* The next error on the bus within @timeout_ms (nullptr if none), the
   * other messages dropped; @source receives the poster's name. */
  GErrorPtr wait_error (guint timeout_ms, std::string *source = nullptr);

  bool
  got_eos () const
  {
    return eos_;
  }

private:
  const char *what_;
  GstElement *pipeline_ = nullptr;
  GstBus *bus_ = nullptr;
  bool eos_ = false;
};

/* Counts the buffers that reach @element's static pad @pad. */
void count_buffers (GstElement *element, const char *pad,
                    std::atomic<guint> *count);

/* Runs @step every 20 ms until @done or @timeout_ms. */
bool run_until (guint timeout_ms, const std::function<void ()> &step,
                const std::function<bool ()> &done);

} // namespace p2p::test
