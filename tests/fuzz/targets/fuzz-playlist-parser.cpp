/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes the HLS playlist parser. Beyond not crashing, checks invariants:
 * a failure always sets a GError in our domain, and a parsed media playlist
 * survives the writer and parses again to the same segments, and can be
 * checked as a reload of itself.
 */
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gst/p2p/common/error.h"
#include "gst/p2p/hls/playlist-parser.h"
#include "gst/p2p/hls/playlist-reload.h"
#include "gst/p2p/hls/playlist-writer.h"

using namespace p2p::hls;

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

namespace {

void
check (bool condition)
{
  if (!condition)
    abort ();
}

void
check_media_round_trip (const MediaPlaylist &media)
{
  check (check_playlist_reload (media, media, nullptr, nullptr));
  std::string written = write_media_playlist (media);
  GError *error = nullptr;
  std::optional<MediaPlaylist> again
      = parse_media_playlist (written, nullptr, &error);
  /* Writing drops CR/LF and '"', and a URI starting with '#' is a comment:
   * only well-formed URIs must come back. */
  if (!again) {
    g_error_free (error);
    return;
  }
  if (again->segments.size () != media.segments.size ())
    return;
  for (size_t i = 0; i < media.segments.size (); i++) {
    check (again->segments[i].duration == media.segments[i].duration);
    check (again->segments[i].sequence == media.segments[i].sequence);
    check (again->segments[i].byte_range == media.segments[i].byte_range);
  }
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::string_view text (reinterpret_cast<const char *> (data), size);
  Warnings warnings;
  GError *error = nullptr;
  std::optional<Playlist> playlist = parse_playlist (text, &warnings, &error);
  if (!playlist) {
    check (error != nullptr && error->domain == GST_P2P_ERROR);
    g_error_free (error);
    return 0;
  }
  check (error == nullptr);
  check (warnings.size () <= kMaxWarnings + 1);
  if (auto media = std::get_if<MediaPlaylist> (&*playlist))
    check_media_round_trip (*media);
  else
    write_master_playlist (std::get<MasterPlaylist> (*playlist));
  return 0;
}
