/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "swarm-identity.h"

#include <algorithm>
#include <charconv>
#include <cfenv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "gst/p2p/common/gobject-ptr.h"

namespace p2p::swarm {

namespace {

/* hls.js `sampleEntryCodesISO` (src/utils/codecs.ts): the first four
 * characters of a CODECS entry decide its type, case-sensitively. */
const char *const kVideoSampleEntries[]
    = { "avc1", "avc2", "avc3", "avc4", "avcp", "av01", "dav1", "drac",
        "dva1", "dvav", "dvh1", "dvhe", "encv", "hev1", "hvc1", "mjp2",
        "mp4v", "mvc1", "mvc2", "mvc3", "mvc4", "resv", "rv60", "s263",
        "svc1", "svc2", "vc-1", "vp08", "vp09" };
const char *const kAudioSampleEntries[] = {
  "a3ds", "ac-3", "ac-4", "alac", "alaw", "dra1", "dts+", "dts-", "dtsc",
  "dtse", "dtsh", "ec-3", "enca", "fLaC", "flac", "FLAC", "g719", "g726",
  "m4ae", "mha1", "mha2", "mhm1", "mhm2", "mlpa", "mp4a", "raw ", "Opus",
  "opus", "samr", "sawb", "sawp", "sevc", "sqcp", "ssmv", "twos", "ulaw"
};

template <size_t N>
bool
has_sample_entry (const char *const (&entries)[N], const std::string &codec)
{
  const std::string entry = codec.substr (0, 4);
  return std::any_of (entries, entries + N,
                      [&] (const char *e) { return entry == e; });
}

std::vector<std::string>
split (const std::string &text, char separator)
{
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t end = text.find (separator, start);
    parts.push_back (text.substr (start, end - start));
    if (end == std::string::npos)
      return parts;
    start = end + 1;
  }
}

std::string
join (const std::vector<std::string> &parts, char separator)
{
  std::string joined;
  for (size_t i = 0; i < parts.size (); i++)
    joined += (i ? std::string (1, separator) : "") + parts[i];
  return joined;
}

/* hls.js setCodecs(): the CODECS entries of one type, "/…" cut, joined. */
template <size_t N>
std::string
codecs_of_type (const std::string &codecs_attribute,
                const char *const (&entries)[N])
{
  std::vector<std::string> found;
  std::string codec;
  for (size_t i = 0; i <= codecs_attribute.size (); i++) {
    const char c = i < codecs_attribute.size () ? codecs_attribute[i] : ',';
    if (c != ' ' && c != ',') {
      codec += c;
      continue;
    }
    if (!codec.empty () && has_sample_entry (entries, codec))
      found.push_back (codec.substr (0, codec.find ('/')));
    codec.clear ();
  }
  return join (found, ',');
}

/* JS parseInt(text) without radix: leading white space, a sign, "0x" for
 * hex, then as many digits as there are; nullopt for NaN. */
std::optional<int64_t>
js_parse_int (const std::string &text)
{
  size_t i = 0;
  while (i < text.size () && g_ascii_isspace (text[i]))
    i++;
  bool negative = false;
  if (i < text.size () && (text[i] == '-' || text[i] == '+'))
    negative = text[i++] == '-';
  int radix = 10;
  if (text.compare (i, 2, "0x") == 0 || text.compare (i, 2, "0X") == 0) {
    radix = 16;
    i += 2;
  }
  const size_t first_digit = i;
  int64_t value = 0;
  for (; i < text.size (); i++) {
    const int digit = radix == 16 ? g_ascii_xdigit_value (text[i])
                                  : g_ascii_digit_value (text[i]);
    if (digit < 0)
      break;
    value = std::min<int64_t> (value * radix + digit, G_MAXINT64 / 16);
  }
  if (i == first_digit)
    return std::nullopt;
  return negative ? -value : value;
}

/* JS Number#toString(16) of an integer. */
std::string
js_int_to_hex (std::optional<int64_t> value)
{
  if (!value)
    return "NaN";
  char buf[32];
  g_snprintf (buf, sizeof buf, "%s%" G_GINT64_MODIFIER "x",
              *value < 0 ? "-" : "", uint64_t (std::llabs (*value)));
  return buf;
}

/* hls.js level controller's convertAVC1ToAVCOTI, applied to a level's
 * videoCodec before P2P Media Loader sees it. */
std::string
hlsjs_avc1_to_avcoti (const std::string &video_codecs)
{
  std::vector<std::string> codecs = split (video_codecs, ',');
  for (std::string &codec : codecs) {
    const std::vector<std::string> parts = split (codec, '.');
    if (parts.size () > 2 && parts[0] == "avc1") {
      const std::string level = "000" + js_int_to_hex (js_parse_int (parts[2]));
      codec = "avc1." + js_int_to_hex (js_parse_int (parts[1]))
              + level.substr (level.size () - 4);
    }
  }
  return join (codecs, ',');
}

/* A decimal integer whose JS Number#toString() gives the same text back;
 * 15 digits keep the value exact. */
bool
is_canonical_decimal (const std::string &text, int64_t *value)
{
  const size_t sign = text.size () > 1 && text[0] == '-' ? 1 : 0;
  const size_t digits = text.size () - sign;
  if (digits == 0 || digits > 15 || (text[sign] == '0' && text.size () != 1))
    return false;
  for (size_t i = sign; i < text.size (); i++)
    if (!g_ascii_isdigit (text[i]))
      return false;
  *value = g_ascii_strtoll (text.c_str (), nullptr, 10);
  return true;
}

std::string
hex_pad2 (int64_t value)
{
  std::string hex = js_int_to_hex (value);
  return hex.size () < 2 ? "0" + hex : hex;
}

bool
is_js_space (gunichar c)
{
  return g_unichar_isspace (c) || c == 0xfeff;
}

/* String#trim(). */
std::string
js_trim (const std::string &text)
{
  const char *begin = text.c_str ();
  const char *end = begin + text.size ();
  while (begin < end && is_js_space (g_utf8_get_char (begin)))
    begin = g_utf8_next_char (begin);
  while (end > begin) {
    const char *last = g_utf8_find_prev_char (begin, end);
    if (!last || !is_js_space (g_utf8_get_char (last)))
      break;
    end = last;
  }
  return std::string (begin, end);
}

std::string
lower (const std::string &text)
{
  GCharPtr down (g_utf8_strdown (text.c_str (), -1));
  return down.get ();
}

std::string
upper (const std::string &text)
{
  GCharPtr up (g_utf8_strup (text.c_str (), -1));
  return up.get ();
}

/* String#slice(0, 2): two UTF-16 code units. */
std::string
first_two_utf16_units (const std::string &text)
{
  std::string out;
  int units = 0;
  for (const char *p = text.c_str (); *p && units < 2;
       p = g_utf8_next_char (p)) {
    const int width = g_utf8_get_char (p) >= 0x10000 ? 2 : 1;
    if (units + width > 2) {
      out += "\xef\xbf\xbd"; /* a lone surrogate, UTF-8-encoded as U+FFFD */
      break;
    }
    out.append (p, g_utf8_next_char (p) - p);
    units += width;
  }
  return out;
}

std::string
normalize_codecs (const std::string &codecs)
{
  std::vector<std::string> list = split (codecs, ',');
  for (std::string &codec : list) {
    codec = lower (js_trim (codec));
    const std::vector<std::string> parts = split (codec, '.');
    int64_t profile, level;
    if (parts.size () == 3 && (parts[0] == "avc1" || parts[0] == "avc")
        && is_canonical_decimal (parts[1], &profile)
        && is_canonical_decimal (parts[2], &level))
      codec = parts[0] + "." + hex_pad2 (profile) + "00" + hex_pad2 (level);
  }
  std::sort (list.begin (), list.end ());
  return join (list, ',');
}

/* base64 of the first @prefix bytes of SHA-1 (UTF-8 @text). */
std::string
base64_of_sha1 (const std::string &text, size_t prefix)
{
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (checksum, reinterpret_cast<const guchar *> (text.data ()),
                     text.size ());
  guint8 digest[20];
  gsize length = sizeof digest;
  g_checksum_get_digest (checksum, digest, &length);
  g_checksum_free (checksum);
  GCharPtr encoded (g_base64_encode (digest, std::min (prefix, length)));
  return encoded.get ();
}

std::optional<std::string>
non_empty (const std::string &text)
{
  if (text.empty ())
    return std::nullopt;
  return text;
}

} // namespace

