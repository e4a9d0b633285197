/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzzes the relay batches tracker nodes exchange through Redis: a batch
 * that parses is written back byte for byte from its items (one encoding
 * per batch), and every item's views stay inside the input.
 */
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "gst/tracker/relay-batch.h"

using namespace p2p::tracker;

namespace {

void
check (bool ok)
{
  if (!ok)
    abort ();
}

bool
inside (std::string_view part, std::string_view whole)
{
  return part.empty ()
         || (part.data () >= whole.data ()
             && part.data () + part.size () <= whole.data () + whole.size ());
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  std::string_view input (reinterpret_cast<const char *> (data), size);
  std::vector<RelayItem> items;
  if (!parse_relay_batch (input, items)) {
    check (items.empty ());
    return 0;
  }
  std::string written;
  for (const RelayItem &item : items) {
    check (inside (item.reply_to, input) && inside (item.message, input));
    append_relay_item (written, item);
  }
  check (written == input);
  return 0;
}
