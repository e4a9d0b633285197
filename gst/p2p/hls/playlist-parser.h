/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Parses HLS master and media playlists (RFC 8216): live, EVENT and VOD.
 * Pure: no I/O and no URL resolution, URIs stay as written (see
 * resolve_uri()). Anything that makes a playlist unusable or ambiguous is a
 * GError in GST_P2P_ERROR (PLAYLIST_INVALID, or PLAYLIST_UNSUPPORTED for
 * encryption); oddities a player can live with are appended to a warnings
 * list the element posts as GST_ELEMENT_WARNING.
 */
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "playlist.h"

namespace p2p::hls {

/* Hostile-input caps. A 24 h VOD of 1 s segments is 86 400 segments. */
inline constexpr size_t kMaxPlaylistBytes = 16 * 1024 * 1024;
inline constexpr size_t kMaxLineBytes = 64 * 1024;
inline constexpr size_t kMaxSegments = 100000;
inline constexpr size_t kMaxVariants = 1000; /* and as many renditions */
/* Longest EXTINF or EXT-X-TARGETDURATION accepted, in seconds. */
inline constexpr uint64_t kMaxDurationSeconds = 24 * 3600;
/* Further warnings are counted in one last "... more warnings" entry. */
inline constexpr size_t kMaxWarnings = 50;

/* Human-readable, one line each, starting with "line N: " when they concern
 * one line. */
using Warnings = std::vector<std::string>;

using Playlist = std::variant<MediaPlaylist, MasterPlaylist>;

/* Parses either kind; which one it is follows from its tags (a playlist with
 * both master and media tags is invalid). @warnings may be null. */
std::optional<Playlist> parse_playlist (std::string_view text,
                                        Warnings *warnings, GError **error);

/* As parse_playlist() but fails with PLAYLIST_INVALID when @text is the
 * other kind of playlist. */
std::optional<MediaPlaylist> parse_media_playlist (std::string_view text,
                                                   Warnings *warnings,
                                                   GError **error);
std::optional<MasterPlaylist> parse_master_playlist (std::string_view text,
                                                     Warnings *warnings,
                                                     GError **error);

} // namespace p2p::hls
