/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "ts-program-tables.h"

#include <algorithm>

namespace p2p::packaging {

namespace {

constexpr guint8 kSyncByte = 0x47;
constexpr guint16 kPatPid = 0;
/* A PMT section is at most 1024 bytes: six packets carry it. */
constexpr gsize kMaxPmtPackets = 6;

guint16
packet_pid (const guint8 *packet)
{
  return static_cast<guint16> (((packet[1] & 0x1f) << 8) | packet[2]);
}

bool
starts_section (const guint8 *packet)
{
  return packet[1] & 0x40;
}

/* Offset of the payload in @packet, or 0 when it carries none. */
gsize
payload_offset (const guint8 *packet)
{
  guint8 adaptation = (packet[3] >> 4) & 0x3;
  if (adaptation == 0 || adaptation == 2)
    return 0;
  gsize offset = 4;
  if (adaptation == 3)
    offset += 1 + packet[4];
  return offset < TsProgramTables::kPacketSize ? offset : 0;
}

/* ISO/IEC 13818-1 stream_type values of video: MPEG-1/2 video, MPEG-4
 * visual, H.264, MVC, HEVC, VVC, AVS, Dirac, VC-1. */
bool
is_video_stream_type (guint8 type)
{
  switch (type) {
  case 0x01:
  case 0x02:
  case 0x10:
  case 0x1b:
  case 0x20:
  case 0x24:
  case 0x33:
  case 0x42:
  case 0xd1:
  case 0xea:
    return true;
  default:
    return false;
  }
}

bool
is_ts (const guint8 *data, gsize size)
{
  return size > 0 && size % TsProgramTables::kPacketSize == 0
         && data[0] == kSyncByte;
}

} // namespace

bool
TsProgramTables::starts_with_pat (const guint8 *data, gsize size)
{
  return is_ts (data, size) && packet_pid (data) == kPatPid
         && starts_section (data);
}

bool
TsProgramTables::starts_unit (const guint8 *data, gsize size)
{
  return is_ts (data, size) && starts_section (data);
}

void
TsProgramTables::observe (const guint8 *data, gsize size)
{
  if (!is_ts (data, size))
    return;
  for (gsize at = 0; at < size; at += kPacketSize) {
    const guint8 *packet = data + at;
    if (packet[0] != kSyncByte)
      return;
    guint16 pid = packet_pid (packet);
    if (pid == kPatPid) {
      if (starts_section (packet))
        observe_pat (packet);
      continue;
    }
    if (std::find (pmt_pids_.begin (), pmt_pids_.end (), pid)
        == pmt_pids_.end ())
      continue;
    std::string &pmt = pmts_[pid];
    const char *bytes = reinterpret_cast<const char *> (packet);
    if (starts_section (packet)) {
      pmt.assign (bytes, kPacketSize);
      observe_pmt (packet);
    } else if (!pmt.empty () && pmt.size () < kMaxPmtPackets * kPacketSize)
      pmt.append (bytes, kPacketSize);
  }
}

void
TsProgramTables::observe_pat (const guint8 *packet)
{
  gsize offset = payload_offset (packet);
  if (offset == 0)
    return;
  /* pointer_field, then the section: table_id 0, 12-bit section_length,
   * five more header bytes, 4-byte program entries, CRC_32. */
  gsize section = offset + 1 + packet[offset];
  if (section + 8 > kPacketSize || packet[section] != 0x00)
    return;
  gsize length = ((packet[section + 1] & 0x0f) << 8) | packet[section + 2];
  gsize end = section + 3 + length;
  if (length < 9 || end > kPacketSize)
    return;
  std::vector<guint16> pids;
  for (gsize entry = section + 8; entry + 4 <= end - 4; entry += 4) {
    guint16 program
        = static_cast<guint16> ((packet[entry] << 8) | packet[entry + 1]);
    guint16 pid = static_cast<guint16> (((packet[entry + 2] & 0x1f) << 8)
                                        | packet[entry + 3]);
    if (program != 0) /* 0 is the network PID */
      pids.push_back (pid);
  }
  if (pids.empty ())
    return;
  pat_.assign (reinterpret_cast<const char *> (packet), kPacketSize);
  if (pids != pmt_pids_) {
    pmt_pids_ = std::move (pids);
    pmts_.clear ();
  }
}

void
TsProgramTables::observe_pmt (const guint8 *packet)
{
  gsize offset = payload_offset (packet);
  if (offset == 0)
    return;
  /* pointer_field, then the section: table_id 2, 12-bit section_length,
   * program_number, version, section numbers, PCR_PID, 12-bit
   * program_info_length and its descriptors, then per stream: stream_type,
   * PID, 12-bit ES_info_length and its descriptors; CRC_32. A section
   * longer than this packet leaves what we knew as it was. */
  gsize section = offset + 1 + packet[offset];
  if (section + 12 > kPacketSize || packet[section] != 0x02)
    return;
  gsize length = ((packet[section + 1] & 0x0f) << 8) | packet[section + 2];
  gsize end = section + 3 + length;
  if (length < 13 || end > kPacketSize)
    return;
  gsize entry = section + 12
                + (((packet[section + 10] & 0x0f) << 8) | packet[section + 11]);
  bool video = false;
  while (entry + 5 <= end - 4) {
    video = video || is_video_stream_type (packet[entry]);
    entry += 5 + (((packet[entry + 3] & 0x0f) << 8) | packet[entry + 4]);
  }
  has_video_ = video;
}

std::string
TsProgramTables::header () const
{
  if (pat_.empty ())
    return {};
  std::string header = pat_;
  for (guint16 pid : pmt_pids_) {
    auto pmt = pmts_.find (pid);
    if (pmt == pmts_.end () || pmt->second.empty ())
      return {};
    header += pmt->second;
  }
  return header;
}

} // namespace p2p::packaging
