/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cuts a muxed stream into HLS segments: MPEG-TS (TsSegmenter) or
 * fragmented MP4 (Fmp4Segmenter, fmp4-segmenter.h). A segment starts on a
 * key frame once the current one has lasted at least the target duration;
 * a stream without video starts one at any unit that can be decoded on its
 * own, as hlssink2 does for audio. Pure logic: no I/O.
 */
#pragma once

#include <memory>
#include <optional>

#include <gst/gst.h>

#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/packaging/ts-program-tables.h"

namespace p2p::packaging {

/* What the broadcaster is fed. */
enum class Container {
  MPEG_TS,        /* video/mpegts, from mpegtsmux */
  FRAGMENTED_MP4, /* video/quicktime, from mp4mux fragment-duration=... */
};

/* ".ts" or ".m4s": the extension of segment names. */
const char *segment_extension (Container container);

struct CutSegment
{
  GBytesPtr data;
  GstClockTime start = GST_CLOCK_TIME_NONE;
  GstClockTime duration = 0;
};

class Segmenter
{
public:
  virtual ~Segmenter () = default;

  static std::unique_ptr<Segmenter> create (Container container,
                                            GstClockTime target_duration);

  /* Appends one buffer's bytes. @timestamp is its PTS (or DTS, or arrival
   * running time; GST_CLOCK_TIME_NONE if unknown) and @is_key_frame whether
   * it lacks GST_BUFFER_FLAG_DELTA_UNIT. When the buffer starts a new
   * segment, @cut receives the one that ended before it. False with
   * @error when the stream cannot be cut into segments. */
  virtual bool push (const guint8 *data, gsize size, GstClockTime timestamp,
                     bool is_key_frame, std::optional<CutSegment> *cut,
                     GError **error)
      = 0;

  /* Ends the stream: returns the segment in progress, if it holds anything. */
  virtual std::optional<CutSegment> finish () = 0;

  /* The initialisation section every segment needs (EXT-X-MAP), once
   * known; null for MPEG-TS. */
  virtual GBytes *
  init_section () const
  {
    return nullptr;
  }
};

/* MPEG-TS: a segment starts on a key frame (a buffer without
 * GST_BUFFER_FLAG_DELTA_UNIT, which mpegtsmux sets on every packet but the
 * first of a key frame) or, when the PMT lists no video, on any buffer
 * starting a PES packet or table. Each segment starts with the stream's
 * latest PAT and PMT (see ts-program-tables.h). */
class TsSegmenter : public Segmenter
{
public:
  explicit TsSegmenter (GstClockTime target_duration);
  ~TsSegmenter () override;

  /* Bytes before the first place a segment can start are dropped: a
   * segment must be decodable on its own. */
  bool push (const guint8 *data, gsize size, GstClockTime timestamp,
             bool is_key_frame, std::optional<CutSegment> *cut,
             GError **error) override;
  std::optional<CutSegment> finish () override;

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