StreamAttributes
stream_attributes_for_variant (const hls::Variant &variant)
{
  StreamAttributes attributes;
  attributes.bitrate = variant.bandwidth
                           ? variant.bandwidth
                           : variant.average_bandwidth.value_or (0);
  if (attributes.bitrate == 0)
    return attributes;

  const std::string video_codecs
      = codecs_of_type (variant.codecs, kVideoSampleEntries);
  if (!video_codecs.empty ())
    attributes.codecs = hlsjs_avc1_to_avcoti (video_codecs);
  if (variant.width > 0 || variant.height > 0) {
    attributes.width = variant.width;
    attributes.height = variant.height;
  }
  if (variant.frame_rate != 0.0)
    attributes.frame_rate = variant.frame_rate;
  attributes.video_range = non_empty (variant.video_range);
  return attributes;
}

StreamAttributes
stream_attributes_for_media_playlist ()
{
  return StreamAttributes ();
}

StreamAttributes
stream_attributes_for_rendition (const hls::MasterPlaylist &master,
                                 const hls::Rendition &rendition)
{
  StreamAttributes attributes;
  const hls::Variant *group_variant = nullptr;
  for (const hls::Variant &variant : master.variants) {
    if (!variant.audio_group.empty ()
        && variant.audio_group == rendition.group_id) {
      group_variant = &variant;
      break;
    }
  }
  if (!group_variant && !master.variants.empty ())
    group_variant = &master.variants.front ();
  if (group_variant)
    attributes.codecs = non_empty (
        codecs_of_type (group_variant->codecs, kAudioSampleEntries));

  attributes.language = non_empty (rendition.language);
  attributes.channels = non_empty (rendition.channels);
  attributes.name = non_empty (rendition.name.empty () ? rendition.language
                                                       : rendition.name);
  return attributes;
}

