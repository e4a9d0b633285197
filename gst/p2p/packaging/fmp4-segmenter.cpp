/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fmp4-segmenter.h"

#include <algorithm>

#include "gst/p2p/common/error.h"

namespace p2p::packaging {

namespace {

constexpr guint32
fourcc (const char (&name)[5])
{
  return (guint32 (guint8 (name[0])) << 24) | (guint32 (guint8 (name[1])) << 16)
         | (guint32 (guint8 (name[2])) << 8) | guint32 (guint8 (name[3]));
}

/* Boxes before the first fragment (the initialisation section) and movie
 * fragment boxes are held in memory whole; anything larger is not MP4
 * from a muxer. */
constexpr gsize kMaxHeldBox = 4 * 1024 * 1024;

/* ISO/IEC 14496-12 sample flags: sample_is_non_sync_sample. */
constexpr guint32 kNonSyncSample = 0x10000;

guint32
read_u32 (const guint8 *p)
{
  return (guint32 (p[0]) << 24) | (guint32 (p[1]) << 16) | (guint32 (p[2]) << 8)
         | guint32 (p[3]);
}

guint64
read_u64 (const guint8 *p)
{
  return (guint64 (read_u32 (p)) << 32) | read_u32 (p + 4);
}

/* A box's body within a bounds-checked span. */
struct Box
{
  guint32 type = 0;
  const guint8 *body = nullptr;
  gsize size = 0;

