/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "playlist-parser.h"

#include <cmath>
#include <memory>

#include "attribute-list.h"
#include "gst/p2p/common/error.h"

namespace p2p::hls {

namespace {

/* Thrown inside the parser only and turned into a GError at the public
 * functions, so every check can stop the parse in one line. */
struct ParseFailure
{
  GstP2PError code;
  std::string message;
};

struct Line
{
  std::string_view text; /* without line end and surrounding blanks */
  size_t number = 0;
};

std::string
at_line (size_t number, const std::string &message)
{
  return "line " + std::to_string (number) + ": " + message;
}

[[noreturn]] void
fail (const Line &line, const std::string &message,
      GstP2PError code = GST_P2P_ERROR_PLAYLIST_INVALID)
{
  throw ParseFailure{ code, at_line (line.number, message) };
}

/* A quoted excerpt of (already UTF-8-validated) playlist text for messages:
 * short, and never cut inside a character. */
std::string
excerpt (std::string_view text)
{
  constexpr size_t kMax = 60;
  if (text.size () <= kMax)
    return "\"" + std::string (text) + "\"";
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char> (text[cut]) & 0xc0) == 0x80)
    cut--;
  return "\"" + std::string (text.substr (0, cut)) + "...\"";
}

bool
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

std::string_view
trim (std::string_view text)
{
  while (!text.empty () && is_blank (text.front ()))
    text.remove_prefix (1);
  while (!text.empty () && is_blank (text.back ()))
    text.remove_suffix (1);
  return text;
}

class WarningSink
{
public:
  explicit WarningSink (Warnings *out) : out_ (out) {}
  WarningSink (const WarningSink &) = delete;
  WarningSink &operator= (const WarningSink &) = delete;
  ~WarningSink ()
  {
    if (out_ && suppressed_ > 0)
      out_->push_back ("... and " + std::to_string (suppressed_)
                       + " more warnings");
  }

  void
  add (const Line &line, const std::string &message)
  {
    add (at_line (line.number, message));
  }
  void
  add (std::string message)
  {
    if (!out_)
      return;
    if (added_ < kMaxWarnings) {
      out_->push_back (std::move (message));
      added_++;
    } else {
      suppressed_++;
    }
  }

private:
  Warnings *out_;
  size_t added_ = 0;
  size_t suppressed_ = 0;
};

/* Splits on LF, CRLF or a lone CR, without copying. */
class LineReader
{
public:
  LineReader (std::string_view text) : text_ (text) {}

  bool
  next (Line *line)
  {
    if (pos_ >= text_.size ())
      return false;
    /* A plain loop: find_first_of() calls memchr() once per character. */
    size_t end = pos_;
    while (end < text_.size () && text_[end] != '\n' && text_[end] != '\r')
      end++;
    line->number = ++number_;
    if (end - pos_ > kMaxLineBytes)
      fail (*line, "longer than " + std::to_string (kMaxLineBytes) + " bytes");
    line->text = trim (text_.substr (pos_, end - pos_));
    pos_ = end + 1;
    if (end < text_.size () && text_[end] == '\r' && pos_ < text_.size ()
        && text_[pos_] == '\n')
      pos_++;
    return true;
  }

private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t number_ = 0;
};

/* A "#EXT..." line split at its first colon. */
struct Tag
{
  std::string_view name;
  std::string_view value;
};

bool
parse_tag (std::string_view text, Tag *tag)
{
  if (text.substr (0, 4) != "#EXT")
    return false;
  size_t colon = text.find (':');
  tag->name = text.substr (0, colon);
  tag->value = colon == std::string_view::npos ? std::string_view ()
                                               : text.substr (colon + 1);
  return true;
}

enum class Kind {
  NONE,
  MEDIA,
  MASTER,
};