std::string
stream_short_id_input (const StreamAttributes &a)
{
  std::string language;
  if (a.language && !a.language->empty () && *a.language != "und")
    language = lower (first_two_utf16_units (*a.language));
  std::string frame_rate;
  if (a.frame_rate && *a.frame_rate != 0.0 && !std::isnan (*a.frame_rate))
    frame_rate = js_number_to_string (*a.frame_rate);

  std::string input
      = std::to_string (a.bitrate) + "-"
        + (a.codecs ? normalize_codecs (*a.codecs) : "") + "-"
        + (a.width ? std::to_string (*a.width) : "") + "-"
        + (a.height ? std::to_string (*a.height) : "") + "-" + language + "-"
        + (a.channels ? a.channels->substr (0, a.channels->find ('/')) : "")
        + "-" + (a.name ? js_trim (lower (*a.name)) : "") + "-" + frame_rate
        + "-" + (a.video_range ? js_trim (upper (*a.video_range)) : "");

  /* JS strings hold no invalid UTF-8; TextEncoder would see U+FFFD. */
  GCharPtr valid (g_utf8_make_valid (input.c_str (), input.size ()));
  return valid.get ();
}

std::string
stream_short_id (const StreamAttributes &attributes)
{
  return base64_of_sha1 (stream_short_id_input (attributes), 20);
}

