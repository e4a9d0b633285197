/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Tracker nodes sharing their swarms through Redis (issue #15): one Cluster
 * per worker, on the worker's epoll loop. Each worker of each node is a
 * "member" of the cluster, named NODE-WORKER, and holds the swarms its
 * shard owns on that node. In Redis, per swarm (HEX = info_hash in hex):
 *
 *   p2pt:s:HEX:members     SET of the members holding peers of the swarm
 *   p2pt:s:HEX:p:MEMBER    SET of that member's peer_ids
 *   p2pt:s:HEX:d:MEMBER    SET of those that seed (complete)
 *
 * Every member key expires member_ttl after the member last refreshed it
 * (announces, and a heartbeat every third of it), so a dead node's peers
 * leave the cluster's swarms by themselves. One Lua script per announce
 * updates the member's sets, counts the swarm over all live members and
 * picks random receivers for the offers. Offers and answers for another
 * member's peers travel on its channel, p2pt:relay:MEMBER, as relay
 * batches (relay-batch.h): one PUBLISH per member and loop turn.
 *
 * All commands of a loop turn go out in one write (RedisLink::flush), and
 * nothing waits on Redis: a reply continues the work when it comes. When
 * Redis cannot be reached, up () is false and the worker serves its own
 * swarms alone; the cluster reconnects with backoff and then registers the
 * worker's peers again.
 */
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gst/tracker/redis-url.h"
#include "gst/tracker/relay-batch.h"
#include "gst/tracker/swarm-shard.h"

struct redisReply;

namespace p2p::tracker {

class RedisLink;

struct ClusterConfig
{
  RedisEndpoint endpoint;
  std::string address; /* endpoint.host resolved to an IP literal */
  std::string node_id; /* unique per process */
  unsigned worker_index = 0;
  int64_t member_ttl_ms = 15000;
  /* A command without a reply this long: Redis counts as unreachable. */
  int64_t command_timeout_ms = 2000;
};

/* Counters of one worker's cluster link, read by Server::stats (). */
struct ClusterCounters
{
  std::atomic<bool> up{ false };
  /* the first connection attempt is over, joined or failed */
  std::atomic<bool> settled{ false };
  std::atomic<uint64_t> connects{ 0 };
  std::atomic<uint64_t> commands{ 0 };
  std::atomic<uint64_t> relays_sent{ 0 };
  std::atomic<uint64_t> relays_received{ 0 };
  std::atomic<uint64_t> publishes{ 0 };
  std::atomic<uint64_t> local_fallbacks{ 0 };
};

class Cluster
{
public:
  /* The worker around the cluster. */
  class Host
  {
  public:
    virtual ~Host () = default;
    /* An offer or answer from another member for one of our peers;
     * @reply_to names the offer's member for the answer. */
    virtual void on_relay (const RelayItem &item,
                           SwarmShard::MemberIndex reply_to)
        = 0;
    /* The worker's swarms, to register and keep alive. */
    virtual const SwarmShard &shard () const = 0;
  };

  /* Epoll tags of the two Redis connections (not connection pointers). */
  static constexpr uint64_t kCommandTag = 3;
  static constexpr uint64_t kSubscriberTag = 4;

  /* A receiver for an offer: a peer of this member (0) or another's. */
  struct Pick
  {
    SwarmShard::MemberIndex member;
    webtorrent::Id20 peer_id;
  };
  struct Counts
  {
    int64_t complete = 0;
    int64_t incomplete = 0;
  };
  struct AnnounceResult
  {
    Counts counts; /* over the whole cluster, after this announce */
    std::vector<Pick> picks;
  };
  /* What an announce does to the member's sets. */
  enum class Change { ADD, REMOVE, NONE };

  Cluster (const ClusterConfig &config, int epoll_fd, Host &host,
           ClusterCounters &counters);
  ~Cluster ();

  Cluster (const Cluster &) = delete;
  Cluster &operator= (const Cluster &) = delete;

  /* Connected, subscribed and ready: announces go through Redis. */
  bool up () const;

  /* @done gets the cluster's counts and up to @want random other peers,
   * or nullptr if Redis failed: then the worker answers alone. */
  void announce (const webtorrent::Id20 &info_hash,
                 const webtorrent::Id20 &peer_id, bool seeder, Change change,
                 size_t want,
                 std::function<void (const AnnounceResult *)> done);
  /* One of our peers left the swarm. */
  void leave (const webtorrent::Id20 &info_hash,
              const webtorrent::Id20 &peer_id);
  /* @done gets the cluster's counts of each swarm, in order, or nullptr. */
  void scrape (const std::vector<webtorrent::Id20> &info_hashes,
               std::function<void (const std::vector<Counts> *)> done);
  /* A graceful stop: this member leaves all its swarms in Redis at once,
   * written now without waiting for the replies. */
  void leave_all ();
  /* Queues @item for @member's peer; it goes at the next flush (). */
  void relay (SwarmShard::MemberIndex member, const RelayItem &item);
  /* This worker's member name, for RelayItem::reply_to. */
  const std::string &
  member () const
  {
    return member_;
  }

  void on_event (uint64_t tag, uint32_t events);
  /* Timers: connection, reply timeout, heartbeat. Every loop turn. */
  void tick (int64_t now_ms);
  /* Sends the turn's relays and writes the turn's commands. */
  void flush ();
  /* When tick () next has work, for the loop's wait. */
  int64_t next_timer_ms () const;

private:
  struct Batch
  {
    std::string bytes;
    std::vector<webtorrent::Id20> swarms;
  };

  void connect ();
  void on_ready_step ();
  void went_up ();
  void went_down (const std::string &reason);
  void register_swarms ();
  void heartbeat ();
  void forget_member (const std::string &member,
                      const std::vector<webtorrent::Id20> &swarms);
  bool command (const std::vector<std::string_view> &args,
                std::function<void (redisReply *)> reply = {});
  SwarmShard::MemberIndex intern (std::string_view member);
  std::string swarm_prefix (const webtorrent::Id20 &info_hash) const;

  ClusterConfig config_;
  int epoll_fd_;
  Host &host_;
  ClusterCounters &counters_;
  std::string member_;
  std::string channel_;
  std::unique_ptr<RedisLink> commands_;
  std::unique_ptr<RedisLink> subscriber_;
  enum class State { DOWN, CONNECTING, UP } state_ = State::DOWN;
  int ready_steps_ = 0; /* replies still awaited before UP */
  std::string script_sha_;
  bool reset_requested_ = false; /* by a reply: tick () reconnects */
  std::string reset_reason_;
  bool outage_logged_ = false;
  int64_t now_ms_ = 0;
  int64_t retry_at_ms_ = 0;
  int64_t backoff_ms_ = 0;
  int64_t heartbeat_at_ms_ = 0;
  std::vector<std::string> members_; /* index - 1 -> name */
  std::unordered_map<std::string, SwarmShard::MemberIndex> member_index_;
  std::unordered_map<SwarmShard::MemberIndex, Batch> batches_;
  uint64_t seed_;
};

} // namespace p2p::tracker
