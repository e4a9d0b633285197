/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/relay-batch.h"

#include <cstring>

namespace p2p::tracker {

using webtorrent::Id20;

namespace {

constexpr std::string_view kMagic ("P2PR\x01", 5);
constexpr size_t kMaxReplyTo = 255;

void
put_id (std::string &out, const Id20 &id)
{
  out.append (id.view ());
}

/* Reads from a batch; every read checks what is left. */
class Reader
{
public:
  explicit Reader (std::string_view data) : data_ (data) {}

  bool
  take (size_t n, std::string_view &out)
  {
    if (data_.size () < n)
      return false;
    out = data_.substr (0, n);
    data_.remove_prefix (n);
    return true;
  }
  bool
  id (Id20 &out)
  {
    std::string_view raw;
    if (!take (Id20::kSize, raw))
      return false;
    memcpy (out.bytes.data (), raw.data (), Id20::kSize);
    return true;
  }
  bool
  byte (uint8_t &out)
  {
    std::string_view raw;
    if (!take (1, raw))
      return false;
    out = static_cast<uint8_t> (raw[0]);
    return true;
  }
  bool
  length32 (uint32_t &out)
  {
    std::string_view raw;
    if (!take (4, raw))
      return false;
    out = 0;
    for (int i = 3; i >= 0; i--)
      out = (out << 8) | static_cast<uint8_t> (raw[i]);
    return true;
  }
  bool
  done () const
  {
    return data_.empty ();
  }

private:
  std::string_view data_;
};

} // namespace

void
append_relay_item (std::string &batch, const RelayItem &item)
{
  if (batch.empty ())
    batch.append (kMagic);
  std::string_view reply_to = item.reply_to.substr (0, kMaxReplyTo);
  batch.push_back (static_cast<char> (item.kind));
  put_id (batch, item.info_hash);
  put_id (batch, item.to_peer_id);
  put_id (batch, item.from_peer_id);
  put_id (batch, item.offer_id);
  batch.push_back (static_cast<char> (reply_to.size ()));
  batch.append (reply_to);
  uint32_t size = static_cast<uint32_t> (item.message.size ());
  for (int i = 0; i < 4; i++)
    batch.push_back (static_cast<char> ((size >> (8 * i)) & 0xff));
  batch.append (item.message);
}

bool
parse_relay_batch (std::string_view batch, std::vector<RelayItem> &items)
{
  items.clear ();
  if (batch.substr (0, kMagic.size ()) != kMagic)
    return false;
  Reader in (batch.substr (kMagic.size ()));
  while (!in.done ()) {
    RelayItem item;
    uint8_t kind, reply_to_size;
    uint32_t message_size;
    if (!in.byte (kind) || !in.id (item.info_hash) || !in.id (item.to_peer_id)
        || !in.id (item.from_peer_id) || !in.id (item.offer_id)
        || !in.byte (reply_to_size) || !in.take (reply_to_size, item.reply_to)
        || !in.length32 (message_size) || !in.take (message_size, item.message)
        || (kind != static_cast<uint8_t> (RelayItem::Kind::OFFER)
            && kind != static_cast<uint8_t> (RelayItem::Kind::ANSWER))) {
      items.clear ();
      return false;
    }
    item.kind = static_cast<RelayItem::Kind> (kind);
    items.push_back (item);
  }
  return !items.empty ();
}

} // namespace p2p::tracker
