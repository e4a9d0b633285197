/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "viewer.h"

#include <condition_variable>
#include <deque>
#include <mutex>

#include "gst/p2p/common/engine-thread.h"
#include "gst/p2p/runtime/production-runtime.h"
#include "gst/p2p/viewer/viewer-core.h"

namespace p2p::viewer {

/* The queue between the engine thread (push) and the consumer (pop). */
class ViewerImpl : public ViewerOutput
{
public:
  ViewerImpl (ViewerConfig config, Viewer::WarningCallback on_warning,
              Viewer::StatsCallback on_stats)
      : config_ (std::move (config)), on_warning_ (std::move (on_warning)),
        on_stats_ (std::move (on_stats)), engine_ ("p2pviewer")
  {
  }

  ~ViewerImpl () override
  {
    unlock ();
    engine_.invoke_sync ([this] {
      last_stats_ = core_ ? core_->stats () : last_stats_;
      core_.reset ();
      runtime_.reset ();
    });
    engine_.stop ();
  }

  void
  start ()
  {
    engine_.post ([this] {
      runtime_ = std::make_unique<ProductionRuntime> (engine_, config_.http,
                                                      config_.webrtc);
      ViewerCore::Events events;
      events.warning = on_warning_;
      events.stats = on_stats_;
      core_ = std::make_unique<ViewerCore> (runtime_->get (), config_, *this,
                                            std::move (events));
      core_->start ();
    });
  }

  void
  push (ViewerItem item) override
  {
    std::lock_guard<std::mutex> lock (mutex_);
    queue_.push_back (std::move (item));
    cond_.notify_all ();
  }

  size_t
  pending_segments () const override
  {
    /* Whole segments: the parts of one streamed while it downloads count
     * once, with its last part. */
    std::lock_guard<std::mutex> lock (mutex_);
    return std::count_if (queue_.begin (), queue_.end (),
                          [] (const ViewerItem &i) { return !i.partial; });
  }

  bool
  pop (ViewerItem *item)
  {
    std::unique_lock<std::mutex> lock (mutex_);
    cond_.wait (lock, [this] { return flushing_ || !queue_.empty (); });
    if (flushing_)
      return false;
    *item = std::move (queue_.front ());
    queue_.pop_front ();
    lock.unlock ();
    /* Room for more read-ahead. */
    engine_.post ([this] {
      if (core_)
        core_->output_consumed ();
    });
    return true;
  }

  void
  unlock ()
  {
    std::lock_guard<std::mutex> lock (mutex_);
    flushing_ = true;
    cond_.notify_all ();
  }

  void
  unlock_stop ()
  {
    std::lock_guard<std::mutex> lock (mutex_);
    flushing_ = false;
  }

  GstClockTime
  duration ()
  {
    GstClockTime duration = GST_CLOCK_TIME_NONE;
    engine_.invoke_sync ([&] {
      if (core_)
        duration = core_->duration ();
    });
    return duration;
  }

  GstClockTime
  seek (GstClockTime position)
  {
    /* On the engine thread, which alone pushes: nothing of the old
     * position comes after the queue is emptied. */
    GstClockTime start = GST_CLOCK_TIME_NONE;
    engine_.invoke_sync ([&] {
      if (!core_ || !GST_CLOCK_TIME_IS_VALID (core_->duration ()))
        return;
      {
        std::lock_guard<std::mutex> lock (mutex_);
        queue_.clear ();
      }
      start = core_->seek (position);
    });
    return start;
  }

  ViewerStats
  stats ()
  {
    ViewerStats stats;
    bool running = engine_.invoke_sync ([&] {
      if (core_)
        last_stats_ = core_->stats ();
      stats = last_stats_;
    });
    return running ? stats : last_stats_;
  }

private:
  const ViewerConfig config_;
  const Viewer::WarningCallback on_warning_;
  const Viewer::StatsCallback on_stats_;
  EngineThread engine_;
  /* Engine thread only. */
  std::unique_ptr<ProductionRuntime> runtime_;
  std::unique_ptr<ViewerCore> core_;
  /* The engine thread writes it, others read it once it stopped. */
  ViewerStats last_stats_;

  mutable std::mutex mutex_;
  std::condition_variable cond_;
  std::deque<ViewerItem> queue_;
  bool flushing_ = false;
};

Viewer::Viewer (ViewerConfig config, WarningCallback on_warning,
                StatsCallback on_stats)
    : impl_ (std::make_unique<ViewerImpl> (
        std::move (config), std::move (on_warning), std::move (on_stats)))
{
}

Viewer::~Viewer () = default;

void
Viewer::start ()
{
  impl_->start ();
}

bool
Viewer::pop (ViewerItem *item)
{
  return impl_->pop (item);
}

void
Viewer::unlock ()
{
  impl_->unlock ();
}

void
Viewer::unlock_stop ()
{
  impl_->unlock_stop ();
}

ViewerStats
Viewer::stats () const
{
  return impl_->stats ();
}

GstClockTime
Viewer::duration () const
{
  return impl_->duration ();
}

GstClockTime
Viewer::seek (GstClockTime position)
{
  return impl_->seek (position);
}

} // namespace p2p::viewer