  /* A full box's version and flags, and what follows them. */
  guint8
  version () const
  {
    return size >= 4 ? body[0] : 0;
  }
  guint32
  flags () const
  {
    return size >= 4 ? read_u32 (body) & 0xffffff : 0;
  }
};

/* Calls @f for each box in [@data, @data + @size) until one does not fit. */
template <typename F>
void
for_each_box (const guint8 *data, gsize size, F &&f)
{
  gsize at = 0;
  while (size - at >= 8) {
    guint64 length = read_u32 (data + at);
    gsize header = 8;
    if (length == 1) {
      if (size - at < 16)
        return;
      length = read_u64 (data + at + 8);
      header = 16;
    } else if (length == 0) {
      length = size - at;
    }
    if (length < header || length > size - at)
      return;
    f (Box{ read_u32 (data + at + 4), data + at + header,
            gsize (length - header) });
    at += length;
  }
}

/* The first child of @parent of type @type, if any. */
std::optional<Box>
child (const Box &parent, guint32 type)
{
  std::optional<Box> found;
  for_each_box (parent.body, parent.size, [&] (const Box &b) {
    if (!found && b.type == type)
      found = b;
  });
  return found;
}

GError *
stream_error (const char *message)
{
  return g_error_new_literal (GST_P2P_ERROR, GST_P2P_ERROR_BAD_CONTENT,
                              message);
}

} // namespace

Fmp4Segmenter::Fmp4Segmenter (GstClockTime target_duration)
    : target_duration_ (target_duration), current_ (g_byte_array_new ())
{
}

Fmp4Segmenter::~Fmp4Segmenter () { g_byte_array_unref (current_); }

bool
Fmp4Segmenter::push (const guint8 *data, gsize size, GstClockTime, bool,
                     std::optional<CutSegment> *cut, GError **error)
{
  while (size > 0) {
    if (!in_box_) {
      /* 8 header bytes, 16 when the size is a 64-bit largesize. */
      auto header_at = [this] {
        return reinterpret_cast<const guint8 *> (header_.data ());
      };
      gsize wanted
          = header_.size () >= 8 && read_u32 (header_at ()) == 1 ? 16 : 8;
      gsize n = std::min (size, wanted - header_.size ());
      header_.append (reinterpret_cast<const char *> (data), n);
      data += n;
      size -= n;
      if (header_.size () < 8
          || (read_u32 (header_at ()) == 1 && header_.size () < 16))
        continue;
      const guint8 *h = header_at ();
      guint64 length = read_u32 (h) == 1 ? read_u64 (h + 8) : read_u32 (h);
      if (length < header_.size ()) {
        g_propagate_error (error,
                           stream_error ("Malformed MP4: a box without a size "
                                         "or smaller than its header"));
        return false;
      }
      in_box_ = true;
      box_left_ = length - header_.size ();
      if (!begin_box (read_u32 (h + 4), error))
        return false;
      append (h, header_.size ());
      header_.clear ();
    } else {
      gsize n = box_left_ < size ? gsize (box_left_) : size;
      append (data, n);
      data += n;
      size -= n;
      box_left_ -= n;
    }
    if (in_box_ && box_left_ == 0) {
      in_box_ = false;
      if (destination_ == Destination::MOOF)
        add_fragment (moof_, cut);
      else if (!end_box (error))
        return false;
    }
  }
  return true;
}

bool
Fmp4Segmenter::begin_box (guint32 type, GError **error)
{
  const bool fragments_began = init_section_ != nullptr;
  if (type == fourcc ("mdat") && !fragments_began) {
    g_propagate_error (
        error, stream_error ("The MP4 stream is not fragmented (its media "
                             "data comes before any movie fragment): set "
                             "mp4mux's fragment-duration"));
    return false;
  }
  if (type == fourcc ("moof") || !fragments_began) {
    if (box_left_ > kMaxHeldBox) {
      g_propagate_error (error, stream_error ("Malformed MP4: a header box "
                                              "larger than 4 MiB"));
      return false;
    }
    if (type == fourcc ("moof") && !fragments_began && !read_movie (error))
      return false;
    destination_
        = type == fourcc ("moof") ? Destination::MOOF : Destination::INIT;
    moof_.clear ();
    return true;
  }
  /* Indexes and the random access box point at offsets in one file, which
   * segments do not keep. */
  const bool dropped = type == fourcc ("sidx") || type == fourcc ("mfra")
                       || type == fourcc ("moov") || type == fourcc ("ftyp");
  destination_ = dropped ? Destination::DROP : Destination::SEGMENT;
  return true;
}

void
Fmp4Segmenter::append (const guint8 *data, gsize size)
{
  switch (destination_) {
  case Destination::INIT:
    init_.append (reinterpret_cast<const char *> (data), size);
    break;
  case Destination::MOOF:
    moof_.append (reinterpret_cast<const char *> (data), size);
    break;
  case Destination::SEGMENT:
    g_byte_array_append (current_, data, size);
    break;
  case Destination::DROP:
    break;
  }
}

bool
Fmp4Segmenter::end_box (GError **error)
{
  if (destination_ == Destination::INIT && init_.size () > kMaxHeldBox) {
    g_propagate_error (error, stream_error ("Malformed MP4: more than 4 MiB "
                                            "before the first fragment"));
    return false;
  }
  return true;
}

bool
Fmp4Segmenter::read_movie (GError **error)
{
  std::optional<Box> moov;
  for_each_box (reinterpret_cast<const guint8 *> (init_.data ()), init_.size (),
                [&] (const Box &b) {
                  if (b.type == fourcc ("moov"))
                    moov = b;
                });
  if (!moov) {
    g_propagate_error (error, stream_error ("The MP4 stream has no moov "
                                            "before its first fragment"));
    return false;
  }
  for_each_box (moov->body, moov->size, [this] (const Box &b) {
    if (b.type == fourcc ("trak")) {
      auto tkhd = child (b, fourcc ("tkhd"));
      auto mdia = child (b, fourcc ("mdia"));
      auto mdhd = mdia ? child (*mdia, fourcc ("mdhd")) : std::nullopt;
      auto hdlr = mdia ? child (*mdia, fourcc ("hdlr")) : std::nullopt;
      /* track_ID after version, flags and two times of 4 or 8 bytes. */
      gsize id_at = tkhd && tkhd->version () == 1 ? 20 : 12;
      gsize scale_at = mdhd && mdhd->version () == 1 ? 20 : 12;
      if (!tkhd || tkhd->size < id_at + 4 || !mdhd || mdhd->size < scale_at + 4
          || !hdlr || hdlr->size < 12)
        return;
      guint32 id = read_u32 (tkhd->body + id_at);
      Track &track = tracks_[id];
      track.timescale = read_u32 (mdhd->body + scale_at);
      track.video = read_u32 (hdlr->body + 8) == fourcc ("vide");
      if (reference_track_ == 0
          || (track.video && !tracks_[reference_track_].video))
        reference_track_ = id;
    } else if (b.type == fourcc ("mvex")) {
      for_each_box (b.body, b.size, [this] (const Box &trex) {
        if (trex.type != fourcc ("trex") || trex.size < 24)
          return;
        Track &track = tracks_[read_u32 (trex.body + 4)];
        track.default_sample_duration = read_u32 (trex.body + 12);
        track.default_sample_flags = read_u32 (trex.body + 20);
      });
    }
  });
  auto reference = tracks_.find (reference_track_);
  if (reference == tracks_.end () || reference->second.timescale == 0) {
    g_propagate_error (error, stream_error ("The MP4 stream's moov describes "
                                            "no usable track"));
    return false;
  }
  init_section_.reset (g_bytes_new (init_.data (), init_.size ()));
  init_.clear ();
  return true;
}

std::optional<Fmp4Segmenter::ReferenceFragment>
Fmp4Segmenter::read_fragment (const std::string &moof)
{
  std::optional<ReferenceFragment> found;
  const Track &track = tracks_[reference_track_];
  const Box moof_box{ fourcc ("moof"),
                      reinterpret_cast<const guint8 *> (moof.data ()) + 8,
                      moof.size () - 8 };
  for_each_box (moof_box.body, moof_box.size, [&] (const Box &traf) {
    if (traf.type != fourcc ("traf") || found)
      return;
    auto tfhd = child (traf, fourcc ("tfhd"));
    if (!tfhd || tfhd->size < 8
        || read_u32 (tfhd->body + 4) != reference_track_)
      return;
    /* tfhd: optional fields after track_ID, in this order, by flag. */
    guint32 duration = track.default_sample_duration;
    guint32 sample_flags = track.default_sample_flags;
    gsize at = 8;
    const guint32 tf = tfhd->flags ();
    at += (tf & 0x01) ? 8 : 0;
    at += (tf & 0x02) ? 4 : 0;
    if ((tf & 0x08) && tfhd->size >= at + 4)
      duration = read_u32 (tfhd->body + at);
    at += (tf & 0x08) ? 4 : 0;
    at += (tf & 0x10) ? 4 : 0;
    if ((tf & 0x20) && tfhd->size >= at + 4)
      sample_flags = read_u32 (tfhd->body + at);

    ReferenceFragment fragment;
    guint64 total = 0;
    auto trun = child (traf, fourcc ("trun"));
    if (trun && trun->size >= 8) {
      /* trun: sample_count, optional data_offset and first_sample_flags,
       * then a record per sample with the fields its flags say. */
      const guint32 rf = trun->flags ();
      const guint32 count = read_u32 (trun->body + 4);
      gsize p = 8 + ((rf & 0x01) ? 4 : 0);
      const bool first_flags = (rf & 0x04) && trun->size >= p + 4;
      if (first_flags)
        sample_flags = read_u32 (trun->body + p);
      p += (rf & 0x04) ? 4 : 0;
      const gsize flags_at = (rf & 0x100 ? 4 : 0) + (rf & 0x200 ? 4 : 0);
      const gsize record
          = flags_at + (rf & 0x400 ? 4 : 0) + (rf & 0x800 ? 4 : 0);
      if (record == 0)
        total = guint64 (count) * duration;
      for (guint32 i = 0; record > 0 && i < count && trun->size >= p + record;
           i++) {
        const guint8 *r = trun->body + p;
        total += (rf & 0x100) ? read_u32 (r) : duration;
        if (i == 0 && !first_flags && (rf & 0x400))
          sample_flags = read_u32 (r + flags_at);
        p += record;
      }
    }
    fragment.sync = !(sample_flags & kNonSyncSample);
    auto tfdt = child (traf, fourcc ("tfdt"));
    gsize width = tfdt && tfdt->version () == 1 ? 8 : 4;
    if (tfdt && tfdt->size >= 4 + width) {
      guint64 base
          = width == 8 ? read_u64 (tfdt->body + 4) : read_u32 (tfdt->body + 4);
      fragment.start
          = gst_util_uint64_scale (base, GST_SECOND, track.timescale);
    } else {
      fragment.start = reference_end_;
    }
    fragment.duration
        = gst_util_uint64_scale (total, GST_SECOND, track.timescale);
    found = fragment;
  });
  return found;
}

void
Fmp4Segmenter::add_fragment (const std::string &moof,
                             std::optional<CutSegment> *cut)
{
  std::optional<ReferenceFragment> fragment = read_fragment (moof);
  if (!fragment) {
    /* Another track's fragment: it goes with the next reference one if
     * that starts a segment. */
    if (others_from_ < 0)
      others_from_ = current_->len;
    g_byte_array_append (current_,
                         reinterpret_cast<const guint8 *> (moof.data ()),
                         moof.size ());
    return;
  }
  const gsize from = others_from_ >= 0 ? gsize (others_from_) : current_->len;
  others_from_ = -1;
  if (fragment->sync && GST_CLOCK_TIME_IS_VALID (fragment->start)) {
    if (!open_) {
      /* What came before could not be played without this key frame. */
      g_byte_array_remove_range (current_, 0, from);
      open_ = true;
      start_ = fragment->start;
    } else if (fragment->start >= start_
               && fragment->start - start_ >= target_duration_) {
      *cut = take (from, fragment->start);
      start_ = fragment->start;
    }
  } else if (!open_) {
    /* Waiting for the first key frame: keep no more than this fragment. */
    g_byte_array_set_size (current_, 0);
  }
  if (GST_CLOCK_TIME_IS_VALID (fragment->start))
    reference_end_ = fragment->start + fragment->duration;
  g_byte_array_append (
      current_, reinterpret_cast<const guint8 *> (moof.data ()), moof.size ());
  destination_ = Destination::SEGMENT;
}

CutSegment
Fmp4Segmenter::take (gsize length, GstClockTime end)
{
  GByteArray *rest = g_byte_array_new ();
  g_byte_array_append (rest, current_->data + length, current_->len - length);
  g_byte_array_set_size (current_, length);
  CutSegment segment;
  segment.data.reset (g_byte_array_free_to_bytes (current_));
  current_ = rest;
  segment.start = start_;
  if (GST_CLOCK_TIME_IS_VALID (end) && GST_CLOCK_TIME_IS_VALID (start_)
      && end > start_)
    segment.duration = end - start_;
  return segment;
}

std::optional<CutSegment>
Fmp4Segmenter::finish ()
{
  if (!open_ || current_->len == 0)
    return std::nullopt;
  return take (current_->len, reference_end_);
}

} // namespace p2p::packaging
