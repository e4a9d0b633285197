/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "playlist.h"

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::hls {

GstClockTime
MediaPlaylist::total_duration () const
{
  GstClockTime total = 0;
  for (const MediaSegment &segment : segments)
    total += segment.duration;
  return total;
}

std::string
resolve_uri (const std::string &base_url, const std::string &uri)
{
  if (g_uri_peek_scheme (uri.c_str ()))
    return uri;
  /* ENCODED keeps %XX sequences as they are instead of decoding them. */
  GCharPtr resolved (g_uri_resolve_relative (base_url.c_str (), uri.c_str (),
                                             G_URI_FLAGS_ENCODED, nullptr));
  return resolved ? std::string (resolved.get ()) : std::string ();
}

} // namespace p2p::hls
