/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Remembers the latest PAT and PMT packets of an MPEG-TS stream so that the
 * segmenter can put them at the start of every segment. mpegtsmux repeats
 * them only every pat-interval, usually a few packets after a key frame: a
 * segment cut at the key frame would then start with video a demuxer cannot
 * place yet, and a player joining there loses the whole first GOP (RFC 8216
 * §3.2 wants PAT and PMT at the start of each segment). Pure logic; input
 * that is not 188-byte TS packets is ignored.
 */
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <glib.h>

namespace p2p::packaging {

class TsProgramTables
{
public:
  static constexpr gsize kPacketSize = 188;

  /* Looks at every packet of @data (whole packets, as mpegtsmux pushes
   * them) and keeps the newest PAT and PMT sections. */
  void observe (const guint8 *data, gsize size);

  /* The PAT packet followed by the PMT packets, empty until both were
   * seen. */
  std::string header () const;

  /* Whether @data starts with a PAT packet that begins a section. */
  static bool starts_with_pat (const guint8 *data, gsize size);
  /* Whether @data starts with a packet that begins a PES packet or a
   * table section (payload_unit_start_indicator). */
  static bool starts_unit (const guint8 *data, gsize size);

  /* Whether the last PMT lists a video stream; unknown until a PMT that
   * fits in one packet was seen. */
  std::optional<bool>
  has_video () const
  {
    return has_video_;
  }

private:
  void observe_pat (const guint8 *packet);
  void observe_pmt (const guint8 *packet);

  std::string pat_;
  /* PMT PIDs listed by the last PAT, and each one's last section's packets
   * (a PMT may span several packets). */
  std::vector<guint16> pmt_pids_;
  std::map<guint16, std::string> pmts_;
  std::optional<bool> has_video_;
};

} // namespace p2p::packaging
