/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A main() for fuzz targets built without libFuzzer: feeds every file of the
 * corpus directory given as argv[1] to LLVMFuzzerTestOneInput, then a fixed,
 * seeded set of mutations of each (bit flips, truncations, splices, byte
 * repeats), so a crash found once stays found. Exits non-zero on an empty
 * corpus so a target cannot silently test nothing.
 */
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <glib.h>

extern "C" int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

namespace {

constexpr int kMutationsPerInput = 300;

void
run (const std::string &input)
{
  LLVMFuzzerTestOneInput (reinterpret_cast<const uint8_t *> (input.data ()),
                          input.size ());
}

std::string
mutate (const std::string &input, const std::vector<std::string> &corpus,
        std::mt19937 &rng)
{
  std::string out = input;
  auto pick = [&] (size_t n) { return n ? rng () % n : 0; };
  switch (rng () % 6) {
  case 0:
    if (!out.empty ())
      out[pick (out.size ())] ^= static_cast<char> (1u << (rng () % 8));
    break;
  case 1:
    out.resize (pick (out.size () + 1));
    break;
  case 2: {
    const std::string &other = corpus[pick (corpus.size ())];
    size_t at = pick (out.size () + 1);
    size_t from = pick (other.size () + 1);
    out = out.substr (0, at) + other.substr (from);
    break;
  }
  case 3:
    if (!out.empty ()) {
      size_t at = pick (out.size ());
      out.insert (at, std::string (1 + rng () % 4096, out[at]));
    }
    break;
  case 4:
    if (!out.empty ())
      out[pick (out.size ())] = static_cast<char> (rng () & 0xff);
    break;
  default:
    if (!out.empty ()) {
      size_t at = pick (out.size ());
      size_t len = pick (out.size () - at + 1);
      out.erase (at, len);
    }
    break;
  }
  return out;
}

} // namespace

int
main (int argc, char **argv)
{
  if (argc != 2) {
    fprintf (stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  GError *error = nullptr;
  GDir *dir = g_dir_open (argv[1], 0, &error);
  if (!dir) {
    fprintf (stderr, "%s\n", error->message);
    g_error_free (error);
    return 2;
  }
  std::vector<std::string> corpus;
  while (const gchar *name = g_dir_read_name (dir)) {
    gchar *path = g_build_filename (argv[1], name, nullptr);
    gchar *contents = nullptr;
    gsize length = 0;
    if (g_file_get_contents (path, &contents, &length, nullptr))
      corpus.emplace_back (contents, length);
    g_free (contents);
    g_free (path);
  }
  g_dir_close (dir);
  if (corpus.empty ()) {
    fprintf (stderr, "empty corpus in %s\n", argv[1]);
    return 1;
  }

  std::mt19937 rng (20261126);
  size_t runs = 0;
  for (const std::string &input : corpus) {
    run (input);
    ++runs;
    std::string current = input;
    for (int i = 0; i < kMutationsPerInput; i++) {
      current = mutate (current, corpus, rng);
      run (current);
      ++runs;
      if (rng () % 8 == 0)
        current = input;
    }
  }
  printf ("replayed %zu inputs from %zu corpus files\n", runs, corpus.size ());
  return 0;
}
