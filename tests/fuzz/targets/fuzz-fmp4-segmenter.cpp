/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The broadcaster's fragmented MP4 segmenter on arbitrary input: the sink
 * may be fed from the network, so every box is untrusted. The first byte
 * sets the size of the chunks the rest is pushed in (mp4mux pushes whole
 * header boxes, but a box may straddle buffers).
 */
#include <algorithm>
#include <cstdint>

#include "gst/p2p/packaging/fmp4-segmenter.h"

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  const size_t chunk = 1 + data[0] * 61;
  p2p::packaging::Fmp4Segmenter segmenter (100 * GST_MSECOND);
  for (size_t at = 1; at < size; at += chunk) {
    std::optional<p2p::packaging::CutSegment> cut;
    if (!segmenter.push (data + at, std::min (chunk, size - at),
                         GST_CLOCK_TIME_NONE, false, &cut, nullptr))
      return 0;
  }
  segmenter.finish ();
  return 0;
}
