/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The integrity seam: SHA-256 of segment bytes. Production hashes every
 * segment (Sha256Hasher); the simulator, where ten thousand viewers receive
 * references to the same published bytes, remembers the digest of memory it
 * has hashed and hashes anything else, so a corrupted copy is still caught.
 */
#pragma once

#include <string>

#include "gst/p2p/common/chunked-bytes.h"

namespace p2p {

class Hasher
{
public:
  virtual ~Hasher () = default;
  /* Lower-case hex SHA-256 of @bytes. */
  virtual std::string sha256_hex (const ChunkedBytes &bytes) = 0;
};

class Sha256Hasher : public Hasher
{
public:
  std::string sha256_hex (const ChunkedBytes &bytes) override;
};

} // namespace p2p