Kind
tag_kind (std::string_view name)
{
  static const std::string_view media_tags[] = {
    "#EXTINF",
    "#EXT-X-TARGETDURATION",
    "#EXT-X-MEDIA-SEQUENCE",
    "#EXT-X-DISCONTINUITY-SEQUENCE",
    "#EXT-X-DISCONTINUITY",
    "#EXT-X-ENDLIST",
    "#EXT-X-PLAYLIST-TYPE",
    "#EXT-X-PROGRAM-DATE-TIME",
    "#EXT-X-MAP",
    "#EXT-X-BYTERANGE",
    "#EXT-X-I-FRAMES-ONLY",
    kSegmentSha256Tag,
  };
  static const std::string_view master_tags[] = {
    "#EXT-X-STREAM-INF",   "#EXT-X-MEDIA",       "#EXT-X-I-FRAME-STREAM-INF",
    "#EXT-X-SESSION-DATA", "#EXT-X-SESSION-KEY",
  };
  for (std::string_view tag : media_tags) {
    if (name == tag)
      return Kind::MEDIA;
  }
  for (std::string_view tag : master_tags) {
    if (name == tag)
      return Kind::MASTER;
  }
  return Kind::NONE;
}

/* Checks size, encoding and header; returns the text after a BOM. */
std::string_view
check_envelope (std::string_view text, WarningSink &warnings)
{
  if (text.size () > kMaxPlaylistBytes)
    throw ParseFailure{ GST_P2P_ERROR_PLAYLIST_INVALID,
                        "playlist is larger than "
                            + std::to_string (kMaxPlaylistBytes) + " bytes" };
  const gchar *end = nullptr;
  if (!g_utf8_validate_len (text.data (), text.size (), &end)) {
    size_t offset = static_cast<size_t> (end - text.data ());
    size_t line = 1;
    for (size_t i = 0; i < offset; i++)
      line += text[i] == '\n';
    throw ParseFailure{
      GST_P2P_ERROR_PLAYLIST_INVALID,
      at_line (line, "not valid UTF-8 (or a NUL byte) at byte offset "
                         + std::to_string (offset))
    };
  }
  if (text.substr (0, 3) == "\xef\xbb\xbf") {
    warnings.add ("playlist starts with a byte order mark (RFC 8216 forbids "
                  "it), ignored");
    text.remove_prefix (3);
  }
  LineReader reader (text);
  Line first;
  if (!reader.next (&first) || first.text != "#EXTM3U")
    throw ParseFailure{
      GST_P2P_ERROR_PLAYLIST_INVALID,
      text.empty ()
          ? "playlist is empty"
          : "playlist does not start with #EXTM3U: not an HLS playlist"
    };
  return text;
}

Kind
detect_kind (std::string_view text)
{
  LineReader reader (text);
  Line line, media_line, master_line;
  Tag tag;
  while (reader.next (&line)) {
    if (!parse_tag (line.text, &tag))
      continue;
    Kind kind = tag_kind (tag.name);
    if (kind == Kind::MEDIA && media_line.number == 0)
      media_line = line;
    else if (kind == Kind::MASTER && master_line.number == 0)
      master_line = line;
  }
  if (media_line.number && master_line.number)
    throw ParseFailure{ GST_P2P_ERROR_PLAYLIST_INVALID,
                        "playlist mixes media playlist tags (line "
                            + std::to_string (media_line.number)
                            + ") and master playlist tags (line "
                            + std::to_string (master_line.number) + ")" };
  if (media_line.number)
    return Kind::MEDIA;
  if (master_line.number)
    return Kind::MASTER;
  throw ParseFailure{ GST_P2P_ERROR_PLAYLIST_INVALID,
                      "playlist has neither media segments nor variant streams "
                      "(no EXTINF, EXT-X-TARGETDURATION or EXT-X-STREAM-INF)" };
}

AttributeList
parse_attributes (const Line &line, const Tag &tag)
{
  std::string problem;
  std::optional<AttributeList> list
      = AttributeList::parse (tag.value, &problem);
  if (!list)
    fail (line, std::string (tag.name) + ": " + problem);
  return std::move (*list);
}

/* The body of a playlist, line by line after its #EXTM3U (checked by
 * check_envelope()): @on_tag (line, tag) for a tag, @on_uri (line) for a
 * URI; blank lines and comments are skipped. */
template <typename OnTag, typename OnUri>
void
for_each_tag_and_uri (std::string_view text, OnTag on_tag, OnUri on_uri)
{
  LineReader reader (text);
  Line line;
  reader.next (&line);
  Tag tag;
  while (reader.next (&line)) {
    if (line.text.empty ())
      continue;
    if (parse_tag (line.text, &tag))
      on_tag (line, tag);
    else if (line.text[0] != '#')
      on_uri (line);
    /* else a comment */
  }
}

/* Tags both kinds of playlist share, and the state they set. */
class ParserBase
{
protected:
  explicit ParserBase (WarningSink &warnings) : warnings_ (warnings) {}

