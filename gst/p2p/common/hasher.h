/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The integrity seam: SHA-256 of segment bytes. Production hashes every
 * segment (Sha256Hasher); the simulator, where ten thousand viewers receive
 * references to the same published bytes, remembers the digest of memory it
 * has hashed and hashes anything else, so a corrupted copy is still caught.
 */
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "gst/p2p/common/chunked-bytes.h"

namespace p2p {

using Digest = std::array<guint8, 32>;

/* Lower-case hex of @digest, and back (false unless 64 hex digits). */
std::string digest_hex (const Digest &digest);
bool digest_from_hex (std::string_view hex, Digest *digest);
/* SHA-256 of plain memory (hash lists: small, never the same twice). */
Digest sha256_of (const guint8 *data, gsize size);

class Hasher
{
public:
  virtual ~Hasher () = default;
  virtual Digest sha256 (const ChunkedBytes &bytes) = 0;
  /* Lower-case hex SHA-256 of @bytes. */
  std::string
  sha256_hex (const ChunkedBytes &bytes)
  {
    return digest_hex (sha256 (bytes));
  }
};

class Sha256Hasher : public Hasher
{
public:
  Digest sha256 (const ChunkedBytes &bytes) override;
};

} // namespace p2p
