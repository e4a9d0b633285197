/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * p2p-bench-netem: the switch at the centre of the swarm bench's test
 * network, adding each host's one-way delay and random loss to the frames
 * it forwards. The bench's kernels may lack sch_netem (tc-netem), so the
 * delay and loss live here, in user space, while rate caps stay in the
 * kernel (tc htb on both ends of every host's veth).
 *
 * Usage: p2p-bench-netem PORT... where PORT is IFNAME:DELAY_MS:LOSS_PERCENT,
 * IFNAME being the switch's end of a host's veth pair, in the network
 * namespace this runs in. A frame from port A to port B leaves B
 * DELAY(A) + DELAY(B) ms after it entered A, unless it is lost (with
 * probability LOSS(A) + LOSS(B) percent). Learns MAC addresses like a
 * bridge; floods broadcast and unknown destinations. Prints "ready" once
 * every port is open; runs until SIGINT/SIGTERM, then prints its counters.
 *
 * Frames are read and written with their virtio-net header
 * (PACKET_VNET_HDR), so checksum-offloaded and GSO frames cross intact.
 */
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

/* struct virtio_net_hdr (linux/virtio_net.h, which C++ cannot include: it
 * has a member named "class"). */
constexpr size_t kVnetHeader = 10;
constexpr size_t kMaxFrame = kVnetHeader + 65536 + ETH_HLEN;

struct Port
{
  std::string name;
  int fd = -1;
  double delay_ms = 0;
  double loss = 0; /* probability, 0..1 */
  unsigned long long received = 0, sent = 0, lost = 0, send_failed = 0;
};

struct Pending
{
  long long release_ns;
  unsigned long long order;
  size_t port;
  std::shared_ptr<std::vector<unsigned char>> frame;

  bool
  operator> (const Pending &other) const
  {
    return release_ns != other.release_ns ? release_ns > other.release_ns
                                          : order > other.order;
  }
};

volatile sig_atomic_t stop_requested = 0;

void
request_stop (int)
{
  stop_requested = 1;
}

long long
now_ns ()
{
  timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

bool
parse_port (const char *spec, Port *port)
{
  std::string s (spec);
  size_t a = s.find (':');
  size_t b = a == std::string::npos ? a : s.find (':', a + 1);
  if (b == std::string::npos)
    return false;
  port->name = s.substr (0, a);
  char *end = nullptr;
  port->delay_ms = strtod (s.c_str () + a + 1, &end);
  if (end != s.c_str () + b || port->delay_ms < 0)
    return false;
  port->loss = strtod (s.c_str () + b + 1, &end) / 100.0;
  return *end == '\0' && port->loss >= 0 && port->loss < 1;
}

bool
open_port (Port *port)
{
  unsigned ifindex = if_nametoindex (port->name.c_str ());
  if (ifindex == 0) {
    fprintf (stderr, "no interface %s\n", port->name.c_str ());
    return false;
  }
  port->fd = socket (AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                     htons (ETH_P_ALL));
  int on = 1;
  sockaddr_ll addr = {};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons (ETH_P_ALL);
  addr.sll_ifindex = (int)ifindex;
  if (port->fd < 0
      || setsockopt (port->fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof (on))
             < 0
      || bind (port->fd, (sockaddr *)&addr, sizeof (addr)) < 0) {
    fprintf (stderr, "%s: %s\n", port->name.c_str (), strerror (errno));
    return false;
  }
  /* Our own transmissions would otherwise come back on the same socket. */
  setsockopt (port->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &on, sizeof (on));
  return true;
}

class Switch
{
public:
  explicit Switch (std::vector<Port> ports) : ports_ (std::move (ports)) {}

  void
  run ()
  {
    std::vector<pollfd> fds;
    for (const Port &p : ports_)
      fds.push_back ({ p.fd, POLLIN, 0 });
    std::vector<unsigned char> buffer (kMaxFrame);
    while (!stop_requested) {
      release_due ();
      timespec timeout = { 1, 0 };
      if (!pending_.empty ()) {
        long long wait = std::max (0LL, pending_.top ().release_ns - now_ns ());
        timeout
            = { (time_t)(wait / 1000000000LL), (long)(wait % 1000000000LL) };
      }
      if (ppoll (fds.data (), fds.size (), &timeout, nullptr) < 0) {
        if (errno == EINTR)
          continue;
        perror ("ppoll");
        return;
      }
      for (size_t i = 0; i < fds.size (); i++) {
        if (fds[i].revents & POLLIN)
          receive_all (i, buffer);
      }
    }
  }

  void
  print_counters () const
  {
    for (const Port &p : ports_) {
      fprintf (stderr,
               "%s: received %llu sent %llu lost %llu "
               "send-failed %llu\n",
               p.name.c_str (), p.received, p.sent, p.lost, p.send_failed);
    }
  }

private:
  void
  receive_all (size_t from, std::vector<unsigned char> &buffer)
  {
    for (;;) {
      sockaddr_ll addr;
      socklen_t len = sizeof (addr);
      ssize_t n = recvfrom (ports_[from].fd, buffer.data (), buffer.size (), 0,
                            (sockaddr *)&addr, &len);
      if (n < 0)
        return;
      if (addr.sll_pkttype == PACKET_OUTGOING)
        continue;
      if ((size_t)n < kVnetHeader + ETH_HLEN)
        continue;
      ports_[from].received++;
      forward (from, buffer.data (), (size_t)n);
    }
  }

  void
  forward (size_t from, const unsigned char *frame, size_t size)
  {
    const unsigned char *eth = frame + kVnetHeader;
    std::string dst ((const char *)eth, 6), src ((const char *)eth + 6, 6);
    if (!(src[0] & 1))
      learned_[src] = from;
    auto known = (dst[0] & 1) ? learned_.end () : learned_.find (dst);
    auto copy
        = std::make_shared<std::vector<unsigned char>> (frame, frame + size);
    long long now = now_ns ();
    for (size_t to = 0; to < ports_.size (); to++) {
      if (to == from || (known != learned_.end () && known->second != to))
        continue;
      if (chance_ (random_) < ports_[from].loss + ports_[to].loss) {
        ports_[to].lost++;
        continue;
      }
      double delay = ports_[from].delay_ms + ports_[to].delay_ms;
      pending_.push ({ now + (long long)(delay * 1e6), order_++, to, copy });
    }
  }

  void
  release_due ()
  {
    long long now = now_ns ();
    while (!pending_.empty () && pending_.top ().release_ns <= now) {
      const Pending &p = pending_.top ();
      Port &port = ports_[p.port];
      if (send (port.fd, p.frame->data (), p.frame->size (), 0) < 0)
        port.send_failed++; /* a full queue drops, as a router would */
      else
        port.sent++;
      pending_.pop ();
    }
  }

  std::vector<Port> ports_;
  std::map<std::string, size_t> learned_;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<Pending>>
      pending_;
  unsigned long long order_ = 0;
  std::mt19937_64 random_{ 0x70327062 };
  std::uniform_real_distribution<double> chance_{ 0.0, 1.0 };
};

} // namespace

int
main (int argc, char **argv)
{
  if (argc < 3) {
    fprintf (stderr, "usage: %s IFNAME:DELAY_MS:LOSS_PERCENT...\n", argv[0]);
    return 2;
  }
  std::vector<Port> ports (argc - 1);
  for (int i = 1; i < argc; i++) {
    if (!parse_port (argv[i], &ports[i - 1])) {
      fprintf (stderr, "bad port '%s'\n", argv[i]);
      return 2;
    }
    if (!open_port (&ports[i - 1]))
      return 1;
  }
  struct sigaction action = {};
  action.sa_handler = request_stop;
  sigaction (SIGINT, &action, nullptr);
  sigaction (SIGTERM, &action, nullptr);

  Switch sw (std::move (ports));
  printf ("ready\n");
  fflush (stdout);
  sw.run ();
  sw.print_counters ();
  return 0;
}
