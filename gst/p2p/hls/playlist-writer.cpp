/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "playlist-writer.h"

#include <algorithm>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::hls {

namespace {

/* Keeps the playlist's line structure and quoted strings intact. */
std::string
sanitize (const std::string &text)
{
  std::string out;
  out.reserve (text.size ());
  for (char c : text) {
    if (c != '\r' && c != '\n' && c != '"')
      out += c;
  }
  return out;
}

std::string
quoted (const std::string &text)
{
  return "\"" + sanitize (text) + "\"";
}

/* Exact to the nanosecond so that parsing gives the same GstClockTime back;
 * at least three decimals, trailing zeros beyond them dropped. */
std::string
format_seconds (GstClockTime time)
{
  std::string fraction = std::to_string (time % GST_SECOND);
  fraction.insert (0, 9 - fraction.size (), '0');
  size_t keep = fraction.find_last_not_of ('0') + 1;
  fraction.resize (std::max<size_t> (keep, 3));
  return std::to_string (time / GST_SECOND) + "." + fraction;
}

std::string
format_byte_range (const ByteRange &range)
{
  std::string text = std::to_string (range.length);
  if (range.offset)
    text += "@" + std::to_string (*range.offset);
  return text;
}

std::string
format_date_time (int64_t unix_us)
{
  using GDateTimePtr
      = std::unique_ptr<GDateTime, FreeFunc<GDateTime, g_date_time_unref>>;
  GDateTimePtr seconds (g_date_time_new_from_unix_utc (
      unix_us / G_USEC_PER_SEC - (unix_us % G_USEC_PER_SEC < 0)));
  if (!seconds)
    return std::string ();
  int64_t micro = unix_us % G_USEC_PER_SEC;
  if (micro < 0)
    micro += G_USEC_PER_SEC;
  GDateTimePtr exact (g_date_time_add (seconds.get (), micro));
  if (!exact)
    return std::string ();
  GCharPtr text (g_date_time_format (exact.get (), "%Y-%m-%dT%H:%M:%S"));
  if (!text)
    return std::string ();
  /* Milliseconds as most packagers write them, microseconds only when
   * needed to give the same time back. */
  std::string digits = std::to_string (micro);
  digits.insert (0, 6 - digits.size (), '0');
  if (micro % 1000 == 0)
    digits.resize (3);
  return std::string (text.get ()) + "." + digits + "Z";
}

GstClockTime
ceil_seconds (GstClockTime time)
{
  return (time + GST_SECOND - 1) / GST_SECOND * GST_SECOND;
}

} // namespace

std::string
write_media_playlist (const MediaPlaylist &playlist, size_t window)
{
  const std::vector<MediaSegment> &segments = playlist.segments;
  size_t first = 0;
  if (window > 0 && playlist.type == PlaylistType::LIVE
      && segments.size () > window)
    first = segments.size () - window;
  int64_t discontinuity_sequence = playlist.discontinuity_sequence;
  for (size_t i = 0; i < first; i++)
    discontinuity_sequence += segments[i].discontinuity;

  GstClockTime target = ceil_seconds (playlist.target_duration);
  int version = std::max (playlist.version, 3);
  for (size_t i = first; i < segments.size (); i++) {
    target = std::max (target, ceil_seconds (segments[i].duration));
    if (segments[i].byte_range)
      version = std::max (version, 4);
    if (segments[i].init_section)
      version = std::max (version, 6);
  }
  target = std::max<GstClockTime> (target, GST_SECOND);

  std::string out = "#EXTM3U\n";
  out += "#EXT-X-VERSION:" + std::to_string (version) + "\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string (target / GST_SECOND) + "\n";
  out += "#EXT-X-MEDIA-SEQUENCE:"
         + std::to_string (playlist.media_sequence
                           + static_cast<int64_t> (first))
         + "\n";
  if (discontinuity_sequence != 0)
    out += "#EXT-X-DISCONTINUITY-SEQUENCE:"
           + std::to_string (discontinuity_sequence) + "\n";
  if (playlist.type == PlaylistType::EVENT)
    out += "#EXT-X-PLAYLIST-TYPE:EVENT\n";
  else if (playlist.type == PlaylistType::VOD)
    out += "#EXT-X-PLAYLIST-TYPE:VOD\n";
  if (playlist.independent_segments)
    out += "#EXT-X-INDEPENDENT-SEGMENTS\n";

  const InitSection *written_map = nullptr;
  for (size_t i = first; i < segments.size (); i++) {
    const MediaSegment &segment = segments[i];
    if (segment.discontinuity)
      out += "#EXT-X-DISCONTINUITY\n";
    if (segment.init_section
        && (!written_map || *written_map != *segment.init_section)) {
      out += "#EXT-X-MAP:URI=" + quoted (segment.init_section->uri);
      if (segment.init_section->byte_range)
        out += ",BYTERANGE=\""
               + format_byte_range (*segment.init_section->byte_range) + "\"";
      out += "\n";
      written_map = segment.init_section.get ();
    }
    if (segment.program_date_time_us) {
      std::string date = format_date_time (*segment.program_date_time_us);
      if (!date.empty ())
        out += "#EXT-X-PROGRAM-DATE-TIME:" + date + "\n";
    }
    if (!segment.sha256.empty ())
      out += std::string (kSegmentSha256Tag) + ":" + sanitize (segment.sha256)
             + "\n";
    if (segment.chunks)
      out += std::string (kSegmentChunksTag)
             + ":SIZE=" + std::to_string (segment.chunks->size)
             + ",STRIPES=" + std::to_string (segment.chunks->stripes)
             + ",CHUNK-SIZE=" + std::to_string (segment.chunks->chunk_size)
             + ",ROOT=" + sanitize (segment.chunks->root) + "\n";
    out += "#EXTINF:" + format_seconds (segment.duration) + ","
           + sanitize (segment.title) + "\n";
    if (segment.byte_range)
      out += "#EXT-X-BYTERANGE:" + format_byte_range (*segment.byte_range)
             + "\n";
    out += sanitize (segment.uri) + "\n";
  }
  if (playlist.end_list)
    out += "#EXT-X-ENDLIST\n";
  return out;
}