std::string
swarm_id_from_manifest_url (const std::string &response_url)
{
  return response_url.substr (0, response_url.find_first_of ("?#"));
}

std::string
stream_swarm_id (const std::string &swarm_id, StreamType type,
                 const std::string &short_id)
{
  return "v2-" + swarm_id + "-"
         + (type == StreamType::MAIN ? "main" : "secondary") + "-" + short_id;
}

std::string
swarm_info_hash (const std::string &stream_swarm_id)
{
  return base64_of_sha1 (stream_swarm_id, 15);
}

bool
relays_stripes (std::string_view peer_id)
{
  /* "-GPvvvv-" or "-GSvvvv-" with vvvv >= 0200. */
  if (peer_id.size () < 8 || peer_id.compare (0, 2, "-G") != 0
      || (peer_id[2] != 'P' && peer_id[2] != 'S') || peer_id[7] != '-')
    return false;
  for (size_t i = 3; i < 7; i++)
    if (!g_ascii_isdigit (peer_id[i]))
      return false;
  return peer_id.substr (3, 4) >= "0200";
}

bool
is_seeder (std::string_view peer_id)
{
  return peer_id.compare (0, 3, "-GS") == 0;
}

uint32_t
relay_id (std::string_view peer_id)
{
  uint32_t h = 2166136261u;
  for (char c : peer_id) {
    h ^= guint8 (c);
    h *= 16777619u;
  }
  return h;
}

guint
interior_stripe (std::string_view peer_id, guint stripes)
{
  return interior_stripe (relay_id (peer_id), stripes);
}

guint
interior_stripe (uint32_t relay_id, guint stripes)
{
  if (stripes == 0)
    return 0;
  /* The FNV's high bits: its low bits follow the last character. */
  return guint ((uint64_t (relay_id) * stripes) >> 32);
}

std::string
generate_peer_id (Random &random, const char *prefix)
{
  static const char alphabet[]
      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id = prefix;
  while (id.size () < 20)
    id += alphabet[random.range (0, sizeof alphabet - 1)];
  return id;
}

/* js_number_to_string () in the default floating-point environment. */
static std::string
js_number_text (double value)
{
  if (std::isnan (value))
    return "NaN";
  const std::string sign = std::signbit (value) ? "-" : "";
  if (std::isinf (value))
    return sign + "Infinity";

  /* std::to_chars gives the shortest digits that read back as @value and,
   * of those, the closest: what ECMA-262 asks. */
  char buf[40];
  const std::to_chars_result end
      = std::to_chars (buf, buf + sizeof buf - 1, std::fabs (value),
                       std::chars_format::scientific);
  *end.ptr = '\0';
  std::string digits;
  const char *p = buf;
  for (; *p != 'e'; p++)
    if (*p != '.')
      digits += *p;
  if (digits == "0")
    return "0"; /* -0 too */
  const int n = std::atoi (p + 1) + 1;
  /* value = 0.digits × 10^n */
  const int k = int (digits.size ());

  std::string text;
  if (k <= n && n <= 21)
    text = digits + std::string (n - k, '0');
  else if (0 < n && n <= 21)
    text = digits.substr (0, n) + "." + digits.substr (n);
  else if (-6 < n && n <= 0)
    text = "0." + std::string (-n, '0') + digits;
  else {
    const int e = n - 1;
    text = digits.substr (0, 1) + (k > 1 ? "." + digits.substr (1) : "") + "e"
           + (e < 0 ? "-" : "+") + std::to_string (std::abs (e));
  }
  return sign + text;
}

std::string
js_number_to_string (double value)
{
  /* A library loaded in the same process may have set flush-to-zero and
   * denormals-are-zero, under which 5e-324 == 0: work in the default
   * floating-point environment, as JavaScript does. */
  fenv_t caller_env;
  fegetenv (&caller_env);
  fesetenv (FE_DFL_ENV);
  std::string text = js_number_text (value);
  fesetenv (&caller_env);
  return text;
}

} // namespace p2p::swarm
