/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What SCTP has not sent yet of the messages given to a data channel.
 *
 * webrtcbin's buffered-amount counts a message only until sctpenc takes it.
 * usrsctp then holds it in the association's send buffer (1 MiB in
 * GStreamer 1.22) until the congestion window lets it out: several seconds
 * of a slow uplink that buffered-amount does not show. A relay judging its
 * uplink by buffered-amount took children its uplink could not carry, and
 * its bytes reached them after they had fetched the same bytes over HTTP.
 * The meter counts the user data of the DATA chunks sctpenc emits, each TSN
 * once (a retransmission is not progress), against what was given.
 */
#pragma once

#include <atomic>
#include <cstdint>

#include <glib.h>

namespace p2p::peer {

class SctpSendMeter
{
public:
  /* @bytes of one message given to the data channel (any thread). */
  void given (guint64 bytes);
  /* One SCTP packet as sctpenc emits it (its streaming thread only).
   * Returns the user data bytes of DATA and I-DATA chunks with a TSN not
   * seen before, but those of data channel control messages (DCEP). */
  guint64 packet_out (const guint8 *packet, gsize size);
  /* Given and not yet emitted (any thread). */
  guint64 unsent () const;

private:
  std::atomic<guint64> given_{ 0 };
  std::atomic<guint64> sent_{ 0 };
  /* Streaming thread only. */
  bool any_tsn_ = false;
  uint32_t highest_tsn_ = 0;
};

} // namespace p2p::peer
