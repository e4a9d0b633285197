/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * SctpSendMeter (gst/p2p/peer/sctp-send-meter.h): the user data SCTP packets
 * carry out, each TSN once, against what was given to the data channel.
 */
#include <cstdint>
#include <vector>

#include "gst/p2p/peer/sctp-send-meter.h"

#include <gst/check/gstcheck.h>

using p2p::peer::SctpSendMeter;

namespace {

constexpr uint32_t kBinary = 53; /* WebRTC Binary */
constexpr uint32_t kDcep = 50;

void
put_u16 (std::vector<guint8> &out, uint16_t v)
{
  out.push_back (v >> 8);
  out.push_back (v & 0xff);
}

void
put_u32 (std::vector<guint8> &out, uint32_t v)
{
  put_u16 (out, v >> 16);
  put_u16 (out, v & 0xffff);
}

/* An SCTP packet: common header, then @chunks. */
std::vector<guint8>
packet (std::initializer_list<std::vector<guint8>> chunks)
{
  std::vector<guint8> out (12, 0);
  for (const auto &chunk : chunks)
    out.insert (out.end (), chunk.begin (), chunk.end ());
  return out;
}

/* A chunk of @type with @header (after type, flags, length) and @payload
 * bytes, padded to 4 bytes. */
std::vector<guint8>
chunk (guint8 type, guint8 flags, const std::vector<guint8> &header,
       gsize payload)
{
  std::vector<guint8> out{ type, flags };
  put_u16 (out, uint16_t (4 + header.size () + payload));
  out.insert (out.end (), header.begin (), header.end ());
  out.resize (out.size () + payload, 0xab);
  while (out.size () % 4)
    out.push_back (0);
  return out;
}

std::vector<guint8>
data (uint32_t tsn, gsize payload, uint32_t ppid = kBinary)
{
  std::vector<guint8> header;
  put_u32 (header, tsn);
  put_u16 (header, 1); /* stream */
  put_u16 (header, 0); /* stream sequence */
  put_u32 (header, ppid);
  return chunk (0, 0x03, header, payload);
}

std::vector<guint8>
idata (uint32_t tsn, bool first, uint32_t ppid_or_fsn, gsize payload)
{
  std::vector<guint8> header;
  put_u32 (header, tsn);
  put_u16 (header, 1);
  put_u16 (header, 0);
  put_u32 (header, 7); /* message id */
  put_u32 (header, ppid_or_fsn);
  return chunk (64, first ? 0x02 : 0x00, header, payload);
}

std::vector<guint8>
sack ()
{
  std::vector<guint8> header;
  put_u32 (header, 99);    /* cumulative TSN ack */
  put_u32 (header, 65536); /* receiver window */
  put_u16 (header, 0);
  put_u16 (header, 0);
  return chunk (3, 0, header, 0);
}

guint64
send (SctpSendMeter &meter, const std::vector<guint8> &p)
{
  return meter.packet_out (p.data (), p.size ());
}

} // namespace

/* A message in fragments counts once it all left; padding and the chunk
 * headers are not user data. */
GST_START_TEST (test_fragments_count_their_user_data)
{
  SctpSendMeter meter;
  meter.given (3000);
  ck_assert_uint_eq (meter.unsent (), 3000);
  ck_assert_uint_eq (send (meter, packet ({ data (1, 1201) })), 1201);
  ck_assert_uint_eq (meter.unsent (), 1799);
  ck_assert_uint_eq (send (meter, packet ({ data (2, 1200), data (3, 599) })),
                     1799);
  ck_assert_uint_eq (meter.unsent (), 0);
}
GST_END_TEST;

/* A retransmission (a TSN already seen) is no progress, even bundled with
 * new data; a SACK is none either. */
GST_START_TEST (test_retransmissions_and_control_chunks_do_not_count)
{
  SctpSendMeter meter;
  meter.given (4000);
  send (meter, packet ({ data (10, 1000), data (11, 1000) }));
  ck_assert_uint_eq (send (meter, packet ({ data (10, 1000) })), 0);
  ck_assert_uint_eq (
      send (meter, packet ({ sack (), data (11, 1000), data (12, 1000) })),
      1000);
  ck_assert_uint_eq (send (meter, packet ({ sack () })), 0);
  ck_assert_uint_eq (meter.unsent (), 1000);
}
GST_END_TEST;

/* webrtcbin's own channel-open messages (DCEP) were never given. */
GST_START_TEST (test_dcep_messages_do_not_count)
{
  SctpSendMeter meter;
  meter.given (100);
  ck_assert_uint_eq (send (meter, packet ({ data (1, 20, kDcep) })), 0);
  ck_assert_uint_eq (send (meter, packet ({ data (2, 100) })), 100);
  ck_assert_uint_eq (meter.unsent (), 0);
}
GST_END_TEST;

/* TSNs wrap around at 2^32 (serial number arithmetic). */
GST_START_TEST (test_tsn_wraps_around)
{
  SctpSendMeter meter;
  meter.given (300);
  send (meter, packet ({ data (0xffffffffu, 100) }));
  ck_assert_uint_eq (send (meter, packet ({ data (0, 100) })), 100);
  ck_assert_uint_eq (send (meter, packet ({ data (0xffffffffu, 100) })), 0);
  ck_assert_uint_eq (send (meter, packet ({ data (1, 100) })), 100);
  ck_assert_uint_eq (meter.unsent (), 0);
}
GST_END_TEST;

/* I-DATA (RFC 8260) has a longer header; only its first fragment carries
 * the PPID. */
GST_START_TEST (test_idata_chunks)
{
  SctpSendMeter meter;
  meter.given (1000);
  ck_assert_uint_eq (send (meter, packet ({ idata (5, true, kBinary, 600),
                                            idata (6, false, kDcep, 400) })),
                     1000);
  ck_assert_uint_eq (send (meter, packet ({ idata (7, true, kDcep, 30) })), 0);
  ck_assert_uint_eq (meter.unsent (), 0);
}
GST_END_TEST;

/* A truncated packet or a chunk claiming more than the packet holds counts
 * what came before it and nothing after. */
GST_START_TEST (test_malformed_packets)
{
  SctpSendMeter meter;
  meter.given (1000);
  auto whole = packet ({ data (1, 100), data (2, 200) });
  ck_assert_uint_eq (meter.packet_out (whole.data (), whole.size () - 8), 100);
  std::vector<guint8> tiny (5, 0);
  ck_assert_uint_eq (meter.packet_out (tiny.data (), tiny.size ()), 0);
  auto bad = packet ({ data (3, 100) });
  bad[14] = 0;
  bad[15] = 2; /* length 2: less than a chunk header */
  ck_assert_uint_eq (meter.packet_out (bad.data (), bad.size ()), 0);
  ck_assert_uint_eq (meter.unsent (), 900);
}
GST_END_TEST;

static Suite *
sctp_send_meter_suite (void)
{
  Suite *s = suite_create ("sctp-send-meter");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_fragments_count_their_user_data);
  tcase_add_test (tc, test_retransmissions_and_control_chunks_do_not_count);
  tcase_add_test (tc, test_dcep_messages_do_not_count);
  tcase_add_test (tc, test_tsn_wraps_around);
  tcase_add_test (tc, test_idata_chunks);
  tcase_add_test (tc, test_malformed_packets);
  return s;
}

GST_CHECK_MAIN (sctp_send_meter);
