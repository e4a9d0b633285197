/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The randomness seam: engine objects draw ids, request ids and choices
 * from a Random they are given, so that a simulation replays exactly for a
 * seed. Not for secrets (peer ids and offer ids are not secret in the
 * WebTorrent protocol either). Not thread-safe: one per engine thread.
 */
#pragma once

#include <cstdint>
#include <string>

#include <glib.h>

namespace p2p {

class Random
{
public:
  /* xoshiro256** seeded through splitmix64. */
  explicit Random (guint64 seed)
  {
    for (guint64 &word : state_) {
      seed += 0x9e3779b97f4a7c15ull;
      guint64 z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      word = z ^ (z >> 31);
    }
  }

  /* Seeded from GLib's global generator: a production engine. */
  static Random
  unpredictable ()
  {
    return Random ((guint64 (g_random_int ()) << 32) | g_random_int ());
  }

  guint64
  next ()
  {
    const guint64 result = rotl (state_[1] * 5, 7) * 9;
    const guint64 t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl (state_[3], 45);
    return result;
  }

  /* Uniform in [@begin, @end); @end > @begin. */
  gint64
  range (gint64 begin, gint64 end)
  {
    return begin + gint64 (next () % guint64 (end - begin));
  }

  /* Uniform in [0, 1). */
  double
  uniform ()
  {
    return double (next () >> 11) * (1.0 / 9007199254740992.0);
  }

private:
  static guint64
  rotl (guint64 x, int k)
  {
    return (x << k) | (x >> (64 - k));
  }

  guint64 state_[4];
};

} // namespace p2p