std::string
write_master_playlist (const MasterPlaylist &playlist)
{
  std::string out = "#EXTM3U\n";
  out += "#EXT-X-VERSION:" + std::to_string (std::max (playlist.version, 1))
         + "\n";
  if (playlist.independent_segments)
    out += "#EXT-X-INDEPENDENT-SEGMENTS\n";

  for (const Rendition &rendition : playlist.renditions) {
    /* TYPE is an enumerated-string: unquoted. */
    out += "#EXT-X-MEDIA:TYPE=" + sanitize (rendition.type) + ",GROUP-ID="
           + quoted (rendition.group_id) + ",NAME=" + quoted (rendition.name);
    if (!rendition.language.empty ())
      out += ",LANGUAGE=" + quoted (rendition.language);
    if (!rendition.channels.empty ())
      out += ",CHANNELS=" + quoted (rendition.channels);
    out += std::string (",DEFAULT=") + (rendition.is_default ? "YES" : "NO");
    out += std::string (",AUTOSELECT=") + (rendition.autoselect ? "YES" : "NO");
    if (!rendition.uri.empty ())
      out += ",URI=" + quoted (rendition.uri);
    out += "\n";
  }

  for (const Variant &variant : playlist.variants) {
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string (variant.bandwidth);
    if (variant.average_bandwidth)
      out += ",AVERAGE-BANDWIDTH="
             + std::to_string (*variant.average_bandwidth);
    if (!variant.codecs.empty ())
      out += ",CODECS=" + quoted (variant.codecs);
    if (variant.width > 0 && variant.height > 0)
      out += ",RESOLUTION=" + std::to_string (variant.width) + "x"
             + std::to_string (variant.height);
    if (variant.frame_rate > 0) {
      gchar rate[G_ASCII_DTOSTR_BUF_SIZE];
      out += std::string (",FRAME-RATE=")
             + g_ascii_formatd (rate, sizeof (rate), "%.3f",
                                variant.frame_rate);
    }
    if (!variant.video_range.empty ())
      out += ",VIDEO-RANGE=" + sanitize (variant.video_range);
    if (!variant.audio_group.empty ())
      out += ",AUDIO=" + quoted (variant.audio_group);
    if (!variant.video_group.empty ())
      out += ",VIDEO=" + quoted (variant.video_group);
    if (!variant.subtitles_group.empty ())
      out += ",SUBTITLES=" + quoted (variant.subtitles_group);
    if (!variant.name.empty ())
      out += ",NAME=" + quoted (variant.name);
    out += "\n" + sanitize (variant.uri) + "\n";
  }
  return out;
}

} // namespace p2p::hls
