/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A self-signed TLS certificate made at run time, for the tests of wss://
 * and https: EC P-256, valid one day, for localhost, 127.0.0.1 and ::1,
 * written as PEM files into a temporary directory that goes with the
 * object. Nothing is downloaded or committed.
 */
#pragma once

#include <string>

namespace p2p::test {

class TestCertificate
{
public:
  TestCertificate ();
  ~TestCertificate ();

  TestCertificate (const TestCertificate &) = delete;
  TestCertificate &operator= (const TestCertificate &) = delete;

  /* The certificate, which is also its own CA: trust this file. */
  const std::string &
  certificate_file () const
  {
    return certificate_file_;
  }
  const std::string &
  key_file () const
  {
    return key_file_;
  }

private:
  std::string dir_;
  std::string certificate_file_;
  std::string key_file_;
};

} // namespace p2p::test
