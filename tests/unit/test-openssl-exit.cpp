/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The engine asks OpenSSL not to clean up in an exit handler (issue #11):
 * OPENSSL_cleanup () at exit () freed the state of threads that were ending
 * at the same time, webrtcbin's pooled DTLS threads, and test-webrtc-peer's
 * processes aborted on their way out ("corrupted double-linked list",
 * "double free or corruption") about once in ten runs under load.
 *
 * Every exit handler registered in this process goes through the
 * __cxa_atexit () below, which counts those of libcrypto: none, since the
 * engine (linked into this test) asks OpenSSL not to clean up at exit when
 * it is loaded (1 without that).
 */
#include <gst/check/gstcheck.h>

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <atomic>
#include <cstring>

#include "gst/p2p/common/engine-thread.h"

namespace {

std::atomic<int> exit_handlers{ 0 };
std::atomic<int> openssl_exit_handlers{ 0 };

bool
in_libcrypto (void *fn)
{
  Dl_info info;
  return dladdr (fn, &info) != 0 && info.dli_fname
         && strstr (info.dli_fname, "libcrypto") != nullptr;
}

/* What OpenSSL does on first use; the random bytes make it set up a thread
 * of its own state, like DTLS does on a streaming thread. */
void
use_openssl ()
{
  unsigned char bytes[16];
  fail_unless_equals_int (RAND_bytes (bytes, sizeof bytes), 1);
}

} // namespace

/* libcrypto registers OPENSSL_cleanup () with atexit (), which calls this
 * (the executable's definition comes first in symbol lookup). */
extern "C" int __cxa_atexit (void (*fn) (void *), void *arg,
                             void *dso) noexcept;

extern "C" int
__cxa_atexit (void (*fn) (void *), void *arg, void *dso) noexcept
{
  using Real = int (*) (void (*) (void *), void *, void *);
  static Real real = reinterpret_cast<Real> (dlsym (RTLD_NEXT, "__cxa_atexit"));
  exit_handlers++;
  if (in_libcrypto (reinterpret_cast<void *> (fn)))
    openssl_exit_handlers++;
  return real (fn, arg, dso);
}

/* The count below sees what is registered through atexit (), as libcrypto
 * registers OPENSSL_cleanup (); without the engine, a process using OpenSSL
 * counted 1 here. */
GST_START_TEST (test_exit_handlers_are_counted)
{
  int before = exit_handlers.load ();
  fail_unless_equals_int (atexit (+[] {}), 0);
  fail_unless_equals_int (exit_handlers.load (), before + 1);
}
GST_END_TEST;

/* A process that links the engine keeps OpenSSL's state until it ends,
 * whatever uses OpenSSL, before or after the first engine thread. */
GST_START_TEST (test_engine_keeps_openssl_until_exit)
{
  use_openssl ();
  p2p::EngineThread thread ("test-engine");
  thread.invoke_sync ([] { use_openssl (); });
  thread.stop ();
  use_openssl ();
  fail_unless_equals_int (openssl_exit_handlers.load (), 0);
}
GST_END_TEST;

static Suite *
openssl_exit_suite (void)
{
  Suite *s = suite_create ("openssl-exit");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_exit_handlers_are_counted);
  tcase_add_test (tc, test_engine_keeps_openssl_until_exit);
  return s;
}

int
main (int argc, char **argv)
{
  g_setenv ("CK_FORK", "yes", TRUE);
  gst_check_init (&argc, &argv);
  return gst_check_run_suite (openssl_exit_suite (), "openssl_exit", __FILE__);
}
