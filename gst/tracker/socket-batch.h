/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The socket reads and the socket writes of one loop turn of a tracker
 * worker, each set in one system call through io_uring (liburing), instead
 * of one recv () or send () per socket. A system call costs about 1 µs on
 * the machines we measured (docs/tracker-benchmark.md), as much as the
 * tracker's own work on a small message, and a loop turn under load reads
 * and writes hundreds of sockets.
 *
 * Every operation is non-blocking (MSG_DONTWAIT): the kernel completes it
 * during the submission, so the results are there when run_*() returns and
 * the buffers are free again; a full socket answers -EAGAIN as send ()
 * would. Where io_uring is missing (an old kernel, a seccomp filter) the
 * same calls make one recv () or send () per socket.
 */
#pragma once

#include <cstddef>
#include <memory>
#include <sys/types.h>
#include <vector>

struct io_uring;

namespace p2p::tracker {

class SocketBatch
{
public:
  struct Result
  {
    void *owner;      /* as queued */
    const char *data; /* recv: the bytes read */
    ssize_t result;   /* bytes (0: end of stream for a recv), or -errno */
  };

  /* Room for @reads recvs of @read_size bytes each per turn. */
  SocketBatch (size_t reads, size_t read_size, bool use_io_uring);
  ~SocketBatch ();

  SocketBatch (const SocketBatch &) = delete;
  SocketBatch &operator= (const SocketBatch &) = delete;

  bool
  uses_io_uring () const
  {
    return ring_ != nullptr;
  }

  /* Queues a read of @fd; false if the turn's reads are all taken. */
  bool queue_recv (int fd, void *owner);
  /* Reads everything queued; results in the order queued. */
  const std::vector<Result> &run_recvs ();

  /* Queues a write of @size bytes at @data to @fd; they must stay put
   * until run_sends (). False if the batch is full. */
  bool queue_send (int fd, const char *data, size_t size, void *owner);
  const std::vector<Result> &run_sends ();

private:
  struct Pending
  {
    int fd;
    char *data;
    size_t size;
    void *owner;
  };
  const std::vector<Result> &run (std::vector<Pending> &queued, bool reading);
  void run_calls (const std::vector<Pending> &queued, bool reading);
  bool run_ring (const std::vector<Pending> &queued, bool reading);

  std::unique_ptr<io_uring> ring_;
  size_t capacity_;
  size_t read_size_;
  std::unique_ptr<char[]> read_buffers_;
  std::vector<Pending> recvs_;
  std::vector<Pending> sends_;
  std::vector<Result> results_;
};

} // namespace p2p::tracker
