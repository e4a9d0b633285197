/* gst-p2p
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * tracker-loadgen: drives a WebTorrent tracker with many WebSocket
 * connections behaving like P2P Media Loader 2.3 peers (one peer per
 * connection, several swarms): a started announce with 5 offers, then
 * re-announces with 5 fresh offers, an answer to a share of the offers each
 * peer receives, and some churn (stopped, then started again).
 *
 *   --rate 0   closed loop: each peer re-announces as soon as its previous
 *              announce is answered (the tracker's throughput);
 *   --rate N   open loop at N announces/s (latency at a given load);
 *   --idle     connect, announce once without offers, hold (memory).
 *
 * Offer SDPs carry their send time, so receivers measure relay latency.
 * With several ports (the nodes of a tracker cluster) the peers of each swarm
 * take them in turn, and relays from a peer on another node are also
 * measured apart.
 * Prints one JSON object of results on stdout.
 */
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "gst/webtorrent/protocol.h"
#include "gst/tracker/websocket.h"
#include "command-line.h"

using namespace p2p::tracker;
using namespace p2p::webtorrent;

namespace {

struct Options
{
  gchar *host = nullptr;
  gchar *bind = nullptr;
  gchar *ports = nullptr;
  std::vector<int> port_list;
  gint connections = 1000;
  gint swarms = 50;
  gint offers = 5;
  gdouble rate = 0;
  gdouble duration = 10;
  gdouble warmup = 2;
  gdouble answer_ratio = 0.5;
  gdouble churn = 0.02;
  gint sdp_size = 600;
  gboolean idle = FALSE;
  gdouble hold = 0;
  gint max_connecting = 256;
  gint first_peer = 0;
};

struct Peer
{
  enum class State { CONNECTING, HANDSHAKE, OPEN, CLOSED };
  int fd = -1;
  State state = State::CONNECTING;
  int index = 0;
  size_t node = 0; /* which of the ports */
  Id20 peer_id;
  Id20 info_hash;
  std::string ids_json;  /* ,"info_hash":…,"peer_id":… */
  bool waiting = false;  /* an announce is unanswered */
  bool started = false;  /* in the swarm */
  bool out_armed = true; /* EPOLLOUT registered */
  std::string in;
  std::string out;
};

gint64
now_us ()
{
  return g_get_monotonic_time ();
}

volatile sig_atomic_t interrupted = 0;

void
on_signal (int)
{
  interrupted = 1;
}

class LoadGenerator
{
public:
  explicit LoadGenerator (const Options &o)
      : opt_ (o), rng_ (20261126), peers_ (o.connections)
  {
    epoll_ = epoll_create1 (EPOLL_CLOEXEC);
    filler_.assign (std::max (0, opt_.sdp_size - 80), 'x');
    for (int i = 0; i < opt_.connections; i++) {
      Peer &p = peers_[i];
      p.index = i;
      /* peer i is in swarm i % swarms: the peers of one swarm take the
       * nodes in turn, so that every swarm spans the cluster */
      p.node = (i / opt_.swarms) % opt_.port_list.size ();
      char id[32];
      g_snprintf (id, sizeof id, "-PM0203-%012d", opt_.first_peer + i);
      p.peer_id = *Id20::from_bytes (std::string_view (id, 20));
      std::string hash (20, '\0');
      for (int b = 0; b < 20; b++)
        hash[b] = static_cast<char> ((i % opt_.swarms) * 31 + b * 7);
      p.info_hash = *Id20::from_bytes (hash);
      p.ids_json = ",\"info_hash\":";
      json::write_binary_string (p.ids_json, p.info_hash.view ());
      p.ids_json += ",\"peer_id\":";
      json::write_binary_string (p.ids_json, p.peer_id.view ());
    }
    answer_json_ = "{\"type\":\"answer\",\"sdp\":";
    json::write_string (answer_json_, "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na="
                                          + filler_ + "\r\n");
    answer_json_ += '}';
    offer_tail_json_.clear ();
    json::write_string (offer_tail_json_,
                        " 2 IN IP4 127.0.0.1\r\ns=-\r\na=" + filler_ + "\r\n");
    offer_tail_json_.erase (0, 1); /* without the opening quote */
  }