  /* Returns false when @tag is not one of the shared tags. */
  bool
  handle_common_tag (const Line &line, const Tag &tag)
  {
    if (tag.name == "#EXTM3U") {
      warnings_.add (line, "repeated #EXTM3U ignored");
    } else if (tag.name == "#EXT-X-VERSION") {
      std::optional<uint64_t> v = parse_decimal_integer (tag.value);
      if (!v || *v < 1 || *v > G_MAXINT)
        fail (line, "EXT-X-VERSION " + excerpt (tag.value)
                        + " is not a positive integer");
      set_once (line, "EXT-X-VERSION", &version_, *v);
    } else if (tag.name == "#EXT-X-INDEPENDENT-SEGMENTS") {
      independent_segments_ = true;
    } else if (tag.name == "#EXT-X-KEY" || tag.name == "#EXT-X-SESSION-KEY") {
      check_key (line, tag);
    } else {
      return false;
    }
    return true;
  }

  /* A tag that may appear once: the same value again is a warning, another
   * value makes the playlist contradictory. */
  template <typename T>
  void
  set_once (const Line &line, const char *name, std::optional<T> *slot,
            const T &value)
  {
    if (*slot && **slot != value)
      fail (line, std::string (name) + " appears twice with different values");
    if (*slot)
      warnings_.add (line, std::string ("repeated ") + name);
    *slot = value;
  }

  WarningSink &warnings_;
  std::optional<uint64_t> version_;
  bool independent_segments_ = false;

private:
  void
  check_key (const Line &line, const Tag &tag)
  {
    AttributeList attributes = parse_attributes (line, tag);
    const Attribute *method = attributes.find ("METHOD");
    std::string name (tag.name.substr (1));
    if (!method)
      fail (line, name + " has no METHOD");
    if (method->value == "NONE") {
      if (tag.name == "#EXT-X-SESSION-KEY")
        warnings_.add (line, "EXT-X-SESSION-KEY with METHOD=NONE ignored");
      return;
    }
    fail (line,
          "encrypted streams are not supported (" + name
              + " METHOD=" + excerpt (method->value) + ")",
          GST_P2P_ERROR_PLAYLIST_UNSUPPORTED);
  }
};

class MediaParser : ParserBase
{
public:
  explicit MediaParser (WarningSink &warnings) : ParserBase (warnings) {}

  MediaPlaylist
  parse (std::string_view text)
  {
    for_each_tag_and_uri (
        text,
        [this] (const Line &line, const Tag &tag) { handle_tag (line, tag); },
        [this] (const Line &line) { add_segment (line); });
    return finish ();
  }

private:
  /* Tags that apply to the next segment's URI line. */
  struct Pending
  {
    Line extinf; /* number 0 when no EXTINF yet */
    GstClockTime duration = 0;
    std::string_view title;
    bool discontinuity = false;
    std::optional<int64_t> program_date_time_us;
    std::optional<ByteRange> byte_range;
    std::string_view sha256;
    std::optional<SegmentChunks> chunks;
    Line first_tag; /* number 0 when nothing is pending */
  };

  void
  handle_tag (const Line &line, const Tag &tag)
  {
    if (handle_common_tag (line, tag))
      return;
    const std::string_view name = tag.name;
    if (name == "#EXTINF")
      handle_extinf (line, tag);
    else if (name == "#EXT-X-TARGETDURATION")
      handle_target_duration (line, tag);
    else if (name == "#EXT-X-MEDIA-SEQUENCE")
      handle_sequence (line, tag, "EXT-X-MEDIA-SEQUENCE", &media_sequence_);
    else if (name == "#EXT-X-DISCONTINUITY-SEQUENCE")
      handle_sequence (line, tag, "EXT-X-DISCONTINUITY-SEQUENCE",
                       &discontinuity_sequence_);
    else if (name == "#EXT-X-DISCONTINUITY")
      mark_pending (line)->discontinuity = true;
    else if (name == "#EXT-X-ENDLIST")
      end_list_line_ = line.number;
    else if (name == "#EXT-X-PLAYLIST-TYPE")
      handle_playlist_type (line, tag);
    else if (name == "#EXT-X-PROGRAM-DATE-TIME")
      handle_program_date_time (line, tag);
    else if (name == "#EXT-X-MAP")
      handle_map (line, tag);
    else if (name == "#EXT-X-BYTERANGE")
      handle_byte_range (line, tag);
    else if (name == kSegmentSha256Tag)
      handle_sha256 (line, tag);
    else if (name == kSegmentChunksTag)
      handle_chunks (line, tag);
    else if (name == "#EXT-X-I-FRAMES-ONLY")
      fail (line, "I-frame-only playlists are not supported",
            GST_P2P_ERROR_PLAYLIST_UNSUPPORTED);
    /* Other tags (EXT-X-START, DATERANGE, ...) are ignored, as RFC 8216
     * §4.1 asks of unknown ones. */
  }

