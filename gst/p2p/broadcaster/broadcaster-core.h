/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The broadcaster's engine side: what a published segment changes in the
 * origin's content, and the seeder that offers every segment to the swarm
 * (a Swarm of one member that only uploads, announcing `left: 0`). It runs
 * on a Runtime: on the broadcaster's engine thread in p2pswarmsink
 * (broadcaster.h), on the simulator's clock in p2p-swarm-sim.
 */
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gst/p2p/packaging/live-publisher.h"
#include "gst/p2p/runtime/runtime.h"
#include "gst/p2p/swarm/holdings.h"
#include "gst/p2p/swarm/swarm.h"

namespace p2p::broadcaster {

/* Where the origin's content goes: the built-in HTTP origin, or the
 * simulator's. */
struct OriginSink
{
  std::function<void (const std::string &path, GBytes *bytes)> publish;
  std::function<void (const std::string &path)> remove;
};

struct SeederConfig
{
  /* Empty: no seeder. */
  std::vector<std::string> trackers;
  /* The stream swarm id viewers derive (swarm_id_from_manifest_url and
   * stream_swarm_id of the playlist URL, or the configured swarm id). */
  std::string stream_swarm_id;
  /* Peers the seeder serves at most; they pass segments on. */
  guint max_upload_peers = 4;
  guint64 max_upload_rate = 0; /* bytes/s, 0 = unlimited */
  /* One copy of the stream (max_upload_peers peers) per whole this many
   * viewers the tracker counts, 1 to kMaxSeedCopies copies; 0: one. */
  guint viewers_per_copy = 60;
};

/* At 1,000 simulated viewers 4 and 8 copies gave the same offload (84.0
 * and 84.3 %); more was not measured. */
constexpr guint kMaxSeedCopies = 8;

/* One segment published, and what the origin must serve from now on. */
struct Publication
{
  packaging::OriginChanges origin_changes;
  int64_t sequence = -1; /* -1: nothing to seed (the playlist ended) */
  ChunkedBytes data;
  /* Its chunk hashes, as the playlist publishes them (layout.size 0:
   * none, the segment is seeded whole only). */
  ChunkTree chunk_tree;
  /* The playlist window's first sequence. */
  int64_t window_start = 0;
};

class BroadcasterCore
{
public:
  BroadcasterCore (Runtime &runtime, OriginSink origin, SeederConfig seeder,
                   std::function<void (const std::string &)> warning);
  ~BroadcasterCore ();

  BroadcasterCore (const BroadcasterCore &) = delete;
  BroadcasterCore &operator= (const BroadcasterCore &) = delete;

  void start ();
  void publish (const Publication &publication);

  swarm::SwarmStats seeder_stats () const;
  /* Empty without a seeder. */
  std::string seeder_peer_id () const;

private:
  Runtime &runtime_;
  OriginSink origin_;
  SeederConfig config_;
  std::function<void (const std::string &)> warning_;
  swarm::Holdings holdings_;
  std::unique_ptr<swarm::Swarm> seeder_;
};

} // namespace p2p::broadcaster
