/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Writes HLS media and master playlists (RFC 8216) that hlsdemux2, hls.js
 * and parse_playlist() read back to the same model.
 */
#pragma once

#include <cstddef>
#include <string>

#include "playlist.h"

namespace p2p::hls {

/* Writes @playlist. Segment sequence numbers are media_sequence + index, so
 * MediaSegment::sequence is not read. EXT-X-TARGETDURATION is the larger of
 * @playlist.target_duration and the longest segment, rounded up to whole
 * seconds, so every EXTINF stays within it. EXT-X-VERSION is raised to what
 * the tags used need (3 for decimal EXTINF, 4 for BYTERANGE, 6 for MAP).
 *
 * @window > 0 writes a live sliding window: only the last @window segments,
 * with EXT-X-MEDIA-SEQUENCE and EXT-X-DISCONTINUITY-SEQUENCE advanced over
 * the segments left out. It applies to PlaylistType::LIVE only; EVENT and
 * VOD playlists always list every segment.
 *
 * CR, LF and '"' cannot be written inside a line or a quoted string: they
 * are dropped from URIs, titles and attribute values. URIs must be
 * non-empty and not start with '#'. */
std::string write_media_playlist (const MediaPlaylist &playlist,
                                  size_t window = 0);

/* Writes EXT-X-MEDIA renditions, then one EXT-X-STREAM-INF and URI per
 * variant, in model order (P2P Media Loader numbers variants by it). */
std::string write_master_playlist (const MasterPlaylist &playlist);

} // namespace p2p::hls
