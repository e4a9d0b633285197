/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hasher.h"

namespace p2p {

std::string
digest_hex (const Digest &digest)
{
  static const char digits[] = "0123456789abcdef";
  std::string hex (64, '0');
  for (size_t i = 0; i < digest.size (); i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 0xf];
  }
  return hex;
}

bool
digest_from_hex (std::string_view hex, Digest *digest)
{
  if (hex.size () != 64)
    return false;
  for (size_t i = 0; i < 32; i++) {
    const int high = g_ascii_xdigit_value (hex[2 * i]);
    const int low = g_ascii_xdigit_value (hex[2 * i + 1]);
    if (high < 0 || low < 0)
      return false;
    (*digest)[i] = guint8 (high << 4 | low);
  }
  return true;
}

namespace {

Digest
finish (GChecksum *checksum)
{
  Digest digest;
  gsize size = digest.size ();
  g_checksum_get_digest (checksum, digest.data (), &size);
  g_checksum_free (checksum);
  return digest;
}

} // namespace

Digest
sha256_of (const guint8 *data, gsize size)
{
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, data, size);
  return finish (checksum);
}

Digest
Sha256Hasher::sha256 (const ChunkedBytes &bytes)
{
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  for (const BytesRef &chunk : bytes.chunks ())
    g_checksum_update (checksum, chunk.data (), chunk.size ());
  return finish (checksum);
}

} // namespace p2p
