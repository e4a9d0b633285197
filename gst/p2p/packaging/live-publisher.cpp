/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "live-publisher.h"

#include <algorithm>
#include <cerrno>

#include <glib/gstdio.h>

#include "gst/p2p/common/error.h"
#include "gst/p2p/common/hasher.h"
#include "gst/p2p/hls/playlist-writer.h"

GST_DEBUG_CATEGORY_STATIC (p2p_publisher_debug);
#define GST_CAT_DEFAULT p2p_publisher_debug

namespace p2p::packaging {

namespace {

/* A location pattern split around its one integer conversion. */
struct LocationPattern
{
  std::string prefix;
  int width = 0;
  bool zero_pad = false;
  std::string suffix;
};

bool
parse_location (const std::string &pattern, LocationPattern *out,
                GError **error)
{
  LocationPattern parsed;
  bool have_conversion = false;
  std::string *target = &parsed.prefix;
  for (size_t i = 0; i < pattern.size (); i++) {
    char c = pattern[i];
    if (c != '%') {
      target->push_back (c);
      continue;
    }
    if (i + 1 < pattern.size () && pattern[i + 1] == '%') {
      target->push_back ('%');
      i++;
      continue;
    }
    size_t j = i + 1;
    if (j < pattern.size () && pattern[j] == '0') {
      parsed.zero_pad = true;
      j++;
    }
    int width = 0;
    while (j < pattern.size () && g_ascii_isdigit (pattern[j]) && width < 100)
      width = width * 10 + (pattern[j++] - '0');
    if (j < pattern.size () && pattern[j] == 'l')
      j++;
    if (have_conversion || j >= pattern.size ()
        || (pattern[j] != 'd' && pattern[j] != 'u' && pattern[j] != 'i')
        || width > 20) {
      g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_FAILED,
                   "Segment location \"%s\" must contain exactly one integer "
                   "conversion such as %%05d (and %%%% for a literal %%)",
                   pattern.c_str ());
      return false;
    }
    parsed.width = width;
    have_conversion = true;
    target = &parsed.suffix;
    i = j;
  }
  if (!have_conversion) {
    g_set_error (
        error, GST_P2P_ERROR, GST_P2P_ERROR_FAILED,
        "Segment location \"%s\" has no integer conversion such as %%05d",
        pattern.c_str ());
    return false;
  }
  *out = parsed;
  return true;
}

bool
write_file_atomically (const std::string &path, const std::string &text,
                       GError **error)
{
  /* g_file_set_contents writes a temporary file and renames it, so a
   * player never reads a half-written playlist. */
  return g_file_set_contents (path.c_str (), text.data (),
                              static_cast<gssize> (text.size ()), error);
}

gchar *
basename_of (const std::string &path)
{
  return g_path_get_basename (path.c_str ());
}

/* Where the origin serves the initialisation section, and its file name
 * next to the segments. */
constexpr const char *kInitSectionName = "init.mp4";

} // namespace

std::string
sha256_hex (GBytes *bytes)
{
  gsize size = 0;
  const guint8 *data
      = static_cast<const guint8 *> (g_bytes_get_data (bytes, &size));
  GCharPtr hex (g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, size));
  return hex.get ();
}

LivePublisher::LivePublisher (PublisherConfig config)
    : config_ (std::move (config))
{
  static gsize debug_init = 0;
  if (g_once_init_enter (&debug_init)) {
    GST_DEBUG_CATEGORY_INIT (p2p_publisher_debug, "p2ppublisher", 0,
                             "gst-p2p live HLS publisher");
    g_once_init_leave (&debug_init, 1);
  }
  playlist_.version = 3;
  playlist_.type = hls::PlaylistType::LIVE;
  playlist_.target_duration = config_.target_duration;
}

bool
LivePublisher::validate_location (const std::string &pattern, GError **error)
{
  LocationPattern parsed;
  return pattern.empty () || parse_location (pattern, &parsed, error);
}

bool
LivePublisher::check_writable (GError **error) const
{
  for (const std::string &file :
       { segment_file (0), config_.playlist_location }) {
    if (file.empty ())
      continue;
    GCharPtr dir (g_path_get_dirname (file.c_str ()));
    GCharPtr probe (
        g_build_filename (dir.get (), ".p2pswarmsink-XXXXXX", nullptr));
    int fd = g_mkstemp (probe.get ());
    if (fd < 0) {
      int saved = errno;
      g_set_error (error, GST_P2P_ERROR, GST_P2P_ERROR_IO,
                   "Cannot create files in \"%s\" (for %s): %s", dir.get (),
                   file.c_str (), g_strerror (saved));
      return false;
    }
    g_close (fd, nullptr);
    g_remove (probe.get ());
  }
  return true;
}

void
LivePublisher::set_container (Container container)
{
  container_ = container;
}

std::string
LivePublisher::segment_name (int64_t sequence) const
{
  LocationPattern parsed;
  const std::string fallback
      = std::string ("segment%05d") + segment_extension (container_);
  std::string pattern = config_.location.empty () ? fallback : config_.location;
  if (!parse_location (pattern, &parsed, nullptr))
    parse_location (fallback, &parsed, nullptr);
  if (container_ == Container::FRAGMENTED_MP4
      && g_str_has_suffix (parsed.suffix.c_str (), ".ts"))
    parsed.suffix.replace (parsed.suffix.size () - 3, 3, ".m4s");
  std::string number = std::to_string (sequence);
  if (static_cast<int> (number.size ()) < parsed.width)
    number.insert (0, parsed.width - number.size (),
                   parsed.zero_pad ? '0' : ' ');
  return parsed.prefix + number + parsed.suffix;
}

