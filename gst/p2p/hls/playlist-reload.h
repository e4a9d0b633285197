/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Checks that a reload of a live media playlist can follow the previous one
 * (RFC 8216 §6.2.1: a server may only append segments, remove the oldest
 * ones, bump EXT-X-DISCONTINUITY-SEQUENCE accordingly and add
 * EXT-X-ENDLIST). The viewer keys segments by media sequence number, so a
 * reload that renumbers or rewrites segments must be refused.
 */
#pragma once

#include "playlist-parser.h"

namespace p2p::hls {

/* Returns false with GST_P2P_ERROR_PLAYLIST_INVALID when @reloaded cannot
 * follow @previous: media sequence going backwards, segments vanishing from
 * the end, a segment changing URI, byte range or SHA-256 under the same
 * sequence number, EXT-X-ENDLIST withdrawn, discontinuity sequence going
 * backwards. Tolerable changes (target duration, playlist type, durations,
 * discontinuity count, skipped segments) are appended to @warnings, which
 * may be null. */
bool check_playlist_reload (const MediaPlaylist &previous,
                            const MediaPlaylist &reloaded, Warnings *warnings,
                            GError **error);

} // namespace p2p::hls
