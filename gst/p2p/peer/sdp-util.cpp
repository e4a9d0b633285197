/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "sdp-util.h"

#include <sstream>

namespace p2p::peer {

namespace {

/* Calls @fn with each line of @sdp, without its "\n" or "\r\n" ending;
 * stops early when @fn returns false. */
template <typename Fn>
void
for_each_line (const std::string &sdp, Fn fn)
{
  std::string::size_type start = 0;
  while (start < sdp.size ()) {
    auto end = sdp.find ('\n', start);
    if (end == std::string::npos)
      end = sdp.size ();
    auto len = end - start;
    if (len > 0 && sdp[start + len - 1] == '\r')
      len--;
    if (!fn (sdp.substr (start, len)))
      return;
    start = end + 1;
  }
}

bool
starts_with (const std::string &s, const char *prefix)
{
  return s.compare (0, std::char_traits<char>::length (prefix), prefix) == 0;
}

} // namespace

std::vector<std::string>
sdp_candidate_addresses (const std::string &sdp)
{
  static const char prefix[] = "a=candidate:";
  std::vector<std::string> addresses;
  for_each_line (sdp, [&] (const std::string &line) {
    if (!starts_with (line, prefix))
      return true;
    /* foundation component transport priority address port "typ" type … */
    std::istringstream fields (line.substr (sizeof (prefix) - 1));
    std::string foundation, component, transport, priority, address, port;
    if (fields >> foundation >> component >> transport >> priority >> address
        >> port)
      addresses.push_back (address);
    return true;
  });
  return addresses;
}

std::string
sdp_without_trickle_option (const std::string &sdp)
{
  std::string out;
  out.reserve (sdp.size ());
  std::string::size_type start = 0;
  while (start < sdp.size ()) {
    auto end = sdp.find ('\n', start);
    end = end == std::string::npos ? sdp.size () : end + 1;
    auto line = sdp.substr (start, end - start);
    if (line != "a=ice-options:trickle\r\n"
        && line != "a=ice-options:trickle\n")
      out += line;
    start = end;
  }
  return out;
}

bool
sdp_has_data_channel (const std::string &sdp)
{
  bool found = false;
  for_each_line (sdp, [&] (const std::string &line) {
    /* m=application <port> <proto> <fmt> */
    if (starts_with (line, "m=application ")) {
      std::istringstream fields (line.substr (2));
      std::string media, port, proto;
      if (fields >> media >> port >> proto)
        found = proto == "UDP/DTLS/SCTP" || proto == "DTLS/SCTP";
    }
    return !found;
  });
  return found;
}

} // namespace p2p::peer
