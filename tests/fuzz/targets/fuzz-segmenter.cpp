/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The broadcaster's segmenter and its MPEG-TS program table tracker on
 * arbitrary input: the sink may be fed from the network (srtsrc, udpsrc), so
 * PAT and PMT packets are untrusted. Each chunk is one control byte (bits
 * 0-1: 1 to 4 packets follow; bit 7: key frame; bit 6: a second passes)
 * and the chunk's bytes.
 */
#include <algorithm>
#include <cstdint>

#include "gst/p2p/packaging/segmenter.h"

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  p2p::packaging::TsSegmenter segmenter (GST_SECOND);
  GstClockTime pts = 0;
  size_t at = 0;
  while (at < size) {
    uint8_t control = data[at++];
    size_t length = std::min<size_t> (
        size - at,
        p2p::packaging::TsProgramTables::kPacketSize * (1 + (control & 3)));
    std::optional<p2p::packaging::CutSegment> cut;
    segmenter.push (data + at, length, pts, control & 0x80, &cut, nullptr);
    pts += (control & 0x40) ? GST_SECOND : 100 * GST_MSECOND;
    at += length;
  }
  segmenter.finish ();
  return 0;
}
