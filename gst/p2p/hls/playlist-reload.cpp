/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "playlist-reload.h"

#include "gst/p2p/common/error.h"

namespace p2p::hls {

namespace {

/* One past the last media sequence number of @playlist. */
int64_t
end_sequence (const MediaPlaylist &playlist)
{
  return playlist.media_sequence
         + static_cast<int64_t> (playlist.segments.size ());
}

const char *
type_name (PlaylistType type)
{
  switch (type) {
  case PlaylistType::EVENT:
    return "EVENT";
  case PlaylistType::VOD:
    return "VOD";
  default:
    return "live";
  }
}

bool
refuse (GError **error, const std::string &message)
{
  g_set_error_literal (error, GST_P2P_ERROR, GST_P2P_ERROR_PLAYLIST_INVALID,
                       message.c_str ());
  return false;
}

void
warn (Warnings *warnings, std::string message)
{
  if (warnings)
    warnings->push_back (std::move (message));
}

std::string
seconds (GstClockTime time)
{
  gchar buffer[G_ASCII_DTOSTR_BUF_SIZE];
  return g_ascii_formatd (buffer, sizeof (buffer), "%.3f",
                          static_cast<double> (time) / GST_SECOND);
}

} // namespace

bool
check_playlist_reload (const MediaPlaylist &previous,
                       const MediaPlaylist &reloaded, Warnings *warnings,
                       GError **error)
{
  const std::string prefix = "playlist reload: ";
  if (reloaded.media_sequence < previous.media_sequence)
    return refuse (error, prefix + "media sequence went backwards from "
                              + std::to_string (previous.media_sequence)
                              + " to "
                              + std::to_string (reloaded.media_sequence));
  const int64_t previous_end = end_sequence (previous);
  const int64_t reloaded_end = end_sequence (reloaded);
  if (reloaded_end < previous_end)
    return refuse (error, prefix
                              + "segments vanished from the end: the last "
                                "sequence number went from "
                              + std::to_string (previous_end - 1) + " to "
                              + std::to_string (reloaded_end - 1));
  if (previous.end_list && !reloaded.end_list)
    return refuse (error, prefix + "EXT-X-ENDLIST was withdrawn");
  if (reloaded.discontinuity_sequence < previous.discontinuity_sequence)
    return refuse (
        error, prefix
                   + "discontinuity sequence went backwards "
                     "from "
                   + std::to_string (previous.discontinuity_sequence) + " to "
                   + std::to_string (reloaded.discontinuity_sequence));

  /* Segments present in both must be the same segments. */
  size_t changed_durations = 0;
  for (int64_t sequence = reloaded.media_sequence; sequence < previous_end;
       sequence++) {
    const MediaSegment &before
        = previous.segments[sequence - previous.media_sequence];
    const MediaSegment &after
        = reloaded.segments[sequence - reloaded.media_sequence];
    const std::string which = "segment " + std::to_string (sequence);
    if (before.uri != after.uri)
      return refuse (error, prefix + which + " changed its URI from \""
                                + before.uri + "\" to \"" + after.uri + "\"");
    if (before.byte_range != after.byte_range)
      return refuse (error, prefix + which + " changed its byte range");
    if (!before.sha256.empty () && !after.sha256.empty ()
        && before.sha256 != after.sha256)
      return refuse (error, prefix + which + " changed its SHA-256");
    if (before.chunks && after.chunks && *before.chunks != *after.chunks)
      return refuse (error, prefix + which + " changed its chunk hashes");
    if (before.duration != after.duration && changed_durations++ == 0)
      warn (warnings, prefix + which + " changed its duration from "
                          + seconds (before.duration) + " s to "
                          + seconds (after.duration) + " s");
  }
  if (changed_durations > 1)
    warn (warnings, prefix + std::to_string (changed_durations)
                        + " segments changed their duration");

  if (reloaded.media_sequence > previous_end) {
    warn (warnings, prefix + "segments " + std::to_string (previous_end)
                        + " to " + std::to_string (reloaded.media_sequence - 1)
                        + " were missed (reloaded too late)");
  } else {
    /* Each removed EXT-X-DISCONTINUITY must bump the sequence (§6.2.2). */
    int64_t removed = 0;
    for (int64_t sequence = previous.media_sequence;
         sequence < reloaded.media_sequence; sequence++)
      removed += previous.segments[sequence - previous.media_sequence]
                     .discontinuity;
    int64_t expected = previous.discontinuity_sequence + removed;
    if (reloaded.discontinuity_sequence != expected)
      warn (warnings, prefix + "discontinuity sequence is "
                          + std::to_string (reloaded.discontinuity_sequence)
                          + ", expected " + std::to_string (expected));
  }

  if (reloaded.target_duration != previous.target_duration)
    warn (warnings, prefix + "EXT-X-TARGETDURATION changed from "
                        + seconds (previous.target_duration) + " s to "
                        + seconds (reloaded.target_duration) + " s");
  if (reloaded.type != previous.type)
    warn (warnings, prefix + "playlist type changed from "
                        + type_name (previous.type) + " to "
                        + type_name (reloaded.type));
  else if (reloaded.type == PlaylistType::EVENT
           && reloaded.media_sequence != previous.media_sequence)
    warn (warnings, prefix + "an EVENT playlist removed segments");
  if (previous.end_list && reloaded_end != previous_end)
    warn (warnings, prefix + "segments were added after EXT-X-ENDLIST");
  return true;
}

} // namespace p2p::hls