  Pending *
  mark_pending (const Line &line)
  {
    if (pending_.first_tag.number == 0)
      pending_.first_tag = line;
    return &pending_;
  }

  void
  handle_extinf (const Line &line, const Tag &tag)
  {
    size_t comma = tag.value.find (',');
    std::string_view text = trim (tag.value.substr (0, comma));
    std::optional<GstClockTime> duration = parse_decimal_seconds (text);
    if (!text.empty () && text[0] == '-')
      fail (line, "negative EXTINF duration " + excerpt (text));
    if (!duration)
      fail (line, "EXTINF duration " + excerpt (text) + " is not a number");
    if (*duration > kMaxDurationSeconds * GST_SECOND)
      fail (line, "EXTINF duration " + excerpt (text) + " is absurdly long");
    if (*duration == 0)
      warnings_.add (line, "segment with a zero EXTINF duration");
    if (pending_.extinf.number)
      warnings_.add (line, "EXTINF of line "
                               + std::to_string (pending_.extinf.number)
                               + " has no URI, replaced");
    mark_pending (line);
    pending_.extinf = line;
    pending_.duration = *duration;
    pending_.title = comma == std::string_view::npos
                         ? std::string_view ()
                         : tag.value.substr (comma + 1);
  }

  void
  handle_target_duration (const Line &line, const Tag &tag)
  {
    std::optional<GstClockTime> seconds = parse_decimal_integer (tag.value);
    if (!seconds) {
      /* RFC 8216 wants an integer; a decimal one is a tolerable slip. */
      std::optional<GstClockTime> exact = parse_decimal_seconds (tag.value);
      if (!exact)
        fail (line, "EXT-X-TARGETDURATION " + excerpt (tag.value)
                        + " is not a number");
      warnings_.add (line, "EXT-X-TARGETDURATION is not an integer, "
                           "rounded up");
      seconds = (*exact + GST_SECOND - 1) / GST_SECOND;
    }
    if (*seconds == 0 || *seconds > kMaxDurationSeconds)
      fail (line,
            "EXT-X-TARGETDURATION " + excerpt (tag.value) + " is out of range");
    set_once (line, "EXT-X-TARGETDURATION", &target_duration_,
              *seconds * GST_SECOND);
  }

  void
  handle_sequence (const Line &line, const Tag &tag, const char *name,
                   std::optional<int64_t> *slot)
  {
    std::optional<uint64_t> value = parse_decimal_integer (tag.value);
    bool digits = !tag.value.empty ()
                  && tag.value.find_first_not_of ("0123456789")
                         == std::string_view::npos;
    if (!value && !digits)
      fail (line, std::string (name) + " " + excerpt (tag.value)
                      + " is not a decimal integer");
    if (!value || *value > static_cast<uint64_t> (G_MAXINT64))
      fail (line, std::string (name) + " " + excerpt (tag.value)
                      + " is out of range");
    if (!playlist_.segments.empty ())
      warnings_.add (line, std::string (name) + " after the first segment");
    set_once (line, name, slot, static_cast<int64_t> (*value));
  }

  void
  handle_playlist_type (const Line &line, const Tag &tag)
  {
    PlaylistType type;
    if (tag.value == "EVENT")
      type = PlaylistType::EVENT;
    else if (tag.value == "VOD")
      type = PlaylistType::VOD;
    else
      fail (line, "unknown EXT-X-PLAYLIST-TYPE " + excerpt (tag.value));
    set_once (line, "EXT-X-PLAYLIST-TYPE", &type_, type);
  }