std::string
LivePublisher::segment_file (int64_t sequence) const
{
  return config_.location.empty () ? "" : segment_name (sequence);
}

std::string
LivePublisher::init_section_file () const
{
  if (config_.location.empty ())
    return "";
  GCharPtr dir (g_path_get_dirname (config_.location.c_str ()));
  GCharPtr path (g_build_filename (dir.get (), kInitSectionName, nullptr));
  return path.get ();
}

bool
LivePublisher::publish_init_section (GBytes *init, OriginChanges *changes,
                                     GError **error)
{
  auto section = std::make_shared<hls::InitSection> ();
  section->uri = kInitSectionName;
  init_section_ = std::move (section);
  changes->push_back (OriginChange{ kInitSectionName, BytesRef (init) });
  std::string file = init_section_file ();
  gsize size = 0;
  const gchar *data
      = static_cast<const gchar *> (g_bytes_get_data (init, &size));
  if (file.empty ()
      || g_file_set_contents (file.c_str (), data, static_cast<gssize> (size),
                              error))
    return true;
  g_prefix_error (error, "Could not write the initialisation section: ");
  return false;
}

bool
LivePublisher::publish (CutSegment segment, PublishedSegment *published,
                        OriginChanges *changes, GError **error)
{
  PublishedSegment out;
  out.sequence = next_sequence_++;
  out.start = segment.start;
  /* A segment without timestamps still needs a duration players accept. */
  out.duration = segment.duration ? segment.duration : config_.target_duration;
  out.size = g_bytes_get_size (segment.data.get ());
  out.sha256 = sha256_hex (segment.data.get ());
  out.data = std::move (segment.data);
  if (config_.stripes > 0 && out.size > 0) {
    Sha256Hasher hasher;
    out.chunk_tree = ChunkTree::compute (
        ChunkedBytes (out.data.get ()),
        default_layout (out.size, config_.stripes), hasher);
  }

  std::string name = segment_name (out.sequence);
  GCharPtr uri (basename_of (name));
  out.uri = uri.get ();

  bool file_ok = true;
  if (!config_.location.empty ()) {
    out.file = name;
    gsize size = 0;
    const gchar *data = static_cast<const gchar *> (
        g_bytes_get_data (out.data.get (), &size));
    file_ok = g_file_set_contents (name.c_str (), data,
                                   static_cast<gssize> (size), error);
    if (!file_ok)
      g_prefix_error (error, "Could not write segment %" G_GINT64_FORMAT ": ",
                      out.sequence);
  }

  hls::MediaSegment entry;
  entry.uri = out.uri;
  entry.sequence = out.sequence;
  entry.duration = out.duration;
  entry.sha256 = out.sha256;
  entry.init_section = init_section_;
  if (out.chunk_tree.layout.size > 0) {
    const ChunkLayout &layout = out.chunk_tree.layout;
    entry.chunks
        = hls::SegmentChunks{ layout.size, layout.stripes, layout.chunk_size,
                              digests_to_hex (out.chunk_tree.stripe_roots) };
  }
  playlist_.segments.push_back (entry);
  if (config_.playlist_length > 0) {
    while (playlist_.segments.size () > config_.playlist_length)
      playlist_.segments.erase (playlist_.segments.begin ());
  }
  playlist_.media_sequence = playlist_.segments.front ().sequence;
  playlist_.target_duration
      = std::max (playlist_.target_duration,
                  GST_SECOND * ((out.duration + GST_SECOND / 2) / GST_SECOND));

  changes->push_back (OriginChange{ out.uri, BytesRef (out.data.get ()) });
  served_.push_back (out.uri);
  /* The origin keeps a tail behind the playlist window so a client that
   * just read the previous playlist can still fetch what it lists. */
  if (config_.playlist_length > 0) {
    while (served_.size () > config_.playlist_length + kServedTail) {
      changes->push_back (OriginChange{ served_.front (), BytesRef () });
      served_.pop_front ();
    }
  }
  if (!out.file.empty ())
    files_.push_back (out.file);
  if (config_.max_files > 0) {
    while (files_.size () > config_.max_files) {
      if (g_remove (files_.front ().c_str ()) != 0)
        GST_WARNING ("could not delete old segment %s",
                     files_.front ().c_str ());
      files_.pop_front ();
    }
  }

  GErrorOut playlist_error;
  bool playlist_ok
      = write_playlist (changes, file_ok ? error : playlist_error.out ());
  *published = std::move (out);
  return file_ok && playlist_ok;
}

bool
LivePublisher::finish (OriginChanges *changes, GError **error)
{
  /* A stream that ended before its first segment leaves no playlist. */
  if (next_sequence_ == 0)
    return true;
  playlist_.end_list = true;
  return write_playlist (changes, error);
}

std::string
LivePublisher::playlist_text () const
{
  return hls::write_media_playlist (playlist_);
}

bool
LivePublisher::write_playlist (OriginChanges *changes, GError **error)
{
  std::string text = playlist_text ();
  changes->push_back (OriginChange{
      config_.playlist_name,
      BytesRef::adopt (g_bytes_new (text.data (), text.size ())) });
  if (config_.playlist_location.empty ()
      || write_file_atomically (config_.playlist_location, text, error))
    return true;
  g_prefix_error (error, "Could not write the playlist: ");
  return false;
}

} // namespace p2p::packaging
