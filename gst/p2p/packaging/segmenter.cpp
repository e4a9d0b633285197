/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "segmenter.h"

namespace p2p::packaging {

Segmenter::Segmenter (GstClockTime target_duration)
    : target_duration_ (target_duration)
{
}

Segmenter::~Segmenter ()
{
  if (current_)
    g_byte_array_unref (current_);
}

std::optional<CutSegment>
Segmenter::push (const guint8 *data, gsize size, GstClockTime timestamp,
                 bool is_key_frame)
{
  std::optional<CutSegment> cut;

  if (!current_) {
    if (!is_key_frame) {
      dropped_bytes_ += size;
      tables_.observe (data, size);
      return cut;
    }
    start_segment (data, size);
    start_ = timestamp;
  } else if (is_key_frame && GST_CLOCK_TIME_IS_VALID (timestamp)
             && GST_CLOCK_TIME_IS_VALID (start_) && timestamp >= start_
             && timestamp - start_ >= target_duration_) {
    cut = take_current (timestamp);
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
  return cut;
}

std::optional<CutSegment>
Segmenter::finish ()
{
  if (!current_ || current_->len == 0)
    return std::nullopt;
  GstClockTime end = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID (last_timestamp_))
    end = last_timestamp_ + frame_interval_;
  return take_current (end);
}

void
Segmenter::start_segment (const guint8 *data, gsize size)
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
Segmenter::take_current (GstClockTime end)
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