  void
  handle_program_date_time (const Line &line, const Tag &tag)
  {
    GDateTime *date = g_date_time_new_from_iso8601 (
        std::string (tag.value).c_str (), nullptr);
    if (!date) {
      warnings_.add (line,
                     "EXT-X-PROGRAM-DATE-TIME " + excerpt (tag.value)
                         + " is not an ISO 8601 date with time zone, ignored");
      return;
    }
    mark_pending (line)->program_date_time_us
        = g_date_time_to_unix (date) * G_USEC_PER_SEC
          + g_date_time_get_microsecond (date);
    g_date_time_unref (date);
  }

  void
  handle_map (const Line &line, const Tag &tag)
  {
    AttributeList attributes = parse_attributes (line, tag);
    const Attribute *uri = attributes.find ("URI");
    if (!uri || uri->value.empty ())
      fail (line, "EXT-X-MAP has no URI");
    InitSection section;
    section.uri = std::string (uri->value);
    if (const Attribute *range = attributes.find ("BYTERANGE")) {
      ByteRange byte_range;
      if (!parse_byte_range (range->value, &byte_range.length,
                             &byte_range.offset))
        fail (line, "EXT-X-MAP BYTERANGE " + excerpt (range->value)
                        + " is not <length>[@<offset>]");
      /* Unlike EXT-X-BYTERANGE, a MAP range never continues another. */
      if (!byte_range.offset)
        byte_range.offset = 0;
      check_range_end (line, byte_range);
      section.byte_range = byte_range;
    }
    map_ = std::make_shared<const InitSection> (std::move (section));
  }

  void
  handle_byte_range (const Line &line, const Tag &tag)
  {
    ByteRange range;
    if (!parse_byte_range (tag.value, &range.length, &range.offset))
      fail (line, "EXT-X-BYTERANGE " + excerpt (tag.value)
                      + " is not <length>[@<offset>]");
    mark_pending (line)->byte_range = range;
  }

