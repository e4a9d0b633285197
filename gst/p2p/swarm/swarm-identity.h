/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Swarm identity exactly as P2P Media Loader 2.3.x derives it
 * (PROTOCOLS.md §3.2), so that browsers and our peers playing the same
 * stream meet in the same tracker swarm:
 *
 *   swarmId       = swarm-id override, or the manifest response URL up to
 *                   its first '?'
 *   short id      = base64 (SHA-1 ("{bitrate}-{codecs}-{width}-{height}-
 *                   {lang}-{channels}-{name}-{frameRate}-{videoRange}"))
 *   streamSwarmId = "v2-" swarmId "-" ("main" | "secondary") "-" short id
 *   info_hash     = base64 (SHA-1 (streamSwarmId)[0..14]): 20 ASCII bytes
 *
 * The short id hashes what hls.js reports for a level or an audio track, so
 * the converters below reproduce hls.js 1.x: see stream_attributes_for_*.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <glib.h>

#include "gst/p2p/common/random.h"
#include "gst/p2p/hls/playlist.h"

namespace p2p::swarm {

/* "main" streams are hls.js levels (variants, or the one level of a bare
 * media playlist); "secondary" streams are hls.js audio tracks. */
enum class StreamType {
  MAIN,
  SECONDARY,
};

/* The inputs of P2P Media Loader's generateStreamShortId; std::nullopt is
 * JavaScript's undefined. Strings are taken as hls.js hands them over (raw
 * attribute values); the normalisation happens in stream_short_id(). */
struct StreamAttributes
{
  uint64_t bitrate = 0;
  std::optional<std::string> codecs;
  std::optional<int64_t> width;
  std::optional<int64_t> height;
  std::optional<std::string> language;
  std::optional<std::string> channels;
  std::optional<std::string> name;
  std::optional<double> frame_rate;
  std::optional<std::string> video_range;
};

/* What P2P Media Loader's hls.js integration hashes for a variant
 * (`segment-manager.ts` processMainManifest on hls.js MANIFEST_LOADED):
 * - bitrate: BANDWIDTH, or AVERAGE-BANDWIDTH when BANDWIDTH is 0/missing
 *   (hls.js LevelParsed.bitrate; LevelParsed has no maxBitrate, so P2PML's
 *   `maxBitrate ?? bitrate` is the bitrate). If it is 0 nothing else counts.
 * - codecs: hls.js `videoCodec` only: the CODECS entries whose 4-character
 *   sample entry hls.js lists as video, "/…" suffixes cut, joined with ','
 *   and avc1 "P.L" decimal forms already rewritten by hls.js's level
 *   controller (convertAVC1ToAVCOTI). Audio codecs of a variant do not count.
 * - width/height from RESOLUTION (absent when 0: our model cannot tell
 *   RESOLUTION=0x0 from no RESOLUTION), frame rate from FRAME-RATE (0 taken
 *   as absent), video range from VIDEO-RANGE. NAME does not count.
 * Codecs hls.js does not know but the browser's MediaSource accepts are
 * appended to videoCodec by hls.js; that depends on the browser and is not
 * reproduced. */
StreamAttributes stream_attributes_for_variant (const hls::Variant &variant);

/* A bare media playlist: hls.js makes one level with bitrate 0, so the id is
 * that of "0--------" (UYnLxGhQilEV4D0HbCx+kRv0ZF0=). */
StreamAttributes stream_attributes_for_media_playlist ();

/* An EXT-X-MEDIA TYPE=AUDIO rendition, as an hls.js audio track: bitrate 0,
 * codecs = the audio codecs of the first variant whose AUDIO group is the
 * rendition's GROUP-ID (else of the first variant), LANGUAGE, CHANNELS and
 * NAME (or LANGUAGE when NAME is empty). */
StreamAttributes
stream_attributes_for_rendition (const hls::MasterPlaylist &master,
                                 const hls::Rendition &rendition);

/* The string generateStreamShortId hashes, after its normalisation: codecs
 * trimmed, lower-cased, decimal avc1.P.L → avc1.PP00LL, sorted; language cut
 * to 2 characters and lower-cased ("und" → empty); channels before '/'; name
 * lower-cased and trimmed; frame rate as a JS Number prints it; video range
 * upper-cased and trimmed. Empty fields keep their dashes. */
std::string stream_short_id_input (const StreamAttributes &attributes);

/* base64 (SHA-1 (stream_short_id_input ())), 28 characters. */
std::string stream_short_id (const StreamAttributes &attributes);

/* The manifest response URL (after redirects) up to its first '?'. Browsers'
 * response URLs never carry a '#fragment', so one is cut as well. */
std::string swarm_id_from_manifest_url (const std::string &response_url);

/* "v2-{swarm_id}-{main|secondary}-{short_id}". */
std::string stream_swarm_id (const std::string &swarm_id, StreamType type,
                             const std::string &short_id);

/* base64 of the first 15 bytes of SHA-1 (UTF-8 @stream_swarm_id): exactly 20
 * ASCII characters, which are the tracker's 20-byte info_hash. */
std::string swarm_info_hash (const std::string &stream_swarm_id);

/* Our peers' id prefix: "-GP" + version 02.00 + "-". P2P Media Loader
 * accepts any 20-byte peer id; a prefix of our own (browsers use "-PM0203-")
 * lets tracker and browser statistics tell GStreamer peers apart, and says
 * which protocol extensions a peer speaks: from 02.00 on, stripe relaying
 * (DELIVERY.md §4). */
inline constexpr const char *kPeerIdPrefix = "-GP0200-";
/* The broadcaster's seeder (p2pswarmsink), the root of every relay. */
inline constexpr const char *kSeederPeerIdPrefix = "-GS0200-";

/* A peer of ours (viewer or seeder) at version 02.00 or later. */
bool relays_stripes (std::string_view peer_id);
/* The broadcaster's seeder, whatever its version. */
bool is_seeder (std::string_view peer_id);
/* A short id for relay paths (FNV-1a of the peer id). */
uint32_t relay_id (std::string_view peer_id);
/* The one stripe a viewer relays of @stripes (it receives all of them):
 * every stripe's tree then has its own relays (SplitStream), so a strong
 * uplink serves one tree broadly instead of several deeply. Drawn from the
 * peer id, so that everyone knows it. */
guint interior_stripe (std::string_view peer_id, guint stripes);
/* The same from the peer's relay_id (). */
guint interior_stripe (uint32_t relay_id, guint stripes);

/* kPeerIdPrefix + 12 characters from [A-Za-z0-9] drawn from @rng: 20 ASCII
 * bytes. */
std::string generate_peer_id (Random &random,
                              const char *prefix = kPeerIdPrefix);

/* A JavaScript Number's toString() (ECMA-262 Number::toString, radix 10):
 * shortest round-trip digits, exponent form below 1e-6 and from 1e21. */
std::string js_number_to_string (double value);

} // namespace p2p::swarm
