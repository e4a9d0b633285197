/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * State that engine callbacks change and a test thread waits on: update ()
 * changes it under the mutex and wakes wait (); read it under the mutex.
 */
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace p2p::test {

class ChangeSignal
{
public:
  std::mutex mutex;

  /* Waits until @pred (called with the mutex held) holds; false after
   * @timeout_ms without. */
  template <typename Pred>
  bool
  wait (Pred pred, int timeout_ms = 10000)
  {
    std::unique_lock<std::mutex> lock (mutex);
    return changed_.wait_for (lock, std::chrono::milliseconds (timeout_ms),
                              [&] { return pred (); });
  }

  void
  update (const std::function<void ()> &fn)
  {
    std::lock_guard<std::mutex> lock (mutex);
    fn ();
    changed_.notify_all ();
  }

private:
  std::condition_variable changed_;
};

} // namespace p2p::test
