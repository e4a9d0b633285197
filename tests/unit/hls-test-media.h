/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Helpers shared by the HLS unit tests: a temporary directory and real HLS
 * output from GStreamer's own hlssink2.
 */
#pragma once

#include <string>

namespace p2p::hls::test {

/* A fresh directory under the system temp dir, removed with its files. */
class TempDir
{
public:
  TempDir ();
  ~TempDir ();
  TempDir (const TempDir &) = delete;
  TempDir &operator= (const TempDir &) = delete;

  const std::string &
  path () const
  {
    return path_;
  }
  std::string file (const std::string &name) const;

private:
  std::string path_;
};

/* Encodes @num_buffers frames of 160x120 30 fps test video, a key frame
 * every half second, into @dir with "hlssink2 location=DIR/seg%05d.ts
 * playlist-location=DIR/live.m3u8 target-duration=1" keeping
 * @playlist_length segments in the playlist and every file on disk.
 * Returns an empty string on success, else what went wrong. */
std::string run_hlssink2 (const std::string &dir, int num_buffers,
                          int playlist_length);

/* The whole file, empty when it cannot be read. */
std::string read_file (const std::string &path);

} // namespace p2p::hls::test
