/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "adaptive-bitrate.h"

#include <algorithm>
#include <cmath>

namespace p2p::viewer {

namespace {

double
seconds (GstClockTime t)
{
  return double (t) / GST_SECOND;
}

/* Bits per second of @bytes in @duration (at least a millisecond: a
 * segment from memory takes no measurable time). */
double
rate_of (guint64 bytes, GstClockTime duration)
{
  return 8.0 * bytes / std::max (seconds (duration), 0.001);
}

} // namespace

void
ThroughputEstimator::Average::add (double value, double weight_s)
{
  const double alpha = std::pow (0.5, weight_s / half_life_s);
  estimate = value * (1 - alpha) + alpha * estimate;
  total_weight += weight_s;
}

double
ThroughputEstimator::Average::value () const
{
  /* Corrects the bias towards the initial 0 while few samples came. */
  const double zero_factor = 1 - std::pow (0.5, total_weight / half_life_s);
  return zero_factor > 0 ? estimate / zero_factor : 0;
}

void
ThroughputEstimator::add_sample (guint64 bytes, GstClockTime duration,
                                 GstClockTime media_duration)
{
  const double weight = std::max (seconds (media_duration), 0.001);
  const double rate = rate_of (bytes, duration);
  fast_.add (rate, weight);
  slow_.add (rate, weight);
}

guint64
ThroughputEstimator::estimate () const
{
  return guint64 (std::min (fast_.value (), slow_.value ()));
}

AdaptiveBitrate::AdaptiveBitrate (std::vector<guint64> bandwidths,
                                  size_t current, guint64 max_bitrate,
                                  AdaptiveBitrateConfig config)
    : bandwidths_ (std::move (bandwidths)), max_bitrate_ (max_bitrate),
      config_ (config), current_ (current),
      up_after_down_ (config.up_after_down)
{
}

void
AdaptiveBitrate::add_sample (guint64 bytes, GstClockTime duration,
                             GstClockTime media_duration)
{
  estimator_.add_sample (bytes, duration, media_duration);
}

void
AdaptiveBitrate::observe_running (guint64 bytes, GstClockTime elapsed)
{
  if (elapsed < config_.min_running)
    return;
  const double rate = rate_of (bytes, elapsed);
  running_rate_ = std::min (running_rate_.value_or (rate), rate);
}

void
AdaptiveBitrate::followed (size_t index)
{
  current_ = index;
  up_since_ = GST_CLOCK_TIME_NONE;
}

size_t
AdaptiveBitrate::highest_within (double rate) const
{
  std::optional<size_t> best;
  size_t lowest = 0;
  for (size_t i = 0; i < bandwidths_.size (); i++) {
    if (bandwidths_[i] < bandwidths_[lowest])
      lowest = i;
    if (bandwidths_[i] > rate
        || (max_bitrate_ > 0 && bandwidths_[i] > max_bitrate_))
      continue;
    if (!best || bandwidths_[i] > bandwidths_[*best])
      best = i;
  }
  return best.value_or (lowest);
}

size_t
AdaptiveBitrate::choose (GstClockTime now)
{
  const double estimate = double (estimator_.estimate ());
  std::optional<double> running = running_rate_;
  running_rate_.reset ();

  /* Down at once: the estimate, or a download that is running too slowly
   * for the current variant, no longer affords it. */
  double affordable = estimate;
  if (running
      && *running < config_.running_ratio * double (bandwidths_[current_]))
    affordable = estimate > 0 ? std::min (estimate, *running) : *running;
  if (affordable == 0)
    return current_;
  const size_t down = highest_within (affordable * config_.target_ratio);
  const bool went_up_lately = GST_CLOCK_TIME_IS_VALID (last_up_)
                              && now < last_up_ + config_.up_after_down;
  if (bandwidths_[down] < bandwidths_[current_]) {
    /* Going up did not last: wait longer before trying again. */
    if (went_up_lately)
      up_after_down_ = std::min (2 * up_after_down_, config_.max_up_after_down);
    current_ = down;
    last_down_ = now;
    up_since_ = GST_CLOCK_TIME_NONE;
    switches_++;
    return current_;
  }
  /* Gone up a while ago, and still there: it worked. */
  if (GST_CLOCK_TIME_IS_VALID (last_up_) && !went_up_lately
      && (!GST_CLOCK_TIME_IS_VALID (last_down_) || last_down_ < last_up_))
    up_after_down_ = config_.up_after_down;

  /* Up once a higher variant fits with room to spare for a while. */
  const size_t up = highest_within (estimate * config_.up_ratio);
  const bool settled = !GST_CLOCK_TIME_IS_VALID (last_down_)
                       || now >= last_down_ + up_after_down_;
  if (bandwidths_[up] <= bandwidths_[current_] || !settled) {
    up_since_ = GST_CLOCK_TIME_NONE;
    return current_;
  }
  if (!GST_CLOCK_TIME_IS_VALID (up_since_))
    up_since_ = now;
  if (now >= up_since_ + config_.up_hold) {
    current_ = up;
    up_since_ = GST_CLOCK_TIME_NONE;
    last_up_ = now;
    switches_++;
  }
  return current_;
}

} // namespace p2p::viewer