  void
  handle_sha256 (const Line &line, const Tag &tag)
  {
    bool valid = tag.value.size () == 64;
    for (char c : tag.value)
      valid = valid && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!valid) {
      warnings_.add (line, std::string (kSegmentSha256Tag + 1) + " "
                               + excerpt (tag.value)
                               + " is not 64 lower-case hex digits, ignored");
      return;
    }
    if (!pending_.sha256.empty ())
      warnings_.add (line, std::string ("repeated ") + (kSegmentSha256Tag + 1)
                               + " for one segment, the last one is used");
    mark_pending (line)->sha256 = tag.value;
  }

  static bool
  is_lower_hex (std::string_view text)
  {
    for (char c : text)
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return false;
    return true;
  }

  /* Our own tag: anything odd in it only turns relaying off for the
   * segment, with a warning. */
  void
  handle_chunks (const Line &line, const Tag &tag)
  {
    const std::string name (kSegmentChunksTag + 1);
    std::string problem;
    auto attributes = AttributeList::parse (tag.value, &problem);
    SegmentChunks chunks;
    const Attribute *size = attributes ? attributes->find ("SIZE") : nullptr;
    const Attribute *stripes
        = attributes ? attributes->find ("STRIPES") : nullptr;
    const Attribute *chunk_size
        = attributes ? attributes->find ("CHUNK-SIZE") : nullptr;
    const Attribute *root = attributes ? attributes->find ("ROOT") : nullptr;
    auto number = [] (const Attribute *a, uint64_t max) {
      auto n = a ? parse_decimal_integer (a->value) : std::nullopt;
      return n && *n > 0 && *n <= max ? *n : 0;
    };
    chunks.size = number (size, uint64_t (1) << 40);
    chunks.stripes = uint32_t (number (stripes, 16));
    chunks.chunk_size = uint32_t (number (chunk_size, 1u << 30));
    if (root && root->value.size () == 64 && is_lower_hex (root->value))
      chunks.root = std::string (root->value);
    if (!chunks.size || !chunks.stripes || !chunks.chunk_size
        || chunks.root.empty ()) {
      warnings_.add (line, name + " " + excerpt (tag.value)
                               + " is not SIZE, STRIPES, CHUNK-SIZE and a "
                                 "64-digit ROOT, ignored");
      return;
    }
    if (pending_.chunks)
      warnings_.add (line, "repeated " + name
                               + " for one segment, the last one is "
                                 "used");
    mark_pending (line)->chunks = chunks;
  }

  void
  check_range_end (const Line &line, const ByteRange &range)
  {
    if (*range.offset > UINT64_MAX - range.length)
      fail (line, "byte range ends beyond 2^64");
  }

  void
  add_segment (const Line &line)
  {
    if (pending_.extinf.number == 0)
      fail (line, "segment URI " + excerpt (line.text) + " has no EXTINF");
    if (playlist_.segments.size () >= kMaxSegments)
      fail (line, "more than " + std::to_string (kMaxSegments) + " segments");
    if (end_list_line_ && !warned_after_end_list_) {
      warnings_.add (line, "segments after EXT-X-ENDLIST");
      warned_after_end_list_ = true;
    }

    MediaSegment segment;
    segment.uri = std::string (line.text);
    segment.duration = pending_.duration;
    segment.title = std::string (pending_.title);
    segment.discontinuity = pending_.discontinuity;
    segment.program_date_time_us = pending_.program_date_time_us;
    segment.init_section = map_;
    segment.sha256 = std::string (pending_.sha256);
    segment.chunks = pending_.chunks;
    if (pending_.byte_range) {
      ByteRange range = *pending_.byte_range;
      if (!range.offset) {
        const MediaSegment *previous = playlist_.segments.empty ()
                                           ? nullptr
                                           : &playlist_.segments.back ();
        if (!previous || !previous->byte_range || previous->uri != segment.uri)
          fail (line, "EXT-X-BYTERANGE without an offset must follow a byte "
                      "range of the same URI");
        range.offset
            = *previous->byte_range->offset + previous->byte_range->length;
      }
      check_range_end (line, range);
      segment.byte_range = range;
    }
    playlist_.segments.push_back (std::move (segment));
    pending_ = Pending ();
  }

  MediaPlaylist
  finish ()
  {
    if (pending_.extinf.number)
      warnings_.add (pending_.extinf, "EXTINF without a URI at the end of the "
                                      "playlist, ignored");
    else if (pending_.first_tag.number)
      warnings_.add (pending_.first_tag, "segment tags without a segment at "
                                         "the end of the playlist, ignored");
    if (!target_duration_)
      throw ParseFailure{ GST_P2P_ERROR_PLAYLIST_INVALID,
                          "media playlist has no EXT-X-TARGETDURATION" };

    playlist_.version = static_cast<int> (version_.value_or (1));
    playlist_.target_duration = *target_duration_;
    playlist_.media_sequence = media_sequence_.value_or (0);
    playlist_.discontinuity_sequence = discontinuity_sequence_.value_or (0);
    playlist_.type = type_.value_or (PlaylistType::LIVE);
    playlist_.end_list = end_list_line_ != 0;
    playlist_.independent_segments = independent_segments_;

    int64_t count = static_cast<int64_t> (playlist_.segments.size ());
    if (playlist_.media_sequence > G_MAXINT64 - count)
      throw ParseFailure{ GST_P2P_ERROR_PLAYLIST_INVALID,
                          "media sequence numbers overflow 64 bits" };
    size_t too_long = 0;
    for (int64_t i = 0; i < count; i++) {
      MediaSegment &segment = playlist_.segments[i];
      segment.sequence = playlist_.media_sequence + i;
      /* RFC 8216 §4.3.3.1: EXTINF rounded to the nearest integer must not
       * exceed the target duration. */
      GstClockTime rounded
          = (segment.duration + GST_SECOND / 2) / GST_SECOND * GST_SECOND;
      if (rounded > playlist_.target_duration && too_long++ == 0)
        warnings_.add ("segment " + std::to_string (segment.sequence) + " ("
                       + segment.uri + ") is longer than EXT-X-TARGETDURATION");
    }
    if (too_long > 1)
      warnings_.add (std::to_string (too_long)
                     + " segments are longer than "
                       "EXT-X-TARGETDURATION");
    if (playlist_.type == PlaylistType::VOD && !playlist_.end_list)
      warnings_.add ("VOD playlist without EXT-X-ENDLIST");
    return std::move (playlist_);
  }

  MediaPlaylist playlist_;
  Pending pending_;
  std::shared_ptr<const InitSection> map_;
  std::optional<GstClockTime> target_duration_;
  std::optional<int64_t> media_sequence_;
  std::optional<int64_t> discontinuity_sequence_;
  std::optional<PlaylistType> type_;
  size_t end_list_line_ = 0;
  bool warned_after_end_list_ = false;
};

