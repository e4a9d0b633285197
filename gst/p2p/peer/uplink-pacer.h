/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One send rate for all of a peer's sessions.
 *
 * Each session is its own SCTP association with its own congestion window.
 * Four to eight of them relaying through one uplink probe its queue
 * together until it drops packets (3-22 % of a relay's packets in the
 * netns bench), and every loss holds a stripe back by a round trip or a
 * retransmission timeout. Sessions take from one budget before they hand
 * payload to their channel; beyond it they wait their turn, so that the
 * uplink's queue stays short and no association has to find the limit by
 * losing packets. Engine thread only.
 */
#pragma once

#include <deque>
#include <functional>

#include "gst/p2p/common/clock.h"

namespace p2p::peer {

class UplinkPacer
{
public:
  explicit UplinkPacer (Clock &clock) : clock_ (clock), timer_ (clock) {}

  /* Bytes per second; 0 lets everything through at once. */
  void set_rate (double bytes_per_second);

  /* The largest payload message that keeps the uplink's queue short:
   * one message leaves back to back, whatever the pacing. */
  gsize message_bytes (gsize largest) const;

  /* Whether payload may go now. A message larger than what is left still
   * goes, and the next waits until what it overdrew is paid back. */
  bool may_send ();
  /* @bytes went (payload or commands: these go anyway, being small, and a
   * child's request must not wait behind relayed bytes). */
  void sent (guint64 bytes);
  /* @wake runs once there is budget again, in the order the waiters came;
   * a waiter already in line keeps its place. */
  void wait (const void *waiter, std::function<void ()> wake);
  /* @waiter leaves the line (it is going away). */
  void forget (const void *waiter);

private:
  void refill ();
  void wake_when_due ();
  void wake_waiters ();

  Clock &clock_;
  Timer timer_;
  double rate_ = 0;
  /* Bytes that may go now: negative after a message bigger than what was
   * left, capped at a short burst. */
  double budget_ = 0;
  GstClockTime refilled_ = 0;
  struct Waiter
  {
    const void *id;
    std::function<void ()> wake;
  };
  std::deque<Waiter> waiters_;
};

} // namespace p2p::peer
