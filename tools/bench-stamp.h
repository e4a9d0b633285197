/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Capture-time stamps carried inside the H.264 stream, for measuring live
 * latency the same way through any player: the bench broadcaster adds an
 * SEI "user data unregistered" NAL with the wall-clock capture time to every
 * access unit, a viewer finds it again in what it renders. The payload is
 * ASCII hex, so it holds no 00 00 and needs no emulation prevention, and it
 * is found by its UUID whether the stream is in byte-stream or avc form.
 */
#pragma once

#include <array>
#include <cstring>
#include <optional>

#include <glib.h>

namespace p2p::bench {

/* Arbitrary, with no zero bytes. */
inline constexpr guint8 kStampUuid[16]
    = { 0x67, 0x73, 0x74, 0x2d, 0x70, 0x32, 0x70, 0x2d,
        0x62, 0x65, 0x6e, 0x63, 0x68, 0x2d, 0x74, 0x73 };
inline constexpr gsize kStampDigits = 16;

inline constexpr guint8 kStampNalHeader[]
    = { 0x00,
        0x00,
        0x00,
        0x01,
        0x06, /* NAL type 6: SEI */
        0x05, /* payload type 5: user data unregistered */
        sizeof (kStampUuid) + kStampDigits };
using StampNal
    = std::array<guint8, sizeof (kStampNalHeader) + sizeof (kStampUuid)
                             + kStampDigits + 1>;

/* A whole SEI NAL in byte-stream form (start code included) stamping
 * @wall_time_us. */
inline StampNal
make_stamp_nal (gint64 wall_time_us)
{
  StampNal nal;
  guint8 *p = nal.data ();
  memcpy (p, kStampNalHeader, sizeof (kStampNalHeader));
  p += sizeof (kStampNalHeader);
  memcpy (p, kStampUuid, sizeof (kStampUuid));
  p += sizeof (kStampUuid);
  char digits[kStampDigits + 1];
  g_snprintf (digits, sizeof (digits), "%016" G_GINT64_MODIFIER "x",
              wall_time_us);
  memcpy (p, digits, kStampDigits);
  nal.back () = 0x80; /* rbsp trailing bits */
  return nal;
}

/* Where a stamp NAL goes in a byte-stream access unit: after a leading
 * access unit delimiter, which must stay the first NAL. */
inline gsize
stamp_insert_offset (const guint8 *au, gsize size)
{
  if (size < 5 || au[0] != 0 || au[1] != 0)
    return 0;
  gsize header = au[2] == 1 ? 3 : 4;
  if (header == 4 && au[3] != 1)
    return 0;
  if ((au[header] & 0x1f) != 9)
    return 0;
  for (gsize i = header + 1; i + 3 <= size; i++) {
    if (au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1)
      return (i > 0 && au[i - 1] == 0) ? i - 1 : i;
  }
  return 0;
}

/* The capture time stamped in @data, if it holds a stamp. */
inline std::optional<gint64>
find_stamp (const guint8 *data, gsize size)
{
  const gsize need = sizeof (kStampUuid) + kStampDigits;
  for (gsize i = 0; i + need <= size; i++) {
    if (data[i] != kStampUuid[0]
        || memcmp (data + i, kStampUuid, sizeof (kStampUuid)) != 0)
      continue;
    char digits[kStampDigits + 1];
    memcpy (digits, data + i + sizeof (kStampUuid), kStampDigits);
    digits[kStampDigits] = '\0';
    gchar *end = nullptr;
    guint64 value = g_ascii_strtoull (digits, &end, 16);
    if (end != digits + kStampDigits)
      return std::nullopt;
    return static_cast<gint64> (value);
  }
  return std::nullopt;
}

} // namespace p2p::bench
