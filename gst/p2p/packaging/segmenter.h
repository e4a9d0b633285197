/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cuts a muxed MPEG-TS byte stream into HLS segments. A segment starts on a
 * key frame (a buffer without GST_BUFFER_FLAG_DELTA_UNIT, which mpegtsmux
 * sets on every packet but the first of a key frame) once the current
 * segment has lasted at least the target duration. Each segment of an
 * MPEG-TS stream starts with the stream's latest PAT and PMT (see
 * ts-program-tables.h). Pure logic: no I/O.
 */
#pragma once

#include <optional>

#include <gst/gst.h>

#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/packaging/ts-program-tables.h"

namespace p2p::packaging {

struct CutSegment
{
  GBytesPtr data;
  GstClockTime start = GST_CLOCK_TIME_NONE;
  GstClockTime duration = 0;
};

class Segmenter
{
public:
  explicit Segmenter (GstClockTime target_duration);
  /* Drops the segment in progress, if any. */
  ~Segmenter ();

  Segmenter (const Segmenter &) = delete;
  Segmenter &operator= (const Segmenter &) = delete;

  /* Appends one buffer's bytes. @timestamp is its PTS (or DTS, or arrival
   * running time; GST_CLOCK_TIME_NONE if unknown). Returns the segment that
   * ended just before this buffer when the buffer starts a new one. Bytes
   * before the first key frame are dropped: a segment must be decodable on
   * its own. */
  std::optional<CutSegment> push (const guint8 *data, gsize size,
                                  GstClockTime timestamp, bool is_key_frame);

  /* Ends the stream: returns the segment in progress, if it holds anything. */
  std::optional<CutSegment> finish ();

  /* Bytes dropped while waiting for the first key frame. */
  guint64
  dropped_bytes () const
  {
    return dropped_bytes_;
  }

private:
  /* Opens a segment with @data (its first buffer) and the program tables it
   * needs in front. */
  void start_segment (const guint8 *data, gsize size);
  CutSegment take_current (GstClockTime end);

  GstClockTime target_duration_;
  GByteArray *current_ = nullptr;
  GstClockTime start_ = GST_CLOCK_TIME_NONE;
  GstClockTime last_timestamp_ = GST_CLOCK_TIME_NONE;
  /* Typical distance between successive timestamps, to close the last
   * segment at EOS one frame after its last timestamp. */
  GstClockTime frame_interval_ = 0;
  guint64 dropped_bytes_ = 0;
  TsProgramTables tables_;
};

} // namespace p2p::packaging
