/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The viewer as applications embed it (p2phlssrc does): a ViewerCore on its
 * own engine thread with the production runtime (webrtcbin, libsoup,
 * WebSocket trackers), handing its items to one consumer thread through a
 * queue. All network work runs on the engine thread; the consumer only pops
 * finished items (STYLE.md #11).
 */
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "gst/p2p/viewer/viewer-config.h"

namespace p2p::viewer {

class ViewerImpl;

class Viewer
{
public:
  using WarningCallback = std::function<void (const std::string &message)>;
  using StatsCallback = std::function<void (const ViewerStats &stats)>;

  /* Both callbacks run on the engine thread: @on_warning for problems that
   * do not stop playback (bad playlist details, a segment skipped),
   * @on_stats every stats_interval. */
  Viewer (ViewerConfig config, WarningCallback on_warning,
          StatsCallback on_stats);
  ~Viewer ();

  Viewer (const Viewer &) = delete;
  Viewer &operator= (const Viewer &) = delete;

  void start ();

  /* Blocks until the next item is ready. Returns false without an item
   * while unlocked (flushing). */
  bool pop (ViewerItem *item);
  void unlock ();
  void unlock_stop ();

  /* Any thread. */
  ViewerStats stats () const;
  /* The stream's duration once known and when it has one (VOD, an ended
   * live stream), else GST_CLOCK_TIME_NONE. Any thread. */
  GstClockTime duration () const;
  /* Drops the items not taken yet and goes on from the segment that holds
   * @position; returns where that segment starts, GST_CLOCK_TIME_NONE when
   * the stream cannot seek (live). Any thread but the engine's. */
  GstClockTime seek (GstClockTime position);

private:
  std::unique_ptr<ViewerImpl> impl_;
};

} // namespace p2p::viewer
