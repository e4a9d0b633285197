/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "uplink-pacer.h"

#include <algorithm>
#include <cmath>

namespace p2p::peer {

namespace {

/* What may go at once after a pause: a few packets' worth at fast rates,
 * so that the uplink's queue never holds more than a moment of them. */
constexpr double kBurstSeconds = 0.05;
/* About one packet's payload: smaller messages only add overhead. */
constexpr gsize kSmallestMessage = 1200;

} // namespace

void
UplinkPacer::set_rate (double bytes_per_second)
{
  refill ();
  const bool was_paced = rate_ > 0;
  rate_ = std::max (0.0, bytes_per_second);
  if (!was_paced)
    budget_ = rate_ * kBurstSeconds;
  if (!waiters_.empty ())
    wake_when_due ();
}

void
UplinkPacer::refill ()
{
  const GstClockTime now = clock_.now ();
  if (rate_ > 0 && now > refilled_)
    budget_
        = std::min (rate_ * kBurstSeconds,
                    budget_ + rate_ * double (now - refilled_) / GST_SECOND);
  refilled_ = now;
}

gsize
UplinkPacer::message_bytes (gsize largest) const
{
  if (rate_ == 0)
    return largest;
  return std::clamp (gsize (rate_ * kBurstSeconds), kSmallestMessage, largest);
}

bool
UplinkPacer::may_send ()
{
  if (rate_ == 0)
    return true;
  refill ();
  return budget_ > 0;
}

void
UplinkPacer::sent (guint64 bytes)
{
  if (rate_ == 0)
    return;
  refill ();
  budget_ -= double (bytes);
}

void
UplinkPacer::wait (const void *waiter, std::function<void ()> wake)
{
  auto in_line
      = std::find_if (waiters_.begin (), waiters_.end (),
                      [waiter] (const Waiter &w) { return w.id == waiter; });
  if (in_line != waiters_.end ())
    in_line->wake = std::move (wake);
  else
    waiters_.push_back (Waiter{ waiter, std::move (wake) });
  if (!timer_.pending ())
    wake_when_due ();
}

void
UplinkPacer::forget (const void *waiter)
{
  waiters_.erase (
      std::remove_if (waiters_.begin (), waiters_.end (),
                      [waiter] (const Waiter &w) { return w.id == waiter; }),
      waiters_.end ());
}

void
UplinkPacer::wake_when_due ()
{
  refill ();
  if (rate_ == 0 || budget_ > 0) {
    timer_.start (0, [this] { wake_waiters (); });
    return;
  }
  /* Until the overdraft is paid back, to the next whole microsecond. */
  const double seconds = -budget_ / rate_;
  timer_.start (GstClockTime (std::ceil (seconds * 1e6)) * GST_USECOND + 1,
                [this] { wake_waiters (); });
}

void
UplinkPacer::wake_waiters ()
{
  refill ();
  /* A waiter that is refused again goes back in line, behind the others. */
  while (!waiters_.empty () && (rate_ == 0 || budget_ > 0)) {
    Waiter next = std::move (waiters_.front ());
    waiters_.pop_front ();
    next.wake ();
  }
  if (!waiters_.empty () && !timer_.pending ())
    wake_when_due ();
}

} // namespace p2p::peer
