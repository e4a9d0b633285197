/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "segmenter.h"

#include "gst/p2p/packaging/fmp4-segmenter.h"

namespace p2p::packaging {

const char *
segment_extension (Container container)
{
  return container == Container::FRAGMENTED_MP4 ? ".m4s" : ".ts";
}

std::unique_ptr<Segmenter>
Segmenter::create (Container container, GstClockTime target_duration)
{
  if (container == Container::FRAGMENTED_MP4)
    return std::make_unique<Fmp4Segmenter> (target_duration);
  return std::make_unique<TsSegmenter> (target_duration);
}

TsSegmenter::TsSegmenter (GstClockTime target_duration)
    : target_duration_ (target_duration)
{
}

TsSegmenter::~TsSegmenter ()
{
  if (current_)
    g_byte_array_unref (current_);
}

bool
TsSegmenter::push (const guint8 *data, gsize size, GstClockTime timestamp,
                   bool is_key_frame, std::optional<CutSegment> *cut, GError **)
{
  /* Without video, every PES packet of audio can start a segment. */
  const bool can_start = is_key_frame
                         || (tables_.has_video () == false
                             && TsProgramTables::starts_unit (data, size));
  if (!current_) {
    if (!can_start) {
      dropped_bytes_ += size;
      tables_.observe (data, size);
      return true;
    }
    start_segment (data, size);
    start_ = timestamp;
  } else if (can_start && GST_CLOCK_TIME_IS_VALID (timestamp)
             && GST_CLOCK_TIME_IS_VALID (start_) && timestamp >= start_
             && timestamp - start_ >= target_duration_) {
    *cut = take_current (timestamp);
    start_segment (data, size);
    start_ = timestamp;
  }
  tables_.observe (data, size);

  if (GST_CLOCK_TIME_IS_VALID (timestamp)) {
    if (!GST_CLOCK_TIME_IS_VALID (start_))
      start_ = timestamp;
    if (GST_CLOCK_TIME_IS_VALID (last_timestamp_)
        && timestamp > last_timestamp_)
      frame_interval_ = timestamp - last_timestamp_;
    if (!GST_CLOCK_TIME_IS_VALID (last_timestamp_)
        || timestamp > last_timestamp_)
      last_timestamp_ = timestamp;
  }
  g_byte_array_append (current_, data, size);
  return true;
}

std::optional<CutSegment>
TsSegmenter::finish ()
{
  if (!current_ || current_->len == 0)
    return std::nullopt;
  GstClockTime end = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (last_timestamp_))
    end = last_timestamp_ + frame_interval_;
  return take_current (end);
}

void
TsSegmenter::start_segment (const guint8 *data, gsize size)
{
  current_ = g_byte_array_new ();
  if (TsProgramTables::starts_with_pat (data, size))
    return;
  std::string tables = tables_.header ();
  g_byte_array_append (current_,
                       reinterpret_cast<const guint8 *> (tables.data ()),
                       tables.size ());
}

CutSegment
TsSegmenter::take_current (GstClockTime end)
{
  CutSegment segment;
  segment.data.reset (g_byte_array_free_to_bytes (current_));
  current_ = nullptr;
  segment.start = start_;
  if (GST_CLOCK_TIME_IS_VALID (end) && GST_CLOCK_TIME_IS_VALID (start_)
      && end > start_)
    segment.duration = end - start_;
  last_timestamp_ = GST_CLOCK_TIME_NONE;
  return segment;
}

} // namespace p2p::packaging