class MasterParser : ParserBase
{
public:
  explicit MasterParser (WarningSink &warnings) : ParserBase (warnings) {}

  MasterPlaylist
  parse (std::string_view text)
  {
    for_each_tag_and_uri (
        text,
        [this] (const Line &line, const Tag &tag) { handle_tag (line, tag); },
        [this] (const Line &line) { add_variant (line); });
    return finish ();
  }

private:
  void
  handle_tag (const Line &line, const Tag &tag)
  {
    if (handle_common_tag (line, tag))
      return;
    if (tag.name == "#EXT-X-STREAM-INF")
      handle_stream_inf (line, tag);
    else if (tag.name == "#EXT-X-MEDIA")
      handle_media (line, tag);
    /* EXT-X-I-FRAME-STREAM-INF, SESSION-DATA, ...: not used, ignored. */
  }

  std::string
  string_attribute (const AttributeList &attributes, std::string_view name)
  {
    const Attribute *attribute = attributes.find (name);
    return attribute ? std::string (attribute->value) : std::string ();
  }

  void
  warn_duplicates (const Line &line, const Tag &tag,
                   const AttributeList &attributes)
  {
    if (attributes.duplicates ().empty ())
      return;
    std::string names;
    for (std::string_view name : attributes.duplicates ())
      names += (names.empty () ? "" : " ") + std::string (name);
    warnings_.add (line, std::string (tag.name.substr (1)) + " repeats " + names
                             + ", the first values are used");
  }

  void
  handle_stream_inf (const Line &line, const Tag &tag)
  {
    AttributeList attributes = parse_attributes (line, tag);
    warn_duplicates (line, tag, attributes);
    const Attribute *bandwidth = attributes.find ("BANDWIDTH");
    if (!bandwidth)
      fail (line, "EXT-X-STREAM-INF has no BANDWIDTH");
    Variant variant;
    std::optional<uint64_t> bits = parse_decimal_integer (bandwidth->value);
    if (!bits)
      fail (line, "EXT-X-STREAM-INF BANDWIDTH " + excerpt (bandwidth->value)
                      + " is not a decimal integer");
    variant.bandwidth = *bits;
    if (const Attribute *average = attributes.find ("AVERAGE-BANDWIDTH")) {
      variant.average_bandwidth = parse_decimal_integer (average->value);
      if (!variant.average_bandwidth)
        warnings_.add (line, "AVERAGE-BANDWIDTH " + excerpt (average->value)
                                 + " ignored");
    }
    if (const Attribute *resolution = attributes.find ("RESOLUTION")) {
      if (!parse_decimal_resolution (resolution->value, &variant.width,
                                     &variant.height))
        warnings_.add (line, "RESOLUTION " + excerpt (resolution->value)
                                 + " ignored");
    }
    if (const Attribute *rate = attributes.find ("FRAME-RATE")) {
      std::optional<double> fps = parse_decimal_float (rate->value);
      if (fps && std::isfinite (*fps))
        variant.frame_rate = *fps;
      else
        warnings_.add (line,
                       "FRAME-RATE " + excerpt (rate->value) + " ignored");
    }
    variant.codecs = string_attribute (attributes, "CODECS");
    variant.video_range = string_attribute (attributes, "VIDEO-RANGE");
    variant.audio_group = string_attribute (attributes, "AUDIO");
    variant.video_group = string_attribute (attributes, "VIDEO");
    variant.subtitles_group = string_attribute (attributes, "SUBTITLES");
    variant.name = string_attribute (attributes, "NAME");

    if (pending_line_)
      warnings_.add (line, "EXT-X-STREAM-INF of line "
                               + std::to_string (pending_line_)
                               + " has no URI, ignored");
    pending_ = std::move (variant);
    pending_line_ = line.number;
  }

