/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "gst/tracker/socket-batch.h"

#include <cerrno>

#include <liburing.h>
#include <sys/socket.h>

namespace p2p::tracker {

namespace {

/* Submission entries: the most sends of a turn (a turn with more writes
 * the rest itself); reads are fewer. */
constexpr unsigned kRingEntries = 1024;

} // namespace

SocketBatch::SocketBatch (size_t reads, size_t read_size, bool use_io_uring)
    : capacity_ (reads), read_size_ (read_size),
      /* not zeroed: pages are touched only by what the kernel reads */
      read_buffers_ (new char[reads * read_size])
{
  if (!use_io_uring)
    return;
  ring_ = std::make_unique<io_uring> ();
  /* One thread submits, and it reaps at once: no wake-ups from the kernel
   * needed. Older kernels take neither flag. */
  if (io_uring_queue_init (kRingEntries, ring_.get (),
                           IORING_SETUP_SINGLE_ISSUER
                               | IORING_SETUP_COOP_TASKRUN)
          != 0
      && io_uring_queue_init (kRingEntries, ring_.get (), 0) != 0)
    ring_.reset ();
}

SocketBatch::~SocketBatch ()
{
  if (ring_)
    io_uring_queue_exit (ring_.get ());
}

bool
SocketBatch::queue_recv (int fd, void *owner)
{
  if (recvs_.size () >= capacity_)
    return false;
  char *slot = read_buffers_.get () + recvs_.size () * read_size_;
  recvs_.push_back ({ fd, slot, read_size_, owner });
  return true;
}

bool
SocketBatch::queue_send (int fd, const char *data, size_t size, void *owner)
{
  if (sends_.size () >= kRingEntries)
    return false;
  sends_.push_back ({ fd, const_cast<char *> (data), size, owner });
  return true;
}

const std::vector<SocketBatch::Result> &
SocketBatch::run_recvs ()
{
  return run (recvs_, true);
}

const std::vector<SocketBatch::Result> &
SocketBatch::run_sends ()
{
  return run (sends_, false);
}

const std::vector<SocketBatch::Result> &
SocketBatch::run (std::vector<Pending> &queued, bool reading)
{
  results_.clear ();
  if (!ring_ || !run_ring (queued, reading))
    run_calls (queued, reading);
  queued.clear ();
  return results_;
}

/* One system call per socket. */
void
SocketBatch::run_calls (const std::vector<Pending> &queued, bool reading)
{
  results_.clear ();
  for (const Pending &p : queued) {
    ssize_t n = reading
                    ? recv (p.fd, p.data, p.size, MSG_DONTWAIT)
                    : send (p.fd, p.data, p.size, MSG_DONTWAIT | MSG_NOSIGNAL);
    results_.push_back ({ p.owner, p.data, n < 0 ? -errno : n });
  }
}

/* One io_uring submission for all; false if io_uring refused it, and it
 * is not used again. */
bool
SocketBatch::run_ring (const std::vector<Pending> &queued, bool reading)
{
  for (size_t i = 0; i < queued.size (); i++) {
    const Pending &p = queued[i];
    io_uring_sqe *sqe = io_uring_get_sqe (ring_.get ());
    if (reading)
      io_uring_prep_recv (sqe, p.fd, p.data, p.size, MSG_DONTWAIT);
    else
      io_uring_prep_send (sqe, p.fd, p.data, p.size,
                          MSG_DONTWAIT | MSG_NOSIGNAL);
    io_uring_sqe_set_data64 (sqe, i);
    results_.push_back ({ p.owner, p.data, -EAGAIN });
  }
  /* MSG_DONTWAIT: every operation completes within the submission */
  int submitted;
  do {
    submitted = io_uring_submit_and_wait (
        ring_.get (), static_cast<unsigned> (queued.size ()));
  } while (submitted == -EINTR);
  if (submitted < 0) {
    /* the entries not taken go with the ring */
    io_uring_queue_exit (ring_.get ());
    ring_.reset ();
    return false;
  }
  for (size_t done = 0; done < queued.size (); done++) {
    io_uring_cqe *cqe = nullptr;
    if (io_uring_wait_cqe (ring_.get (), &cqe) != 0)
      break;
    results_[io_uring_cqe_get_data64 (cqe)].result = cqe->res;
    io_uring_cqe_seen (ring_.get (), cqe);
  }
  return true;
}

} // namespace p2p::tracker
