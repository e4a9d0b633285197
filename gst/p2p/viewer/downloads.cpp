/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "downloads.h"

namespace p2p::viewer {

Downloads::Downloads (Clock &clock, net::HttpClient &http, Events events)
    : clock_ (clock), http_ (http), events_ (std::move (events))
{
}

Downloads::~Downloads ()
{
  for (auto &f : http_fetches_)
    f.second.cancel ();
  for (auto &f : range_fetches_)
    f.second.cancel ();
}

void
Downloads::start_http_range (int64_t sequence, guint stripe, gsize from,
                             net::HttpRequest request)
{
  const RangeKey key (sequence, stripe);
  if (ranges_.count (key))
    return;
  swarm::Transfer transfer;
  transfer.sequence = sequence;
  transfer.source = swarm::TransferSource::HTTP;
  transfer.stripe = int (stripe);
  transfer.from = from;
  transfer.started = transfer.last_progress = clock_.now ();
  ranges_[key] = transfer;
  range_fetches_[key] = http_.fetch (
      std::move (request), [this, key, from] (net::HttpResult r) {
        range_fetches_.erase (key);
        ranges_.erase (key);
        events_.range_http_done (key.first, key.second, from, std::move (r));
      });
}

bool
Downloads::start_peer_range (int64_t sequence, guint stripe,
                             const std::string &peer_id, gsize from, gsize to)
{
  const RangeKey key (sequence, stripe);
  if (!swarm_ || ranges_.count (key)
      || !swarm_->request_range (peer_id, sequence, from, to))
    return false;
  swarm::Transfer transfer;
  transfer.sequence = sequence;
  transfer.source = swarm::TransferSource::PEER;
  transfer.peer_id = peer_id;
  transfer.stripe = int (stripe);
  transfer.from = from;
  transfer.bytes_total = to - from;
  transfer.started = transfer.last_progress = clock_.now ();
  ranges_[key] = transfer;
  return true;
}

void
Downloads::cancel_range (int64_t sequence, guint stripe)
{
  auto it = ranges_.find (RangeKey (sequence, stripe));
  if (it == ranges_.end ())
    return;
  if (it->second.source == swarm::TransferSource::PEER && swarm_)
    swarm_->cancel_range (it->second.peer_id, sequence, it->second.from);
  auto fetch = range_fetches_.find (it->first);
  if (fetch != range_fetches_.end ()) {
    fetch->second.cancel ();
    range_fetches_.erase (fetch);
  }
  ranges_.erase (it);
}

void
Downloads::on_range_ended (int64_t sequence, guint stripe,
                           const std::string &peer_id)
{
  auto it = ranges_.find (RangeKey (sequence, stripe));
  if (it != ranges_.end () && it->second.source == swarm::TransferSource::PEER
      && it->second.peer_id == peer_id)
    ranges_.erase (it);
}

void
Downloads::on_range_progress (int64_t sequence, guint stripe,
                              const std::string &peer_id, gsize bytes)
{
  auto it = ranges_.find (RangeKey (sequence, stripe));
  if (it == ranges_.end () || it->second.peer_id != peer_id)
    return;
  const GstClockTime now = clock_.now ();
  if (!it->second.first_bytes)
    it->second.first_bytes = now;
  it->second.bytes_received += bytes;
  it->second.last_progress = now;
}

void
Downloads::start_http (int64_t sequence, net::HttpRequest request)
{
  if (transfers_.count (sequence))
    return;
  request.on_progress = [this, sequence] (const net::HttpProgress &p) {
    auto it = transfers_.find (sequence);
    if (it == transfers_.end ())
      return;
    it->second.bytes_received = p.received;
    it->second.bytes_total = p.expected > 0 ? p.expected : 0;
    it->second.last_progress = clock_.now ();
    events_.http_progress (sequence, p, it->second.started);
  };
  swarm::Transfer transfer;
  transfer.sequence = sequence;
  transfer.source = swarm::TransferSource::HTTP;
  transfer.started = transfer.last_progress = clock_.now ();
  transfers_[sequence] = transfer;
  http_generation_++;
  http_fetches_[sequence]
      = http_.fetch (std::move (request), [this, sequence] (net::HttpResult r) {
          http_fetches_.erase (sequence);
          transfers_.erase (sequence);
          http_generation_++;
          events_.http_done (sequence, std::move (r));
        });
}

bool
Downloads::start_peer (int64_t sequence, const std::string &peer_id)
{
  if (!swarm_ || transfers_.count (sequence)
      || !swarm_->request (peer_id, sequence))
    return false;
  swarm::Transfer transfer;
  transfer.sequence = sequence;
  transfer.source = swarm::TransferSource::PEER;
  transfer.peer_id = peer_id;
  transfer.started = transfer.last_progress = clock_.now ();
  transfers_[sequence] = transfer;
  return true;
}

swarm::Transfer *
Downloads::peer_transfer (int64_t sequence, const std::string &peer_id)
{
  auto it = transfers_.find (sequence);
  if (it == transfers_.end ()
      || it->second.source != swarm::TransferSource::PEER
      || it->second.peer_id != peer_id)
    return nullptr;
  return &it->second;
}

void
Downloads::cancel_peer (int64_t sequence, const std::string &peer_id)
{
  if (!peer_transfer (sequence, peer_id))
    return;
  transfers_.erase (sequence);
  if (swarm_)
    swarm_->cancel (peer_id);
}

void
Downloads::cancel_all ()
{
  for (auto &t : transfers_) {
    if (t.second.source == swarm::TransferSource::PEER && swarm_)
      swarm_->cancel (t.second.peer_id);
  }
  for (auto &f : http_fetches_)
    f.second.cancel ();
  http_fetches_.clear ();
  transfers_.clear ();
  http_generation_++;
  while (!ranges_.empty ())
    cancel_range (ranges_.begin ()->first.first,
                  ranges_.begin ()->first.second);
}

void
Downloads::on_peer_progress (int64_t sequence, const std::string &peer_id,
                             guint64 received, guint64 total)
{
  swarm::Transfer *transfer = peer_transfer (sequence, peer_id);
  if (!transfer)
    return;
  const GstClockTime now = clock_.now ();
  if (received > 0 && transfer->first_bytes == 0)
    transfer->first_bytes = now;
  transfer->bytes_received = received;
  transfer->bytes_total = total;
  transfer->last_progress = now;
}

void
Downloads::on_peer_downloaded (int64_t sequence, const std::string &peer_id,
                               const ChunkedBytes &data)
{
  if (peer_transfer (sequence, peer_id))
    transfers_.erase (sequence);
  events_.peer_done (sequence, peer_id, data);
}

void
Downloads::on_peer_failed (int64_t sequence, const std::string &peer_id,
                           const std::string &why)
{
  if (peer_transfer (sequence, peer_id))
    transfers_.erase (sequence);
  events_.peer_failed (sequence, peer_id, why);
}

const swarm::Transfer *
Downloads::find (int64_t sequence) const
{
  auto it = transfers_.find (sequence);
  return it == transfers_.end () ? nullptr : &it->second;
}

std::set<int64_t>
Downloads::http_sequences () const
{
  std::set<int64_t> sequences;
  for (const auto &t : transfers_) {
    if (t.second.source == swarm::TransferSource::HTTP)
      sequences.insert (t.first);
  }
  return sequences;
}

} // namespace p2p::viewer
