/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "test-certificate.h"

#include <cstdio>
#include <stdexcept>

#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace p2p::test {

namespace {

void
check (bool ok, const char *what)
{
  if (!ok)
    throw std::runtime_error (std::string ("test certificate: ") + what);
}

void
add_extension (X509 *cert, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid (nullptr, &ctx, nid, value);
  check (ext && X509_add_ext (cert, ext, -1) == 1, value);
  X509_EXTENSION_free (ext);
}

} // namespace

TestCertificate::TestCertificate ()
{
  gchar *dir = g_dir_make_tmp ("gst-p2p-tls-XXXXXX", nullptr);
  check (dir, "no temporary directory");
  dir_ = dir;
  g_free (dir);
  certificate_file_ = dir_ + "/certificate.pem";
  key_file_ = dir_ + "/key.pem";

  EVP_PKEY *key = EVP_EC_gen ("P-256");
  check (key, "EC key");
  X509 *cert = X509_new ();
  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert),
                    g_random_int_range (1, G_MAXINT32));
  X509_gmtime_adj (X509_getm_notBefore (cert), -60);
  X509_gmtime_adj (X509_getm_notAfter (cert), 24 * 3600);
  X509_set_pubkey (cert, key);
  X509_NAME *name = X509_get_subject_name (cert);
  X509_NAME_add_entry_by_txt (
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char *> ("gst-p2p test"), -1, -1, 0);
  X509_set_issuer_name (cert, name);
  add_extension (cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension (cert, NID_subject_alt_name,
                 "DNS:localhost,IP:127.0.0.1,IP:::1");
  check (X509_sign (cert, key, EVP_sha256 ()) > 0, "signature");

  FILE *out = g_fopen (certificate_file_.c_str (), "w");
  check (out && PEM_write_X509 (out, cert) == 1, "certificate file");
  fclose (out);
  out = g_fopen (key_file_.c_str (), "w");
  check (out
             && PEM_write_PrivateKey (out, key, nullptr, nullptr, 0, nullptr,
                                      nullptr)
                    == 1,
         "key file");
  fclose (out);
  X509_free (cert);
  EVP_PKEY_free (key);
}

TestCertificate::~TestCertificate ()
{
  g_remove (certificate_file_.c_str ());
  g_remove (key_file_.c_str ());
  g_rmdir (dir_.c_str ());
}

} // namespace p2p::test