  void
  handle_media (const Line &line, const Tag &tag)
  {
    AttributeList attributes = parse_attributes (line, tag);
    warn_duplicates (line, tag, attributes);
    if (playlist_.renditions.size () >= kMaxVariants)
      fail (line, "more than " + std::to_string (kMaxVariants) + " renditions");
    Rendition rendition;
    rendition.type = string_attribute (attributes, "TYPE");
    if (rendition.type != "AUDIO" && rendition.type != "VIDEO"
        && rendition.type != "SUBTITLES" && rendition.type != "CLOSED-CAPTIONS")
      fail (line, "EXT-X-MEDIA TYPE " + excerpt (rendition.type)
                      + " is not AUDIO, VIDEO, SUBTITLES or CLOSED-CAPTIONS");
    rendition.group_id = string_attribute (attributes, "GROUP-ID");
    rendition.name = string_attribute (attributes, "NAME");
    if (rendition.group_id.empty () || rendition.name.empty ())
      fail (line, "EXT-X-MEDIA needs GROUP-ID and NAME");
    rendition.language = string_attribute (attributes, "LANGUAGE");
    rendition.channels = string_attribute (attributes, "CHANNELS");
    rendition.uri = string_attribute (attributes, "URI");
    rendition.is_default = yes_no (line, attributes, "DEFAULT");
    rendition.autoselect = yes_no (line, attributes, "AUTOSELECT");
    playlist_.renditions.push_back (std::move (rendition));
  }

  bool
  yes_no (const Line &line, const AttributeList &attributes,
          std::string_view name)
  {
    const Attribute *attribute = attributes.find (name);
    if (!attribute || attribute->value == "NO")
      return false;
    if (attribute->value == "YES")
      return true;
    warnings_.add (line, std::string (name) + "=" + excerpt (attribute->value)
                             + " is neither YES nor NO, taken as NO");
    return false;
  }

  void
  add_variant (const Line &line)
  {
    if (!pending_line_)
      fail (line, "URI " + excerpt (line.text)
                      + " has no EXT-X-STREAM-INF before it");
    if (playlist_.variants.size () >= kMaxVariants)
      fail (line, "more than " + std::to_string (kMaxVariants) + " variants");
    pending_.uri = std::string (line.text);
    playlist_.variants.push_back (std::move (pending_));
    pending_ = Variant ();
    pending_line_ = 0;
  }

  MasterPlaylist
  finish ()
  {
    if (pending_line_)
      warnings_.add (
          "line " + std::to_string (pending_line_)
          + ": EXT-X-STREAM-INF without a URI at the end of the playlist, "
            "ignored");
    if (playlist_.variants.empty ())
      throw ParseFailure{ GST_P2P_ERROR_PLAYLIST_INVALID,
                          "master playlist has no variant stream" };
    playlist_.version = static_cast<int> (version_.value_or (1));
    playlist_.independent_segments = independent_segments_;
    return std::move (playlist_);
  }

  MasterPlaylist playlist_;
  Variant pending_;
  size_t pending_line_ = 0;
};

template <typename Result, typename Parse>
std::optional<Result>
run_parser (std::string_view text, Warnings *warnings, GError **error,
            Parse parse)
{
  try {
    WarningSink sink (warnings);
    std::string_view body = check_envelope (text, sink);
    return parse (body, detect_kind (body), sink);
  } catch (const ParseFailure &failure) {
    g_set_error_literal (error, GST_P2P_ERROR, failure.code,
                         failure.message.c_str ());
    return std::nullopt;
  }
}

} // namespace

std::optional<Playlist>
parse_playlist (std::string_view text, Warnings *warnings, GError **error)
{
  return run_parser<Playlist> (
      text, warnings, error,
      [] (std::string_view body, Kind kind, WarningSink &sink) -> Playlist {
        if (kind == Kind::MASTER)
          return MasterParser (sink).parse (body);
        return MediaParser (sink).parse (body);
      });
}

std::optional<MediaPlaylist>
parse_media_playlist (std::string_view text, Warnings *warnings, GError **error)
{
  return run_parser<MediaPlaylist> (
      text, warnings, error,
      [] (std::string_view body, Kind kind, WarningSink &sink) {
        if (kind != Kind::MEDIA)
          throw ParseFailure{
            GST_P2P_ERROR_PLAYLIST_INVALID,
            "expected a media playlist, got a master playlist"
          };
        return MediaParser (sink).parse (body);
      });
}

std::optional<MasterPlaylist>
parse_master_playlist (std::string_view text, Warnings *warnings,
                       GError **error)
{
  return run_parser<MasterPlaylist> (
      text, warnings, error,
      [] (std::string_view body, Kind kind, WarningSink &sink) {
        if (kind != Kind::MASTER)
          throw ParseFailure{
            GST_P2P_ERROR_PLAYLIST_INVALID,
            "expected a master playlist, got a media playlist"
          };
        return MasterParser (sink).parse (body);
      });
}

} // namespace p2p::hls