  /* The texts below are built from cached pieces: the same bytes as
   * build_announce() / build_answer() at a fraction of the CPU, so that
   * the generator is not what limits the tracker under test. */
  bool self_check ();

  int run ();

private:
  void connect_more ();
  void on_event (Peer &p, uint32_t events);
  void on_readable (Peer &p);
  void on_message (Peer &p, std::string_view text);
  bool from_other_node (const Peer &p, std::string_view from_json) const;
  void send_announce (Peer &p);
  std::string announce_text (const Peer &p, AnnounceEvent event,
                             const std::vector<OutgoingOffer> &offers);
  std::string answer_text (const Peer &p, std::string_view to_peer_id_json,
                           std::string_view offer_id_json);
  void send_text (Peer &p, const std::string &text);
  void flush (Peer &p);
  void close_peer (Peer &p);
  bool
  measuring () const
  {
    return now_ >= measure_from_ && now_ < measure_until_;
  }
  Id20
  random_id ()
  {
    Id20 id;
    for (auto &b : id.bytes)
      b = static_cast<uint8_t> (rng_ ());
    return id;
  }

  const Options &opt_;
  int epoll_;
  std::mt19937 rng_;
  std::vector<Peer> peers_;
  std::string filler_;
  std::string answer_json_;
  std::string offer_tail_json_;
  int next_to_connect_ = 0;
  int connecting_ = 0;
  int open_ = 0;
  size_t round_robin_ = 0;
  gint64 now_ = 0;
  gint64 measure_from_ = 0;
  gint64 measure_until_ = 0;
  /* closed loop runs only once everyone is connected, so that busy peers
   * do not starve the handshakes of the others */
  bool closed_loop_ = false;

