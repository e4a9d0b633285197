/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Remote SDPs come from any peer through the tracker: the helpers that read
 * them must take any bytes.
 */
#include <cstddef>
#include <cstdint>
#include <string>

#include "gst/p2p/peer/sdp-util.h"

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::string sdp (reinterpret_cast<const char *> (data), size);
  for (const auto &address : p2p::peer::sdp_candidate_addresses (sdp))
    if (address.empty ())
      __builtin_trap ();
  auto filtered = p2p::peer::sdp_without_trickle_option (sdp);
  if (filtered.size () > sdp.size ())
    __builtin_trap ();
  /* Filtering never changes which sections there are. */
  if (p2p::peer::sdp_has_data_channel (filtered)
      != p2p::peer::sdp_has_data_channel (sdp))
    __builtin_trap ();
  return 0;
}
