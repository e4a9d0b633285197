/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cuts fragmented MP4 (ISO BMFF, as mp4mux writes it with
 * fragment-duration set) into HLS segments. What comes before the first
 * movie fragment (ftyp, moov) is the initialisation section (EXT-X-MAP);
 * the fragments (moof + mdat) are grouped into segments. A segment starts
 * at a fragment of the reference track (the first video track, else the
 * first track) whose first sample is a sync sample, once the current
 * segment lasted the target duration; the fragments of other tracks just
 * before it go with it, so that a segment holds all tracks of its time.
 * Times come from the fragments (tfdt) in the track's timescale (mdhd), so
 * the buffers' flags and timestamps do not matter. An MP4 that is not
 * fragmented is refused. Input is untrusted: every box is bounds-checked.
 * Pure logic: no I/O.
 */
#pragma once

#include <map>
#include <string>

#include "gst/p2p/packaging/segmenter.h"

namespace p2p::packaging {

class Fmp4Segmenter : public Segmenter
{
public:
  explicit Fmp4Segmenter (GstClockTime target_duration);
  ~Fmp4Segmenter () override;

  bool push (const guint8 *data, gsize size, GstClockTime timestamp,
             bool is_key_frame, std::optional<CutSegment> *cut,
             GError **error) override;
  std::optional<CutSegment> finish () override;
  GBytes *
  init_section () const override
  {
    return init_section_.get ();
  }

private:
  struct Track
  {
    guint32 timescale = 0;
    bool video = false;
    /* From the track's trex (mvex). */
    guint32 default_sample_duration = 0;
    guint32 default_sample_flags = 0;
  };
  /* What a movie fragment says of the reference track. */
  struct ReferenceFragment
  {
    GstClockTime start = GST_CLOCK_TIME_NONE;
    GstClockTime duration = 0;
    bool sync = false;
  };
  enum class Destination { INIT, MOOF, SEGMENT, DROP };

  bool begin_box (guint32 type, GError **error);
  void append (const guint8 *data, gsize size);
  bool end_box (GError **error);
  bool read_movie (GError **error);
  std::optional<ReferenceFragment> read_fragment (const std::string &moof);
  void add_fragment (const std::string &moof, std::optional<CutSegment> *cut);
  CutSegment take (gsize length, GstClockTime end);

  GstClockTime target_duration_;
  /* The box being read: its header so far, then its body. */
  std::string header_;
  bool in_box_ = false;
  guint32 box_type_ = 0;
  guint64 box_left_ = 0;
  Destination destination_ = Destination::DROP;

  std::string init_;
  GBytesPtr init_section_;
  std::map<guint32, Track> tracks_;
  guint32 reference_track_ = 0;
  std::string moof_;

  /* Bytes since the last cut; a segment is open once a sync fragment of
   * the reference track came. */
  GByteArray *current_ = nullptr;
  bool open_ = false;
  GstClockTime start_ = GST_CLOCK_TIME_NONE;
  /* Where the fragments of other tracks since the last reference one
   * begin in current_, -1 when the last fragment was a reference one. */
  gssize others_from_ = -1;
  /* The end of the reference track's last fragment. */
  GstClockTime reference_end_ = GST_CLOCK_TIME_NONE;
};

} // namespace p2p::packaging
