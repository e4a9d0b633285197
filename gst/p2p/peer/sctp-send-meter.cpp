/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "sctp-send-meter.h"

namespace p2p::peer {

namespace {

/* RFC 9260 3.1 and 3.3.1, RFC 8260 2.1. */
constexpr gsize kCommonHeader = 12;
constexpr guint8 kData = 0;
constexpr guint8 kIData = 64;
constexpr gsize kDataHeader = 16;
constexpr gsize kIDataHeader = 20;
/* RFC 8832 8.1: the PPID of the data channel establishment protocol. */
constexpr uint32_t kPpidDcep = 50;

uint32_t
read_u32 (const guint8 *p)
{
  return uint32_t (p[0]) << 24 | uint32_t (p[1]) << 16 | uint32_t (p[2]) << 8
         | p[3];
}

} // namespace

void
SctpSendMeter::given (guint64 bytes)
{
  given_ += bytes;
}

guint64
SctpSendMeter::packet_out (const guint8 *packet, gsize size)
{
  guint64 fresh = 0;
  gsize at = kCommonHeader;
  while (at + 4 <= size) {
    const guint8 type = packet[at];
    const gsize length = gsize (packet[at + 2]) << 8 | packet[at + 3];
    if (length < 4 || at + length > size)
      break;
    const gsize header = type == kData ? kDataHeader : kIDataHeader;
    if ((type == kData || type == kIData) && length >= header) {
      const uint32_t tsn = read_u32 (packet + at + 4);
      /* A first fragment of an I-DATA chunk carries the PPID where later
       * ones carry a fragment number; a DATA chunk always does. */
      const bool first = type == kData || (packet[at + 1] & 0x02);
      const bool control
          = first && read_u32 (packet + at + header - 4) == kPpidDcep;
      if (!any_tsn_ || int32_t (tsn - highest_tsn_) > 0) {
        any_tsn_ = true;
        highest_tsn_ = tsn;
        if (!control)
          fresh += length - header;
      }
    }
    at += (length + 3) & ~gsize (3);
  }
  sent_ += fresh;
  return fresh;
}

guint64
SctpSendMeter::unsent () const
{
  const guint64 sent = sent_.load ();
  const guint64 given = given_.load ();
  return given > sent ? given - sent : 0;
}

} // namespace p2p::peer
