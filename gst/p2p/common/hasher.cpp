/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "hasher.h"

namespace p2p {

std::string
Sha256Hasher::sha256_hex (const ChunkedBytes &bytes)
{
  GChecksum *checksum = g_checksum_new (G_CHECKSUM_SHA256);
  for (const BytesRef &chunk : bytes.chunks ())
    g_checksum_update (checksum, chunk.data (), chunk.size ());
  std::string hex = g_checksum_get_string (checksum);
  g_checksum_free (checksum);
  return hex;
}

} // namespace p2p
