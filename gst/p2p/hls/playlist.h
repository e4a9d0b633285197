/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The HLS playlist model (RFC 8216) shared by the parser and the writer.
 * Durations are GstClockTime (nanoseconds); URIs are kept as written in the
 * playlist and resolved against the playlist's own URL by resolve_uri().
 */
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gst/gst.h>

namespace p2p::hls {

/* The extra tag p2pswarmsink writes before a segment's EXTINF: the SHA-256
 * of the segment's bytes in lower-case hex. Players ignore unknown tags
 * (RFC 8216 §4.1). */
inline constexpr const char *kSegmentSha256Tag = "#EXT-X-P2P-SHA256";

/* The extra tag p2pswarmsink writes for peers that relay segments while
 * they still arrive (swarm/chunk-tree.h): the segment's size, how it is
 * cut, and the root of its chunk hashes, e.g.
 * #EXT-X-P2P-CHUNKS:SIZE=750000,STRIPES=4,CHUNK-SIZE=16384,ROOT=<hex>. */
inline constexpr const char *kSegmentChunksTag = "#EXT-X-P2P-CHUNKS";

struct SegmentChunks
{
  uint64_t size = 0;
  uint32_t stripes = 0;
  uint32_t chunk_size = 0;
  std::string root; /* 64 lower-case hex digits */

  bool
  operator== (const SegmentChunks &other) const
  {
    return size == other.size && stripes == other.stripes
           && chunk_size == other.chunk_size && root == other.root;
  }
  bool
  operator!= (const SegmentChunks &other) const
  {
    return !(*this == other);
  }
};

/* EXT-X-BYTERANGE. The parser always fills @offset (an omitted one follows
 * the previous segment's range); the writer omits it when unset. */
struct ByteRange
{
  uint64_t length = 0;
  std::optional<uint64_t> offset;

  bool
  operator== (const ByteRange &other) const
  {
    return length == other.length && offset == other.offset;
  }
  bool
  operator!= (const ByteRange &other) const
  {
    return !(*this == other);
  }
};

/* EXT-X-MAP: the initialisation section of fMP4 or TS segments. */
struct InitSection
{
  std::string uri;
  std::optional<ByteRange> byte_range;

  bool
  operator== (const InitSection &other) const
  {
    return uri == other.uri && byte_range == other.byte_range;
  }
  bool
  operator!= (const InitSection &other) const
  {
    return !(*this == other);
  }
};

struct MediaSegment
{
  std::string uri;
  /* Media sequence number: EXT-X-MEDIA-SEQUENCE + index in the playlist. */
  int64_t sequence = 0;
  GstClockTime duration = 0;
  std::string title;
  bool discontinuity = false;
  /* EXT-X-PROGRAM-DATE-TIME in microseconds since the Unix epoch. */
  std::optional<int64_t> program_date_time_us;
  std::optional<ByteRange> byte_range;
  /* Shared by all the segments an EXT-X-MAP applies to, so a long MAP URI is
   * stored once and not once per segment; null when there is none. */
  std::shared_ptr<const InitSection> init_section;
  /* From kSegmentSha256Tag, lower-case hex, empty when absent. */
  std::string sha256;
  /* From kSegmentChunksTag. */
  std::optional<SegmentChunks> chunks;
};

enum class PlaylistType {
  LIVE, /* no EXT-X-PLAYLIST-TYPE: a sliding window */
  EVENT,
  VOD,
};

struct MediaPlaylist
{
  int version = 1;
  GstClockTime target_duration = 0;
  int64_t media_sequence = 0;
  int64_t discontinuity_sequence = 0;
  PlaylistType type = PlaylistType::LIVE;
  bool end_list = false;
  bool independent_segments = false;
  std::vector<MediaSegment> segments;

  /* Sum of the segments' durations. */
  GstClockTime total_duration () const;
};

/* EXT-X-STREAM-INF: one variant of a master playlist. */
struct Variant
{
  std::string uri;
  uint64_t bandwidth = 0;
  std::optional<uint64_t> average_bandwidth;
  std::string codecs;
  int width = 0;
  int height = 0;
  double frame_rate = 0.0;
  std::string video_range;
  std::string audio_group;
  std::string video_group;
  std::string subtitles_group;
  std::string name; /* NAME, a non-standard attribute some packagers add */
};

/* EXT-X-MEDIA: an alternative rendition. */
struct Rendition
{
  std::string type; /* AUDIO, VIDEO, SUBTITLES or CLOSED-CAPTIONS */
  std::string group_id;
  std::string name;
  std::string language;
  std::string channels;
  std::string uri; /* empty for renditions muxed into the variant */
  bool is_default = false;
  bool autoselect = false;
};

struct MasterPlaylist
{
  int version = 1;
  bool independent_segments = false;
  std::vector<Variant> variants;
  std::vector<Rendition> renditions;
};

/* Resolves @uri against @base_url (RFC 3986); returns @uri unchanged when it
 * is already absolute, and an empty string when @uri is relative and
 * @base_url is not an absolute URI. Percent-encoding is kept as written. */
std::string resolve_uri (const std::string &base_url, const std::string &uri);

} // namespace p2p::hls