  /* results, counted in the measuring window only */
  uint64_t announces_sent_ = 0;
  uint64_t responses_ = 0;
  uint64_t offers_received_ = 0;
  uint64_t answers_sent_ = 0;
  uint64_t answers_received_ = 0;
  uint64_t stops_sent_ = 0;
  uint64_t failures_ = 0;
  uint64_t messages_sent_ = 0;
  uint64_t closed_by_tracker_ = 0;
  uint64_t open_loop_behind_ = 0;
  std::vector<uint32_t> latencies_us_;
  std::vector<uint32_t> cross_node_latencies_us_;
};

void
LoadGenerator::connect_more ()
{
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  inet_pton (AF_INET, opt_.host, &sin.sin_addr);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  if (opt_.bind)
    inet_pton (AF_INET, opt_.bind, &local.sin_addr);
  while (next_to_connect_ < opt_.connections
         && connecting_ < opt_.max_connecting) {
    Peer &p = peers_[next_to_connect_++];
    sin.sin_port = htons (opt_.port_list[p.node]);
    p.fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p.fd < 0) {
      g_printerr ("loadgen: socket: %s\n", g_strerror (errno));
      p.state = Peer::State::CLOSED;
      continue;
    }
    int one = 1;
    setsockopt (p.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (opt_.bind) {
      /* the port is picked at connect(), per destination: each source
       * address has the whole ephemeral range */
      setsockopt (p.fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      bind (p.fd, reinterpret_cast<sockaddr *> (&local), sizeof local);
    }
    connect (p.fd, reinterpret_cast<sockaddr *> (&sin), sizeof sin);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.ptr = &p;
    epoll_ctl (epoll_, EPOLL_CTL_ADD, p.fd, &ev);
    connecting_++;
  }
}

void
LoadGenerator::close_peer (Peer &p)
{
  if (p.state == Peer::State::CLOSED)
    return;
  if (p.state != Peer::State::OPEN)
    connecting_--;
  else
    open_--;
  p.state = Peer::State::CLOSED;
  epoll_ctl (epoll_, EPOLL_CTL_DEL, p.fd, nullptr);
  close (p.fd);
  closed_by_tracker_++;
}

void
LoadGenerator::flush (Peer &p)
{
  while (!p.out.empty ()) {
    ssize_t n = send (p.fd, p.out.data (), p.out.size (), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN)
        close_peer (p);
      break;
    }
    p.out.erase (0, n);
  }
  bool want_out = !p.out.empty ();
  if (p.state != Peer::State::CLOSED && want_out != p.out_armed) {
    epoll_event ev{};
    ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
    ev.data.ptr = &p;
    epoll_ctl (epoll_, EPOLL_CTL_MOD, p.fd, &ev);
    p.out_armed = want_out;
  }
}

void
LoadGenerator::send_text (Peer &p, const std::string &text)
{
  uint32_t bits = rng_ ();
  uint8_t mask[4];
  memcpy (mask, &bits, 4);
  bool was_empty = p.out.empty ();
  ws::append_frame (p.out, ws::OPCODE_TEXT, text, mask);
  if (measuring ())
    messages_sent_++;
  if (was_empty)
    flush (p);
}

void
LoadGenerator::send_announce (Peer &p)
{
  AnnounceRequest r;
  r.info_hash = p.info_hash;
  r.peer_id = p.peer_id;
  if (opt_.idle) {
    r.event = AnnounceEvent::STARTED;
  } else if (!p.started) {
    r.event = AnnounceEvent::STARTED;
  } else if (std::uniform_real_distribution<> (0, 1) (rng_) < opt_.churn) {
    r.event = AnnounceEvent::STOPPED;
  } else {
    r.event = AnnounceEvent::NONE;
  }
  if (!opt_.idle && r.event != AnnounceEvent::STOPPED) {
    gint64 t = now_us ();
    for (int i = 0; i < opt_.offers; i++) {
      /* a browser-sized SDP whose session id is the send time */
      r.offers.push_back (
          { random_id (), "v=0\r\no=- " + std::to_string (t)
                              + " 2 IN IP4 127.0.0.1\r\ns=-\r\na=" + filler_
                              + "\r\n" });
    }
  }
  p.started = r.event != AnnounceEvent::STOPPED;
  p.waiting = true;
  if (measuring ()) {
    if (r.event == AnnounceEvent::STOPPED)
      stops_sent_++;
    else
      announces_sent_++;
  }
  send_text (p, announce_text (p, r.event, r.offers));
}

std::string
LoadGenerator::announce_text (const Peer &p, AnnounceEvent event,
                              const std::vector<OutgoingOffer> &offers)
{
  std::string out;
  out.reserve (200 + offers.size () * (filler_.size () + 160));
  out += "{\"numwant\":";
  out += std::to_string (offers.size ());
  out += ",\"uploaded\":0,\"downloaded\":0";
  if (const char *name = announce_event_name (event)) {
    out += ",\"event\":\"";
    out += name;
    out += '"';
  }
  out += ",\"action\":\"announce\"";
  out += p.ids_json;
  if (event != AnnounceEvent::STOPPED && event != AnnounceEvent::COMPLETED) {
    out += ",\"offers\":[";
    for (size_t i = 0; i < offers.size (); i++) {
      if (i)
        out += ',';
      /* the SDP is "v=0\r\no=- <time>" + the cached tail */
      out += "{\"offer\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- ";
      out += offers[i].sdp.substr (9, offers[i].sdp.find (' ', 9) - 9);
      out += offer_tail_json_;
      out += "},\"offer_id\":";
      json::write_binary_string (out, offers[i].offer_id.view ());
      out += '}';
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::string
LoadGenerator::answer_text (const Peer &p, std::string_view to_peer_id_json,
                            std::string_view offer_id_json)
{
  std::string out;
  out.reserve (answer_json_.size () + 200);
  out += "{\"action\":\"announce\"";
  out += p.ids_json;
  out += ",\"to_peer_id\":";
  out += to_peer_id_json;
  out += ",\"answer\":";
  out += answer_json_;
  out += ",\"offer_id\":";
  out += offer_id_json;
  out += '}';
  return out;
}

/* The cached texts must be the protocol's bytes exactly. */
bool
LoadGenerator::self_check ()
{
  const Peer &p = peers_[0];
  for (AnnounceEvent event : { AnnounceEvent::STARTED, AnnounceEvent::NONE,
                               AnnounceEvent::STOPPED }) {
    AnnounceRequest r;
    r.info_hash = p.info_hash;
    r.peer_id = p.peer_id;
    r.event = event;
    if (event != AnnounceEvent::STOPPED) {
      for (int i = 0; i < opt_.offers; i++)
        r.offers.push_back ({ random_id (), "v=0\r\no=- 1234567 2 IN IP4 "
                                            "127.0.0.1\r\ns=-\r\na="
                                                + filler_ + "\r\n" });
    }
    if (announce_text (p, event, r.offers) != build_announce (r))
      return false;
  }
  Id20 to = random_id (), offer_id = random_id ();
  std::string to_json, offer_id_json;
  json::write_binary_string (to_json, to.view ());
  json::write_binary_string (offer_id_json, offer_id.view ());
  return answer_text (p, to_json, offer_id_json)
         == build_answer (p.info_hash, p.peer_id, to, offer_id,
                          "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=" + filler_
                              + "\r\n");
}

namespace {

/* The JSON string that starts at @text[@at] (a quote), quotes included. */
std::string_view
json_string_at (std::string_view text, size_t at)
{
  size_t i = at + 1;
  while (i < text.size () && text[i] != '"')
    i += text[i] == '\\' ? 2 : 1;
  return text.substr (at, std::min (i + 1, text.size ()) - at);
}

/* The raw JSON string value of "@key": in @text, or empty. */
std::string_view
raw_string_member (std::string_view text, std::string_view key)
{
  size_t at = text.find (key);
  if (at == std::string_view::npos || at + key.size () >= text.size ()
      || text[at + key.size ()] != '"')
    return {};
  return json_string_at (text, at + key.size ());
}

} // namespace

/* Tracker messages are told apart by their keys, without a full JSON
 * parse: both trackers write them as JSON.stringify does (the
 * differential suite checks that), and this keeps the generator cheap. */
void
LoadGenerator::on_message (Peer &p, std::string_view text)
{
  bool counting = measuring ();
  if (text.find ("\"failure reason\"") != std::string_view::npos) {
    /* stale answers (the offerer re-announced) are expected; others not */
    p.waiting = false;
    if (counting)
      failures_++;
    if (closed_loop_ && text.find ("unknown offer") == std::string_view::npos)
      send_announce (p);
  } else if (text.find ("\"offer\":{") != std::string_view::npos) {
    std::string_view from = raw_string_member (text, "\"peer_id\":");
    std::string_view offer_id = raw_string_member (text, "\"offer_id\":");
    if (from.empty () || offer_id.empty ()) {
      failures_++;
      return;
    }
    if (counting) {
      offers_received_++;
      size_t at = text.find ("o=- ");
      gint64 sent = at == std::string_view::npos
                        ? 0
                        : g_ascii_strtoll (
                            std::string (text.substr (at + 4, 20)).c_str (),
                            nullptr, 10);
      if (sent > 0 && latencies_us_.size () < 4000000) {
        auto latency = static_cast<uint32_t> (now_us () - sent);
        latencies_us_.push_back (latency);
        if (from_other_node (p, from))
          cross_node_latencies_us_.push_back (latency);
      }
    }
    if (std::uniform_real_distribution<> (0, 1) (rng_) < opt_.answer_ratio) {
      if (counting)
        answers_sent_++;
      send_text (p, answer_text (p, from, offer_id));
    }
  } else if (text.find ("\"answer\":{") != std::string_view::npos) {
    if (counting)
      answers_received_++;
  } else if (text.find ("\"interval\":") != std::string_view::npos) {
    p.waiting = false;
    if (counting)
      responses_++;
    if (closed_loop_)
      send_announce (p);
  } else if (text.find ("\"files\":") == std::string_view::npos) {
    failures_++;
  }
}

/* Whether @from_json (an offerer's peer_id, as JSON) is one of this
 * generator's peers on another node than @p's. */
bool
LoadGenerator::from_other_node (const Peer &p, std::string_view from_json) const
{
  /* "-PM0203-NNNNNNNNNNNN": the number after the 8-byte prefix */
  if (opt_.port_list.size () < 2 || from_json.size () != 22)
    return false;
  gint64 index
      = g_ascii_strtoll (std::string (from_json.substr (9, 12)).c_str (),
                         nullptr, 10)
        - opt_.first_peer;
  return index >= 0 && index < opt_.connections && peers_[index].node != p.node;
}

void
LoadGenerator::on_readable (Peer &p)
{
  char buf[65536];
  while (p.state != Peer::State::CLOSED) {
    ssize_t n = recv (p.fd, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN)) {
      close_peer (p);
      return;
    }
    if (n < 0)
      return;
    p.in.append (buf, n);
    if (p.state == Peer::State::HANDSHAKE) {
      size_t end = p.in.find ("\r\n\r\n");
      if (end == std::string::npos)
        continue;
      if (p.in.compare (0, 12, "HTTP/1.1 101") != 0) {
        close_peer (p);
        return;
      }
      p.in.erase (0, end + 4);
      p.state = Peer::State::OPEN;
      connecting_--;
      open_++;
      send_announce (p);
    }
    size_t pos = 0;
    while (p.state == Peer::State::OPEN) {
      ws::Frame f;
      if (ws::parse_frame (&p.in[pos], p.in.size () - pos, false, 1 << 20, f)
          != ws::FrameStatus::COMPLETE)
        break;
      pos += f.frame_size;
      if (f.opcode == ws::OPCODE_TEXT)
        on_message (p, std::string_view (f.payload, f.length));
      else if (f.opcode == ws::OPCODE_CLOSE)
        close_peer (p);
    }
    if (p.state != Peer::State::CLOSED)
      p.in.erase (0, pos);
  }
}

void
LoadGenerator::on_event (Peer &p, uint32_t events)
{
  if (p.state == Peer::State::CONNECTING) {
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt (p.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err || (events & (EPOLLERR | EPOLLHUP))) {
      close_peer (p);
      return;
    }
    p.state = Peer::State::HANDSHAKE;
    p.out = std::string ("GET /announce HTTP/1.1\r\nHost: ") + opt_.host
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n";
    flush (p);
    return;
  }
  if (events & EPOLLOUT)
    flush (p);
  if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
    on_readable (p);
}

int
LoadGenerator::run ()
{
  std::vector<epoll_event> events (1024);
  gint64 start = now_us ();
  gint64 connect_deadline = start + 120 * G_USEC_PER_SEC;
  now_ = start;
  /* phase 1: connect everyone (and announce once) */
  while (!interrupted && now_ < connect_deadline
         && (next_to_connect_ < opt_.connections || connecting_ > 0)) {
    connect_more ();
    int n = epoll_wait (epoll_, events.data (), events.size (), 100);
    now_ = now_us ();
    for (int i = 0; i < n; i++)
      on_event (*static_cast<Peer *> (events[i].data.ptr), events[i].events);
  }
  gint64 connected_at = now_us ();
  g_printerr ("loadgen: %d connections open in %.1f s\n", open_,
              (connected_at - start) / 1e6);

  if (opt_.idle) {
    printf ("{\"open\":%d}\n", open_);
    fflush (stdout);
    gint64 until
        = opt_.hold > 0 ? now_us () + opt_.hold * G_USEC_PER_SEC : G_MAXINT64;
    while (!interrupted && now_ < until) {
      int n = epoll_wait (epoll_, events.data (), events.size (), 200);
      now_ = now_us ();
      for (int i = 0; i < n; i++)
        on_event (*static_cast<Peer *> (events[i].data.ptr), events[i].events);
    }
    return 0;
  }

  /* phase 2: load; counted between warmup and the end */
  measure_from_ = now_us () + opt_.warmup * G_USEC_PER_SEC;
  measure_until_ = measure_from_ + opt_.duration * G_USEC_PER_SEC;
  gint64 open_loop_start = now_us ();
  uint64_t open_loop_sent = 0;
  /* closed loop: kick every peer whose first response already came */
  if (opt_.rate == 0) {
    closed_loop_ = true;
    for (Peer &p : peers_) {
      if (p.state == Peer::State::OPEN && !p.waiting)
        send_announce (p);
    }
  }
  while (!interrupted && now_ < measure_until_) {
    closed_loop_ = opt_.rate == 0 && !interrupted;
    int n = epoll_wait (epoll_, events.data (), events.size (), 1);
    now_ = now_us ();
    for (int i = 0; i < n; i++)
      on_event (*static_cast<Peer *> (events[i].data.ptr), events[i].events);
    if (opt_.rate > 0) {
      uint64_t due
          = static_cast<uint64_t> ((now_ - open_loop_start) / 1e6 * opt_.rate);
      size_t scanned = 0;
      while (open_loop_sent < due && scanned < peers_.size ()) {
        Peer &p = peers_[round_robin_++ % peers_.size ()];
        scanned++;
        if (p.state != Peer::State::OPEN || p.waiting)
          continue;
        send_announce (p);
        open_loop_sent++;
        scanned = 0;
      }
      if (open_loop_sent < due) {
        open_loop_behind_ += due - open_loop_sent;
        open_loop_sent = due; /* do not burst to catch up */
      }
    }
  }

  double seconds = opt_.duration;
  auto pct = [] (std::vector<uint32_t> &samples, double q) {
    if (samples.empty ())
      return 0.0;
    std::sort (samples.begin (), samples.end ());
    size_t i = std::min (samples.size () - 1,
                         static_cast<size_t> (q * samples.size ()));
    return samples[i] / 1000.0;
  };
  printf ("{\"connections\":%d,\"open\":%d,\"seconds\":%.1f,"
          "\"announces_per_s\":%.1f,\"responses_per_s\":%.1f,"
          "\"offers_received_per_s\":%.1f,\"answers_sent\":%" G_GUINT64_FORMAT
          ",\"answers_received\":%" G_GUINT64_FORMAT
          ",\"stops_sent\":%" G_GUINT64_FORMAT
          ",\"messages_sent\":%" G_GUINT64_FORMAT
          ",\"failures\":%" G_GUINT64_FORMAT ",\"closed\":%" G_GUINT64_FORMAT
          ",\"open_loop_behind\":%" G_GUINT64_FORMAT ",\"relay_p50_ms\":%.3f,"
          "\"relay_p99_ms\":%.3f,\"relay_samples\":%zu,"
          "\"cross_node_p50_ms\":%.3f,\"cross_node_p99_ms\":%.3f,"
          "\"cross_node_samples\":%zu}\n",
          opt_.connections, open_, seconds, announces_sent_ / seconds,
          responses_ / seconds, offers_received_ / seconds, answers_sent_,
          answers_received_, stops_sent_, messages_sent_, failures_,
          closed_by_tracker_, open_loop_behind_, pct (latencies_us_, 0.5),
          pct (latencies_us_, 0.99), latencies_us_.size (),
          pct (cross_node_latencies_us_, 0.5),
          pct (cross_node_latencies_us_, 0.99),
          cross_node_latencies_us_.size ());
  return 0;
}

} // namespace

int
main (int argc, char **argv)
{
  Options o;
  GOptionEntry entries[]
      = { { "host", 0, 0, G_OPTION_ARG_STRING, &o.host,
            "Tracker IPv4 address "
            "(default 127.0.0.1)",
            "ADDR" },
          { "port", 'p', 0, G_OPTION_ARG_STRING, &o.ports,
            "Tracker port, or the ports of a cluster's nodes separated by "
            "commas (peers take them in turn; default 8000)",
            "PORT[,PORT…]" },
          { "bind", 'b', 0, G_OPTION_ARG_STRING, &o.bind,
            "Source IPv4 address "
            "(127.0.0.2, …: one per generator for more connections than one "
            "address has ports)",
            "ADDR" },
          { "connections", 'c', 0, G_OPTION_ARG_INT, &o.connections,
            "WebSocket connections, one peer each (default 1000)", "N" },
          { "swarms", 's', 0, G_OPTION_ARG_INT, &o.swarms,
            "Info hashes the peers spread over (default 50)", "N" },
          { "offers", 0, 0, G_OPTION_ARG_INT, &o.offers,
            "Offers per announce (default 5, as P2P Media Loader)", "N" },
          { "rate", 'r', 0, G_OPTION_ARG_DOUBLE, &o.rate,
            "Announces per second in total, 0 = closed loop (default 0)", "R" },
          { "duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o.duration,
            "Measured seconds (default 10)", "S" },
          { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &o.warmup,
            "Seconds of load before measuring (default 2)", "S" },
          { "answer-ratio", 0, 0, G_OPTION_ARG_DOUBLE, &o.answer_ratio,
            "Share of received offers answered (default 0.5)", "P" },
          { "churn", 0, 0, G_OPTION_ARG_DOUBLE, &o.churn,
            "Share of re-announces that are stops (default 0.02)", "P" },
          { "sdp-size", 0, 0, G_OPTION_ARG_INT, &o.sdp_size,
            "Bytes per SDP (default 600)", "BYTES" },
          { "first-peer", 0, 0, G_OPTION_ARG_INT, &o.first_peer,
            "Number of the first peer id, for several generators (default 0)",
            "N" },
          { "idle", 0, 0, G_OPTION_ARG_NONE, &o.idle,
            "Connect, announce once without offers, hold", nullptr },
          { "hold", 0, 0, G_OPTION_ARG_DOUBLE, &o.hold,
            "With --idle: seconds to hold, 0 = until SIGTERM", "S" },
          { nullptr } };
  if (!p2p::tools::parse_command_line (
          &argc, &argv, "- load generator for WebTorrent trackers", entries))
    return 2;
  if (!o.host)
    o.host = g_strdup ("127.0.0.1");
  gchar **ports = g_strsplit (o.ports ? o.ports : "8000", ",", -1);
  for (gchar **port = ports; *port; port++)
    o.port_list.push_back (atoi (*port));
  g_strfreev (ports);
  if (o.port_list.empty ())
    o.port_list.push_back (0);
  for (int port : o.port_list) {
    if (port < 1 || port > 65535) {
      g_printerr ("tracker-loadgen: bad port in %s\n", o.ports);
      return 2;
    }
  }
  if (o.connections < 1 || o.swarms < 1 || o.offers < 0 || o.duration <= 0) {
    g_printerr ("tracker-loadgen: an option is out of range\n");
    return 2;
  }
  rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
  }
  signal (SIGPIPE, SIG_IGN);
  signal (SIGTERM, on_signal);
  signal (SIGINT, on_signal);
  LoadGenerator generator (o);
  if (!generator.self_check ()) {
    g_printerr ("tracker-loadgen: cached message texts differ from the "
                "protocol's\n");
    return 1;
  }
  return generator.run ();
}
