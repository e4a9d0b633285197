/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/cluster.h"

#include <algorithm>
#include <climits>
#include <random>

#include <gst/gst.h>
#include <hiredis/hiredis.h>

#include "gst/tracker/redis-link.h"
#include "gst/tracker/redis-reply.h"

GST_DEBUG_CATEGORY_EXTERN (p2p_tracker_debug);
#define GST_CAT_DEFAULT p2p_tracker_debug

namespace p2p::tracker {

using webtorrent::Id20;

namespace {

constexpr int64_t kFirstBackoffMs = 250;
constexpr int64_t kMaxBackoffMs = 5000;
/* peer ids per SADD when a member registers its swarms again */
constexpr size_t kRegisterChunk = 512;
constexpr SwarmShard::MemberIndex kMaxMembers = UINT16_MAX;

/* One announce, atomically. KEYS: the swarm's members set, this member's
 * peers and seeders. ARGV: member, peer_id, seeder (1/0), change
 * (add/remove/none), offers to place, member TTL in ms, the swarm's key
 * prefix, a random seed. Returns {complete, incomplete, member, peer_id,
 * ...}: the cluster's counts and up to `want` distinct random other peers.
 * Members whose sets expired leave the members set on the way. Receivers
 * are drawn without replacement with weights (Efraimidis-Spirakis), each
 * member's sample standing for all its peers, so every other peer of the
 * swarm is about as likely to get an offer as with one tracker. A scrape
 * is this script with change none and no offers. */
const char kAnnounceScript[] = R"lua(
local members, mine, my_seeders = KEYS[1], KEYS[2], KEYS[3]
local me, peer, change = ARGV[1], ARGV[2], ARGV[4]
local want, ttl, prefix = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
if change == 'add' then
  -- a key gets its TTL when it gains a member; the heartbeat renews it
  for _, set in ipairs({mine, ARGV[3] == '1' and my_seeders or nil}) do
    if redis.call('SADD', set, peer) == 1 then redis.call('PEXPIRE', set, ttl) end
  end
  if redis.call('SADD', members, me) == 1 then redis.call('PEXPIRE', members, ttl) end
elseif change == 'remove' then
  redis.call('SREM', mine, peer)
  redis.call('SREM', my_seeders, peer)
end
math.randomseed(tonumber(ARGV[8]))
local complete, total, candidates = 0, 0, {}
for _, m in ipairs(redis.call('SMEMBERS', members)) do
  local key = prefix .. 'p:' .. m
  local size = redis.call('SCARD', key)
  if size == 0 then
    redis.call('SREM', members, m)
  else
    total = total + size
    complete = complete + redis.call('SCARD', prefix .. 'd:' .. m)
    if want > 0 then
      local others = size
      if m == me and change == 'add' then others = size - 1 end
      local kept = {}
      for _, p in ipairs(redis.call('SRANDMEMBER', key, want + 1)) do
        if m ~= me or p ~= peer then kept[#kept + 1] = p end
      end
      for _, p in ipairs(kept) do
        local weight = others / #kept
        candidates[#candidates + 1] = {math.log(1 - math.random()) / weight, m, p}
      end
    end
  end
end
table.sort(candidates, function (a, b) return a[1] > b[1] end)
local result = {complete, total - complete}
for i = 1, math.min(want, #candidates) do
  result[#result + 1] = candidates[i][2]
  result[#result + 1] = candidates[i][3]
end
return result
)lua";

bool
is_ok (const redisReply *r)
{
  return r && r->type != REDIS_REPLY_ERROR;
}

std::string
error_of (const redisReply *r)
{
  if (!r)
    return "connection lost";
  return std::string (r->str, r->len);
}

} // namespace

Cluster::Cluster (const ClusterConfig &config, int epoll_fd, Host &host,
                  ClusterCounters &counters)
    : config_ (config), epoll_fd_ (epoll_fd), host_ (host),
      counters_ (counters),
      member_ (config.node_id + "-" + std::to_string (config.worker_index)),
      channel_ ("p2pt:relay:" + member_), seed_ (std::random_device{}())
{
}

Cluster::~Cluster () = default;

bool
Cluster::up () const
{
  return state_ == State::UP && !reset_requested_ && !commands_->dead ()
         && !subscriber_->dead ();
}

std::string
Cluster::swarm_prefix (const Id20 &info_hash) const
{
  return "p2pt:s:" + info_hash.hex () + ":";
}

bool
Cluster::command (const std::vector<std::string_view> &args,
                  std::function<void (redisReply *)> reply)
{
  counters_.commands.fetch_add (1, std::memory_order_relaxed);
  return commands_->command (args, std::move (reply));
}

SwarmShard::MemberIndex
Cluster::intern (std::string_view member)
{
  if (member == member_)
    return 0;
  std::string name (member);
  auto it = member_index_.find (name);
  if (it != member_index_.end ())
    return it->second;
  /* A table this full means many thousand node restarts: answers to
   * offers from newer members then fail as unknown offers. */
  if (members_.size () >= kMaxMembers)
    return 0;
  members_.push_back (name);
  auto index = static_cast<SwarmShard::MemberIndex> (members_.size ());
  member_index_.emplace (std::move (name), index);
  return index;
}

/* ------------------------------------------------------------ connection */

void
Cluster::connect ()
{
  commands_ = std::make_unique<RedisLink> (epoll_fd_, kCommandTag);
  subscriber_ = std::make_unique<RedisLink> (epoll_fd_, kSubscriberTag);
  commands_->set_now (now_ms_);
  subscriber_->set_now (now_ms_);
  state_ = State::CONNECTING;
  retry_at_ms_ = now_ms_ + config_.command_timeout_ms; /* connect deadline */
  reset_requested_ = false;
  std::string error;
  if (!commands_->connect (config_.address, config_.endpoint.port, &error)
      || !subscriber_->connect (config_.address, config_.endpoint.port,
                                &error)) {
    went_down (error);
    return;
  }

  /* Each step's reply counts down to UP; a refusal resets the links. */
  ready_steps_ = 0;
  auto step = [this] (redisReply *r) {
    if (!r)
      return; /* tick () sees the dead link */
    if (!is_ok (r)) {
      reset_requested_ = true;
      reset_reason_ = error_of (r);
      return;
    }
    on_ready_step ();
  };
  const RedisEndpoint &ep = config_.endpoint;
  std::string database = std::to_string (ep.database);
  for (RedisLink *link : { commands_.get (), subscriber_.get () }) {
    if (ep.password.empty ())
      continue;
    ready_steps_++;
    if (ep.user.empty ())
      link->command ({ "AUTH", ep.password }, step);
    else
      link->command ({ "AUTH", ep.user, ep.password }, step);
  }
  if (ep.database) {
    ready_steps_++;
    commands_->command ({ "SELECT", database }, step);
  }
  ready_steps_ += 2;
  commands_->command ({ "SCRIPT", "LOAD", kAnnounceScript },
                      [this, step] (redisReply *r) {
                        if (is_ok (r) && r->type == REDIS_REPLY_STRING)
                          script_sha_.assign (r->str, r->len);
                        step (r);
                      });
  subscriber_->subscribe (
      channel_, [this] { on_ready_step (); },
      [this] (std::string_view payload) {
        std::vector<RelayItem> items;
        if (!parse_relay_batch (payload, items)) {
          GST_WARNING ("%s: a malformed relay batch of %zu bytes",
                       member_.c_str (), payload.size ());
          return;
        }
        for (const RelayItem &item : items) {
          counters_.relays_received.fetch_add (1, std::memory_order_relaxed);
          host_.on_relay (item, item.kind == RelayItem::Kind::OFFER
                                    ? intern (item.reply_to)
                                    : 0);
        }
      });
}

void
Cluster::on_ready_step ()
{
  if (state_ == State::CONNECTING && --ready_steps_ == 0)
    went_up ();
}

void
Cluster::went_up ()
{
  state_ = State::UP;
  backoff_ms_ = 0;
  heartbeat_at_ms_ = now_ms_ + config_.member_ttl_ms / 3;
  counters_.up.store (true);
  counters_.settled.store (true);
  counters_.connects.fetch_add (1, std::memory_order_relaxed);
  register_swarms ();
  const SwarmShard &shard = host_.shard ();
  if (outage_logged_)
    GST_WARNING ("%s: Redis %s is reachable again; %zu peers of %zu swarms "
                 "registered",
                 member_.c_str (), config_.endpoint.to_string ().c_str (),
                 shard.peer_count (), shard.swarm_count ());
  else
    GST_INFO ("%s: in the cluster through Redis %s", member_.c_str (),
              config_.endpoint.to_string ().c_str ());
  outage_logged_ = false;
}

void
Cluster::went_down (const std::string &reason)
{
  if (!outage_logged_) {
    GST_WARNING ("%s: Redis %s unreachable (%s): serving this node's swarms "
                 "alone until it is back",
                 member_.c_str (), config_.endpoint.to_string ().c_str (),
                 reason.c_str ());
    outage_logged_ = true;
  } else {
    GST_DEBUG ("%s: Redis still unreachable (%s)", member_.c_str (),
               reason.c_str ());
  }
  state_ = State::DOWN;
  counters_.up.store (false);
  counters_.settled.store (true);
  batches_.clear ();
  backoff_ms_ = backoff_ms_ ? std::min (backoff_ms_ * 2, kMaxBackoffMs)
                            : kFirstBackoffMs;
  retry_at_ms_ = now_ms_ + backoff_ms_;
}

void
Cluster::tick (int64_t now_ms)
{
  now_ms_ = now_ms;
  if (state_ != State::DOWN) {
    commands_->set_now (now_ms);
    subscriber_->set_now (now_ms);
    std::string reason;
    if (reset_requested_)
      reason = reset_reason_;
    else if (commands_->dead ())
      reason = commands_->error ();
    else if (subscriber_->dead ())
      reason = subscriber_->error ();
    int64_t oldest = std::max (commands_->oldest_waiting_ms (),
                               subscriber_->oldest_waiting_ms ());
    if (reason.empty ()
        && ((state_ == State::CONNECTING && now_ms >= retry_at_ms_)
            || (oldest >= 0 && now_ms - oldest > config_.command_timeout_ms)))
      reason = "no reply within " + std::to_string (config_.command_timeout_ms)
               + " ms";
    if (!reason.empty ()) {
      /* the waiting callbacks answer their peers alone now */
      commands_->close (reason);
      subscriber_->close (reason);
      commands_.reset ();
      subscriber_.reset ();
      went_down (reason);
    }
  }
  if (state_ == State::DOWN && now_ms >= retry_at_ms_)
    connect ();
  if (up () && now_ms >= heartbeat_at_ms_) {
    heartbeat_at_ms_ = now_ms + config_.member_ttl_ms / 3;
    heartbeat ();
  }
}

int64_t
Cluster::next_timer_ms () const
{
  switch (state_) {
  case State::DOWN:
  case State::CONNECTING:
    return retry_at_ms_;
  case State::UP:
    break;
  }
  int64_t oldest = commands_->oldest_waiting_ms ();
  return oldest >= 0 ? std::min (heartbeat_at_ms_,
                                 oldest + config_.command_timeout_ms + 1)
                     : heartbeat_at_ms_;
}

void
Cluster::on_event (uint64_t tag, uint32_t events)
{
  RedisLink *link = tag == kCommandTag ? commands_.get () : subscriber_.get ();
  if (link)
    link->on_event (events);
}

void
Cluster::flush ()
{
  if (up ()) {
    for (auto &entry : batches_) {
      const std::string &to = members_[entry.first - 1];
      counters_.publishes.fetch_add (1, std::memory_order_relaxed);
      command (
          { "PUBLISH", "p2pt:relay:" + to, entry.second.bytes },
          [this, to, swarms = std::move (entry.second.swarms)] (redisReply *r) {
            /* nobody listens: that member is gone */
            if (is_ok (r) && r->type == REDIS_REPLY_INTEGER && r->integer == 0)
              forget_member (to, swarms);
          });
    }
  }
  batches_.clear ();
  if (commands_) {
    commands_->flush ();
    subscriber_->flush ();
  }
}

/* --------------------------------------------------------------- swarms */

void
Cluster::register_swarms ()
{
  const std::string ttl = std::to_string (config_.member_ttl_ms);
  host_.shard ().for_each_swarm ([&] (const Id20 &info_hash,
                                      const std::vector<Id20> &peers,
                                      const std::vector<Id20> &seeders) {
    const std::string prefix = swarm_prefix (info_hash);
    const std::string members = prefix + "members";
    const std::string mine = prefix + "p:" + member_;
    const std::string my_seeders = prefix + "d:" + member_;
    /* what Redis holds of this member may be stale (a partition) */
    command ({ "DEL", mine, my_seeders });
    for (const auto &[key, ids] : { std::make_pair (&mine, &peers),
                                    std::make_pair (&my_seeders, &seeders) }) {
      for (size_t at = 0; at < ids->size (); at += kRegisterChunk) {
        std::vector<std::string_view> args{ "SADD", *key };
        for (size_t i = at; i < std::min (ids->size (), at + kRegisterChunk);
             i++)
          args.push_back ((*ids)[i].view ());
        command (args);
      }
      command ({ "PEXPIRE", *key, ttl });
    }
    command ({ "SADD", members, member_ });
    command ({ "PEXPIRE", members, ttl });
  });
}

void
Cluster::heartbeat ()
{
  const std::string ttl = std::to_string (config_.member_ttl_ms);
  host_.shard ().for_each_swarm ([&] (const Id20 &info_hash,
                                      const std::vector<Id20> &,
                                      const std::vector<Id20> &) {
    const std::string prefix = swarm_prefix (info_hash);
    for (const std::string &key :
         { prefix + "p:" + member_, prefix + "d:" + member_,
           prefix + "members" })
      command ({ "PEXPIRE", key, ttl });
  });
}

void
Cluster::leave_all ()
{
  if (!up ())
    return;
  host_.shard ().for_each_swarm ([this] (const Id20 &info_hash,
                                         const std::vector<Id20> &,
                                         const std::vector<Id20> &) {
    const std::string prefix = swarm_prefix (info_hash);
    command ({ "SREM", prefix + "members", member_ });
    command ({ "DEL", prefix + "p:" + member_, prefix + "d:" + member_ });
  });
  flush ();
}

void
Cluster::forget_member (const std::string &member,
                        const std::vector<Id20> &swarms)
{
  GST_DEBUG ("%s: member %s is gone, dropping it from %zu swarms",
             member_.c_str (), member.c_str (), swarms.size ());
  for (const Id20 &info_hash : swarms) {
    const std::string prefix = swarm_prefix (info_hash);
    command ({ "SREM", prefix + "members", member });
    command ({ "DEL", prefix + "p:" + member, prefix + "d:" + member });
  }
}

void
Cluster::announce (const Id20 &info_hash, const Id20 &peer_id, bool seeder,
                   Change change, size_t want,
                   std::function<void (const AnnounceResult *)> done)
{
  if (!up ()) {
    counters_.local_fallbacks.fetch_add (1, std::memory_order_relaxed);
    done (nullptr);
    return;
  }
  const std::string prefix = swarm_prefix (info_hash);
  const char *change_name = change == Change::ADD      ? "add"
                            : change == Change::REMOVE ? "remove"
                                                       : "none";
  command ({ "EVALSHA", script_sha_, "3", prefix + "members",
             prefix + "p:" + member_, prefix + "d:" + member_, member_,
             peer_id.view (), seeder ? "1" : "0", change_name,
             std::to_string (want), std::to_string (config_.member_ttl_ms),
             prefix, std::to_string (seed_++ & 0x7fffffff) },
           [this, done = std::move (done)] (redisReply *r) {
             AnnounceReply reply;
             if (!read_announce_reply (r, reply)) {
               if (r && r->type == REDIS_REPLY_ERROR
                   && g_str_has_prefix (r->str, "NOSCRIPT")) {
                 /* Redis lost the script: reconnecting loads it again */
                 reset_requested_ = true;
                 reset_reason_ = error_of (r);
               }
               counters_.local_fallbacks.fetch_add (1,
                                                    std::memory_order_relaxed);
               done (nullptr);
               return;
             }
             AnnounceResult result;
             result.counts = { reply.complete, reply.incomplete };
             for (const AnnounceReply::Pick &pick : reply.picks)
               result.picks.push_back ({ intern (pick.member), pick.peer_id });
             done (&result);
           });
}

void
Cluster::leave (const Id20 &info_hash, const Id20 &peer_id)
{
  if (!up ())
    return;
  const std::string prefix = swarm_prefix (info_hash);
  command ({ "SREM", prefix + "p:" + member_, peer_id.view () });
  command ({ "SREM", prefix + "d:" + member_, peer_id.view () });
}

void
Cluster::scrape (const std::vector<Id20> &info_hashes,
                 std::function<void (const std::vector<Counts> *)> done)
{
  if (!up ()) {
    counters_.local_fallbacks.fetch_add (1, std::memory_order_relaxed);
    done (nullptr);
    return;
  }
  struct Gather
  {
    std::vector<Counts> counts;
    size_t remaining;
    bool failed = false;
    std::function<void (const std::vector<Counts> *)> done;
  };
  auto gather = std::make_shared<Gather> ();
  gather->counts.resize (info_hashes.size ());
  gather->remaining = info_hashes.size ();
  gather->done = std::move (done);
  for (size_t i = 0; i < info_hashes.size (); i++) {
    const std::string prefix = swarm_prefix (info_hashes[i]);
    const std::string members = prefix + "members";
    command ({ "EVALSHA", script_sha_, "3", members, members, members, member_,
               "", "0", "none", "0", "0", prefix, "0" },
             [this, gather, i] (redisReply *r) {
               AnnounceReply reply;
               if (read_announce_reply (r, reply))
                 gather->counts[i] = { reply.complete, reply.incomplete };
               else
                 gather->failed = true;
               if (--gather->remaining)
                 return;
               if (gather->failed)
                 counters_.local_fallbacks.fetch_add (
                     1, std::memory_order_relaxed);
               gather->done (gather->failed ? nullptr : &gather->counts);
             });
  }
}

void
Cluster::relay (SwarmShard::MemberIndex member, const RelayItem &item)
{
  if (!up () || member == 0)
    return;
  Batch &batch = batches_[member];
  append_relay_item (batch.bytes, item);
  if (batch.swarms.empty () || batch.swarms.back () != item.info_hash)
    batch.swarms.push_back (item.info_hash);
  counters_.relays_sent.fetch_add (1, std::memory_order_relaxed);
}

} // namespace p2p::tracker
