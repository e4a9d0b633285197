/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <gst/check/gstcheck.h>

#include "gst/p2p/peer/sdp-util.h"

using namespace p2p::peer;

/* A Chromium-style answer: CRLF, trickle option, host, srflx and TCP
 * candidates, an mDNS host name. */
static const char browser_sdp[]
    = "v=0\r\n"
      "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
      "s=-\r\n"
      "t=0 0\r\n"
      "a=group:BUNDLE 0\r\n"
      "a=extmap-allow-mixed\r\n"
      "a=msid-semantic: WMS\r\n"
      "m=application 52305 UDP/DTLS/SCTP webrtc-datachannel\r\n"
      "c=IN IP4 192.0.2.7\r\n"
      "a=candidate:1467250027 1 udp 2122260223 192.168.1.2 52305 typ host "
      "generation 0 network-id 1\r\n"
      "a=candidate:842163049 1 udp 1686052607 198.51.100.9 52305 typ srflx "
      "raddr 192.168.1.2 rport 52305 generation 0\r\n"
      "a=candidate:4233069003 1 tcp 1518280447 192.168.1.2 9 typ host tcptype "
      "active generation 0\r\n"
      "a=candidate:3 1 udp 2122194687 "
      "f2b4c5d6-1111-2222-3333-444455556666.local "
      "61234 typ host\r\n"
      "a=candidate:broken\r\n"
      "a=ice-ufrag:yXoR\r\n"
      "a=ice-pwd:0123456789abcdefghijklmn\r\n"
      "a=ice-options:trickle\r\n"
      "a=fingerprint:sha-256 AA:BB\r\n"
      "a=setup:active\r\n"
      "a=mid:0\r\n"
      "a=sctp-port:5000\r\n"
      "a=max-message-size:262144\r\n";

GST_START_TEST (test_candidate_addresses)
{
  auto addresses = sdp_candidate_addresses (browser_sdp);
  ck_assert_uint_eq (addresses.size (), 4);
  ck_assert_str_eq (addresses[0].c_str (), "192.168.1.2");
  ck_assert_str_eq (addresses[1].c_str (), "198.51.100.9");
  ck_assert_str_eq (addresses[2].c_str (), "192.168.1.2");
  ck_assert_str_eq (addresses[3].c_str (),
                    "f2b4c5d6-1111-2222-3333-444455556666.local");

  /* LF-only line endings, and a webrtcbin 1.22 line. */
  auto lf = sdp_candidate_addresses (
      "v=0\na=candidate:1 1 UDP 2015363327 127.0.0.1 48344 typ host\n");
  ck_assert_uint_eq (lf.size (), 1);
  ck_assert_str_eq (lf[0].c_str (), "127.0.0.1");

  fail_unless (sdp_candidate_addresses ("").empty ());
  fail_unless (sdp_candidate_addresses ("a=candidate:").empty ());
  fail_unless (sdp_candidate_addresses ("\n\r\n\r").empty ());
}
GST_END_TEST;

GST_START_TEST (test_without_trickle_option)
{
  std::string in = browser_sdp;
  auto out = sdp_without_trickle_option (in);
  ck_assert_uint_eq (out.size (),
                     in.size () - strlen ("a=ice-options:trickle\r\n"));
  fail_unless (out.find ("ice-options") == std::string::npos);
  fail_unless (out.find ("a=ice-pwd:0123456789abcdefghijklmn\r\n"
                         "a=fingerprint:sha-256 AA:BB\r\n")
               != std::string::npos);

  /* Other ice-options and a last line without newline stay verbatim. */
  std::string kept = "a=ice-options:trickle renomination\r\nv=0";
  fail_unless (sdp_without_trickle_option (kept) == kept);
  fail_unless (sdp_without_trickle_option ("v=0\na=ice-options:trickle\ns=-\n")
               == "v=0\ns=-\n");
  fail_unless (sdp_without_trickle_option ("").empty ());
}
GST_END_TEST;

GST_START_TEST (test_has_data_channel)
{
  fail_unless (sdp_has_data_channel (browser_sdp));
  fail_unless (sdp_has_data_channel ("v=0\nm=application 9 DTLS/SCTP 5000\n"));
  fail_if (sdp_has_data_channel ("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
  fail_if (sdp_has_data_channel ("m=application 9 UDP/BFCP *\r\n"));
  fail_if (sdp_has_data_channel ("m=application"));
  fail_if (sdp_has_data_channel ("hello"));
  fail_if (sdp_has_data_channel (""));
}
GST_END_TEST;

static Suite *
sdp_util_suite (void)
{
  Suite *s = suite_create ("sdp-util");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_candidate_addresses);
  tcase_add_test (tc, test_without_trickle_option);
  tcase_add_test (tc, test_has_data_channel);
  return s;
}

GST_CHECK_MAIN (sdp_util);
