/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Where ICE gathers when no address is configured: libnice's default while
 * another interface is up, loopback when nothing else is (issue #11).
 */
#include <gst/check/gstcheck.h>

#include "gst/p2p/peer/local-addresses.h"

using namespace p2p::peer;

GST_START_TEST (test_another_interface_keeps_the_default)
{
  /* Pinning nothing leaves libnice's choice: every interface but loopback. */
  fail_unless (
      unconfigured_ice_addresses (
          { { "127.0.0.1", true }, { "192.0.2.2", false }, { "::1", true } })
          .empty ());
  fail_unless (
      unconfigured_ice_addresses ({ { "fe80::1", false }, { "::1", true } })
          .empty ());
}
GST_END_TEST;

GST_START_TEST (test_loopback_alone_is_used)
{
  auto addresses
      = unconfigured_ice_addresses ({ { "127.0.0.1", true }, { "::1", true } });
  fail_unless_equals_int (addresses.size (), 2);
  fail_unless_equals_string (addresses[0].c_str (), "127.0.0.1");
  fail_unless_equals_string (addresses[1].c_str (), "::1");
  /* Nothing up at all: nothing to pin, nothing to gather. */
  fail_unless (unconfigured_ice_addresses ({}).empty ());
}
GST_END_TEST;

/* This test runs in a network namespace where only lo is up
 * (tests/run-in-netns.sh). */
GST_START_TEST (test_reads_this_namespace)
{
  auto up = local_addresses_up ();
  bool has_ipv4_loopback = false;
  for (const LocalAddress &a : up) {
    fail_unless (a.loopback, "%s is not loopback", a.address.c_str ());
    has_ipv4_loopback = has_ipv4_loopback || a.address == "127.0.0.1";
  }
  fail_unless (has_ipv4_loopback);
  fail_unless_equals_int (unconfigured_ice_addresses (up).size (), up.size ());
}
GST_END_TEST;

static Suite *
local_addresses_suite (void)
{
  Suite *s = suite_create ("local-addresses");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_another_interface_keeps_the_default);
  tcase_add_test (tc, test_loopback_alone_is_used);
  tcase_add_test (tc, test_reads_this_namespace);
  return s;
}

GST_CHECK_MAIN (local_addresses);
