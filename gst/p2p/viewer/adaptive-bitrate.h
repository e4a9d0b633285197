/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Adaptive bitrate for a master playlist's variants: a throughput estimate
 * from the segments delivered, over HTTP and from peers alike (what counts
 * is how fast segments arrive, whoever sends them), and a choice of
 * variant with hysteresis: down at once when the estimate no longer
 * affords the current one, or when a running download says so before it
 * ends; up only once the estimate affords the higher one with room to
 * spare for a while. Pure logic, time given: it runs in unit tests and in
 * the simulator as in p2phlssrc.
 */
#pragma once

#include <optional>
#include <vector>

#include <gst/gst.h>

namespace p2p::viewer {

/* Two exponentially weighted moving averages of throughput, a fast and a
 * slow one, each segment weighted by the media time it carries (a sample
 * weighted by its download time, as hls.js does, counts for little on a
 * fast link, and the estimate would take dozens of segments to rise); the
 * estimate is the smaller of the two, so that it falls fast and rises
 * slowly. */
class ThroughputEstimator
{
public:
  /* A segment of @media_duration: @bytes arrived in @duration. */
  void add_sample (guint64 bytes, GstClockTime duration,
                   GstClockTime media_duration);
  /* Bits per second, 0 before any sample. */
  guint64 estimate () const;

private:
  struct Average
  {
    explicit Average (double half_life_s) : half_life_s (half_life_s) {}
    void add (double value, double weight_s);
    double value () const;

    double half_life_s;
    double estimate = 0;
    double total_weight = 0;
  };

  Average fast_{ 3.0 };
  Average slow_{ 9.0 };
};

struct AdaptiveBitrateConfig
{
  /* Of the estimate, what a variant's BANDWIDTH may use: the rest is
   * margin for the estimate's error (hlsdemux2's bandwidth-target-ratio). */
  double target_ratio = 0.8;
  /* To go up, the higher variant must fit in this share of the estimate
   * for up_hold. */
  double up_ratio = 0.7;
  GstClockTime up_hold = 4 * GST_SECOND;
  /* No going up again this soon after going down; twice as long each
   * time a variant gone up to does not last that long, up to
   * max_up_after_down (a higher variant that only some paths to the
   * origin cannot carry is not tried again and again). */
  GstClockTime up_after_down = 8 * GST_SECOND;
  GstClockTime max_up_after_down = 64 * GST_SECOND;
  /* A running download slower than this share of the current variant's
   * BANDWIDTH, after min_running, counts against it before it ends. */
  double running_ratio = 0.9;
  GstClockTime min_running = 500 * GST_MSECOND;
};

class AdaptiveBitrate
{
public:
  /* @bandwidths: each variant's BANDWIDTH (bits per second), in the master
   * playlist's order; @current: the variant followed at first. Variants
   * above @max_bitrate (0 = no limit) are never chosen, unless none is
   * below it. */
  AdaptiveBitrate (std::vector<guint64> bandwidths, size_t current,
                   guint64 max_bitrate, AdaptiveBitrateConfig config = {});

  /* A segment of @media_duration arrived, over HTTP or from a peer: @bytes
   * in @duration (how long its bytes took to come). */
  void add_sample (guint64 bytes, GstClockTime duration,
                   GstClockTime media_duration);
  /* A download still running received @bytes in @elapsed. */
  void observe_running (guint64 bytes, GstClockTime elapsed);

  /* The variant to follow at @now; the caller switches to it. */
  size_t choose (GstClockTime now);
  /* Variant @index is followed from now on for another reason (a failed
   * one was replaced). */
  void followed (size_t index);

  size_t
  current () const
  {
    return current_;
  }
  guint64
  estimate () const
  {
    return estimator_.estimate ();
  }
  guint64
  switches () const
  {
    return switches_;
  }

private:
  /* The highest variant whose BANDWIDTH fits in @rate bits per second,
   * else the lowest. */
  size_t highest_within (double rate) const;

  const std::vector<guint64> bandwidths_;
  const guint64 max_bitrate_;
  const AdaptiveBitrateConfig config_;
  ThroughputEstimator estimator_;
  size_t current_;
  /* The slowest running download seen since the last choose (), bits per
   * second. */
  std::optional<double> running_rate_;
  /* Since when a higher variant fits, when we last went up and down, and
   * how long after going down going up waits now. */
  GstClockTime up_since_ = GST_CLOCK_TIME_NONE;
  GstClockTime last_up_ = GST_CLOCK_TIME_NONE;
  GstClockTime last_down_ = GST_CLOCK_TIME_NONE;
  GstClockTime up_after_down_;
  guint64 switches_ = 0;
};

} // namespace p2p::viewer
