/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Publishes a live HLS stream as the broadcaster sink cuts it: each segment
 * is hashed (SHA-256, written into the playlist for peers to verify), written
 * to a file if a location pattern is set, added to a sliding-window media
 * playlist (written atomically), and handed to the HTTP origin. Old segment
 * files beyond max-files are deleted. Called from one thread at a time (the
 * sink's streaming thread); what the origin must serve comes back as a list
 * of changes for the caller to apply where the origin lives.
 */
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include <gst/gst.h>

#include "gst/p2p/common/chunked-bytes.h"
#include "gst/p2p/common/gobject-ptr.h"
#include "gst/p2p/hls/playlist.h"
#include "gst/p2p/packaging/segmenter.h"
#include "gst/p2p/common/chunk-tree.h"

namespace p2p::packaging {

struct PublisherConfig
{
  /* printf-style pattern with one integer conversion for the media sequence
   * number, e.g. "segment%05d.ts"; empty = keep segments in memory only.
   * For fragmented MP4 a ".ts" extension becomes ".m4s", and the
   * initialisation section is written as init.mp4 next to the segments. */
  std::string location;
  /* Playlist file; empty = no playlist file (HTTP origin only). */
  std::string playlist_location;
  /* Name under which the origin serves the playlist ("playlist.m3u8"). */
  std::string playlist_name = "playlist.m3u8";
  guint playlist_length = 5; /* segments in the playlist window, 0 = all */
  guint max_files = 10;      /* segment files kept on disk, 0 = all */
  GstClockTime target_duration = 2 * GST_SECOND;
  /* Stripes of the chunk hashes written with each segment for peers that
   * relay it while it arrives (#EXT-X-P2P-CHUNKS); 0 = no such tag. */
  guint stripes = 4;
};

struct PublishedSegment
{
  int64_t sequence = 0;
  std::string uri;  /* as written in the playlist */
  std::string file; /* file written, empty when in memory only */
  GstClockTime start = GST_CLOCK_TIME_NONE;
  GstClockTime duration = 0;
  std::string sha256;
  /* The chunk hashes published with it (layout.size 0 when none). */
  ChunkTree chunk_tree;
  gsize size = 0;
  GBytesPtr data;
};

/* What the origin must serve under a name (the playlist's or a segment's
 * URI); null @bytes removes it. */
struct OriginChange
{
  std::string name;
  BytesRef bytes;
};
using OriginChanges = std::vector<OriginChange>;

class LivePublisher
{
public:
  explicit LivePublisher (PublisherConfig config);

  /* Checks the location pattern; call before the first segment. */
  static bool validate_location (const std::string &pattern, GError **error);
  /* Whether files can be created where segments and playlist go (a file
   * is created and removed); GST_P2P_ERROR_IO naming the place if not. */
  bool check_writable (GError **error) const;
  /* The file of segment @sequence (empty without a location) and the
   * initialisation section's, for checks before the stream starts. */
  std::string segment_file (int64_t sequence) const;
  std::string init_section_file () const;

  /* What segments hold; MPEG-TS until told otherwise, before the first
   * segment. */
  void set_container (Container container);

  /* The initialisation section the next segments need (EXT-X-MAP); the
   * origin serves it as init.mp4. False with @error on a file error. */
  bool publish_init_section (GBytes *init, OriginChanges *changes,
                             GError **error);

  /* Publishes a segment; @changes receives what the origin must serve now.
   * Returns false with @error on a file error; the segment is still served
   * by the origin in that case. */
  bool publish (CutSegment segment, PublishedSegment *published,
                OriginChanges *changes, GError **error);

  /* Ends the stream: the playlist gets EXT-X-ENDLIST (none is written
   * when no segment was published). */
  bool finish (OriginChanges *changes, GError **error);

  const hls::MediaPlaylist &
  playlist () const
  {
    return playlist_;
  }
  std::string playlist_text () const;

private:
  bool write_playlist (OriginChanges *changes, GError **error);
  std::string segment_name (int64_t sequence) const;

  PublisherConfig config_;
  Container container_ = Container::MPEG_TS;
  std::shared_ptr<const hls::InitSection> init_section_;
  hls::MediaPlaylist playlist_;
  int64_t next_sequence_ = 0;
  /* Segments the origin serves, and segment files on disk, oldest first. */
  std::deque<std::string> served_;
  std::deque<std::string> files_;
  static constexpr size_t kServedTail = 3;
};

std::string sha256_hex (GBytes *bytes);

} // namespace p2p::packaging
