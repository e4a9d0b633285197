/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The viewer's running downloads, one per segment, over HTTP or from a peer
 * of the swarm: the one owner of transfer state (what the scheduler sees as
 * SchedulerState::transfers). It starts and cancels them and turns their
 * outcome into events; what a finished segment means is the core's.
 * Engine thread only.
 */
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "gst/p2p/common/chunked-bytes.h"
#include "gst/p2p/common/clock.h"
#include "gst/p2p/net/http-client.h"
#include "gst/p2p/swarm/scheduler.h"
#include "gst/p2p/swarm/swarm.h"

namespace p2p::viewer {

class Downloads
{
public:
  struct Events
  {
    /* An HTTP download ended (@result says how). */
    std::function<void (int64_t sequence, net::HttpResult result)> http_done;
    /* Body bytes of a running HTTP download, asked for at @started. */
    std::function<void (int64_t sequence, const net::HttpProgress &progress,
                        GstClockTime started)>
        http_progress;
    /* A peer delivered the whole segment. */
    std::function<void (int64_t sequence, const std::string &peer_id,
                        const ChunkedBytes &data)>
        peer_done;
    /* A peer download failed; the segment is free to be fetched again. */
    std::function<void (int64_t sequence, const std::string &peer_id,
                        const std::string &why)>
        peer_failed;
    /* An HTTP range of a stripe ended. */
    std::function<void (int64_t sequence, guint stripe, gsize from,
                        net::HttpResult result)>
        range_http_done;
  };

  Downloads (Clock &clock, net::HttpClient &http, Events events);
  ~Downloads ();

  Downloads (const Downloads &) = delete;
  Downloads &operator= (const Downloads &) = delete;

  /* The swarm peer downloads go through; null: HTTP only. */
  void
  set_swarm (swarm::Swarm *swarm)
  {
    swarm_ = swarm;
  }

  void start_http (int64_t sequence, net::HttpRequest request);
  /* False when the peer cannot take the request now. */
  bool start_peer (int64_t sequence, const std::string &peer_id);
  void cancel_peer (int64_t sequence, const std::string &peer_id);
  void cancel_all ();

  /* Bytes [@from, @to) of stripe @stripe of @sequence (gst-p2p 2
   * relaying): over HTTP with a Range, or from a relay. */
  void start_http_range (int64_t sequence, guint stripe, gsize from,
                         net::HttpRequest request);
  bool start_peer_range (int64_t sequence, guint stripe,
                         const std::string &peer_id, gsize from, gsize to);
  void cancel_range (int64_t sequence, guint stripe);
  /* The relay ended the range (from the swarm), or bytes of it came. */
  void on_range_ended (int64_t sequence, guint stripe,
                       const std::string &peer_id);
  void on_range_progress (int64_t sequence, guint stripe,
                          const std::string &peer_id, gsize bytes);
  using RangeKey = std::pair<int64_t, guint>;
  const std::map<RangeKey, swarm::Transfer> &
  ranges () const
  {
    return ranges_;
  }

  /* From the swarm's callbacks. */
  void on_peer_progress (int64_t sequence, const std::string &peer_id,
                         guint64 received, guint64 total);
  void on_peer_downloaded (int64_t sequence, const std::string &peer_id,
                           const ChunkedBytes &data);
  void on_peer_failed (int64_t sequence, const std::string &peer_id,
                       const std::string &why);

  const std::map<int64_t, swarm::Transfer> &
  transfers () const
  {
    return transfers_;
  }
  const swarm::Transfer *find (int64_t sequence) const;
  bool
  empty () const
  {
    return transfers_.empty () && ranges_.empty ();
  }
  /* Segments downloading over HTTP (announced as `p` to peers). */
  std::set<int64_t> http_sequences () const;
  /* Changes whenever an HTTP download starts or ends. */
  guint64
  http_generation () const
  {
    return http_generation_;
  }

private:
  /* The running peer download of @sequence from @peer_id, or nullptr. */
  swarm::Transfer *peer_transfer (int64_t sequence, const std::string &peer_id);

  Clock &clock_;
  net::HttpClient &http_;
  Events events_;
  swarm::Swarm *swarm_ = nullptr;
  std::map<int64_t, swarm::Transfer> transfers_;
  std::map<int64_t, net::HttpFetch> http_fetches_;
  std::map<RangeKey, swarm::Transfer> ranges_;
  std::map<RangeKey, net::HttpFetch> range_fetches_;
  guint64 http_generation_ = 0;
};

} // namespace p2p::viewer
